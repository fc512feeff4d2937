/* crisis_dir.c — the resource directory: which helplines to show whom.
 *
 * The directory is its own libconfig file (conf/resources.conf): an
 * international fallback and a list of regions (ISO 3166-1 alpha-2), each
 * with its emergency number and services. It is validated completely at
 * load, and the first problem is reported as "file:line: where: reason", so
 * an operator can fix a typo before it ever reaches someone in crisis. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L     /* strdup, under plain -std=c17 too */
#endif
#include "crisis.h"

#include <havend/module.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REGIONS_MAX 300
#define SERVICES_MAX 40             /* per region */
#define ALIASES_MAX 8

/* ------------------------------------------------------------ topics */

/* Canonical name, words for people, and other words that mean it (compared
 * with letters and digits only, so "LGBTQ+" and "eating disorders" work). */
static const struct {
    const char *name, *label, *aliases;
} topics[CRISIS_NTOPICS] = {
    [CT_SUICIDE] = { "suicide", "suicide and crisis", "crisis suicidal" },
    [CT_MENTAL_HEALTH] = { "mental-health", "mental health", "emotional depression anxiety wellbeing talk" },
    [CT_SELF_HARM] = { "self-harm", "self-harm", "selfinjury cutting" },
    [CT_DOMESTIC_ABUSE] = { "domestic-abuse", "domestic abuse",
                            "domesticviolence dv abuse violence familyviolence" },
    [CT_SEXUAL_ASSAULT] = { "sexual-assault", "sexual assault", "sexualviolence sexualabuse rape" },
    [CT_CHILD_ABUSE] = { "child-abuse", "child abuse", "childprotection" },
    [CT_SUBSTANCE_USE] = { "substance-use", "drugs and alcohol", "drugs alcohol addiction substances" },
    [CT_EATING_DISORDERS] = { "eating-disorders", "eating disorders", "eatingdisorder eating ed anorexia bulimia" },
    [CT_LGBTQ] = { "lgbtq", "LGBTQ+", "lgbt lgbtqia queer trans transgender gay lesbian bisexual" },
    [CT_YOUTH] = { "youth", "children and young people", "young youngpeople kids teens teen children" },
    [CT_VETERANS] = { "veterans", "veterans", "veteran military" },
    [CT_INDIGENOUS] = { "indigenous", "Indigenous peoples", "firstnations aboriginal maori" },
};

const char *crisis_topic_name(int t)
{
    return t >= 0 && t < CRISIS_NTOPICS ? topics[t].name : "";
}

const char *crisis_topic_label(int t)
{
    return t >= 0 && t < CRISIS_NTOPICS ? topics[t].label : "";
}

/* Letters and digits of s, lower-cased, into buf ("LGBTQ+" -> "lgbtq"). */
static const char *squash(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            buf[n++] = (char)(c | ((c >= 'A' && c <= 'Z') ? 0x20 : 0));
    }
    buf[n] = '\0';
    return buf;
}

int crisis_topic_exact(const char *name)
{
    for (int t = 0; t < CRISIS_NTOPICS; t++)
        if (strcmp(topics[t].name, name) == 0)
            return t;
    return -1;
}

int crisis_topic_find(const char *word)
{
    char w[64], n[64];
    if (!*squash(word, w, sizeof w))
        return -1;
    for (int t = 0; t < CRISIS_NTOPICS; t++) {
        if (strcmp(squash(topics[t].name, n, sizeof n), w) == 0)
            return t;
        const char *a = topics[t].aliases;
        while (*a) {
            size_t k = strcspn(a, " ");
            if (k == strlen(w) && strncmp(a, w, k) == 0)
                return t;
            a += k;
            a += *a == ' ';
        }
    }
    return -1;
}

const char *crisis_topic_list(char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int t = 0; t < CRISIS_NTOPICS && n < len; t++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", t ? ", " : "", topics[t].name);
    return buf;
}

/* ------------------------------------------------------------ validation helpers */

/* Where we are while loading, for error messages. */
struct ctx {
    const char *path;
    char *err;
    size_t errlen;
    bool failed;
};

/* Record the first error: "file:line: where: reason" (the directory file's
 * own path, and line 0, for a setting that has none, e.g. the root). */
__attribute__((format(printf, 4, 5)))
static void fail(struct ctx *x, const config_setting_t *s, const char *where, const char *fmt, ...)
{
    if (x->failed)
        return;
    x->failed = true;
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (s && config_setting_source_file(s) && config_setting_source_line(s))
        hv_conf_error(x->err, x->errlen, s, "%s: %s", where, reason);
    else
        hv_conf_error(x->err, x->errlen, NULL, "%s:%u: %s: %s", s && config_setting_source_file(s) ?
                      config_setting_source_file(s) : x->path, s ? config_setting_source_line(s) : 0, where, reason);
}

/* strdup that aborts: a half-loaded directory on OOM is not worth handling. */
static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

/* Reject unknown settings in group g (typos like "phnoe"). */
static bool only_known(struct ctx *x, const config_setting_t *g, const char *where, const char *const *known)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = n && strcmp(n, *k) == 0;
        if (!ok) {
            char list[200] = "";
            for (const char *const *k = known; *k; k++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k == known ? "" : ", ", *k);
            fail(x, s, where, "unknown setting \"%s\" (expected %s)", n ? n : "?", list);
            return false;
        }
    }
    return true;
}

/* A string member: NULL when absent (an error if required). The text must
 * be one printable line of at most max bytes. */
static const char *get_str(struct ctx *x, const config_setting_t *g, const char *where, const char *key,
                           bool required, size_t max)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s) {
        if (required)
            fail(x, g, where, "missing %s", key);
        return NULL;
    }
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        fail(x, s, where, "%s must be a string in double quotes", key);
        return NULL;
    }
    const char *v = config_setting_get_string(s);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7F) {
            fail(x, s, where, "%s must be a single line of printable text", key);
            return NULL;
        }
    if (!*v) {
        fail(x, s, where, "%s must not be empty (leave it out instead)", key);
        return NULL;
    }
    if (strlen(v) > max) {
        fail(x, s, where, "%s is too long (at most %zu bytes)", key, max);
        return NULL;
    }
    return v;
}

/* A copy of an optional string member (NULL when absent). */
static char *dup_str(struct ctx *x, const config_setting_t *g, const char *where, const char *key, bool required,
                     size_t max)
{
    const char *v = get_str(x, g, where, key, required, max);
    return v ? xstrdup(v) : NULL;
}

/* A list or array member whose elements are all strings; NULL when absent. */
static const config_setting_t *get_strings(struct ctx *x, const config_setting_t *g, const char *where,
                                           const char *key)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    if (!s)
        return NULL;
    if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP) {
        fail(x, s, where, "%s must be a list of strings, e.g. [ \"a\", \"b\" ]", key);
        return NULL;
    }
    for (int i = 0; i < config_setting_length(s); i++)
        if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) != CONFIG_TYPE_STRING) {
            fail(x, config_setting_get_elem(s, (unsigned)i), where, "%s must contain only strings", key);
            return NULL;
        }
    return s;
}

/* ------------------------------------------------------------ services and regions */

/* Does a URL look like one (https:// or http://, no spaces)? */
static bool url_ok(const char *u)
{
    return (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) && !strchr(u, ' ');
}

/* One service group into *sv. */
static void parse_service(struct ctx *x, const config_setting_t *g, const char *where, struct crisis_service *sv)
{
    static const char *const known[] = { "name", "phone", "text", "chat", "web", "hours", "languages", "topics",
                                         NULL };
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        fail(x, g, where, "each service must be a group { name = \"...\"; ... }");
        return;
    }
    if (!only_known(x, g, where, known))
        return;
    sv->name = dup_str(x, g, where, "name", true, 80);
    sv->phone = dup_str(x, g, where, "phone", false, 60);
    sv->text = dup_str(x, g, where, "text", false, 80);
    sv->chat = dup_str(x, g, where, "chat", false, 120);
    sv->web = dup_str(x, g, where, "web", false, 120);
    sv->hours = dup_str(x, g, where, "hours", false, 60);
    if (x->failed)
        return;
    if (!sv->phone && !sv->text && !sv->chat && !sv->web) {
        fail(x, g, where, "\"%s\" needs a way to reach it: phone, text, chat or web", sv->name);
        return;
    }
    const char *urls[2] = { sv->chat, sv->web }, *keys[2] = { "chat", "web" };
    for (int i = 0; i < 2; i++)
        if (urls[i] && !url_ok(urls[i])) {
            fail(x, config_setting_get_member(g, keys[i]), where, "%s must be a URL starting with https://",
                 keys[i]);
            return;
        }
    const config_setting_t *l = get_strings(x, g, where, "languages");
    if (l && config_setting_length(l) > 0) {
        char langs[80] = "";
        for (int i = 0; i < config_setting_length(l); i++) {
            const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
            const char *v = config_setting_get_string(e);
            size_t n = strlen(v);
            if (n < 2 || n > 8 || strspn(v, "abcdefghijklmnopqrstuvwxyz-") != n) {
                fail(x, e, where, "language \"%s\" must be a lower-case code such as \"en\" or \"pt-br\"", v);
                return;
            }
            size_t at = strlen(langs);
            if (at + n + 3 >= sizeof langs) {
                fail(x, e, where, "too many languages");
                return;
            }
            snprintf(langs + at, sizeof langs - at, "%s%s", at ? ", " : "", v);
        }
        sv->languages = xstrdup(langs);
    }
    const config_setting_t *t = get_strings(x, g, where, "topics");
    if (x->failed)
        return;
    if (!t || config_setting_length(t) == 0) {
        fail(x, t ? t : g, where, "\"%s\" needs topics, e.g. topics = [ \"suicide\", \"mental-health\" ]",
             sv->name);
        return;
    }
    for (int i = 0; i < config_setting_length(t); i++) {
        const config_setting_t *e = config_setting_get_elem(t, (unsigned)i);
        int k = crisis_topic_exact(config_setting_get_string(e));
        if (k < 0) {
            char list[300];
            fail(x, e, where, "unknown topic \"%s\" (topics are: %s)", config_setting_get_string(e),
                 crisis_topic_list(list, sizeof list));
            return;
        }
        sv->topics |= 1u << k;
    }
}

/* Is code two upper-case ASCII letters (the ISO 3166-1 alpha-2 shape)? */
static bool code_ok(const char *c, size_t minlen, size_t maxlen)
{
    size_t n = strlen(c);
    return n >= minlen && n <= maxlen && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}

/* Is code (or alias) already used by one of the first n regions? */
static bool code_taken(const struct crisis_dir *d, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(d->v[i].code, code) == 0)
            return true;
        for (size_t k = 0; k < d->v[i].naliases; k++)
            if (strcmp(d->v[i].aliases[k], code) == 0)
                return true;
    }
    return false;
}

/* The services list of region group g into r. */
static void parse_services(struct ctx *x, const config_setting_t *g, const char *where, struct crisis_region *r)
{
    const config_setting_t *l = config_setting_get_member(g, "services");
    if (!l) {
        fail(x, g, where, "missing services");
        return;
    }
    if (config_setting_type(l) != CONFIG_TYPE_LIST || config_setting_length(l) == 0) {
        fail(x, l, where, "services must be a non-empty list ( { ... }, { ... } )");
        return;
    }
    int n = config_setting_length(l);
    if (n > SERVICES_MAX) {
        fail(x, l, where, "too many services (at most %d)", SERVICES_MAX);
        return;
    }
    r->sv = calloc((size_t)n, sizeof *r->sv);
    if (!r->sv)
        abort();
    for (int i = 0; i < n && !x->failed; i++) {
        char w[80];
        snprintf(w, sizeof w, "%s.services[%d]", where, i);
        r->nsv++;
        parse_service(x, config_setting_get_elem(l, (unsigned)i), w, &r->sv[i]);
    }
}

/* One region group (index i) into d->v[i]. */
static void parse_region(struct ctx *x, const config_setting_t *g, size_t i, struct crisis_dir *d)
{
    static const char *const known[] = { "code", "country", "emergency", "aliases", "services", NULL };
    char where[48];
    snprintf(where, sizeof where, "regions[%zu]", i);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        fail(x, g, where, "each region must be a group { code = \"GB\"; ... }");
        return;
    }
    if (!only_known(x, g, where, known))
        return;
    struct crisis_region *r = &d->v[i];
    const char *code = get_str(x, g, where, "code", true, 8);
    if (!code)
        return;
    if (!code_ok(code, 2, 2)) {
        fail(x, config_setting_get_member(g, "code"), where,
             "region code \"%s\" is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. \"GB\")", code);
        return;
    }
    if (code_taken(d, i, code)) {
        fail(x, config_setting_get_member(g, "code"), where, "region code \"%s\" is used twice", code);
        return;
    }
    memcpy(r->code, code, 3);
    snprintf(where, sizeof where, "regions[%zu] (%s)", i, code);
    r->country = dup_str(x, g, where, "country", true, 60);
    r->emergency = dup_str(x, g, where, "emergency", true, 160);
    const config_setting_t *a = get_strings(x, g, where, "aliases");
    if (x->failed)
        return;
    int na = a ? config_setting_length(a) : 0;
    if (na > ALIASES_MAX) {
        fail(x, a, where, "too many aliases (at most %d)", ALIASES_MAX);
        return;
    }
    if (na) {
        r->aliases = calloc((size_t)na, sizeof *r->aliases);
        if (!r->aliases)
            abort();
    }
    for (int k = 0; k < na; k++) {
        const config_setting_t *e = config_setting_get_elem(a, (unsigned)k);
        const char *v = config_setting_get_string(e);
        if (!code_ok(v, 2, 3) || code_taken(d, i + 1, v)) {
            fail(x, e, where, code_ok(v, 2, 3) ? "alias \"%s\" is already a code or alias"
                                              : "alias \"%s\" must be 2 or 3 upper-case letters", v);
            return;
        }
        r->aliases[r->naliases++] = xstrdup(v);
    }
    parse_services(x, g, where, r);
}

/* The international fallback group. */
static void parse_intl(struct ctx *x, const config_setting_t *root, struct crisis_dir *d)
{
    static const char *const known[] = { "name", "emergency", "services", NULL };
    const config_setting_t *g = config_setting_get_member(root, "international");
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP) {
        fail(x, g ? g : root, "international", "the international fallback group is required: "
             "international = { emergency = \"...\"; services = ( ... ); };");
        return;
    }
    if (!only_known(x, g, "international", known))
        return;
    d->intl.country = dup_str(x, g, "international", "name", false, 60);
    if (!d->intl.country && !x->failed)
        d->intl.country = xstrdup("International");
    d->intl.emergency = dup_str(x, g, "international", "emergency", true, 160);
    if (!x->failed)
        parse_services(x, g, "international", &d->intl);
}

int crisis_dir_load(const char *path, struct crisis_dir *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct ctx x = { path, err, errlen, false };
    config_t cfg;
    config_init(&cfg);
    if (!config_read_file(&cfg, path)) {
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            snprintf(err, errlen, "%s: cannot read the resource directory: %s", path, strerror(errno ? errno : ENOENT));
        else
            snprintf(err, errlen, "%s:%d: %s", config_error_file(&cfg) ? config_error_file(&cfg) : path,
                     config_error_line(&cfg), config_error_text(&cfg));
        config_destroy(&cfg);
        return -1;
    }
    static const char *const known[] = { "international", "regions", NULL };
    const config_setting_t *root = config_root_setting(&cfg);
    if (only_known(&x, root, "top level", known))
        parse_intl(&x, root, out);
    const config_setting_t *l = x.failed ? NULL : config_setting_get_member(root, "regions");
    if (!x.failed && (!l || config_setting_type(l) != CONFIG_TYPE_LIST)) {
        fail(&x, l ? l : root, "regions", "regions must be a list ( { code = \"US\"; ... }, ... )");
    } else if (!x.failed) {
        int n = config_setting_length(l);
        if (n > REGIONS_MAX) {
            fail(&x, l, "regions", "too many regions (at most %d)", REGIONS_MAX);
        } else if (n > 0) {
            out->v = calloc((size_t)n, sizeof *out->v);
            if (!out->v)
                abort();
            for (int i = 0; i < n && !x.failed; i++) {
                out->n++;
                parse_region(&x, config_setting_get_elem(l, (unsigned)i), (size_t)i, out);
            }
        }
    }
    config_destroy(&cfg);
    if (x.failed) {
        crisis_dir_free(out);
        return -1;
    }
    return 0;
}

/* Free one region's strings and services. */
static void region_free(struct crisis_region *r)
{
    for (size_t i = 0; i < r->nsv; i++) {
        struct crisis_service *s = &r->sv[i];
        free(s->name), free(s->phone), free(s->text), free(s->chat), free(s->web), free(s->hours);
        free(s->languages);
    }
    free(r->sv);
    for (size_t i = 0; i < r->naliases; i++)
        free(r->aliases[i]);
    free(r->aliases);
    free(r->country);
    free(r->emergency);
}

void crisis_dir_free(struct crisis_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        region_free(&d->v[i]);
    free(d->v);
    region_free(&d->intl);
    memset(d, 0, sizeof *d);
}

const struct crisis_region *crisis_dir_find(const struct crisis_dir *d, const char *word)
{
    char w[80], c[80];
    if (!word || !*squash(word, w, sizeof w))
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        const struct crisis_region *r = &d->v[i];
        if (strcasecmp(r->code, word) == 0 || strcmp(squash(r->country, c, sizeof c), w) == 0)
            return r;
        for (size_t k = 0; k < r->naliases; k++)
            if (strcasecmp(r->aliases[k], word) == 0)
                return r;
    }
    return NULL;
}

size_t crisis_service_line(const struct crisis_service *s, char *buf, size_t len)
{
    size_t n = 0;
    const char *sep = ": ";
#define ADD(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__), n = n < len ? n : len - 1)
    buf[0] = '\0';
    ADD("%s", s->name);
    if (s->phone && s->text && strcmp(s->phone, s->text) == 0) {
        ADD("%scall or text %s", sep, s->phone);
        sep = ", ";
    } else {
        if (s->phone)
            ADD("%scall %s", sep, s->phone), sep = ", ";
        if (s->text)
            ADD("%stext %s", sep, s->text), sep = ", ";
    }
    if (s->chat)
        ADD("%schat %s", sep, s->chat), sep = ", ";
    if (s->web)
        ADD("%s%s", sep, s->web), sep = ", ";
    if (s->hours || s->languages)
        ADD(" (%s%s%s)", s->hours ? s->hours : "", s->hours && s->languages ? "; " : "",
            s->languages ? s->languages : "");
#undef ADD
    return n;
}
