/* harness_client.c — IRC clients (plain and TLS) for integration tests:
 * send lines, wait for expected ones with bounded timeouts, register. */
#include "harness.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/err.h>

#define hv_fail(...) cr_assert_fail(__VA_ARGS__)

/* A TCP connection to 127.0.0.1:port (non-blocking once connected). */
static int tcp_connect_buf(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0,
              "connect to 127.0.0.1:%d: %s", port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* A TCP connection to 127.0.0.1:port with default buffers. */
static int tcp_connect(int port)
{
    return tcp_connect_buf(port, 0);
}

/* A new client around a connected fd. */
static struct hv_client *client_new(int fd)
{
    static int counter;
    struct hv_client *c = calloc(1, sizeof *c);
    c->fd = fd;
    snprintf(c->label, sizeof c->label, "client%d", ++counter);
    return c;
}

struct hv_client *hv_connect(const struct hv_server *s)
{
    return client_new(tcp_connect(s->port));
}

/* Connect with a small socket receive buffer (for SendQ tests). */
struct hv_client *hv_connect_rcvbuf(const struct hv_server *s, int bytes)
{
    return client_new(tcp_connect_buf(s->port, bytes));
}

/* Drive a non-blocking SSL handshake with a deadline. Returns 1 ok, 0 failed. */
static int tls_handshake(SSL *ssl, int fd, int ms)
{
    long long end = hv_now_ms() + (long long)ms * hv_time_scale();
    for (;;) {
        int r = SSL_connect(ssl);
        if (r == 1)
            return 1;
        int e = SSL_get_error(ssl, r);
        struct pollfd p = { .fd = fd };
        if (e == SSL_ERROR_WANT_READ)
            p.events = POLLIN;
        else if (e == SSL_ERROR_WANT_WRITE)
            p.events = POLLOUT;
        else
            return 0;
        long long left = end - hv_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return 0;
    }
}

/* Connect to the TLS listener; asserts the handshake succeeds. */
struct hv_client *hv_connect_tls(const struct hv_server *s)
{
    cr_assert(s->tls_port > 0, "server has no TLS listener");
    struct hv_client *c = client_new(tcp_connect(s->tls_port));
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, HV_SERVER_NAME);
    if (!tls_handshake(c->ssl, c->fd, HV_TIMEOUT_MS)) {
        char err[256] = "";
        ERR_error_string_n(ERR_get_error(), err, sizeof err);
        hv_fail("TLS handshake with port %d failed: %s", s->tls_port, err);
    }
    return c;
}

/* Connect to the TLS listener presenting cert/key; asserts the handshake succeeds. */
struct hv_client *hv_connect_tls_cert(const struct hv_server *s, X509 *cert, EVP_PKEY *key)
{
    cr_assert(s->tls_port > 0, "server has no TLS listener");
    struct hv_client *c = client_new(tcp_connect(s->tls_port));
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    cr_assert(SSL_CTX_use_certificate(c->ctx, cert) == 1 && SSL_CTX_use_PrivateKey(c->ctx, key) == 1,
              "cannot use the client certificate");
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, HV_SERVER_NAME);
    if (!tls_handshake(c->ssl, c->fd, HV_TIMEOUT_MS)) {
        char err[256] = "";
        ERR_error_string_n(ERR_get_error(), err, sizeof err);
        hv_fail("TLS handshake (with a client certificate) with port %d failed: %s", s->tls_port, err);
    }
    return c;
}

/* Try a TLS handshake with exactly one protocol version; true on success. */
bool hv_tls_try(int port, int version, bool *local_refusal)
{
    int fd = tcp_connect(port);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
    SSL_CTX_set_min_proto_version(ctx, version);
    SSL_CTX_set_max_proto_version(ctx, version);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    ERR_clear_error();
    bool ok = tls_handshake(ssl, fd, HV_TIMEOUT_MS) == 1;
    if (local_refusal) {
        unsigned long e = ERR_peek_error();
        *local_refusal = !ok && ERR_GET_REASON(e) == SSL_R_NO_PROTOCOLS_AVAILABLE;
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return ok;
}

void hv_close(struct hv_client *c)
{
    if (!c)
        return;
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->ctx)
        SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    for (size_t i = 0; i < c->nlines; i++)
        free(c->lines[i]);
    free(c->lines);
    free(c);
}

/* Send raw bytes as-is (bounded wait for socket space). */
void hv_send_raw(struct hv_client *c, const char *buf, size_t len)
{
    const int wait_ms = HV_TIMEOUT_MS * hv_time_scale();
    long long end = hv_now_ms() + wait_ms;
    size_t off = 0;
    while (off < len) {
        ssize_t n;
        int want = POLLOUT;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf + off, (int)(len - off));
            if (r > 0)
                n = r;
            else {
                int e = SSL_get_error(c->ssl, r);
                cr_assert(e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ,
                          "%s: SSL_write failed", c->label);
                want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
                n = -1;
                errno = EAGAIN;
            }
        } else {
            n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
        }
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        cr_assert(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR,
                  "%s: send failed: %s", c->label, strerror(errno));
        struct pollfd p = { .fd = c->fd, .events = (short)want };
        long long left = end - hv_now_ms();
        cr_assert(left > 0 && poll(&p, 1, (int)left) >= 0,
                  "%s: send blocked for %d ms", c->label, wait_ms);
    }
}

/* ------------------------------------------------------------ nick aliases
 * When the server assigns a nick other than the one asked for (001), tests
 * keep writing the requested nick: every line sent and every expected line
 * or pattern has whole-word occurrences of a requested nick replaced by the
 * assigned one. With no differing assignment this is a no-op. */

#define HV_MAX_ALIASES 256
static struct { char req[64], got[64]; } aliases[HV_MAX_ALIASES];
static int naliases;

/* Is ch part of a nickname? */
static bool nick_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("[]\\`_^{|}-", ch));
}

/* Rewrite requested nicks in buf (escaping the assigned one for regexes). */
static void translate(char *buf, size_t len, bool regex)
{
    if (naliases == 0)
        return;
    char out[16384];
    size_t o = 0;
    for (const char *p = buf; *p && o < sizeof out - 1;) {
        int hit = -1;
        if (p == buf || !nick_char(p[-1]))
            for (int i = 0; i < naliases && hit < 0; i++) {
                size_t n = strlen(aliases[i].req);
                if (strncmp(p, aliases[i].req, n) == 0 && !nick_char(p[n]))
                    hit = i;
            }
        if (hit < 0) {
            out[o++] = *p++;
            continue;
        }
        const char *rep = regex ? hv_re(aliases[hit].got) : aliases[hit].got;
        o += (size_t)snprintf(out + o, sizeof out - o, "%s", rep);
        if (o >= sizeof out)
            o = sizeof out - 1;
        p += strlen(aliases[hit].req);
    }
    if (o >= len)
        o = len - 1;
    memcpy(buf, out, o);
    buf[o] = '\0';
}

/* Remember that the server gave `got` to a client that asked for `req`. */
static void add_alias(const char *req, const char *got)
{
    if (strcmp(req, got) == 0 || naliases == HV_MAX_ALIASES)
        return;
    snprintf(aliases[naliases].req, sizeof aliases[0].req, "%s", req);
    snprintf(aliases[naliases].got, sizeof aliases[0].got, "%s", got);
    naliases++;
}

/* Send one formatted line (requested nicks translated, CRLF appended). */
void hv_send(struct hv_client *c, const char *fmt, ...)
{
    char line[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    translate(line, sizeof line - 2, false);
    int n = (int)strlen(line);
    if (n > (int)sizeof line - 3)
        n = (int)sizeof line - 3;
    memcpy(line + n, "\r\n", 3);
    hv_send_raw(c, line, (size_t)n + 2);
}

/* Record one received line. */
static void add_line(struct hv_client *c, const char *s, size_t n)
{
    if (c->nlines == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->lines = realloc(c->lines, c->cap * sizeof *c->lines);
    }
    c->lines[c->nlines++] = strndup(s, n);
}

/* Cut complete lines out of the input buffer. */
static void split_lines(struct hv_client *c)
{
    char *start = c->in, *nl;
    while ((nl = memchr(start, '\n', c->inlen - (size_t)(start - c->in)))) {
        size_t n = (size_t)(nl - start);
        if (n && start[n - 1] == '\r')
            n--;
        add_line(c, start, n);
        start = nl + 1;
    }
    size_t rest = c->inlen - (size_t)(start - c->in);
    memmove(c->in, start, rest);
    c->inlen = rest;
    if (c->inlen == sizeof c->in) {   /* a line longer than our buffer: keep it as is */
        add_line(c, c->in, c->inlen);
        c->inlen = 0;
    }
}

/* One read attempt; returns bytes read, 0 on EOF, -1 when it would block. */
static ssize_t read_some(struct hv_client *c)
{
    size_t room = sizeof c->in - c->inlen;
    if (c->ssl) {
        int r = SSL_read(c->ssl, c->in + c->inlen, (int)room);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return -1;
        return 0;
    }
    ssize_t n = recv(c->fd, c->in + c->inlen, room, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return -1;
    return n < 0 ? 0 : n;
}

/* Read what is available within ms; returns false on EOF. */
bool hv_pump(struct hv_client *c, int ms)
{
    if (c->eof)
        return false;
    long long end = hv_now_ms() + ms;
    for (;;) {
        ssize_t n;
        bool got = false;
        while ((n = read_some(c)) > 0) {
            c->inlen += (size_t)n;
            split_lines(c);
            got = true;
        }
        if (n == 0) {
            c->eof = true;
            split_lines(c);
            return false;
        }
        if (got)
            return true;
        long long left = end - hv_now_ms();
        if (left <= 0)
            return true;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        if (poll(&p, 1, (int)left) <= 0)
            return true;
    }
}

/* All lines seen, for failure messages (malloc'd). */
static char *dump_lines(const struct hv_client *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t from = c->nlines > 80 ? c->nlines - 80 : 0;
    if (from)
        fprintf(f, "  ... (%zu earlier lines)\n", from);
    for (size_t i = from; i < c->nlines; i++)
        fprintf(f, "  %s %s\n", i < c->cursor ? " " : ">", c->lines[i]);
    if (c->eof)
        fprintf(f, "  <connection closed>\n");
    fclose(f);
    return buf;
}

/* Find the first unconsumed line satisfying the predicate; -1 when none. */
static long find_from(const struct hv_client *c, size_t from, const char *pat, bool exact, regex_t *re)
{
    for (size_t i = from; i < c->nlines; i++)
        if (exact ? strcmp(c->lines[i], pat) == 0 : regexec(re, c->lines[i], 0, NULL, 0) == 0)
            return (long)i;
    return -1;
}

/* Core of the expect family: wait up to ms (times hv_time_scale()) for a
 * matching line. */
static const char *expect_core(struct hv_client *c, int ms, const char *pat, bool exact)
{
    ms *= hv_time_scale();
    regex_t re;
    if (!exact)
        cr_assert(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0, "bad regex in test: %s", pat);
    long long end = hv_now_ms() + ms;
    long idx;
    while ((idx = find_from(c, c->cursor, pat, exact, &re)) < 0) {
        long long left = end - hv_now_ms();
        if (left <= 0 || c->eof)
            break;
        hv_pump(c, (int)left);
    }
    if (!exact)
        regfree(&re);
    if (idx < 0) {
        char *d = dump_lines(c);
        hv_fail("%s (%s): expected a line %s\n    %s\nwithin %d ms; lines received ('>' = not yet consumed):\n%s",
                c->label, c->nick[0] ? c->nick : "-", exact ? "equal to" : "matching", pat, ms, d);
    }
    c->cursor = (size_t)idx + 1;
    return c->lines[idx];
}

const char *hv_expect_ms(struct hv_client *c, int ms, const char *fmt, ...)
{
    char pat[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pat, sizeof pat, fmt, ap);
    va_end(ap);
    translate(pat, sizeof pat, true);
    return expect_core(c, ms, pat, false);
}

const char *hv_expect(struct hv_client *c, const char *fmt, ...)
{
    char pat[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pat, sizeof pat, fmt, ap);
    va_end(ap);
    translate(pat, sizeof pat, true);
    return expect_core(c, HV_TIMEOUT_MS, pat, false);
}

const char *hv_expect_exact(struct hv_client *c, const char *fmt, ...)
{
    char pat[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pat, sizeof pat, fmt, ap);
    va_end(ap);
    translate(pat, sizeof pat, false);
    return expect_core(c, HV_TIMEOUT_MS, pat, true);
}

const char *hv_expect_numeric(struct hv_client *c, const char *num)
{
    return hv_expect(c, "^:%s %s ", hv_re(HV_SERVER_NAME), num);
}

/* Wait for ":server <num> <middle> :<text>": structure asserted, text expected. */
const char *hv_expect_reply(struct hv_client *c, const char *num, const char *middle, const char *text)
{
    char mid[1024], want[1024];
    snprintf(mid, sizeof mid, "%s", middle);
    translate(mid, sizeof mid, false);
    const char *l = hv_expect(c, "^:%s %s %s( :|$)", hv_re(HV_SERVER_NAME), num, hv_re(mid));
    if (text) {
        snprintf(want, sizeof want, "%s", text);
        translate(want, sizeof want, false);
        const char *t = l + 1 + strlen(HV_SERVER_NAME) + 1 + strlen(num) + 1 + strlen(mid);
        t = strncmp(t, " :", 2) == 0 ? t + 2 : t;
        cr_expect_str_eq(t, want, "%s: numeric %s text differs:\n  got      %s\n  expected \"%s\"",
                         c->label, num, l, want);
    }
    return l;
}

/* Assert no line matching the ERE arrives within ms (unconsumed lines count). */
void hv_expect_none(struct hv_client *c, int ms, const char *fmt, ...)
{
    char pat[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pat, sizeof pat, fmt, ap);
    va_end(ap);
    translate(pat, sizeof pat, true);
    regex_t re;
    cr_assert(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0, "bad regex in test: %s", pat);
    long long end = hv_now_ms() + (long long)ms * hv_time_scale();
    for (;;) {
        long idx = find_from(c, c->cursor, pat, false, &re);
        if (idx >= 0) {
            regfree(&re);
            char *d = dump_lines(c);
            hv_fail("%s (%s): got an unexpected line matching\n    %s\nnamely\n    %s\nlines:\n%s",
                    c->label, c->nick, pat, c->lines[idx], d);
        }
        long long left = end - hv_now_ms();
        if (left <= 0 || c->eof)
            break;
        hv_pump(c, (int)left);
    }
    regfree(&re);
}

/* Wait for the server to close the connection. */
void hv_expect_closed(struct hv_client *c, int ms)
{
    ms *= hv_time_scale();
    long long end = hv_now_ms() + ms;
    while (!c->eof && hv_now_ms() < end)
        hv_pump(c, (int)(end - hv_now_ms()));
    if (!c->eof) {
        char *d = dump_lines(c);
        hv_fail("%s (%s): connection still open after %d ms; lines:\n%s", c->label, c->nick, ms, d);
    }
}

/* Any recorded line (consumed or not) matching the ERE, without waiting. */
const char *hv_find(const struct hv_client *c, const char *ere)
{
    char pat[4096];
    snprintf(pat, sizeof pat, "%s", ere);
    translate(pat, sizeof pat, true);
    regex_t re;
    cr_assert(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0, "bad regex in test: %s", pat);
    long idx = find_from(c, 0, pat, false, &re);
    regfree(&re);
    return idx < 0 ? NULL : c->lines[idx];
}

/* Round trip: PING a token and wait for its PONG. */
void hv_sync(struct hv_client *c)
{
    static unsigned n;
    char tok[32];
    snprintf(tok, sizeof tok, "sync%u", ++n);
    hv_send(c, "PING %s", tok);
    hv_expect(c, "PONG .*:?%s$", tok);
}

void hv_skip(struct hv_client *c)
{
    c->cursor = c->nlines;
}

const char *hv_register_full(struct hv_client *c, const char *nick, const char *user, const char *real)
{
    hv_send(c, "NICK %s", nick);
    hv_send(c, "USER %s 0 * :%s", user, real);
    const char *w = hv_expect_numeric(c, "001");
    char buf[1024], *p[20];
    int n = hv_params(w, buf, sizeof buf, p, 20);
    cr_assert(n >= 3, "malformed 001: %s", w);
    snprintf(c->nick, sizeof c->nick, "%s", p[2]);
    snprintf(c->label, sizeof c->label, "%s", c->nick);
    add_alias(nick, c->nick);
    hv_expect(c, "^:%s (376|422) ", hv_re(HV_SERVER_NAME));
    return c->nick;
}

const char *hv_register(struct hv_client *c, const char *nick)
{
    return hv_register_full(c, nick, nick, "Test User");
}

/* Remove line idx from the record (used for the harness's own queries). */
static void drop_line(struct hv_client *c, size_t idx)
{
    free(c->lines[idx]);
    memmove(c->lines + idx, c->lines + idx + 1, (c->nlines - idx - 1) * sizeof *c->lines);
    c->nlines--;
}

/* "nick!user@host" as others see it (learned via USERHOST when needed,
 * without consuming any other line). */
const char *hv_mask(struct hv_client *c)
{
    static char buf[4][256];
    static int slot;
    if (!c->host[0]) {
        size_t saved = c->cursor;
        hv_send(c, "USERHOST %s", c->nick);
        const char *l = hv_expect_numeric(c, "302");
        /* ":srv 302 me :nick=+user@host" ('*' after the nick for opers) */
        const char *q = strstr(l, " :");
        const char *eq = q ? strchr(q, '=') : NULL;
        const char *at = eq ? strchr(eq, '@') : NULL;
        cr_assert(eq && at && at > eq + 2, "malformed 302: %s", l);
        snprintf(c->user, sizeof c->user, "%.*s", (int)(at - eq - 2), eq + 2);
        snprintf(c->host, sizeof c->host, "%.*s", (int)strcspn(at + 1, " "), at + 1);
        drop_line(c, c->cursor - 1);
        c->cursor = saved;
    }
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s!%s@%s", c->nick, c->user, c->host);
    return buf[slot];
}

/* JOIN a channel and wait for the end of its NAMES (366). */
void hv_join(struct hv_client *c, const char *chan)
{
    hv_send(c, "JOIN %s", chan);
    hv_expect(c, "^:%s 366 %s %s ", hv_re(HV_SERVER_NAME), hv_re(c->nick), hv_re(chan));
}

struct hv_client *hv_user(const struct hv_server *s, const char *nick)
{
    struct hv_client *c = hv_connect(s);
    hv_register(c, nick);
    return c;
}

