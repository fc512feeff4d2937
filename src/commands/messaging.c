/* messaging.c — PRIVMSG, NOTICE and AWAY.
 *
 * PRIVMSG and NOTICE share one path; NOTICE never produces error replies
 * (RFC 2812 3.3.2), so automatic responders cannot loop. Module hooks see
 * each message before delivery and may rewrite or block it. */
#include "havend.h"
#include "modules/module.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run the message hooks; false (and the reason told to the sender) when a
 * hook blocked. `text` may be rewritten in place (cap IRC_LINE_MAX). */
static bool message_hooks(struct client *u, const char *cmd, struct client *to, struct channel *ch, char *text)
{
    enum hv_hook type = ch ? HV_HOOK_CHANNEL_MESSAGE : HV_HOOK_PRIVATE_MESSAGE;
    if (!hooks_any(type))
        return true;
    struct hv_event ev = { .type = type, .user = u, .target = to, .channel = ch, .command = cmd,
                           .text = text, .text_cap = IRC_LINE_MAX };
    if (hooks_run(&ev) == HV_PASS)
        return text[0] != '\0';
    if (ev.reason[0])
        send_line(u, ":%s NOTICE %s :%s", srv.name, u->nick, ev.reason);
    return false;
}

/* Deliver to one channel target, possibly with a STATUSMSG prefix ("@#c"). */
static void message_channel(struct client *u, const char *cmd, bool notice, const char *target, char *text)
{
    unsigned status_bits = 0;
    const char *name = target;
    while (*name == '@' || *name == '+') {
        status_bits |= *name == '@' ? CSTATUS_OP : (CSTATUS_OP | CSTATUS_VOICE);
        name++;
    }
    struct channel *ch = channel_find(name);
    if (!ch) {
        if (!notice)
            send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", target);
        return;
    }
    int err = channel_can_send(ch, u);
    if (err) {
        if (!notice)
            send_numeric(u, err, "%s :Cannot send to channel", ch->name);
        return;
    }
    if (!message_hooks(u, cmd, NULL, ch, text))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, mask, sizeof mask);
    if (status_bits)
        send_to_channel_status(ch, u, status_bits, ":%s %s %s :%s", mask, cmd, target, text);
    else
        send_to_channel(ch, u, ":%s %s %s :%s", mask, cmd, ch->name, text);
}

/* Deliver to one nick target (a user or a service). */
static void message_user(struct client *u, const char *cmd, bool notice, const char *target, char *text)
{
    struct client *to = user_find_nick(target);
    if (!to) {
        if (!notice)
            send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", target);
        return;
    }
    if (!message_hooks(u, cmd, to, NULL, text))
        return;
    if (service_deliver(u, to, cmd, text))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    send_line(to, ":%s %s %s :%s", client_mask(u, mask, sizeof mask), cmd, to->nick, text);
    if (!notice && to->away)
        send_numeric(u, RPL_AWAY, "%s :%s", to->nick, to->away);
}

static void message_common(struct client *u, struct message *m, const char *cmd, bool notice)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        if (!notice)
            send_numeric(u, ERR_NORECIPIENT, ":No recipient given (%s)", cmd);
        return;
    }
    if (m->nparams < 2 || !m->params[1][0]) {
        if (!notice)
            send_numeric(u, ERR_NOTEXTTOSEND, ":No text to send");
        return;
    }
    int ntargets = 0;
    char *save = NULL;
    for (char *t = strtok_r(m->params[0], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (++ntargets > srv.conf->max_targets) {
            if (!notice)
                send_numeric(u, ERR_TOOMANYTARGETS, "%s :Too many targets. The maximum is %d for %s.",
                             t, srv.conf->max_targets, cmd);
            break;
        }
        /* Each target gets its own copy: a hook may rewrite it. */
        char text[IRC_LINE_MAX];
        snprintf(text, sizeof text, "%s", m->params[1]);
        if (*t == '#' || ((*t == '@' || *t == '+') && strchr(t, '#')))
            message_channel(u, cmd, notice, t, text);
        else
            message_user(u, cmd, notice, t, text);
    }
}

void cmd_privmsg(struct client *u, struct message *m)
{
    message_common(u, m, "PRIVMSG", false);
}

void cmd_notice(struct client *u, struct message *m)
{
    message_common(u, m, "NOTICE", true);
}

void message_send_as(struct client *from, const char *cmd, const char *target, const char *text)
{
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(from, mask, sizeof mask);
    if (target[0] == '#') {
        struct channel *ch = channel_find(target);
        if (ch)
            send_to_channel(ch, from, ":%s %s %s :%s", mask, cmd, ch->name, text);
        return;
    }
    struct client *to = user_find_nick(target);
    if (to)
        send_line(to, ":%s %s %s :%s", mask, cmd, to->nick, text);
}

void cmd_away(struct client *u, struct message *m)
{
    free(u->away);
    u->away = NULL;
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, RPL_UNAWAY, ":You are no longer marked as being away");
        return;
    }
    u->away = strndup(m->params[0], (size_t)srv.conf->awaylen);
    if (!u->away)
        abort();
    send_numeric(u, RPL_NOWAWAY, ":You have been marked as being away");
}
