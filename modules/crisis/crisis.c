/* crisis.c — the crisis module: the right helpline, privately, the moment
 * someone needs it.
 *
 * Peer support is not crisis care. This module's service bot (nick
 * configurable, "Crisis" by default) points people at real help:
 * - /msg Crisis RESOURCES [country] [topic], REGIONS, REGION [code], HELP;
 *   in any channel, !help, !crisis and !resources get a private reply;
 * - channel messages (and messages to services, and private messages
 *   between users when scan_private is on) are matched against configured
 *   urgent and concern phrases. A match sends the person a short, caring
 *   NOTICE with their region's helplines (at most once per interval) and
 *   alerts the staff channel with their nick and where it happened, so a
 *   volunteer can reach out. Nothing is ever said in the channel, and the
 *   message itself is never blocked.
 * A person's region is what they chose with REGION (never guessed from
 * their address), kept in memory by UID until they quit. Nothing a person
 * types, no nick and no region is ever logged; only counts are.
 *
 * What the service says: crisis_reply.c; config: crisis_conf.c; directory:
 * crisis_dir.c; matching: crisis_norm.c and crisis_match.c. */
#include "crisis_mod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PEOPLE_BUCKETS 512
/* Before other modules' filters: someone in crisis gets the helplines even
 * when a filter (slow mode, a mute, link blocking) then refuses the message.
 * Detection never blocks or rewrites, so running first changes nothing else. */
#define HOOK_PRIORITY (-100)

hv_service *crisis_svc;
struct loaded crisis_cur;
static struct person *people[PEOPLE_BUCKETS];
static unsigned long n_urgent, n_concern, n_alerts;
/* Did this module create the staff channel? Only then does it set its modes
 * and unpin it when done: a channel that already existed (the moderation
 * module's staff channel, say) is shared, and left as its owner keeps it. */
static bool staff_made;

/* ------------------------------------------------------------ people */

/* The bucket of a UID (FNV-1a). */
static unsigned uid_bucket(const char *uid)
{
    uint32_t h = 2166136261u;
    for (; *uid; uid++)
        h = (h ^ (unsigned char)*uid) * 16777619u;
    return h % PEOPLE_BUCKETS;
}

/* A person's record, created on demand (create) or NULL. */
struct person *crisis_person(const char *uid, bool create)
{
    struct person **pp = &people[uid_bucket(uid)];
    for (struct person *p = *pp; p; p = p->next)
        if (strcmp(p->uid, uid) == 0)
            return p;
    if (!create)
        return NULL;
    struct person *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    snprintf(p->uid, sizeof p->uid, "%s", uid);
    p->next = *pp;
    *pp = p;
    return p;
}

/* Forget a person (they quit). */
static void person_drop(const char *uid)
{
    for (struct person **pp = &people[uid_bucket(uid)]; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->uid, uid) == 0) {
            struct person *p = *pp;
            *pp = p->next;
            free(p);
            return;
        }
}

/* Forget everyone (unload). */
static void people_clear(void)
{
    for (size_t i = 0; i < PEOPLE_BUCKETS; i++)
        while (people[i]) {
            struct person *p = people[i];
            people[i] = p->next;
            free(p);
        }
}

/* Seconds on the monotonic clock (rate limits must not jump with the date). */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ detection */

/* Make sure the staff channel exists (made operators-only and secret when
 * this module creates it) with the service in it. false when alerts are off
 * or it cannot be made. */
static bool staff_ensure(void)
{
    if (!crisis_svc || !crisis_cur.conf.staff_channel[0])
        return false;
    hv_channel *ch = hv_channel_find(crisis_cur.conf.staff_channel);
    if (!ch) {
        if (!(ch = hv_channel_create(crisis_cur.conf.staff_channel, true)))
            return false;
        hv_channel_set_mode(ch, "+Osnt", NULL);
        staff_made = true;
    }
    hv_user *su = hv_service_user(crisis_svc);
    if (!hv_channel_has_member(ch, su))
        hv_force_join(su, ch);
    return true;
}

/* Copy text for a staff alert: no control characters (no CTCP, no
 * formatting), at most max - 1 bytes, never ending inside a UTF-8 sequence. */
static void clean_text(char *dst, size_t max, const char *src)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)src;
    for (; *p && n + 1 < max; p++)
        if (*p >= 0x20 && *p != 0x7F)
            dst[n++] = (char)*p;
    if (*p) {
        size_t k = n;
        while (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0x80)
            k--;
        if (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0xC0) {
            unsigned char lead = (unsigned char)dst[k - 1];
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (n - (k - 1) < need)
                n = k - 1;
        }
    }
    dst[n] = '\0';
}

/* Tell the staff channel: who, where, how serious; the topic and the
 * words only when alert_text is on. Never an address. */
static void send_alert(hv_user *u, const struct crisis_hit *hit, const char *where, const char *text)
{
    char extra[400] = "";
    if (crisis_cur.conf.alert_text) {
        char words[260];
        clean_text(words, sizeof words, text);
        snprintf(extra, sizeof extra, "%s%s%s They wrote: \"%s\"", hit->topic >= 0 ? " Topic: " : "",
                 hit->topic >= 0 ? crisis_topic_label(hit->topic) : "", hit->topic >= 0 ? "." : "", words);
    }
    if (hit->level == CK_URGENT)
        hv_service_privmsg(crisis_svc, crisis_cur.conf.staff_channel, "URGENT: %s may be in crisis (in %s). They "
                           "were sent "
                           "helplines privately. If you can, reach out to them with a kind private message.%s",
                           hv_user_nick(u), where, extra);
    else
        hv_service_privmsg(crisis_svc, crisis_cur.conf.staff_channel, "Concern: %s may be struggling (in %s). They "
                           "were sent "
                           "helplines privately. Consider checking in with them privately.%s",
                           hv_user_nick(u), where, extra);
    n_alerts++;
}

/* A phrase matched what u wrote in `where`: notice and alert, unless they
 * had one within the interval (a more serious match still gets through).
 * Returns true when the notice was sent. */
static bool detected(hv_user *u, const struct crisis_hit *hit, const char *where, const char *text)
{
    struct person *p = crisis_person(hv_user_uid(u), true);
    double now = now_s();
    int interval = crisis_cur.conf.interval;
    if (p->last > 0 && interval > 0 && now - p->last < interval && hit->level <= p->last_level)
        return false;
    p->last = now;
    p->last_level = hit->level;
    bool alert = staff_ensure();
    crisis_send_notice(u, hit, alert);
    if (alert)
        send_alert(u, hit, where, text);
    if (hit->level == CK_URGENT)
        n_urgent++;
    else
        n_concern++;
    return true;
}

/* ------------------------------------------------------------ hooks */

/* rfc1459 case-insensitive equality of two channel names (the server keeps
 * them to 64 bytes, so the buffers hold them whole). */
static bool same_name(const char *a, const char *b)
{
    char fa[128], fb[128];
    hv_casefold(fa, a, sizeof fa);
    hv_casefold(fb, b, sizeof fb);
    return strcmp(fa, fb) == 0;
}

/* "!help", "!crisis" (1) or "!resources ..." (2, args copied), else 0. */
static int channel_trigger(const char *text, char *args, size_t len)
{
    if (text[0] != '!')
        return 0;
    size_t n = strcspn(text + 1, " ");
    const char *rest = text + 1 + n;
    while (*rest == ' ')
        rest++;
    snprintf(args, len, "%s", rest);
    if ((n == 4 && !strncasecmp(text + 1, "help", 4)) || (n == 6 && !strncasecmp(text + 1, "crisis", 6)))
        return 1;
    if (n == 9 && !strncasecmp(text + 1, "resources", 9))
        return 2;
    return 0;
}

/* Answer a trigger privately: !resources with its filter, else quick help. */
static void answer_trigger(hv_user *u, int which, char *args)
{
    if (which == 1) {
        crisis_quick_help(u);
        return;
    }
    char *argv[8];
    int argc = 0;
    for (char *save = NULL, *w = strtok_r(args, " ", &save); w && argc < 8; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    crisis_resources_reply(u, argc, argv);
}

/* A channel message: triggers and phrases, answered privately. Never
 * blocks: the message reaches the channel as the person wrote it. */
static enum hv_verdict on_channel_message(struct hv_event *ev, void *arg)
{
    (void)arg;
    if (!crisis_svc || !ev->channel || hv_user_is_service(ev->user))
        return HV_PASS;
    char args[200];
    int trig = crisis_cur.conf.channel_commands && strcmp(ev->command, "PRIVMSG") == 0 ?
               channel_trigger(ev->text, args, sizeof args) : 0;
    struct crisis_hit hit;
    int level = crisis_match(crisis_cur.m, ev->text, &hit);
    if (!trig && level == CK_NONE)
        return HV_PASS;
    const char *name = hv_channel_name(ev->channel);
    if (crisis_cur.conf.staff_channel[0] && same_name(name, crisis_cur.conf.staff_channel))
        return HV_PASS;                     /* staff talking about alerts */
    if (level != CK_NONE && detected(ev->user, &hit, name, ev->text))
        return HV_PASS;                     /* the notice has the helplines */
    if (trig)
        answer_trigger(ev->user, trig, args);
    return HV_PASS;
}

/* A message to this service that is not one of its commands: answered
 * here (caringly when it matched) and kept from the command dispatcher. */
static enum hv_verdict to_service(struct hv_event *ev)
{
    bool privmsg = strcmp(ev->command, "PRIVMSG") == 0;
    const char *text = ev->text;
    if (text[0] == '\1' && strncmp(text, "\1ACTION ", 8) != 0)
        return HV_PASS;                     /* CTCP: the service ignores it */
    size_t n = strcspn(text, " ");
    if (privmsg && ((n == 9 && !strncasecmp(text, "RESOURCES", 9)) ||
                    (n == 7 && !strncasecmp(text, "REGIONS", 7)) || (n == 6 && !strncasecmp(text, "REGION", 6))))
        return HV_PASS;
    if (privmsg && n == 4 && !strncasecmp(text, "HELP", 4)) {
        if (!text[4] || !text[4 + strspn(text + 4, " ")])
            crisis_help_intro(ev->user);
        return HV_PASS;
    }
    char where[80], args[200];
    snprintf(where, sizeof where, "a private message to %s", crisis_cur.conf.service_nick);
    struct crisis_hit hit;
    int trig;
    if (crisis_match(crisis_cur.m, text, &hit) != CK_NONE) {
        if (!detected(ev->user, &hit, where, text) && privmsg)
            crisis_not_a_command(ev->user, true);
    } else if (privmsg && (trig = channel_trigger(text, args, sizeof args))) {
        answer_trigger(ev->user, trig, args);
    } else if (privmsg) {
        crisis_not_a_command(ev->user, false);
    }
    return privmsg ? HV_BLOCK : HV_PASS;    /* blocked without a reason: silently handled */
}

/* A private message: to this service, to another service, or (only with
 * scan_private) between people. */
static enum hv_verdict on_private_message(struct hv_event *ev, void *arg)
{
    (void)arg;
    if (!crisis_svc || !ev->target || hv_user_is_service(ev->user))
        return HV_PASS;
    if (ev->target == hv_service_user(crisis_svc))
        return to_service(ev);
    bool to_service_user = hv_user_is_service(ev->target);
    if (!to_service_user && !crisis_cur.conf.scan_private)
        return HV_PASS;
    struct crisis_hit hit;
    if (crisis_match(crisis_cur.m, ev->text, &hit) == CK_NONE)
        return HV_PASS;
    char where[80];
    if (to_service_user)
        snprintf(where, sizeof where, "a message to %s", hv_user_nick(ev->target));
    else
        snprintf(where, sizeof where, "a private message");
    detected(ev->user, &hit, where, ev->text);
    return HV_PASS;
}

/* A person quit: forget their region and rate limit. */
static enum hv_verdict on_quit(struct hv_event *ev, void *arg)
{
    (void)arg;
    person_drop(hv_user_uid(ev->user));
    return HV_PASS;
}

/* ------------------------------------------------------------ loading */

/* Parse the config, load the directory, check the default region and build
 * the automaton (phrases plus every resource name and number as a guard). */
static int load_all(const config_setting_t *conf, struct loaded *next, char *err, size_t errlen)
{
    memset(next, 0, sizeof *next);
    if (crisis_conf_parse(conf, hv_config_dir(), &next->conf, err, errlen) != 0)
        return -1;
    if (crisis_dir_load(next->conf.directory, &next->dir, err, errlen) != 0) {
        crisis_conf_free(&next->conf);
        return -1;
    }
    const char *dr = next->conf.default_region;
    if (dr[0] && !crisis_dir_find(&next->dir, dr)) {
        const config_setting_t *s = conf ? config_setting_get_member(conf, "default_region") : NULL;
        snprintf(err, errlen, "%s:%u: crisis.default_region: \"%s\" is not a region in %s",
                 s && config_setting_source_file(s) ? config_setting_source_file(s) : "(default)",
                 s ? config_setting_source_line(s) : 0, dr, next->conf.directory);
        goto fail;
    }
    size_t cap = next->conf.nphrases + 2 * (next->dir.intl.nsv + 1);
    for (size_t i = 0; i < next->dir.n; i++)
        cap += 2 * next->dir.v[i].nsv;
    struct crisis_phrase *v = calloc(cap, sizeof *v);
    if (!v)
        abort();
    size_t n = next->conf.nphrases;
    memcpy(v, next->conf.phrases, n * sizeof *v);
    for (size_t i = 0; i <= next->dir.n; i++) {
        const struct crisis_region *r = i < next->dir.n ? &next->dir.v[i] : &next->dir.intl;
        for (size_t k = 0; k < r->nsv; k++) {
            const char *g[2] = { r->sv[k].name, r->sv[k].phone };
            for (int j = 0; j < 2; j++) {
                char norm[CRISIS_NORM_MAX];
                size_t len = g[j] ? crisis_normalize(g[j], strlen(g[j]), norm, sizeof norm, 0, NULL) : 0;
                if (len >= 4)               /* " xy ": two characters or more */
                    v[n++] = (struct crisis_phrase){ g[j], CK_GUARD, CRISIS_NO_TOPIC };
            }
        }
    }
    char why[300];
    next->m = crisis_matcher_build(v, n, why, sizeof why);
    free(v);
    if (!next->m) {
        snprintf(err, errlen, "crisis: %s", why);
        goto fail;
    }
    return 0;
fail:
    crisis_dir_free(&next->dir);
    crisis_conf_free(&next->conf);
    return -1;
}

/* Free what a load built. */
static void loaded_free(struct loaded *l)
{
    crisis_matcher_free(l->m);
    crisis_dir_free(&l->dir);
    crisis_conf_free(&l->conf);
    memset(l, 0, sizeof *l);
}

/* Find the staff channel, or create it pinned, operators-only and secret
 * (+Osnt); *made says which. An existing one keeps its modes (another
 * module, such as moderation, may own it). NULL with a reason when the
 * server refuses the name. */
static hv_channel *staff_create(const char *name, bool *made, char *err, size_t errlen)
{
    hv_channel *ch = hv_channel_find(name);
    if ((*made = !ch)) {
        if (!(ch = hv_channel_create(name, true))) {
            snprintf(err, errlen, "crisis.staff_channel: the server does not accept \"%s\" as a channel name "
                     "(too long for its channellen?)", name);
            return NULL;
        }
        hv_channel_set_mode(ch, "+Osnt", NULL);
    }
    return ch;
}

/* Leave the old staff channel: the service parts, and the channel is
 * unpinned if this module made it (it goes when the last person leaves). */
static void staff_leave(const char *name)
{
    hv_channel *ch = name[0] ? hv_channel_find(name) : NULL;
    if (ch && crisis_svc && hv_channel_has_member(ch, hv_service_user(crisis_svc)))
        hv_force_part(hv_service_user(crisis_svc), ch, "Staff alerts moved");
    if (staff_made && (ch = hv_channel_find(name)))
        hv_channel_set_permanent(ch, false);
    staff_made = false;
}

/* Start: load everything, make the staff channel and the service, hook in. */
static int crisis_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct loaded next;
    if (load_all(conf, &next, err, errlen) != 0)
        return -1;
    bool made = false;
    hv_channel *staff = NULL;
    if (next.conf.staff_channel[0] && !(staff = staff_create(next.conf.staff_channel, &made, err, errlen))) {
        loaded_free(&next);
        return -1;
    }
    crisis_svc = hv_service_new(self, next.conf.service_nick,
                                "Points you to crisis helplines, privately: /msg me HELP");
    if (!crisis_svc) {
        snprintf(err, errlen, "crisis.service_nick: the nick \"%s\" is already in use", next.conf.service_nick);
        if (staff && made && hv_channel_member_count(staff) == 0)
            hv_channel_set_permanent(staff, false);
        loaded_free(&next);
        return -1;
    }
    crisis_cur = next;
    staff_made = made;
    char topics[300], help[700];
    snprintf(help, sizeof help, "RESOURCES [country] [topic]\n"
             "Shows free, confidential helplines for your country (see REGION), or for the one you name.\n"
             "Examples: RESOURCES, RESOURCES GB, RESOURCES domestic abuse, RESOURCES IE eating disorders\n"
             "Topics: %s", crisis_topic_list(topics, sizeof topics));
    hv_service_command(crisis_svc, "RESOURCES", 0, crisis_cmd_resources, NULL, help);
    hv_service_command(crisis_svc, "REGIONS", 0, crisis_cmd_regions, NULL,
                       "REGIONS\nLists the countries I have helplines for.");
    hv_service_command(crisis_svc, "REGION", 0, crisis_cmd_region, NULL,
                       "REGION [code | NONE]\n"
                       "Shows or sets the country whose helplines you get, for example REGION GB.\n"
                       "It is never guessed from your connection, is kept only in memory while you are "
                       "connected, and is never shown to anyone.");
    hv_hook_add(self, HV_HOOK_CHANNEL_MESSAGE, HOOK_PRIORITY, on_channel_message, NULL);
    hv_hook_add(self, HV_HOOK_PRIVATE_MESSAGE, HOOK_PRIORITY, on_private_message, NULL);
    hv_hook_add(self, HV_HOOK_QUIT, HOOK_PRIORITY, on_quit, NULL);
    staff_ensure();
    hv_log(self, HV_LOG_INFO, "%zu regions, %zu phrases, %zu automaton states, alerts %s", crisis_cur.dir.n,
           crisis_cur.conf.nphrases, crisis_matcher_states(crisis_cur.m),
           crisis_cur.conf.staff_channel[0] ? "on" : "off");
    return 0;
}

/* REHASH: build everything first; on any problem keep the old state. */
static int crisis_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct loaded next;
    if (load_all(conf, &next, err, errlen) != 0)
        return -1;
    if (strcmp(next.conf.service_nick, crisis_cur.conf.service_nick) != 0) {
        snprintf(err, errlen, "crisis.service_nick: cannot change from \"%s\" to \"%s\" while running; restart "
                 "havend (or REHASH once without \"crisis\" in modules, then once with it)",
                 crisis_cur.conf.service_nick, next.conf.service_nick);
        loaded_free(&next);
        return -1;
    }
    bool moved = !same_name(next.conf.staff_channel, crisis_cur.conf.staff_channel), made = false;
    if (moved && next.conf.staff_channel[0] && !staff_create(next.conf.staff_channel, &made, err, errlen)) {
        loaded_free(&next);
        return -1;
    }
    if (moved) {
        staff_leave(crisis_cur.conf.staff_channel);
        staff_made = made;
    }
    loaded_free(&crisis_cur);
    crisis_cur = next;
    staff_ensure();
    hv_log(self, HV_LOG_INFO, "reloaded: %zu regions, %zu phrases; since start %lu urgent and %lu concern "
           "notices, %lu staff alerts", crisis_cur.dir.n, crisis_cur.conf.nphrases, n_urgent, n_concern, n_alerts);
    return 0;
}

/* Unload: a staff channel this module made becomes an ordinary channel
 * again (it goes when the last person leaves); everything in memory is
 * forgotten. Hooks, commands and the service are removed by the server. */
static void crisis_shutdown(hv_module *self)
{
    hv_log(self, HV_LOG_INFO, "since start: %lu urgent and %lu concern notices, %lu staff alerts", n_urgent,
           n_concern, n_alerts);
    hv_channel *ch = staff_made && crisis_cur.conf.staff_channel[0] ? hv_channel_find(crisis_cur.conf.staff_channel)
                                                                    : NULL;
    if (ch)
        hv_channel_set_permanent(ch, false);
    staff_made = false;
    people_clear();
    loaded_free(&crisis_cur);
    crisis_svc = NULL;
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "crisis",
    .version = "1.0",
    .description = "Crisis resources: the right helpline, privately, the moment someone needs it",
    .init = crisis_init,
    .reload = crisis_reload,
    .shutdown = crisis_shutdown,
});
