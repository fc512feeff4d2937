/* conn.c — local connections: reading lines, flood control, SendQ,
 * liveness, and closing.
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

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

static struct event *housekeeping;
static struct conn *closing;          /* unlinked, flushing their ERROR line */
static struct hashmap class_counts;   /* class name -> connections (intptr_t) */

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);

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

void conn_apply_class(struct conn *c)
{
    const struct conf_class *cls = config_find_class(srv.conf, c->class_name);
    if (!cls) {
        class_count_add(c->class_name, -1);
        snprintf(c->class_name, sizeof c->class_name, "default");
        class_count_add(c->class_name, 1);
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
    if (srv.shutting_down || (cls->max_clients > 0 &&
        (intptr_t)hashmap_get(&class_counts, cls->name) >= cls->max_clients)) {
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
    evutil_make_socket_nonblocking(fd);
    if (ssl) {
        c->bev = bufferevent_openssl_socket_new(srv.base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (c->bev)
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
        c->tls = true;
    } else {
        c->bev = bufferevent_socket_new(srv.base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!c->bev) {
        bantoken_release(token);
        SSL_free(ssl);
        evutil_closesocket(fd);
        free(c);
        return;
    }
    c->addr_private = ss;
    c->addr_private_len = (socklen_t)salen;
    snprintf(c->class_name, sizeof c->class_name, "%s", cls->name);
    class_count_add(c->class_name, 1);
    c->cls = cls;
    c->state = STATE_UNREG;
    c->connected_at = c->last_recv = c->last_active = time(NULL);
    c->flood_tokens = (int64_t)cls->flood_burst * 1000;
    clock_gettime(CLOCK_MONOTONIC, &c->flood_last);
    c->client = client_new_local(c);
    memcpy(c->client->ban_token, token, sizeof token);

    c->next = srv.conns;
    if (srv.conns)
        srv.conns->prev = c;
    srv.conns = c;
    srv.nconns++;
    srv.nunreg++;

    bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    log_msg(LOG_DEBUG, "connection %s accepted%s", c->client->uid, c->tls ? " (tls)" : "");
}

/* ------------------------------------------------------------ writing */

/* Past its SendQ, a client is closed rather than let memory grow. */
static void sendq_check(struct conn *c, struct evbuffer *out)
{
    if (evbuffer_get_length(out) > c->cls->sendq) {
        /* Drop what it could not take, so the ERROR reaches it promptly. */
        evbuffer_drain(out, evbuffer_get_length(out));
        conn_close(c, "SendQ exceeded");
    }
}

void conn_send_raw(struct conn *c, const char *line, size_t len)
{
    if (c->dead)
        return;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, line, len);
    evbuffer_add(out, "\r\n", 2);
    sendq_check(c, out);
}

void conn_send_crlf(struct conn *c, const char *line_crlf, size_t len)
{
    if (c->dead)
        return;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, line_crlf, len);
    sendq_check(c, out);
}

/* ------------------------------------------------------------ closing */

static void conn_free(struct conn *c)
{
    if (!c->client) { /* on the closing list */
        if (c->prev)
            c->prev->next = c->next;
        else
            closing = c->next;
        if (c->next)
            c->next->prev = c->prev;
    }
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->timer)
        event_free(c->timer);
    free(c->pass);
    sasl_conn_free(c);
    free(c->quit_reason);
    free(c);
}

/* Once the ERROR line is flushed (or the peer is gone), free. */
static void conn_flushed_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_free(c);
}

static void conn_closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
    conn_free(arg);
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

    bufferevent_disable(c->bev, EV_READ);
    /* A TLS connection still in its handshake can never flush the ERROR
     * line, and its write timeout never fires: without this it kept its
     * socket for ever (found by tests/integ/test_abuse.c). */
    SSL *ssl = c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 || (ssl && !SSL_is_init_finished(ssl))) {
        conn_free(c);
        return;
    }
    struct timeval tv = { 5, 0 };
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    bufferevent_setcb(c->bev, NULL, conn_flushed_cb, conn_closing_event_cb, c);
    bufferevent_enable(c->bev, EV_WRITE);
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
    /* Written directly: the ERROR line is exempt from the SendQ. */
    evbuffer_add_printf(bufferevent_get_output(c->bev), "ERROR :Closing Link: %s (%.*s)\r\n",
                        u->host[0] ? u->host : "*", rlen, reason);
    c->dead = true;
    c->quit_reason = strndup(reason, (size_t)rlen);
    if (!c->quit_reason)
        abort();
    c->next_dead = srv.dead;
    srv.dead = c;
    event_active(srv.reaper, 0, 0);
}

void conn_close_all(const char *reason)
{
    for (struct conn *c = srv.conns; c; c = c->next)
        conn_close(c, reason);
    reaper_cb(-1, 0, NULL);
}

/* ------------------------------------------------------------ reading */

/* Refill the flood bucket; true if a line may be processed now. Opers and
 * clients in a class with rate 0 are exempt. */
static bool flood_take(struct conn *c)
{
    const struct conf_class *cls = c->cls;
    if (cls->flood_rate <= 0 || (c->client && (c->client->umodes & UMODE_OPER)))
        return true;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (int64_t)(now.tv_sec - c->flood_last.tv_sec) * 1000 + (now.tv_nsec - c->flood_last.tv_nsec) / 1000000;
    if (ms > 0) {
        c->flood_tokens += ms * cls->flood_rate;
        if (c->flood_tokens > (int64_t)cls->flood_burst * 1000)
            c->flood_tokens = (int64_t)cls->flood_burst * 1000;
        c->flood_last = now;
    }
    if (c->flood_tokens >= 1000) {
        c->flood_tokens -= 1000;
        return true;
    }
    return false;
}

static void conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    c->flood_paused = false;
    conn_read_cb(c->bev, c);
}

/* Fake lag: process the rest of the input when one more token is due. */
static void flood_pause(struct conn *c)
{
    if (!c->timer)
        c->timer = evtimer_new(srv.base, conn_resume_cb, c);
    int64_t need = 1000 - c->flood_tokens;
    int64_t ms = need / c->cls->flood_rate + 1;
    struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000) };
    c->flood_paused = true;
    evtimer_add(c->timer, &tv);
}

/* Handle one complete line (CR/LF already stripped). */
static void conn_process_line(struct conn *c, char *line, size_t len)
{
    if (memchr(line, '\0', len))
        return; /* NUL bytes are never valid IRC */
    size_t taglen = 0;
    if (line[0] == '@') {
        const char *sp = memchr(line, ' ', len);
        taglen = sp ? (size_t)(sp - line) + 1 : len;
    }
    if (taglen > IRC_TAGS_MAX || len - taglen > IRC_LINE_MAX - 2) {
        send_numeric(c->client, ERR_INPUTTOOLONG, ":Input line was too long");
        return;
    }
    struct message m;
    switch (message_parse(line, &m)) {
    case PARSE_OK:
        command_dispatch(c, &m);
        break;
    case PARSE_BAD_TAGS:
        /* invalid tag syntax: the message is dropped (IRCv3 leaves the reply open) */
        break;
    default:
        break;
    }
}

/* Flood-limited, but is an urgent command (e.g. a panic button) waiting
 * in the queue? Then drop what is queued before it, so it runs now: those
 * lines were held back anyway, and must not go out after it. */
static bool urgent_line_jump(struct conn *c, struct evbuffer *in)
{
    struct evbuffer_ptr pos;
    evbuffer_ptr_set(in, &pos, 0, EVBUFFER_PTR_SET);
    for (int lines = 0; lines < 256; lines++) {
        size_t eol_len = 0;
        struct evbuffer_ptr eol = evbuffer_search_eol(in, &pos, &eol_len, EVBUFFER_EOL_LF);
        if (eol.pos < 0)
            return false;
        char head[IRC_INPUT_MAX + 1];
        size_t n = (size_t)(eol.pos - pos.pos);
        if (n > IRC_INPUT_MAX)
            n = IRC_INPUT_MAX;
        evbuffer_copyout_from(in, &pos, head, n);
        if (n && head[n - 1] == '\r')
            n--;
        head[n] = '\0';
        struct message m;
        if (message_parse(head, &m) == PARSE_OK && command_is_urgent(m.command)) {
            evbuffer_drain(in, (size_t)pos.pos);
            c->flood_tokens = 1000; /* exactly one line's worth */
            return true;
        }
        evbuffer_ptr_set(in, &pos, (size_t)eol.pos + eol_len, EVBUFFER_PTR_SET);
    }
    return false;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char line[IRC_INPUT_MAX + 64];

    if (c->dead)
        return;
    c->last_recv = time(NULL);
    c->ping_sent_at = 0;
    if (c->flood_paused && c->state == STATE_USER && urgent_line_jump(c, in)) {
        c->flood_paused = false;
        evtimer_del(c->timer);
    }

    while (!c->dead && !c->flood_paused) {
        size_t eol_len = 0;
        struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
        if (eol.pos < 0) {
            /* No complete line: an over-long one is cut and answered now. */
            if (evbuffer_get_length(in) > IRC_INPUT_MAX) {
                evbuffer_drain(in, evbuffer_get_length(in));
                if (!c->discarding)     /* one 417 per line, not per read */
                    send_numeric(c->client, ERR_INPUTTOOLONG, ":Input line was too long");
                c->discarding = true;
            }
            break;
        }
        size_t n = (size_t)eol.pos;
        if (c->discarding || n > IRC_INPUT_MAX) {
            evbuffer_drain(in, n + eol_len);
            if (!c->discarding)
                send_numeric(c->client, ERR_INPUTTOOLONG, ":Input line was too long");
            c->discarding = false;
            continue;
        }
        if (!flood_take(c)) {
            if (c->state == STATE_USER && urgent_line_jump(c, in))
                continue; /* an urgent command is now first in line */
            if (c->cls->flood_mode == FLOOD_DISCONNECT) {
                conn_close(c, "Excess Flood");
                return;
            }
            flood_pause(c);
            break;
        }
        evbuffer_remove(in, line, n);
        evbuffer_drain(in, eol_len);
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        conn_process_line(c, line, n);
    }
    /* recvq bounds the input waiting while fake-lagged. One partial line
     * of up to IRC_INPUT_MAX bytes is always allowed: a long but legal
     * line split across reads got its sender dropped (found by
     * tests/integ/test_abuse_input.c). */
    size_t recvq = c->cls->recvq > IRC_INPUT_MAX ? c->cls->recvq : IRC_INPUT_MAX;
    if (!c->dead && evbuffer_get_length(in) > recvq)
        conn_close(c, "Excess Flood");
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_EOF)
        conn_close(c, "Connection closed");
    else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        conn_close(c, c->tls ? "TLS or read error" : "Read error");
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
    hashmap_free(&class_counts);
    while (closing)
        conn_free(closing);
}
