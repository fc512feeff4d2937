/* anon_accept.c — caller-ID (user mode +g) and the ACCEPT command, as in
 * ircd-hybrid and Solanum.
 *
 * A +g user only receives private messages from people on their accept
 * list (and from staff). A stranger's first message is held in memory and
 * delivered if the recipient accepts them; they are told with 716/717, the
 * recipient with 718. Lists are keyed by UID, so they survive nick changes,
 * and everything about a user is dropped when they quit. Nothing here is
 * written anywhere. */
#include "anonymity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UIDBUF 16
#define NBUCKETS 256
#define HELD_MAX 8                      /* held messages per recipient */
#define HOLD_SECONDS 300                /* a held message is dropped after this */
#define NOTES_MAX 32                    /* remembered 717/718 notifications per recipient */
#define NOTIFY_SECONDS 60               /* at most one 717/718 per sender and recipient */
#define SWEEP_SECONDS 30

enum {
    ERR_NOSUCHNICK = 401,
    RPL_ACCEPTLIST = 281,
    RPL_ENDOFACCEPT = 282,
    ERR_ACCEPTFULL = 456,
    ERR_ACCEPTEXIST = 457,
    ERR_ACCEPTNOT = 458,
    ERR_TARGUMODEG = 716,
    RPL_TARGNOTIFY = 717,
    RPL_UMODEGMSG = 718,
};

struct held {
    char from[UIDBUF];
    time_t when;
    char *text;
};

struct note {
    char from[UIDBUF];
    time_t when;
};

/* What we keep about one user: created on first need, freed on quit. */
struct rec {
    char uid[UIDBUF];
    char (*accept)[UIDBUF];             /* UIDs this user accepts */
    size_t naccept, capaccept;
    struct held held[HELD_MAX];         /* strangers' first messages to this user */
    size_t nheld;
    struct note notes[NOTES_MAX];       /* who was recently announced to this user */
    size_t nnotes;
    struct rec *next;
};

static struct rec *table[NBUCKETS];

/* FNV-1a over a UID, for the bucket. */
static unsigned bucket_of(const char *uid)
{
    unsigned h = 2166136261u;
    for (const char *p = uid; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % NBUCKETS;
}

/* The record of a UID, created when asked to. */
static struct rec *rec_get(const char *uid, bool create)
{
    unsigned b = bucket_of(uid);
    for (struct rec *r = table[b]; r; r = r->next)
        if (strcmp(r->uid, uid) == 0)
            return r;
    if (!create)
        return NULL;
    struct rec *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    snprintf(r->uid, sizeof r->uid, "%s", uid);
    r->next = table[b];
    table[b] = r;
    return r;
}

/* Free a record's contents and the record. */
static void rec_free(struct rec *r)
{
    for (size_t i = 0; i < r->nheld; i++)
        free(r->held[i].text);
    free(r->accept);
    free(r);
}

/* Drop records that hold nothing any more, so memory follows use. */
static void rec_prune(unsigned b)
{
    for (struct rec **pp = &table[b]; *pp;) {
        struct rec *r = *pp;
        if (!r->naccept && !r->nheld && !r->nnotes) {
            *pp = r->next;
            rec_free(r);
        } else {
            pp = &r->next;
        }
    }
}

/* Index of uid in r's accept list, or -1. */
static long accept_index(const struct rec *r, const char *uid)
{
    for (size_t i = 0; r && i < r->naccept; i++)
        if (strcmp(r->accept[i], uid) == 0)
            return (long)i;
    return -1;
}

/* Has owner accepted other? */
bool anon_accepted(const hv_user *owner, const hv_user *other)
{
    return accept_index(rec_get(hv_user_uid(owner), false), hv_user_uid(other)) >= 0;
}

/* Remove held message i of r (freeing its text). */
static void held_remove(struct rec *r, size_t i)
{
    free(r->held[i].text);
    r->held[i] = r->held[--r->nheld];
}

/* Deliver what `other` said to `owner` while not yet accepted. */
static void deliver_held(struct rec *r, hv_user *owner, hv_user *other)
{
    const char *uid = hv_user_uid(other);
    for (size_t i = 0; i < r->nheld; i++) {
        if (strcmp(r->held[i].from, uid) != 0)
            continue;
        if (time(NULL) - r->held[i].when < HOLD_SECONDS) {
            hv_deliver_privmsg(other, owner, r->held[i].text);
            hv_send_server_notice(other, "%s accepted you: your first message has been delivered.",
                                  hv_user_nick(owner));
        }
        held_remove(r, i);
        return;
    }
}

/* Put other on owner's list: 0 added, 1 already there, -1 list full. */
static int accept_add(hv_user *owner, hv_user *other)
{
    struct rec *r = rec_get(hv_user_uid(owner), true);
    if (accept_index(r, hv_user_uid(other)) >= 0)
        return 1;
    if (r->naccept >= (size_t)anon_cf->accept_max)
        return -1;
    if (r->naccept == r->capaccept) {
        size_t cap = r->capaccept ? r->capaccept * 2 : 8;
        void *v = realloc(r->accept, cap * sizeof *r->accept);
        if (!v)
            abort();
        r->accept = v;
        r->capaccept = cap;
    }
    snprintf(r->accept[r->naccept++], UIDBUF, "%s", hv_user_uid(other));
    deliver_held(r, owner, other);
    return 0;
}

/* Take other off owner's list: 0 removed, -1 not there. */
static int accept_del(hv_user *owner, hv_user *other)
{
    struct rec *r = rec_get(hv_user_uid(owner), false);
    long i = accept_index(r, hv_user_uid(other));
    if (i < 0)
        return -1;
    memmove(r->accept[i], r->accept[i + 1], (r->naccept - (size_t)i - 1) * sizeof *r->accept);
    r->naccept--;
    rec_prune(bucket_of(r->uid));
    return 0;
}

/* owner (+g) messaged other: accept them so their replies get through. */
void anon_auto_accept(hv_user *owner, hv_user *other)
{
    if (accept_add(owner, other) < 0)
        return;     /* full: the reply will be held like a stranger's */
}

/* ACCEPT *: the list in 281 lines of a few nicks each, then 282. */
static void accept_list(hv_user *u)
{
    struct rec *r = rec_get(hv_user_uid(u), false);
    char line[400];
    size_t len = 0;
    for (size_t i = 0; r && i < r->naccept; i++) {
        hv_user *o = hv_user_find_uid(r->accept[i]);
        if (!o)
            continue;
        const char *nick = hv_user_nick(o);
        if (len && len + strlen(nick) + 1 >= sizeof line - 1) {
            hv_send_numeric(u, RPL_ACCEPTLIST, "%s", line);
            len = 0;
        }
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len ? " " : "", nick);
    }
    if (len)
        hv_send_numeric(u, RPL_ACCEPTLIST, "%s", line);
    hv_send_numeric(u, RPL_ENDOFACCEPT, "* :End of /ACCEPT list");
}

/* ACCEPT nick[,nick...] | -nick | *: maintain the caller-ID accept list. */
static void cmd_accept(hv_user *u, int argc, char **argv, void *arg)
{
    if (argc < 1 || !argv[0][0] || strcmp(argv[0], "*") == 0) {
        accept_list(u);
        return;
    }
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", argv[0]);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "*") == 0) {
            accept_list(u);
            continue;
        }
        bool remove = t[0] == '-';
        const char *nick = remove ? t + 1 : t;
        hv_user *o = *nick ? hv_user_find(nick) : NULL;
        if (!o) {
            hv_send_numeric(u, ERR_NOSUCHNICK, "%.32s :No such nick/channel", nick);
            continue;
        }
        if (remove) {
            if (accept_del(u, o) != 0)
                hv_send_numeric(u, ERR_ACCEPTNOT, "%s :is not on your accept list", hv_user_nick(o));
            else
                hv_send_server_notice(u, "%s can no longer send you private messages while you are +g.",
                                      hv_user_nick(o));
            continue;
        }
        int rc = accept_add(u, o);
        if (rc > 0)
            hv_send_numeric(u, ERR_ACCEPTEXIST, "%s :is already on your accept list", hv_user_nick(o));
        else if (rc < 0)
            hv_send_numeric(u, ERR_ACCEPTFULL, ":Accept list is full");
        else
            hv_send_server_notice(u, "%s can now send you private messages.", hv_user_nick(o));
    }
}

/* Was `from` announced to r within the last minute? Records it if not. */
static bool recently_noted(struct rec *r, const char *from)
{
    time_t now = time(NULL);
    size_t oldest = 0;
    for (size_t i = 0; i < r->nnotes; i++) {
        if (strcmp(r->notes[i].from, from) == 0) {
            if (now - r->notes[i].when < NOTIFY_SECONDS)
                return true;
            r->notes[i].when = now;
            return false;
        }
        if (r->notes[i].when < r->notes[oldest].when)
            oldest = i;
    }
    size_t i = r->nnotes < NOTES_MAX ? r->nnotes++ : oldest;
    snprintf(r->notes[i].from, UIDBUF, "%s", from);
    r->notes[i].when = now;
    return false;
}

/* Keep a stranger's first message to r (one per sender, bounded). */
static bool hold(struct rec *r, const char *from, const char *text)
{
    for (size_t i = 0; i < r->nheld; i++)
        if (strcmp(r->held[i].from, from) == 0)
            return false;
    if (r->nheld == HELD_MAX)
        return false;
    char *copy = strdup(text);
    if (!copy)
        return false;
    struct held *h = &r->held[r->nheld++];
    snprintf(h->from, UIDBUF, "%s", from);
    h->when = time(NULL);
    h->text = copy;
    return true;
}

/* Caller-ID for a PRIVMSG/NOTICE to a user: a +g recipient only hears from
 * people they accepted and staff; strangers get 716 (and, once a minute,
 * 717), the recipient 718 and a notice, and the first PRIVMSG is held. */
enum hv_verdict anon_callerid(struct hv_event *ev)
{
    hv_user *from = ev->user, *to = ev->target;
    bool privmsg = strcmp(ev->command, "PRIVMSG") == 0;
    if (privmsg && hv_user_has_umode(from, 'g'))
        anon_auto_accept(from, to);
    if (!hv_user_has_umode(to, 'g') || hv_user_is_oper(from) || anon_accepted(to, from))
        return HV_PASS;
    /* A stranger's TAGMSG (typing, reactions) is dropped without a word. */
    if (strcmp(ev->command, "TAGMSG") == 0)
        return HV_BLOCK;

    /* NOTICE never gets error replies (RFC 2812), so only PRIVMSG hears back. */
    const char *tnick = hv_user_nick(to), *fnick = hv_user_nick(from);
    if (privmsg)
        hv_send_numeric(from, ERR_TARGUMODEG, "%s :is in +g mode (server-side ignore).", tnick);
    struct rec *r = rec_get(hv_user_uid(to), true);
    bool held = privmsg && hold(r, hv_user_uid(from), ev->text);
    if (!recently_noted(r, hv_user_uid(from))) {
        char mask[200];
        hv_user_mask(from, mask, sizeof mask);
        const char *uh = strchr(mask, '!');
        if (privmsg)
            hv_send_numeric(from, RPL_TARGNOTIFY, "%s :has been informed that you messaged them.", tnick);
        hv_send_numeric(to, RPL_UMODEGMSG, "%s %s :is messaging you, and you have umode +g.", fnick,
                        uh ? uh + 1 : mask);
        hv_send_server_notice(to, "%s would like to talk with you privately. To accept, type: /quote ACCEPT %s "
                              "(to ignore them, do nothing).%s", fnick, fnick,
                              held ? " Their first message will be shown if you accept within 5 minutes." : "");
    }
    if (held)
        hv_send_server_notice(from, "%s only receives private messages from people they have accepted. They "
                              "have been told you would like to talk; your first message is kept for 5 minutes "
                              "and delivered if they accept you.", tnick);
    return HV_BLOCK;
}

/* Remove every trace of uid from record r (accepts, held, notes). */
static void rec_scrub(struct rec *r, const char *uid)
{
    long i = accept_index(r, uid);
    if (i >= 0) {
        memmove(r->accept[i], r->accept[i + 1], (r->naccept - (size_t)i - 1) * sizeof *r->accept);
        r->naccept--;
    }
    for (size_t k = 0; k < r->nheld;)
        if (strcmp(r->held[k].from, uid) == 0)
            held_remove(r, k);
        else
            k++;
    for (size_t k = 0; k < r->nnotes;)
        if (strcmp(r->notes[k].from, uid) == 0)
            r->notes[k] = r->notes[--r->nnotes];
        else
            k++;
}

/* A user quits: drop their record and every trace of them in others'. */
void anon_forget(const hv_user *u)
{
    const char *uid = hv_user_uid(u);
    unsigned b = bucket_of(uid);
    for (struct rec **pp = &table[b]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->uid, uid) == 0) {
            struct rec *r = *pp;
            *pp = r->next;
            rec_free(r);
            break;
        }
    for (unsigned k = 0; k < NBUCKETS; k++) {
        for (struct rec *r = table[k]; r; r = r->next)
            rec_scrub(r, uid);
        rec_prune(k);
    }
}

/* Every half minute: drop held messages and notes that have expired. */
static void sweep(void *arg)
{
    time_t now = time(NULL);
    for (unsigned b = 0; b < NBUCKETS; b++) {
        for (struct rec *r = table[b]; r; r = r->next) {
            for (size_t k = 0; k < r->nheld;)
                if (now - r->held[k].when >= HOLD_SECONDS)
                    held_remove(r, k);
                else
                    k++;
            for (size_t k = 0; k < r->nnotes;)
                if (now - r->notes[k].when >= NOTIFY_SECONDS)
                    r->notes[k] = r->notes[--r->nnotes];
                else
                    k++;
        }
        rec_prune(b);
    }
}

/* Register ACCEPT and the sweep timer (the +g mode is registered by init). */
void anon_accept_start(hv_module *self)
{
    hv_command_add(self, "ACCEPT", 0, cmd_accept, NULL,
                   "ACCEPT <nick>[,<nick>...] | ACCEPT -<nick> | ACCEPT *\n"
                   "While you have user mode +g, only people on your accept list (and staff) can send you\n"
                   "private messages; others are told you were informed, and you see who wanted to talk.\n"
                   "ACCEPT <nick> adds someone (and shows you their held first message), ACCEPT -<nick>\n"
                   "removes them, ACCEPT * lists your accept list. People you message are accepted\n"
                   "automatically. Turn it off with /mode <yournick> -g.");
    hv_timer_add(self, SWEEP_SECONDS, true, sweep, NULL);
}

/* Free everything (module unload). */
void anon_accept_stop(void)
{
    for (unsigned b = 0; b < NBUCKETS; b++)
        while (table[b]) {
            struct rec *r = table[b];
            table[b] = r->next;
            rec_free(r);
        }
}
