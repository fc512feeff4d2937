/* crisis_conf.c — read and validate the `crisis = { ... }` config group.
 *
 * Everything is checked before anything is kept, so a bad REHASH changes
 * nothing; the first problem is reported as "file:line: crisis.x: reason".
 * The phrase lists have built-in defaults (the same lists conf/havend.conf
 * ships), so a network that forgets them still points people at help. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* strdup, under plain -std=c17 too */
#endif
#include "crisis.h"

#include <havend/module.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PHRASES_MAX 1000            /* per list */
#define PHRASE_MAX 200              /* bytes per phrase */
#define PATH_MAX_LEN 1000

/* Said with intent or a plan: an urgent notice. */
static const char *const default_urgent[] = {
    "kill myself", "killing myself", "going to kill myself", "gonna kill myself", "want to kill myself",
    "end my life", "ending my life", "end it all", "take my own life", "taking my own life", "want to die",
    "wanna die", "want to be dead", "better off dead", "suicide plan", "plan to kill myself", "suicide note",
    "this is goodbye", "goodbye forever", "no reason to live", "nothing left to live for",
    "don't want to be alive", "don't want to live anymore", "ready to die", "going to jump off",
    "took an overdose", "taken an overdose", "took too many pills", "unalive myself", "sewerslide",
    "self delete", "won't be here tomorrow", "not going to be here tomorrow",
    "self-harm: want to hurt myself", "self-harm: going to hurt myself", "self-harm: want to cut myself",
    "self-harm: going to cut myself",
    NULL
};

/* Distress without a stated plan: a gentler notice. */
static const char *const default_concern[] = {
    "suicidal", "suicidal thoughts", "thoughts of suicide", "thinking about suicide", "thinking of suicide",
    "considering suicide", "attempted suicide", "wish i was dead", "wish i were dead", "wish i wasn't alive",
    "wish i wasn't here", "wish i could disappear", "want to disappear", "can't go on like this",
    "can't go on anymore", "can't do this anymore", "can't take it anymore", "can't take this anymore",
    "no way out", "no point in living", "not worth living", "tired of living", "tired of being alive",
    "nobody would miss me", "no one would miss me", "nobody would care if i died", "better off without me",
    "i'm a burden", "burden to everyone", "giving up on life", "give up on life", "don't want to wake up",
    "hope i don't wake up", "feel hopeless", "so hopeless", "unalive",
    "self-harm: self harm", "self-harm: selfharm", "self-harm: self harming", "self-harm: cut myself",
    "self-harm: cutting myself", "self-harm: hurt myself", "self-harm: hurting myself",
    "self-harm: burn myself", "self-harm: burning myself",
    "domestic-abuse: he hits me", "domestic-abuse: she hits me", "domestic-abuse: my partner hits me",
    "domestic-abuse: he beats me", "domestic-abuse: being abused", "domestic-abuse: not safe at home",
    "domestic-abuse: scared to go home", "domestic-abuse: afraid to go home",
    "domestic-abuse: threatened to kill me", "domestic-abuse: scared of my partner",
    "domestic-abuse: afraid of my partner",
    "sexual-assault: i was raped", "sexual-assault: raped me", "sexual-assault: sexually assaulted",
    "child-abuse: my dad hits me", "child-abuse: my mum hits me", "child-abuse: my mom hits me",
    "child-abuse: my parents hit me",
    "eating-disorders: starving myself", "eating-disorders: make myself throw up",
    "eating-disorders: make myself sick", "eating-disorders: making myself sick",
    "eating-disorders: binge and purge", "eating-disorders: haven't eaten in days",
    "substance-use: can't stop drinking", "substance-use: can't stop using", "substance-use: overdosed",
    "substance-use: drinking myself to death",
    NULL
};

/* Everyday phrases that contain a listed one but mean something else. */
static const char *const default_ignore[] = {
    "killing it", "killed it", "kill it", "killing time", "kill time", "dying to see", "dying to know",
    "dying to try", "dying to meet", "dying to go", "dying of laughter", "dying laughing", "die laughing",
    "died laughing", "kill myself laughing", "killed myself laughing", "to die for", "would kill for",
    "bored to death", "scared to death", "suicide squad", "cut myself shaving", "cut myself some slack",
    "cut myself a slice", "cut myself a piece", "overdose on chocolate",
    "overdose on caffeine", "overdosed on caffeine",
    NULL
};

/* A string member (def when absent); NULL after reporting a bad one. */
static const char *get_str(struct hv_conf_errors *x, const config_setting_t *g, const char *key, const char *def, size_t max)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return def;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        hv_conf_fail(x, s, key, "must be a string in double quotes");
        return NULL;
    }
    const char *v = config_setting_get_string(s);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F) {
            hv_conf_fail(x, s, key, "must be a single line of printable text");
            return NULL;
        }
    if (strlen(v) > max) {
        hv_conf_fail(x, s, key, "is too long (at most %zu bytes)", max);
        return NULL;
    }
    return v;
}

/* A boolean member (def when absent). */
static bool get_bool(struct hv_conf_errors *x, const config_setting_t *g, const char *key, bool def)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return def;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        hv_conf_fail(x, s, key, "must be true or false");
        return def;
    }
    return config_setting_get_bool(s) != 0;
}

/* Is nick one the server accepts? */
static bool nick_ok(const char *n)
{
    return hv_valid_nick(n);
}

bool crisis_phrase_split(const char *s, int *topic, const char **phrase)
{
    const char *colon = strchr(s, ':');
    *topic = CRISIS_NO_TOPIC;
    *phrase = s;
    if (!colon)
        return true;
    char name[40];
    const char *a = s, *b = colon;
    while (a < b && *a == ' ')
        a++;
    while (b > a && b[-1] == ' ')
        b--;
    if ((size_t)(b - a) >= sizeof name)
        return false;
    memcpy(name, a, (size_t)(b - a));
    name[b - a] = '\0';
    if ((*topic = crisis_topic_exact(name)) < 0)
        return false;
    for (*phrase = colon + 1; **phrase == ' '; (*phrase)++)
        ;
    return true;
}

/* Add one phrase (text as configured) of kind to out; false after reporting. */
static bool add_phrase(struct hv_conf_errors *x, const config_setting_t *s, const char *key, const char *text, int kind,
                       struct crisis_conf *out)
{
    int topic;
    const char *phrase;
    char list[300];
    if (!crisis_phrase_split(text, &topic, &phrase)) {
        hv_conf_fail(x, s, key, "\"%s\": the part before ':' must be a topic (%s)", text, crisis_topic_list(list, sizeof list));
        return false;
    }
    /* The matcher needs at least two letters or digits to look for. */
    char norm[CRISIS_NORM_MAX];
    size_t len = crisis_normalize(phrase, strlen(phrase), norm, sizeof norm, 0, NULL), chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += norm[i] != ' ' && norm[i] != '*';
    if (chars < 2) {
        hv_conf_fail(x, s, key, "\"%s\" has no words left to match once punctuation is removed", text);
        return false;
    }
    char *copy = strdup(phrase);
    if (!copy)
        abort();
    out->phrases[out->nphrases++] = (struct crisis_phrase){ copy, kind, topic };
    return true;
}

/* One phrase list (its built-in default when absent). */
static void get_phrases(struct hv_conf_errors *x, const config_setting_t *g, const char *key, int kind,
                        const char *const *def, struct crisis_conf *out)
{
    const config_setting_t *l = g ? config_setting_get_member(g, key) : NULL;
    size_t n = 0;
    if (!l) {
        while (def[n])
            n++;
    } else if (!config_setting_is_aggregate(l) || config_setting_type(l) == CONFIG_TYPE_GROUP) {
        hv_conf_fail(x, l, key, "must be a list of phrases in double quotes, e.g. [ \"want to die\", \"end it all\" ]");
        return;
    } else if ((n = (size_t)config_setting_length(l)) > PHRASES_MAX) {
        hv_conf_fail(x, l, key, "has too many phrases (at most %d)", PHRASES_MAX);
        return;
    }
    struct crisis_phrase *v = realloc(out->phrases, (out->nphrases + n + 1) * sizeof *v);
    if (!v)
        abort();
    out->phrases = v;
    for (size_t i = 0; i < n && !x->failed; i++) {
        if (!l) {
            add_phrase(x, NULL, key, def[i], kind, out);
            continue;
        }
        const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        const char *t = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
        if (!t)
            hv_conf_fail(x, e, key, "must contain only phrases in double quotes");
        else if (strlen(t) > PHRASE_MAX)
            hv_conf_fail(x, e, key, "\"%.40s...\" is too long (at most %d bytes)", t, PHRASE_MAX);
        else
            add_phrase(x, e, key, t, kind, out);
    }
}

/* Reject settings the module does not know (typos would be silently ignored). */
static void only_known(struct hv_conf_errors *x, const config_setting_t *g)
{
    static const char *const known[] = { "service_nick", "directory", "default_region", "staff_channel",
                                         "alert_text", "scan_private", "channel_commands", "interval", "urgent",
                                         "concern", "ignore_phrases", NULL };
    for (int i = 0; g && i < config_setting_length(g) && !x->failed; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = n && strcmp(n, *k) == 0;
        if (!ok)
            hv_conf_fail(x, s, n ? n : "?", "unknown setting (expected service_nick, directory, default_region, "
                 "staff_channel, alert_text, scan_private, channel_commands, interval, urgent, concern or "
                 "ignore_phrases)");
    }
}

int crisis_conf_parse(const config_setting_t *g, const char *base_dir, struct crisis_conf *out, char *err,
                      size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct hv_conf_errors x = { err, errlen, "crisis.", false };
    if (g && config_setting_type(g) != CONFIG_TYPE_GROUP) {
        snprintf(err, errlen, "crisis must be a group: crisis = { ... };");
        return -1;
    }
    only_known(&x, g);
    const char *nick = get_str(&x, g, "service_nick", "Crisis", CRISIS_NICK_MAX);
    if (nick && !nick_ok(nick))
        hv_conf_fail(&x, config_setting_get_member(g, "service_nick"), "service_nick", "\"%s\" is not a valid nick", nick);
    const char *dir = get_str(&x, g, "directory", "resources.conf", PATH_MAX_LEN);
    if (dir && !*dir)
        hv_conf_fail(&x, config_setting_get_member(g, "directory"), "directory", "must name the resource directory file");
    const char *region = get_str(&x, g, "default_region", "US", 2);
    if (region && *region && (strlen(region) != 2 || strspn(region, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2))
        hv_conf_fail(&x, config_setting_get_member(g, "default_region"), "default_region",
             "\"%s\" must be a region code from the directory (two upper-case letters, e.g. \"US\"), or \"\"", region);
    const char *staff = get_str(&x, g, "staff_channel", "#staff", CRISIS_CHANNEL_MAX);
    if (staff && *staff && (staff[0] != '#' || strlen(staff) < 2 || strpbrk(staff, " ,:\a")))
        hv_conf_fail(&x, config_setting_get_member(g, "staff_channel"), "staff_channel",
             "\"%s\" must be a channel name such as \"#staff\", or \"\" for no alerts", staff);
    out->alert_text = get_bool(&x, g, "alert_text", false);
    out->scan_private = get_bool(&x, g, "scan_private", false);
    out->channel_commands = get_bool(&x, g, "channel_commands", true);
    out->interval = 600;
    const config_setting_t *iv = g ? config_setting_get_member(g, "interval") : NULL;
    if (iv && (config_setting_type(iv) != CONFIG_TYPE_INT || config_setting_get_int(iv) < 0 ||
               config_setting_get_int(iv) > 7 * 86400))
        hv_conf_fail(&x, iv, "interval", "must be a number of seconds from 0 to 604800");
    else if (iv)
        out->interval = config_setting_get_int(iv);
    if (!x.failed) {
        get_phrases(&x, g, "urgent", CK_URGENT, default_urgent, out);
        get_phrases(&x, g, "concern", CK_CONCERN, default_concern, out);
        get_phrases(&x, g, "ignore_phrases", CK_IGNORE, default_ignore, out);
    }
    if (x.failed) {
        crisis_conf_free(out);
        return -1;
    }
    snprintf(out->service_nick, sizeof out->service_nick, "%s", nick);
    snprintf(out->default_region, sizeof out->default_region, "%s", region);
    snprintf(out->staff_channel, sizeof out->staff_channel, "%s", staff);
    size_t need = strlen(dir) + strlen(base_dir ? base_dir : ".") + 2;
    out->directory = malloc(need);
    if (!out->directory)
        abort();
    if (dir[0] == '/')
        snprintf(out->directory, need, "%s", dir);
    else
        snprintf(out->directory, need, "%s/%s", base_dir && *base_dir ? base_dir : ".", dir);
    return 0;
}

void crisis_conf_free(struct crisis_conf *c)
{
    for (size_t i = 0; i < c->nphrases; i++)
        free((char *)c->phrases[i].text);
    free(c->phrases);
    free(c->directory);
    memset(c, 0, sizeof *c);
}
