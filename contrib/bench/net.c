/* net.c — the load generator's sockets: connect, register (NICK/USER,
 * answering PING), read lines into each connection's own buffer, write
 * with a bounded pending buffer, and the epoll loop that drives it all.
 *
 * Incoming channel and private messages are timed here (the hot path):
 * a message text "hb <step> <sender> <seq> <t_ns>" carries the sender's
 * CLOCK_MONOTONIC send time, so a receiver's latency is now - t_ns. */
#include "ircbench.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct bench B;

/* Nanoseconds on the monotonic clock: the only clock the generator uses. */
int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Create the epoll set and the connection table for maxconns clients. */
int net_init(int maxconns)
{
    B.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (B.epfd < 0)
        return -1;
    B.conns = calloc((size_t)maxconns, sizeof *B.conns);
    if (!B.conns)
        return -1;
    B.nconns = maxconns;
    for (int i = 0; i < maxconns; i++) {
        B.conns[i].fd = -1;
        B.conns[i].id = i;
        B.conns[i].chan = -1;
        B.conns[i].partner = -1;
    }
    return 0;
}

/* Close whatever is still open and free the table (end of run). */
void net_free(void)
{
    for (int i = 0; i < B.nconns; i++)
        if (B.conns[i].fd >= 0)
            conn_close(&B.conns[i], NULL, false);
    free(B.conns);
    B.conns = NULL;
    if (B.epfd >= 0)
        close(B.epfd);
    B.epfd = -1;
}

/* Our requested nick for client id: short (fits NICKLEN 9 too) and
 * unique per generator process; try > 0 after a 433. */
void make_nick(char *buf, size_t len, int id, int try)
{
    static const char a[] = "abcdefghijklmnopqrstuvwxyz";
    unsigned p = (unsigned)getpid();
    if (try == 0)
        snprintf(buf, len, "b%c%c%d", a[p % 26], a[(p / 26) % 26], id);
    else
        snprintf(buf, len, "b%c%c%d_%d", a[p % 26], a[(p / 26) % 26], id, try);
}

/* Keep the first of a kind of message (disconnect reason, error line),
 * printable and short, for the report. */
static void remember(char *dst, size_t cap, const char *src, size_t len)
{
    if (dst[0])
        return;
    if (len >= cap)
        len = cap - 1;
    for (size_t i = 0; i < len; i++)
        dst[i] = (src[i] >= 32 && src[i] < 127 && src[i] != '"' && src[i] != '\\') ? src[i] : '?';
    dst[len] = '\0';
}

/* Ask epoll for EPOLLOUT only while output is pending (or connecting). */
static void want_out(struct conn *c, bool on)
{
    if (c->epollout == on || c->fd < 0)
        return;
    struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.u32 = (uint32_t)c->id };
    epoll_ctl(B.epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->epollout = on;
}

/* End a connection. A close the server caused while we are not tearing
 * down counts as a disconnect (the scenarios report these). */
void conn_close(struct conn *c, const char *why, bool is_disconnect)
{
    if (c->fd < 0)
        return;
    epoll_ctl(B.epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (c->inflight) {
        c->inflight = false;
        B.inflight--;
    }
    if (is_disconnect && !B.quitting) {
        if (c->registered) {
            B.disconnects++;
            if (why)
                remember(B.first_disconnect, sizeof B.first_disconnect, why, strlen(why));
        } else {
            /* never got 001: the registration failed, nobody was dropped */
            B.reg_failed++;
            if (why)
                remember(B.first_error, sizeof B.first_error, why, strlen(why));
        }
    }
    free(c->rbuf);
    free(c->wbuf);
    c->rbuf = c->wbuf = NULL;
    c->rlen = c->wlen = 0;
    c->state = CS_CLOSED;
    c->epollout = false;
}

/* Start a non-blocking connect to the server; false if it failed at once. */
bool conn_open(struct conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        B.connect_errors++;
        remember(B.first_error, sizeof B.first_error, strerror(errno), strlen(strerror(errno)));
        c->state = CS_CLOSED;
        return false;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->rbuf = malloc(RBUF_SIZE);
    c->wbuf = NULL;
    c->rlen = c->wlen = 0;
    c->t_open = now_ns();
    c->registered = c->ready = c->joined = c->join_failed = false;
    c->nick_tries = 0;
    if (!c->rbuf)
        abort();
    if (connect(c->fd, (struct sockaddr *)&B.o.addr, sizeof B.o.addr) < 0 && errno != EINPROGRESS) {
        const char *e = strerror(errno);
        B.connect_errors++;
        remember(B.first_error, sizeof B.first_error, e, strlen(e));
        close(c->fd);
        c->fd = -1;
        free(c->rbuf);
        c->rbuf = NULL;
        c->state = CS_CLOSED;
        return false;
    }
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)c->id };
    epoll_ctl(B.epfd, EPOLL_CTL_ADD, c->fd, &ev);
    c->epollout = true;
    c->state = CS_CONNECTING;
    return true;
}

/* Flush pending output; false if the socket failed (it is then closed). */
static bool flush_out(struct conn *c)
{
    while (c->wlen > 0) {
        ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            conn_close(c, strerror(errno), true);
            return false;
        }
        memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
        c->wlen -= (uint32_t)n;
    }
    want_out(c, c->wlen > 0 || c->state == CS_CONNECTING);
    return true;
}

/* Queue bytes to the server: written at once when nothing is pending.
 * false if the connection is gone or its pending output is full (the
 * bytes are dropped: the caller counts that). */
bool conn_write(struct conn *c, const char *buf, size_t len)
{
    if (c->fd < 0 || c->state == CS_CLOSED)
        return false;
    if (c->wlen == 0 && c->state != CS_CONNECTING) {
        ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            conn_close(c, strerror(errno), true);
            return false;
        }
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        }
        if (len == 0)
            return true;
    }
    if (c->wlen + len > WBUF_MAX)
        return false;
    if (!c->wbuf && !(c->wbuf = malloc(WBUF_MAX)))
        abort();
    memcpy(c->wbuf + c->wlen, buf, len);
    c->wlen += (uint32_t)len;
    want_out(c, true);
    return true;
}

/* printf into one line and queue it. */
bool conn_printf(struct conn *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return false;
    return conn_write(c, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* The socket connected (or failed to): send the registration. */
static void on_connected(struct conn *c)
{
    int err = 0;
    socklen_t el = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
        const char *e = strerror(err ? err : errno);
        B.connect_errors++;
        remember(B.first_error, sizeof B.first_error, e, strlen(e));
        conn_close(c, NULL, false);
        return;
    }
    c->state = CS_REG;
    make_nick(c->nick, sizeof c->nick, c->id, 0);
    conn_printf(c, "NICK %s\r\nUSER u 0 * :ircbench\r\n", c->nick);
    if (c->fd >= 0)
        want_out(c, c->wlen > 0);
}

/* Parse an unsigned decimal at *p, advancing past it and one space. */
static inline uint64_t take_u64(const char **p, const char *end)
{
    uint64_t v = 0;
    const char *s = *p;
    while (s < end && *s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (s < end && *s == ' ')
        s++;
    *p = s;
    return v;
}

/* A PRIVMSG for us or our channel: time it if it is one of ours. */
static inline void on_privmsg(const char *args, const char *end, int64_t now)
{
    const char *t = memchr(args, ' ', (size_t)(end - args));   /* after the target */
    if (!t || t + 5 > end || t[1] != ':' || t[2] != 'h' || t[3] != 'b' || t[4] != ' ') {
        B.rx_other++;
        return;
    }
    const char *p = t + 5;
    unsigned step = (unsigned)take_u64(&p, end);
    take_u64(&p, end);                  /* sender */
    take_u64(&p, end);                  /* sequence */
    int64_t sent = (int64_t)take_u64(&p, end);
    if (step != B.step) {
        B.rx_stale++;
        return;
    }
    int64_t lat = now - sent;
    if (lat < 0)
        lat = 0;
    B.rx++;
    if (lat <= B.deadline_ns)
        B.rx_in_time++;
    else
        B.rx_late++;
    hist_add(&B.lat, (uint64_t)lat / 1000);
}

/* The first parameter after a numeric ("<target> ..."): our nick. */
static void take_nick(struct conn *c, const char *p, const char *end)
{
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    size_t n = (size_t)((sp ? sp : end) - p);
    if (n > NICK_LEN)
        n = NICK_LEN;
    memcpy(c->nick, p, n);
    c->nick[n] = '\0';
}

/* Numeric replies: registration, MOTD end, joins, nick clashes, errors. */
static void on_numeric(struct conn *c, int num, const char *args, const char *end, const char *line, size_t len)
{
    switch (num) {
    case 1:
        if (!c->registered) {
            take_nick(c, args, end);
            c->registered = true;
            c->t_001 = now_ns();
            B.registered++;
        }
        return;
    case 376: case 422:                 /* end of MOTD / no MOTD: registration done */
        if (!c->ready && c->registered) {
            c->ready = true;
            c->t_ready = now_ns();
            c->state = CS_READY;
            B.ready++;
            if (c->inflight) {
                c->inflight = false;
                B.inflight--;
            }
            if (B.on_ready)
                B.on_ready(c);
        }
        return;
    case 366:                           /* end of NAMES: our JOIN went through */
        if (!c->joined && c->chan >= 0) {
            c->joined = true;
            B.joined++;
            if (B.on_joined)
                B.on_joined(c);
        }
        return;
    case 432: case 433: case 436:       /* nick refused: try another */
        if (!c->registered && c->nick_tries < 5) {
            B.nick_retries++;
            make_nick(c->nick, sizeof c->nick, c->id, ++c->nick_tries);
            conn_printf(c, "NICK %s\r\n", c->nick);
            return;
        }
        break;
    case 403: case 405: case 471: case 473: case 474: case 475: case 476: case 477: case 479: case 489:
        if (!c->joined && !c->join_failed) {
            c->join_failed = true;
            B.join_failed++;
        }
        break;
    case 421: {                         /* ACCEPT is not known everywhere */
        const char *sp = memchr(args, ' ', (size_t)(end - args));
        if (sp && end - sp > 7 && memcmp(sp + 1, "ACCEPT ", 7) == 0)
            return;
        break;
    }
    default:
        break;
    }
    if (num >= 400 && num < 600) {
        B.error_numerics++;
        remember(B.first_error, sizeof B.first_error, line, len);
    }
}

/* One line from the server (CR/LF stripped). */
static void on_line(struct conn *c, const char *line, size_t len, int64_t now)
{
    const char *end = line + len;
    const char *p = line;
    const char *src = NULL;
    size_t srclen = 0;
    if (len && *p == ':') {
        const char *sp = memchr(p, ' ', len);
        if (!sp)
            return;
        src = p + 1;
        srclen = (size_t)(sp - src);
        p = sp + 1;
    }
    size_t rest = (size_t)(end - p);
    /* the hot path first */
    if (rest > 8 && memcmp(p, "PRIVMSG ", 8) == 0) {
        on_privmsg(p + 8, end, now);
        return;
    }
    if (rest >= 4 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
        (rest == 3 || p[3] == ' ')) {
        int num = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        on_numeric(c, num, p + 4, end, line, len);
        return;
    }
    if (rest >= 4 && memcmp(p, "PING", 4) == 0) {
        char pong[600];
        int n = snprintf(pong, sizeof pong, "PONG%.*s\r\n", (int)(rest - 4), p + 4);
        if (n > 0)
            conn_write(c, pong, (size_t)n < sizeof pong ? (size_t)n : sizeof pong - 1);
        return;
    }
    if (rest >= 5 && memcmp(p, "ERROR", 5) == 0) {
        char why[200];
        snprintf(why, sizeof why, "%.*s", (int)(len < sizeof why ? len : sizeof why - 1), line);
        conn_close(c, why, true);
        return;
    }
    if (rest > 5 && memcmp(p, "NICK ", 5) == 0 && src) {
        /* a server-forced nick change of our own (pseudonyms) */
        size_t nl = strlen(c->nick);
        if (srclen > nl && memcmp(src, c->nick, nl) == 0 && src[nl] == '!') {
            const char *q = p + 5;
            if (*q == ':')
                q++;
            take_nick(c, q, end);
        }
    }
}

/* Read what the socket has (a bounded number of reads, for fairness
 * between connections) and hand each complete line to on_line. */
static void on_readable(struct conn *c)
{
    for (int round = 0; round < 2 && c->fd >= 0; round++) {
        size_t room = RBUF_SIZE - c->rlen;
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, room, MSG_DONTWAIT);
        if (n == 0) {
            conn_close(c, "EOF (server closed the connection)", true);
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                conn_close(c, strerror(errno), true);
            return;
        }
        int64_t now = now_ns();
        c->rlen += (uint32_t)n;
        char *start = c->rbuf, *end = c->rbuf + c->rlen;
        for (;;) {
            char *nl = memchr(start, '\n', (size_t)(end - start));
            if (!nl)
                break;
            size_t len = (size_t)(nl - start);
            if (len && start[len - 1] == '\r')
                len--;
            on_line(c, start, len, now);
            if (c->fd < 0)
                return;
            start = nl + 1;
        }
        c->rlen = (uint32_t)(end - start);
        if (c->rlen == RBUF_SIZE) {     /* a "line" longer than the buffer */
            B.long_lines++;
            c->rlen = 0;
        } else if (c->rlen && start != c->rbuf) {
            memmove(c->rbuf, start, c->rlen);
        }
        if ((size_t)n < room)
            return;                     /* drained */
    }
}

/* Wait for events (at most timeout_ms) and handle them; returns how many.
 * A small batch keeps one call short (~ms), so senders stay on schedule. */
int net_poll(int timeout_ms)
{
    struct epoll_event ev[128];
    int n = epoll_wait(B.epfd, ev, 128, timeout_ms);
    for (int i = 0; i < n; i++) {
        struct conn *c = &B.conns[ev[i].data.u32];
        if (c->fd < 0)
            continue;
        uint32_t e = ev[i].events;
        if (c->state == CS_CONNECTING) {
            if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                on_connected(c);
            if (c->fd < 0)
                continue;
        }
        if ((e & EPOLLOUT) && c->wlen > 0 && !flush_out(c))
            continue;
        if (e & (EPOLLIN | EPOLLHUP | EPOLLERR))
            on_readable(c);
        if (c->fd >= 0 && c->epollout && c->wlen == 0 && c->state != CS_CONNECTING)
            want_out(c, false);
    }
    return n;
}

/* During long setups, a progress line every 5 s. */
static void progress(void)
{
    static int64_t next;
    int64_t now = now_ns();
    if (next == 0)
        next = now + 5000000000LL;
    if (now < next)
        return;
    next = now + 5000000000LL;
    say("... %llu registered, %llu joined, %d registering, %llu connect errors, %llu failed registrations, "
        "%llu disconnects",
        (unsigned long long)B.ready, (unsigned long long)B.joined, B.inflight,
        (unsigned long long)B.connect_errors, (unsigned long long)B.reg_failed, (unsigned long long)B.disconnects);
}

/* Run the loop until done() or the deadline (or a stop signal). */
bool run_until(bool (*done)(void), int64_t deadline)
{
    for (;;) {
        progress();
        if (done())
            return true;
        int64_t left = deadline - now_ns();
        if (left <= 0 || B.stop)
            return false;
        int ms = (int)(left / 1000000) + 1;
        net_poll(ms < 50 ? ms : 50);
    }
}

/* Keep serving the connections (PINGs, buffers) for ns nanoseconds. */
void run_for(int64_t ns)
{
    int64_t end = now_ns() + ns;
    for (;;) {
        int64_t left = end - now_ns();
        if (left <= 0 || B.stop)
            return;
        int ms = (int)(left / 1000000) + 1;
        net_poll(ms < 50 ? ms : 50);
    }
}

/* Connect clients first..first+n-1 keeping at most `inflight` of them
 * registering at once; returns when all finished registering (or failed)
 * or at the deadline. Returns how many became ready. */
int open_clients(int first, int n, int inflight, int64_t deadline)
{
    int next = first, last = first + n;
    uint64_t ready0 = B.ready;
    while (!B.stop && now_ns() < deadline) {
        while (next < last && B.inflight < inflight) {
            struct conn *c = &B.conns[next++];
            if (conn_open(c)) {
                c->inflight = true;
                B.inflight++;
            }
        }
        if (next == last && B.inflight == 0)
            break;
        net_poll(10);
        progress();
    }
    return (int)(B.ready - ready0);
}

/* Teardown: QUIT everyone, let the server close first (so TIME_WAIT stays
 * on its side and our ephemeral ports are free for the next run), then
 * close whatever is left after timeout_ms. */
void net_quit_all(int timeout_ms)
{
    B.quitting = true;
    int open = 0;
    for (int i = 0; i < B.nconns; i++) {
        struct conn *c = &B.conns[i];
        if (c->fd < 0)
            continue;
        if (c->state == CS_CONNECTING) {
            conn_close(c, NULL, false);
            continue;
        }
        conn_write(c, "QUIT :ircbench done\r\n", 21);
        if (c->fd >= 0)
            open++;
    }
    int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
    while (open > 0 && now_ns() < end) {
        net_poll(20);
        open = 0;
        for (int i = 0; i < B.nconns; i++)
            open += B.conns[i].fd >= 0;
    }
    for (int i = 0; i < B.nconns; i++)
        if (B.conns[i].fd >= 0)
            conn_close(&B.conns[i], NULL, false);
}
