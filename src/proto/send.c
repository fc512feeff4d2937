/* send.c — every outgoing line is built here, once, then queued to each
 * recipient's connection.
 *
 * Lines are capped at 510 bytes before CRLF (RFC 1459). Users are always
 * formatted from their public fields (client_mask), never from a conn. */
#include "havend.h"
#include "proto/numeric.h"
#include "proto/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#define LINE_BODY_MAX (IRC_LINE_MAX - 2)

/* Format into buf, capping at the IRC line length; returns the length. */
static size_t format_line(char *buf, size_t cap, const char *fmt, va_list ap)
{
    int n = vsnprintf(buf, cap, fmt, ap);
    if (n < 0)
        return 0;
    size_t len = (size_t)n < cap ? (size_t)n : cap - 1;
    len = utf8_cut(buf, len, LINE_BODY_MAX);     /* never inside a UTF-8 character */
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

/* ------------------------------------------------------------ one line, built once */

/* A line to send: its body, and the tagged variants built lazily, one per
 * combination of the recipient's server-time, message-tags and account-tag
 * caps, so a fan-out formats each variant at most once whatever the member
 * count. */
struct outline {
    char body[IRC_LINE_MAX + 64];
    size_t blen;
    const struct msg_tags *tags;
    char time[48];                      /* "time=..." once computed */
    char *var[8];                       /* heap, built on demand */
    size_t vlen[8];
};

#define TAG_VARIANT_MAX (IRC_TAGS_MAX + IRC_LINE_MAX + 2)

static void outline_init(struct outline *o, const struct msg_tags *tags)
{
    memset(o->var, 0, sizeof o->var);
    o->time[0] = '\0';
    o->tags = tags;
    o->blen = 0;
}

static void outline_free(struct outline *o)
{
    for (int i = 1; i < 8; i++)
        free(o->var[i]);
}

/* "time=YYYY-MM-DDThh:mm:ss.sssZ" (IRCv3 server-time), computed once. */
static const char *outline_time(struct outline *o)
{
    if (!o->time[0]) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char d[32];
        strftime(d, sizeof d, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(o->time, sizeof o->time, "time=%.20s.%03dZ", d, (int)(ts.tv_nsec / 1000000) % 1000);
    }
    return o->time;
}

/* The account to tag o with: the one given, else that of the user whose
 * command is being handled when the line is from them (":nick!..."), so
 * PART, QUIT, NICK, MODE... carry account-tag like PRIVMSG does. */
static const char *outline_account(const struct outline *o)
{
    if (o->tags && o->tags->account)
        return o->tags->account;
    const struct client *s = srv.cmd_source;
    if (!s || !s->account || o->body[0] != ':')
        return NULL;
    size_t n = strlen(s->nick);
    return strncmp(o->body + 1, s->nick, n) == 0 && o->body[1 + n] == '!' ? s->account : NULL;
}

/* The variant of o for a connection with these caps: 0 plain, bit 0
 * server-time, bit 1 message-tags, bit 2 account-tag. */
static const char *outline_variant(struct outline *o, unsigned caps, size_t *len)
{
    unsigned v = ((caps & CAP_SERVER_TIME) ? 1u : 0u) | ((caps & CAP_MESSAGE_TAGS) ? 2u : 0u) |
                 ((caps & CAP_ACCOUNT_TAG) ? 4u : 0u);
    const struct msg_tags *t = o->tags;
    if (v & 2u) {
        if (!t || (!t->msgid && !t->client_tags && !t->server_tags))
            v &= ~2u;                   /* nothing extra to show */
    }
    const char *account = (v & 4u) ? outline_account(o) : NULL;
    if (!account)
        v &= ~4u;
    if (v == 0) {
        *len = o->blen;
        return o->body;
    }
    if (!o->var[v]) {
        /* Each piece is appended with ';' between; total bounded by
         * TAG_VARIANT_MAX. The buffer is sized to the line (a malloc of the
         * whole bound per line was most of a numeric's cost). */
        const char *parts[5] = { (v & 1u) ? outline_time(o) : NULL, NULL, NULL, NULL, NULL };
        char idtag[96], acctag[160];
        if (v & 4u) {
            /* Account names have no spaces; escape what a tag value cannot hold. */
            size_t k = (size_t)snprintf(acctag, sizeof acctag, "account=");
            for (const char *p = account; *p && k + 3 < sizeof acctag; p++) {
                if (*p == ';' || *p == '\\') {
                    acctag[k++] = '\\';
                    acctag[k++] = *p == ';' ? ':' : '\\';
                } else {
                    acctag[k++] = *p;
                }
            }
            acctag[k] = '\0';
            parts[4] = acctag;
        }
        if (v & 2u) {
            if (t->msgid) {
                snprintf(idtag, sizeof idtag, "msgid=%s", t->msgid);
                parts[1] = idtag;
            }
            parts[2] = t->server_tags;
            parts[3] = t->client_tags;
        }
        size_t plen[5] = { 0 }, need = 1;   /* the same arithmetic as the copy below */
        for (int i = 0; i < 5; i++) {
            if (!parts[i] || !*parts[i])
                continue;
            plen[i] = strlen(parts[i]);
            if (need + plen[i] + 2 + o->blen > TAG_VARIANT_MAX) {
                parts[i] = NULL;        /* does not fit: left out */
                continue;
            }
            need += (need > 1 ? 1 : 0) + plen[i];
        }
        char *b = malloc(need + 1 + o->blen + 3);
        if (!b)
            abort();
        size_t n = 0;
        b[n++] = '@';
        for (int i = 0; i < 5; i++) {
            if (!parts[i] || !*parts[i])
                continue;
            if (n > 1)
                b[n++] = ';';
            memcpy(b + n, parts[i], plen[i]);
            n += plen[i];
        }
        b[n++] = ' ';
        memcpy(b + n, o->body, o->blen);
        n += o->blen;
        memcpy(b + n, "\r\n", 3); /* CRLF kept past the length, for one append */
        o->var[v] = b;
        o->vlen[v] = n;
    }
    *len = o->vlen[v];
    return o->var[v];
}

/* Format the body of o and put CRLF after it (outside blen). */
static void outline_vformat(struct outline *o, const char *fmt, va_list ap)
{
    o->blen = format_line(o->body, sizeof o->body - 2, fmt, ap);
    memcpy(o->body + o->blen, "\r\n", 3);
}

/* Prepend one tag ("label=x" or "batch=id") to a line that may have tags. */
static void send_with_tag(struct conn *c, const char *tag, const char *line, size_t len)
{
    char buf[TAG_VARIANT_MAX + 128];
    int n;
    if (line[0] == '@')
        n = snprintf(buf, sizeof buf, "@%s;%.*s", tag, (int)(len - 1), line + 1);
    else
        n = snprintf(buf, sizeof buf, "@%s %.*s", tag, (int)len, line);
    if (n > 0)
        conn_send_raw(c, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Queue a line to c, inside the labeled-response batch if c is the client
 * whose labeled command is being handled. */
static void deliver_line(struct conn *c, const char *line, size_t len)
{
    struct label_ctx *L = &srv.label;
    if (L->conn != c) {
        conn_send_crlf(c, line, len + 2); /* every outline line has CRLF after it */
        return;
    }
    char tag[40];
    if (L->lines == 0) {
        /* Hold the first line: alone it gets the label, else it opens a batch. */
        free(L->pending);
        L->pending = malloc(len + 1);
        if (!L->pending)
            abort();
        memcpy(L->pending, line, len);
        L->pending[len] = '\0';
        L->pending_len = len;
    } else {
        if (L->lines == 1) {
            msgid_new(L->batch, sizeof L->batch);
            char open[160];
            int n = snprintf(open, sizeof open, "@label=%s :%s BATCH +%s labeled-response", L->label, srv.name,
                             L->batch);
            conn_send_raw(c, open, (size_t)n);
            snprintf(tag, sizeof tag, "batch=%s", L->batch);
            send_with_tag(c, tag, L->pending, L->pending_len);
            free(L->pending);
            L->pending = NULL;
        }
        snprintf(tag, sizeof tag, "batch=%s", L->batch);
        send_with_tag(c, tag, line, len);
    }
    L->lines++;
}

static void deliver(struct conn *c, struct outline *o)
{
    if (c->dead)
        return;
    size_t len;
    const char *line = outline_variant(o, c->caps, &len);
    deliver_line(c, line, len);
}

void label_begin(struct conn *c, const char *label)
{
    struct label_ctx *L = &srv.label;
    L->conn = c;
    snprintf(L->label, sizeof L->label, "%s", label);
    L->lines = 0;
    L->pending = NULL;
}

void label_end(void)
{
    struct label_ctx *L = &srv.label;
    struct conn *c = L->conn;
    if (!c)
        return;
    L->conn = NULL;
    if (!c->dead) {
        char line[160];
        char tag[80];
        snprintf(tag, sizeof tag, "label=%s", L->label);
        if (L->lines == 0) {
            int n = snprintf(line, sizeof line, "@label=%s :%s ACK", L->label, srv.name);
            conn_send_raw(c, line, (size_t)n);
        } else if (L->lines == 1) {
            send_with_tag(c, tag, L->pending, L->pending_len);
        } else {
            int n = snprintf(line, sizeof line, ":%s BATCH -%s", srv.name, L->batch);
            conn_send_raw(c, line, (size_t)n);
        }
    }
    free(L->pending);
    L->pending = NULL;
}

const char *msgid_new(char *buf, size_t len)
{
    static char prefix[9];
    static uint64_t counter;
    if (!prefix[0]) {
        static const char a[] = "abcdefghijklmnopqrstuvwxyz234567";
        unsigned char r[8];
        if (RAND_bytes(r, sizeof r) != 1)
            abort();
        for (int i = 0; i < 8; i++)
            prefix[i] = a[r[i] & 31];
    }
    snprintf(buf, len, "%s%llx", prefix, (unsigned long long)++counter);
    return buf;
}

/* ------------------------------------------------------------ senders */

void send_vline(struct client *to, const char *fmt, va_list ap)
{
    if (!to->conn)
        return; /* remote users: routed by links, later */
    struct outline o;
    outline_init(&o, NULL);
    outline_vformat(&o, fmt, ap);
    deliver(to->conn, &o);
    outline_free(&o);
}

void send_line(struct client *to, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    send_vline(to, fmt, ap);
    va_end(ap);
}

void send_line_tags(struct client *to, const struct msg_tags *tags, const char *fmt, ...)
{
    if (!to->conn)
        return;
    struct outline o;
    outline_init(&o, tags);
    va_list ap;
    va_start(ap, fmt);
    outline_vformat(&o, fmt, ap);
    va_end(ap);
    deliver(to->conn, &o);
    outline_free(&o);
}

void send_numeric(struct client *to, int numeric, const char *fmt, ...)
{
    if (!to->conn)
        return;
    struct outline o;
    outline_init(&o, NULL);
    int pre = snprintf(o.body, sizeof o.body, ":%s %03d %s ", srv.name, numeric, client_target(to));
    if (pre < 0 || (size_t)pre >= sizeof o.body)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t len = format_line(o.body + pre, sizeof o.body - (size_t)pre, fmt, ap);
    va_end(ap);
    len = utf8_cut(o.body, len + (size_t)pre, LINE_BODY_MAX);
    o.blen = len;
    memcpy(o.body + len, "\r\n", 3);
    deliver(to->conn, &o);
    outline_free(&o);
}

/* Does member u (with status) pass the options' filters? */
static inline bool wanted(const struct client *u, unsigned status, const struct send_opts *opt)
{
    if (!u->conn)
        return false;
    unsigned caps = u->conn->caps;
    if ((caps & opt->need_caps) != opt->need_caps || (caps & opt->skip_caps))
        return false;
    return !opt->status_bits || (status & opt->status_bits);
}

/* Queue one prepared line to the channel members the options select. */
static void channel_fanout(struct channel *ch, struct client *except, const struct send_opts *opt, struct outline *o)
{
    for (size_t i = 0; i < ch->nmembers; i++) {
        struct membership *ms = ch->members[i];
        struct client *u = ms->client;
        if (u != except && wanted(u, ms->status, opt))
            deliver(u->conn, o);
    }
}

/* Build the line once, fan it out to the channel members opt selects. */
static void channel_vsend(struct channel *ch, struct client *except, const struct send_opts *opt, const char *fmt,
                          va_list ap)
{
    struct outline o;
    outline_init(&o, opt->tags);
    outline_vformat(&o, fmt, ap);
    channel_fanout(ch, except, opt, &o);
    outline_free(&o);
}

void send_to_channel_opts(struct channel *ch, struct client *except, const struct send_opts *opt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    channel_vsend(ch, except, opt, fmt, ap);
    va_end(ap);
}

void send_to_channel(struct channel *ch, struct client *except, const char *fmt, ...)
{
    static const struct send_opts all = { 0, 0, 0, NULL };
    va_list ap;
    va_start(ap, fmt);
    channel_vsend(ch, except, &all, fmt, ap);
    va_end(ap);
}

void send_to_channel_status(struct channel *ch, struct client *except, unsigned status_bits, const char *fmt, ...)
{
    const struct send_opts opt = { 0, 0, status_bits, NULL };
    va_list ap;
    va_start(ap, fmt);
    channel_vsend(ch, except, &opt, fmt, ap);
    va_end(ap);
}

/* Once to every user sharing a channel with c (and c when include_self). */
static void common_fanout(struct client *c, bool include_self, const struct send_opts *opt, struct outline *o)
{
    uint64_t serial = ++srv.fanout_serial;
    c->fanout_serial = serial; /* never to c through a channel */
    if (include_self && wanted(c, 0, opt))
        deliver(c->conn, o);
    for (size_t i = 0; i < c->nchans; i++) {
        struct channel *ch = c->chans[i]->chan;
        for (size_t j = 0; j < ch->nmembers; j++) {
            struct client *u = ch->members[j]->client;
            if (u->fanout_serial == serial)
                continue;
            u->fanout_serial = serial;
            if (wanted(u, 0, opt))
                deliver(u->conn, o);
        }
    }
}

/* Build the line once, send it once to everyone sharing a channel with c. */
static void common_vsend(struct client *c, bool include_self, const struct send_opts *opt, const char *fmt,
                         va_list ap)
{
    struct outline o;
    outline_init(&o, opt->tags);
    outline_vformat(&o, fmt, ap);
    common_fanout(c, include_self, opt, &o);
    outline_free(&o);
}

void send_to_common_channels(struct client *c, bool include_self, const char *fmt, ...)
{
    static const struct send_opts all = { 0, 0, 0, NULL };
    va_list ap;
    va_start(ap, fmt);
    common_vsend(c, include_self, &all, fmt, ap);
    va_end(ap);
}

void send_to_common_channels_opts(struct client *c, bool include_self, const struct send_opts *opt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    common_vsend(c, include_self, opt, fmt, ap);
    va_end(ap);
}

/* Send one prepared line to every local registered user matching pred. */
static void send_to_locals(bool (*pred)(const struct client *), struct outline *o)
{
    for (struct conn *c = srv.conns; c; c = c->next)
        if (!c->dead && c->state == STATE_USER && pred(c->client))
            deliver(c, o);
}

static bool wants_wallops(const struct client *u) { return u->umodes & UMODE_WALLOPS; }
static bool is_oper(const struct client *u) { return u->umodes & UMODE_OPER; }

void send_to_wallops(const char *fmt, ...)
{
    struct outline o;
    outline_init(&o, NULL);
    va_list ap;
    va_start(ap, fmt);
    outline_vformat(&o, fmt, ap);
    va_end(ap);
    send_to_locals(wants_wallops, &o);
    outline_free(&o);
}

void send_to_opers(const char *fmt, ...)
{
    char body[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    format_line(body, sizeof body, fmt, ap);
    va_end(ap);
    for (struct conn *c = srv.conns; c; c = c->next)
        if (!c->dead && c->state == STATE_USER && is_oper(c->client))
            send_line(c->client, ":%s NOTICE %s :*** %s", srv.name, c->client->nick, body);
}
