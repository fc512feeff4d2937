/* test_abuse.h — helpers shared by the abuse suites (test_abuse*.c): raw
 * sockets from chosen loopback addresses, waiting for many closes at once,
 * the server's memory, and the "is everyone else still served?" check.
 *
 * Every abuse test ends with the same two assertions: a fresh client
 * registers, joins a channel and exchanges a message both ways with a
 * client that was there all along, within AB_SERVED_MS; and the server's
 * resident memory grew by less than the test's stated bound. */
#ifndef HAVEND_TEST_ABUSE_H
#define HAVEND_TEST_ABUSE_H

#include "harness.h"

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AB_UNUSED __attribute__((unused))
#define AB_SERVED_MS 5000       /* a fresh client is served within this */

/* Slow-down factor for the time bounds of the tests' own loops and
 * deadlines: the harness's (hv_time_scale(), HAVEND_TIME_SCALE). The
 * harness's own waits (hv_expect*, hv_wait_log...) are scaled already. */
AB_UNUSED static int ab_scale(void)
{
    return hv_time_scale();
}

/* Factor for memory bounds: under valgrind (HAVEND_WRAPPER) the server's
 * resident size includes valgrind's own memory. */
AB_UNUSED static int ab_mem_scale(void)
{
    const char *w = getenv("HAVEND_WRAPPER");
    return w && *w ? 4 : 1;
}

/* Keep ASan's quarantine of freed memory small in the server, so its
 * resident size measures live memory (the default quarantine alone may
 * hold 256 MB of freed blocks). Call before hv_start. */
AB_UNUSED static void ab_small_quarantine(void)
{
    const char *cur = getenv("HAVEND_SERVER_ASAN_OPTIONS");
    char buf[512];
    snprintf(buf, sizeof buf, "%s%squarantine_size_mb=8", cur && *cur ? cur : "", cur && *cur ? ":" : "");
    setenv("HAVEND_SERVER_ASAN_OPTIONS", buf, 1);
}

/* The server's resident memory in KiB (VmRSS), or -1. */
AB_UNUSED static long ab_rss_kb(const struct hv_server *s)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Assert the server's memory grew by less than bound_mb since base_kb. */
AB_UNUSED static void ab_assert_rss(const struct hv_server *s, long base_kb, int bound_mb, const char *what)
{
    long now = ab_rss_kb(s);
    cr_assert(now > 0, "cannot read the server's VmRSS");
    long grew = now - base_kb;
    cr_log_info("%s: server RSS %ld KiB -> %ld KiB (+%ld KiB, bound +%d MiB)", what, base_kb, now, grew,
                bound_mb * ab_mem_scale());
    cr_assert(grew < (long)bound_mb * ab_mem_scale() * 1024,
              "%s: server memory grew by %ld KiB (bound %d MiB)", what, grew, bound_mb * ab_mem_scale());
}

/* How many file descriptors the server has open, or -1. */
AB_UNUSED static int ab_fd_count(const struct hv_server *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)s->pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Wait (bounded) until the server holds at most base + slack descriptors:
 * whatever the abuse opened must be given back. */
AB_UNUSED static void ab_assert_fds(const struct hv_server *s, int base, int slack, int ms, const char *what)
{
    long long end = hv_now_ms() + (long long)ms * ab_scale();
    int n;
    while ((n = ab_fd_count(s)) > base + slack && hv_now_ms() < end)
        hv_msleep(50);
    cr_log_info("%s: server fds %d -> %d", what, base, n);
    cr_assert(n >= 0 && n <= base + slack, "%s: the server still holds %d descriptors (%d before)", what, n, base);
}

/* A TCP connection to 127.0.0.1:port from source address src (any
 * 127.x.y.z works on Linux loopback), or -1 when connect fails. The socket
 * is non-blocking once connected. */
AB_UNUSED static int ab_connect_buf(int port, const char *src, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (src) {
        struct sockaddr_in me = { .sin_family = AF_INET };
        inet_pton(AF_INET, src, &me.sin_addr);
        cr_assert(bind(fd, (struct sockaddr *)&me, sizeof me) == 0, "bind %s: %s", src, strerror(errno));
    }
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* Same with default buffers. */
AB_UNUSED static int ab_connect_from(int port, const char *src)
{
    return ab_connect_buf(port, src, 0);
}

/* A TLS client with a small receive buffer (the harness has no such
 * helper): handshake done here, then it works with every hv_* call. */
AB_UNUSED static struct hv_client *ab_connect_tls_small(const struct hv_server *s, int rcvbuf)
{
    int fd = ab_connect_buf(s->tls_port, NULL, rcvbuf);
    cr_assert(fd >= 0);
    struct hv_client *c = calloc(1, sizeof *c);
    cr_assert(c);
    c->fd = fd;
    snprintf(c->label, sizeof c->label, "tls-small");
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, fd);
    long long end = hv_now_ms() + HV_TIMEOUT_MS * ab_scale();
    int r;
    while ((r = SSL_connect(c->ssl)) != 1) {
        int e = SSL_get_error(c->ssl, r);
        cr_assert(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE, "TLS handshake failed");
        struct pollfd p = { .fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };
        cr_assert(hv_now_ms() < end && poll(&p, 1, 100) >= 0, "TLS handshake timed out");
    }
    return c;
}

/* A harness client around a socket from ab_connect_from (so hv_register,
 * hv_expect and friends work on it). */
AB_UNUSED static struct hv_client *ab_client_fd(int fd, const char *label)
{
    cr_assert(fd >= 0, "connect failed");
    struct hv_client *c = calloc(1, sizeof *c);
    cr_assert(c);
    c->fd = fd;
    snprintf(c->label, sizeof c->label, "%s", label);
    return c;
}

/* Write bytes, ignoring errors (the server may already have closed it). */
AB_UNUSED static void ab_write(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    long long end = hv_now_ms() + 2000;
    while (len > 0 && hv_now_ms() < end) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = { .fd = fd, .events = POLLOUT };
            poll(&pf, 1, 50);
        } else {
            return;
        }
    }
}

/* Wait until the server has closed every fd in fds (read to EOF, data
 * discarded; a reset counts as closed). Returns how many were closed; the
 * last up to 200 bytes each sent are kept in tails when given. */
AB_UNUSED static int ab_wait_closed(const int *fds, int n, int ms, char (*tails)[200])
{
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    cr_assert(p);
    int open_n = 0;
    for (int i = 0; i < n; i++) {
        p[i].fd = fds[i] >= 0 ? fds[i] : -1;
        p[i].events = POLLIN;
        open_n += fds[i] >= 0;
        if (tails)
            tails[i][0] = '\0';
    }
    int closed = n - open_n;
    long long end = hv_now_ms() + ms;
    while (closed < n && hv_now_ms() < end) {
        if (poll(p, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char buf[4096];
            ssize_t r;
            while ((r = recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
                if (tails) {        /* keep the last bytes: old tail + new data */
                    char joined[sizeof tails[0] + sizeof buf];
                    size_t have = strlen(tails[i]);
                    memcpy(joined, tails[i], have);
                    memcpy(joined + have, buf, (size_t)r);
                    size_t total = have + (size_t)r, keep = sizeof tails[0] - 1;
                    if (keep > total)
                        keep = total;
                    memcpy(tails[i], joined + total - keep, keep);
                    tails[i][keep] = '\0';
                }
            }
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                p[i].fd = -1;
                closed++;
            }
        }
    }
    free(p);
    return closed;
}

/* Read everything c is sent for the next ms milliseconds. */
AB_UNUSED static void ab_pump_for(struct hv_client *c, int ms)
{
    long long end = hv_now_ms() + ms;
    long long left;
    while (!c->eof && (left = end - hv_now_ms()) > 0)
        hv_pump(c, (int)left);
}

/* How many lines c received from index `from` on contain `needle`. */
AB_UNUSED static int ab_count(const struct hv_client *c, size_t from, const char *needle)
{
    int n = 0;
    for (size_t i = from; i < c->nlines; i++)
        n += strstr(c->lines[i], needle) != NULL;
    return n;
}

/* Close a list of fds. */
AB_UNUSED static void ab_close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

/* Has `c` (a client that was there before the abuse) been left alone?
 * Then: a fresh client registers, joins #served (where `old` is) and the
 * two exchange a message both ways, all within AB_SERVED_MS. Returns the
 * milliseconds it took. */
AB_UNUSED static long long ab_served(const struct hv_server *s, struct hv_client *old, const char *nick)
{
    long long t0 = hv_now_ms();
    hv_sync(old);
    struct hv_client *fresh = hv_user(s, nick);
    hv_join(fresh, "#served");
    hv_expect(old, "^:%s![^ ]+ JOIN :?#served", nick);
    hv_send(fresh, "PRIVMSG #served :hello from %s", nick);
    hv_expect(old, "^:%s![^ ]+ PRIVMSG #served :hello from %s$", nick, nick);
    hv_send(old, "PRIVMSG %s :welcome %s", nick, nick);
    hv_expect(fresh, "PRIVMSG %s :welcome %s$", nick, nick);
    long long took = hv_now_ms() - t0;
    cr_log_info("fresh client %s served in %lld ms", nick, took);
    cr_assert(took < AB_SERVED_MS * ab_scale(), "serving a fresh client took %lld ms (bound %d ms)", took,
              AB_SERVED_MS * ab_scale());
    hv_send(fresh, "QUIT :done");
    hv_close(fresh);
    return took;
}

/* A client that will be there during the abuse, in #served. */
AB_UNUSED static struct hv_client *ab_witness(const struct hv_server *s, const char *nick)
{
    struct hv_client *w = hv_user(s, nick);
    hv_join(w, "#served");
    return w;
}

#endif
