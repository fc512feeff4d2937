/* test_io.c — the connection layer's byte paths (src/net/conn_io.c): no
 * byte of a client's output or input is lost, duplicated, reordered or
 * spliced, whatever the socket does.
 *
 * Output: plain sockets queue lines in chunks (256 B doubling to 16 KiB)
 * and write them once per loop turn with a gathering sendmsg(); when the
 * kernel refuses bytes the rest waits for writability. TLS connections go
 * through an OpenSSL bufferevent (1 KiB records, whole-or-retry writes).
 * Input: lines are handled straight from a 16 KiB read buffer, a partial
 * line is kept, and fake lag holds lines back.
 *
 * On loopback the kernel takes megabytes for a client that does not read
 * (the server's socket send buffer is autotuned up to tcp_wmem's maximum,
 * 4 MiB by default, whatever the receiver's window; about 2 MB here), so a
 * few hundred lines never reach the server's own queue. The slow-reader tests therefore keep sending until the
 * server measurably holds output itself (queued - in the receiver's socket
 * - in the server's socket, from /proc/net/tcp), then send more: the
 * blocked path, partial writes and later writes are really exercised.
 *
 * Every line is checked byte for byte against text built deterministically
 * from its number; every loop has a deadline; every socket is loopback. */
#include "test_abuse.h"

#include <sys/ioctl.h>

TestSuite(io, .timeout = 120);

#define IO_SRV HV_SERVER_NAME
#define IO_WAIT_MS 60000        /* deadline for reading a big backlog */
#define IO_MSGID "\x01"         /* in an expected line: any msgid value */

/* ------------------------------------------------------------ content */

/* Exactly len bytes of text for line `id` (len >= 6): "%05u." then
 * characters that differ from line to line and position to position, so a
 * splice or a shifted byte never looks like a valid line. */
static void io_text(char *out, size_t len, unsigned id)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,!?=+/()[]";
    cr_assert(len >= 6, "io_text: %zu bytes is too short", len);
    char head[16];
    snprintf(head, sizeof head, "%05u.", id % 100000);
    memcpy(out, head, 6);
    for (size_t j = 6; j < len; j++)
        out[j] = abc[(id * 131u + (unsigned)j * 7u + (unsigned)(j * j)) % (sizeof abc - 1)];
    out[len] = '\0';
}

/* A list of expected lines (without CRLF) and their total bytes with CRLF. */
struct io_lines {
    char **v;
    size_t n, cap, bytes;
};

static void io_add(struct io_lines *l, const char *line)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        cr_assert(l->v);
    }
    l->v[l->n++] = strdup(line);
    l->bytes += strlen(line) + 2;
}

static void io_free(struct io_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* The server caps every line it sends at 510 bytes before CRLF. */
static void io_add_relay(struct io_lines *l, const char *line)
{
    char buf[600];
    snprintf(buf, sizeof buf, "%.510s", line);
    io_add(l, buf);
}

/* A growing byte buffer for what a client will write. */
struct io_buf {
    char *p;
    size_t len, cap;
};

static void io_put(struct io_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap)
            b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
        cr_assert(b->p);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* ------------------------------------------------------------ checking */

/* Does got equal want, where IO_MSGID in want matches a msgid value? */
static bool io_match(const char *got, const char *want)
{
    while (*want) {
        if (*want == IO_MSGID[0]) {
            size_t n = strcspn(got, "; ");
            if (n == 0)
                return false;
            got += n;
            want++;
            continue;
        }
        if (*got++ != *want++)
            return false;
    }
    return *got == '\0';
}

/* A long line shortened for a failure message (rotating buffers). */
static const char *io_show(const char *s)
{
    static char buf[4][400];
    static int slot;
    slot = (slot + 1) % 4;
    size_t n = strlen(s);
    if (n <= 300)
        snprintf(buf[slot], sizeof buf[slot], "[%zu] %s", n, s);
    else
        snprintf(buf[slot], sizeof buf[slot], "[%zu] %.200s ... %s", n, s, s + n - 80);
    return buf[slot];
}

/* Read until c has `want` lines from index `from` on, or the deadline, or
 * nothing came for 10 s (a lost line need not wait for the deadline). */
static void io_collect(struct hv_client *c, size_t from, size_t want, int ms)
{
    long long now = hv_now_ms(), end = now + (long long)ms * ab_scale();
    long long quiet = 10000LL * ab_scale(), last = now;
    size_t seen = c->nlines;
    while (c->nlines < from + want && !c->eof && now < end && now - last < quiet) {
        hv_pump(c, (int)(end - now < 200 ? end - now : 200));
        now = hv_now_ms();
        if (c->nlines != seen) {
            seen = c->nlines;
            last = now;
        }
    }
}

/* Assert c's lines from `from` on start with exactly `exp`, in order; with
 * `alone`, nothing may follow them: a PING round trip must answer right
 * after the last one. A mismatch is classified (lost, duplicated or
 * reordered, or matching no expected line at all: spliced or corrupted). */
static void io_check_run(struct hv_client *c, size_t from, const struct io_lines *exp, const char *what, bool alone)
{
    io_collect(c, from, exp->n, IO_WAIT_MS);
    size_t have = c->nlines - from;
    size_t upto = have < exp->n ? have : exp->n;
    for (size_t i = 0; i < upto; i++) {
        const char *got = c->lines[from + i];
        if (io_match(got, exp->v[i]))
            continue;
        long other = -1;
        for (size_t j = 0; j < exp->n && other < 0; j++)
            if (j != i && io_match(got, exp->v[j]))
                other = (long)j;
        const char *kind = other < 0 ? "it matches no expected line (spliced or corrupted)"
                           : other > (long)i ? "a later line came early: lines lost or reordered"
                                             : "an earlier line came again: duplicated or reordered";
        cr_assert_fail("%s: line %zu of %zu differs; %s (expected line %ld)\n  got      %s\n  expected %s\n"
                       "  previous %s",
                       what, i, exp->n, kind, other, io_show(got), io_show(exp->v[i]),
                       i ? io_show(c->lines[from + i - 1]) : "-");
    }
    cr_assert(have >= exp->n, "%s: only %zu of %zu lines arrived%s; the first missing one:\n  %s", what, have,
              exp->n, c->eof ? " (connection closed)" : "", io_show(exp->v[have]));
    c->cursor = from + exp->n;
    if (!alone)
        return;
    cr_assert(have == exp->n, "%s: %zu lines more than the %zu expected, the first:\n  %s", what,
              have - exp->n, exp->n, io_show(c->lines[from + exp->n]));
    hv_sync(c);
    cr_assert_eq(c->nlines, from + exp->n + 1, "%s: %zu unexpected lines before the PONG, the first:\n  %s",
                 what, c->nlines - (from + exp->n + 1), io_show(c->lines[from + exp->n]));
}

/* The same, with nothing after the expected lines. */
static void io_check_seq(struct hv_client *c, size_t from, const struct io_lines *exp, const char *what)
{
    io_check_run(c, from, exp, what, true);
}

/* ------------------------------------------------------------ sockets */

/* Write all of buf (plain or TLS) within ms. */
static void io_write(struct hv_client *c, const char *buf, size_t len, int ms)
{
    long long end = hv_now_ms() + (long long)ms * ab_scale();
    size_t off = 0;
    while (off < len) {
        ssize_t n;
        short want = POLLOUT;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf + off, (int)(len - off > 1 << 20 ? 1 << 20 : len - off));
            n = r;
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                cr_assert(e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ, "%s: SSL_write failed (%d)",
                          c->label, e);
                want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            }
        } else {
            n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
            cr_assert(n > 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR, "%s: send: %s",
                      c->label, strerror(errno));
        }
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        long long left = end - hv_now_ms();
        cr_assert(left > 0, "%s: could not write %zu bytes within %d ms (%zu written)", c->label, len, ms, off);
        struct pollfd p = { .fd = c->fd, .events = want };
        poll(&p, 1, left > 100 ? 100 : (int)left);
    }
}

/* Write buf in pieces of the given sizes (cycled), pausing pause_ms after
 * every `every` pieces, so the server reads it in those pieces. */
static void io_write_pieces(struct hv_client *c, const char *buf, size_t len, const size_t *sizes, size_t nsizes,
                            int every, int pause_ms)
{
    size_t off = 0;
    for (size_t k = 0; off < len; k++) {
        size_t n = sizes[k % nsizes];
        if (n > len - off)
            n = len - off;
        io_write(c, buf + off, n, 10000);
        off += n;
        if ((int)(k % (size_t)every) == every - 1)
            hv_msleep(pause_ms);
    }
}

/* A TCP port of a socket (local or peer). */
static int io_port(int fd, bool peer)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int r = peer ? getpeername(fd, (struct sockaddr *)&a, &alen) : getsockname(fd, (struct sockaddr *)&a, &alen);
    cr_assert(r == 0, "getsockname: %s", strerror(errno));
    return ntohs(a.sin_port);
}

/* Bytes in the send queue of the server's end of c's connection, from
 * /proc/net/tcp (the server's socket is 127.0.0.1:<server port> talking to
 * c's local port), or -1. */
static long io_server_sndq(const struct hv_client *c)
{
    int sport = io_port(c->fd, true), cport = io_port(c->fd, false);
    FILE *f = fopen("/proc/net/tcp", "r");
    if (!f)
        return -1;
    char line[512];
    long q = -1;
    while (q < 0 && fgets(line, sizeof line, f)) {
        unsigned la, lp, ra, rp, st;
        unsigned long tx, rx;
        if (sscanf(line, " %*d: %x:%x %x:%x %x %lx:%lx", &la, &lp, &ra, &rp, &st, &tx, &rx) == 7 &&
            (int)lp == sport && (int)rp == cport)
            q = (long)tx;
    }
    fclose(f);
    return q;
}

/* Bytes waiting in c's own socket, unread. */
static long io_client_rcvq(const struct hv_client *c)
{
    int n = 0;
    cr_assert(ioctl(c->fd, FIONREAD, &n) == 0, "FIONREAD: %s", strerror(errno));
    return n;
}

/* Of `queued` bytes of output for c (not reading), how many the server
 * still holds itself: what is neither in c's socket nor in the server's.
 * Over TLS, the socket bytes are ciphertext (more than the text they
 * carry), so this is a lower bound on the text the server holds. */
static long io_server_holds(const struct hv_client *c, size_t queued)
{
    long sndq = io_server_sndq(c), rcvq = io_client_rcvq(c);
    cr_assert(sndq >= 0, "the server's socket is not in /proc/net/tcp");
    return (long)queued - sndq - rcvq;
}

/* tcp_wmem's maximum: how much the kernel may take for one socket. */
static long io_wmem_max(void)
{
    long lo = 0, def = 0, max = 4 << 20;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");
    if (f) {
        if (fscanf(f, "%ld %ld %ld", &lo, &def, &max) != 3)
            max = 4 << 20;
        fclose(f);
    }
    return max;
}

/* A client that negotiated caps (may be NULL) and registered, plain or TLS,
 * with a small receive buffer when rcvbuf > 0. */
static struct hv_client *io_user(struct hv_server *s, const char *nick, bool tls, int rcvbuf, const char *caps)
{
    struct hv_client *c;
    if (tls)
        c = rcvbuf > 0 ? ab_connect_tls_small(s, rcvbuf) : hv_connect_tls(s);
    else
        c = rcvbuf > 0 ? hv_connect_rcvbuf(s, rcvbuf) : hv_connect(s);
    if (caps) {
        hv_send(c, "CAP REQ :%s", caps);
        hv_expect(c, "^:%s CAP \\* ACK :%s$", hv_re(IO_SRV), hv_re(caps));
        hv_send(c, "CAP END");
    }
    hv_register(c, nick);
    hv_mask(c);
    return c;
}

/* ------------------------------------------------------------ 1, 2: slow readers */

/* Lengths for numbered lines: the longest possible ones often, the shortest,
 * and a spread in between, so lines straddle every chunk size. */
static size_t io_len(unsigned i, size_t max)
{
    static const size_t fixed[] = { 0, 6, 255, 256, 257, 1, 2, 511, 100, 3 };
    size_t n;
    switch (i % 5) {
    case 0: n = max; break;                             /* the longest relayed line */
    case 1: n = max - (i / 5) % 4; break;               /* just below it */
    case 2: n = 6 + (i * 7919u) % (max - 5); break;     /* anywhere */
    default: n = fixed[(i / 5) % 10]; break;            /* around 256 */
    }
    if (n < 6)
        n = 6;
    return n > max ? max : n;
}

/* One numbered PRIVMSG from `from` (mask fm) to `to` (nick or channel):
 * appended to the wire buffer, and as relayed to the expected lines. */
static void io_numbered(struct io_buf *wire, struct io_lines *exp, const char *fm, const char *to, unsigned i)
{
    size_t max = 510 - (strlen(fm) + strlen(to) + strlen(": PRIVMSG  :"));
    char text[600], line[700];
    io_text(text, io_len(i, max), i);
    int n = snprintf(line, sizeof line, "PRIVMSG %s :%s\r\n", to, text);
    io_put(wire, line, (size_t)n);
    snprintf(line, sizeof line, ":%s PRIVMSG %s :%s", fm, to, text);
    io_add_relay(exp, line);
}

/* A reader with a 2 KiB receive buffer stops reading; another client sends
 * it numbered lines of varying lengths (to its nick and to a channel it is
 * in), 300 per write, until the server holds at least 256 KiB itself, then
 * 600 more. Read at last, every line is there once, in order, byte-exact. */
static void io_slow_reader(bool tls)
{
    long wmem = io_wmem_max();
    long cap = 2 * wmem + (8 << 20);        /* stop sending here at the latest */
    struct hv_opts o = { .tls = tls, .sendq = (int)(cap + (4 << 20)), .recvq = 65536,
                         .flood_burst = 1000000, .flood_rate = 1000000 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *rd = io_user(s, "reader", tls, 2048, NULL);
    struct hv_client *tk = io_user(s, "talker", false, 0, NULL);
    hv_join(rd, "#io");
    hv_join(tk, "#io");
    hv_expect(rd, "^:talker![^ ]+ JOIN :?#io$");
    hv_sync(rd);
    hv_skip(rd);
    size_t from = rd->nlines;

    char fm[256];
    snprintf(fm, sizeof fm, "%s", hv_mask(tk));
    struct io_lines exp = { 0 };
    struct io_buf wire = { 0 };
    long held = 0, most = 0;
    unsigned i = 0;
    int after = -1;                         /* batches still to send once the server holds output */
    while (after != 0) {
        wire.len = 0;
        for (int k = 0; k < 300; k++, i++)
            io_numbered(&wire, &exp, fm, i % 3 == 2 ? "#io" : "reader", i);
        io_write(tk, wire.p, wire.len, 20000);
        hv_sync(tk);                        /* handled, and the reader's output flushed */
        held = io_server_holds(rd, exp.bytes);
        most = held > most ? held : most;
        if (after < 0 && held >= 256 * 1024)
            after = 2;
        else if (after > 0)
            after--;
        cr_assert((long)exp.bytes < cap, "%zu bytes queued for a reader that does not read, and the server "
                  "holds only %ld itself: the kernel took everything, the test proves nothing", exp.bytes, held);
    }
    cr_log_info("slow reader (%s): %zu lines, %zu bytes; the server held up to %ld bytes itself",
                tls ? "TLS" : "plain", exp.n, exp.bytes, most);
    cr_assert(!rd->eof, "the reader was disconnected");

    io_check_seq(rd, from, &exp, tls ? "TLS slow reader" : "plain slow reader");
    cr_assert_null(hv_find(tk, " QUIT "), "someone quit");
    free(wire.p);
    io_free(&exp);
    hv_stop(s);
}

/* Plain: output the kernel refused is written later, in order, byte-exact
 * (partial sendmsg() writes cut lines and chunks anywhere). */
Test(io, slow_reader_plain)
{
    io_slow_reader(false);
}

/* TLS: the same through the OpenSSL bufferevent; libevent's partial-write
 * handling once sent bytes out of order (lines arrived spliced). */
Test(io, slow_reader_tls)
{
    io_slow_reader(true);
}

/* ------------------------------------------------------------ 3: bursts */

/* A MOTD of n lines of varied lengths (up to the 400 bytes a MOTD line may
 * have), malloc'd, and the 372 lines a client `nick` gets for it. */
static char *io_motd(int n, const char *nick, struct io_lines *exp)
{
    struct io_buf b = { 0 };
    for (int i = 0; i < n; i++) {
        char text[512], line[600];
        size_t len = i % 4 == 0 ? 400 : i % 4 == 1 ? 399 : 6 + (size_t)(i * 7919) % 395;
        io_text(text, len, (unsigned)i);
        io_put(&b, text, len);
        io_put(&b, "\n", 1);
        snprintf(line, sizeof line, ":%s 372 %s :- %s", IO_SRV, nick, text);
        io_add(exp, line);
    }
    return b.p;
}

/* The expected MOTD reply: 375, the 372 lines, 376. */
static void io_motd_reply(struct io_lines *out, const struct io_lines *body, const char *nick)
{
    char line[600];
    snprintf(line, sizeof line, ":%s 375 %s :- %s Message of the day - ", IO_SRV, nick, IO_SRV);
    io_add(out, line);
    for (size_t i = 0; i < body->n; i++)
        io_add(out, body->v[i]);
    snprintf(line, sizeof line, ":%s 376 %s :End of /MOTD command.", IO_SRV, nick);
    io_add(out, line);
}

/* Bursts far bigger than 16 KiB produced in one loop turn: the welcome
 * burst with a 190 KiB MOTD, then (not reading, 2 KiB receive buffer) as
 * many MOTD commands in one write as make 1.5 times tcp_wmem's maximum
 * plus 1 MiB (about 7 MB) queued in a single turn. All of it arrives, in
 * order, byte-exact. */
static void io_bursts(bool tls)
{
    struct io_lines body = { 0 }, exp = { 0 };
    char *motd = io_motd(620, "burst", &body);
    struct hv_opts o = { .tls = tls, .motd = motd, .sendq = (int)(io_wmem_max() * 2 + (16 << 20)), .recvq = 65536 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = hv_user(s, "witness");

    struct hv_client *c;
    if (tls)
        c = ab_connect_tls_small(s, 2048);
    else
        c = hv_connect_rcvbuf(s, 2048);
    hv_send(c, "NICK burst");
    hv_send(c, "USER burst 0 * :Burst");
    /* the welcome burst: from 375 on, exactly the MOTD */
    hv_expect_numeric(c, "375");
    size_t from = c->cursor - 1;
    io_motd_reply(&exp, &body, "burst");
    io_check_run(c, from, &exp, tls ? "TLS welcome burst" : "plain welcome burst", false);
    hv_sync(c);
    hv_skip(c);

    /* K MOTDs in one write, handled in one turn, while not reading: more
     * than the kernel takes for one socket */
    int K = (int)((io_wmem_max() * 3 / 2 + (1 << 20)) / (long)exp.bytes) + 1;
    struct io_buf cmds = { 0 };
    for (int k = 0; k < K; k++)
        io_put(&cmds, "MOTD\r\n", 6);
    from = c->nlines;
    io_write(c, cmds.p, cmds.len, 5000);
    free(cmds.p);
    struct io_lines all = { 0 };
    for (int k = 0; k < K; k++)
        for (size_t i = 0; i < exp.n; i++)
            io_add(&all, exp.v[i]);
    /* Two round trips of another client: the server has read and handled
     * the MOTD commands (they arrived first) and flushed that turn. */
    hv_sync(w);
    hv_sync(w);
    long held = io_server_holds(c, all.bytes);
    cr_log_info("%s: %d MOTDs, %zu bytes queued in one turn; the server held %ld itself", tls ? "TLS" : "plain", K,
                all.bytes, held);
    cr_assert_gt(held, 0, "the kernel took all %zu bytes: the blocked path was not exercised", all.bytes);
    io_check_seq(c, from, &all, tls ? "TLS: MOTDs in one turn" : "plain: MOTDs in one turn");
    free(motd);
    io_free(&body);
    io_free(&exp);
    io_free(&all);
    hv_stop(s);
}

/* Plain: chunks of up to 16 KiB, gathered 16 per sendmsg(), many times
 * over in one turn. */
Test(io, bursts_plain)
{
    io_bursts(false);
}

/* TLS: the same through 1 KiB records. */
Test(io, bursts_tls)
{
    io_bursts(true);
}

/* Another client writes 400 numbered lines (about 150 KB) to a reader in
 * a single write(); the reader (reading normally) gets them all, in order. */
static void io_one_write(bool tls)
{
    struct hv_opts o = { .tls = tls, .sendq = 1 << 20, .recvq = 65536, .flood_burst = 100000,
                         .flood_rate = 100000 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *rd = io_user(s, "reader", tls, 0, NULL);
    struct hv_client *tk = io_user(s, "talker", tls, 0, NULL);
    hv_join(rd, "#io");
    hv_join(tk, "#io");
    hv_expect(rd, "^:talker![^ ]+ JOIN :?#io$");
    hv_skip(rd);
    size_t from = rd->nlines;
    char fm[256];
    snprintf(fm, sizeof fm, "%s", hv_mask(tk));
    struct io_lines exp = { 0 };
    struct io_buf wire = { 0 };
    for (unsigned i = 0; i < 400; i++)
        io_numbered(&wire, &exp, fm, i % 2 ? "#io" : "reader", i);
    io_write(tk, wire.p, wire.len, 20000);
    io_check_seq(rd, from, &exp, tls ? "TLS: 400 lines in one write" : "plain: 400 lines in one write");
    free(wire.p);
    io_free(&exp);
    hv_stop(s);
}

Test(io, many_lines_one_write_plain)
{
    io_one_write(false);
}

Test(io, many_lines_one_write_tls)
{
    io_one_write(true);
}

/* ------------------------------------------------------------ 4: split input */

#define IO_READ_BUF 16384       /* the server's read buffer (conn_io.c READ_CHUNK) */
#define IO_CMD "PRIVMSG #split :"

/* What a test of split input sends and what two members of #split see: one
 * without caps (r1), one with message-tags (r2: msgid and client tags). */
struct io_split {
    const char *fm;             /* the sender's mask */
    struct io_buf wire;
    struct io_lines r1, r2;
    unsigned id;
};

/* One line of exactly `total` bytes on the wire (CRLF included): a tag
 * section of tagsec bytes ('@' and ' ' included; 0: none) and a body of
 * total - tagsec - 2 bytes. Client-only tags take up to 4000 bytes; a
 * vendor tag (not relayed) pads the tag section up to the 8191 allowed. */
static void io_split_line(struct io_split *sp, size_t tagsec, size_t total)
{
    size_t body = total - tagsec - 2;
    cr_assert(body >= strlen(IO_CMD) + 6 && body <= 510, "bad body length %zu", body);
    cr_assert(tagsec == 0 || (tagsec >= 40 && tagsec <= 8191), "bad tag section length %zu", tagsec);
    unsigned id = sp->id++;
    char *line = malloc(total + 1), *ctags = malloc(tagsec + 1), *text = malloc(body + 1);
    cr_assert(line && ctags && text);
    ctags[0] = '\0';
    size_t n = 0;
    if (tagsec) {
        size_t inner = tagsec - 2;          /* between '@' and ' ' */
        size_t clen = inner <= 4000 ? inner : inner - 4000 < 23 ? inner - 23 : 4000;
        int h = snprintf(ctags, tagsec + 1, "+io/n=%05u;+io/c=", id % 100000);
        io_text(ctags + h, clen - (size_t)h, id + 7);
        line[n++] = '@';
        memcpy(line + n, ctags, clen);
        n += clen;
        if (inner > clen) {
            static const char pad[] = ";example.org/pad=";
            cr_assert(inner - clen >= sizeof pad + 5, "tag section %zu leaves too little padding", tagsec);
            memcpy(line + n, pad, sizeof pad - 1);
            n += sizeof pad - 1;
            io_text(line + n, inner - clen - (sizeof pad - 1), id + 13);
            n += inner - clen - (sizeof pad - 1);
        }
        line[n++] = ' ';
    }
    memcpy(line + n, IO_CMD, strlen(IO_CMD));
    n += strlen(IO_CMD);
    io_text(text, body - strlen(IO_CMD), id);
    memcpy(line + n, text, body - strlen(IO_CMD));
    n += body - strlen(IO_CMD);
    memcpy(line + n, "\r\n", 2);
    n += 2;
    cr_assert_eq(n, total);
    io_put(&sp->wire, line, n);

    char rel[600], *r2 = malloc(strlen(ctags) + 700);
    cr_assert(r2);
    snprintf(rel, sizeof rel, ":%s PRIVMSG #split :%s", sp->fm, text);
    rel[510] = '\0';                        /* the 510-byte cap on relayed lines */
    io_add(&sp->r1, rel);
    sprintf(r2, "@msgid=" IO_MSGID "%s%s %s", ctags[0] ? ";" : "", ctags, rel);
    io_add(&sp->r2, r2);
    free(r2);
    free(line);
    free(ctags);
    free(text);
}

/* Untagged lines of 30..512 bytes until the wire ends exactly at `end`. */
static void io_fill_to(struct io_split *sp, size_t end)
{
    static const size_t cyc[] = { 512, 30, 511, 257, 100, 400, 509, 64, 333, 256, 31, 480 };
    enum { MIN = 30, MAX = 512 };
    for (unsigned k = 0; sp->wire.len < end; k++) {
        size_t r = end - sp->wire.len;
        cr_assert(r >= MIN, "io_fill_to: %zu bytes left", r);
        size_t n;
        if (r <= MAX)
            n = r;
        else if (r < MAX + MIN)
            n = r / 2;
        else {
            n = cyc[k % (sizeof cyc / sizeof cyc[0])];
            if (r - n < MIN)
                n = r - MIN;
        }
        io_split_line(sp, 0, n);
    }
}

/* Sender (plain or TLS, with message-tags), r1 (no caps), r2 (message-tags),
 * all in #split; a lenient flood allowance. */
struct io_split_env {
    struct hv_server *s;
    struct hv_client *snd, *r1, *r2;
    size_t from1, from2;
    char fm[256];
};

static void io_split_start(struct io_split_env *e, struct io_split *sp, bool tls)
{
    struct hv_opts o = { .tls = tls, .sendq = 4 << 20, .recvq = 65536, .flood_burst = 100000,
                         .flood_rate = 100000 };
    e->s = hv_start(&o);
    e->snd = io_user(e->s, "sender", tls, 0, "message-tags");
    e->r1 = io_user(e->s, "plainr", false, 0, NULL);
    e->r2 = io_user(e->s, "tagsr", false, 0, "message-tags");
    hv_join(e->r1, "#split");
    hv_join(e->r2, "#split");
    hv_join(e->snd, "#split");
    hv_expect(e->r1, "^:sender![^ ]+ JOIN :?#split$");
    hv_expect(e->r2, "^(@[^ ]+ )?:sender![^ ]+ JOIN :?#split$");
    hv_sync(e->snd);
    hv_skip(e->r1);
    hv_skip(e->r2);
    e->from1 = e->r1->nlines;
    e->from2 = e->r2->nlines;
    snprintf(e->fm, sizeof e->fm, "%s", hv_mask(e->snd));
    memset(sp, 0, sizeof *sp);
    sp->fm = e->fm;
}

/* Both members got exactly what was sent; the sender got no 417. */
static void io_split_check(struct io_split_env *e, struct io_split *sp, const char *what)
{
    char w[128];
    snprintf(w, sizeof w, "%s (member without caps)", what);
    io_check_seq(e->r1, e->from1, &sp->r1, w);
    snprintf(w, sizeof w, "%s (member with message-tags)", what);
    io_check_seq(e->r2, e->from2, &sp->r2, w);
    hv_sync(e->snd);
    cr_assert_null(hv_find(e->snd, " 417 "), "input line rejected: %s", hv_find(e->snd, " 417 "));
    e->from1 = e->r1->nlines;
    e->from2 = e->r2->nlines;
    free(sp->wire.p);
    io_free(&sp->r1);
    io_free(&sp->r2);
    struct io_split fresh = { .fm = e->fm, .id = sp->id };
    *sp = fresh;
}

/* Input at every awkward place. Sixteen writes of exactly 16 KiB, each
 * read whole by one read of the server's 16 KiB buffer, so the read
 * boundaries fall right after a LF, between CR and LF, one byte into a
 * line (on the '@' of a tag section), between a body and its CR LF, 4000
 * bytes into a tag section, and inside the body of a line with 8 KiB of
 * tags; each both with nothing held before the read and with a partial
 * line held. Then the longest lines (8191 bytes of tags + 510 of body, and
 * 512 bytes untagged) byte by byte; the same in odd-sized pieces (a
 * Fibonacci cycle) with pauses; and 40 lines of all sizes in one write. */
static void io_split_input(bool tls)
{
    struct io_split_env e;
    struct io_split sp;
    io_split_start(&e, &sp, tls);
    const size_t B = IO_READ_BUF;

    /* Read boundaries. A read that ends at a LF leaves nothing, so the next
     * one is handled straight from the read buffer; one that ends inside a
     * line leaves it in ibuf, where the next read is appended. Each awkward
     * place comes both ways. */
    io_split_line(&sp, 8191, 8703);             /* the longest legal line first */
    io_fill_to(&sp, 1 * B);                     /* 1: LF | */
    io_fill_to(&sp, 2 * B + 1);                 /* 2: CR | LF */
    io_fill_to(&sp, 3 * B - 1);                 /* 3: (in ibuf) one byte into a line: */
    io_split_line(&sp, 8191, 8703);             /*    its '@' */
    io_fill_to(&sp, 4 * B + 2);                 /* 4: (in ibuf) body | CR LF */
    io_fill_to(&sp, 5 * B);                     /* 5: (in ibuf) LF | */
    io_fill_to(&sp, 6 * B - 1);                 /* 6: one byte into a line: */
    io_split_line(&sp, 8191, 8703);             /*    its '@' */
    io_fill_to(&sp, 7 * B);                     /* 7: (in ibuf) LF | */
    io_fill_to(&sp, 8 * B + 2);                 /* 8: body | CR LF */
    io_fill_to(&sp, 9 * B - 4000);              /* 9: (in ibuf) 4000 bytes into a tag section */
    io_split_line(&sp, 8191, 8703);
    io_fill_to(&sp, 10 * B);                    /* 10: (in ibuf) LF | */
    io_fill_to(&sp, 11 * B - 4000);             /* 11: 4000 bytes into a tag section */
    io_split_line(&sp, 8191, 8703);
    io_fill_to(&sp, 13 * B - 8400);             /* 12: (in ibuf) wherever the filler puts it */
    io_split_line(&sp, 8191, 8703);             /* 13: (in ibuf) 209 bytes into a body */
    io_fill_to(&sp, 14 * B);                    /* 14: (in ibuf) LF | */
    io_fill_to(&sp, 15 * B - 8400);
    io_split_line(&sp, 8191, 8703);             /* 15: 209 bytes into a body */
    io_fill_to(&sp, 16 * B);                    /* 16: (in ibuf) LF | */
    cr_assert_eq(sp.wire.len, 16 * B);
    static const size_t whole[] = { IO_READ_BUF };
    io_write_pieces(e.snd, sp.wire.p, sp.wire.len, whole, 1, 1, 30);
    io_split_check(&e, &sp, tls ? "TLS, read boundaries" : "plain, read boundaries");

    /* byte by byte, a 1 ms pause every 97 bytes */
    io_split_line(&sp, 8191, 8703);
    io_split_line(&sp, 0, 512);
    io_split_line(&sp, 300, 700);
    io_split_line(&sp, 0, 30);
    static const size_t one[] = { 1 };
    io_write_pieces(e.snd, sp.wire.p, sp.wire.len, one, 1, 97, 1);
    io_split_check(&e, &sp, tls ? "TLS, byte by byte" : "plain, byte by byte");

    /* odd-sized pieces, a 2 ms pause after each */
    static const size_t fib[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 2584, 4181 };
    for (int k = 0; k < 4; k++) {
        io_split_line(&sp, 8191, 8703);
        io_split_line(&sp, 0, 512);
        io_split_line(&sp, 4002, 4300);
        io_split_line(&sp, 0, 37);
        io_split_line(&sp, 41, 100);
    }
    io_write_pieces(e.snd, sp.wire.p, sp.wire.len, fib, sizeof fib / sizeof fib[0], 1, 2);
    io_split_check(&e, &sp, tls ? "TLS, odd pieces" : "plain, odd pieces");

    /* 40 lines of all sizes in a single write */
    for (unsigned k = 0; k < 40; k++) {
        if (k % 5 == 0)
            io_split_line(&sp, 40 + (k * 1013) % 8150, 40 + (k * 1013) % 8150 + 2 + 30 + (k * 37) % 480);
        else
            io_split_line(&sp, 0, 30 + (k * 131) % 483);
    }
    io_write(e.snd, sp.wire.p, sp.wire.len, 10000);
    io_split_check(&e, &sp, tls ? "TLS, 40 lines in one write" : "plain, 40 lines in one write");
    hv_stop(e.s);
}

Test(io, split_input_plain)
{
    io_split_input(false);
}

/* Over TLS the pieces become records; the server's read callback takes
 * the decrypted bytes 16 KiB at a time. */
Test(io, split_input_tls)
{
    io_split_input(true);
}

/* ------------------------------------------------------------ 5: fake lag */

/* A client over its flood allowance (burst 5, 20 lines/s) writes 60 lines
 * at once and then in odd pieces while lagged, with a line split across
 * writes and a long tagged one; PINGs among them. Nothing is lost: the
 * recipient gets every PRIVMSG, in order, byte-exact, and the sender every
 * PONG in order; and the lag was real (the lines trickled out at the rate). */
static void io_fakelag(bool tls)
{
    enum { BURST = 5, RATE = 20 };
    struct hv_opts o = { .tls = tls, .flood_mode = "fakelag", .flood_burst = BURST, .flood_rate = RATE,
                         .recvq = 65536 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *r = io_user(s, "rcpt", false, 0, NULL);
    struct hv_client *f = io_user(s, "lagged", tls, 0, NULL);
    hv_join(r, "#lag");
    hv_join(f, "#lag");
    hv_expect(r, "^:lagged![^ ]+ JOIN :?#lag$");
    hv_skip(r);
    hv_skip(f);
    size_t from = r->nlines, ffrom = f->nlines;
    char fm[256];
    snprintf(fm, sizeof fm, "%s", hv_mask(f));
    hv_msleep(1000 * BURST / RATE + 300);       /* a full bucket */

    struct io_lines exp = { 0 };
    struct io_buf a = { 0 }, b = { 0 };
    int lines = 0, pings = 0;
    for (unsigned i = 0; i < 60; i++, lines++) {
        struct io_buf *w = i < 35 ? &a : &b;
        if (i % 10 == 9) {
            char ping[32];
            io_put(w, ping, (size_t)snprintf(ping, sizeof ping, "PING :lag%d\r\n", pings++));
        } else {
            io_numbered(w, &exp, fm, i % 2 ? "#lag" : "rcpt", i);
        }
    }
    /* a long tagged line among the held ones (tags are not relayed to rcpt) */
    char tags[4000];
    io_text(tags, 3000, 99);
    io_put(&b, "@+io/x=", 7);
    io_put(&b, tags, strlen(tags));
    io_put(&b, " ", 1);
    io_numbered(&b, &exp, fm, "rcpt", 60);
    lines++;

    long long t0 = hv_now_ms();
    io_write(f, a.p, a.len, 5000);
    hv_msleep(100);
    static const size_t odd[] = { 7, 1, 300, 2, 61, 1000, 13 };
    io_write_pieces(f, b.p, b.len, odd, sizeof odd / sizeof odd[0], 1, 15);
    /* early on, only the burst and what the rate allows went through */
    ab_pump_for(r, 300);
    long long t1 = hv_now_ms();
    size_t early = r->nlines - from;
    long bound = BURST + (long)((t1 - t0) * RATE / 1000) + 2;
    cr_log_info("fake lag (%s): %zu of %zu lines delivered in the first %lld ms (bound %ld)", tls ? "TLS" : "plain",
                early, exp.n, t1 - t0, bound);
    cr_assert_leq((long)early, bound, "%zu lines went through in %lld ms: no lag", early, t1 - t0);
    cr_assert_lt(early, exp.n, "everything went through at once: no lag");

    io_check_seq(r, from, &exp, tls ? "TLS, fake-lagged lines" : "plain, fake-lagged lines");
    long long took = hv_now_ms() - t0;
    long least = (long)(lines - BURST - 1) * 1000 / RATE;
    cr_assert_geq(took, least, "%d lines at burst %d rate %d/s took only %lld ms", lines, BURST, RATE, took);
    /* the PONGs, in order, nothing else */
    io_collect(f, ffrom, (size_t)pings, 10000);
    for (int k = 0; k < pings; k++) {
        cr_assert_lt(ffrom + (size_t)k, f->nlines, "PONG %d of %d missing", k, pings);
        char want[128];
        snprintf(want, sizeof want, ":%s PONG %s :lag%d", IO_SRV, IO_SRV, k);
        cr_assert_str_eq(f->lines[ffrom + (size_t)k], want, "sender's line %d", k);
    }
    cr_assert(!f->eof && !r->eof, "a client was disconnected");
    free(a.p);
    free(b.p);
    io_free(&exp);
    hv_stop(s);
}

Test(io, fakelag_plain)
{
    io_fakelag(false);
}

Test(io, fakelag_tls)
{
    io_fakelag(true);
}

/* ------------------------------------------------------------ 6: SendQ */

/* A reader that never reads is dropped once the server holds more than its
 * SendQ (64 KiB); reading at last, it gets whole lines only, in order,
 * byte-exact, then the ERROR line, whole and on a line of its own, then
 * the end of the connection: dropping what could not be sent must not cut
 * a line the kernel took half of. */
static void io_sendq_drop(bool tls)
{
    long cap = 2 * io_wmem_max() + (8 << 20);
    struct hv_opts o = { .tls = tls, .sendq = 65536, .recvq = 65536, .flood_burst = 1000000,
                         .flood_rate = 1000000 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *rd = io_user(s, "reader", tls, 2048, NULL);
    struct hv_client *tk = io_user(s, "talker", false, 0, NULL);
    hv_join(rd, "#io");
    hv_join(tk, "#io");
    hv_expect(rd, "^:talker![^ ]+ JOIN :?#io$");
    hv_sync(rd);
    hv_skip(rd);
    size_t from = rd->nlines;
    char fm[256];
    snprintf(fm, sizeof fm, "%s", hv_mask(tk));
    struct io_lines exp = { 0 };
    struct io_buf wire = { 0 };
    unsigned i = 0;
    while (!hv_find(tk, "^:reader![^ ]+ QUIT ")) {
        cr_assert((long)exp.bytes < cap, "%zu bytes sent and the reader is still there", exp.bytes);
        wire.len = 0;
        for (int k = 0; k < 300; k++, i++)
            io_numbered(&wire, &exp, fm, i % 3 == 2 ? "#io" : "reader", i);
        io_write(tk, wire.p, wire.len, 20000);
        hv_sync(tk);
    }
    cr_assert_not_null(hv_find(tk, "^:reader![^ ]+ QUIT :.*SendQ exceeded$"), "the reader quit otherwise: %s",
                       hv_find(tk, "^:reader![^ ]+ QUIT "));
    /* read everything to the end */
    long long end = hv_now_ms() + (long long)IO_WAIT_MS * ab_scale();
    while (!rd->eof && hv_now_ms() < end)
        hv_pump(rd, 200);
    cr_assert(rd->eof, "the reader's connection is still open");
    size_t got = rd->nlines - from;
    cr_log_info("SendQ (%s): %zu lines sent, %zu received before the close", tls ? "TLS" : "plain", exp.n, got);
    cr_assert_gt(got, 0, "nothing received");
    const char *last = rd->lines[rd->nlines - 1];
    for (size_t k = 0; k + 1 < got; k++)
        cr_assert(k < exp.n && strcmp(rd->lines[from + k], exp.v[k]) == 0,
                  "%s: line %zu of what arrived differs\n  got      %s\n  expected %s", tls ? "TLS" : "plain", k,
                  io_show(rd->lines[from + k]), k < exp.n ? io_show(exp.v[k]) : "-");
    char buf[600], *p[4];
    int np = hv_params(last, buf, sizeof buf, p, 4);
    cr_assert(np == 3 && p[0][0] == '\0' && strcmp(p[1], "ERROR") == 0 &&
                  strncmp(p[2], "Closing Link: ", 14) == 0 && strstr(p[2], " (SendQ exceeded)") != NULL,
              "%s: the last line is not a whole ERROR line:\n  %s\n  (the line before it: %s)", tls ? "TLS" : "plain",
              io_show(last), got > 1 ? io_show(rd->lines[rd->nlines - 2]) : "-");
    cr_assert_eq(rd->inlen, 0, "%zu bytes after the last line", rd->inlen);
    free(wire.p);
    io_free(&exp);
    hv_stop(s);
}

/* A reader dropped for SendQ gets every line whole, then a whole ERROR
 * line, then EOF. Plain: a partial sendmsg() had written half of a line
 * when the SendQ overflowed, and that line's rest was dropped, so the
 * ERROR line arrived glued to it (found by this test). TLS: what OpenSSL
 * already took goes out whole first. */
Test(io, sendq_drop_plain)
{
    io_sendq_drop(false);
}

Test(io, sendq_drop_tls)
{
    io_sendq_drop(true);
}
