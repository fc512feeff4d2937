/* config.c — load and validate havend.conf (libconfig) into a struct config.
 *
 * Every problem found is reported as "<file>:<line>: <group.setting>: <reason>"
 * (one line each, as many as fit into the caller's buffer), and the load fails
 * if there was any. Unknown groups and settings are errors, so a typo never
 * silently falls back to a default. Relative paths resolve against the
 * directory of the config file and are stored absolute.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <openssl/crypto.h>

#include "havend.h"
#include "conf/config_check.h"

#define MOTD_LINE_MAX 400             /* bytes per MOTD line (longer lines are cut) */
#define MOTD_FILE_MAX (256 * 1024)    /* a bigger MOTD is almost surely the wrong file */
#define QUEUE_MAX ((long long)(SIZE_MAX > LLONG_MAX ? LLONG_MAX : SIZE_MAX))  /* sendq/recvq */

/* Where we are while loading: the error sink and the config being filled. */
struct pctx {
    const char *path;          /* as given: used in messages */
    char *dir;                 /* absolute directory of the config file */
    char *err;
    size_t errlen, used;
    int nerr;
    struct config *conf;
};

/* Append one "<file>:<line>: <name>: <reason>" line to the error buffer
 * (line 0 and name NULL are left out); on overflow the text ends in "..."
 * and later problems are only counted. */
static void perr_at(struct pctx *x, const char *file, unsigned line, const char *name,
                    const char *fmt, va_list ap)
{
    x->nerr++;
    if (!x->err || x->errlen < 2 || x->used >= x->errlen - 1)
        return;
    char reason[512];
    vsnprintf(reason, sizeof reason, fmt, ap);
    char where[32] = "";
    if (line)
        snprintf(where, sizeof where, ":%u", line);
    size_t room = x->errlen - x->used;
    int n = snprintf(x->err + x->used, room, "%s%s%s: %s%s%s", x->used ? "\n" : "", file, where,
                     name ? name : "", name ? ": " : "", reason);
    if (n < 0)
        return;
    if ((size_t)n >= room) {
        x->used = x->errlen - 1;
        if (x->errlen >= 4)
            memcpy(x->err + x->errlen - 4, "...", 4);
    } else {
        x->used += (size_t)n;
    }
}

/* Report a problem with setting s (or, when s is NULL, the file as a whole). */
__attribute__((format(printf, 4, 5)))
static void perr(struct pctx *x, const config_setting_t *s, const char *name, const char *fmt, ...)
{
    const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : x->path;
    va_list ap;
    va_start(ap, fmt);
    perr_at(x, file, s ? config_setting_source_line(s) : 1, name, fmt, ap);
    va_end(ap);
}

/* Same, with an explicit file and line (syntax-level problems). */
__attribute__((format(printf, 5, 6)))
static void perr_line(struct pctx *x, const char *file, unsigned line, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    perr_at(x, file, line, name, fmt, ap);
    va_end(ap);
}

/* Record an allocation failure (the load then fails cleanly). */
static void oom(struct pctx *x)
{
    perr_line(x, x->path, 0, NULL, "out of memory");
}

/* strdup that counts a failure as a config error instead of crashing later. */
static char *xstrdup(struct pctx *x, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        oom(x);
    return d;
}

/* "prefix.key" (or "key" at the top level) into buf, for messages. */
static const char *sname(char *buf, size_t len, const char *prefix, const char *key)
{
    snprintf(buf, len, "%s%s%s", prefix, *prefix ? "." : "", key);
    return buf;
}

/* ------------------------------------------------------------ typed lookup */

#define KIND_INT CONFIG_TYPE_INT     /* accepts int and int64 */
#define KIND_LIST CONFIG_TYPE_LIST   /* accepts ( ) lists and [ ] arrays */

/* Find grp.key and check its type. NULL when absent (reported if required)
 * or of the wrong type (always reported). */
static config_setting_t *member(struct pctx *x, config_setting_t *grp, const char *prefix,
                                const char *key, int kind, bool required)
{
    char nb[128];
    config_setting_t *s = grp ? config_setting_get_member(grp, key) : NULL;
    if (!s) {
        if (required && grp)
            perr(x, grp, sname(nb, sizeof nb, prefix, key), "required setting is missing");
        return NULL;
    }
    int t = config_setting_type(s);
    bool ok = t == kind || (kind == KIND_INT && t == CONFIG_TYPE_INT64) ||
              (kind == KIND_LIST && t == CONFIG_TYPE_ARRAY);
    if (!ok) {
        static const char *const what[] = {
            [CONFIG_TYPE_GROUP] = "a group { ... }", [CONFIG_TYPE_INT] = "an integer",
            [CONFIG_TYPE_STRING] = "a string in double quotes",
            [CONFIG_TYPE_BOOL] = "true or false", [CONFIG_TYPE_LIST] = "a list ( ... ) or [ ... ]",
        };
        perr(x, s, sname(nb, sizeof nb, prefix, key), "must be %s", what[kind]);
        return NULL;
    }
    return s;
}

/* Is n one of the modules the config loads (so its group is the module's)? */
static bool is_module_group(const struct pctx *x, const char *n)
{
    for (size_t i = 0; i < x->conf->nmodules; i++)
        if (strcmp(x->conf->modules[i], n) == 0)
            return true;
    return false;
}

/* Report every member of grp whose name is not in the NULL-terminated list
 * (at the top level, groups named after a loaded module are known too). */
static void check_known(struct pctx *x, config_setting_t *grp, const char *prefix,
                        const char *const *names)
{
    char nb[128];
    for (int i = 0; i < config_setting_length(grp); i++) {
        config_setting_t *s = config_setting_get_elem(grp, (unsigned)i);
        const char *n = s->name ? s->name : "?";
        size_t k = 0;
        while (names[k] && strcmp(names[k], n) != 0)
            k++;
        if (!names[k] && !*prefix && config_setting_type(s) == CONFIG_TYPE_GROUP && is_module_group(x, n))
            continue;
        if (!names[k])
            perr(x, s, sname(nb, sizeof nb, prefix, n), "unknown setting%s",
                 *prefix ? "" : " (expected server, limits, privacy, log, listen, classes, opers, modules,"
                 " module_path, or a group named after a module in `modules`)");
    }
}

/* Copy grp.key (or def when absent) into *dst after check; *dst is left
 * NULL when the setting is absent and def is NULL. */
static void take_str(struct pctx *x, config_setting_t *grp, const char *prefix, const char *key,
                     const char *def, bool required, str_check check, char **dst)
{
    char nb[128];
    config_setting_t *s = member(x, grp, prefix, key, CONFIG_TYPE_STRING, required);
    const char *v = s ? config_setting_get_string(s) : def;
    const char *why = s && check ? check(v) : NULL;
    if (why && check == chk_hash)   /* never echo what may be a plaintext password */
        perr(x, s, sname(nb, sizeof nb, prefix, key), "%s", why);
    else if (why)
        perr(x, s, sname(nb, sizeof nb, prefix, key), "%s (got \"%.64s\")", why, v);
    if (v && !why)
        *dst = xstrdup(x, v);
}

/* grp.key as an integer in [min, max], or def when absent or invalid. */
static long long take_int(struct pctx *x, config_setting_t *grp, const char *prefix, const char *key,
                          long long def, long long min, long long max)
{
    char nb[128];
    config_setting_t *s = member(x, grp, prefix, key, KIND_INT, false);
    if (!s)
        return def;
    long long v = config_setting_get_int64(s);
    if (v < min || v > max) {
        if (max >= INT_MAX)       /* "no real upper bound" */
            perr(x, s, sname(nb, sizeof nb, prefix, key), "must be at least %lld (got %lld)", min, v);
        else
            perr(x, s, sname(nb, sizeof nb, prefix, key), "must be between %lld and %lld (got %lld)",
                 min, max, v);
        return def;
    }
    return v;
}

/* grp.key as a boolean, or def when absent or invalid. */
static bool take_bool(struct pctx *x, config_setting_t *grp, const char *prefix, const char *key, bool def)
{
    config_setting_t *s = member(x, grp, prefix, key, CONFIG_TYPE_BOOL, false);
    return s ? config_setting_get_bool(s) : def;
}

/* A path relative to the config directory made absolute (malloc'd). */
static char *resolve(struct pctx *x, const char *p)
{
    if (!p)
        return NULL;
    if (p[0] == '/')
        return xstrdup(x, p);
    char *out = NULL;
    if (asprintf(&out, "%s/%s", x->dir, p) < 0) {
        oom(x);
        return NULL;
    }
    return out;
}

/* ------------------------------------------------------------ groups */

/* Split a MOTD file into lines (CR/LF stripped, each cut at MOTD_LINE_MAX
 * bytes on a UTF-8 character boundary). */
static void read_motd(struct pctx *x, const config_setting_t *s, const char *file)
{
    struct config *c = x->conf;
    char *buf = NULL;
    size_t len = 0;
    int rc = config_read_whole(file, MOTD_FILE_MAX, &buf, &len);
    if (rc) {
        perr(x, s, "server.motd", "cannot read \"%s\": %s", file,
             rc == EFBIG ? "larger than 256 KiB" : strerror(rc));
        return;
    }
    size_t nlines = 0;
    for (size_t i = 0; i < len; i++)
        nlines += buf[i] == '\n';
    c->motd = calloc(nlines + 1, sizeof *c->motd);
    for (size_t i = 0; c->motd && i < len;) {
        size_t end = i;
        while (end < len && buf[end] != '\n')
            end++;
        size_t n = end - i;
        while (n > 0 && (buf[i + n - 1] == '\r' || buf[i + n - 1] == '\n'))
            n--;
        if (n > MOTD_LINE_MAX) {
            n = MOTD_LINE_MAX;
            for (int k = 0; k < 3 && n > 0 && ((unsigned char)buf[i + n] & 0xC0) == 0x80; k++)
                n--;
        }
        char *line = strndup(buf + i, n);
        if (!line)
            break;
        c->motd[c->motd_len++] = line;
        i = end + 1;
    }
    if (!c->motd || c->motd_len < nlines + (len > 0 && buf[len - 1] != '\n'))
        oom(x);
    free(buf);
}

/* server { }: identity, MOTD, state directory and default TLS files. */
static void parse_server(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "name", "sid", "description", "network", "admin",
        "password", "motd", "state_dir", "tls_cert", "tls_key", "sts", "sts_duration", NULL };
    struct config *c = x->conf;
    config_setting_t *g = member(x, root, "", "server", CONFIG_TYPE_GROUP, false);
    if (!g && !config_setting_get_member(root, "server"))
        perr(x, NULL, "server", "required group is missing");
    if (g)
        check_known(x, g, "server", known);

    take_str(x, g, "server", "name", NULL, true, chk_servername, &c->server_name);
    take_str(x, g, "server", "sid", NULL, true, chk_sid, &c->sid);
    take_str(x, g, "server", "description", "havend IRC server", false, chk_text, &c->description);
    take_str(x, g, "server", "network", "HavenNet", false, chk_network, &c->network);
    take_str(x, g, "server", "password", NULL, false, chk_hash, &c->password_hash);

    config_setting_t *a = member(x, g, "server", "admin", KIND_LIST, false);
    int na = a ? config_setting_length(a) : 0;
    if (a && (na < 1 || na > 3))
        perr(x, a, "server.admin", "must hold 1 to 3 strings (got %d)", na);
    for (int i = 0; i < 3; i++) {
        config_setting_t *e = i < na ? config_setting_get_elem(a, (unsigned)i) : NULL;
        const char *v = "";
        if (e && config_setting_type(e) != CONFIG_TYPE_STRING)
            perr(x, e, "server.admin", "entry %d must be a string", i + 1);
        else if (e && chk_text(config_setting_get_string(e)))
            perr(x, e, "server.admin", "entry %d %s", i + 1, chk_text(config_setting_get_string(e)));
        else if (e)
            v = config_setting_get_string(e);
        c->admin[i] = xstrdup(x, v);
    }

    char *motd = NULL, *state = NULL, *cert = NULL, *key = NULL;
    take_str(x, g, "server", "motd", NULL, false, chk_path, &motd);
    if (motd) {
        c->motd_file = resolve(x, motd);
        if (c->motd_file)
            read_motd(x, config_setting_get_member(g, "motd"), c->motd_file);
    }
    take_str(x, g, "server", "state_dir", "state", false, chk_path, &state);
    c->state_dir = resolve(x, state);
    take_str(x, g, "server", "tls_cert", NULL, false, chk_path, &cert);
    take_str(x, g, "server", "tls_key", NULL, false, chk_path, &key);
    if (!cert != !key) {
        perr(x, config_setting_get_member(g, cert ? "tls_cert" : "tls_key"),
             cert ? "server.tls_cert" : "server.tls_key", "tls_cert and tls_key must be set together");
    } else if (cert) {
        c->tls_cert = resolve(x, cert);
        c->tls_key = resolve(x, key);
    } else if (c->state_dir) {
        if (asprintf(&c->tls_cert, "%s/tls/cert.pem", c->state_dir) < 0)
            c->tls_cert = NULL, oom(x);
        if (asprintf(&c->tls_key, "%s/tls/key.pem", c->state_dir) < 0)
            c->tls_key = NULL, oom(x);
    }
    free(motd), free(state), free(cert), free(key);
    c->sts = take_bool(x, g, "server", "sts", false);
    c->sts_duration = (int)take_int(x, g, "server", "sts_duration", 2592000, 0, INT_MAX);
}

/* limits { }: lengths and counts (most advertised in ISUPPORT), and the
 * server-wide bounds: clients at once, pending INVITEs per channel. */
static void parse_limits(struct pctx *x, config_setting_t *root)
{
    static const struct { const char *key; int def, min, max; size_t off; } lim[] = {
        { "nicklen", 30, 1, NICK_MAX, offsetof(struct config, nicklen) },
        { "channellen", 50, 2, CHAN_MAX, offsetof(struct config, channellen) },
        { "topiclen", 390, 1, 400, offsetof(struct config, topiclen) },
        { "kicklen", 255, 1, 400, offsetof(struct config, kicklen) },
        { "awaylen", 200, 1, 400, offsetof(struct config, awaylen) },
        { "userlen", 10, 1, USER_MAX, offsetof(struct config, userlen) },
        { "max_channels", 25, 1, INT_MAX, offsetof(struct config, max_channels) },
        { "max_list", 100, 1, INT_MAX, offsetof(struct config, max_list) },
        { "max_targets", 4, 1, INT_MAX, offsetof(struct config, max_targets) },
        { "max_modes", 4, 1, INT_MAX, offsetof(struct config, max_modes) },
        { "whowas", 200, 1, 100000, offsetof(struct config, whowas_len) },
        { "monitor", 100, 1, 10000, offsetof(struct config, monitor_max) },
        { "max_clients", 10000, 0, INT_MAX, offsetof(struct config, max_clients) },
        { "max_invites", 64, 1, 10000, offsetof(struct config, max_invites) },
    };
    const size_t n = sizeof lim / sizeof lim[0];
    const char *known[sizeof lim / sizeof lim[0] + 3];
    for (size_t i = 0; i < n; i++)
        known[i] = lim[i].key;
    known[n] = "utf8only";
    known[n + 1] = "utf8only_replace";
    known[n + 2] = NULL;

    config_setting_t *g = member(x, root, "", "limits", CONFIG_TYPE_GROUP, false);
    if (g)
        check_known(x, g, "limits", known);
    for (size_t i = 0; i < n; i++)
        *(int *)((char *)x->conf + lim[i].off) =
            (int)take_int(x, g, "limits", lim[i].key, lim[i].def, lim[i].min, lim[i].max);
    x->conf->utf8only = take_bool(x, g, "limits", "utf8only", true);
    x->conf->utf8only_replace = take_bool(x, g, "limits", "utf8only_replace", false);
}

/* privacy { }: what others may see of a user. */
static void parse_privacy(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "show_sent_username", "show_sent_realname",
        "username", "realname", "cloak_suffix", "cloak_hosts", "ban_token_secret", "whowas", NULL };
    struct config *c = x->conf;
    config_setting_t *g = member(x, root, "", "privacy", CONFIG_TYPE_GROUP, false);
    if (g)
        check_known(x, g, "privacy", known);
    c->show_sent_username = take_bool(x, g, "privacy", "show_sent_username", false);
    c->show_sent_realname = take_bool(x, g, "privacy", "show_sent_realname", false);
    take_str(x, g, "privacy", "username", "user", false, chk_username, &c->public_username);
    take_str(x, g, "privacy", "realname", "havend user", false, chk_realname, &c->public_realname);
    take_str(x, g, "privacy", "cloak_suffix", "users.havend", false, chk_cloak, &c->cloak_suffix);
    c->cloak_hosts = take_bool(x, g, "privacy", "cloak_hosts", true);
    c->whowas_enabled = take_bool(x, g, "privacy", "whowas", true);
    take_str(x, g, "privacy", "ban_token_secret", NULL, false, NULL, &c->ban_token_secret);
    if (c->ban_token_secret && strlen(c->ban_token_secret) < 32)
        perr(x, config_setting_get_member(g, "ban_token_secret"), "privacy.ban_token_secret",
             "too short: use at least 32 random characters (or leave it out to have one generated)");
    if (c->public_username && (int)strlen(c->public_username) > c->userlen)
        perr(x, g ? config_setting_get_member(g, "username") : NULL, "privacy.username",
             "longer than limits.userlen (%d)", c->userlen);
}

/* log { }: where log lines go and how many. */
static void parse_log(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "file", "level", NULL };
    static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
    struct config *c = x->conf;
    config_setting_t *g = member(x, root, "", "log", CONFIG_TYPE_GROUP, false);
    if (g)
        check_known(x, g, "log", known);

    char *file = NULL, *level = NULL;
    take_str(x, g, "log", "file", NULL, false, NULL, &file);
    if (file && *file)
        c->log_file = resolve(x, file);
    c->log_level = LOG_INFO;
    take_str(x, g, "log", "level", NULL, false, NULL, &level);
    if (level) {
        int i = 0;
        while (levels[i] && strcmp(levels[i], level) != 0)
            i++;
        if (levels[i])
            c->log_level = i;
        else
            perr(x, config_setting_get_member(g, "level"), "log.level",
                 "must be error, warn, info or debug (got \"%.32s\")", level);
    }
    free(file), free(level);
}

/* root.key as a list whose every element is a group; NULL when absent or bad. */
static config_setting_t *group_list(struct pctx *x, config_setting_t *root, const char *key)
{
    char nb[128];
    config_setting_t *l = member(x, root, "", key, KIND_LIST, false);
    for (int i = 0; l && i < config_setting_length(l); i++) {
        config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            snprintf(nb, sizeof nb, "%s[%d]", key, i);
            perr(x, e, nb, "must be a group { ... }");
            l = NULL;
        }
    }
    return l;
}

/* modules = [ "name", ... ] and module_path = "dir". */
static void parse_modules(struct pctx *x, config_setting_t *root)
{
    char nb[128];
    config_setting_t *l = member(x, root, "", "modules", KIND_LIST, false);
    int n = l ? config_setting_length(l) : 0;
    if (n > 0 && !(x->conf->modules = calloc((size_t)n, sizeof *x->conf->modules))) {
        oom(x);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
        const char *v = config_setting_get_string(e);
        snprintf(nb, sizeof nb, "modules[%d]", i);
        if (!v || !*v) {
            perr(x, e, nb, "must be a module name in double quotes");
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < x->conf->nmodules; k++)
            dup = dup || strcmp(x->conf->modules[k], v) == 0;
        if (dup) {
            perr(x, e, nb, "module \"%s\" is listed twice", v);
            continue;
        }
        x->conf->modules[x->conf->nmodules++] = xstrdup(x, v);
    }
    char *dir = NULL;
    take_str(x, root, "", "module_path", NULL, false, chk_path, &dir);
    if (dir) {
        x->conf->module_path = resolve(x, dir);
        free(dir);
    }
}

/* The built-in limits of a connection class. */
static void class_defaults(struct conf_class *k)
{
    k->max_clients = 1000;
    k->sendq = 1048576;
    k->recvq = 8192;
    k->ping_freq = 90;
    k->ping_timeout = 60;
    k->reg_timeout = 30;
    k->idle_timeout = 0;
    k->flood_mode = FLOOD_FAKELAG;
    k->flood_burst = 10;
    k->flood_rate = 2;
    k->per_token = 10;
    k->throttle_count = 10;
    k->throttle_period = 60;
}

/* classes ( ): connection classes; a "default" one always exists. */
static void parse_classes(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "name", "max_clients", "sendq", "recvq", "ping_freq",
        "ping_timeout", "reg_timeout", "idle_timeout", "flood", "per_token", "throttle", NULL };
    static const char *const fknown[] = { "mode", "burst", "rate", NULL };
    static const char *const tknown[] = { "count", "period", NULL };
    struct config *c = x->conf;
    config_setting_t *l = group_list(x, root, "classes");
    int n = l ? config_setting_length(l) : 0;
    c->classes = calloc((size_t)n + 1, sizeof *c->classes);
    if (!c->classes) {
        oom(x);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct conf_class *k = &c->classes[c->nclasses++];
        char p[48], fp[64], nb[128];
        snprintf(p, sizeof p, "classes[%d]", i);
        check_known(x, g, p, known);
        class_defaults(k);
        take_str(x, g, p, "name", NULL, true, chk_name, &k->name);
        for (size_t j = 0; k->name && j + 1 < c->nclasses; j++)
            if (c->classes[j].name && strcmp(c->classes[j].name, k->name) == 0)
                perr(x, config_setting_get_member(g, "name"), sname(nb, sizeof nb, p, "name"),
                     "duplicate class name \"%s\" (also classes[%zu])", k->name, j);
        k->max_clients = (int)take_int(x, g, p, "max_clients", k->max_clients, 0, INT_MAX);
        k->sendq = (size_t)take_int(x, g, p, "sendq", (long long)k->sendq, 4096, QUEUE_MAX);
        k->recvq = (size_t)take_int(x, g, p, "recvq", (long long)k->recvq, 1024, 1LL << 30);
        k->ping_freq = (int)take_int(x, g, p, "ping_freq", k->ping_freq, 1, INT_MAX);
        k->ping_timeout = (int)take_int(x, g, p, "ping_timeout", k->ping_timeout, 1, INT_MAX);
        k->reg_timeout = (int)take_int(x, g, p, "reg_timeout", k->reg_timeout, 1, INT_MAX);
        k->idle_timeout = (int)take_int(x, g, p, "idle_timeout", k->idle_timeout, 0, INT_MAX);

        config_setting_t *f = member(x, g, p, "flood", CONFIG_TYPE_GROUP, false);
        snprintf(fp, sizeof fp, "%s.flood", p);
        if (f)
            check_known(x, f, fp, fknown);
        char *mode = NULL;
        take_str(x, f, fp, "mode", NULL, false, NULL, &mode);
        if (mode && strcmp(mode, "disconnect") == 0)
            k->flood_mode = FLOOD_DISCONNECT;
        else if (mode && strcmp(mode, "fakelag") != 0)
            perr(x, config_setting_get_member(f, "mode"), sname(nb, sizeof nb, fp, "mode"),
                 "must be fakelag or disconnect (got \"%.32s\")", mode);
        free(mode);
        k->flood_burst = (int)take_int(x, f, fp, "burst", k->flood_burst, 1, INT_MAX);
        k->flood_rate = (int)take_int(x, f, fp, "rate", k->flood_rate, 1, INT_MAX);

        k->per_token = (int)take_int(x, g, p, "per_token", k->per_token, 0, INT_MAX);
        config_setting_t *t = member(x, g, p, "throttle", CONFIG_TYPE_GROUP, false);
        snprintf(fp, sizeof fp, "%s.throttle", p);
        if (t)
            check_known(x, t, fp, tknown);
        k->throttle_count = (int)take_int(x, t, fp, "count", k->throttle_count, 0, INT_MAX);
        k->throttle_period = (int)take_int(x, t, fp, "period", k->throttle_period, 1, 86400);
    }
    if (!config_find_class(c, "default")) {
        struct conf_class *k = &c->classes[c->nclasses++];
        class_defaults(k);
        k->name = xstrdup(x, "default");
    }
}

/* listen ( ): the sockets to open; needs classes parsed first. */
static void parse_listens(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "address", "port", "tls", "class", "cert", "key", NULL };
    struct config *c = x->conf;
    config_setting_t *l = group_list(x, root, "listen");
    int n = l ? config_setting_length(l) : 0;
    if (n == 0) {
        if (!config_setting_get_member(root, "listen"))
            perr(x, NULL, "listen", "at least one listen block is required");
        else if (l)
            perr(x, l, "listen", "at least one listen block is required");
        return;
    }
    c->listens = calloc((size_t)n, sizeof *c->listens);
    if (!c->listens) {
        oom(x);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct conf_listen *L = &c->listens[c->nlistens++];
        char p[48], nb[128];
        snprintf(p, sizeof p, "listen[%d]", i);
        check_known(x, g, p, known);
        take_str(x, g, p, "address", NULL, true, chk_address, &L->address);
        L->port = (int)take_int(x, g, p, "port", -1, 0, 65535);
        if (!config_setting_get_member(g, "port"))
            perr(x, g, sname(nb, sizeof nb, p, "port"), "required setting is missing");
        L->tls = take_bool(x, g, p, "tls", false);
        take_str(x, g, p, "class", "default", false, chk_name, &L->class_name);
        if (L->class_name && !config_find_class(c, L->class_name))
            perr(x, config_setting_get_member(g, "class"), sname(nb, sizeof nb, p, "class"),
                 "no class named \"%s\" in classes", L->class_name);

        char *cert = NULL, *key = NULL;
        take_str(x, g, p, "cert", NULL, false, chk_path, &cert);
        take_str(x, g, p, "key", NULL, false, chk_path, &key);
        if ((cert || key) && !L->tls)
            perr(x, config_setting_get_member(g, cert ? "cert" : "key"), sname(nb, sizeof nb, p, cert ? "cert" : "key"),
                 "cert and key apply only to a listener with tls = true");
        else if (!cert != !key)
            perr(x, config_setting_get_member(g, cert ? "cert" : "key"), sname(nb, sizeof nb, p, cert ? "cert" : "key"),
                 "cert and key must be set together");
        else if (cert)
            L->cert = resolve(x, cert), L->key = resolve(x, key);
        free(cert), free(key);

        for (int j = 0; L->address && L->port > 0 && j < i; j++)
            if (c->listens[j].address && c->listens[j].port == L->port &&
                strcmp(c->listens[j].address, L->address) == 0)
                perr(x, g, p, "%s port %d is already used by listen[%d]", L->address, L->port, j);
    }
}

/* opers ( ): operator accounts; needs classes parsed first. */
static void parse_opers(struct pctx *x, config_setting_t *root)
{
    static const char *const known[] = { "name", "password", "privileges", "class", "certfp", NULL };
    static const struct { const char *name; unsigned bit; } privs[] = {
        { "kill", OPRIV_KILL }, { "rehash", OPRIV_REHASH }, { "die", OPRIV_DIE },
        { "wallops", OPRIV_WALLOPS }, { "see_address", OPRIV_SEE_ADDRESS }, { "see_token", OPRIV_SEE_TOKEN },
    };
    struct config *c = x->conf;
    config_setting_t *l = group_list(x, root, "opers");
    int n = l ? config_setting_length(l) : 0;
    if (n == 0)
        return;
    c->opers = calloc((size_t)n, sizeof *c->opers);
    if (!c->opers) {
        oom(x);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *g = config_setting_get_elem(l, (unsigned)i);
        struct conf_oper *o = &c->opers[c->nopers++];
        char p[48], nb[128];
        snprintf(p, sizeof p, "opers[%d]", i);
        check_known(x, g, p, known);
        take_str(x, g, p, "name", NULL, true, chk_name, &o->name);
        if (o->name && (o->name[0] == ':' || strcmp(o->name, "*") == 0))   /* it is also an account name */
            perr(x, config_setting_get_member(g, "name"), sname(nb, sizeof nb, p, "name"),
                 "must not be \"*\" or start with ':' (got \"%s\")", o->name);
        for (int j = 0; o->name && j < i; j++)
            if (c->opers[j].name && strcmp(c->opers[j].name, o->name) == 0)
                perr(x, config_setting_get_member(g, "name"), sname(nb, sizeof nb, p, "name"),
                     "duplicate oper name \"%s\" (also opers[%d])", o->name, j);
        take_str(x, g, p, "password", NULL, true, chk_hash, &o->password_hash);
        take_str(x, g, p, "class", NULL, false, chk_name, &o->class_name);
        if (o->class_name && !config_find_class(c, o->class_name))
            perr(x, config_setting_get_member(g, "class"), sname(nb, sizeof nb, p, "class"),
                 "no class named \"%s\" in classes", o->class_name);

        char *fp = NULL, norm[65];
        take_str(x, g, p, "certfp", NULL, false, chk_certfp, &fp);
        if (fp && certfp_normalize(fp, norm))
            o->certfp = xstrdup(x, norm);
        free(fp);

        config_setting_t *pl = member(x, g, p, "privileges", KIND_LIST, false);
        for (int j = 0; pl && j < config_setting_length(pl); j++) {
            config_setting_t *e = config_setting_get_elem(pl, (unsigned)j);
            const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : "";
            size_t k = 0;
            while (k < sizeof privs / sizeof privs[0] && strcmp(privs[k].name, v) != 0)
                k++;
            if (k < sizeof privs / sizeof privs[0])
                o->privs |= privs[k].bit;
            else
                perr(x, e, sname(nb, sizeof nb, p, "privileges"), "unknown privilege \"%.32s\" (known: kill, rehash, "
                     "die, wallops, see_address, see_token)", v);
        }
    }
}


/* Report a problem config_precheck() found. */
static void report_precheck(void *arg, const char *file, unsigned line, const char *setting,
                            const char *msg)
{
    perr_line(arg, file, line, setting, "%s", msg);
}

/* Load, validate and return a config; NULL with reasons in err on failure. */
struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct pctx x = { .path = path ? path : "(null)", .err = err, .errlen = errlen };
    if (err && errlen)
        err[0] = '\0';
    char *abs = path ? realpath(path, NULL) : NULL;
    struct stat st;
    if (!abs || stat(abs, &st) != 0 || !S_ISREG(st.st_mode)) {
        perr_line(&x, x.path, 0, NULL, "cannot read the config file: %s",
                  !path ? "no path given" : abs ? "not a regular file" : strerror(errno));
        free(abs);
        return NULL;
    }
    x.dir = xstrdup(&x, abs);
    x.conf = calloc(1, sizeof *x.conf);
    if (!x.dir || !x.conf) {
        free(abs), free(x.dir), free(x.conf);
        return NULL;
    }
    *strrchr(x.dir, '/') = '\0';      /* realpath() always has a '/'; "" means "/" */
    x.conf->path = abs;

    config_t *cfp = malloc(sizeof *cfp);
    if (!cfp)
        abort();
    x.conf->raw = cfp;
    config_init(cfp);
    config_set_include_dir(cfp, x.dir);
    if (!config_precheck(path, x.dir, report_precheck, &x)) {
        /* already reported: libconfig would leak or exit() on this file */
    } else if (!config_read_file(cfp, path)) {
        int e = errno;
        if (config_error_type(cfp) == CONFIG_ERR_FILE_IO)
            perr_line(&x, path, 0, NULL, "cannot read the config file: %s", strerror(e));
        else
            perr_line(&x, config_error_file(cfp) ? config_error_file(cfp) : path,
                      (unsigned)config_error_line(cfp), NULL,
                      "%s", config_error_text(cfp) ? config_error_text(cfp) : "parse error");
    } else {
        static const char *const known[] = { "server", "limits", "privacy", "log", "listen",
            "classes", "opers", "modules", "module_path", NULL };
        config_setting_t *root = config_root_setting(cfp);
        parse_modules(&x, root);
        check_known(&x, root, "", known);
        parse_server(&x, root);
        parse_limits(&x, root);
        parse_privacy(&x, root);
        parse_log(&x, root);
        parse_classes(&x, root);
        parse_listens(&x, root);
        parse_opers(&x, root);
    }
    free(x.dir);
    if (x.nerr > 0) {
        config_free(x.conf);
        return NULL;
    }
    return x.conf;
}

/* Free a config and everything it owns; NULL is fine. */
void config_free(struct config *c)
{
    if (!c)
        return;
    free(c->path), free(c->server_name), free(c->sid), free(c->description), free(c->network);
    for (int i = 0; i < 3; i++)
        free(c->admin[i]);
    free(c->password_hash), free(c->motd_file), free(c->state_dir);
    free(c->tls_cert), free(c->tls_key);
    for (size_t i = 0; i < c->motd_len; i++)
        free(c->motd[i]);
    free(c->motd);
    free(c->public_username), free(c->public_realname), free(c->cloak_suffix), free(c->log_file);
    if (c->ban_token_secret) {
        OPENSSL_cleanse(c->ban_token_secret, strlen(c->ban_token_secret));
        free(c->ban_token_secret);
    }
    for (size_t i = 0; i < c->nlistens; i++) {
        struct conf_listen *l = &c->listens[i];
        free(l->address), free(l->cert), free(l->key), free(l->class_name);
    }
    free(c->listens);
    for (size_t i = 0; i < c->nclasses; i++)
        free(c->classes[i].name);
    free(c->classes);
    for (size_t i = 0; i < c->nopers; i++) {
        struct conf_oper *o = &c->opers[i];
        free(o->name), free(o->password_hash), free(o->class_name), free(o->certfp);
    }
    free(c->opers);
    for (size_t i = 0; i < c->nmodules; i++)
        free(c->modules[i]);
    free(c->modules);
    free(c->module_path);
    if (c->raw) {
        config_destroy(c->raw);
        free(c->raw);
    }
    free(c);
}

/* The class with this exact name, or NULL. */
const struct conf_class *config_find_class(const struct config *conf, const char *name)
{
    for (size_t i = 0; conf && name && i < conf->nclasses; i++)
        if (conf->classes[i].name && strcmp(conf->classes[i].name, name) == 0)
            return &conf->classes[i];
    return NULL;
}

/* The oper block with this exact name, or NULL. */
const struct conf_oper *config_find_oper(const struct config *conf, const char *name)
{
    for (size_t i = 0; conf && name && i < conf->nopers; i++)
        if (conf->opers[i].name && strcmp(conf->opers[i].name, name) == 0)
            return &conf->opers[i];
    return NULL;
}
