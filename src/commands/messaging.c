/* messaging.c — PRIVMSG, NOTICE and AWAY.
 *
 * PRIVMSG and NOTICE share one path; NOTICE never produces error replies
 * (RFC 2812 3.3.2), so automatic responders cannot loop. Module hooks see
 * each message before delivery and may rewrite or block it. */
#include "havend.h"
#include "modules/module.h"
#include "proto/linebuf.h"
#include "proto/numeric.h"
#include "proto/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Run the message hooks; false (and the reason told to the sender) when a
 * hook blocked. `text` may be rewritten in place (cap IRC_LINE_MAX); a
 * PRIVMSG/NOTICE rewritten to nothing is dropped. TAGMSG (no text) runs
 * the hooks too, so caller-ID and mutes cover it. */
static bool message_hooks(struct client *u, const char *cmd, struct client *to, struct channel *ch, char *text,
                          const char *msgid)
{
    enum hv_hook type = ch ? HV_HOOK_CHANNEL_MESSAGE : HV_HOOK_PRIVATE_MESSAGE;
    if (!hooks_any(type))
        return true;
    struct hv_event ev = { .type = type, .user = u, .target = to, .channel = ch, .command = cmd,
                           .text = text, .text_cap = IRC_LINE_MAX, .msgid = msgid };
    if (hooks_run(&ev) == HV_PASS)
        return text[0] != '\0' || strcmp(cmd, "TAGMSG") == 0;
    if (ev.reason[0])
        send_line(u, ":%s NOTICE %s :%s", srv.name, u->nick, ev.reason);
    return false;
}

/* One PRIVMSG/NOTICE/TAGMSG being relayed. */
struct relay {
    const char *cmd;
    bool quiet;                       /* NOTICE and TAGMSG: never error replies */
    bool tagmsg;                      /* only to message-tags clients, no text */
    char *text;                       /* rewritable by hooks (IRC_LINE_MAX) */
    struct msg_tags tags;
    char msgid[32];
};

/* The client-only tags of the incoming line ("+a=b;+c", still escaped) into
 * buf; -1 if they exceed the 4094 bytes a client may send. */
static int client_only_tags(const char *tags, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (const char *p = tags; p && *p;) {
        size_t k = strcspn(p, ";");
        if (p[0] == '+' && k > 1) {
            if (n + k + 1 >= len || n + k + 1 > 4094)
                return -1;
            if (n)
                buf[n++] = ';';
            memcpy(buf + n, p, k);
            n += k;
            buf[n] = '\0';
        }
        p += k;
        if (*p)
            p++;
    }
    return 0;
}

/* Send the sender its own message back when it asked for echo-message. */
static void echo_back(struct client *u, struct relay *r, const char *mask, const char *target)
{
    if (!u->conn || !(u->conn->caps & CAP_ECHO_MESSAGE))
        return;
    if (r->tagmsg)
        send_line_tags(u, &r->tags, ":%s TAGMSG %s", mask, target);
    else
        send_line_tags(u, &r->tags, ":%s %s %s :%s", mask, r->cmd, target, r->text);
}

/* Deliver to one channel target, possibly with a STATUSMSG prefix ("@#c"). */
static void message_channel(struct client *u, struct relay *r, const char *target)
{
    unsigned status_bits = 0;
    const char *name = target;
    while (*name == '@' || *name == '+') {
        status_bits |= *name == '@' ? CSTATUS_OP : (CSTATUS_OP | CSTATUS_VOICE);
        name++;
    }
    struct channel *ch = channel_find(name);
    if (!ch) {
        if (!r->quiet)
            send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", target);
        return;
    }
    int err = channel_can_send(ch, u);
    if (err) {
        if (!r->quiet)
            send_numeric(u, err, "%s :Cannot send to channel", ch->name);
        return;
    }
    if (!message_hooks(u, r->cmd, NULL, ch, r->text, r->tags.msgid))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, mask, sizeof mask);
    const char *shown = status_bits ? target : ch->name;
    const struct send_opts opt = { r->tagmsg ? CAP_MESSAGE_TAGS : 0, 0, status_bits, &r->tags };
    if (r->tagmsg)
        send_to_channel_opts(ch, u, &opt, ":%s TAGMSG %s", mask, shown);
    else
        send_to_channel_opts(ch, u, &opt, ":%s %s %s :%s", mask, r->cmd, shown, r->text);
    echo_back(u, r, mask, shown);
}

/* Deliver to one nick target (a user or a service). */
static void message_user(struct client *u, struct relay *r, const char *target)
{
    struct client *to = user_find_nick(target);
    if (!to) {
        if (!r->quiet || r->tagmsg)
            send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", target);
        return;
    }
    if (!message_hooks(u, r->cmd, to, NULL, r->text, r->tags.msgid))
        return;
    if (!r->tagmsg && service_deliver(u, to, r->cmd, r->text))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, mask, sizeof mask);
    if (r->tagmsg) {
        if (to->conn && (to->conn->caps & CAP_MESSAGE_TAGS))
            send_line_tags(to, &r->tags, ":%s TAGMSG %s", mask, to->nick);
    } else {
        send_line_tags(to, &r->tags, ":%s %s %s :%s", mask, r->cmd, to->nick, r->text);
    }
    echo_back(u, r, mask, to->nick);
    if (!r->quiet && to->away)
        send_numeric(u, RPL_AWAY, "%s :%s", to->nick, to->away);
}

static void message_common(struct client *u, struct message *m, const char *cmd, bool quiet, bool tagmsg)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        if (!quiet)
            send_numeric(u, ERR_NORECIPIENT, ":No recipient given (%s)", cmd);
        return;
    }
    if (!tagmsg && (m->nparams < 2 || !m->params[1][0])) {
        if (!quiet)
            send_numeric(u, ERR_NOTEXTTOSEND, ":No text to send");
        return;
    }
    char ctags[4096];
    if (client_only_tags(m->tags, ctags, sizeof ctags) != 0) {
        send_numeric(u, ERR_INPUTTOOLONG, ":Input line was too long");
        return;
    }
    int ntargets = 0;
    char *save = NULL;
    for (char *t = strtok_r(m->params[0], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (++ntargets > srv.conf->max_targets) {
            if (!quiet)
                send_numeric(u, ERR_TOOMANYTARGETS, "%s :Too many targets. The maximum is %d for %s.",
                             t, srv.conf->max_targets, cmd);
            break;
        }
        /* Each target is its own message: own msgid, own copy a hook may rewrite. */
        char text[IRC_LINE_MAX];
        snprintf(text, sizeof text, "%s", tagmsg ? "" : m->params[1]);
        struct relay r = { .cmd = cmd, .quiet = quiet, .tagmsg = tagmsg, .text = text };
        r.tags.msgid = msgid_new(r.msgid, sizeof r.msgid);
        r.tags.client_tags = ctags[0] ? ctags : NULL;
        r.tags.server_tags = (u->umodes & UMODE_BOT) ? "bot" : NULL;
        r.tags.account = u->account;
        if (*t == '#' || ((*t == '@' || *t == '+') && strchr(t, '#')))
            message_channel(u, &r, t);
        else
            message_user(u, &r, t);
    }
}

void cmd_privmsg(struct client *u, struct message *m)
{
    message_common(u, m, "PRIVMSG", false, false);
}

void cmd_notice(struct client *u, struct message *m)
{
    message_common(u, m, "NOTICE", true, false);
}

/* TAGMSG <target>: tags only, relayed to clients with message-tags. */
void cmd_tagmsg(struct client *u, struct message *m)
{
    message_common(u, m, "TAGMSG", true, true);
}

/* A PRIVMSG/NOTICE as `from` to a channel or nick, unchecked. Services
 * greet every newcomer through here, so the line is copied together
 * (linebuf) rather than printf-formatted. */
void message_send_as(struct client *from, const char *cmd, const char *target, const char *text)
{
    struct channel *ch = target[0] == '#' ? channel_find(target) : NULL;
    struct client *to = target[0] == '#' ? NULL : user_find_nick(target);
    if (!ch && !to)
        return;
    struct linebuf b;
    lb_from(&b, from);
    lb_str(&b, cmd);
    lb_str(&b, " ");
    lb_str(&b, ch ? ch->name : to->nick);
    lb_str(&b, " :");
    lb_str(&b, text);
    if (ch)
        send_to_channel(ch, from, "%s", b.s);
    else
        lb_send(&b, to);
}

/* AWAY [:message]: set or clear; members with away-notify are told. */
void cmd_away(struct client *u, struct message *m)
{
    bool was_away = u->away != NULL;
    free(u->away);
    u->away = NULL;
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, RPL_UNAWAY, ":You are no longer marked as being away");
        if (was_away)
            away_notify_change(u);
        return;
    }
    u->away = strndup(m->params[0], utf8_cut(m->params[0], strlen(m->params[0]), (size_t)srv.conf->awaylen));
    if (!u->away)
        abort();
    send_numeric(u, RPL_NOWAWAY, ":You have been marked as being away");
    away_notify_change(u);
}
