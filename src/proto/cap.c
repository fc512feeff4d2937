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
    /* Value for CAP LS 302 (NULL: none), computed from the config. */
    const char *(*value)(char *buf, size_t len);
};

static const struct cap_def caps[] = {
    { "batch", CAP_BATCH, true, NULL },
    { "cap-notify", CAP_CAP_NOTIFY, true, NULL },
    { "echo-message", CAP_ECHO_MESSAGE, true, NULL },
    { "labeled-response", CAP_LABELED_RESPONSE, true, NULL },
    { "message-tags", CAP_MESSAGE_TAGS, true, NULL },
    { "server-time", CAP_SERVER_TIME, true, NULL },
};
#define NCAPS (sizeof caps / sizeof caps[0])

static const struct cap_def *cap_find(const char *name)
{
    for (size_t i = 0; i < NCAPS; i++)
        if (caps[i].implemented && strcmp(caps[i].name, name) == 0)
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
        if (!d->implemented || (only_bits && !(only_bits & d->bit)))
            continue;
        if (!only_bits && !strcmp(sub, "LIST"))
            continue;
        char item[160], vb[128];
        const char *v = values && d->value ? d->value(vb, sizeof vb) : NULL;
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
        if (!d) {
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
