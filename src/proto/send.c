/* send.c — every outgoing line is built here, once, then queued to each
 * recipient's connection.
 *
 * Lines are capped at 510 bytes before CRLF (RFC 1459). Users are always
 * formatted from their public fields (client_mask), never from a conn. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <string.h>

#define LINE_BODY_MAX (IRC_LINE_MAX - 2)

/* Format into buf, capping at the IRC line length; returns the length. */
static size_t format_line(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0)
        return 0;
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    if (len > LINE_BODY_MAX)
        len = LINE_BODY_MAX;
    buf[len] = '\0';
    /* A line must never carry a raw CR/LF/NUL: cut at the first one. */
    size_t cut = strcspn(buf, "\r\n");
    if (cut < len)
        len = cut;
    buf[len] = '\0';
    return len;
}

const char *client_mask(const struct client *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s!%s@%s", c->nick, c->user, c->host);
    return buf;
}

const char *client_target(const struct client *c)
{
    return c->registered && c->nick[0] ? c->nick : "*";
}

void send_vline(struct client *to, const char *fmt, va_list ap)
{
    if (!to->conn)
        return; /* remote users: routed by links, later */
    char buf[IRC_LINE_MAX + 64];
    size_t len = format_line(buf, sizeof buf, fmt, ap);
    conn_send_raw(to->conn, buf, len);
}

void send_line(struct client *to, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_vline(to, fmt, ap);
    va_end(ap);
}

void send_numeric(struct client *to, int numeric, const char *fmt, ...)
{
    if (!to->conn)
        return;
    char buf[IRC_LINE_MAX + 64];
    int pre = snprintf(buf, sizeof buf, ":%s %03d %s ", srv.conf->server_name, numeric, client_target(to));
    if (pre < 0 || (size_t)pre >= sizeof buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(buf + pre, sizeof buf - (size_t)pre, fmt, ap);
    va_end(ap);
    len += (size_t)pre;
    if (len > LINE_BODY_MAX)
        len = LINE_BODY_MAX;
    conn_send_raw(to->conn, buf, len);
}

/* Queue one prepared line to channel members with any of `status_bits`
 * (0 = all), skipping `except`. */
static void channel_fanout(struct channel *ch, struct client *except, unsigned status_bits,
                           const char *line, size_t len)
{
    for (size_t i = 0; i < ch->nmembers; i++) {
        struct membership *ms = ch->members[i];
        struct client *u = ms->client;
        if (u == except || !u->conn)
            continue;
        if (status_bits && !(ms->status & status_bits))
            continue;
        conn_send_raw(u->conn, line, len);
    }
}

void send_to_channel(struct channel *ch, struct client *except, const char *fmt, ...)
{
    char buf[IRC_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(buf, sizeof buf, fmt, ap);
    va_end(ap);
    channel_fanout(ch, except, 0, buf, len);
}

void send_to_channel_status(struct channel *ch, struct client *except, unsigned status_bits, const char *fmt, ...)
{
    char buf[IRC_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(buf, sizeof buf, fmt, ap);
    va_end(ap);
    channel_fanout(ch, except, status_bits, buf, len);
}

void send_to_common_channels(struct client *c, bool include_self, const char *fmt, ...)
{
    char buf[IRC_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(buf, sizeof buf, fmt, ap);
    va_end(ap);

    uint64_t serial = ++srv.fanout_serial;
    c->fanout_serial = serial; /* never to c through a channel */
    if (include_self && c->conn)
        conn_send_raw(c->conn, buf, len);
    for (size_t i = 0; i < c->nchans; i++) {
        struct channel *ch = c->chans[i]->chan;
        for (size_t j = 0; j < ch->nmembers; j++) {
            struct client *u = ch->members[j]->client;
            if (u->fanout_serial == serial)
                continue;
            u->fanout_serial = serial;
            if (u->conn)
                conn_send_raw(u->conn, buf, len);
        }
    }
}

/* Send one prepared line to every local registered user matching pred. */
static void send_to_locals(bool (*pred)(const struct client *), const char *line, size_t len)
{
    for (struct conn *c = srv.conns; c; c = c->next)
        if (!c->dead && c->state == STATE_USER && pred(c->client))
            conn_send_raw(c, line, len);
}

static bool wants_wallops(const struct client *u) { return u->umodes & UMODE_WALLOPS; }
static bool is_oper(const struct client *u) { return u->umodes & UMODE_OPER; }

void send_to_wallops(const char *fmt, ...)
{
    char buf[IRC_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(buf, sizeof buf, fmt, ap);
    va_end(ap);
    send_to_locals(wants_wallops, buf, len);
}

void send_to_opers(const char *fmt, ...)
{
    char body[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    format_line(body, sizeof body, fmt, ap);
    va_end(ap);
    char buf[IRC_LINE_MAX + 64];
    for (struct conn *c = srv.conns; c; c = c->next) {
        if (c->dead || c->state != STATE_USER || !is_oper(c->client))
            continue;
        int n = snprintf(buf, sizeof buf, ":%s NOTICE %s :*** %s", srv.conf->server_name, c->client->nick, body);
        size_t len = n < 0 ? 0 : (size_t)n >= sizeof buf ? sizeof buf - 1 : (size_t)n;
        if (len > LINE_BODY_MAX)
            len = LINE_BODY_MAX;
        conn_send_raw(c, buf, len);
    }
}
