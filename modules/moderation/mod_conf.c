/* mod_conf.c — read and validate the `moderation = { ... }` config group.
 *
 * Everything is checked before anything is kept, so a bad REHASH changes
 * nothing; the first problem is reported as "file:line: moderation.x:
 * reason", the shape the server uses for its own settings. */
#include "moderation.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mod_priv_names[PRIV_COUNT] = { "warn", "mute", "kick", "ban", "slow", "lock", "redact",
                                                 "reports", "filter" };

#define PRIV_LIST "warn, mute, kick, ban, slow, lock, redact, reports, filter"

/* strdup that aborts: a half-parsed config on OOM is not worth handling. */
static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        abort();
    return d;
}

/* A nick the server accepts for the service. */
static bool nick_ok(const char *n)
{
    return hv_valid_nick(n);
}

/* Why a filter phrase is unusable, or NULL. */
const char *mod_phrase_problem(const char *phrase)
{
    size_t len = strlen(phrase);
    if (len == 0 || len > MOD_PHRASE_MAX)
        return "must be 1 to 100 bytes";
    bool word = false;
    for (const unsigned char *p = (const unsigned char *)phrase; *p; p++) {
        if (*p < ' ' || *p == 0x7f)
            return "must not contain control characters";
        word = word || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z') || *p >= 0x80;
    }
    return word ? NULL : "must contain at least one letter or digit";
}

/* Is a casefolded channel name in the list? */
bool mod_names_has(const struct mod_names *l, const char *folded)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], folded) == 0)
            return true;
    return false;
}

/* Free a list of names and leave it empty. */
void mod_names_free(struct mod_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Free what a filter owns and leave it zeroed. */
void mod_filter_free(struct mod_filter *f)
{
    free(f->phrase);
    mod_names_free(&f->channels);
    memset(f, 0, sizeof *f);
}

/* Every member of group g must be one of `known`. */
static bool only_known(struct hv_conf_errors *x, const config_setting_t *g, const char *prefix, const char *const *known)
{
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *n = config_setting_name(s);
        bool ok = false;
        for (size_t k = 0; n && known[k]; k++)
            ok = ok || strcmp(n, known[k]) == 0;
        if (!ok) {
            char path[128], list[512] = "";
            size_t len = 0;
            for (size_t k = 0; known[k]; k++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", known[k]);
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", n ? n : "?");
            hv_conf_fail(x, s, path, "unknown setting (expected one of: %s)", list);
            return false;
        }
    }
    return true;
}

/* A string member (def when absent); false after reporting. */
static bool get_string(struct hv_conf_errors *x, const config_setting_t *g, const char *path, const char *key,
                       const char *def, size_t max, const char **out)
{
    *out = def;
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        hv_conf_fail(x, s, path, "must be a string in double quotes");
        return false;
    }
    const char *v = config_setting_get_string(s);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < ' ' || *p == 0x7f) {
            hv_conf_fail(x, s, path, "must be one line without control characters");
            return false;
        }
    }
    if (strlen(v) > max) {
        hv_conf_fail(x, s, path, "is too long (at most %zu bytes)", max);
        return false;
    }
    *out = v;
    return true;
}

/* An integer member in [lo, hi] (def when absent). */
static bool get_int(struct hv_conf_errors *x, const config_setting_t *g, const char *path, const char *key, int def, int lo,
                    int hi, int *out)
{
    *out = def;
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_INT) {
        hv_conf_fail(x, s, path, "must be a whole number");
        return false;
    }
    int v = config_setting_get_int(s);
    if (v < lo || v > hi) {
        hv_conf_fail(x, s, path, "must be between %d and %d (got %d)", lo, hi, v);
        return false;
    }
    *out = v;
    return true;
}

/* A boolean member (def when absent); false after reporting a bad type. */
static bool get_bool(struct hv_conf_errors *x, const config_setting_t *g, const char *path, const char *key, bool def,
                     bool *out)
{
    *out = def;
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        hv_conf_fail(x, s, path, "must be true or false");
        return false;
    }
    *out = config_setting_get_bool(s) != 0;
    return true;
}

/* A sub-group member (NULL when absent); false when not a group. */
static bool get_group(struct hv_conf_errors *x, const config_setting_t *g, const char *key, const config_setting_t **out)
{
    *out = g ? config_setting_get_member(g, key) : NULL;
    if (*out && config_setting_type(*out) != CONFIG_TYPE_GROUP) {
        hv_conf_fail(x, *out, key, "must be a group: %s = { ... };", key);
        return false;
    }
    return true;
}

/* [ "#a", "#b" ] into casefolded names. */
static bool get_channels(struct hv_conf_errors *x, const config_setting_t *g, const char *path, const char *key,
                         struct mod_names *out)
{
    const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
    if (!s)
        return true;
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
        hv_conf_fail(x, s, path, "must be a list of channel names, like [ \"#lobby\", \"#help\" ]");
        return false;
    }
    int n = config_setting_length(s);
    out->v = calloc((size_t)n + 1, sizeof *out->v);
    if (!out->v)
        abort();
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
        if (!v || !hv_valid_channel(v)) {
            hv_conf_fail(x, e, path, "\"%s\" is not a channel name (a '#' then up to 49 characters)", v ? v : "?");
            return false;
        }
        char fold[MOD_CHAN_MAX + 1];
        hv_casefold(fold, v, sizeof fold);
        out->v[out->n++] = xstrdup(fold);
    }
    return true;
}

/* The privilege bit a name stands for, or 0. */
static unsigned priv_bit(const char *name)
{
    for (unsigned i = 0; i < PRIV_COUNT; i++)
        if (strcmp(mod_priv_names[i], name) == 0)
            return 1u << i;
    return 0;
}

/* roles = { moderator = [ "warn", ... ]; admin = [ ... ]; } (default: those two). */
static bool parse_roles(struct hv_conf_errors *x, const config_setting_t *g, struct mod_conf *c)
{
    const config_setting_t *r;
    if (!get_group(x, g, "roles", &r))
        return false;
    if (!r) {
        c->roles = calloc(2, sizeof *c->roles);
        if (!c->roles)
            abort();
        unsigned all = (1u << PRIV_COUNT) - 1;
        c->roles[0] = (struct mod_role){ xstrdup("moderator"), all & ~PRIV_FILTER };
        c->roles[1] = (struct mod_role){ xstrdup("admin"), all };
        c->nroles = 2;
        return true;
    }
    int n = config_setting_length(r);
    c->roles = calloc((size_t)n + 1, sizeof *c->roles);
    if (!c->roles)
        abort();
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(r, (unsigned)i);
        char path[128];
        snprintf(path, sizeof path, "roles.%s", config_setting_name(e));
        if (config_setting_type(e) != CONFIG_TYPE_ARRAY && config_setting_type(e) != CONFIG_TYPE_LIST) {
            hv_conf_fail(x, e, path, "must be a list of privileges, like [ \"warn\", \"mute\" ] (privileges: " PRIV_LIST ")");
            return false;
        }
        struct mod_role *role = &c->roles[c->nroles++];
        role->name = xstrdup(config_setting_name(e));
        for (int k = 0; k < config_setting_length(e); k++) {
            const config_setting_t *p = config_setting_get_elem(e, (unsigned)k);
            const char *v = config_setting_type(p) == CONFIG_TYPE_STRING ? config_setting_get_string(p) : NULL;
            unsigned bit = v ? priv_bit(v) : 0;
            if (!bit) {
                hv_conf_fail(x, p, path, "\"%s\" is not a privilege (privileges: " PRIV_LIST ")", v ? v : "?");
                return false;
            }
            role->privs |= bit;
        }
    }
    return true;
}

/* staff = { alice = "admin"; bob = "moderator"; } */
static bool parse_staff(struct hv_conf_errors *x, const config_setting_t *g, struct mod_conf *c)
{
    const config_setting_t *s;
    if (!get_group(x, g, "staff", &s))
        return false;
    int n = s ? config_setting_length(s) : 0;
    c->staff = calloc((size_t)n + 1, sizeof *c->staff);
    if (!c->staff)
        abort();
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char path[128];
        snprintf(path, sizeof path, "staff.%s", config_setting_name(e));
        const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
        size_t role = c->nroles;
        for (size_t k = 0; v && k < c->nroles; k++)
            if (strcmp(c->roles[k].name, v) == 0)
                role = k;
        if (role == c->nroles) {
            char list[256] = "";
            size_t len = 0;
            for (size_t k = 0; k < c->nroles; k++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", k ? ", " : "", c->roles[k].name);
            hv_conf_fail(x, e, path, "must name a role in double quotes (roles: %s)", list);
            return false;
        }
        c->staff[c->nstaff++] = (struct mod_staff){ xstrdup(config_setting_name(e)), role };
    }
    return true;
}

/* filters = ( { phrase = "..."; action = "block"; channels = [ ... ]; private = false; } ) */
static bool parse_filters(struct hv_conf_errors *x, const config_setting_t *g, struct mod_conf *c)
{
    const config_setting_t *l = g ? config_setting_get_member(g, "filters") : NULL;
    if (!l)
        return true;
    if (config_setting_type(l) != CONFIG_TYPE_LIST) {
        hv_conf_fail(x, l, "filters", "must be a list of groups: ( { phrase = \"...\"; action = \"block\"; }, ... )");
        return false;
    }
    int n = config_setting_length(l);
    if (n > MOD_FILTERS_MAX) {
        hv_conf_fail(x, l, "filters", "too many filters (at most %d)", MOD_FILTERS_MAX);
        return false;
    }
    c->filters = calloc((size_t)n + 1, sizeof *c->filters);
    if (!c->filters)
        abort();
    static const char *const known[] = { "phrase", "action", "channels", "private", NULL };
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        char prefix[64], path[96];
        snprintf(prefix, sizeof prefix, "filters[%d]", i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            hv_conf_fail(x, e, prefix, "must be a group: { phrase = \"...\"; action = \"block\"; }");
            return false;
        }
        if (!only_known(x, e, prefix, known))
            return false;
        struct mod_filter *f = &c->filters[c->nfilters++];
        const char *phrase, *action;
        snprintf(path, sizeof path, "%s.phrase", prefix);
        if (!get_string(x, e, path, "phrase", NULL, MOD_PHRASE_MAX, &phrase))
            return false;
        const char *why = phrase ? mod_phrase_problem(phrase) : "required setting is missing";
        if (why) {
            hv_conf_fail(x, phrase ? config_setting_get_member(e, "phrase") : e, path, "%s", why);
            return false;
        }
        snprintf(path, sizeof path, "%s.action", prefix);
        if (!get_string(x, e, path, "action", "block", 16, &action))
            return false;
        if (strcmp(action, "block") != 0 && strcmp(action, "flag") != 0) {
            hv_conf_fail(x, config_setting_get_member(e, "action"), path,
                 "\"%s\": must be \"block\" (not sent, the sender is told) or \"flag\" (sent, staff are told)",
                 action);
            return false;
        }
        f->phrase = xstrdup(phrase);
        f->block = strcmp(action, "block") == 0;
        snprintf(path, sizeof path, "%s.private", prefix);
        if (!get_bool(x, e, path, "private", false, &f->private_too))
            return false;
        snprintf(path, sizeof path, "%s.channels", prefix);
        if (!get_channels(x, e, path, "channels", &f->channels))
            return false;
    }
    return true;
}

/* links = { }, flood = { }, join_flood = { }. */
static bool parse_auto(struct hv_conf_errors *x, const config_setting_t *g, struct mod_conf *c)
{
    static const char *const lk[] = { "min_age", "exempt_channels", NULL };
    static const char *const fk[] = { "repeat", "repeat_window", "messages", "window", "mentions", "mute",
                                      "exempt_channels", NULL };
    static const char *const jk[] = { "joins", "window", "lock", "exempt_channels", NULL };
    const config_setting_t *l, *f, *j;
    if (!get_group(x, g, "links", &l) || !get_group(x, g, "flood", &f) || !get_group(x, g, "join_flood", &j))
        return false;
    return (!l || only_known(x, l, "links", lk)) && (!f || only_known(x, f, "flood", fk)) &&
           (!j || only_known(x, j, "join_flood", jk)) &&
           get_int(x, l, "links.min_age", "min_age", 300, 0, 604800, &c->link_min_age) &&
           get_channels(x, l, "links.exempt_channels", "exempt_channels", &c->link_exempt) &&
           get_int(x, f, "flood.repeat", "repeat", 3, 0, MOD_REPEAT_RING, &c->repeat) &&
           (c->repeat != 1 || (hv_conf_fail(x, config_setting_get_member(f, "repeat"), "flood.repeat",
                                    "must be 0 (off) or at least 2"), false)) &&
           get_int(x, f, "flood.repeat_window", "repeat_window", 60, 1, 3600, &c->repeat_window) &&
           get_int(x, f, "flood.messages", "messages", 10, 0, MOD_RATE_RING - 1, &c->messages) &&
           get_int(x, f, "flood.window", "window", 5, 1, 600, &c->window) &&
           get_int(x, f, "flood.mentions", "mentions", 6, 0, 100, &c->mentions) &&
           get_int(x, f, "flood.mute", "mute", 300, 1, 604800, &c->flood_mute) &&
           get_channels(x, f, "flood.exempt_channels", "exempt_channels", &c->flood_exempt) &&
           get_int(x, j, "join_flood.joins", "joins", 10, 0, MOD_JOIN_RING - 1, &c->jf_joins) &&
           get_int(x, j, "join_flood.window", "window", 10, 1, 600, &c->jf_window) &&
           get_int(x, j, "join_flood.lock", "lock", 60, 1, 86400, &c->jf_lock) &&
           get_channels(x, j, "join_flood.exempt_channels", "exempt_channels", &c->jf_exempt);
}

/* base + "/" + path unless path is absolute. */
static char *resolve(const char *base, const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    size_t n = strlen(base) + strlen(path) + 2;
    char *p = malloc(n);
    if (!p)
        abort();
    snprintf(p, n, "%s/%s", base, path);
    return p;
}

/* The whole group: every setting checked before anything is kept. */
int mod_conf_parse(const config_setting_t *g, struct mod_conf *out, char *err, size_t errlen)
{
    static const char *const known[] = { "service_nick", "staff_channel", "staff_op", "roles", "staff",
                                         "report_history", "report_lines", "report_rate", "mute_default",
                                         "filter_notice", "filters", "links", "flood", "join_flood", "audit_log",
                                         "state_file", NULL };
    static const char *const rk[] = { "count", "period", NULL };
    struct hv_conf_errors x = { err, errlen, "moderation.", false };
    memset(out, 0, sizeof *out);
    if (g && config_setting_type(g) != CONFIG_TYPE_GROUP) {
        snprintf(err, errlen, "moderation: must be a group: moderation = { ... };");
        return -1;
    }
    const char *nick, *chan, *notice, *audit, *state;
    const config_setting_t *rate;
    bool ok = (!g || only_known(&x, g, "", known)) &&
              get_string(&x, g, "service_nick", "service_nick", "ModServ", 30, &nick) &&
              get_string(&x, g, "staff_channel", "staff_channel", "#staff", 50, &chan) &&
              get_bool(&x, g, "staff_op", "staff_op", true, &out->staff_op) &&
              get_int(&x, g, "report_history", "report_history", 300, 0, 86400, &out->report_history) &&
              get_int(&x, g, "report_lines", "report_lines", 5, 0, 20, &out->report_lines) &&
              get_group(&x, g, "report_rate", &rate) && (!rate || only_known(&x, rate, "report_rate", rk)) &&
              get_int(&x, rate, "report_rate.count", "count", 3, 1, 20, &out->report_count) &&
              get_int(&x, rate, "report_rate.period", "period", 600, 1, 86400, &out->report_period) &&
              get_int(&x, g, "mute_default", "mute_default", 600, 1, 2592000, &out->mute_default) &&
              get_string(&x, g, "filter_notice", "filter_notice",
                         "Your message was not sent: it contains wording that is not allowed here. "
                         "Please put it another way.", 300, &notice) &&
              get_string(&x, g, "audit_log", "audit_log", "", 1000, &audit) &&
              get_string(&x, g, "state_file", "state_file", "moderation.state", 1000, &state);
    if (ok && !nick_ok(nick)) {
        hv_conf_fail(&x, config_setting_get_member(g, "service_nick"), "service_nick", "\"%s\" is not a valid nick", nick);
        ok = false;
    }
    if (ok && !hv_valid_channel(chan)) {
        hv_conf_fail(&x, config_setting_get_member(g, "staff_channel"), "staff_channel",
             "\"%s\" is not a channel name (a '#' then up to 49 characters)", chan);
        ok = false;
    }
    if (ok && !*state) {
        hv_conf_fail(&x, config_setting_get_member(g, "state_file"), "state_file", "must not be empty");
        ok = false;
    }
    ok = ok && parse_roles(&x, g, out) && parse_staff(&x, g, out) && parse_filters(&x, g, out) &&
         parse_auto(&x, g, out);
    if (!ok) {
        mod_conf_free(out);
        return -1;
    }
    snprintf(out->service_nick, sizeof out->service_nick, "%s", nick);
    snprintf(out->staff_channel, sizeof out->staff_channel, "%s", chan);
    out->filter_notice = xstrdup(notice);
    out->audit_log = *audit ? resolve(hv_config_dir(), audit) : NULL;
    out->state_file = resolve(hv_state_dir(), state);
    return 0;
}

/* Free everything a parsed config owns and leave it empty. */
void mod_conf_free(struct mod_conf *c)
{
    for (size_t i = 0; i < c->nroles; i++)
        free(c->roles[i].name);
    free(c->roles);
    for (size_t i = 0; i < c->nstaff; i++)
        free(c->staff[i].account);
    free(c->staff);
    for (size_t i = 0; i < c->nfilters; i++)
        mod_filter_free(&c->filters[i]);
    free(c->filters);
    mod_names_free(&c->link_exempt);
    mod_names_free(&c->flood_exempt);
    mod_names_free(&c->jf_exempt);
    free(c->filter_notice);
    free(c->audit_log);
    free(c->state_file);
    memset(c, 0, sizeof *c);
}
