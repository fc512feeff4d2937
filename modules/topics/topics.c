/* topics.c — the topics module: support topics mapped to channels, and a
 * guide service that helps people find the right room.
 *
 * - Each configured topic has a channel that exists from start-up, is kept
 *   with its topic (the description, so it shows in LIST) and modes while
 *   empty, and is listed in the MOTD.
 * - Nobody but staff creates other channels (create_channels = "staff"), so
 *   nobody can lure a vulnerable person into a room of their own.
 * - The guide (TOPICS, FIND <words>, JOIN <topic>) greets newcomers and
 *   sends each topic's welcome text privately to whoever joins its channel.
 *
 * Config parsing lives in topics_conf.c, matching in topics_find.c. Nothing
 * a person types is logged. */
#include "topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_WRAP 380               /* bytes of text per NOTICE line */
#define FIND_MAX 3                  /* suggestions per FIND */

static hv_module *self_mod;
static hv_service *guide;
static struct topics_conf cur;      /* the configuration in force */

/* ------------------------------------------------------------ helpers */

/* The topic whose channel is ch, or NULL. Channels are compared by handle,
 * so the server's own casemapping decides what "the same name" is. */
static const struct topic *topic_of_channel(const hv_channel *ch)
{
    for (size_t i = 0; i < cur.n; i++)
        if (hv_channel_find(cur.v[i].channel) == ch)
            return &cur.v[i];
    return NULL;
}

/* The topic a person means by `word`: its name (loosely, "Self Harm" finds
 * self-harm) or its channel. */
static const struct topic *topic_lookup(const char *word)
{
    hv_channel *ch = word[0] == '#' ? hv_channel_find(word) : NULL;
    for (size_t i = 0; i < cur.n; i++) {
        const struct topic *t = &cur.v[i];
        if (ch ? hv_channel_find(t->channel) == ch : topics_name_matches(t, word))
            return t;
    }
    return NULL;
}

/* Send text as NOTICEs from the guide: one per line, long lines wrapped at
 * spaces (never inside a UTF-8 sequence) so each fits an IRC line. */
static void guide_say(const char *to, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        const char *end = p + n;
        while (p < end) {
            size_t len = (size_t)(end - p);
            if (len > LINE_WRAP) {
                len = LINE_WRAP;
                size_t sp = len;
                while (sp > LINE_WRAP / 2 && p[sp] != ' ')
                    sp--;
                if (p[sp] == ' ')
                    len = sp;
                else
                    while (len > 1 && ((unsigned char)p[len] & 0xC0) == 0x80)
                        len--;
            }
            hv_service_notice(guide, to, "%.*s", (int)len, p);
            p += len;
            while (p < end && *p == ' ')
                p++;
        }
        if (n == 0)
            hv_service_notice(guide, to, " ");
        p = *end ? end + 1 : end;
    }
}

/* The "#anxiety - Worry, panic and anxious thoughts" lines, in config order,
 * for the MOTD (prefix "  ") or for TOPICS (with the name to JOIN). */
static void motd_update(void)
{
    size_t cap = 256;
    for (size_t i = 0; i < cur.n; i++)
        cap += strlen(cur.v[i].channel) + strlen(cur.v[i].description) + 8;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    size_t len = (size_t)snprintf(buf, cap, "Support rooms (type /msg %s TOPICS, or /msg %s FIND <what's on "
                                  "your mind>):", cur.guide_nick, cur.guide_nick);
    for (size_t i = 0; i < cur.n; i++)
        len += (size_t)snprintf(buf + len, cap - len, "\n  %s - %s", cur.v[i].channel, cur.v[i].description);
    hv_motd_set_extra(self_mod, buf);
    free(buf);
}

/* One topic as a TOPICS/FIND line: channel, description, how to join. */
static void say_topic(const char *to, const struct topic *t)
{
    hv_service_notice(guide, to, "  %s - %s  (/msg %s JOIN %s)", t->channel, t->description, cur.guide_nick,
                      t->name);
}

/* ------------------------------------------------------------ guide commands */

/* TOPICS: every room and what it is for. */
static void cmd_topics(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    (void)argc, (void)argv, (void)arg;
    const char *to = hv_user_nick(from);
    hv_service_notice(svc, to, "These are the rooms here. Type /msg %s JOIN <topic> to go in, or "
                      "/msg %s FIND <a few words> for a suggestion:", cur.guide_nick, cur.guide_nick);
    for (size_t i = 0; i < cur.n; i++)
        say_topic(to, &cur.v[i]);
}

/* FIND <words>: suggest the best 1-3 rooms, or all of them kindly when
 * nothing matched. The words are only used for matching. */
static void cmd_find(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    (void)arg;
    const char *to = hv_user_nick(from);
    char text[512];
    size_t len = 0;
    text[0] = '\0';
    for (int i = 1; i < argc && len + 1 < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i > 1 ? " " : "", argv[i]);
    size_t found[FIND_MAX];
    size_t n = topics_find(&cur, text, found, FIND_MAX);
    if (n == 0) {
        hv_service_notice(svc, to, "I couldn't match those words to a room, and that's okay - you're welcome "
                          "here whatever you're going through. These are the rooms:");
        for (size_t i = 0; i < cur.n; i++)
            say_topic(to, &cur.v[i]);
        return;
    }
    hv_service_notice(svc, to, n == 1 ? "This room might be a good fit:" : "These rooms might be a good fit:");
    for (size_t i = 0; i < n; i++)
        say_topic(to, &cur.v[found[i]]);
}

/* JOIN <topic>: put the person into the topic's channel (its welcome text
 * follows from the JOINED hook). A name's words are joined, so "JOIN self
 * harm" works; a channel is taken as the one word. */
static void cmd_join(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    (void)arg;
    const char *to = hv_user_nick(from);
    char want[128];
    size_t len = 0;
    want[0] = '\0';
    for (int i = 1; i < argc && len + 1 < sizeof want && (i == 1 || argv[1][0] != '#'); i++)
        len += (size_t)snprintf(want + len, sizeof want - len, "%s%s", i > 1 ? "-" : "", argv[i]);
    const struct topic *t = topic_lookup(want);
    if (!t) {
        hv_service_notice(svc, to, "There's no topic called \"%.40s\". Type /msg %s TOPICS to see them all.",
                          want, cur.guide_nick);
        return;
    }
    hv_channel *ch = hv_channel_find(t->channel);
    if (!ch) {
        hv_service_notice(svc, to, "Sorry, %s is not open right now.", t->channel);
        return;
    }
    if (hv_channel_has_member(ch, from)) {
        hv_service_notice(svc, to, "You're already in %s.", t->channel);
        return;
    }
    if (hv_force_join(from, ch) != 0)
        hv_service_notice(svc, to, "Sorry, I couldn't take you to %s. Try /join %s.", t->channel, t->channel);
}

/* ------------------------------------------------------------ hooks */

/* A newcomer gets the greeting privately, after the welcome burst. */
static enum hv_verdict on_registered(struct hv_event *ev, void *arg)
{
    (void)arg;
    if (guide && cur.greeting[0] && !hv_user_is_service(ev->user))
        guide_say(hv_user_nick(ev->user), cur.greeting);
    return HV_PASS;
}

/* Joining a topic channel: staff get +o (staff_op), everyone gets the
 * topic's welcome text privately. Services are left alone. */
static enum hv_verdict on_joined(struct hv_event *ev, void *arg)
{
    (void)arg;
    if (!guide || hv_user_is_service(ev->user))
        return HV_PASS;
    const struct topic *t = topic_of_channel(ev->channel);
    if (!t)
        return HV_PASS;
    guide_say(hv_user_nick(ev->user), t->welcome);
    if (cur.staff_op && hv_user_is_oper(ev->user) && !hv_channel_is_op(ev->channel, ev->user))
        hv_channel_set_mode(ev->channel, "+o", hv_user_nick(ev->user));
    return HV_PASS;
}

/* With create_channels = "staff", only opers may create a channel that does
 * not exist yet (ev->channel NULL, ev->text its name). */
static enum hv_verdict on_join_check(struct hv_event *ev, void *arg)
{
    (void)arg;
    if (ev->channel || !cur.staff_only_create || hv_user_is_oper(ev->user))
        return HV_PASS;
    snprintf(ev->reason, sizeof ev->reason, "only staff can create new channels; type /msg %s TOPICS to find "
             "a room", cur.guide_nick);
    return HV_BLOCK;
}

/* ------------------------------------------------------------ applying a config */

/* A setting of the config group (list[idx].key, or key when idx < 0), or
 * NULL: hv_conf_error() points errors found after parsing at its line like
 * the others. */
static const config_setting_t *setting_at(const config_setting_t *conf, const char *key, int idx)
{
    const config_setting_t *s = conf ? config_setting_get_member(conf, idx < 0 ? key : "list") : NULL;
    if (s && idx >= 0)
        s = config_setting_get_elem(s, (unsigned)idx);
    if (s && idx >= 0)
        s = config_setting_get_member(s, key);
    return s;
}

/* Is ch the channel of one of next's topics? */
static bool in_conf(const struct topics_conf *c, const hv_channel *ch)
{
    for (size_t i = 0; i < c->n; i++)
        if (hv_channel_find(c->v[i].channel) == ch)
            return true;
    return false;
}

/* Make ch carry t's modes: set t's letters, and drop the letters the old
 * config set (old) that t no longer wants. Staff-set extras stay. */
static void apply_modes(hv_channel *ch, const struct topic *t, const struct topic *old)
{
    char drop[16] = "-", add[16];
    size_t n = 1;
    for (const char *p = old ? old->modes : ""; *p && n + 1 < sizeof drop; p++)
        if (!strchr(t->modes, *p))
            drop[n++] = *p;
    drop[n] = '\0';
    snprintf(add, sizeof add, "+%s", t->modes);
    if (drop[1])
        hv_channel_set_mode(ch, drop, NULL);
    if (add[1])
        hv_channel_set_mode(ch, add, NULL);
}

/* Remove the (still empty, unpinned) channels create_channels made for
 * next, when next is not put in force after all. Frees made. */
static void uncreate_channels(const struct topics_conf *next, bool *made)
{
    for (size_t i = 0; made && i < next->n; i++) {
        hv_channel *ch = made[i] ? hv_channel_find(next->v[i].channel) : NULL;
        if (ch && hv_channel_member_count(ch) == 0)
            hv_channel_set_permanent(ch, false);
    }
    free(made);
}

/* Create every channel next needs, so a name the server refuses is found
 * before anything changes. Returns the "made by us" flags (for
 * uncreate_channels), or NULL after undoing and reporting. */
static bool *create_channels(const struct topics_conf *next, const config_setting_t *conf, char *err,
                             size_t errlen)
{
    bool *made = calloc(next->n ? next->n : 1, sizeof *made);
    if (!made)
        abort();
    for (size_t i = 0; i < next->n; i++) {
        if (hv_channel_find(next->v[i].channel))
            continue;
        if (!hv_channel_create(next->v[i].channel, false)) {
            hv_conf_error(err, errlen, setting_at(conf, "channel", (int)i), "topics.list[%zu].channel: the "
                          "server does not accept \"%s\" as a channel name (longer than limits.channellen?)", i,
                          next->v[i].channel);
            uncreate_channels(next, made);
            return NULL;
        }
        made[i] = true;
    }
    return made;
}

/* Put next in force: pin its channels with their modes and topics, unpin
 * channels of topics that were removed, move the guide, update the MOTD.
 * Cannot fail (create_channels ran first). Takes ownership of *next. */
static void commit(struct topics_conf *next)
{
    hv_user *gu = guide ? hv_service_user(guide) : NULL;
    for (size_t i = 0; i < next->n; i++) {
        const struct topic *t = &next->v[i];
        hv_channel *ch = hv_channel_find(t->channel);
        const struct topic *old = topic_of_channel(ch);   /* still the old config */
        hv_channel_set_permanent(ch, true);
        apply_modes(ch, t, old);
        const char *topic = hv_channel_topic(ch);
        /* Set the description as topic when the topic is new or changed in
         * the config, or missing; a topic staff set stays otherwise. */
        if (!topic || ((!old || strcmp(old->description, t->description) != 0) &&
                       strcmp(topic, t->description) != 0))
            hv_channel_set_topic(ch, next->guide_nick, t->description);
        if (gu && next->guide_in_channels && !hv_channel_has_member(ch, gu))
            hv_force_join(gu, ch);
        else if (gu && !next->guide_in_channels && hv_channel_has_member(ch, gu))
            hv_force_part(gu, ch, NULL);
    }
    /* Channels of removed topics become ordinary channels: they go when the
     * last person leaves (at once when empty). */
    for (size_t i = 0; i < cur.n; i++) {
        hv_channel *ch = hv_channel_find(cur.v[i].channel);
        if (!ch || in_conf(next, ch))
            continue;
        if (gu && hv_channel_has_member(ch, gu))
            hv_force_part(gu, ch, "This topic was retired");
        if ((ch = hv_channel_find(cur.v[i].channel)))
            hv_channel_set_permanent(ch, false);
    }
    topics_conf_free(&cur);
    cur = *next;
    memset(next, 0, sizeof *next);
    motd_update();
}

/* ------------------------------------------------------------ module entry points */

/* Start: read the config, create the guide and the topic channels, hook in. */
static int topics_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct topics_conf next;
    if (topics_conf_parse(conf, &next, err, errlen) != 0)
        return -1;
    self_mod = self;
    bool *made = create_channels(&next, conf, err, errlen);
    if (!made) {
        topics_conf_free(&next);
        return -1;
    }
    guide = hv_service_new(self, next.guide_nick, "Helps you find a room: /msg me HELP");
    if (!guide) {
        hv_conf_error(err, errlen, setting_at(conf, "guide_nick", -1),
                      "topics.guide_nick: the nick \"%s\" is already in use", next.guide_nick);
        uncreate_channels(&next, made);
        topics_conf_free(&next);
        return -1;
    }
    free(made);
    hv_service_command(guide, "TOPICS", 0, cmd_topics, NULL,
                       "TOPICS\nLists the rooms on this network and what each one is for.");
    hv_service_command(guide, "FIND", 1, cmd_find, NULL,
                       "FIND <a few words about what's on your mind>\n"
                       "Suggests the rooms that fit best, for example: FIND can't sleep, worried all the time\n"
                       "Your words are only used to pick a room; they are not kept or shown to anyone.");
    hv_service_command(guide, "JOIN", 1, cmd_join, NULL,
                       "JOIN <topic>\nTakes you into a topic's room, for example: JOIN anxiety (or JOIN #anxiety).\n"
                       "You can also type /join #channel yourself.");
    hv_hook_add(self, HV_HOOK_REGISTERED, 100, on_registered, NULL);
    hv_hook_add(self, HV_HOOK_JOINED, 100, on_joined, NULL);
    hv_hook_add(self, HV_HOOK_JOIN_CHECK, 100, on_join_check, NULL);
    commit(&next);
    hv_log(self, HV_LOG_INFO, "%zu topics, guide %s, new channels by %s", cur.n, cur.guide_nick,
           cur.staff_only_create ? "staff only" : "anyone");
    return 0;
}

/* REHASH: validate everything first; on any problem keep the old topics. */
static int topics_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct topics_conf next;
    if (topics_conf_parse(conf, &next, err, errlen) != 0)
        return -1;
    if (strcmp(next.guide_nick, cur.guide_nick) != 0) {
        hv_conf_error(err, errlen, setting_at(conf, "guide_nick", -1), "topics.guide_nick: cannot change from "
                      "\"%s\" to \"%s\" while running; restart havend (or REHASH once without \"topics\" in "
                      "modules, then once with it)", cur.guide_nick, next.guide_nick);
        topics_conf_free(&next);
        return -1;
    }
    bool *made = create_channels(&next, conf, err, errlen);
    if (!made) {
        topics_conf_free(&next);
        return -1;
    }
    free(made);
    commit(&next);
    hv_log(self, HV_LOG_INFO, "reloaded: %zu topics", cur.n);
    return 0;
}

/* Unload: topic channels become ordinary channels again (empty ones go
 * now, the rest when their last member leaves; the guide quits after this,
 * emptying any it sat in). Hooks, commands and the guide are removed by the
 * server. */
static void topics_shutdown(hv_module *self)
{
    (void)self;
    for (size_t i = 0; i < cur.n; i++) {
        hv_channel *ch = hv_channel_find(cur.v[i].channel);
        if (ch)
            hv_channel_set_permanent(ch, false);
    }
    topics_conf_free(&cur);
    guide = NULL;
    self_mod = NULL;
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "topics",
    .version = "1.0",
    .description = "Support topics mapped to channels, with a guide service",
    .init = topics_init,
    .reload = topics_reload,
    .shutdown = topics_shutdown,
});
