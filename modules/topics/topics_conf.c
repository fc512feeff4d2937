/* topics_conf.c — read and validate the `topics = { ... }` config group.
 *
 * Everything is checked before anything is kept, so a bad REHASH changes
 * nothing; the first problem is reported as "file:line: topics.x: reason",
 * the same shape the server uses for its own settings. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* strdup, under plain -std=c17 too */
#endif
#include "topics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Flag modes a topic channel may carry (no parameters: no keys or limits). */
#define TOPIC_MODE_LETTERS "imnpst"

/* strdup that aborts: a half-parsed config on OOM is not worth handling. */
static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* Reject bytes that would break an IRC line or turn text into CTCP; '\n'
 * only where the text may span lines. Returns a reason or NULL. */
static const char *text_problem(const char *s, bool multiline)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' || *p == '\001')
            return "must not contain carriage returns or \\001";
        if (*p == '\n' && !multiline)
            return "must be a single line";
    }
    return NULL;
}

/* A string member of group g: *out is set (NULL when absent). Returns false
 * after reporting when present with the wrong type or bad text. */
static bool get_string(struct hv_conf_errors *x, const config_setting_t *g, const char *prefix, const char *key,
                       bool required, bool multiline, size_t max, const char **out)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, key);
    *out = NULL;
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s) {
        if (required)
            hv_conf_fail(x, g, path, "required setting is missing");
        return !required;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        hv_conf_fail(x, s, path, "must be a string in double quotes");
        return false;
    }
    const char *v = config_setting_get_string(s);
    const char *why = text_problem(v, multiline);
    if (why) {
        hv_conf_fail(x, s, path, "%s", why);
        return false;
    }
    if (strlen(v) > max) {
        hv_conf_fail(x, s, path, "is too long (at most %zu bytes)", max);
        return false;
    }
    if (required && !*v) {
        hv_conf_fail(x, s, path, "must not be empty");
        return false;
    }
    *out = v;
    return true;
}

/* A boolean member (default def). Returns false after reporting a bad type. */
static bool get_bool(struct hv_conf_errors *x, const config_setting_t *g, const char *prefix, const char *key, bool def,
                     bool *out)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, key);
    *out = def;
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        hv_conf_fail(x, s, path, "must be true or false");
        return false;
    }
    *out = config_setting_get_bool(s) != 0;
    return true;
}

/* Every member of group g must be one of the names in `known`. */
static bool only_known(struct hv_conf_errors *x, const config_setting_t *g, const char *prefix, const char *const *known,
                       const char *expected)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (size_t k = 0; n && known[k]; k++)
            ok = ok || strcmp(n, known[k]) == 0;
        if (!ok) {
            char path[128];
            snprintf(path, sizeof path, "%s.%s", prefix, n ? n : "?");
            hv_conf_fail(x, s, path, "unknown setting (expected %s)", expected);
            return false;
        }
    }
    return true;
}

/* Is this a nick the server will accept for the guide? */
static bool nick_ok(const char *n)
{
    return strlen(n) <= GUIDE_NICK_MAX && hv_valid_nick(n);
}

/* A well-formed channel name that fits our storage: '#', then no space,
 * comma, BEL, colon or control byte. Whether CHANNELLEN allows it is checked
 * separately, with its own message. */
static bool channel_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 2 || len > TOPIC_CHANNEL_MAX || n[0] != '#')
        return false;
    for (const unsigned char *p = (const unsigned char *)n; *p; p++)
        if (*p <= ' ' || *p == ',' || *p == ':' || *p == 0x7f)
            return false;
    return true;
}

/* A topic name: lower-case letters, digits, '-' and '_', starting with a
 * letter or digit, so people can type it after JOIN. */
static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > TOPIC_NAME_MAX || n[0] == '-' || n[0] == '_')
        return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* "+nt" (the '+' optional, "" for none) into the letters "nt". */
static bool parse_modes(struct hv_conf_errors *x, const config_setting_t *s, const char *path, const char *v, char *out)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = v[0] == '+' ? v + 1 : v; *p; p++) {
        if (!strchr(TOPIC_MODE_LETTERS, *p)) {
            hv_conf_fail(x, s, path, "\"%s\": only the modes i, m, n, p, s and t can be set on a topic channel "
                 "(written like \"+nt\")", v);
            return false;
        }
        if (!strchr(out, *p)) {
            out[n++] = *p;
            out[n] = '\0';
        }
    }
    return true;
}

/* keywords = [ "word", ... ] into t (lower-cased). */
static bool parse_keywords(struct hv_conf_errors *x, const config_setting_t *g, const char *prefix, struct topic *t)
{
    char path[128];
    snprintf(path, sizeof path, "%s.keywords", prefix);
    const config_setting_t *s = config_setting_get_member(g, "keywords");
    if (!s)
        return true;
    if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP) {
        hv_conf_fail(x, s, path, "must be a list of strings, like [ \"worry\", \"panic\" ]");
        return false;
    }
    int n = config_setting_length(s);
    if (n > TOPIC_KEYWORDS_MAX) {
        hv_conf_fail(x, s, path, "too many keywords (at most %d)", TOPIC_KEYWORDS_MAX);
        return false;
    }
    t->keywords = calloc((size_t)n + 1, sizeof *t->keywords);
    if (!t->keywords)
        abort();
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
        char ep[160];
        snprintf(ep, sizeof ep, "%s[%d]", path, i);
        if (!v || !*v || strlen(v) > TOPIC_KEYWORD_MAX || text_problem(v, false)) {
            hv_conf_fail(x, e, ep, "must be a non-empty string of at most %d bytes on one line", TOPIC_KEYWORD_MAX);
            return false;
        }
        char *k = xstrdup(v);
        for (char *p = k; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32);
        t->keywords[t->nkeywords++] = k;
    }
    return true;
}

/* One { name; channel; description; keywords; modes; welcome; } entry. */
static bool parse_topic(struct hv_conf_errors *x, const config_setting_t *g, int idx, struct topic *t)
{
    static const char *const known[] = { "name", "channel", "description", "keywords", "modes", "welcome", NULL };
    char prefix[64];
    snprintf(prefix, sizeof prefix, "topics.list[%d]", idx);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        hv_conf_fail(x, g, prefix, "each topic must be a group: { name = \"...\"; channel = \"#...\"; ... }");
        return false;
    }
    if (!only_known(x, g, prefix, known, "name, channel, description, keywords, modes or welcome"))
        return false;
    const char *name, *chan, *desc, *modes, *welcome;
    char path[128];
    if (!get_string(x, g, prefix, "name", true, false, TOPIC_NAME_MAX, &name) ||
        !get_string(x, g, prefix, "channel", true, false, TOPIC_CHANNEL_MAX, &chan) ||
        !get_string(x, g, prefix, "description", true, false, TOPIC_DESC_MAX, &desc) ||
        !get_string(x, g, prefix, "modes", false, false, 16, &modes) ||
        !get_string(x, g, prefix, "welcome", false, true, TOPIC_TEXT_MAX, &welcome))
        return false;
    if (!name_ok(name)) {
        snprintf(path, sizeof path, "%s.name", prefix);
        hv_conf_fail(x, config_setting_get_member(g, "name"), path,
             "\"%s\": use lower-case letters, digits, '-' and '_' (people type it after JOIN)", name);
        return false;
    }
    if (!channel_ok(chan)) {
        snprintf(path, sizeof path, "%s.channel", prefix);
        hv_conf_fail(x, config_setting_get_member(g, "channel"), path,
             "\"%s\" is not a channel name (a '#' then up to %d characters, no spaces, commas or colons)",
             chan, TOPIC_CHANNEL_MAX - 1);
        return false;
    }
    snprintf(path, sizeof path, "%s.modes", prefix);
    if (!parse_modes(x, config_setting_get_member(g, "modes"), path, modes ? modes : "+nt", t->modes))
        return false;
    t->name = xstrdup(name);
    t->channel = xstrdup(chan);
    t->description = xstrdup(desc);
    if (welcome) {
        t->welcome = xstrdup(welcome);
    } else {
        char buf[TOPIC_DESC_MAX + TOPIC_CHANNEL_MAX + 200];
        snprintf(buf, sizeof buf, "Welcome to %s: %s. This is peer support from people who have been there, "
                 "not a crisis or medical service.", chan, desc);
        t->welcome = xstrdup(buf);
    }
    return parse_keywords(x, g, prefix, t);
}

/* list = ( { ... }, ... ): at least one topic, names and channels unique. */
static bool parse_list(struct hv_conf_errors *x, const config_setting_t *conf, struct topics_conf *c)
{
    const config_setting_t *l = config_setting_get_member(conf, "list");
    if (!l) {
        hv_conf_fail(x, conf, "topics.list", "required setting is missing: list = ( { name = \"...\"; channel = \"#...\"; "
             "description = \"...\"; }, ... );");
        return false;
    }
    if (config_setting_type(l) != CONFIG_TYPE_LIST) {
        hv_conf_fail(x, l, "topics.list", "must be a list of groups in parentheses: ( { ... }, { ... } )");
        return false;
    }
    int n = config_setting_length(l);
    if (n < 1 || n > TOPICS_MAX) {
        hv_conf_fail(x, l, "topics.list", "must hold between 1 and %d topics", TOPICS_MAX);
        return false;
    }
    c->v = calloc((size_t)n, sizeof *c->v);
    if (!c->v)
        abort();
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct topic *t = &c->v[c->n++];
        if (!parse_topic(x, g, i, t))
            return false;
        char fold[TOPIC_CHANNEL_MAX + 1], other[TOPIC_CHANNEL_MAX + 1], path[64];
        hv_casefold(fold, t->channel, sizeof fold);
        for (size_t k = 0; k + 1 < c->n; k++) {
            hv_casefold(other, c->v[k].channel, sizeof other);
            if (strcmp(c->v[k].name, t->name) == 0) {
                snprintf(path, sizeof path, "topics.list[%d].name", i);
                hv_conf_fail(x, config_setting_get_member(g, "name"), path, "\"%s\" is used by topics.list[%zu] too",
                     t->name, k);
                return false;
            }
            if (strcmp(fold, other) == 0) {
                snprintf(path, sizeof path, "topics.list[%d].channel", i);
                hv_conf_fail(x, config_setting_get_member(g, "channel"), path, "%s is used by topics.list[%zu] too",
                     t->channel, k);
                return false;
            }
        }
    }
    return true;
}

/* The default newcomer greeting, naming the guide. */
static char *default_greeting(const char *nick)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "Hi, I'm %s - welcome, and thank you for being here. There are rooms for different things "
             "people go through.\n"
             "Tell me a few words about what's on your mind and I'll suggest one: /msg %s FIND <words> "
             "(for example: /msg %s FIND can't stop worrying)\n"
             "To see every room: /msg %s TOPICS. To go straight in: /msg %s JOIN <topic>.\n"
             "This is peer support, not a crisis service. If you are in danger right now, please contact "
             "your local emergency number.",
             nick, nick, nick, nick, nick);
    return xstrdup(buf);
}

int topics_conf_parse(const config_setting_t *conf, struct topics_conf *out, char *err, size_t errlen)
{
    static const char *const known[] = { "guide_nick", "create_channels", "staff_op", "guide_in_channels",
                                         "greeting", "list", NULL };
    struct hv_conf_errors x = { err, errlen, "", false };
    memset(out, 0, sizeof *out);
    if (!conf) {
        snprintf(err, errlen, "topics: the config has no `topics = { list = ( ... ); };` group "
                 "(see conf/havend.conf for an example)");
        return -1;
    }
    if (config_setting_type(conf) != CONFIG_TYPE_GROUP) {
        hv_conf_fail(&x, conf, "topics", "must be a group: topics = { ... };");
        return -1;
    }
    const char *nick, *create, *greeting;
    bool ok = only_known(&x, conf, "topics", known,
                         "guide_nick, create_channels, staff_op, guide_in_channels, greeting or list") &&
              get_string(&x, conf, "topics", "guide_nick", false, false, GUIDE_NICK_MAX, &nick) &&
              get_string(&x, conf, "topics", "create_channels", false, false, 16, &create) &&
              get_string(&x, conf, "topics", "greeting", false, true, TOPIC_TEXT_MAX, &greeting) &&
              get_bool(&x, conf, "topics", "staff_op", true, &out->staff_op) &&
              get_bool(&x, conf, "topics", "guide_in_channels", false, &out->guide_in_channels);
    if (ok && nick && !nick_ok(nick)) {
        hv_conf_fail(&x, config_setting_get_member(conf, "guide_nick"), "topics.guide_nick",
             "\"%s\" is not a valid nick", nick);
        ok = false;
    }
    if (ok && create && strcmp(create, "staff") != 0 && strcmp(create, "anyone") != 0) {
        hv_conf_fail(&x, config_setting_get_member(conf, "create_channels"), "topics.create_channels",
             "\"%s\": must be \"staff\" (only opers create new channels) or \"anyone\"", create);
        ok = false;
    }
    if (ok) {
        snprintf(out->guide_nick, sizeof out->guide_nick, "%s", nick ? nick : "Guide");
        out->staff_only_create = !create || strcmp(create, "staff") == 0;
        out->greeting = greeting ? xstrdup(greeting) : default_greeting(out->guide_nick);
        ok = parse_list(&x, conf, out);
    }
    if (!ok) {
        topics_conf_free(out);
        return -1;
    }
    return 0;
}

void topics_conf_free(struct topics_conf *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct topic *t = &c->v[i];
        free(t->name);
        free(t->channel);
        free(t->description);
        free(t->welcome);
        for (size_t k = 0; k < t->nkeywords; k++)
            free(t->keywords[k]);
        free(t->keywords);
    }
    free(c->v);
    free(c->greeting);
    memset(c, 0, sizeof *c);
}
