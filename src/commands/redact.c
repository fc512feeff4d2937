/* redact.c — REDACT <target> <msgid> [reason] (IRCv3 draft/message-redaction).
 *
 * The core keeps no message history, so it cannot tell whose message a
 * msgid is: it asks the REDACT_REQUEST hooks, and only a module that knows
 * (the author's recent-message record, a moderator's rights) can approve.
 * Refusals are standard replies (FAIL REDACT ...). */
#include "havend.h"
#include "modules/module.h"

#include <stdio.h>
#include <string.h>

void cmd_redact(struct client *u, struct message *m)
{
    const char *target = m->params[0], *msgid = m->params[1];
    const char *reason = m->nparams > 2 ? m->params[2] : "";
    struct channel *ch = target[0] == '#' ? channel_find(target) : NULL;
    struct client *to = target[0] == '#' ? NULL : user_find_nick(target);
    if ((target[0] == '#' && !ch) || (target[0] != '#' && !to)) {
        send_line(u, ":%s FAIL REDACT INVALID_TARGET %.64s :No such channel or nick", srv.name, target);
        return;
    }
    if (strlen(msgid) > 64 || strpbrk(msgid, ";\\")) {
        send_line(u, ":%s FAIL REDACT UNKNOWN_MSGID %.64s %.64s :No such message", srv.name, target, msgid);
        return;
    }
    char id[65];
    snprintf(id, sizeof id, "%s", msgid);
    struct hv_event ev = { .type = HV_HOOK_REDACT_REQUEST, .user = u, .target = to, .channel = ch,
                           .command = "REDACT", .text = id, .text_cap = sizeof id };
    snprintf(ev.reason, sizeof ev.reason, "%s", reason);
    hooks_run(&ev);
    if (!ev.approve) {
        send_line(u, ":%s FAIL REDACT REDACT_FORBIDDEN %.64s %.64s :You may not redact this message", srv.name,
                  target, msgid);
        return;
    }
    hv_send_redact(u, ch ? ch->name : to->nick, msgid);
}
