/* module.c — loading modules, the hook registry, timers, and commands that
 * modules add.
 *
 * A module is <module_path>/<name>.so exporting `havend_module`. Everything
 * it registers is tagged with its record, so unloading removes it all. The
 * core never names a module: the config's `modules` list is the only source. */
#include "modules/module.h"
#include "commands/help.h"
#include "proto/numeric.h"

#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HAVEND_MODULE_DIR
#define HAVEND_MODULE_DIR "/usr/local/lib/havend/modules"
#endif
#ifndef HAVEND_BUILD_ROOT             /* not built by meson: no build-tree modules */
#define HAVEND_BUILD_ROOT "/nonexistent"
#define HAVEND_BUILD_MODULE_DIR "/nonexistent"
#endif

struct hv_module {
    char *name;
    void *dl;
    const struct hv_module_desc *desc;
    char *motd_extra;                   /* hv_motd_set_extra */
    bool keep;                          /* REHASH mark */
    struct hv_module *next;
};

struct hook_entry {
    int priority;
    unsigned seq;                       /* registration order, for ties */
    hv_hook_fn fn;
    void *arg;
    hv_module *owner;
};

struct hook_list {
    struct hook_entry *v;
    size_t n, cap;
};

struct mod_timer {
    int id;
    struct event *ev;
    hv_timer_fn fn;
    void *arg;
    bool repeat;
    hv_module *owner;
    struct mod_timer *next;
};

struct mod_command {
    char name[33];
    int min_params;
    hv_command_fn fn;
    void *arg;
    hv_module *owner;
    bool urgent;                        /* runs past flood control */
};

static hv_module *loaded;
static struct hook_list hooks[HV_HOOK_COUNT];
static unsigned hook_seq;
static struct mod_timer *timers;
static int timer_next_id = 1;
static struct hashmap mod_commands;     /* NAME -> struct mod_command* */
static char *motd_extra;                /* every module's MOTD lines, joined */
static bool mod_commands_ready;

/* Defined in service.c: drop a module's services. */
void services_remove_owner(hv_module *m);

/* ------------------------------------------------------------ hooks */

int hv_hook_add(hv_module *self, enum hv_hook type, int priority, hv_hook_fn fn, void *arg)
{
    if ((unsigned)type >= HV_HOOK_COUNT || !fn)
        return -1;
    struct hook_list *l = &hooks[type];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        struct hook_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    /* Keep the list sorted: insert after every entry of lower or equal priority. */
    size_t i = l->n;
    while (i > 0 && l->v[i - 1].priority > priority) {
        l->v[i] = l->v[i - 1];
        i--;
    }
    l->v[i] = (struct hook_entry){ priority, hook_seq++, fn, arg, self };
    l->n++;
    return 0;
}

/* Hooks that may stop the action they announce. */
static bool hook_may_block(enum hv_hook t)
{
    return t == HV_HOOK_NICK_REQUEST || t == HV_HOOK_JOIN_CHECK || t == HV_HOOK_CHANNEL_MESSAGE ||
           t == HV_HOOK_PRIVATE_MESSAGE;
}

bool hooks_any(enum hv_hook type)
{
    return (unsigned)type < HV_HOOK_COUNT && hooks[type].n > 0;
}

enum hv_verdict hooks_run(struct hv_event *ev)
{
    struct hook_list *l = &hooks[ev->type];
    for (size_t i = 0; i < l->n; i++) {
        enum hv_verdict v = l->v[i].fn(ev, l->v[i].arg);
        if (v == HV_BLOCK && hook_may_block(ev->type))
            return HV_BLOCK;
    }
    return HV_PASS;
}

void hooks_notify(enum hv_hook type, struct client *u, struct client *target, struct channel *ch,
                  const char *text, const char *old_nick)
{
    if (!hooks_any(type))
        return;
    char buf[IRC_LINE_MAX];
    if (text)
        str_copy(buf, sizeof buf, text); /* hooks may rewrite their copy */
    struct hv_event ev = { .type = type, .user = u, .target = target, .channel = ch,
                           .text = text ? buf : NULL, .text_cap = sizeof buf, .old_nick = old_nick };
    hooks_run(&ev);
}

static void hooks_remove_owner(hv_module *m)
{
    for (int t = 0; t < HV_HOOK_COUNT; t++) {
        struct hook_list *l = &hooks[t];
        size_t o = 0;
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i].owner != m)
                l->v[o++] = l->v[i];
        l->n = o;
        if (!o) {
            free(l->v);
            l->v = NULL;
            l->cap = 0;
        }
    }
}

/* ------------------------------------------------------------ timers */

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct mod_timer *t = arg;
    int id = t->id;
    hv_module *owner = t->owner;
    bool repeat = t->repeat;
    t->fn(t->arg);
    /* A one-shot timer is gone after it ran (unless fn deleted it already). */
    if (!repeat)
        hv_timer_del(owner, id);
}

int hv_timer_add(hv_module *self, double seconds, bool repeat, hv_timer_fn fn, void *arg)
{
    if (!fn || seconds < 0)
        return -1;
    struct mod_timer *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->ev = event_new(srv.base, -1, repeat ? EV_PERSIST : 0, timer_cb, t);
    if (!t->ev) {
        free(t);
        return -1;
    }
    t->id = timer_next_id++;
    t->fn = fn;
    t->arg = arg;
    t->repeat = repeat;
    t->owner = self;
    struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
    event_add(t->ev, &tv);
    t->next = timers;
    timers = t;
    return t->id;
}

void hv_timer_del(hv_module *self, int id)
{
    for (struct mod_timer **pp = &timers; *pp; pp = &(*pp)->next) {
        struct mod_timer *t = *pp;
        if (t->id == id && t->owner == self) {
            *pp = t->next;
            event_free(t->ev);
            free(t);
            return;
        }
    }
}

static void timers_remove_owner(hv_module *m)
{
    struct mod_timer **pp = &timers;
    while (*pp) {
        struct mod_timer *t = *pp;
        if (t->owner == m) {
            *pp = t->next;
            event_free(t->ev);
            free(t);
        } else {
            pp = &t->next;
        }
    }
}

/* ------------------------------------------------------------ commands */

int hv_command_add(hv_module *self, const char *name, int min_params, hv_command_fn fn, void *arg,
                   const char *help)
{
    if (!mod_commands_ready) {
        hashmap_init(&mod_commands);
        mod_commands_ready = true;
    }
    size_t n = name ? strlen(name) : 0;
    if (!fn || n == 0 || n > 32 || min_params < 0 || min_params > MSG_MAX_PARAMS)
        return -1;
    char upper[33];
    for (size_t i = 0; i <= n; i++)
        upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    if (command_find(upper) || hashmap_get(&mod_commands, upper))
        return -1;
    struct mod_command *mc = calloc(1, sizeof *mc);
    if (!mc)
        return -1;
    memcpy(mc->name, upper, n + 1);
    mc->min_params = min_params;
    mc->fn = fn;
    mc->arg = arg;
    mc->owner = self;
    hashmap_put(&mod_commands, upper, mc);
    if (help)
        help_register(upper, help);
    return 0;
}

int hv_command_set_urgent(hv_module *self, const char *name)
{
    struct mod_command *mc = mod_commands_ready && name ? hashmap_get(&mod_commands, name) : NULL;
    if (!mc || mc->owner != self)
        return -1;
    mc->urgent = true;
    return 0;
}

bool command_is_urgent(const char *name)
{
    struct mod_command *mc = mod_commands_ready ? hashmap_get(&mod_commands, name) : NULL;
    return mc && mc->urgent;
}

bool module_command_dispatch(struct client *u, struct message *m)
{
    if (!mod_commands_ready)
        return false;
    struct mod_command *mc = hashmap_get(&mod_commands, m->command);
    if (!mc)
        return false;
    if ((int)m->nparams < mc->min_params) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "%s :Not enough parameters", mc->name);
        return true;
    }
    mc->fn(u, (int)m->nparams, m->params, mc->arg);
    return true;
}

static void commands_remove_owner(hv_module *m)
{
    if (!mod_commands_ready)
        return;
    char *names[256];
    size_t n = 0, bucket = 0;
    struct hm_entry *e = NULL;
    struct mod_command *mc;
    while ((mc = hashmap_next(&mod_commands, &bucket, &e)) && n < 256)
        if (mc->owner == m)
            names[n++] = mc->name;
    for (size_t i = 0; i < n; i++) {
        mc = hashmap_remove(&mod_commands, names[i]);
        help_unregister(mc->name);
        free(mc);
    }
}

/* ------------------------------------------------------------ ISUPPORT tokens */

#define ISUPPORT_EXTRA_MAX 16
static struct { char token[64]; hv_module *owner; } isupport_extra[ISUPPORT_EXTRA_MAX];
static size_t nisupport_extra;

int hv_isupport_add(hv_module *self, const char *token)
{
    if (!token || !*token || strlen(token) >= sizeof isupport_extra[0].token || strpbrk(token, " :\r\n") ||
        nisupport_extra == ISUPPORT_EXTRA_MAX)
        return -1;
    snprintf(isupport_extra[nisupport_extra].token, sizeof isupport_extra[0].token, "%s", token);
    isupport_extra[nisupport_extra++].owner = self;
    isupport_changed();
    return 0;
}

const char *modules_isupport_at(size_t i)
{
    return i < nisupport_extra ? isupport_extra[i].token : NULL;
}

static void isupport_remove_owner(hv_module *m)
{
    size_t o = 0;
    for (size_t i = 0; i < nisupport_extra; i++)
        if (isupport_extra[i].owner != m)
            isupport_extra[o++] = isupport_extra[i];
    nisupport_extra = o;
    isupport_changed();
}

/* ------------------------------------------------------------ MOTD lines */

/* Rebuild the joined MOTD lines from every loaded module, in load order. */
static void motd_rebuild(void)
{
    free(motd_extra);
    motd_extra = NULL;
    size_t len = 0;
    for (hv_module *m = loaded; m; m = m->next)
        len += m->motd_extra ? strlen(m->motd_extra) + 1 : 0;
    if (!len || !(motd_extra = malloc(len + 1)))
        return;
    motd_extra[0] = '\0';
    for (hv_module *m = loaded; m; m = m->next) {
        if (!m->motd_extra)
            continue;
        if (motd_extra[0])
            strcat(motd_extra, "\n");
        strcat(motd_extra, m->motd_extra);
    }
}

void hv_motd_set_extra(hv_module *self, const char *text)
{
    free(self->motd_extra);
    self->motd_extra = text && *text ? strdup(text) : NULL;
    motd_rebuild();
}

const char *modules_motd_extra(void)
{
    return motd_extra;
}

/* ------------------------------------------------------------ loading */

/* Module names are plain words, so a config cannot point outside the
 * module directory. */
static bool module_name_ok(const char *name)
{
    if (!*name || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return false;
    return true;
}

static hv_module *module_find(const char *name)
{
    for (hv_module *m = loaded; m; m = m->next)
        if (strcmp(m->name, name) == 0)
            return m;
    return NULL;
}

/* Is this the binary in the build tree (not an installed copy)? Only then
 * may modules come from the build tree: an installed server must never load
 * code from a directory that may since have been removed and recreated by
 * someone else. */
static bool running_from_build_tree(void)
{
    char exe[PATH_MAX], *dir = realpath(HAVEND_BUILD_ROOT, NULL);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    bool same = false;
    if (dir && n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            same = strcmp(exe, dir) == 0;
        }
    }
    free(dir);
    return same;
}

/* dlopen and check one module; NULL with a reason on failure. */
static hv_module *module_open(const struct config *conf, const char *name, char *err, size_t errlen)
{
    if (!module_name_ok(name)) {
        snprintf(err, errlen, "%s: modules: \"%s\" is not a module name (lower-case letters, digits, - and _)",
                 conf->path, name);
        return NULL;
    }
    const char *dirs[2] = { conf->module_path, NULL };
    if (!dirs[0]) {
        dirs[0] = HAVEND_MODULE_DIR;
        if (running_from_build_tree())
            dirs[1] = HAVEND_BUILD_MODULE_DIR;
    }
    void *dl = NULL;
    char path[1024], why[512] = "";
    for (int i = 0; i < 2 && dirs[i] && !dl; i++) {
        snprintf(path, sizeof path, "%s/%s.so", dirs[i], name);
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl && !*why) {
            const char *e = dlerror();
            snprintf(why, sizeof why, "%s", e ? e : "cannot load");
        }
    }
    if (!dl) {
        snprintf(err, errlen, "%s: modules: cannot load module \"%s\": %s", conf->path, name, why);
        return NULL;
    }
    const struct hv_module_desc *desc = dlsym(dl, "havend_module");
    const char *bad = !desc ? "it does not export havend_module (use HAVEND_MODULE)"
                    : desc->api_version != HAVEND_MODULE_API_VERSION ? "it was built for another module API version"
                    : !desc->name || strcmp(desc->name, name) != 0 ? "its declared name differs from its file name"
                    : !desc->init ? "it has no init function"
                    : NULL;
    if (bad) {
        snprintf(err, errlen, "%s: modules: cannot load module \"%s\": %s", conf->path, name, bad);
        dlclose(dl);
        return NULL;
    }
    hv_module *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(name)))
        abort();
    m->dl = dl;
    m->desc = desc;
    return m;
}

/* Remove everything a module registered, then close it. */
static void module_unload(hv_module *m)
{
    if (m->desc->shutdown)
        m->desc->shutdown(m);
    hooks_remove_owner(m);
    timers_remove_owner(m);
    commands_remove_owner(m);
    services_remove_owner(m);
    umode_unregister_owner(m);
    isupport_remove_owner(m);
    log_msg(LOG_INFO, "module %s unloaded", m->name);
    dlclose(m->dl);
    free(m->motd_extra);
    free(m->name);
    free(m);
    motd_rebuild();
}

/* The module's own config group, if the config has one. */
static const config_setting_t *module_section(const struct config *conf, const char *name)
{
    return conf->raw ? config_lookup(conf->raw, name) : NULL;
}

int modules_check(const struct config *conf, char *err, size_t errlen)
{
    for (size_t i = 0; i < conf->nmodules; i++) {
        hv_module *m = module_open(conf, conf->modules[i], err, errlen);
        if (!m)
            return -1;
        dlclose(m->dl);
        free(m->name);
        free(m);
    }
    return 0;
}

int modules_apply(const struct config *conf, char *err, size_t errlen)
{
    /* Open every new module first; fail without touching the loaded set. */
    hv_module *fresh = NULL;
    for (hv_module *m = loaded; m; m = m->next)
        m->keep = false;
    for (size_t i = 0; i < conf->nmodules; i++) {
        const char *name = conf->modules[i];
        hv_module *m = module_find(name);
        if (m) {
            m->keep = true;
            continue;
        }
        bool dup = false;
        for (hv_module *f = fresh; f; f = f->next)
            dup = dup || strcmp(f->name, name) == 0;
        if (dup)
            continue;
        if (!(m = module_open(conf, name, err, errlen))) {
            while (fresh) {
                hv_module *n = fresh->next;
                dlclose(fresh->dl);
                free(fresh->name);
                free(fresh);
                fresh = n;
            }
            return -1;
        }
        m->next = fresh;
        fresh = m;
    }

    /* Unload what the config no longer names. */
    for (hv_module **pp = &loaded; *pp;) {
        hv_module *m = *pp;
        if (!m->keep) {
            *pp = m->next;
            module_unload(m);
        } else {
            pp = &m->next;
        }
    }
    /* Reload the kept ones with their new section. */
    int rc = 0;
    size_t used = 0;
    for (hv_module *m = loaded; m; m = m->next) {
        char why[1024] = "";
        if (m->desc->reload && m->desc->reload(m, module_section(conf, m->name), why, sizeof why) != 0) {
            log_msg(LOG_ERROR, "module %s refused its new configuration", m->name);
            /* Collect every module's reason, one per line. */
            int w = snprintf(err + used, errlen > used ? errlen - used : 0, "%s%s: %s: %s", used ? "\n" : "",
                             conf->path, m->name, *why ? why : "refused its new settings");
            if (w > 0)
                used = used + (size_t)w < errlen ? used + (size_t)w : errlen;
            rc = -1;
        }
    }
    /* Initialise the new ones, in config order (fresh is reversed). */
    hv_module *rev = NULL;
    while (fresh) {
        hv_module *n = fresh->next;
        fresh->next = rev;
        rev = fresh;
        fresh = n;
    }
    while (rev) {
        hv_module *m = rev;
        rev = m->next;
        char why[1024] = "";
        if (m->desc->init(m, module_section(conf, m->name), why, sizeof why) != 0) {
            int w = snprintf(err + used, errlen > used ? errlen - used : 0, "%s%s: %s: module \"%s\" failed to start: %s",
                             used ? "\n" : "", conf->path, m->name, m->name, *why ? why : "no reason given");
            if (w > 0)
                used = used + (size_t)w < errlen ? used + (size_t)w : errlen;
            log_msg(LOG_ERROR, "module %s failed to start: %s", m->name, why);
            m->keep = false;
            module_unload(m);
            rc = -1;
            continue;
        }
        m->next = NULL;
        hv_module **tail = &loaded;
        while (*tail)
            tail = &(*tail)->next;
        *tail = m;
        motd_rebuild();
        log_msg(LOG_INFO, "module %s %s loaded", m->name, m->desc->version ? m->desc->version : "");
    }
    return rc;
}

void modules_unload_all(void)
{
    /* Last loaded first, so later modules can rely on earlier ones. */
    while (loaded) {
        hv_module **pp = &loaded;
        while ((*pp)->next)
            pp = &(*pp)->next;
        hv_module *m = *pp;
        *pp = NULL;
        module_unload(m);
    }
    if (mod_commands_ready) {
        hashmap_free(&mod_commands);
        mod_commands_ready = false;
    }
    free(motd_extra);
    motd_extra = NULL;
}

void hv_log(hv_module *self, int level, const char *fmt, ...)
{
    if (level < LOG_ERROR)
        level = LOG_ERROR;
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    if (!log_enabled((enum log_level)level))
        return; /* format nothing for a line that is filtered out */
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_msg((enum log_level)level, "%s: %s", self ? self->name : "module", buf);
}
