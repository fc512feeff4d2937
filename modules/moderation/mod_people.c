/* mod_people.c — the module's in-memory records: people (by UID), rooms
 * (by channel handle), recent channel messages, recent departures, mutes
 * and bans; and the small time and text helpers the commands share.
 *
 * Nothing here is written anywhere but the state file (bans, see
 * mod_state.c). Message text lives in a room's ring for report_history
 * seconds at most and is wiped when it expires. */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ hashing */

/* FNV-1a of a string, for the people table. */
static size_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

/* A channel handle's bucket. */
static size_t ptr_hash(const void *p)
{
    uint64_t v = (uint64_t)(uintptr_t)p;
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    return (size_t)v;
}

/* Double a chained table's buckets; key() gives an entry's hash. */
#define REHASH(TYPE, TABLE, NB, HASHOF)                                                             \
    do {                                                                                            \
        size_t nb2 = (NB) ? (NB) * 2 : 256;                                                         \
        TYPE **t2 = calloc(nb2, sizeof *t2);                                                        \
        if (!t2)                                                                                    \
            abort();                                                                                \
        for (size_t b = 0; b < (NB); b++) {                                                         \
            TYPE *e = (TABLE)[b];                                                                   \
            while (e) {                                                                             \
                TYPE *n = e->next;                                                                  \
                size_t k = HASHOF(e) & (nb2 - 1);                                                   \
                e->next = t2[k];                                                                    \
                t2[k] = e;                                                                          \
                e = n;                                                                              \
            }                                                                                       \
        }                                                                                           \
        free(TABLE);                                                                                \
        (TABLE) = t2;                                                                               \
        (NB) = nb2;                                                                                 \
    } while (0)

#define PERSON_HASH(e) str_hash((e)->uid)
#define ROOM_HASH(e) ptr_hash((e)->ch)

/* ------------------------------------------------------------ people */

/* u's record, made on first use (once per connection, not per message). */
struct person *mod_person(hv_user *u)
{
    const char *uid = hv_user_uid(u);
    if (G.npeople_buckets) {
        for (struct person *p = G.people[str_hash(uid) & (G.npeople_buckets - 1)]; p; p = p->next)
            if (strcmp(p->uid, uid) == 0)
                return p;
    }
    if (G.npeople >= G.npeople_buckets)
        REHASH(struct person, G.people, G.npeople_buckets, PERSON_HASH);
    struct person *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    snprintf(p->uid, sizeof p->uid, "%s", uid);
    snprintf(p->token, sizeof p->token, "%s", hv_user_ban_token(u));
    p->signon = hv_user_signon(u);
    p->mute_gen = G.mutes_gen - 1;
    p->mute_idx = -1;
    size_t b = str_hash(uid) & (G.npeople_buckets - 1);
    p->next = G.people[b];
    G.people[b] = p;
    G.npeople++;
    return p;
}

/* Forget a person (they quit). */
void mod_person_drop(const char *uid)
{
    if (!G.npeople_buckets)
        return;
    for (struct person **pp = &G.people[str_hash(uid) & (G.npeople_buckets - 1)]; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->uid, uid) == 0) {
            struct person *p = *pp;
            *pp = p->next;
            free(p);
            G.npeople--;
            return;
        }
    }
}

/* ------------------------------------------------------------ rooms */

/* Apply the exempt_channels lists to a room. */
void mod_room_exemptions(struct room *r)
{
    char fold[MOD_CHAN_MAX + 1];
    hv_casefold(fold, r->name, sizeof fold);
    r->no_links = mod_names_has(&G.conf.link_exempt, fold);
    r->no_flood = mod_names_has(&G.conf.flood_exempt, fold);
    r->no_jf = mod_names_has(&G.conf.jf_exempt, fold);
}

/* Wipe and free a room's message ring. */
static void room_forget_messages(struct room *r)
{
    if (r->hist) {
        memset(r->hist, 0, MOD_HISTORY_MAX * sizeof *r->hist);
        free(r->hist);
    }
    r->hist = NULL;
    r->hist_next = r->hist_count = 0;
}

/* ch's record if it has one (never creates). */
struct room *mod_room_find(const hv_channel *ch)
{
    if (!G.nroom_buckets)
        return NULL;
    for (struct room *r = G.rooms[ptr_hash(ch) & (G.nroom_buckets - 1)]; r; r = r->next) {
        if (r->ch != ch)
            continue;
        /* The handle may be a new channel at an old address: then start afresh. */
        if (strcmp(r->name, hv_channel_name(ch)) != 0) {
            room_forget_messages(r);
            const hv_channel *keep = r->ch;
            struct room *next = r->next;
            memset(r, 0, sizeof *r);
            r->ch = keep;
            r->next = next;
            snprintf(r->name, sizeof r->name, "%s", hv_channel_name(ch));
            mod_room_exemptions(r);
        }
        return r;
    }
    return NULL;
}

/* ch's record, made on first use. */
struct room *mod_room(const hv_channel *ch)
{
    struct room *r = mod_room_find(ch);
    if (r)
        return r;
    if (G.nrooms >= G.nroom_buckets)
        REHASH(struct room, G.rooms, G.nroom_buckets, ROOM_HASH);
    r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->ch = ch;
    snprintf(r->name, sizeof r->name, "%s", hv_channel_name(ch));
    mod_room_exemptions(r);
    size_t b = ptr_hash(ch) & (G.nroom_buckets - 1);
    r->next = G.rooms[b];
    G.rooms[b] = r;
    G.nrooms++;
    return r;
}

/* Copy a string, cut to fit (cheaper than snprintf on the message path). */
static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Keep a delivered channel message for reports (report_history > 0). */
void mod_room_remember(struct room *r, hv_user *u, const char *msgid, const char *text)
{
    if (!G.conf.report_history)
        return;
    if (!r->hist && !(r->hist = calloc(MOD_HISTORY_MAX, sizeof *r->hist)))
        return;
    struct said *s = &r->hist[r->hist_next];
    static uint64_t seq;
    copy(s->uid, sizeof s->uid, hv_user_uid(u));
    copy(s->nick, sizeof s->nick, hv_user_nick(u));
    copy(s->msgid, sizeof s->msgid, msgid ? msgid : "");
    copy(s->text, sizeof s->text, text);
    s->when = time(NULL);
    s->seq = ++seq;
    r->hist_next = (r->hist_next + 1) % MOD_HISTORY_MAX;
    if (r->hist_count < MOD_HISTORY_MAX)
        r->hist_count++;
}

/* Expire old messages (wiped), and drop rooms that hold nothing and whose
 * channel is gone or that are idle. */
void mod_records_sweep(time_t now)
{
    time_t cutoff = now - G.conf.report_history;
    for (size_t b = 0; b < G.nroom_buckets; b++) {
        struct room **pp = &G.rooms[b];
        while (*pp) {
            struct room *r = *pp;
            /* The oldest entries are the expired ones. */
            while (r->hist && r->hist_count) {
                struct said *s = &r->hist[(r->hist_next + MOD_HISTORY_MAX - r->hist_count) % MOD_HISTORY_MAX];
                if (s->when >= cutoff && G.conf.report_history)
                    break;
                memset(s, 0, sizeof *s);
                r->hist_count--;
            }
            if (r->hist && !r->hist_count)
                room_forget_messages(r);
            const hv_channel *ch = hv_channel_find(r->name);
            bool gone = ch != r->ch;
            bool idle = !r->hist && !r->slow && !r->locked && r->jf_until <= now &&
                        (!r->join_next || r->joins[(r->join_next + MOD_JOIN_RING - 1) % MOD_JOIN_RING] <
                                              now - G.conf.jf_window);
            if (gone || idle) {
                *pp = r->next;
                room_forget_messages(r);
                free(r);
                G.nrooms--;
            } else {
                pp = &r->next;
            }
        }
    }
    /* Departures are only remembered as long as messages are. */
    for (size_t i = 0; i < sizeof G.departed / sizeof G.departed[0]; i++)
        if (G.departed[i].when && G.departed[i].when < now - (G.conf.report_history > 600 ? G.conf.report_history : 600))
            memset(&G.departed[i], 0, sizeof G.departed[i]);
}

/* Free every person, room, mute and ban (module unload). */
void mod_records_free(void)
{
    for (size_t b = 0; b < G.npeople_buckets; b++) {
        while (G.people[b]) {
            struct person *p = G.people[b];
            G.people[b] = p->next;
            free(p);
        }
    }
    free(G.people);
    G.people = NULL;
    G.npeople_buckets = G.npeople = 0;
    for (size_t b = 0; b < G.nroom_buckets; b++) {
        while (G.rooms[b]) {
            struct room *r = G.rooms[b];
            G.rooms[b] = r->next;
            room_forget_messages(r);
            free(r);
        }
    }
    free(G.rooms);
    G.rooms = NULL;
    G.nroom_buckets = G.nrooms = 0;
    for (size_t i = 0; i < G.nmutes; i++)
        free(G.mutes[i].spared);
    free(G.mutes);
    G.mutes = NULL;
    G.nmutes = 0;
    free(G.bans);
    G.bans = NULL;
    G.nbans = 0;
}

/* ------------------------------------------------------------ departures */

/* Remember someone who just left (nick, UID, token), in a small ring. */
void mod_departed_add(hv_user *u)
{
    const char *token = hv_user_ban_token(u);
    if (!token || !*token)
        return;
    struct departed *d = &G.departed[G.departed_next];
    G.departed_next = (G.departed_next + 1) % (sizeof G.departed / sizeof G.departed[0]);
    snprintf(d->nick, sizeof d->nick, "%s", hv_user_nick(u));
    snprintf(d->uid, sizeof d->uid, "%s", hv_user_uid(u));
    snprintf(d->token, sizeof d->token, "%s", token);
    d->when = time(NULL);
}

/* The latest departure under nick (any case), or NULL. */
const struct departed *mod_departed_find(const char *nick)
{
    char want[MOD_NICK_MAX + 1], have[MOD_NICK_MAX + 1];
    hv_casefold(want, nick, sizeof want);
    const struct departed *best = NULL;
    for (size_t i = 0; i < sizeof G.departed / sizeof G.departed[0]; i++) {
        const struct departed *d = &G.departed[i];
        if (!d->when)
            continue;
        hv_casefold(have, d->nick, sizeof have);
        if (strcmp(want, have) == 0 && (!best || d->when >= best->when))
            best = d;
    }
    return best;
}

/* ------------------------------------------------------------ mutes */

/* Is uid among the people a mute spares? */
static bool spared(const struct mute *m, const char *uid)
{
    for (size_t i = 0; i < m->nspared; i++)
        if (strcmp(m->spared[i], uid) == 0)
            return true;
    return false;
}

/* The mute covering u (see struct mute), cached per person until the mute
 * list changes. */
const struct mute *mod_mute_of(hv_user *u, struct person *p)
{
    if (!G.nmutes)
        return NULL;
    if (p->mute_gen != G.mutes_gen) {
        p->mute_gen = G.mutes_gen;
        p->mute_idx = -1;
        for (size_t i = 0; i < G.nmutes; i++) {
            const struct mute *m = &G.mutes[i];
            if (strcmp(m->uid, p->uid) == 0 || (strcmp(m->token, p->token) == 0 && !spared(m, p->uid))) {
                p->mute_idx = (long)i;
                break;
            }
        }
    }
    if (p->mute_idx < 0)
        return NULL;
    const struct mute *m = &G.mutes[p->mute_idx];
    return m->until > time(NULL) ? m : NULL;
}

/* Note someone online with the mute's token, other than its target. */
static void spare_one(hv_user *u, void *arg)
{
    struct mute *m = arg;
    if (strcmp(hv_user_ban_token(u), m->token) != 0 || strcmp(hv_user_uid(u), m->uid) == 0)
        return;
    char (*v)[MOD_UID_MAX + 1] = realloc(m->spared, (m->nspared + 1) * sizeof *v);
    if (!v)
        abort();
    m->spared = v;
    snprintf(m->spared[m->nspared++], sizeof *v, "%s", hv_user_uid(u));
}

/* Add a mute; people online with the same token now are spared. */
struct mute *mod_mute_add(const char *token, const char *uid, const char *nick, long secs, const char *reason,
                          const char *setter)
{
    struct mute *v = realloc(G.mutes, (G.nmutes + 1) * sizeof *v);
    if (!v)
        abort();
    G.mutes = v;
    struct mute *m = &G.mutes[G.nmutes++];
    memset(m, 0, sizeof *m);
    m->id = ++G.next_mute;
    snprintf(m->token, sizeof m->token, "%s", token);
    snprintf(m->uid, sizeof m->uid, "%s", uid);
    snprintf(m->nick, sizeof m->nick, "%s", nick);
    m->set_at = time(NULL);
    m->until = m->set_at + secs;
    snprintf(m->reason, sizeof m->reason, "%s", reason && *reason ? reason : "no reason given");
    snprintf(m->setter, sizeof m->setter, "%s", setter);
    hv_user_foreach(spare_one, m);
    G.mutes_gen++;
    return m;
}

/* Remove mute i (order is not kept). */
void mod_mute_del(size_t i)
{
    if (i >= G.nmutes)
        return;
    free(G.mutes[i].spared);
    G.mutes[i] = G.mutes[--G.nmutes];
    G.mutes_gen++;
}

/* ------------------------------------------------------------ bans */

/* The ban in force on a token, or NULL. */
struct ban *mod_ban_find_token(const char *token)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < G.nbans; i++)
        if (strcmp(G.bans[i].token, token) == 0 && (!G.bans[i].expires || G.bans[i].expires > now))
            return &G.bans[i];
    return NULL;
}

struct enforce {
    const struct ban *b;
    char reason[400];
    int n;
};

/* One user: disconnect if they carry the token and are not staff. */
static void enforce_one(hv_user *u, void *arg)
{
    struct enforce *e = arg;
    if (hv_user_is_service(u) || strcmp(hv_user_ban_token(u), e->b->token) != 0 || mod_staff_privs(u, NULL))
        return;
    hv_user_disconnect(u, e->reason);
    e->n++;
}

/* Disconnect everyone (not staff) carrying b's token; how many. */
int mod_ban_enforce(const struct ban *b)
{
    struct enforce e = { b, "", 0 };
    char until[64];
    snprintf(e.reason, sizeof e.reason, "Banned: %s (until %s)", b->reason, mod_fmt_time(b->expires, until, sizeof until));
    hv_user_foreach(enforce_one, &e);
    return e.n;
}

/* ------------------------------------------------------------ helpers */

/* A time for people: UTC, to the second. */
const char *mod_fmt_time(time_t t, char *buf, size_t len)
{
    if (!t) {
        snprintf(buf, len, "never (permanent)");
        return buf;
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

/* A duration for people: "1h30m". */
const char *mod_fmt_dur(long secs, char *buf, size_t len)
{
    static const struct { long s; char c; } units[] = { { 604800, 'w' }, { 86400, 'd' }, { 3600, 'h' },
                                                        { 60, 'm' }, { 1, 's' } };
    size_t n = 0;
    buf[0] = '\0';
    if (secs <= 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0] && n + 1 < len; i++) {
        if (secs >= units[i].s) {
            n += (size_t)snprintf(buf + n, len - n, "%ld%c", secs / units[i].s, units[i].c);
            secs %= units[i].s;
        }
    }
    return buf;
}

/* A duration staff typed; see moderation.h. */
long mod_parse_dur(const char *s, bool allow_perm)
{
    if (!strcasecmp(s, "perm") || !strcasecmp(s, "permanent") || !strcmp(s, "0"))
        return allow_perm ? 0 : -1;
    long total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        if (*p < '0' || *p > '9')
            return -1;
        long v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (*p++ - '0');
            if (v > 100000000)
                return -1;
        }
        long unit = 60;                  /* a bare number is minutes */
        switch (*p) {
        case 's': case 'S': unit = 1; p++; break;
        case 'm': case 'M': unit = 60; p++; break;
        case 'h': case 'H': unit = 3600; p++; break;
        case 'd': case 'D': unit = 86400; p++; break;
        case 'w': case 'W': unit = 604800; p++; break;
        case '\0': if (p != s && total) return -1; break;   /* "1h30" is ambiguous */
        default: return -1;
        }
        total += v * unit;
        if (total > 10L * 365 * 86400)
            return -1;
    }
    return total > 0 ? total : -1;
}

/* Does s look like a ban token (16 lower-case hex digits)? */
bool mod_is_token(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    return n == MOD_TOKEN_MAX;
}

/* The words argv[from..] joined by single spaces. */
const char *mod_join_args(int argc, char **argv, int from, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = from; i < argc && n + 1 < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i > from ? " " : "", argv[i]);
    if (n >= len)
        n = len - 1;
    buf[n] = '\0';
    return buf;
}

/* Text with control characters (CTCP, colours) turned into spaces. */
const char *mod_clean(const char *in, char *buf, size_t len)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && n + 1 < len; p++)
        buf[n++] = *p < ' ' || *p == 0x7f ? ' ' : (char)*p;
    buf[n] = '\0';
    return buf;
}
