/* conn_io.c — moving bytes: reading lines (with flood control) and writing
 * queued output once per loop turn.
 *
 * Output is not written when it is queued: conn_send_*() append to the
 * connection's chunk list (carved from a per-turn arena, net/outbuf.c)
 * and put it on the flush list, and one flush event, made
 * active on the first append of a loop turn, writes every listed connection
 * after all callbacks of that turn ran (Redis' beforeSleep idea). A fan-out
 * of many lines to one member costs one write(2), and the socket is watched
 * for writability only after the kernel refused bytes, so the steady state
 * makes no epoll_ctl calls at all.
 *
 * Input of plain sockets is read into a stack buffer and handled from
 * there; only what is left over (a partial line, or lines held back by fake
 * lag) is copied to ibuf. Both buffers are freed once empty: an idle client
 * holds no buffer memory.
 *
 * TLS connections keep an OpenSSL bufferevent (BEV_OPT_DEFER_CALLBACKS)
 * underneath: its input is fed through the same line handling, and the
 * flush moves the queued chunks into its output evbuffer. */
#include "havend.h"
#include "modules/module.h"
#include "net/outbuf.h"
#include "proto/numeric.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#define READ_CHUNK 16384        /* bytes taken from a socket per read */
#define CLOSE_FLUSH_SECS 5      /* how long a closing connection may take to drain */

static struct event *flusher;
static struct event *trimmer;
static struct conn *flush_head;
static uint64_t turns_with_output;     /* flushes so far (for the trimmer) */
static uint64_t turns_at_last_tick;

static void plain_cb(evutil_socket_t fd, short what, void *arg);

/* ------------------------------------------------------------ buffers */

/* Make room for n more bytes of input at the end of ibuf; ibuf never
 * grows past the recvq (recvq_check() closes the client first), which
 * the config keeps below 4 GiB. */
static void ibuf_reserve(struct conn *c, size_t n)
{
    size_t need = (size_t)c->ilen + n;
    if (need <= c->icap)
        return;
    size_t want = c->icap ? (size_t)c->icap * 2 : 1024;
    while (want < need)
        want *= 2;
    if (want > UINT32_MAX)
        want = need;
    if (need > UINT32_MAX)
        abort();
    char *nb = realloc(c->ibuf, want);
    if (!nb)
        abort();
    c->ibuf = nb;
    c->icap = (uint32_t)want;
}

static void ibuf_release(struct conn *c)
{
    free(c->ibuf);
    c->ibuf = NULL;
    c->ilen = c->icap = 0;
}

/* The chunks of c still in this turn's arena move to the heap: the
 * socket did not take everything, and the arena is reset after the flush. */
static void out_keep_past_turn(struct conn *c)
{
    struct ochunk *k = c->ohead, *tail = NULL;
    c->ohead = NULL;
    while (k) {
        struct ochunk *next = k->next;
        if (k->heap) {
            k->next = NULL;
            *(tail ? &tail->next : &c->ohead) = k;
            tail = k;
        } else {
            /* Fill the heap tail's free space first, so a blocked client
             * costs its queued bytes and not a chunk per turn. */
            const char *p = k->data + k->pos;
            size_t n = k->len - k->pos;
            while (n) {
                if (!tail || tail->len == tail->cap) {
                    struct ochunk *h = ochunk_heap_new(n, tail ? tail->cap : 0);
                    *(tail ? &tail->next : &c->ohead) = h;
                    tail = h;
                }
                size_t take = n < tail->cap - tail->len ? n : tail->cap - tail->len;
                memcpy(tail->data + tail->len, p, take);
                tail->len += take;
                p += take;
                n -= take;
            }
        }
        k = next;
    }
    c->otail = tail;
}

/* Drop everything queued. */
static void out_discard(struct conn *c)
{
    while (c->ohead) {
        struct ochunk *k = c->ohead;
        c->ohead = k->next;
        ochunk_free(k);
    }
    c->otail = NULL;
    c->opending = 0;
}

/* Forget the first n queued bytes (they were sent). */
static void out_consume(struct conn *c, size_t n)
{
    c->opending -= n;
    while (n) {
        struct ochunk *k = c->ohead;
        size_t left = k->len - k->pos;
        if (n < left) {
            k->pos += n;
            return;
        }
        n -= left;
        c->ohead = k->next;
        if (!c->ohead)
            c->otail = NULL;
        ochunk_free(k);
    }
}

/* Bytes waiting to go out, including what a TLS bufferevent still holds. */
static size_t out_pending(const struct conn *c)
{
    size_t n = c->opending;
    if (c->bev)
        n += evbuffer_get_length(bufferevent_get_output(c->bev));
    return n;
}

/* TLS: hand everything queued to the bufferevent, which encrypts and
 * writes it when the socket allows. */
static void out_to_tls(struct conn *c)
{
    for (struct ochunk *k = c->ohead; k; k = k->next)
        bufferevent_write(c->bev, k->data + k->pos, k->len - k->pos);
    out_discard(c);
}

/* ------------------------------------------------------------ writing */

/* Put c on the flush list; the first of a loop turn wakes the flusher. */
static void flush_schedule(struct conn *c)
{
    if (c->flush_queued)
        return;
    c->flush_queued = true;
    c->flush_prev = NULL;
    c->flush_next = flush_head;
    if (flush_head)
        flush_head->flush_prev = c;
    else if (flusher)
        event_active(flusher, 0, 0);
    flush_head = c;
}

static void flush_unlink(struct conn *c)
{
    if (!c->flush_queued)
        return;
    if (c->flush_prev)
        c->flush_prev->flush_next = c->flush_next;
    else
        flush_head = c->flush_next;
    if (c->flush_next)
        c->flush_next->flush_prev = c->flush_prev;
    c->flush_queued = false;
    c->flush_prev = c->flush_next = NULL;
}

void conn_out_append(struct conn *c, const char *p, size_t n)
{
    while (n) {
        struct ochunk *k = c->otail;
        if (k && k->cap - k->len < n)
            ochunk_extend(k, n - (k->cap - k->len));   /* the arena's newest: grows in place */
        if (!k || k->len == k->cap) {
            k = ochunk_new(n, c->otail ? c->otail->cap : 0);
            if (c->otail)
                c->otail->next = k;
            else
                c->ohead = k;
            c->otail = k;
        }
        size_t take = n < k->cap - k->len ? n : k->cap - k->len;
        memcpy(k->data + k->len, p, take);
        k->len += take;
        c->opending += take;
        p += take;
        n -= take;
    }
    flush_schedule(c);
}

/* Keep only the first line of the queue (through its LF): the start of
 * that line may already be on the wire, and whatever follows it must be a
 * whole line. */
static void out_keep_first_line(struct conn *c)
{
    for (struct ochunk *k = c->ohead; k; k = k->next) {
        const char *lf = memchr(k->data + k->pos, '\n', k->len - k->pos);
        if (!lf)
            continue;
        k->len = (size_t)(lf + 1 - k->data);
        while (k->next) {
            struct ochunk *x = k->next;
            k->next = x->next;
            ochunk_free(x);
        }
        c->otail = k;
        c->opending = 0;
        for (struct ochunk *y = c->ohead; y; y = y->next)
            c->opending += y->len - y->pos;
        return;
    }
    out_discard(c);   /* no complete line queued at all */
}

/* The same for what a TLS bufferevent still holds. */
static void tls_keep_first_line(struct evbuffer *out)
{
    size_t eol_len = 0;
    struct evbuffer_ptr lf = evbuffer_search_eol(out, NULL, &eol_len, EVBUFFER_EOL_LF);
    if (lf.pos < 0) {
        evbuffer_drain(out, evbuffer_get_length(out));
        return;
    }
    struct evbuffer *head = evbuffer_new();
    if (!head)
        abort();
    evbuffer_remove_buffer(out, head, (size_t)lf.pos + eol_len);
    evbuffer_drain(out, evbuffer_get_length(out));
    evbuffer_add_buffer(out, head);
    evbuffer_free(head);
}

/* May n more bytes be queued for c? Past its SendQ a client is closed
 * rather than let memory grow, dropping what it could not take (but never
 * half a line: found by tests/integ/test_io.c) so the ERROR line reaches
 * it promptly. */
static bool sendq_admits(struct conn *c, size_t n)
{
    if (c->dead)
        return false;
    if (out_pending(c) + n <= c->cls->sendq)
        return true;
    struct evbuffer *tls_out = c->bev ? bufferevent_get_output(c->bev) : NULL;
    if (tls_out && evbuffer_get_length(tls_out)) {
        out_discard(c);           /* what we hold starts at a line boundary */
        tls_keep_first_line(tls_out);
    } else {
        out_keep_first_line(c);
    }
    conn_close(c, "SendQ exceeded");
    return false;
}

void conn_send_raw(struct conn *c, const char *line, size_t len)
{
    if (!sendq_admits(c, len + 2))
        return;
    conn_out_append(c, line, len);
    conn_out_append(c, "\r\n", 2);
}

void conn_send_crlf(struct conn *c, const char *line_crlf, size_t len)
{
    if (sendq_admits(c, len))
        conn_out_append(c, line_crlf, len);
}

enum flush_result { FLUSH_DONE, FLUSH_BLOCKED, FLUSH_FAILED };

/* Watch a plain socket for what it needs now: reading while open, writing
 * while output is blocked; a closing one only for writing, with a deadline. */
static void plain_watch(struct conn *c, bool want_write)
{
    bool closing = c->client == NULL;
    if (want_write == c->write_armed && !closing)
        return;
    short what = (short)((closing ? 0 : EV_READ | EV_PERSIST) | (want_write ? EV_WRITE | EV_PERSIST : 0));
    event_del(&c->ev);
    event_assign(&c->ev, srv.base, c->fd, what, plain_cb, c);
    struct timeval deadline = { CLOSE_FLUSH_SECS, 0 };
    event_add(&c->ev, closing ? &deadline : NULL);
    c->write_armed = want_write;
}

/* Write what is queued on a plain socket, as far as the kernel takes it:
 * one sendmsg(2) gathers up to 16 chunks (MSG_NOSIGNAL: no SIGPIPE). */
static enum flush_result plain_flush(struct conn *c)
{
    while (c->ohead) {
        struct iovec iov[16];
        struct msghdr msg = { .msg_iov = iov };
        for (struct ochunk *k = c->ohead; k && msg.msg_iovlen < 16; k = k->next) {
            iov[msg.msg_iovlen].iov_base = k->data + k->pos;
            iov[msg.msg_iovlen].iov_len = k->len - k->pos;
            msg.msg_iovlen++;
        }
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (w > 0) {
            out_consume(c, (size_t)w);
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return FLUSH_BLOCKED;
        out_discard(c);
        return FLUSH_FAILED;
    }
    return FLUSH_DONE;
}

/* Flush one connection: write directly, or hand the bytes to TLS. */
static void conn_flush(struct conn *c)
{
    flush_unlink(c);
    if (c->bev) {
        out_to_tls(c);
        return;
    }
    enum flush_result r = plain_flush(c);
    if (r == FLUSH_FAILED) {
        conn_close(c, "Write error");
        out_discard(c);         /* nobody is left to read the ERROR line */
        return;
    }
    if (r == FLUSH_BLOCKED)
        out_keep_past_turn(c);
    plain_watch(c, r == FLUSH_BLOCKED);
}

/* End of the loop turn: write everything queued during it. Flushing can
 * queue more (a write error closes a client, whose QUIT goes to others
 * once the reaper runs); that re-activates this event. */
static void flusher_cb(evutil_socket_t fd, short what, void *arg)
{
    while (flush_head) {
        struct conn *c = flush_head;
        if (!c->client) {       /* closing: conn_io_close() writes it */
            flush_unlink(c);
            out_keep_past_turn(c);
            continue;
        }
        conn_flush(c);
    }
    outbuf_turn_end();          /* every arena chunk was written or moved */
    turns_with_output++;
}

/* ------------------------------------------------------------ closing */

/* A closing TLS connection: free once its output is out or it failed. */
static void tls_closing_write_cb(struct bufferevent *bev, void *arg)
{
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_free(arg);
}

static void tls_closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
    conn_free(arg);
}

void conn_io_close(struct conn *c)
{
    flush_unlink(c);
    ibuf_release(c);
    /* The 5 s deadline below counts from now, not from libevent's cached
     * time of this loop turn: a slow callback (a PBKDF2 password check
     * under valgrind took over 5 s) left the deadline already expired, and
     * the last lines were never written (found by the valgrind run of
     * registration/server_password_wrong_or_missing). */
    event_base_update_cache_time(srv.base);
    if (c->bev) {
        bufferevent_disable(c->bev, EV_READ);
        out_to_tls(c);
        /* A TLS connection still in its handshake can never flush the ERROR
         * line, and its write timeout never fires: without this it kept its
         * socket for ever (found by tests/integ/test_abuse.c). */
        SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
        if (out_pending(c) == 0 || (ssl && !SSL_is_init_finished(ssl))) {
            conn_free(c);
            return;
        }
        struct timeval tv = { CLOSE_FLUSH_SECS, 0 };
        bufferevent_set_timeouts(c->bev, NULL, &tv);
        bufferevent_setcb(c->bev, NULL, tls_closing_write_cb, tls_closing_event_cb, c);
        bufferevent_enable(c->bev, EV_WRITE);
        return;
    }
    /* Even when it is all out, the socket is freed from the loop (the
     * reaper may run inside one of this client's own callbacks, DIE). */
    plain_flush(c);
    out_keep_past_turn(c);
    plain_watch(c, true);
}

void conn_io_free(struct conn *c)
{
    flush_unlink(c);
    if (c->bev) {
        bufferevent_free(c->bev);
    } else if (event_initialized(&c->ev)) {
        event_del(&c->ev);
        evutil_closesocket(c->fd);
    }
    c->bev = NULL;
    if (c->timer)
        event_free(c->timer);
    c->timer = NULL;
    out_discard(c);
    ibuf_release(c);
}

/* ------------------------------------------------------------ flood control */

int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Refill the flood bucket; true if a line may be processed now. Opers and
 * clients in a class with rate 0 are exempt. */
static bool flood_take(struct conn *c)
{
    const struct conf_class *cls = c->cls;
    if (cls->flood_rate <= 0 || (c->client && (c->client->umodes & UMODE_OPER)))
        return true;
    int64_t now = monotonic_ms();
    int64_t ms = now - c->flood_last_ms;
    if (ms > 0) {
        c->flood_tokens += ms * cls->flood_rate;
        if (c->flood_tokens > (int64_t)cls->flood_burst * 1000)
            c->flood_tokens = (int64_t)cls->flood_burst * 1000;
        c->flood_last_ms = now;
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
    conn_input_run(c);
}

/* Fake lag: handle the rest of the input when one more token is due. */
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

/* Where the first complete line naming an urgent command (e.g. a panic
 * button) starts in buf, or -1. Flood-limited lines queued before it are
 * dropped so it runs now: they were held back anyway, and must not go out
 * after it. */
static ptrdiff_t urgent_line_offset(const char *buf, size_t n)
{
    size_t pos = 0;
    for (int lines = 0; lines < 256; lines++) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        if (!nl)
            return -1;
        size_t len = (size_t)(nl - (buf + pos));
        char head[IRC_INPUT_MAX + 1];
        size_t take = len < IRC_INPUT_MAX ? len : IRC_INPUT_MAX;
        memcpy(head, buf + pos, take);
        if (take && head[take - 1] == '\r')
            take--;
        head[take] = '\0';
        struct message m;
        if (message_parse(head, &m) == PARSE_OK && command_is_urgent(m.command))
            return (ptrdiff_t)pos;
        pos += len + 1;
    }
    return -1;
}

/* ------------------------------------------------------------ reading */

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
    /* Invalid tag syntax drops the message (IRCv3 leaves the reply open). */
    if (message_parse(line, &m) == PARSE_OK)
        command_dispatch(c, &m);
}

/* Handle the complete lines at the start of buf[0..n) as far as flood
 * control allows; returns how many bytes were used up. */
static size_t lines_process(struct conn *c, const char *buf, size_t n)
{
    size_t pos = 0;
    if (c->flood_paused && c->state == STATE_USER) {
        ptrdiff_t u = urgent_line_offset(buf, n);
        if (u >= 0) {
            pos = (size_t)u;
            c->flood_tokens = 1000; /* exactly one line's worth */
            c->flood_paused = false;
            evtimer_del(c->timer);
        }
    }
    while (!c->dead && !c->flood_paused) {
        const char *nl = memchr(buf + pos, '\n', n - pos);
        if (!nl) {
            /* No complete line: an over-long one is cut and answered now. */
            if (n - pos > IRC_INPUT_MAX) {
                if (!c->discarding)     /* one 417 per line, not per read */
                    send_numeric(c->client, ERR_INPUTTOOLONG, ":Input line was too long");
                c->discarding = true;
                pos = n;
            }
            break;
        }
        size_t len = (size_t)(nl - (buf + pos));
        if (c->discarding || len > IRC_INPUT_MAX) {
            if (!c->discarding)
                send_numeric(c->client, ERR_INPUTTOOLONG, ":Input line was too long");
            c->discarding = false;
            pos += len + 1;
            continue;
        }
        if (!flood_take(c)) {
            ptrdiff_t u = c->state == STATE_USER ? urgent_line_offset(buf + pos, n - pos) : -1;
            if (u >= 0) {
                pos += (size_t)u;       /* an urgent command is now first in line */
                c->flood_tokens = 1000;
                continue;
            }
            if (c->cls->flood_mode == FLOOD_DISCONNECT) {
                conn_close(c, "Excess Flood");
                return n;
            }
            flood_pause(c);
            break;
        }
        char line[IRC_INPUT_MAX + 1];
        memcpy(line, buf + pos, len);
        pos += len + 1;
        if (len && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        conn_process_line(c, line, len);
    }
    return pos;
}

/* recvq bounds the input waiting while fake-lagged. One partial line of up
 * to IRC_INPUT_MAX bytes is always allowed: a long but legal line split
 * across reads got its sender dropped (found by tests/integ/test_abuse_input.c). */
static void recvq_check(struct conn *c)
{
    size_t recvq = c->cls->recvq > IRC_INPUT_MAX ? c->cls->recvq : IRC_INPUT_MAX;
    if (!c->dead && c->ilen > recvq) {
        ibuf_release(c);
        conn_close(c, "Excess Flood");
    }
}

void conn_input_run(struct conn *c)
{
    if (c->dead || !c->ilen)
        return;
    size_t used = lines_process(c, c->ibuf, c->ilen);
    if (c->dead || used >= c->ilen) {
        ibuf_release(c);
        return;
    }
    memmove(c->ibuf, c->ibuf + used, c->ilen - used);
    c->ilen -= (uint32_t)used;
}

/* Take n freshly read bytes: with nothing held, lines are handled straight
 * from the caller's buffer; whatever is left waits in ibuf. */
static void input_feed(struct conn *c, const char *data, size_t n)
{
    if (c->dead)
        return;
    c->last_recv = time(NULL);
    c->ping_sent_at = 0;
    if (c->ilen) {
        ibuf_reserve(c, n);
        memcpy(c->ibuf + c->ilen, data, n);
        c->ilen += (uint32_t)n;
        conn_input_run(c);
    } else {
        size_t used = lines_process(c, data, n);
        if (!c->dead && used < n) {
            ibuf_reserve(c, n - used);
            memcpy(c->ibuf, data + used, n - used);
            c->ilen = (uint32_t)(n - used);
        }
    }
    recvq_check(c);
}

/* A plain socket is readable, writable, or (closing) out of time. */
static void plain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (!c->client) {           /* closing: only draining the ERROR line */
        if (!(what & EV_WRITE) || plain_flush(c) != FLUSH_BLOCKED)
            conn_free(c);
        return;
    }
    if (what & EV_WRITE) {
        enum flush_result r = plain_flush(c);
        if (r == FLUSH_FAILED) {
            conn_close(c, "Write error");
            out_discard(c);
            return;
        }
        plain_watch(c, r == FLUSH_BLOCKED);
    }
    if (!(what & EV_READ) || c->dead)
        return;
    char buf[READ_CHUNK];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0)
        input_feed(c, buf, (size_t)n);
    else if (n == 0)
        conn_close(c, "Connection closed");
    else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        conn_close(c, "Read error");
}

/* TLS: decrypted input arrived in the bufferevent. */
static void tls_read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    char buf[READ_CHUNK];
    int n;
    while (!c->dead && (n = evbuffer_remove(in, buf, sizeof buf)) > 0)
        input_feed(c, buf, (size_t)n);
}

static void tls_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_EOF)
        conn_close(c, "Connection closed");
    else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        conn_close(c, "TLS or read error");
}

/* ------------------------------------------------------------ setup */

bool conn_io_start(struct conn *c, evutil_socket_t fd, SSL *ssl)
{
    /* fd is non-blocking already: libevent's listener accepts with
     * accept4(SOCK_NONBLOCK), which saves two fcntl calls per client. */
    /* Output is already gathered into one write per loop turn; Nagle would
     * hold the next turn's lines until the client ACKs the last ones (its
     * delayed ACK: tens of milliseconds of latency for a busy room). Fails
     * harmlessly on non-TCP sockets. */
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        /* not TCP (tests use socketpairs): nothing to tune */
    }
    c->fd = fd;
    if (ssl) {
        c->bev = bufferevent_openssl_socket_new(srv.base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
        if (!c->bev)
            return false;
        bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
        /* libevent's writer hands SSL_write one evbuffer segment after
         * another and drains what they returned in total: a partial write
         * of one segment followed by the next one sent bytes out of order
         * (lines arrived spliced, found by tests/clients/limnoria_bot.py
         * under ASan). Whole-or-retry writes keep the stream intact. */
        SSL_clear_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE);
        c->tls = true;
        bufferevent_setcb(c->bev, tls_read_cb, NULL, tls_event_cb, c);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        return true;
    }
    if (event_assign(&c->ev, srv.base, fd, EV_READ | EV_PERSIST, plain_cb, c) != 0)
        return false;
    event_add(&c->ev, NULL);
    return true;
}

/* Four times a second: once output has stopped for a quarter second
 * (after a join storm, a busy evening), give free pages back to the
 * system: the output arena's, and the heap's (a burst of joins and
 * departures leaves free pages glibc would keep resident). Not while
 * traffic flows: the trim walks the free lists. */
static void trimmer_cb(evutil_socket_t fd, short what, void *arg)
{
    static uint64_t turns_at_last_trim;
    bool quiet = turns_with_output == turns_at_last_tick;
    if (quiet && turns_with_output != turns_at_last_trim) {
        outbuf_quiet();
        malloc_trim(0);
        turns_at_last_trim = turns_with_output;
    }
    turns_at_last_tick = turns_with_output;
}

/* The end-of-turn flush event. */
void conn_io_init(void)
{
    flusher = event_new(srv.base, -1, 0, flusher_cb, NULL);
    trimmer = event_new(srv.base, -1, EV_PERSIST, trimmer_cb, NULL);
    struct timeval quarter = { 0, 250000 };
    event_add(trimmer, &quarter);
}

void conn_io_shutdown(void)
{
    outbuf_shutdown();
    if (flusher)
        event_free(flusher);
    if (trimmer)
        event_free(trimmer);
    flusher = trimmer = NULL;
    flush_head = NULL;
}
