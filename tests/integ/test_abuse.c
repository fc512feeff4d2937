/* test_abuse.c — connection-level abuse: never-registering and half-open
 * connections, connection floods from one address (throttle, per_token),
 * clients that never read (SendQ), garbage on the TLS port, and clients
 * that vanish mid-line.
 *
 * Each test asserts that a client that was there all along and a fresh one
 * keep being served (ab_served) and that the server's memory grew by less
 * than the bound stated in the test (ab_assert_rss). Socket counts stay at
 * a few hundred and each test at a few seconds. */
#include "test_abuse.h"

TestSuite(abuse, .timeout = 120);

/* Hundreds of connections that never register are closed after
 * reg_timeout ("Registration timed out"): silent ones, ones that sent only
 * NICK, and ones stuck in the middle of a line. Half-closed ones (shutdown
 * of their sending side) are closed at once. Bound: +32 MiB. */
Test(abuse, never_registering)
{
    ab_small_quarantine();
    struct hv_opts o = { .reg_timeout = 2, .max_clients = 500 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    enum { N = 300, HALF = 50 };
    int fds[N], half[HALF];
    for (int i = 0; i < N; i++) {
        fds[i] = ab_connect_from(s->port, NULL);
        cr_assert(fds[i] >= 0, "connection %d failed", i);
        char line[64];
        if (i % 3 == 1)
            ab_write(fds[i], line, (size_t)snprintf(line, sizeof line, "NICK idle%d\r\n", i));
        else if (i % 3 == 2)
            ab_write(fds[i], line, (size_t)snprintf(line, sizeof line, "NICK partial%d", i));
    }
    for (int i = 0; i < HALF; i++) {
        half[i] = ab_connect_from(s->port, NULL);
        cr_assert(half[i] >= 0);
        shutdown(half[i], SHUT_WR);
    }
    /* While they all hang around, everyone else is served. */
    ab_served(s, w, "fresh1");
    cr_assert_eq(ab_wait_closed(half, HALF, 3000 * ab_scale(), NULL), HALF,
                 "half-closed connections were not closed promptly");

    static char tails[N][200];
    int closed = ab_wait_closed(fds, N, (2 + 6) * 1000 * ab_scale(), tails);
    cr_assert_eq(closed, N, "only %d of %d unregistered connections were closed", closed, N);
    for (int i = 0; i < N; i++)
        cr_assert(strstr(tails[i], "Registration timed out"), "connection %d closed without the reason: %s",
                  i, tails[i]);
    ab_close_all(fds, N);
    ab_close_all(half, HALF);
    ab_served(s, w, "fresh2");
    ab_assert_rss(s, base, 32, "never_registering");
    ab_assert_fds(s, fds0, 2, 8000, "never_registering");
    hv_stop(s);
}

/* A flood of connections from one address: beyond throttle.count new
 * connections per period it is refused with a "Throttled" ERROR, and
 * beyond per_token open at once with "Too many connections"; other
 * addresses (the witness on 127.0.0.1) are not affected. Bound: +16 MiB. */
Test(abuse, connection_flood_one_address)
{
    ab_small_quarantine();
    struct hv_opts o = { .per_token = 4, .throttle_count = 10, .max_clients = 700 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    /* 4 at once are allowed from 127.0.0.7; the 5th and later are refused. */
    enum { OPEN = 12 };
    int open_fds[OPEN];
    for (int i = 0; i < OPEN; i++)
        open_fds[i] = ab_connect_from(s->port, "127.0.0.7");
    static char tails[OPEN][200];
    int closed = ab_wait_closed(open_fds + 4, OPEN - 4, 3000 * ab_scale(), tails + 4);
    cr_assert_eq(closed, OPEN - 4, "connections over per_token were not refused");
    for (int i = 4; i < OPEN; i++)
        cr_assert(strstr(tails[i], "Too many connections"), "refusal %d says: %s", i, tails[i]);
    cr_assert_eq(ab_wait_closed(open_fds, 4, 300, NULL), 0, "connections within per_token were closed");
    ab_close_all(open_fds, OPEN);

    /* 500 connects in a row from 127.0.0.8, each closed by the client right
     * away: after throttle.count of them the rest are throttled. */
    enum { FLOOD = 500 };
    int refused = 0, throttled = 0, accepted = 0;
    for (int i = 0; i < FLOOD; i++) {
        int fd = ab_connect_from(s->port, "127.0.0.8");
        cr_assert(fd >= 0);
        char tail[512] = "";
        ab_write(fd, "PING :x\r\n", 9);
        long long end = hv_now_ms() + 2000 * ab_scale();
        /* Refused ones get an ERROR and are closed; accepted ones answer PONG. */
        while (hv_now_ms() < end && !strstr(tail, "PONG") && !strstr(tail, "ERROR")) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            poll(&p, 1, 50);
            ssize_t r = recv(fd, tail, sizeof tail - 1, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                break;
            if (r > 0)
                tail[r] = '\0';
        }
        refused += strstr(tail, "ERROR :Closing Link") != NULL;
        throttled += strstr(tail, "Throttled") != NULL;
        accepted += strstr(tail, "PONG") != NULL;
        close(fd);
    }
    cr_log_info("flood of %d: %d accepted, %d refused (%d throttled)", FLOOD, accepted, refused, throttled);
    cr_assert(accepted <= 10, "%d connections accepted past a throttle of 10", accepted);
    cr_assert_eq(refused + accepted, FLOOD, "%d connections neither refused nor answered",
                 FLOOD - refused - accepted);
    /* (a few may be refused by per_token while the server has not yet
     * seen the accepted ones close) */
    cr_assert(throttled >= FLOOD - 20, "only %d of %d refusals were for the throttle", throttled, FLOOD);

    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "connection_flood");
    ab_assert_fds(s, fds0, 2, 8000, "connection_flood");
    hv_stop(s);
}

/* 200 clients join a channel and never read while another talks there:
 * each is disconnected with "SendQ exceeded" once its queue passes the
 * class sendq, the talker and everyone else keep being served, and the
 * server never holds much more than clients x sendq. (The talker talks
 * from outside the channel, -n; an observer inside reads and sees the
 * QUITs.) Bound: +48 MiB. */
Test(abuse, clients_that_never_read)
{
    ab_small_quarantine();
    struct hv_opts o = { .sendq = 65536, .recvq = 65536, .max_clients = 500 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *talker = hv_user(s, "talker");
    hv_join(talker, "#flood");
    struct hv_client *observer = hv_user(s, "observer");   /* reads, and sees the QUITs */
    hv_join(observer, "#flood");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    enum { N = 200 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        struct hv_client *c = hv_connect_rcvbuf(s, 2048);
        fds[i] = c->fd;
        c->fd = -1;            /* we keep the socket; never read from it */
        hv_close(c);
        char line[128];
        int n = snprintf(line, sizeof line, "NICK mute%d\r\nUSER m 0 * :m\r\nJOIN #flood\r\n", i);
        ab_write(fds[i], line, (size_t)n);
    }
    for (int i = 0; i < N; i++)
        hv_expect_ms(talker, 5000, "^:mute[0-9]+![^ ]+ JOIN :?#flood$");
    hv_send(talker, "MODE #flood -n");
    hv_send(talker, "PART #flood");
    hv_expect(talker, "^:talker![^ ]+ PART #flood");

    char text[401];
    memset(text, 'x', 400);
    text[400] = '\0';
    long users = -1;
    long long end = hv_now_ms() + 30000 * ab_scale();
    for (int round = 0; users != 3 && hv_now_ms() < end; round++) {
        for (int i = 0; i < 20; i++)
            hv_send(talker, "PRIVMSG #flood :%d %s", round, text);
        hv_send(talker, "LUSERS");
        const char *l = hv_expect_numeric(talker, "265");
        char buf[512], *p[8];
        cr_assert(hv_params(l, buf, sizeof buf, p, 8) >= 4);
        users = atol(p[3]);
        hv_pump(observer, 1);
    }
    cr_assert_eq(users, 3, "%ld users left: not every non-reader was dropped", users);
    for (int i = 0; i < N; i++)
        hv_expect_ms(observer, 5000, "^:mute[0-9]+![^ ]+ QUIT :SendQ exceeded$");
    ab_assert_rss(s, base, 48, "clients_that_never_read");
    ab_assert_fds(s, fds0, 2, 8000, "clients_that_never_read");
    ab_served(s, w, "fresh");
    hv_sync(talker);
    ab_close_all(fds, N);
    hv_stop(s);
}

/* Non-readers that never read again after being dropped: the server gives
 * up flushing their ERROR line after its 5 s write timeout and releases
 * the socket, plain and TLS alike (nothing here reads them). Bound: +16 MiB. */
Test(abuse, dropped_non_readers_release_sockets)
{
    ab_small_quarantine();
    struct hv_opts o = { .tls = true, .sendq = 8192, .recvq = 65536 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *talker = hv_user(s, "talker");
    hv_join(talker, "#flood");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    struct hv_client *plain = hv_connect_rcvbuf(s, 2048);
    hv_register(plain, "mute1");
    hv_join(plain, "#flood");
    struct hv_client *tls = ab_connect_tls_small(s, 2048);
    hv_register(tls, "mute2");
    hv_join(tls, "#flood");
    hv_expect(talker, "^:mute2![^ ]+ JOIN :?#flood$");
    hv_send(talker, "MODE #flood -n");
    hv_send(talker, "PART #flood");
    hv_expect(talker, "^:talker![^ ]+ PART #flood");

    char text[401];
    memset(text, 'y', 400);
    text[400] = '\0';
    long users = -1;
    long long end = hv_now_ms() + 30000 * ab_scale();
    for (int round = 0; users != 2 && hv_now_ms() < end; round++) {
        for (int i = 0; i < 20; i++)
            hv_send(talker, "PRIVMSG #flood :%d %s", round, text);
        hv_send(talker, "LUSERS");
        const char *l = hv_expect_numeric(talker, "265");
        char buf[512], *p[8];
        cr_assert(hv_params(l, buf, sizeof buf, p, 8) >= 4);
        users = atol(p[3]);
    }
    cr_assert_eq(users, 2, "the non-readers were not dropped");
    /* Their sockets must go within the 5 s write timeout (+ slack). */
    ab_assert_fds(s, fds0, 0, 8000, "dropped_non_readers");
    ab_assert_rss(s, base, 16, "dropped_non_readers");
    ab_served(s, w, "fresh");
    hv_close(plain);
    hv_close(tls);
    hv_stop(s);
}

/* Garbage on the TLS port: random bytes, an HTTP request, a cut-off
 * ClientHello, and connections that never say anything. The garbage is
 * refused at once; the stalled handshakes are closed by reg_timeout. TLS
 * and plain clients keep being served. Bound: +32 MiB. */
Test(abuse, tls_garbage_handshakes)
{
    ab_small_quarantine();
    struct hv_opts o = { .tls = true, .reg_timeout = 2, .max_clients = 500 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    enum { N = 160 };
    static const unsigned char hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };
    int fds[N];
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        fds[i] = ab_connect_from(s->tls_port, NULL);
        cr_assert(fds[i] >= 0);
        if (i % 4 == 0) {
            unsigned char junk[1024];
            for (size_t k = 0; k < sizeof junk; k++)
                junk[k] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
            ab_write(fds[i], junk, sizeof junk);
        } else if (i % 4 == 1) {
            ab_write(fds[i], "GET / HTTP/1.0\r\n\r\nNICK x\r\nUSER x 0 * :x\r\n", 41);
        } else if (i % 4 == 2) {
            ab_write(fds[i], hello_start, sizeof hello_start);
        }                           /* i % 4 == 3: silent */
    }
    struct hv_client *t = hv_connect_tls(s);
    hv_register(t, "secure");
    hv_join(t, "#served");
    hv_send(t, "PRIVMSG #served :over tls");
    hv_expect(w, "PRIVMSG #served :over tls$");
    ab_served(s, w, "fresh1");

    /* The stalled handshakes must not hold sockets (or memory) for ever. */
    int closed = ab_wait_closed(fds, N, (2 + 10) * 1000 * ab_scale(), NULL);
    cr_assert_eq(closed, N, "only %d of %d bad TLS connections were closed", closed, N);
    ab_close_all(fds, N);
    hv_send(t, "PRIVMSG witness :still here");
    hv_expect(w, "PRIVMSG witness :still here$");
    ab_served(s, w, "fresh2");
    ab_assert_rss(s, base, 32, "tls_garbage");
    ab_assert_fds(s, fds0, 2, 8000, "tls_garbage");
    hv_stop(s);
}

/* 200 registered clients in a channel each send half a PRIVMSG and vanish
 * (half with a normal close, half with a reset): the half lines are never
 * delivered, every one of them QUITs, and the channel keeps working.
 * Bound: +32 MiB. */
Test(abuse, clients_vanish_mid_line)
{
    ab_small_quarantine();
    struct hv_opts o = { .max_clients = 500 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    enum { N = 200 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = ab_connect_from(s->port, NULL);
        cr_assert(fds[i] >= 0);
        char line[128];
        int n = snprintf(line, sizeof line, "NICK gone%d\r\nUSER g 0 * :g\r\nJOIN #served\r\n", i);
        ab_write(fds[i], line, (size_t)n);
    }
    for (int i = 0; i < N; i++)
        hv_expect_ms(w, 5000, "^:gone[0-9]+![^ ]+ JOIN :?#served$");
    for (int i = 0; i < N; i++) {
        static const char half_line[] = "PRIVMSG #served :this line never ends";
        ab_write(fds[i], half_line, sizeof half_line - 1);
        if (i % 2) {
            struct linger lg = { 1, 0 };   /* close with a reset */
            setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fds[i]);
    }
    for (int i = 0; i < N; i++)
        hv_expect_ms(w, 5000, "^:gone[0-9]+![^ ]+ QUIT :");
    cr_assert_null(hv_find(w, "never ends"), "a half line was delivered");
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 32, "vanish_mid_line");
    ab_assert_fds(s, fds0, 2, 8000, "vanish_mid_line");
    hv_stop(s);
}
