/* cap.c — IRCv3 capability negotiation (CAP LS/LIST/REQ/END, cap-notify).
 *
 * One table names every capability with its bit and value. A capability is
 * advertised only when `implemented` is set, so a half-done feature is never
 * offered; REQ is all-or-nothing as the spec requires. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

struct cap_def {
    const char *name;
    unsigned bit;
    bool implemented;
    /* Value for CAP LS 302 (NULL: none), computed from the config and
     * the connection (sts differs on TLS and plain connections). */
    const char *(*value)(const struct conn *c, char *buf, size_t len);
};

/* sasl=PLAIN,EXTERNAL */
static const char *sasl_value(const struct conn *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", sasl_mechanisms());
    return buf;
}

/* The port of the first TLS listener in config order (0: none). */
static int sts_tls_port(void)
{
    for (size_t i = 0; srv.conf && i < srv.conf->nlistens; i++) {
        const struct conf_listen *cl = &srv.conf->listens[i];
        for (const struct listener *l = srv.listeners; cl->tls && l; l = l->next)
            if (l->tls && l->port == cl->port && strcmp(l->addr, cl->address) == 0)
                return l->bound_port;
    }
    return 0;
}

/* sts: the upgrade policy (port) on plain connections, the persistence
 * policy (duration) on TLS ones. */
static const char *sts_value(const struct conn *c, char *buf, size_t len)
{
    if (c->tls)
        snprintf(buf, len, "duration=%d", srv.conf->sts_duration);
    else
        snprintf(buf, len, "port=%d,duration=%d", sts_tls_port(), srv.conf->sts_duration);
    return buf;
}

static const struct cap_def caps[] = {
    { "account-notify", CAP_ACCOUNT_NOTIFY, true, NULL },
    { "account-tag", CAP_ACCOUNT_TAG, true, NULL },
    { "away-notify", CAP_AWAY_NOTIFY, true, NULL },
    { "batch", CAP_BATCH, true, NULL },
    { "cap-notify", CAP_CAP_NOTIFY, true, NULL },
    { "chghost", CAP_CHGHOST, true, NULL },
    { "draft/message-redaction", CAP_MESSAGE_REDACTION, true, NULL },
    { "echo-message", CAP_ECHO_MESSAGE, true, NULL },
    { "extended-join", CAP_EXTENDED_JOIN, true, NULL },
    { "invite-notify", CAP_INVITE_NOTIFY, true, NULL },
    { "labeled-response", CAP_LABELED_RESPONSE, true, NULL },
    { "message-tags", CAP_MESSAGE_TAGS, true, NULL },
    { "multi-prefix", CAP_MULTI_PREFIX, true, NULL },
    { "no-implicit-names", CAP_NO_IMPLICIT_NAMES, true, NULL },
    { "sasl", CAP_SASL, true, sasl_value },
    { "server-time", CAP_SERVER_TIME, true, NULL },
    { "setname", CAP_SETNAME, true, NULL },
    { "standard-replies", CAP_STANDARD_REPLIES, true, NULL },
    { "sts", CAP_STS, true, sts_value },
    { "userhost-in-names", CAP_USERHOST_IN_NAMES, true, NULL },
};
#define NCAPS (sizeof caps / sizeof caps[0])

/* Is an implemented cap on offer right now? sasl needs an account to log
 * in to, sts a TLS listener and server.sts. */
static bool cap_available(const struct cap_def *d)
{
    if (d->bit == CAP_SASL)
        return sasl_available();
    if (d->bit == CAP_STS)
        return srv.conf->sts && sts_tls_port() > 0;
    if (d->bit == CAP_SETNAME)     /* realnames are a constant otherwise */
        return srv.conf->show_sent_realname;
    return true;
}

static const struct cap_def *cap_find(const char *name)
{
    for (size_t i = 0; i < NCAPS; i++)
        if (caps[i].implemented && strcmp(caps[i].name, name) == 0 && cap_available(&caps[i]))
            return &caps[i];
    return NULL;
}

/* Send "CAP <me> <sub> [*] :<list>" lines, splitting long lists (302 uses
 * the "*" continuation marker). */
static void cap_send_list(struct client *u, const char *sub, unsigned only_bits, bool values)
{
    struct conn *c = u->conn;
    const char *me = client_target(u);
    char list[400];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < NCAPS; i++) {
        const struct cap_def *d = &caps[i];
        if (!d->implemented || (only_bits && !(only_bits & d->bit)) || (!only_bits && !cap_available(d)))
            continue;
        if (!only_bits && !strcmp(sub, "LIST"))
            continue;
        char item[160], vb[128];
        const char *v = values && d->value ? d->value(c, vb, sizeof vb) : NULL;
        int w = snprintf(item, sizeof item, "%s%s%s", d->name, v ? "=" : "", v ? v : "");
        if (w < 0)
            continue;
        if (n && n + 1 + (size_t)w >= sizeof list - 1) {
            if (c->cap_version >= 302)
                send_line(u, ":%s CAP %s %s * :%s", srv.name, me, sub, list);
            else
                send_line(u, ":%s CAP %s %s :%s", srv.name, me, sub, list);
            n = 0;
            list[0] = '\0';
        }
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? " " : "", item);
    }
    send_line(u, ":%s CAP %s %s :%s", srv.name, me, sub, list);
}

/* CAP REQ: every listed cap (with optional '-') must be known, else NAK. */
static void cap_req(struct client *u, const char *arg)
{
    struct conn *c = u->conn;
    unsigned add = 0, del = 0;
    char buf[IRC_LINE_MAX];
    snprintf(buf, sizeof buf, "%s", arg);
    char *save = NULL;
    bool ok = true;
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        bool minus = *t == '-';
        const struct cap_def *d = cap_find(minus ? t + 1 : t);
        if (!d || d->bit == CAP_STS) { /* sts is advertised, never requested */
            ok = false;
            break;
        }
        if (minus)
            del |= d->bit;
        else
            add |= d->bit;
    }
    /* labeled-response needs batch; cap-notify cannot be removed on 302. */
    unsigned after = (c->caps | add) & ~del;
    if ((after & CAP_LABELED_RESPONSE) && !(after & CAP_BATCH))
        ok = false;
    if ((del & CAP_CAP_NOTIFY) && c->cap_version >= 302)
        ok = false;
    if (!ok) {
        send_line(u, ":%s CAP %s NAK :%s", srv.name, client_target(u), arg);
        return;
    }
    c->caps = after;
    send_line(u, ":%s CAP %s ACK :%s", srv.name, client_target(u), arg);
}

void cmd_cap(struct client *u, struct message *m)
{
    struct conn *c = u->conn;
    const char *sub = m->params[0];
    if (!strcasecmp(sub, "LS")) {
        if (c->state == STATE_UNREG)
            c->cap_negotiating = true;
        int v = m->nparams > 1 ? atoi(m->params[1]) : 301;
        if (v > c->cap_version)
            c->cap_version = v >= 302 ? 302 : 301;
        if (c->cap_version >= 302)
            c->caps |= CAP_CAP_NOTIFY; /* implied by 302 */
        cap_send_list(u, "LS", 0, c->cap_version >= 302);
    } else if (!strcasecmp(sub, "LIST")) {
        cap_send_list(u, "LIST", c->caps ? c->caps : 0, false);
    } else if (!strcasecmp(sub, "REQ")) {
        if (c->state == STATE_UNREG)
            c->cap_negotiating = true;
        cap_req(u, m->nparams > 1 ? m->params[1] : "");
    } else if (!strcasecmp(sub, "END")) {
        if (c->state == STATE_UNREG && c->cap_negotiating) {
            c->cap_negotiating = false;
            registration_try_complete(u);
        }
    } else {
        char w[32];
        snprintf(w, sizeof w, "%.*s", (int)strcspn(sub, " "), sub);
        send_numeric(u, ERR_INVALIDCAPCMD, "%s :Invalid CAP command", w);
    }
}

/* ------------------------------------------------------------ cap-notify on REHASH */

#define CAP_VALUE_MAX 128

/* What was on offer before a REHASH: availability, and each value as a
 * plain ([0]) and a TLS ([1]) connection sees it. */
struct cap_offer {
    bool avail[NCAPS];
    char val[2][NCAPS][CAP_VALUE_MAX];
};
static struct cap_offer offer_before;

/* Record what is on offer now into o. */
static void cap_offer_now(struct cap_offer *o)
{
    static struct conn view[2];   /* only .tls is read by value functions */
    view[1].tls = true;
    memset(o, 0, sizeof *o);      /* whole arrays are compared with memcmp */
    for (size_t i = 0; i < NCAPS; i++) {
        o->avail[i] = caps[i].implemented && cap_available(&caps[i]);
        for (int t = 0; t < 2; t++) {
            char vb[CAP_VALUE_MAX];
            const char *v = o->avail[i] && caps[i].value ? caps[i].value(&view[t], vb, sizeof vb) : NULL;
            snprintf(o->val[t][i], CAP_VALUE_MAX, "%s", v ? v : "");
        }
    }
}

/* Before a REHASH: remember what is on offer. */
void cap_notify_prepare(void)
{
    cap_offer_now(&offer_before);
}

/* Append "name[=value]" to a space-separated list (bounded). */
static void list_add(char *list, size_t cap, const char *name, const char *value)
{
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s%s%s", n ? " " : "", name, value && *value ? "=" : "",
             value ? value : "");
}

/* CAP NEW / CAP DEL for one cap-notify client: caps that appeared (or, for
 * 302 clients, whose value changed) and caps that went away. sts is never
 * deleted (the sts spec forbids it; duration=0 revokes a policy). */
static void cap_notify_conn(struct conn *c, const struct cap_offer *now)
{
    const struct cap_offer *was = &offer_before;
    bool v302 = c->cap_version >= 302;
    int t = c->tls ? 1 : 0;
    char added[400] = "", gone[400] = "";
    for (size_t i = 0; i < NCAPS; i++) {
        if (was->avail[i] && !now->avail[i]) {
            if (caps[i].bit == CAP_STS)
                continue;
            list_add(gone, sizeof gone, caps[i].name, NULL);
            c->caps &= ~caps[i].bit;
        } else if (now->avail[i] && (!was->avail[i] || (v302 && strcmp(was->val[t][i], now->val[t][i]) != 0))) {
            list_add(added, sizeof added, caps[i].name, v302 ? now->val[t][i] : NULL);
        }
    }
    struct client *u = c->client;
    if (gone[0])
        send_line(u, ":%s CAP %s DEL :%s", srv.name, client_target(u), gone);
    if (added[0])
        send_line(u, ":%s CAP %s NEW :%s", srv.name, client_target(u), added);
}

/* After a REHASH took effect: tell cap-notify clients what changed. */
void cap_notify_commit(void)
{
    struct cap_offer now;
    cap_offer_now(&now);
    if (memcmp(&now, &offer_before, sizeof now) == 0)
        return;
    for (struct conn *c = srv.conns; c; c = c->next)
        if (!c->dead && c->client && (c->caps & CAP_CAP_NOTIFY))
            cap_notify_conn(c, &now);
}
