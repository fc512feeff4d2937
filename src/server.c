/* server.c — global state, start-up, REHASH and shutdown. */
#include "havend.h"
#include "commands/help.h"
#include "modules/module.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server srv;

/* SIGTERM/SIGINT: a clean shutdown; SIGHUP: REHASH, reasons to the log. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    if (sig == SIGHUP) {
        char err[4096];
        log_msg(LOG_INFO, "SIGHUP: reloading %s", srv.conf_path);
        int rc = server_rehash(err, sizeof err);
        if (rc == -1)
            log_msg(LOG_ERROR, "reload failed, keeping the old configuration:\n%s", err);
        else if (rc == -2)
            log_msg(LOG_ERROR, "reloaded, but a module kept its old settings:\n%s", err);
        if (rc != -1)
            send_to_opers("Configuration reloaded (SIGHUP)");
        return;
    }
    log_msg(LOG_INFO, "signal %d: shutting down", (int)sig);
    server_shutdown("Server shutting down");
}

int server_init(const char *conf_path, char *err, size_t errlen)
{
    srv.conf_path = conf_path;
    srv.conf = config_load(conf_path, err, errlen);
    if (!srv.conf)
        return -1;
    log_configure(srv.conf);
    snprintf(srv.name, sizeof srv.name, "%s", srv.conf->server_name);
    srv.started = time(NULL);
    struct tm tm;
    gmtime_r(&srv.started, &tm);
    strftime(srv.created, sizeof srv.created, "%a %b %d %Y at %H:%M:%S UTC", &tm);

    srv.base = event_base_new();
    if (!srv.base) {
        snprintf(err, errlen, "cannot create the event loop");
        return -1;
    }
    hashmap_init(&srv.nicks);
    hashmap_init(&srv.uids);
    hashmap_init(&srv.chans);
    conn_reap_init();
    if (mkdir(srv.conf->state_dir, 0700) != 0 && errno != EEXIST)
        log_msg(LOG_WARN, "cannot create the state directory %s: %s", srv.conf->state_dir, strerror(errno));
    if (bantoken_init(srv.conf, err, errlen) != 0)
        return -1;
    if (listeners_apply(srv.conf, err, errlen) != 0)
        return -1;
    if (modules_apply(srv.conf, err, errlen) != 0)
        return -1;

    signal(SIGPIPE, SIG_IGN);
    srv.sig_term = evsignal_new(srv.base, SIGTERM, on_signal, NULL);
    srv.sig_int = evsignal_new(srv.base, SIGINT, on_signal, NULL);
    srv.sig_hup = evsignal_new(srv.base, SIGHUP, on_signal, NULL);
    evsignal_add(srv.sig_term, NULL);
    evsignal_add(srv.sig_int, NULL);
    evsignal_add(srv.sig_hup, NULL);
    log_msg(LOG_INFO, "havend %s started as %s (SID %s)", HAVEND_VERSION, srv.name, srv.conf->sid);
    return 0;
}

int server_rehash(char *err, size_t errlen)
{
    struct config *fresh = config_load(srv.conf_path, err, errlen);
    if (!fresh)
        return -1;
    if (strcmp(fresh->server_name, srv.conf->server_name) != 0 || strcmp(fresh->sid, srv.conf->sid) != 0) {
        snprintf(err, errlen, "%s: server.name and server.sid cannot change while running; restart to change them",
                 srv.conf_path);
        config_free(fresh);
        return -1;
    }
    cap_notify_prepare();   /* what sasl/sts offered before, for CAP NEW/DEL */
    bantoken_rehash_begin();
    if (bantoken_init(fresh, err, errlen) != 0 || modules_check(fresh, err, errlen) != 0 ||
        listeners_apply(fresh, err, errlen) != 0) {
        bantoken_rehash_end(false);
        config_free(fresh);
        return -1;
    }
    bantoken_rehash_end(true);
    struct config *old = srv.conf;
    srv.conf = fresh;
    isupport_changed();
    /* Classes live in the config: re-point every connection before the old
     * config is freed. */
    for (struct conn *c = srv.conns; c; c = c->next)
        conn_apply_class(c);
    log_configure(fresh);
    /* Modules were checked above; one may still refuse its new section. The
     * rest of the config is in force then, and the reason is reported. */
    int rc = modules_apply(fresh, err, errlen) == 0 ? 0 : -2;
    config_free(old);
    cap_notify_commit();
    log_msg(LOG_INFO, "configuration reloaded%s", rc ? " (a module kept its old settings)" : "");
    return rc;
}

static void loopexit_cb(evutil_socket_t fd, short what, void *arg)
{
    event_base_loopbreak(srv.base);
}

void server_shutdown(const char *reason)
{
    if (srv.shutting_down)
        return;
    srv.shutting_down = true;
    listeners_close_all();
    conn_close_all(reason);
    /* Give the ERROR lines a moment to flush, then leave the loop. */
    struct timeval tv = { 0, 300000 };
    event_base_once(srv.base, -1, EV_TIMEOUT, loopexit_cb, NULL, &tv);
}

/* Free everything (valgrind-clean exit). */
void server_free(void)
{
    listeners_close_all();
    conn_close_all("Server shutting down");
    conn_reap();
    modules_unload_all();
    help_clear();
    conn_shutdown();
    bantoken_shutdown();

    size_t n = srv.chans.count, i = 0, bucket = 0;
    struct hm_entry *e = NULL;
    struct channel **all = calloc(n + 1, sizeof *all);
    struct channel *ch;
    while (all && i < n && (ch = hashmap_next(&srv.chans, &bucket, &e)))
        all[i++] = ch;
    for (size_t j = 0; j < i; j++) {
        all[j]->permanent = false;
        channel_maybe_destroy(all[j]);
    }
    free(all);
    hashmap_free(&srv.nicks);
    hashmap_free(&srv.uids);
    hashmap_free(&srv.chans);
    free(srv.whowas);
    srv.whowas = NULL;
    if (srv.sig_term) {
        event_free(srv.sig_term);
        event_free(srv.sig_int);
        event_free(srv.sig_hup);
    }
    if (srv.base)
        event_base_free(srv.base);
    if (srv.conf)
        config_free(srv.conf);
    srv.conf = NULL;
    str_intern_free();
    log_close();
}
