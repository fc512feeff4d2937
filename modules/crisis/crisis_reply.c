/* crisis_reply.c — everything the crisis service says to a person: the
 * caring notice after a match, RESOURCES, REGIONS, REGION, the channel
 * commands and HELP's introduction. Every reply is a private NOTICE.
 *
 * Wording matters here: short, warm, never shaming; it says what the bot is
 * (automated), that only the person can see it, and how to reach people. */
#include "crisis_mod.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_WRAP 380               /* bytes of text per NOTICE line */
#define NOTICE_SERVICES 3           /* services in a detection notice */

/* Send text as NOTICEs from the service, one per line, long lines wrapped
 * at spaces (never inside a UTF-8 sequence) so each fits an IRC line. */
void crisis_say(const char *to, const char *text)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        const char *end = p + n;
        while (p < end) {
            size_t len = (size_t)(end - p);
            if (len > LINE_WRAP) {
                size_t sp = LINE_WRAP;
                while (sp > LINE_WRAP / 2 && p[sp] != ' ')
                    sp--;
                len = p[sp] == ' ' ? sp : LINE_WRAP;
                while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80)
                    len--;
            }
            hv_service_notice(crisis_svc, to, "%.*s", (int)len, p);
            p += len;
            while (p < end && *p == ' ')
                p++;
        }
        p = *end ? end + 1 : end;
    }
}

/* crisis_say() with printf formatting. */
void crisis_sayf(const char *to, const char *fmt, ...)
{
    char buf[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    crisis_say(to, buf);
}

/* One service, indented, as a line of its own. */
static void say_service(const char *to, const struct crisis_service *s)
{
    char line[800];
    crisis_service_line(s, line, sizeof line);
    crisis_sayf(to, "  %s", line);
}

/* The emergency line, for a region or the international fallback. */
static void say_emergency(const char *to, const struct crisis_region *r)
{
    crisis_sayf(to, "  If you are in danger right now, please call %s.",
                r ? r->emergency : crisis_cur.dir.intl.emergency);
}

/* Add to out[*n] (up to max) the services of r carrying any wanted topic,
 * topic by topic in order of preference; every service when nwant is 0. */
static void pick(const struct crisis_region *r, const int *want, size_t nwant, const struct crisis_service **out,
                 size_t *n, size_t max)
{
    for (size_t w = 0; w < (nwant ? nwant : 1); w++)
        for (size_t i = 0; r && i < r->nsv && *n < max; i++) {
            const struct crisis_service *s = &r->sv[i];
            bool dup = false;
            for (size_t k = 0; k < *n && !dup; k++)
                dup = out[k] == s;
            if (!dup && (!nwant || (want[w] >= 0 && (s->topics & (1u << want[w])))))
                out[(*n)++] = s;
        }
}

/* The region whose helplines u gets: their choice, else the default
 * (NULL when there is none). *chosen says which. */
const struct crisis_region *crisis_region_for(const hv_user *u, bool *chosen)
{
    const struct person *p = crisis_person(hv_user_uid(u), false);
    const struct crisis_region *r = p && p->region[0] ? crisis_dir_find(&crisis_cur.dir, p->region) : NULL;
    *chosen = r != NULL;
    return r ? r : crisis_dir_find(&crisis_cur.dir, crisis_cur.conf.default_region);
}

/* The closing line: whose helplines these were and how to change that. */
static void say_footer(const char *to, const struct crisis_region *r, bool chosen)
{
    const char *nick = crisis_cur.conf.service_nick;
    if (chosen)
        crisis_sayf(to, "These are for %s. Only you can see this. /msg %s RESOURCES shows more; /msg %s REGION "
                    "changes your country.", r->country, nick, nick);
    else if (r)
        crisis_sayf(to, "These are for %s (this network's default) and international. Only you can see this. Tell me "
                    "your country with /msg %s REGION <code> (for example REGION GB); /msg %s REGIONS lists them.",
                    r->country, nick, nick);
    else
        crisis_sayf(to, "These are international. Only you can see this. Tell me your country with /msg %s REGION "
                    "<code> for local helplines; /msg %s REGIONS lists them.", nick, nick);
}

/* The caring notice: who we are, the emergency number, a few helplines for
 * what was said (topic first), and how to get more. */
void crisis_send_notice(hv_user *u, const struct crisis_hit *hit, bool alerted)
{
    const char *to = hv_user_nick(u);
    bool chosen, urgent = hit->level == CK_URGENT;
    const struct crisis_region *r = crisis_region_for(u, &chosen);
    int want[3];
    size_t nwant = 0, n = 0;
    if (hit->topic >= 0)
        want[nwant++] = hit->topic;
    want[nwant++] = urgent ? CT_SUICIDE : CT_MENTAL_HEALTH;
    want[nwant++] = urgent ? CT_MENTAL_HEALTH : CT_SUICIDE;
    const struct crisis_service *list[NOTICE_SERVICES + 2];
    pick(r, want, nwant, list, &n, NOTICE_SERVICES);
    if (!chosen || n == 0)                  /* international ones too */
        pick(&crisis_cur.dir.intl, want, nwant, list, &n, n + (r && n ? 1 : NOTICE_SERVICES));
    if (urgent)
        crisis_sayf(to, "%s, I'm %s, an automated helper, and only you can see this. It sounds like you're going "
                    "through something really painful. You deserve support right now, and you don't have to face "
                    "this alone - trained people are ready to listen, free and in confidence:", to,
                    crisis_cur.conf.service_nick);
    else
        crisis_sayf(to, "%s, I'm %s, an automated helper, and only you can see this. It sounds like things might be "
                    "heavy at the moment. If talking to someone trained would help, these are free and confidential:",
                    to, crisis_cur.conf.service_nick);
    if (urgent)
        say_emergency(to, r);
    for (size_t i = 0; i < n; i++)
        say_service(to, list[i]);
    if (!urgent)
        say_emergency(to, r);
    say_footer(to, r, chosen);
    if (alerted)
        crisis_say(to, "Someone from the support team may also message you privately to check in - it's okay to "
                   "say you'd rather not talk.");
}

/* Read args as [country] [topic] in either order, words joined ("eating
 * disorders", "new zealand"). false with the unknown words in bad. */
static bool parse_filter(int argc, char **argv, const struct crisis_region **r, int *topic, char *bad,
                         size_t badlen)
{
    char all[200] = "", rest[200];
    *r = NULL;
    *topic = CRISIS_NO_TOPIC;
    if (argc <= 0)
        return true;
    for (int i = 0; i < argc; i++)
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? " " : "", argv[i]);
    snprintf(bad, badlen, "%s", all);
    if ((*r = crisis_dir_find(&crisis_cur.dir, all)) || (*topic = crisis_topic_find(all)) >= 0)
        return true;
    for (int first = 1; first >= 0; first--) {  /* the country first, then last */
        const char *word = argv[first ? 0 : argc - 1];
        const struct crisis_region *cand = crisis_dir_find(&crisis_cur.dir, word);
        if (!cand || argc < 2)
            continue;
        rest[0] = '\0';
        for (int i = first ? 1 : 0; i < (first ? argc : argc - 1); i++)
            snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s%s", rest[0] ? " " : "", argv[i]);
        if ((*topic = crisis_topic_find(rest)) >= 0) {
            *r = cand;
            return true;
        }
        snprintf(bad, badlen, "%s", rest);
    }
    return false;
}

/* RESOURCES [country] [topic] (also !resources): the helplines, filtered. */
void crisis_resources_reply(hv_user *u, int argc, char **argv)
{
    const char *to = hv_user_nick(u);
    const char *nick = crisis_cur.conf.service_nick;
    const struct crisis_region *asked;
    int topic;
    char bad[200], list[300];
    if (!parse_filter(argc, argv, &asked, &topic, bad, sizeof bad)) {
        crisis_sayf(to, "I don't know \"%.60s\" as a country or a topic. /msg %s REGIONS lists the countries; "
                    "the topics "
                    "are: %s.", bad, nick, crisis_topic_list(list, sizeof list));
        return;
    }
    bool chosen;
    const struct crisis_region *mine = crisis_region_for(u, &chosen), *r = asked ? asked : mine;
    const struct crisis_service *sv[64];
    size_t n = 0;
    pick(r, &topic, topic >= 0 ? 1 : 0, sv, &n, 64);
    if (topic >= 0)
        crisis_sayf(to, "Help with %s in %s - free, confidential, and only you can see this:",
                    crisis_topic_label(topic),
                    r ? r->country : crisis_cur.dir.intl.country);
    else
        crisis_sayf(to, "Help in %s - free, confidential, and only you can see this:",
                    r ? r->country : crisis_cur.dir.intl.country);
    say_emergency(to, r);
    bool none = r && n == 0 && topic >= 0;
    if (none) {
        crisis_sayf(to, "  I don't have a service for %s listed for %s - these can still help:",
                    crisis_topic_label(topic), r->country);
        int general[2] = { CT_SUICIDE, CT_MENTAL_HEALTH };
        pick(r, general, 2, sv, &n, 3);
    }
    for (size_t i = 0; i < n; i++)
        say_service(to, sv[i]);
    if (!r || (!asked && !chosen) || none || n == 0) {      /* international ones too */
        size_t k = n;
        pick(&crisis_cur.dir.intl, &topic, topic >= 0 ? 1 : 0, sv, &n, 64);
        if (n == k)
            pick(&crisis_cur.dir.intl, NULL, 0, sv, &n, 64);
        for (size_t i = k; i < n; i++)
            say_service(to, sv[i]);
    }
    if (!asked && !chosen)
        say_footer(to, r, false);
    else if (topic < 0)
        crisis_sayf(to, "For one topic, add it: /msg %s RESOURCES %s <topic>, e.g. RESOURCES %s domestic-abuse.", nick,
                    r ? r->code : "", r ? r->code : "");
}

/* !help and !crisis: the emergency number and the main lines, short. */
void crisis_quick_help(hv_user *u)
{
    const char *to = hv_user_nick(u);
    bool chosen;
    const struct crisis_region *r = crisis_region_for(u, &chosen);
    const struct crisis_service *sv[NOTICE_SERVICES + 2];
    size_t n = 0;
    int want[2] = { CT_SUICIDE, CT_MENTAL_HEALTH };
    pick(r, want, 2, sv, &n, NOTICE_SERVICES);
    if (!chosen || n == 0)
        pick(&crisis_cur.dir.intl, want, 2, sv, &n, n + (r && n ? 1 : NOTICE_SERVICES));
    crisis_sayf(to, "%s, here is where to find help right now. It's free and confidential, and only you can see this:",
                to);
    say_emergency(to, r);
    for (size_t i = 0; i < n; i++)
        say_service(to, sv[i]);
    say_footer(to, r, chosen);
    crisis_sayf(to, "For something specific: /msg %s RESOURCES <topic>, for example RESOURCES domestic abuse.",
                crisis_cur.conf.service_nick);
}

/* Service command RESOURCES. */
void crisis_cmd_resources(hv_service *s, hv_user *from, int argc, char **argv, void *arg)
{
    (void)s, (void)arg;
    crisis_resources_reply(from, argc - 1, argv + 1);
}

/* Service command REGIONS: every country, with its code. */
void crisis_cmd_regions(hv_service *s, hv_user *from, int argc, char **argv, void *arg)
{
    (void)s, (void)argc, (void)argv, (void)arg;
    const char *to = hv_user_nick(from);
    crisis_sayf(to, "I have helplines for these countries. Choose yours with /msg %s REGION <code>:",
                crisis_cur.conf.service_nick);
    char buf[4096];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < crisis_cur.dir.n && n + 100 < sizeof buf; i++) {
        const struct crisis_region *r = &crisis_cur.dir.v[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s %s", i ? ", " : "  ", r->code, r->country);
        if (r->naliases)
            n += (size_t)snprintf(buf + n, sizeof buf - n, " (or %s)", r->aliases[0]);
    }
    crisis_say(to, buf);
    crisis_sayf(to, "Anywhere else: /msg %s RESOURCES shows international services.", crisis_cur.conf.service_nick);
}

/* Service command REGION [code]: show, set or forget the person's region. */
void crisis_cmd_region(hv_service *s, hv_user *from, int argc, char **argv, void *arg)
{
    (void)s, (void)arg;
    const char *to = hv_user_nick(from), *nick = crisis_cur.conf.service_nick;
    bool chosen;
    const struct crisis_region *r = crisis_region_for(from, &chosen);
    if (argc < 2) {
        if (chosen)
            crisis_sayf(to, "Your region is %s (%s). Change it with /msg %s REGION <code>, or forget it with "
                        "REGION NONE.", r->code, r->country, nick);
        else
            crisis_sayf(to, "You haven't chosen a region, so I show %s%s international services. Choose yours "
                        "with /msg %s REGION <code>, for example REGION GB (/msg %s REGIONS lists them). It is "
                        "never guessed from your connection, kept only in memory while you're connected, and never "
                        "shown to anyone.", r ? r->country : "", r ? " (this network's default) and" : "", nick, nick);
        return;
    }
    char want[120] = "";
    for (int i = 1; i < argc; i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i > 1 ? " " : "", argv[i]);
    if (!strcasecmp(want, "none") || !strcasecmp(want, "clear") || !strcasecmp(want, "reset")) {
        struct person *p = crisis_person(hv_user_uid(from), false);
        if (p)
            p->region[0] = '\0';
        const struct crisis_region *def = crisis_dir_find(&crisis_cur.dir, crisis_cur.conf.default_region);
        crisis_sayf(to, "Okay, I've forgotten your region. You'll get %s%sinternational services.",
                    def ? def->country : "", def ? " (this network's default) and " : "");
        return;
    }
    const struct crisis_region *to_r = crisis_dir_find(&crisis_cur.dir, want);
    if (!to_r) {
        crisis_sayf(to, "I don't have helplines for \"%.40s\" yet. /msg %s REGIONS lists the countries I know; "
                    "/msg %s RESOURCES always includes international services.", want, nick, nick);
        return;
    }
    struct person *p = crisis_person(hv_user_uid(from), true);
    memcpy(p->region, to_r->code, sizeof p->region);
    crisis_sayf(to, "Thanks - from now on I'll show you help for %s (%s). Type /msg %s RESOURCES to see it now.",
                to_r->country, to_r->code, nick);
}

/* HELP with no command: who the service is, before the command list. */
void crisis_help_intro(hv_user *u)
{
    crisis_sayf(hv_user_nick(u), "I'm %s, an automated helper. I can't chat, but I can point you - privately - "
                "to free, "
                "confidential helplines with trained people. Nothing you send me is shown to anyone. In any room you "
                "can also type !help, !crisis or !resources and I'll answer only you.", crisis_cur.conf.service_nick);
}

/* A message to the service that is no command: kind words and a pointer to
 * RESOURCES, with the emergency number. again: it matched a phrase but the
 * helplines were sent moments ago. */
void crisis_not_a_command(hv_user *u, bool again)
{
    bool chosen;
    const struct crisis_region *r = crisis_region_for(u, &chosen);
    const char *emergency = r ? r->emergency : crisis_cur.dir.intl.emergency, *nick = crisis_cur.conf.service_nick;
    if (again)
        crisis_sayf(hv_user_nick(u), "I'm still here, and I'm glad you wrote. /msg %s RESOURCES shows your "
                    "helplines again. If you are in danger right now, please call %s.", nick, emergency);
    else
        crisis_sayf(hv_user_nick(u), "I'm an automated helper, so I can't chat - but I can point you to people "
                    "who can. /msg %s RESOURCES shows free, confidential helplines; REGION <code> sets your "
                    "country; HELP explains more. If you are in danger right now, please call %s.", nick,
                    emergency);
}
