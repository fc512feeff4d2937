/* anon_conf.c — read and check the `anonymity = { ... }` config group and
 * the pseudonym word lists it names.
 *
 * Everything is checked before anything is kept, so a bad REHASH changes
 * nothing. The first problem is reported as "file:line: anonymity.x: reason",
 * the shape the server uses for its own settings. */
#include "anonymity.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_MIN 2
#define WORD_MAX 14
#define WORDS_MAX 100000
#define WORDFILE_MAX (1024 * 1024)
#define PATTERN_MAX 64
#define RESERVED_MAX 200

/* Staff-impersonation patterns refused under the "chosen" policy. */
static const char *const default_reserved[] = { "*mod*", "*admin*", "*staff*", "*oper*", "*guide*", "*crisis*",
                                                "*help*", "*service*", "*serv", NULL };

/* strdup that aborts: a half-built config on OOM is not worth handling. */
static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

/* Append one string to a growing array. */
static void push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        char **nv = realloc(*v, *cap * sizeof *nv);
        if (!nv)
            abort();
        *v = nv;
    }
    (*v)[(*n)++] = s;
}

/* Free an array of strings. */
static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Check one word-list line (already trimmed) and capitalise it in place:
 * NULL when fine, else the reason. */
static const char *word_problem(char *w)
{
    size_t n = strlen(w);
    if (n < WORD_MIN || n > WORD_MAX)
        return "words must be 2 to 14 letters long";
    for (size_t i = 0; i < n; i++) {
        if (!isascii((unsigned char)w[i]) || !isalpha((unsigned char)w[i]))
            return "words may only contain the letters a to z";
        w[i] = (char)(i ? tolower((unsigned char)w[i]) : toupper((unsigned char)w[i]));
    }
    return NULL;
}

/* Load one word list: one word per line, '#' starts a comment, blank lines
 * ignored, duplicates dropped. Reports problems against the setting s. */
static bool load_words(struct hv_conf_errors *x, const config_setting_t *s, const char *key, const char *name, char ***out,
                       size_t *nout)
{
    char path[4096];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else
        snprintf(path, sizeof path, "%s/%s", hv_config_dir(), name);
    FILE *f = fopen(path, "r");
    if (!f) {
        hv_conf_fail(x, s, key, "cannot read the word list %s: %s", path, strerror(errno));
        return false;
    }
    char **v = NULL, line[256];
    size_t n = 0, cap = 0, total = 0;
    unsigned lineno = 0;
    bool ok = true, continued = false;
    while (ok && fgets(line, sizeof line, f)) {
        total += strlen(line);
        if (total > WORDFILE_MAX) {
            hv_conf_fail(x, s, key, "%s: the word list is too large (at most 1 MiB)", path);
            ok = false;
            break;
        }
        /* The rest of an over-long line was judged with its start. */
        bool was_continued = continued;
        continued = !strchr(line, '\n') && !feof(f);
        if (was_continued)
            continue;
        lineno++;
        line[strcspn(line, "#\r\n")] = '\0';
        char *w = line;
        while (*w == ' ' || *w == '\t')
            w++;
        size_t len = strlen(w);
        while (len && (w[len - 1] == ' ' || w[len - 1] == '\t'))
            w[--len] = '\0';
        if (!len)
            continue;
        const char *why = word_problem(w);
        if (why) {
            hv_conf_fail(x, s, key, "%s:%u: \"%.20s\": %s", path, lineno, w, why);
            ok = false;
            break;
        }
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(v[i], w) == 0;
        if (dup)
            continue;
        if (n == WORDS_MAX) {
            hv_conf_fail(x, s, key, "%s: too many words (at most %d)", path, WORDS_MAX);
            ok = false;
            break;
        }
        push(&v, &n, &cap, xstrdup(w));
    }
    if (ok && ferror(f)) {
        hv_conf_fail(x, s, key, "cannot read the word list %s: %s", path, strerror(errno));
        ok = false;
    }
    fclose(f);
    if (ok && n == 0) {
        hv_conf_fail(x, s, key, "the word list %s has no words (one word per line)", path);
        ok = false;
    }
    if (!ok) {
        free_strings(v, n);
        return false;
    }
    *out = v;
    *nout = n;
    return true;
}

/* A string member: *out stays def when absent. */
static bool get_string(struct hv_conf_errors *x, const config_setting_t *g, const char *key, const char **out)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        hv_conf_fail(x, s, key, "must be a string in double quotes");
        return false;
    }
    *out = config_setting_get_string(s);
    if (!**out) {
        hv_conf_fail(x, s, key, "must not be empty");
        return false;
    }
    return true;
}

/* A boolean member: *out stays as it is when absent. */
static bool get_bool(struct hv_conf_errors *x, const config_setting_t *g, const char *key, bool *out)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        hv_conf_fail(x, s, key, "must be true or false");
        return false;
    }
    *out = config_setting_get_bool(s) != 0;
    return true;
}

/* An integer member within [min, max]: *out stays as it is when absent. */
static bool get_int(struct hv_conf_errors *x, const config_setting_t *g, const char *key, int min, int max, int *out)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
        hv_conf_fail(x, s, key, "must be a whole number");
        return false;
    }
    long long v = config_setting_get_int64(s);
    if (v < min || v > max) {
        hv_conf_fail(x, s, key, "must be between %d and %d (got %lld)", min, max, v);
        return false;
    }
    *out = (int)v;
    return true;
}

/* reserved_nicks: an array (or list) of glob patterns; absent = defaults. */
static bool get_reserved(struct hv_conf_errors *x, const config_setting_t *g, struct anon_conf *c)
{
    size_t cap = 0;
    const config_setting_t *s = g ? config_setting_get_member(g, "reserved_nicks") : NULL;
    if (!s) {
        for (size_t i = 0; default_reserved[i]; i++)
            push(&c->reserved, &c->nreserved, &cap, xstrdup(default_reserved[i]));
        return true;
    }
    if (!config_setting_is_aggregate(s) || config_setting_is_group(s)) {
        hv_conf_fail(x, s, "reserved_nicks", "must be a list of patterns in [ ], e.g. [ \"*mod*\", \"*admin*\" ]");
        return false;
    }
    int n = config_setting_length(s);
    if (n > RESERVED_MAX) {
        hv_conf_fail(x, s, "reserved_nicks", "too many patterns (at most %d)", RESERVED_MAX);
        return false;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *p = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
        if (!p || !*p || strlen(p) > PATTERN_MAX || strpbrk(p, " ,\r\n\001")) {
            hv_conf_fail(x, e, "reserved_nicks", "entry %d must be a non-empty pattern of at most %d characters, "
                 "without spaces or commas", i + 1, PATTERN_MAX);
            return false;
        }
        push(&c->reserved, &c->nreserved, &cap, xstrdup(p));
    }
    return true;
}

/* Every member must be a setting we know, so typos are reported. */
static bool only_known(struct hv_conf_errors *x, const config_setting_t *g)
{
    static const char *const known[] = { "nick_policy", "adjectives", "nouns", "reserved_nicks", "block_ctcp",
                                         "caller_id", "accept_max", "pm_delay", NULL };
    for (int i = 0; g && i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (size_t k = 0; n && known[k]; k++)
            ok = ok || strcmp(n, known[k]) == 0;
        if (!ok) {
            hv_conf_fail(x, s, n ? n : "?", "unknown setting (expected nick_policy, adjectives, nouns, reserved_nicks, "
                 "block_ctcp, caller_id, accept_max or pm_delay)");
            return false;
        }
    }
    return true;
}

/* Build the settings from group g, checking everything. */
struct anon_conf *anon_conf_load(const config_setting_t *g, char *err, size_t errlen)
{
    struct hv_conf_errors x = { err, errlen, "anonymity.", false };
    struct anon_conf *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->policy = ANON_ASSIGNED;
    c->block_ctcp = true;
    c->caller_id = true;
    c->accept_max = 50;
    c->pm_delay = 30;
    const char *policy = "assigned", *adj = "words/adjectives.txt", *nouns = "words/nouns.txt";

    if (g && !config_setting_is_group(g)) {
        hv_conf_fail(&x, g, "", "must be a group: anonymity = { ... };");
        anon_conf_free(c);
        return NULL;
    }
    bool ok = only_known(&x, g) && get_string(&x, g, "nick_policy", &policy) &&
              get_string(&x, g, "adjectives", &adj) && get_string(&x, g, "nouns", &nouns) &&
              get_reserved(&x, g, c) && get_bool(&x, g, "block_ctcp", &c->block_ctcp) &&
              get_bool(&x, g, "caller_id", &c->caller_id) &&
              get_int(&x, g, "accept_max", 1, 1000, &c->accept_max) &&
              get_int(&x, g, "pm_delay", 0, 86400, &c->pm_delay);
    if (ok) {
        if (strcmp(policy, "assigned") == 0) {
            c->policy = ANON_ASSIGNED;
        } else if (strcmp(policy, "chosen") == 0) {
            c->policy = ANON_CHOSEN;
        } else {
            hv_conf_fail(&x, config_setting_get_member(g, "nick_policy"), "nick_policy",
                 "must be \"assigned\" or \"chosen\" (got \"%.32s\")", policy);
            ok = false;
        }
    }
    const config_setting_t *sa = g ? config_setting_get_member(g, "adjectives") : NULL;
    const config_setting_t *sn = g ? config_setting_get_member(g, "nouns") : NULL;
    ok = ok && load_words(&x, sa ? sa : g, "adjectives", adj, &c->adjectives, &c->nadjectives) &&
         load_words(&x, sn ? sn : g, "nouns", nouns, &c->nouns, &c->nnouns);
    if (ok) {
        int maxlen = anon_pseudonym_maxlen();
        if (anon_pseudonym_space(c, maxlen) < 1) {
            hv_conf_fail(&x, sa ? sa : g, "adjectives", "no pseudonym from these word lists fits in %d characters "
                 "(limits.nicklen); use shorter words or a larger nicklen", maxlen);
            ok = false;
        }
    }
    if (!ok || !anon_reserved_prepare(c)) {
        anon_conf_free(c);
        return NULL;
    }
    return c;
}

/* Free settings built by anon_conf_load (NULL is fine). */
void anon_conf_free(struct anon_conf *c)
{
    if (!c)
        return;
    free_strings(c->adjectives, c->nadjectives);
    free_strings(c->nouns, c->nnouns);
    anon_reserved_free(c);
    free_strings(c->reserved, c->nreserved);
    free(c);
}
