/* api.c — the accessors and actions of include/havend/module.h, as thin
 * wrappers over the core, so modules never depend on core struct layouts. */
#include "modules/module.h"
#include "proto/linebuf.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hv_user *hv_user_find(const char *nick) { return nick ? user_find_nick(nick) : NULL; }
hv_user *hv_user_find_uid(const char *uid) { return uid ? user_find_uid(uid) : NULL; }
const char *hv_user_nick(const hv_user *u) { return u->nick; }
const char *hv_user_uid(const hv_user *u) { return u->uid; }
bool hv_user_is_oper(const hv_user *u) { return user_is_oper(u); }
bool hv_user_is_service(const hv_user *u) { return u->service != NULL; }
time_t hv_user_signon(const hv_user *u) { return u->signon; }

const char *hv_user_mask(const hv_user *u, char *buf, size_t len)
{
    return client_mask(u, buf, len);
}

int hv_user_set_nick(hv_user *u, const char *nick)
{
    if (!nick || u->service)
        return -1;
    return user_change_nick(u, nick);
}

int hv_user_set_host(hv_user *u, const char *user, const char *host)
{
    if (!u || u->service || !u->registered)
        return -1;
    return user_change_host(u, user, host);
}

void hv_user_disconnect(hv_user *u, const char *reason)
{
    if (u->conn)
        conn_close(u->conn, reason && *reason ? reason : "Disconnected");
}

hv_channel *hv_user_channel_at(const hv_user *u, size_t i)
{
    return i < u->nchans ? u->chans[i]->chan : NULL;
}

hv_channel *hv_channel_find(const char *name) { return name ? channel_find(name) : NULL; }
const char *hv_channel_name(const hv_channel *ch) { return ch->name; }
const char *hv_channel_topic(const hv_channel *ch) { return ch->topic; }
size_t hv_channel_member_count(const hv_channel *ch) { return ch->nmembers; }

hv_user *hv_channel_member_at(const hv_channel *ch, size_t i)
{
    return i < ch->nmembers ? ch->members[i]->client : NULL;
}

bool hv_channel_has_member(const hv_channel *ch, const hv_user *u)
{
    return channel_membership(ch, u) != NULL;
}

bool hv_channel_is_op(const hv_channel *ch, const hv_user *u)
{
    struct membership *ms = channel_membership(ch, u);
    return ms && (ms->status & CSTATUS_OP);
}

hv_channel *hv_channel_create(const char *name, bool permanent)
{
    if (!name || !irc_valid_channel(name, (size_t)srv.conf->channellen))
        return NULL;
    struct channel *ch = channel_find(name);
    if (!ch)
        ch = channel_create(name);
    if (permanent)
        ch->permanent = true;
    return ch;
}

void hv_channel_set_permanent(hv_channel *ch, bool permanent)
{
    ch->permanent = permanent;
    if (!permanent)
        channel_maybe_destroy(ch);
}

void hv_channel_set_topic(hv_channel *ch, const char *setter, const char *topic)
{
    free(ch->topic);
    ch->topic = topic && *topic ? strndup(topic, (size_t)srv.conf->topiclen) : NULL;
    snprintf(ch->topic_setter, sizeof ch->topic_setter, "%s", setter && *setter ? setter : srv.name);
    ch->topic_time = time(NULL);
    send_to_channel(ch, NULL, ":%s TOPIC %s :%s", srv.name, ch->name, ch->topic ? ch->topic : "");
}

int hv_channel_set_mode(hv_channel *ch, const char *modes, const char *param)
{
    char p[IRC_LINE_MAX];
    char *params[1] = { p };
    snprintf(p, sizeof p, "%s", param ? param : "");
    return channel_mode_change(NULL, ch, modes, params, param ? 1 : 0);
}

int hv_force_join(hv_user *u, hv_channel *ch)
{
    if (!u->registered || channel_membership(ch, u))
        return -1;
    channel_join(u, ch, 0);
    return 0;
}

int hv_force_part(hv_user *u, hv_channel *ch, const char *reason)
{
    if (!channel_membership(ch, u))
        return -1;
    channel_part(u, ch, reason);
    return 0;
}

void hv_send_numeric(hv_user *to, int numeric, const char *fmt, ...)
{
    char text[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    send_numeric(to, numeric, "%s", text);
}

/* ":<server> NOTICE <nick> :<text>". Modules welcome each newcomer with
 * one, so the line is copied together (linebuf) around the text. */
void hv_send_server_notice(hv_user *to, const char *fmt, ...)
{
    char text[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    struct linebuf b;
    lb_init(&b);
    lb_str(&b, ":");
    lb_str(&b, srv.name);
    lb_str(&b, " NOTICE ");
    lb_str(&b, client_target(to));
    lb_str(&b, " :");
    lb_str(&b, text);
    lb_send(&b, to);
}

const char *hv_server_name(void) { return srv.name; }
const char *hv_network_name(void) { return srv.conf->network; }

int hv_nicklen(void) { return srv.conf->nicklen; }

/* The config file's directory: its absolute path up to the last '/'. */
const char *hv_config_dir(void)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", srv.conf && srv.conf->path ? srv.conf->path : ".");
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    return dir;
}

/* A held-back message finally delivered: straight to the recipient (or the
 * service it is addressed to), no hooks. */
void hv_deliver_privmsg(hv_user *from, hv_user *to, const char *text)
{
    if (!from || !to || !text || !*text)
        return;
    if (service_deliver(from, to, "PRIVMSG", text))
        return;
    message_send_as(from, "PRIVMSG", to->nick, text);
}

int hv_umode_register(hv_module *self, char letter, bool default_on)
{
    return umode_register(letter, default_on, self) ? 0 : -1;
}

bool hv_user_has_umode(const hv_user *u, char letter)
{
    unsigned bit = umode_bit(letter);
    return bit && (u->umodes & bit);
}

const char *hv_user_ban_token(const hv_user *u)
{
    return u->ban_token;
}

const char *hv_user_account(const hv_user *u)
{
    return u->account ? u->account : u->oper_name;
}

void hv_user_foreach(void (*fn)(hv_user *u, void *arg), void *arg)
{
    for (struct conn *c = srv.conns; c; c = c->next)
        if (!c->dead && c->client && c->client->registered)
            fn(c->client, arg);
}

int hv_user_vanish(hv_user *u, const char *quit_text)
{
    return user_vanish(u, quit_text && *quit_text ? quit_text : "Connection closed");
}

void hv_send_redact(hv_user *u, const char *target, const char *msgid)
{
    if (!target || !msgid || !*msgid || strpbrk(msgid, " \r\n"))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, mask, sizeof mask);
    if (target[0] == '#') {
        struct channel *ch = channel_find(target);
        const struct send_opts opt = { CAP_MESSAGE_REDACTION, 0, 0, NULL };
        if (ch)
            send_to_channel_opts(ch, NULL, &opt, ":%s REDACT %s %s", mask, ch->name, msgid);
        return;
    }
    struct client *to = user_find_nick(target);
    if (to && to->conn && (to->conn->caps & CAP_MESSAGE_REDACTION))
        send_line(to, ":%s REDACT %s %s", mask, to->nick, msgid);
    /* The sender's other view of its own private message, if it asked. */
    if (u->conn && (u->conn->caps & CAP_MESSAGE_REDACTION) && to != u)
        send_line(u, ":%s REDACT %s %s", mask, to ? to->nick : target, msgid);
}

int hv_channel_kick(hv_channel *ch, hv_user *u, hv_service *svc, const char *reason)
{
    if (!channel_membership(ch, u) || u->service)
        return -1;
    char who[NICK_MAX + USER_MAX + HOST_MAX + 3];
    if (svc)
        client_mask(hv_service_user(svc), who, sizeof who);
    else
        snprintf(who, sizeof who, "%s", srv.name);
    char why[IRC_LINE_MAX];
    snprintf(why, sizeof why, "%.*s", srv.conf->kicklen, reason && *reason ? reason : "Kicked");
    send_to_channel(ch, NULL, ":%s KICK %s %s :%s", who, ch->name, u->nick, why);
    hooks_notify(HV_HOOK_KICKED, svc ? hv_service_user(svc) : NULL, u, ch, why, NULL);
    channel_remove_member(ch, u);
    channel_maybe_destroy(ch);
    return 0;
}

const char *hv_state_dir(void)
{
    return srv.conf->state_dir;
}

/* See module.h: "<file>:<line>: <text>", "line N: <text>" or "<text>". */
void hv_conf_error(char *err, size_t errlen, const config_setting_t *s, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    const char *file = s ? config_setting_source_file(s) : NULL;
    unsigned line = s ? config_setting_source_line(s) : 0;
    if (file && line)
        snprintf(err, errlen, "%s:%u: %s", file, line, text);
    else if (line)
        snprintf(err, errlen, "line %u: %s", line, text);
    else
        snprintf(err, errlen, "%s", text);
}

/* See module.h: the first error of a module's config parse wins. */
void hv_conf_fail(struct hv_conf_errors *x, const config_setting_t *s, const char *path, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = true;
    char reason[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    hv_conf_error(x->err, x->errlen, s, "%s%s: %s", x->prefix ? x->prefix : "", path, reason);
}

/* The core's rfc1459 casefolding (src/state/casemap.c), for modules. */
void hv_casefold(char *dst, const char *src, size_t len)
{
    irc_casefold(dst, src ? src : "", len);
}

int hv_random_bytes(void *buf, size_t len)
{
    return random_bytes(buf, len);
}

bool hv_valid_nick(const char *nick)
{
    return nick && irc_valid_nick(nick, srv.conf ? (size_t)srv.conf->nicklen : NICK_MAX);
}

bool hv_valid_channel(const char *name)
{
    return name && irc_valid_channel(name, srv.conf ? (size_t)srv.conf->channellen : CHAN_MAX);
}
