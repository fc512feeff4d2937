/* panic.c — panic-hide: one command that makes a person vanish from every
 * room at once, like a domestic-violence website's "quick exit" button.
 *
 * PANIC (a client command, also /msg Exit PANIC):
 *   1. retracts the person's recent messages (IRCv3 draft/message-redaction
 *      REDACT, to every client that negotiated it), within a time window;
 *   2. takes them out of every channel: everyone else sees an ordinary QUIT;
 *   3. gives them a fresh identity and pseudonym, announced to nobody
 *      (the core also clears their away message; modules drop their
 *      accept lists and MONITOR entries on the QUIT of the old identity);
 *   4. optionally joins them to a neutral "cover" channel.
 * PANIC QUIT disconnects instead, with the same neutral quit text.
 *
 * Nothing about a panic is logged but an anonymous counter. The record of
 * recent messages is memory only, per UID, and is dropped on expiry or quit.
 */
#include <havend/module.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SENT_MAX 64                     /* remembered messages per person */
#define TARGET_MAX 65

/* One message a person sent: enough to retract it. */
struct sent {
    char msgid[40];
    char target[TARGET_MAX];            /* a channel name, or "~UID" of a person */
    time_t when;
};

/* A person's recent messages, a ring keyed by UID. */
struct history {
    char uid[16];
    struct sent ring[SENT_MAX];
    unsigned next, count;
    struct history *next_h;
};

static struct {
    char quit_text[200];
    int window;                         /* seconds; 0: no redaction */
    char cover[TARGET_MAX];             /* "" = none */
    char service_nick[32];
} cfg;

static hv_module *self_mod;
static hv_service *exit_svc;
static struct history *histories;      /* few: only people who spoke lately */
static unsigned long panics;            /* the only thing ever counted */
static int sweep_timer = -1;

/* ------------------------------------------------------------ config */

/* Read the panic { } group into cfg; -1 with a reason on a bad value. */
static int read_config(const config_setting_t *conf, char *err, size_t errlen)
{
    const char *quit = "Connection closed", *cover = "", *nick = "Exit";
    int window = 900;
    if (conf) {
        config_setting_lookup_string(conf, "quit_message", &quit);
        config_setting_lookup_string(conf, "cover_channel", &cover);
        config_setting_lookup_string(conf, "service_nick", &nick);
        config_setting_lookup_int(conf, "redact_window", &window);
        static const char *const known[] = { "quit_message", "cover_channel", "service_nick", "redact_window", NULL };
        for (int i = 0; i < config_setting_length(conf); i++) {
            const config_setting_t *s = config_setting_get_elem(conf, (unsigned)i);
            size_t k = 0;
            while (known[k] && strcmp(known[k], config_setting_name(s)) != 0)
                k++;
            if (!known[k]) {
                hv_conf_error(err, errlen, s, "panic.%s: unknown setting", config_setting_name(s));
                return -1;
            }
        }
    }
    if (window < 0 || window > 86400) {
        snprintf(err, errlen, "panic.redact_window: must be 0..86400 seconds (got %d)", window);
        return -1;
    }
    if (*cover && (cover[0] != '#' || strlen(cover) >= TARGET_MAX || strpbrk(cover, " ,"))) {
        snprintf(err, errlen, "panic.cover_channel: \"%s\" is not a channel name", cover);
        return -1;
    }
    if (strlen(quit) >= sizeof cfg.quit_text || strpbrk(quit, "\r\n")) {
        snprintf(err, errlen, "panic.quit_message: too long or contains a line break");
        return -1;
    }
    snprintf(cfg.quit_text, sizeof cfg.quit_text, "%s", quit);
    snprintf(cfg.cover, sizeof cfg.cover, "%s", cover);
    snprintf(cfg.service_nick, sizeof cfg.service_nick, "%s", nick);
    cfg.window = window;
    return 0;
}

/* ------------------------------------------------------------ the record */

static struct history *history_find(const char *uid, bool create)
{
    for (struct history *h = histories; h; h = h->next_h)
        if (strcmp(h->uid, uid) == 0)
            return h;
    if (!create)
        return NULL;
    struct history *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    snprintf(h->uid, sizeof h->uid, "%s", uid);
    h->next_h = histories;
    histories = h;
    return h;
}

static void history_drop(const char *uid)
{
    for (struct history **pp = &histories; *pp; pp = &(*pp)->next_h) {
        if (strcmp((*pp)->uid, uid) == 0) {
            struct history *h = *pp;
            *pp = h->next_h;
            free(h);
            return;
        }
    }
}

/* Remember a message just sent, so PANIC can retract it. */
static void history_add(hv_user *u, const char *target, const char *msgid)
{
    if (!cfg.window || !msgid)
        return;
    struct history *h = history_find(hv_user_uid(u), true);
    if (!h)
        return;
    struct sent *s = &h->ring[h->next];
    snprintf(s->msgid, sizeof s->msgid, "%s", msgid);
    snprintf(s->target, sizeof s->target, "%s", target);
    s->when = time(NULL);
    h->next = (h->next + 1) % SENT_MAX;
    if (h->count < SENT_MAX)
        h->count++;
}

/* Forget what is older than the window; free people with nothing left. */
static void history_sweep(void *arg)
{
    time_t cutoff = time(NULL) - cfg.window;
    struct history **pp = &histories;
    while (*pp) {
        struct history *h = *pp;
        unsigned live = 0;
        for (unsigned i = 0; i < h->count; i++) {
            struct sent *s = &h->ring[(h->next + SENT_MAX - h->count + i) % SENT_MAX];
            if (s->when >= cutoff)
                live++;
        }
        h->count = live; /* the oldest entries are the expired ones */
        if (!live) {
            *pp = h->next_h;
            free(h);
        } else {
            pp = &h->next_h;
        }
    }
}

/* ------------------------------------------------------------ hooks */

static enum hv_verdict on_channel_message(struct hv_event *ev, void *arg)
{
    history_add(ev->user, hv_channel_name(ev->channel), ev->msgid);
    return HV_PASS;
}

static enum hv_verdict on_private_message(struct hv_event *ev, void *arg)
{
    /* People are remembered by UID: their nick may change before a panic. */
    char who[TARGET_MAX];
    snprintf(who, sizeof who, "~%s", hv_user_uid(ev->target));
    if (!hv_user_is_service(ev->target))
        history_add(ev->user, who, ev->msgid);
    return HV_PASS;
}

static enum hv_verdict on_quit(struct hv_event *ev, void *arg)
{
    history_drop(hv_user_uid(ev->user));
    return HV_PASS;
}

/* The name to address a recorded target by now ("" if they are gone). */
static const char *target_now(const struct sent *s)
{
    if (s->target[0] != '~')
        return s->target;
    hv_user *p = hv_user_find_uid(s->target + 1);
    return p ? hv_user_nick(p) : "";
}

/* REDACT of one's own recent message: approve it when the record has it. */
static enum hv_verdict on_redact_request(struct hv_event *ev, void *arg)
{
    struct history *h = history_find(hv_user_uid(ev->user), false);
    const char *target = ev->channel ? hv_channel_name(ev->channel) : ev->target ? hv_user_nick(ev->target) : "";
    for (unsigned i = 0; h && i < h->count; i++) {
        const struct sent *s = &h->ring[(h->next + SENT_MAX - 1 - i) % SENT_MAX];
        if (strcmp(s->msgid, ev->text) == 0 && strcasecmp(target_now(s), target) == 0)
            ev->approve = true;
    }
    return HV_PASS;
}

/* ------------------------------------------------------------ PANIC */

/* Retract everything u said within the window, newest first. */
static void redact_recent(hv_user *u)
{
    struct history *h = history_find(hv_user_uid(u), false);
    if (!h)
        return;
    time_t cutoff = time(NULL) - cfg.window;
    for (unsigned i = 0; i < h->count; i++) {
        struct sent *s = &h->ring[(h->next + SENT_MAX - 1 - i) % SENT_MAX];
        if (s->when >= cutoff && *target_now(s))
            hv_send_redact(u, target_now(s), s->msgid);
    }
}

/* The whole panic, for one person; quit: disconnect instead of vanishing. */
static void do_panic(hv_user *u, bool quit)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    panics++;
    redact_recent(u);
    history_drop(hv_user_uid(u));
    if (quit) {
        hv_user_disconnect(u, cfg.quit_text);
    } else if (hv_user_vanish(u, cfg.quit_text) == 0 && cfg.cover[0]) {
        hv_channel *cover = hv_channel_find(cfg.cover);
        if (!cover)
            cover = hv_channel_create(cfg.cover, true);
        if (cover)
            hv_force_join(u, cover);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* How long from PANIC to the last departure queued (contrib/bench/panic.py). */
    long us = (long)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    hv_log(self_mod, HV_LOG_INFO, "panic-hide used (%lu since start; handled in %ld us)", panics, us);
}

/* PANIC [QUIT], as a client command. */
static void cmd_panic(hv_user *u, int argc, char **argv, void *arg)
{
    do_panic(u, argc > 0 && !strcasecmp(argv[0], "QUIT"));
}

/* /msg Exit PANIC [QUIT] */
static void svc_panic(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    do_panic(from, argc > 1 && !strcasecmp(argv[1], "QUIT"));
}

static const char panic_help[] =
    "PANIC [QUIT]\n"
    "Leave every room at once. Others see an ordinary disconnect, your recent\n"
    "messages are removed where clients support it, and you continue under a\n"
    "new pseudonym nobody is told about. PANIC QUIT disconnects you instead.\n"
    "Most clients send it with /quote PANIC (irssi, weechat, HexChat).";

static int panic_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    self_mod = self;
    if (read_config(conf, err, errlen) != 0)
        return -1;
    if (hv_command_add(self, "PANIC", 0, cmd_panic, NULL, panic_help) != 0 ||
        hv_command_set_urgent(self, "PANIC") != 0) {
        snprintf(err, errlen, "the PANIC command is already taken");
        return -1;
    }
    exit_svc = hv_service_new(self, cfg.service_nick, "Quick exit: /msg me PANIC");
    if (!exit_svc) {
        snprintf(err, errlen, "panic.service_nick: \"%s\" is taken or not a valid nick", cfg.service_nick);
        return -1;
    }
    hv_service_command(exit_svc, "PANIC", 0, svc_panic, NULL, panic_help);
    hv_hook_add(self, HV_HOOK_CHANNEL_MESSAGE, 1000, on_channel_message, NULL);
    hv_hook_add(self, HV_HOOK_PRIVATE_MESSAGE, 1000, on_private_message, NULL);
    hv_hook_add(self, HV_HOOK_QUIT, 1000, on_quit, NULL);
    hv_hook_add(self, HV_HOOK_REDACT_REQUEST, 1000, on_redact_request, NULL);
    sweep_timer = hv_timer_add(self, 60, true, history_sweep, NULL);
    return 0;
}

static int panic_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    char nick[sizeof cfg.service_nick];
    snprintf(nick, sizeof nick, "%s", cfg.service_nick);
    if (read_config(conf, err, errlen) != 0)
        return -1;
    if (strcmp(nick, cfg.service_nick) != 0) {
        /* The service keeps its nick until a restart; say so rather than
         * silently ignoring the change. */
        snprintf(cfg.service_nick, sizeof cfg.service_nick, "%s", nick);
        hv_log(self, HV_LOG_WARN, "panic.service_nick changes take effect after a restart");
    }
    return 0;
}

static void panic_shutdown(hv_module *self)
{
    while (histories) {
        struct history *h = histories;
        histories = h->next_h;
        free(h);
    }
    exit_svc = NULL;
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "panic",
    .version = "1.0",
    .description = "Panic-hide: leave every room at once, unlinkably",
    .init = panic_init,
    .reload = panic_reload,
    .shutdown = panic_shutdown,
});
