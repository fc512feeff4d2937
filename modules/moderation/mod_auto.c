/* mod_auto.c — the per-message path and automatic moderation: mutes, slow
 * mode, phrase filters, links from new connections, repeat / flood / mass
 * mention detection, join-flood protection and the staff channel's door.
 *
 * This runs for every channel and private message, so it is kept cheap:
 * one hash lookup for the person and one for the room, the text normalized
 * and hashed once, the filters matched in one automaton pass, constant-time
 * ring checks, and no allocation (a person's record is made once per
 * connection, a room's once per channel). Staff and services are never
 * moderated automatically.
 *
 * The hooks run at priority 300, after the crisis module's detection: a
 * person who is muted or flooding still gets its caring reply when they
 * write that they are in danger; only then is the message held back. */
#include "moderation.h"

#include <stdio.h>
#include <string.h>

/* Milliseconds on the monotonic clock. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ mutes */

/* Tell a muted person why their message did not go (ev->reason). */
static enum hv_verdict refuse_muted(struct hv_event *ev, const struct mute *m)
{
    char until[64], left[32];
    snprintf(ev->reason, sizeof ev->reason, "You are muted until %s (%s left): %.100s. Your message was not "
             "sent. You can still read, and message staff privately.",
             mod_fmt_time(m->until, until, sizeof until), mod_fmt_dur((long)(m->until - time(NULL)), left, sizeof left),
             m->reason);
    return HV_BLOCK;
}

/* Mute an online person (replacing any mute they had), tell them why and
 * until when, and audit it. */
struct mute *mod_mute_user(hv_user *u, long secs, const char *reason, const char *setter, const char *actor)
{
    const char *uid = hv_user_uid(u);
    for (size_t i = 0; i < G.nmutes; i++) {
        if (strcmp(G.mutes[i].uid, uid) == 0) {
            mod_mute_del(i);
            break;
        }
    }
    struct mute *m = mod_mute_add(hv_user_ban_token(u), uid, hv_user_nick(u), secs, reason, setter);
    char until[64], dur[32];
    mod_fmt_time(m->until, until, sizeof until);
    mod_fmt_dur(secs, dur, sizeof dur);
    hv_service_notice(G.svc, hv_user_nick(u), "You have been muted by the moderators for %s (until %s): %s. "
                      "You can still read the rooms, and you can message staff privately.", dur, until, m->reason);
    mod_audit("%s muted %s for %s (until %s): %s", actor ? actor : "Automatic moderation", m->nick, dur, until,
              m->reason);
    return m;
}

/* ------------------------------------------------------------ checks */

/* Does the text carry a link: a scheme, "www.", or a "name.tld/" path? */
static bool has_link(const char *t)
{
    for (const char *p = t; *p; p++) {
        if (p[0] == ':' && p[1] == '/' && p[2] == '/')
            return true;
        if ((p == t || p[-1] == ' ') && (p[0] | 32) == 'w' && (p[1] | 32) == 'w' && (p[2] | 32) == 'w' && p[3] == '.')
            return true;
        if (p[0] == '.' && p != t && p[-1] != ' ') {
            size_t k = 1;
            while (((p[k] | 32) >= 'a' && (p[k] | 32) <= 'z'))
                k++;
            if (k >= 3 && p[k] == '/')
                return true;
        }
    }
    return false;
}

/* How many distinct members of ch (other than u) the text names. */
static int mentions(const char *text, hv_channel *ch, hv_user *u, int need)
{
    int words = 1;
    for (const char *p = text; *p; p++)
        words += *p == ' ';
    if (words < need)
        return 0;
    char buf[MOD_TEXT_MAX];
    snprintf(buf, sizeof buf, "%s", text);
    hv_user *seen[100];
    int n = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w && n < need && n < 100; w = strtok_r(NULL, " ", &save)) {
        while (*w == '@')
            w++;
        size_t len = strlen(w);
        while (len && strchr(":,.;!?", w[len - 1]))
            w[--len] = '\0';
        hv_user *m = len ? hv_user_find(w) : NULL;
        if (!m || m == u || !hv_channel_has_member(ch, m))
            continue;
        bool dup = false;
        for (int i = 0; i < n; i++)
            dup = dup || seen[i] == m;
        if (!dup)
            seen[n++] = m;
    }
    return n;
}

/* Repeat / rate / mention detection; a reason when u is flooding. */
static const char *flood_check(struct person *p, struct hv_event *ev, const char *norm, size_t nlen, uint64_t h)
{
    const struct mod_conf *c = &G.conf;
    const char *why = NULL;
    if (c->messages) {
        int64_t t = now_ms();
        p->rate_ms[p->rate_next] = t;
        p->rate_next = (p->rate_next + 1) % MOD_RATE_RING;
        int64_t old = p->rate_ms[(p->rate_next + MOD_RATE_RING - (unsigned)c->messages) % MOD_RATE_RING];
        if (old && t - old < (int64_t)c->window * 1000)
            why = "sending many messages very quickly";
    }
    size_t letters = 0;
    for (size_t i = 0; i < nlen; i++)
        letters += norm[i] != ' ';
    if (!why && c->repeat && letters >= 8) {
        time_t now = time(NULL);
        int same = 1;
        for (unsigned i = 0; i < MOD_REPEAT_RING; i++)
            same += p->rep_hash[i] == h && p->rep_time[i] >= now - c->repeat_window;
        p->rep_hash[p->rep_next] = h;
        p->rep_time[p->rep_next] = now;
        p->rep_next = (p->rep_next + 1) % MOD_REPEAT_RING;
        if (same >= c->repeat)
            why = "repeating the same message";
    }
    if (!why && c->mentions && ev->channel && mentions(ev->text, ev->channel, ev->user, c->mentions) >= c->mentions)
        why = "mentioning many people at once";
    if (why) {
        memset(p->rep_hash, 0, sizeof p->rep_hash);
        memset(p->rate_ms, 0, sizeof p->rate_ms);
    }
    return why;
}

/* Slow mode: may p speak in r now? Records the time when it may. */
static long slow_wait(struct person *p, const struct room *r, time_t now)
{
    size_t oldest = 0;
    for (size_t i = 0; i < MOD_SLOW_SLOTS; i++) {
        if (p->slow[i].room == r) {
            if (p->slow[i].last + r->slow > now)
                return (long)(p->slow[i].last + r->slow - now);
            p->slow[i].last = now;
            return 0;
        }
        if (p->slow[i].last < p->slow[oldest].last)
            oldest = i;
    }
    p->slow[oldest].room = r;
    p->slow[oldest].last = now;
    return 0;
}

struct scan_ctx {
    const char *chan;               /* NULL: a private message */
    char fold[MOD_CHAN_MAX + 1];
};

/* Does filter i apply where this message goes? */
static bool filter_applies(size_t i, void *arg)
{
    struct scan_ctx *x = arg;
    const struct mod_filter *f = G.all[i];
    if (!x->chan)
        return f->private_too;
    if (!f->channels.n)
        return true;
    if (!x->fold[0])
        hv_casefold(x->fold, x->chan, sizeof x->fold);
    return mod_names_has(&f->channels, x->fold);
}

/* A filter's name for staff: "3" (runtime) or "c2" (config). */
static const char *filter_name(size_t i, char *buf, size_t len)
{
    if (G.all[i]->id)
        snprintf(buf, len, "%u", G.all[i]->id);
    else
        snprintf(buf, len, "c%zu", i + 1);
    return buf;
}

/* "in #chan" or "in a private message to nick", for staff (built only when
 * something is reported, not for every message). */
static const char *where_of(const struct hv_event *ev, char *buf, size_t len)
{
    if (ev->channel)
        snprintf(buf, len, "in %s", hv_channel_name(ev->channel));
    else
        snprintf(buf, len, "in a private message to %s", ev->target ? hv_user_nick(ev->target) : "?");
    return buf;
}

/* Run the filters; HV_BLOCK (reason set) for a blocking match. chan: the
 * channel's name, NULL for a private message. */
static enum hv_verdict run_filters(struct hv_event *ev, const char *norm, size_t nlen, const char *chan)
{
    if (!G.nall)
        return HV_PASS;
    struct scan_ctx x = { chan, "" };
    int flag;
    int blk = mod_matcher_scan(G.matcher, norm, nlen, filter_applies, &x, &flag);
    if (blk < 0 && flag < 0)
        return HV_PASS;
    char name[24], where[MOD_NICK_MAX + MOD_CHAN_MAX + 32];
    where_of(ev, where, sizeof where);
    if (blk >= 0) {
        G.n_blocked++;
        mod_audit("Filter %s (\"%s\") blocked a message from %s %s", filter_name((size_t)blk, name, sizeof name),
                  G.all[blk]->phrase, hv_user_nick(ev->user), where);
        snprintf(ev->reason, sizeof ev->reason, "%s", G.conf.filter_notice);
        return HV_BLOCK;
    }
    if (flag >= 0) {
        G.n_flagged++;
        mod_audit("Flag: a message from %s %s matched filter %s (\"%s\")", hv_user_nick(ev->user), where,
                  filter_name((size_t)flag, name, sizeof name), G.all[flag]->phrase);
    }
    return HV_PASS;
}

/* Links from people connected for less than links.min_age. */
static enum hv_verdict check_link(struct hv_event *ev, const struct person *p, time_t now)
{
    long age = (long)(now - p->signon), need = G.conf.link_min_age;
    if (!need || age >= need || !has_link(ev->text))
        return HV_PASS;
    char left[32], where[MOD_NICK_MAX + MOD_CHAN_MAX + 32];
    where_of(ev, where, sizeof where);
    snprintf(ev->reason, sizeof ev->reason, "Links can be shared once you have been connected for a little "
             "while (about %s more). Your message was not sent.", mod_fmt_dur(need - age, left, sizeof left));
    mod_audit("Blocked a link from %s %s (connected %lds ago)", hv_user_nick(ev->user), where, age);
    return HV_BLOCK;
}

/* ------------------------------------------------------------ message hooks */

/* TAGMSG (typing notifications, reactions) carries no text: a muted
 * person's are dropped silently, nothing else applies to them. */
static bool is_tagmsg(const struct hv_event *ev)
{
    return ev->command && strcmp(ev->command, "TAGMSG") == 0;
}

/* Every channel message: mutes, slow mode, filters, links, flood; a
 * delivered one is remembered for reports. */
enum hv_verdict mod_on_channel_message(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    if (!G.svc || !ev->channel || hv_user_is_service(u))
        return HV_PASS;
    struct room *r = mod_room(ev->channel);
    if (mod_staff_privs(u, NULL)) {
        if (!is_tagmsg(ev))
            mod_room_remember(r, u, ev->msgid, ev->text);
        return HV_PASS;
    }
    struct person *p = mod_person(u);
    const struct mute *m = mod_mute_of(u, p);
    if (is_tagmsg(ev))
        return m ? HV_BLOCK : HV_PASS;
    if (m)
        return refuse_muted(ev, m);
    time_t now = time(NULL);
    if (r->slow && !hv_channel_is_op(ev->channel, u)) {
        long wait = slow_wait(p, r, now);
        if (wait > 0) {
            snprintf(ev->reason, sizeof ev->reason, "%s is in slow mode: one message every %d seconds. You can "
                     "send your next message in %ld second%s.", r->name, r->slow, wait, wait == 1 ? "" : "s");
            return HV_BLOCK;
        }
    }
    char norm[MOD_TEXT_MAX + 8];
    uint64_t h = 0;
    size_t nlen = 0;
    if (G.nall || (G.conf.repeat && !r->no_flood))
        nlen = mod_normalize(ev->text, norm, sizeof norm, &h);
    if (run_filters(ev, norm, nlen, r->name) == HV_BLOCK)
        return HV_BLOCK;
    if (!r->no_links && check_link(ev, p, now) == HV_BLOCK)
        return HV_BLOCK;
    const char *why = r->no_flood ? NULL : flood_check(p, ev, norm, nlen, h);
    if (why) {
        char reason[160];
        snprintf(reason, sizeof reason, "%s in %s", why, r->name);
        G.n_auto_mutes++;
        m = mod_mute_user(u, G.conf.flood_mute, reason, "auto", NULL);
        return refuse_muted(ev, m);
    }
    mod_room_remember(r, u, ev->msgid, ev->text);
    return HV_PASS;
}

/* Private messages between users: mutes, private filters and links. */
enum hv_verdict mod_on_private_message(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user, *to = ev->target;
    /* Services are always reachable (REPORT, crisis help), and so is staff. */
    if (!G.svc || !to || hv_user_is_service(u) || hv_user_is_service(to) || mod_staff_privs(u, NULL) ||
        mod_staff_privs(to, NULL) || hv_user_is_oper(to))
        return HV_PASS;
    struct person *p = mod_person(u);
    const struct mute *m = mod_mute_of(u, p);
    if (is_tagmsg(ev))
        return m ? HV_BLOCK : HV_PASS;
    if (m)
        return refuse_muted(ev, m);
    if (G.nall) {
        char norm[MOD_TEXT_MAX + 8];
        size_t nlen = mod_normalize(ev->text, norm, sizeof norm, NULL);
        if (run_filters(ev, norm, nlen, NULL) == HV_BLOCK)
            return HV_BLOCK;
    }
    return check_link(ev, p, time(NULL));
}

/* ------------------------------------------------------------ joins */

/* Is name (any case) the staff channel? */
static bool is_staff_channel(const char *name)
{
    char a[MOD_CHAN_MAX + 1], b[MOD_CHAN_MAX + 1];
    hv_casefold(a, name, sizeof a);
    hv_casefold(b, G.conf.staff_channel, sizeof b);
    return strcmp(a, b) == 0;
}

/* The staff channel admits staff and operators only; a room closed after
 * a join flood admits only staff. */
enum hv_verdict mod_on_join_check(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    if (!G.svc || hv_user_is_service(u))
        return HV_PASS;
    bool staff = mod_staff_privs(u, NULL) != 0;
    if (ev->text && is_staff_channel(ev->text)) {
        if (staff || hv_user_is_oper(u))
            return HV_PASS;
        snprintf(ev->reason, sizeof ev->reason, "only staff can join %s; to reach staff, type /msg %s REPORT "
                 "<nick> <what happened>", G.conf.staff_channel, G.conf.service_nick);
        return HV_BLOCK;
    }
    struct room *r = ev->channel ? mod_room_find(ev->channel) : NULL;
    time_t now = time(NULL);
    if (r && r->jf_until > now && !staff) {
        snprintf(ev->reason, sizeof ev->reason, "%s is closed to new arrivals for a short while after a rush of "
                 "joins; please try again in about %ld seconds", r->name, (long)(r->jf_until - now));
        return HV_BLOCK;
    }
    return HV_PASS;
}

/* Staff get +o (staff_op) or, in a locked room, +v; everyone else's join
 * counts towards join-flood protection. */
enum hv_verdict mod_on_joined(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    hv_channel *ch = ev->channel;
    if (!G.svc || !ch || hv_user_is_service(u))
        return HV_PASS;
    if (mod_staff_privs(u, NULL)) {
        struct room *r = mod_room_find(ch);
        if (G.conf.staff_op && !hv_channel_is_op(ch, u))
            hv_channel_set_mode(ch, "+o", hv_user_nick(u));
        else if (r && r->locked && !hv_channel_is_op(ch, u))
            hv_channel_set_mode(ch, "+v", hv_user_nick(u));
        return HV_PASS;
    }
    if (!G.conf.jf_joins || is_staff_channel(hv_channel_name(ch)))
        return HV_PASS;
    struct room *r = mod_room(ch);
    if (r->no_jf)
        return HV_PASS;
    time_t now = time(NULL);
    r->joins[r->join_next] = now;
    r->join_next = (r->join_next + 1) % MOD_JOIN_RING;
    time_t old = r->joins[(r->join_next + MOD_JOIN_RING - (unsigned)G.conf.jf_joins) % MOD_JOIN_RING];
    if (old && now - old < G.conf.jf_window && r->jf_until <= now) {
        r->jf_until = now + G.conf.jf_lock;
        memset(r->joins, 0, sizeof r->joins);
        mod_audit("Join flood in %s (%d joins within %d seconds): closed to new arrivals for %d seconds "
                  "(staff can still join)", r->name, G.conf.jf_joins, G.conf.jf_window, G.conf.jf_lock);
    }
    return HV_PASS;
}
