/* monitor.c — MONITOR (IRCv3): tell a user when nicks they watch come
 * online or go offline.
 *
 * Two structures, kept in step:
 *  - each user's own list (client.monitor): the nicks as they typed them,
 *    for MONITOR L / S and for cleaning up;
 *  - one index, casefolded nick -> the users watching it, so a sign-on,
 *    sign-off or nick change costs O(watchers of that nick).
 * The index holds nothing for nicks nobody watches, and frees its table
 * when the last watch goes, so an idle server keeps no memory here.
 *
 * Privacy: RPL_MONONLINE carries the public nick!user@host only. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RPL_MONONLINE 730
#define RPL_MONOFFLINE 731
#define RPL_MONLIST 732
#define RPL_ENDOFMONLIST 733
#define ERR_MONLISTFULL 734

/* A user's MONITOR list: nicks as given (case kept). */
struct monitor_list {
    char **nicks;
    size_t n, cap;
};

/* Everyone watching one casefolded nick. */
struct watchers {
    struct client **v;
    size_t n, cap;
};

static struct hashmap index_;      /* casefolded nick -> struct watchers* */
static bool index_ready;

/* Grow an array of pointers to hold one more. */
static void *grow(void *v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 4;
    void *nv = realloc(v, nc * elem);
    if (!nv)
        abort();
    *cap = nc;
    return nv;
}

/* Add u as a watcher of the casefolded key. */
static void index_add(const char *key, struct client *u)
{
    if (!index_ready) {
        hashmap_init(&index_);
        index_ready = true;
    }
    struct watchers *w = hashmap_get(&index_, key);
    if (!w) {
        w = calloc(1, sizeof *w);
        if (!w)
            abort();
        hashmap_put(&index_, key, w);
    }
    w->v = grow(w->v, &w->cap, w->n, sizeof *w->v);
    w->v[w->n++] = u;
}

/* Remove u from the watchers of key; drop empty entries (and the table). */
static void index_del(const char *key, struct client *u)
{
    struct watchers *w = index_ready ? hashmap_get(&index_, key) : NULL;
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        if (w->v[i] == u) {
            w->v[i] = w->v[--w->n];
            break;
        }
    }
    if (w->n > 0)
        return;
    hashmap_remove(&index_, key);
    free(w->v);
    free(w);
    if (index_.count == 0) {
        hashmap_free(&index_);
        index_ready = false;
    }
}

/* Position of nick (any case) in u's list, or -1. */
static long list_find(const struct client *u, const char *nick)
{
    const struct monitor_list *l = u->monitor;
    for (size_t i = 0; l && i < l->n; i++)
        if (irc_casecmp(l->nicks[i], nick) == 0)
            return (long)i;
    return -1;
}

/* The configured list limit. */
static size_t list_limit(void)
{
    return srv.conf && srv.conf->monitor_max > 0 ? (size_t)srv.conf->monitor_max : 100;
}

/* ------------------------------------------------------------ comma lists */

/* A numeric whose text is a comma-separated list, split to fit a line. */
struct clist {
    struct client *to;
    int numeric;
    char buf[IRC_LINE_MAX];
    size_t len, max;
};

/* Start an empty list reply for numeric to `to`, sized to fit a line. */
static void clist_init(struct clist *l, struct client *to, int numeric)
{
    l->to = to;
    l->numeric = numeric;
    l->len = 0;
    l->buf[0] = '\0';
    /* ":server NNN nick :" + CRLF */
    size_t used = 1 + strlen(srv.name) + 5 + strlen(client_target(to)) + 2 + 2;
    l->max = used + 64 < IRC_LINE_MAX ? IRC_LINE_MAX - used : 64;
}

/* Send what has accumulated, if anything. */
static void clist_flush(struct clist *l)
{
    if (l->len)
        send_numeric(l->to, l->numeric, ":%s", l->buf);
    l->len = 0;
    l->buf[0] = '\0';
}

/* Append one item, sending the line first when it would not fit. */
static void clist_add(struct clist *l, const char *item)
{
    size_t n = strlen(item);
    if (l->len && l->len + 1 + n > l->max)
        clist_flush(l);
    l->len += (size_t)snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s%s", l->len ? "," : "", item);
    if (l->len >= sizeof l->buf)
        l->len = sizeof l->buf - 1;
}

/* Add nick to the online (730, with its mask) or offline (731) list. */
static void status_add(struct clist *on, struct clist *off, const char *nick)
{
    struct client *t = user_find_nick(nick);
    if (t && t->registered) {
        char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
        clist_add(on, client_mask(t, mask, sizeof mask));
    } else {
        clist_add(off, nick);
    }
}

/* ------------------------------------------------------------ the command */

/* MONITOR + a,b: add (up to the limit), answering 730/731 for each. */
static void monitor_add(struct client *u, char *targets)
{
    struct clist on, off;
    clist_init(&on, u, RPL_MONONLINE);
    clist_init(&off, u, RPL_MONOFFLINE);
    size_t limit = list_limit(), nicklen = srv.conf ? (size_t)srv.conf->nicklen : NICK_MAX;
    char *p = targets;
    while (p && *p) {
        char *nick = p;
        size_t n = strcspn(p, ",");
        p = p[n] ? p + n + 1 : NULL;
        nick[n] = '\0';
        if (!*nick || n > nicklen || !irc_valid_nick(nick, nicklen))
            continue;
        if (list_find(u, nick) < 0) {
            if (u->monitor && u->monitor->n >= limit) {
                /* Everything from here on, as sent, could not be added. */
                char rest[IRC_LINE_MAX];
                snprintf(rest, sizeof rest, "%s%s%s", nick, p ? "," : "", p ? p : "");
                rest[strcspn(rest, " ")] = '\0';
                clist_flush(&on);
                clist_flush(&off);
                send_numeric(u, ERR_MONLISTFULL, "%zu %s :Monitor list is full.", limit, rest);
                return;
            }
            if (!u->monitor && !(u->monitor = calloc(1, sizeof *u->monitor)))
                abort();
            struct monitor_list *l = u->monitor;
            l->nicks = grow(l->nicks, &l->cap, l->n, sizeof *l->nicks);
            if (!(l->nicks[l->n] = strdup(nick)))
                abort();
            l->n++;
            char key[NICK_MAX + 1];
            irc_casefold(key, nick, sizeof key);
            index_add(key, u);
        }
        status_add(&on, &off, nick);
    }
    clist_flush(&on);
    clist_flush(&off);
}

/* MONITOR - a,b: remove, silently. */
static void monitor_del(struct client *u, char *targets)
{
    char *save = NULL;
    for (char *nick = strtok_r(targets, ",", &save); nick; nick = strtok_r(NULL, ",", &save)) {
        long i = list_find(u, nick);
        if (i < 0)
            continue;
        struct monitor_list *l = u->monitor;
        char key[NICK_MAX + 1];
        irc_casefold(key, l->nicks[i], sizeof key);
        index_del(key, u);
        free(l->nicks[i]);
        /* keep the order the nicks were added in (MONITOR L / S) */
        memmove(l->nicks + i, l->nicks + i + 1, (l->n - (size_t)i - 1) * sizeof *l->nicks);
        l->n--;
    }
}

/* Forget u's whole list (MONITOR C, quit, free). */
void monitor_clear(struct client *u)
{
    struct monitor_list *l = u->monitor;
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        char key[NICK_MAX + 1];
        irc_casefold(key, l->nicks[i], sizeof key);
        index_del(key, u);
        free(l->nicks[i]);
    }
    free(l->nicks);
    free(l);
    u->monitor = NULL;
}

/* MONITOR {+|-} targets | C | L | S */
void cmd_monitor(struct client *u, struct message *m)
{
    char op = m->params[0][0] && !m->params[0][1] ? m->params[0][0] : '\0';
    if ((op == '+' || op == '-') && (m->nparams < 2 || !m->params[1][0])) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "MONITOR :Not enough parameters");
        return;
    }
    const struct monitor_list *l = u->monitor;
    struct clist a, b;
    switch (op) {
    case '+':
        monitor_add(u, m->params[1]);
        break;
    case '-':
        monitor_del(u, m->params[1]);
        break;
    case 'C': case 'c':
        monitor_clear(u);
        break;
    case 'L': case 'l':
        clist_init(&a, u, RPL_MONLIST);
        for (size_t i = 0; l && i < l->n; i++)
            clist_add(&a, l->nicks[i]);
        clist_flush(&a);
        send_numeric(u, RPL_ENDOFMONLIST, ":End of MONITOR list");
        break;
    case 'S': case 's':
        clist_init(&a, u, RPL_MONONLINE);
        clist_init(&b, u, RPL_MONOFFLINE);
        for (size_t i = 0; l && i < l->n; i++)
            status_add(&a, &b, l->nicks[i]);
        clist_flush(&a);
        clist_flush(&b);
        break;
    default:
        /* Not a reply any spec defines: only for clients that take any. */
        if (u->conn && (u->conn->caps & CAP_STANDARD_REPLIES))
            send_standard_reply(u, "FAIL", "MONITOR", "INVALID_PARAMS", NULL,
                                "Use MONITOR + nick,... / - nick,... / C / L / S");
        break;
    }
}

/* ------------------------------------------------------------ notifications */

/* Everyone watching nick, or NULL when nobody does. */
static struct watchers *watchers_of(const char *nick)
{
    if (!index_ready)
        return NULL;
    char key[NICK_MAX + 1];
    irc_casefold(key, nick, sizeof key);
    return hashmap_get(&index_, key);
}

/* Send numeric about `what` to every local watcher in w but `self`. */
static void notify(const struct watchers *w, int numeric, const char *what, const struct client *self)
{
    for (size_t i = 0; i < w->n; i++) {
        struct client *to = w->v[i];
        if (to != self && to->conn && !to->conn->dead)
            send_numeric(to, numeric, ":%s", what);
    }
}

/* u is online under u->nick: 730 to its watchers. Every registration
 * comes here, so the mask is only formatted when someone watches. */
void monitor_signon(struct client *u)
{
    struct watchers *w = watchers_of(u->nick);
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    if (w)
        notify(w, RPL_MONONLINE, client_mask(u, mask, sizeof mask), u);
}

/* Nobody is online as nick any more: 731 to its watchers. */
void monitor_signoff(const char *nick)
{
    struct watchers *w = watchers_of(nick);
    char copy[NICK_MAX + 1];
    if (!w)
        return;
    str_copy(copy, sizeof copy, nick);
    notify(w, RPL_MONOFFLINE, copy, NULL);
}
