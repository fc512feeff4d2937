/* conn.c — local connections: admission, accounting, liveness, and
 * closing (the bytes themselves move in conn_io.c).
 *
 * Closing is deferred: conn_close() marks a connection dead and the reaper
 * (a zero-delay event) announces the QUIT and frees it after the current
 * callback returns, so fan-out loops never see a member vanish under them. */
#include "havend.h"
#include "modules/module.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static struct event *housekeeping;
static struct conn *closing;          /* unlinked, flushing their ERROR line */
static struct hashmap class_counts;   /* class name -> connections (intptr_t) */


/* ------------------------------------------------------------ accounting */

static intptr_t class_count_add(const char *name, intptr_t delta)
{
    intptr_t n = (intptr_t)hashmap_get(&class_counts, name) + delta;
    if (n > 0)
        hashmap_put(&class_counts, name, (void *)n);
    else
        hashmap_remove(&class_counts, name);
    return n;
}

void conn_set_class(struct conn *c, const char *name)
{
    if (c->class_name)
        class_count_add(c->class_name, -1);
    c->class_name = str_intern(name); /* valid across REHASH */
    class_count_add(c->class_name, 1);
}

void conn_apply_class(struct conn *c)
{
    const struct conf_class *cls = config_find_class(srv.conf, c->class_name);
    if (!cls) {
        conn_set_class(c, "default");
        cls = config_find_class(srv.conf, "default");
    }
    c->cls = cls;
}

/* ------------------------------------------------------------ accept */

void conn_accept(struct listener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, SSL *ssl)
{
    const struct conf_class *cls = config_find_class(srv.conf, l->class_name);
    if (!cls)
        cls = config_find_class(srv.conf, "default");
    /* Full: the server as a whole (limits.max_clients) or this class. */
    if (srv.shutting_down || (srv.conf->max_clients > 0 && srv.nconns >= (size_t)srv.conf->max_clients) ||
        (cls->max_clients > 0 && (intptr_t)hashmap_get(&class_counts, cls->name) >= cls->max_clients)) {
        static const char full[] = "ERROR :Closing Link: (Server is full)\r\n";
        if (!ssl && send(fd, full, sizeof full - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
            /* nothing more to do: the socket is closed below */
        }
        SSL_free(ssl);
        evutil_closesocket(fd);
        return;
    }

    char token[BAN_TOKEN_LEN + 1];
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, sa, (size_t)salen < sizeof ss ? (size_t)salen : sizeof ss);
    bantoken_compute(&ss, token);
    const char *refused = bantoken_admit(token, cls);
    if (refused) {
        log_msg(LOG_INFO, "connection refused: %s", refused);
        if (!ssl) {
            char line[256];
            int n = snprintf(line, sizeof line, "ERROR :Closing Link: (%s)\r\n", refused);
            if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
                /* the socket is closed below either way */
            }
        }
        SSL_free(ssl);
        evutil_closesocket(fd);
        return;
    }

    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    if (!conn_io_start(c, fd, ssl)) {
        bantoken_release(token);
        SSL_free(ssl);
        evutil_closesocket(fd);
        free(c);
        return;
    }
    conn_set_class(c, cls->name);
    c->cls = cls;
    c->state = STATE_UNREG;
    c->connected_at = c->last_recv = c->last_active = time(NULL);
    c->flood_tokens = (int64_t)cls->flood_burst * 1000;
    c->flood_last_ms = monotonic_ms();
    /* The address ends here: only the ban token (and, with cloaking off,
     * the host) is derived from it. */
    c->client = client_new_local(c, &ss);
    memcpy(c->client->ban_token, token, sizeof token);
    memset(&ss, 0, sizeof ss);

    c->next = srv.conns;
    if (srv.conns)
        srv.conns->prev = c;
    srv.conns = c;
    srv.nconns++;
    srv.nunreg++;
    log_msg(LOG_DEBUG, "connection %s accepted%s", c->client->uid, c->tls ? " (tls)" : "");
}

/* ------------------------------------------------------------ closing */

void conn_free(struct conn *c)
{
    if (!c->client) { /* on the closing list */
        if (c->prev)
            c->prev->next = c->next;
        else
            closing = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    conn_io_free(c);
    free(c->pass);
    free(c->sent_user);
    free(c->sent_real);
    sasl_conn_free(c);
    free(c->quit_reason);
    free(c);
}

/* Announce the quit, unlink, and start flushing the ERROR line. */
static void conn_finish(struct conn *c)
{
    struct client *u = c->client;
    if (c->state == STATE_USER) {
        log_msg(LOG_INFO, "client %s quit", u->uid);
        user_quit(u, c->quit_reason);
        srv.nusers--;
    } else {
        log_msg(LOG_DEBUG, "connection %s closed before registering", u->uid);
        srv.nunreg--;
    }
    bantoken_release(u->ban_token);
    user_free(u);
    c->client = NULL;
    class_count_add(c->class_name, -1);

    if (c->prev)
        c->prev->next = c->next;
    else
        srv.conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv.nconns--;
    c->prev = NULL;
    c->next = closing;
    if (closing)
        closing->prev = c;
    closing = c;

    conn_io_close(c);
}

static void reaper_cb(evutil_socket_t fd, short what, void *arg)
{
    while (srv.dead) {
        struct conn *c = srv.dead;
        srv.dead = c->next_dead;
        conn_finish(c);
    }
}

void conn_close(struct conn *c, const char *reason)
{
    if (c->dead)
        return;
    struct client *u = c->client;
    /* The reason may carry client text (QUIT): cut at any CR or LF, and
     * short enough for the ERROR line to fit in 512 bytes (found by fuzzing). */
    int rlen = (int)strcspn(reason, "\r\n");
    if (rlen > 400)
        rlen = 400;
    /* Queued directly: the ERROR line is exempt from the SendQ. */
    char line[IRC_LINE_MAX];
    int n = snprintf(line, sizeof line, "ERROR :Closing Link: %s (%.*s)\r\n",
                     u->host[0] ? u->host : "*", rlen, reason);
    conn_out_append(c, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    c->dead = true;
    c->quit_reason = strndup(reason, (size_t)rlen);
    if (!c->quit_reason)
        abort();
    c->next_dead = srv.dead;
    srv.dead = c;
    event_active(srv.reaper, 0, 0);
}

void conn_reap(void)
{
    reaper_cb(-1, 0, NULL);
}

/* Close everyone; the reaper frees them after the current callback, which
 * may well be one of theirs (DIE). */
void conn_close_all(const char *reason)
{
    for (struct conn *c = srv.conns; c; c = c->next)
        conn_close(c, reason);
}

/* ------------------------------------------------------------ liveness */

/* Once a second: registration timeout, PING when quiet, ping and idle
 * timeouts. One timer for all connections keeps per-client cost at zero. */
static void housekeeping_cb(evutil_socket_t fd, short what, void *arg)
{
    time_t now = time(NULL);
    static time_t last_sweep;
    if (now - last_sweep >= 60) {
        int longest = 1;
        for (size_t i = 0; i < srv.conf->nclasses; i++)
            if (srv.conf->classes[i].throttle_period > longest)
                longest = srv.conf->classes[i].throttle_period;
        bantoken_sweep(longest);
        last_sweep = now;
    }
    for (struct conn *c = srv.conns; c; c = c->next) {
        if (c->dead)
            continue;
        const struct conf_class *cls = c->cls;
        if (c->state == STATE_UNREG) {
            if (now - c->connected_at >= cls->reg_timeout)
                conn_close(c, "Registration timed out");
            continue;
        }
        if (c->ping_sent_at) {
            if (now - c->ping_sent_at >= cls->ping_timeout) {
                char why[64];
                snprintf(why, sizeof why, "Ping timeout: %ld seconds", (long)(now - c->last_recv));
                conn_close(c, why);
                continue;
            }
        } else if (now - c->last_recv >= cls->ping_freq) {
            char ping[IRC_LINE_MAX];
            int n = snprintf(ping, sizeof ping, "PING :%s", srv.conf->server_name);
            conn_send_raw(c, ping, (size_t)n);
            c->ping_sent_at = now;
        }
        if (cls->idle_timeout > 0 && now - c->last_active >= cls->idle_timeout)
            conn_close(c, "Idle timeout");
    }
}

void conn_reap_init(void)
{
    hashmap_init(&class_counts);
    conn_io_init();
    srv.reaper = event_new(srv.base, -1, 0, reaper_cb, NULL);
    housekeeping = event_new(srv.base, -1, EV_PERSIST, housekeeping_cb, NULL);
    struct timeval one = { 1, 0 };
    event_add(housekeeping, &one);
}

/* Free the timers at shutdown (valgrind-clean exit). */
void conn_shutdown(void)
{
    if (housekeeping)
        event_free(housekeeping);
    if (srv.reaper)
        event_free(srv.reaper);
    housekeeping = srv.reaper = NULL;
    reaper_cb(-1, 0, NULL);     /* the loop has stopped: reap now */
    hashmap_free(&class_counts);
    while (closing)
        conn_free(closing);
    conn_io_shutdown();
}
