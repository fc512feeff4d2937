/* test_limits.c — SendQ, registration and ping timeouts, line length, flood
 * control, connection class limits. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(limits, .timeout = 90);

/* A client that never reads while another floods it is closed with
 * "SendQ exceeded"; the flooder sees the QUIT. */
Test(limits, sendq_exceeded)
{
    struct hv_opts o = { .sendq = 8192, .flood_burst = 100000, .flood_rate = 100000,
                         .recvq = 65536 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *f = hv_user(s, "flooder");
    struct hv_client *v = hv_connect_rcvbuf(s, 4096);
    hv_register(v, "victim");
    hv_join(f, "#q");
    hv_join(v, "#q");
    hv_expect(f, " JOIN :?#q$");

    char text[401];
    memset(text, 'x', 400);
    text[400] = '\0';
    bool quit_seen = false;
    long long end = hv_now_ms() + 20000;
    while (!quit_seen && hv_now_ms() < end) {
        for (int i = 0; i < 50; i++)
            hv_send(f, "PRIVMSG victim :%d %s", i, text);
        hv_pump(f, 1);
        quit_seen = hv_find(f, " QUIT ") != NULL;
    }
    cr_assert(quit_seen, "victim never dropped (sent for 20 s)");
    hv_expect(f, "^:victim![^ ]+ QUIT :.*SendQ exceeded");
    /* the victim reads what was left: it ends with the ERROR line */
    hv_expect_ms(v, 10000, "^ERROR :Closing Link: .*\\(SendQ exceeded\\)$");
    hv_expect_closed(v, 5000);
    hv_stop(s);
}

/* A connection that does not register in reg_timeout seconds is closed. */
Test(limits, registration_timeout)
{
    struct hv_opts o = { .reg_timeout = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK slowpoke");
    long long t0 = hv_now_ms();
    hv_expect_ms(c, 6000, "^ERROR :Closing Link: .*(Registration tim|[Tt]imeout|[Tt]imed out)");
    hv_expect_closed(c, 3000);
    long long took = hv_now_ms() - t0;
    cr_expect(took >= 1000, "closed after only %lld ms", took);
    /* a client that registers in time stays */
    struct hv_client *d = hv_user(s, "quick");
    hv_msleep(2500);
    hv_sync(d);
    hv_stop(s);
}

/* The server PINGs idle clients; no PONG within ping_timeout closes the link
 * with "Ping timeout", while a client that answers stays. */
Test(limits, ping_timeout)
{
    struct hv_opts o = { .ping_freq = 1, .ping_timeout = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *mute = hv_user(s, "mute");
    struct hv_client *ok = hv_user(s, "alive");
    hv_join(mute, "#p");
    hv_join(ok, "#p");
    hv_expect_ms(mute, 4000, "^PING :?[^ ]+$");
    /* keep the good client answering while we wait for the mute one to die */
    long long end = hv_now_ms() + 9000;
    size_t answered = 0;
    while (!mute->eof && hv_now_ms() < end) {
        hv_pump(mute, 50);
        hv_pump(ok, 50);
        for (; answered < ok->nlines; answered++)
            if (strncmp(ok->lines[answered], "PING ", 5) == 0)
                hv_send(ok, "PONG %s", ok->lines[answered] + 5);
    }
    hv_expect(mute, "^ERROR :Closing Link: .*Ping timeout");
    hv_expect_closed(mute, 1000);
    hv_expect(ok, "^:mute![^ ]+ QUIT :.*Ping timeout");
    for (; answered < ok->nlines; answered++)
        if (strncmp(ok->lines[answered], "PING ", 5) == 0)
            hv_send(ok, "PONG %s", ok->lines[answered] + 5);
    hv_sync(ok);
    hv_stop(s);
}

/* A line over 512 bytes gets 417 and is not executed; the link stays. */
Test(limits, input_too_long)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char text[700];
    memset(text, 'y', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    hv_send(a, "PRIVMSG bob :%s", text);
    hv_expect_exact(a, ":irc.test.local 417 alice :Input line was too long");
    hv_expect_none(b, 300, "PRIVMSG");
    hv_send(a, "PRIVMSG bob :short one");
    hv_expect(b, "PRIVMSG bob :short one$");
    hv_stop(s);
}

/* A line of exactly 512 bytes including CRLF is accepted. */
Test(limits, input_exactly_512)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char text[600];
    size_t n = 510 - strlen("PRIVMSG bob :");
    memset(text, 'z', n);
    text[n] = '\0';
    char am[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));
    hv_send(a, "PRIVMSG bob :%s", text);
    /* relayed with a longer prefix, the line may be cut to 512 bytes */
    const char *l = hv_expect(b, "^:%s PRIVMSG bob :z+$", hv_re(am));
    cr_expect_leq(strlen(l), 510, "relayed line longer than 512 bytes with CRLF: %zu", strlen(l));
    cr_expect_geq(strlen(l), 480, "relayed line cut too short: %zu", strlen(l));
    hv_expect_none(a, 200, " 417 ");
    hv_stop(s);
}

/* Flood mode "disconnect": too many lines at once -> "Excess Flood". */
Test(limits, excess_flood_disconnect)
{
    struct hv_opts o = { .flood_mode = "disconnect", .flood_burst = 5, .flood_rate = 1 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#f");
    hv_join(b, "#f");
    for (int i = 0; i < 60 && !a->eof; i++) {
        hv_send(a, "PRIVMSG #f :flood %d", i);
        hv_pump(a, 0);
    }
    hv_expect(a, "^ERROR :Closing Link: .*Excess Flood");
    hv_expect_closed(a, 3000);
    hv_expect(b, "^:alice![^ ]+ QUIT :.*Excess Flood");
    hv_stop(s);
}

/* Flood mode "fakelag": a burst is slowed down, never dropped. */
Test(limits, fakelag_delays_but_keeps)
{
    struct hv_opts o = { .flood_mode = "fakelag", .flood_burst = 5, .flood_rate = 10 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice");
    hv_msleep(600);   /* let the bucket refill after registration */
    long long t0 = hv_now_ms();
    for (int i = 0; i < 25; i++)
        hv_send(a, "PING lag%d", i);
    hv_expect_ms(a, 8000, "PONG .*:?lag24$");
    long long took = hv_now_ms() - t0;
    for (int i = 0; i < 25; i++) {
        char re[64];
        snprintf(re, sizeof re, "PONG .*:?lag%d$", i);
        cr_expect(hv_find(a, re) != NULL, "PONG lag%d lost", i);
    }
    cr_expect(!a->eof, "fakelag client was disconnected");
    cr_expect_geq(took, 1000, "25 lines at burst 5 rate 10 took only %lld ms", took);
    hv_stop(s);
}

/* max_clients: the connection over the limit is refused with ERROR. */
Test(limits, class_max_clients)
{
    struct hv_opts o = { .max_clients = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    struct hv_client *c = hv_connect(s);
    hv_pump(c, 300);   /* the server may refuse at once */
    if (!c->eof) {
        hv_send(c, "NICK carol");
        hv_send(c, "USER carol 0 * :C");
    }
    hv_expect(c, "^ERROR :");
    hv_expect_closed(c, 3000);
    cr_expect(hv_find(c, " 001 ") == NULL, "third client registered past max_clients=2");
    hv_sync(a);
    hv_sync(b);
    hv_stop(s);
}

/* limits.max_clients counts every connection of the server, whatever its
 * class: the third is told the server is full, and once someone leaves a
 * newcomer gets in again. */
Test(limits, server_max_clients)
{
    struct hv_opts o = { .extra = "limits = { max_clients = 2; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    struct hv_client *c = hv_connect(s);
    hv_expect(c, "^ERROR :Closing Link: \\(Server is full\\)$");
    hv_expect_closed(c, 3000);
    hv_sync(a);
    hv_send(b, "QUIT :bye");
    hv_expect_closed(b, 3000);
    struct hv_client *d = NULL;
    for (int tries = 0; tries < 50 && !d; tries++) {   /* the QUIT is handled asynchronously */
        struct hv_client *t = hv_connect(s);
        hv_pump(t, 100);
        if (t->eof)
            hv_close(t);
        else
            d = t;
    }
    cr_assert_not_null(d, "no room after a client left");
    hv_register(d, "dave");
    hv_sync(d);
    hv_stop(s);
}

/* Limits from the config show in ISUPPORT and are enforced (NICKLEN, TOPICLEN). */
Test(limits, configured_lengths)
{
    struct hv_opts o = { .extra = "limits = { nicklen = 9; topiclen = 20; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice");
    cr_expect(hv_find(a, " 005 alice .*NICKLEN=9( |$)"), "NICKLEN=9 not advertised");
    cr_expect(hv_find(a, " 005 alice .*TOPICLEN=20( |$)"), "TOPICLEN=20 not advertised");
    hv_send(a, "NICK abcdefghijklmnop");
    const char *l = hv_expect(a, "(NICK|432)");
    cr_expect(strstr(l, "abcdefghijklmnop") == NULL || strstr(l, " 432 "),
              "nick longer than NICKLEN accepted: %s", l);
    hv_join(a, "#t");
    hv_send(a, "TOPIC #t :0123456789012345678901234567890123456789");
    l = hv_expect(a, " TOPIC #t :");
    cr_expect_leq(strlen(strstr(l, " :") + 2), 20, "topic not cut to TOPICLEN: %s", l);
    hv_stop(s);
}

/* idle_timeout: a user who only PINGs is disconnected; one who talks stays. */
Test(limits, idle_timeout)
{
    struct hv_opts o = { .idle_timeout = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *idle = hv_user(s, "idler"), *busy = hv_user(s, "busy");
    long long end = hv_now_ms() + 6000;
    while (!idle->eof && hv_now_ms() < end) {
        hv_send(idle, "PING :keepalive");
        hv_send(busy, "PRIVMSG busy :talking to myself");
        hv_pump(idle, 300);
        hv_pump(busy, 1);
    }
    hv_expect(idle, "^ERROR :Closing Link: .*[Ii]dle");
    hv_expect_closed(idle, 1000);
    hv_sync(busy);
    hv_stop(s);
}

/* One channel message fans out to 100 members promptly. */
Test(limits, fanout_to_many)
{
    struct hv_server *s = hv_start(NULL);
    enum { N = 100 };
    static struct hv_client *u[N];
    for (int i = 0; i < N; i++) {
        char nick[16];
        snprintf(nick, sizeof nick, "m%03d", i);
        u[i] = hv_user(s, nick);
        hv_send(u[i], "JOIN #crowd");
    }
    for (int i = 0; i < N; i++)
        hv_expect(u[i], " 366 m%03d #crowd ", i);
    long long t0 = hv_now_ms();
    hv_send(u[0], "PRIVMSG #crowd :to everyone");
    for (int i = 1; i < N; i++)
        hv_expect(u[i], "PRIVMSG #crowd :to everyone$");
    long long took = hv_now_ms() - t0;
    cr_expect_lt(took, 2000, "fan-out to %d took %lld ms", N, took);
    hv_stop(s);
}

/* limits.max_invites: a channel remembers at most that many pending
 * INVITEs; past it the oldest is forgotten (that person gets 473 again),
 * and an invite used up by joining does not reorder the rest, so it is
 * always the oldest that goes. */
Test(limits, max_invites_forgets_the_oldest)
{
    struct hv_opts o = { .extra = "limits = { max_invites = 3; };" };
    struct hv_server *s = hv_start(&o);
    static const char *const nicks[] = { "bob", "carol", "dave", "erin", "frank", "gina" };
    struct hv_client *a = hv_user(s, "alice"), *u[6];
    for (int i = 0; i < 6; i++)
        u[i] = hv_user(s, nicks[i]);
    hv_join(a, "#priv");
    hv_send(a, "MODE #priv +i");
    hv_expect(a, "MODE #priv \\+i");
    for (int i = 0; i < 4; i++) {          /* bob, carol, dave, then erin pushes bob out */
        hv_send(a, "INVITE %s #priv", nicks[i]);
        hv_expect(a, "^:" SRV " 341 alice %s :?#priv$", nicks[i]);
    }
    hv_send(u[0], "JOIN #priv");
    hv_expect_reply(u[0], "473", "bob #priv", "Cannot join channel (+i)");
    hv_join(u[1], "#priv");                /* carol uses hers: dave, erin left */
    for (int i = 4; i < 6; i++) {          /* frank, then gina pushes out dave (the oldest) */
        hv_send(a, "INVITE %s #priv", nicks[i]);
        hv_expect(a, "^:" SRV " 341 alice %s :?#priv$", nicks[i]);
    }
    hv_send(u[2], "JOIN #priv");
    hv_expect_reply(u[2], "473", "dave #priv", "Cannot join channel (+i)");
    for (int i = 3; i < 6; i++)            /* erin, frank and gina are still invited */
        hv_join(u[i], "#priv");
    hv_send(u[0], "JOIN #priv");           /* bob's invite did not come back */
    hv_expect_reply(u[0], "473", "bob #priv", "Cannot join channel (+i)");
    hv_stop(s);
}
