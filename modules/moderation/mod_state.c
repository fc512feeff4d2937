/* mod_state.c — the moderation state file: bans and the filters staff added
 * with FILTER ADD, so a restart loses none of them.
 *
 * libconfig format, in the state directory (moderation.state_file). It is
 * written atomically: a temporary file in the same directory, fsync, then
 * rename over the old one (and the directory synced), so a crash leaves
 * either the old or the new state, never half of one. At start it is read
 * and validated; any problem fails the module's start (and so the server's)
 * with "file:line: reason" — a state file is never silently dropped.
 * Mutes, reports and remembered messages are deliberately not kept. */
#include "moderation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1

/* "file:line: what: reason" for a setting of the state file. */
__attribute__((format(printf, 5, 6)))
static int bad(char *err, size_t errlen, const char *path, const config_setting_t *s, const char *fmt, ...)
{
    char reason[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%u: %s (the moderation state file is damaged; fix or restore it - havend will not "
             "start without its bans)", path, s ? config_setting_source_line(s) : 0, reason);
    return -1;
}

/* A string member of g, at most max bytes, printable. */
static const char *str_member(const config_setting_t *g, const char *key, size_t max)
{
    const char *v = NULL;
    if (!config_setting_lookup_string(g, key, &v) || strlen(v) > max)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < ' ' || *p == 0x7f)
            return NULL;
    return v;
}

/* One ban group into b. */
static int load_ban(const config_setting_t *g, const char *path, int i, struct ban *b, char *err, size_t errlen)
{
    int id = 0;
    long long set_at = 0, expires = 0;
    const char *token = str_member(g, "token", MOD_TOKEN_MAX), *nick = str_member(g, "nick", MOD_NICK_MAX);
    const char *reason = str_member(g, "reason", MOD_REASON_MAX), *setter = str_member(g, "setter", MOD_NICK_MAX);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return bad(err, errlen, path, g, "bans[%d]: must be a group { id = ...; token = \"...\"; ... }", i);
    if (!config_setting_lookup_int(g, "id", &id) || id <= 0)
        return bad(err, errlen, path, g, "bans[%d].id: missing or not a positive number", i);
    if (!token || !mod_is_token(token))
        return bad(err, errlen, path, g, "bans[%d].token: missing or not %d lower-case hex digits", i, MOD_TOKEN_MAX);
    if (!nick || !reason || !setter)
        return bad(err, errlen, path, g, "bans[%d]: nick, reason and setter must be strings of at most %d bytes",
                   i, MOD_REASON_MAX);
    if (!config_setting_lookup_int64(g, "set_at", &set_at) || !config_setting_lookup_int64(g, "expires", &expires) ||
        set_at < 0 || expires < 0)
        return bad(err, errlen, path, g, "bans[%d]: set_at and expires must be times (0: never expires)", i);
    memset(b, 0, sizeof *b);
    b->id = (unsigned)id;
    snprintf(b->token, sizeof b->token, "%s", token);
    snprintf(b->nick, sizeof b->nick, "%s", nick);
    snprintf(b->reason, sizeof b->reason, "%s", reason);
    snprintf(b->setter, sizeof b->setter, "%s", setter);
    b->set_at = (time_t)set_at;
    b->expires = (time_t)expires;
    return 0;
}

/* One filter group into f. */
static int load_filter(const config_setting_t *g, const char *path, int i, struct mod_filter *f, char *err,
                       size_t errlen)
{
    int id = 0, priv = 0;
    const char *phrase = str_member(g, "phrase", MOD_PHRASE_MAX), *action = str_member(g, "action", 8);
    const char *setter = str_member(g, "setter", MOD_NICK_MAX);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return bad(err, errlen, path, g, "filters[%d]: must be a group { id = ...; phrase = \"...\"; ... }", i);
    if (!config_setting_lookup_int(g, "id", &id) || id <= 0)
        return bad(err, errlen, path, g, "filters[%d].id: missing or not a positive number", i);
    if (!phrase || mod_phrase_problem(phrase))
        return bad(err, errlen, path, g, "filters[%d].phrase: missing or not a valid phrase", i);
    if (!action || (strcmp(action, "block") != 0 && strcmp(action, "flag") != 0))
        return bad(err, errlen, path, g, "filters[%d].action: must be \"block\" or \"flag\"", i);
    if (!setter || !config_setting_lookup_bool(g, "private", &priv))
        return bad(err, errlen, path, g, "filters[%d]: setter (a string) and private (true/false) are required", i);
    const config_setting_t *cl = config_setting_get_member(g, "channels");
    if (!cl || !config_setting_is_array(cl))
        return bad(err, errlen, path, g, "filters[%d].channels: must be a list of channel names", i);
    memset(f, 0, sizeof *f);
    f->id = (unsigned)id;
    f->phrase = strdup(phrase);
    f->block = strcmp(action, "block") == 0;
    f->private_too = priv != 0;
    snprintf(f->setter, sizeof f->setter, "%s", setter);
    int n = config_setting_length(cl);
    f->channels.v = calloc((size_t)n + 1, sizeof *f->channels.v);
    if (!f->phrase || !f->channels.v)
        abort();
    for (int k = 0; k < n; k++) {
        const char *c = config_setting_get_string_elem(cl, k);
        if (!c || !hv_valid_channel(c)) {
            mod_filter_free(f);
            return bad(err, errlen, path, cl, "filters[%d].channels[%d]: not a channel name", i, k);
        }
        char fold[MOD_CHAN_MAX + 1];
        hv_casefold(fold, c, sizeof fold);
        if (!(f->channels.v[f->channels.n++] = strdup(fold)))
            abort();
    }
    return 0;
}

/* The bans and filters lists of a parsed state file into G. */
static int load_lists(config_t *c, const char *path, char *err, size_t errlen)
{
    const config_setting_t *root = config_root_setting(c);
    int version = 0, nb = 0, nf = 0;
    if (!config_lookup_int(c, "version", &version) || version != STATE_VERSION)
        return bad(err, errlen, path, root, "version: expected %d", STATE_VERSION);
    config_lookup_int(c, "next_ban", &nb);
    config_lookup_int(c, "next_filter", &nf);
    const config_setting_t *bans = config_lookup(c, "bans"), *filters = config_lookup(c, "filters");
    if (!bans || !config_setting_is_list(bans) || !filters || !config_setting_is_list(filters))
        return bad(err, errlen, path, bans ? bans : root, "bans and filters must be lists: bans = ( ... );");
    time_t now = time(NULL);
    int n = config_setting_length(bans);
    G.bans = calloc((size_t)n + 1, sizeof *G.bans);
    if (!G.bans)
        abort();
    for (int i = 0; i < n; i++) {
        struct ban b;
        if (load_ban(config_setting_get_elem(bans, (unsigned)i), path, i, &b, err, errlen) != 0)
            return -1;
        if (b.expires && b.expires <= now)
            continue;                   /* ran out while the server was down */
        G.bans[G.nbans++] = b;
        if (b.id > G.next_ban)
            G.next_ban = b.id;
    }
    n = config_setting_length(filters);
    if (n > MOD_FILTERS_MAX)
        return bad(err, errlen, path, filters, "too many filters (at most %d)", MOD_FILTERS_MAX);
    G.rfilters = calloc((size_t)n + 1, sizeof *G.rfilters);
    if (!G.rfilters)
        abort();
    for (int i = 0; i < n; i++) {
        if (load_filter(config_setting_get_elem(filters, (unsigned)i), path, i, &G.rfilters[G.nrfilters], err,
                        errlen) != 0)
            return -1;
        if (G.rfilters[G.nrfilters].id > G.next_filter)
            G.next_filter = G.rfilters[G.nrfilters].id;
        G.nrfilters++;
    }
    if (nb > 0 && (unsigned)nb > G.next_ban)
        G.next_ban = (unsigned)nb;
    if (nf > 0 && (unsigned)nf > G.next_filter)
        G.next_filter = (unsigned)nf;
    return 0;
}

/* Read and validate the state file into G; a missing file is an empty state. */
int mod_state_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: cannot read the moderation state file: %s", path, strerror(errno));
        return -1;
    }
    config_t c;
    config_init(&c);
    if (!config_read_file(&c, path)) {
        snprintf(err, errlen, "%s:%d: %s (the moderation state file is damaged; fix or restore it - havend will "
                 "not start without its bans)", path, config_error_line(&c),
                 config_error_text(&c) ? config_error_text(&c) : "cannot be read");
        config_destroy(&c);
        return -1;
    }
    int rc = load_lists(&c, path, err, errlen);
    config_destroy(&c);
    return rc;
}

/* Add a string / 64-bit / int / bool member to a group. */
static void put_str(config_setting_t *g, const char *k, const char *v)
{
    config_setting_set_string(config_setting_add(g, k, CONFIG_TYPE_STRING), v);
}

/* Add a 64-bit member (times). */
static void put_i64(config_setting_t *g, const char *k, long long v)
{
    config_setting_set_int64(config_setting_add(g, k, CONFIG_TYPE_INT64), v);
}

/* Add an int member. */
static void put_int(config_setting_t *g, const char *k, int v)
{
    config_setting_set_int(config_setting_add(g, k, CONFIG_TYPE_INT), v);
}

/* The state as a libconfig document. */
static void build(config_t *c)
{
    config_setting_t *root = config_root_setting(c);
    put_int(root, "version", STATE_VERSION);
    put_int(root, "next_ban", (int)G.next_ban);
    put_int(root, "next_filter", (int)G.next_filter);
    config_setting_t *bans = config_setting_add(root, "bans", CONFIG_TYPE_LIST);
    for (size_t i = 0; i < G.nbans; i++) {
        const struct ban *b = &G.bans[i];
        config_setting_t *g = config_setting_add(bans, NULL, CONFIG_TYPE_GROUP);
        put_int(g, "id", (int)b->id);
        put_str(g, "token", b->token);
        put_str(g, "nick", b->nick);
        put_i64(g, "set_at", (long long)b->set_at);
        put_i64(g, "expires", (long long)b->expires);
        put_str(g, "reason", b->reason);
        put_str(g, "setter", b->setter);
    }
    config_setting_t *filters = config_setting_add(root, "filters", CONFIG_TYPE_LIST);
    for (size_t i = 0; i < G.nrfilters; i++) {
        const struct mod_filter *f = &G.rfilters[i];
        config_setting_t *g = config_setting_add(filters, NULL, CONFIG_TYPE_GROUP);
        put_int(g, "id", (int)f->id);
        put_str(g, "phrase", f->phrase);
        put_str(g, "action", f->block ? "block" : "flag");
        config_setting_set_bool(config_setting_add(g, "private", CONFIG_TYPE_BOOL), f->private_too);
        config_setting_t *cl = config_setting_add(g, "channels", CONFIG_TYPE_ARRAY);
        for (size_t k = 0; k < f->channels.n; k++)
            config_setting_set_string_elem(cl, -1, f->channels.v[k]);
        put_str(g, "setter", f->setter);
    }
}

/* fsync the directory holding path, so the rename itself is durable. */
static void sync_dir(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        *(slash == dir ? slash + 1 : slash) = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Write the document c to tmp and fsync it. 0, or the errno of the first
 * step that failed (a write error may only show at fflush, fsync or
 * close: every one is checked, since on a full disk a "written" state file
 * may be empty). */
static int write_tmp(const char *tmp, const config_t *c)
{
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno;
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        int e = errno;
        close(fd);
        return e;
    }
    errno = 0;
    config_write(c, fp);
    int e = 0;
    if (fflush(fp) != 0 || ferror(fp))
        e = errno ? errno : EIO;
    else if (fsync(fd) != 0)
        e = errno;
    if (fclose(fp) != 0 && !e)
        e = errno ? errno : EIO;
    return e;
}

/* Whether the last save failed (so the next good one is logged). */
static bool save_failing;

/* Write the state: temporary file, fsync, rename, directory fsync. On any
 * failure the temporary file is removed and the state file in place is
 * left as it was; the reason is logged (with the file) and audited. */
int mod_state_save(void)
{
    const char *path = G.conf.state_file;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    config_t c;
    config_init(&c);
    build(&c);
    int e = write_tmp(tmp, &c);
    config_destroy(&c);
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        if (unlink(tmp) != 0 && errno != ENOENT)
            hv_log(G.self, HV_LOG_ERROR, "cannot remove %s: %s", tmp, strerror(errno));
        hv_log(G.self, HV_LOG_ERROR, "cannot write the state file %s: %s", path, strerror(e));
        mod_audit("WARNING: could not save bans and filters to the state file (%s); they are in force but "
                  "would be lost on a restart", strerror(e));
        save_failing = true;
        return e;
    }
    sync_dir(path);
    if (save_failing)
        hv_log(G.self, HV_LOG_INFO, "the state file %s is written again", path);
    save_failing = false;
    return 0;
}
