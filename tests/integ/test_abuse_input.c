/* test_abuse_input.c — input-level abuse from registered clients: message
 * floods (fake lag and disconnect), JOIN/PART and NICK floods, over-long
 * lines, NUL bytes and invalid UTF-8, thousands of bans and channels.
 *
 * As in test_abuse.c, each test asserts that everyone else keeps being
 * served (ab_served) and that the server's memory grew by less than the
 * stated bound (ab_assert_rss). */
#include "test_abuse.h"

TestSuite(abuse_input, .timeout = 120);

/* Fake lag: a client over its flood allowance is slowed down (not the
 * server): the flooder's 30 lines trickle out at flood.rate while a fresh
 * client is served at once; a flooder that keeps pushing past recvq is
 * dropped with "Excess Flood". Bound: +16 MiB. */
Test(abuse_input, message_flood_fakelag)
{
    ab_small_quarantine();
    struct hv_opts o = { .flood_mode = "fakelag", .flood_burst = 5, .flood_rate = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *f = hv_user(s, "flooder");
    long base = ab_rss_kb(s);
    int fds0 = ab_fd_count(s);

    hv_msleep(3000);           /* let the registration lines' tokens refill */
    for (int i = 0; i < 30; i++)
        hv_send(f, "PRIVMSG witness :flood %d", i);
    ab_pump_for(w, 1000);
    int early = ab_count(w, 0, ":flood ");
    cr_log_info("fakelag: %d of 30 lines delivered in the first second", early);
    /* At most the burst plus 2 s of rate (the server's bucket runs on real
     * time, so a slower server, e.g. under valgrind, can only send fewer). */
    cr_assert(early >= 3 && early <= 5 + 2 * 2 + 1, "%d lines went through at once", early);
    ab_served(s, w, "fresh1");

    /* Pushing far past recvq (8192 bytes) while lagged: Excess Flood. */
    char text[401];
    memset(text, 'z', 400);
    text[400] = '\0';
    char line[512];
    int n = snprintf(line, sizeof line, "PRIVMSG witness :%s\r\n", text);
    for (int i = 0; i < 60 && !f->eof; i++) {
        ab_write(f->fd, line, (size_t)n);   /* the server may close it any time */
        hv_pump(f, 1);
    }
    hv_expect_ms(f, 5000, "^ERROR :Closing Link: .*Excess Flood");
    ab_served(s, w, "fresh2");
    ab_assert_rss(s, base, 16, "message_flood_fakelag");
    ab_assert_fds(s, fds0, 1, 8000, "message_flood_fakelag");
    hv_stop(s);
}

/* flood.mode = "disconnect": a client over its allowance is dropped with
 * "Excess Flood" at once; others are not affected. Bound: +16 MiB. */
Test(abuse_input, message_flood_disconnect)
{
    ab_small_quarantine();
    struct hv_opts o = { .flood_mode = "disconnect", .flood_burst = 10, .flood_rate = 2 };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    long base = ab_rss_kb(s);
    enum { N = 20 };
    struct hv_client *fl[N];
    for (int i = 0; i < N; i++) {
        char nick[16];
        snprintf(nick, sizeof nick, "flooder%d", i);
        fl[i] = hv_user(s, nick);
    }
    for (int k = 0; k < 40; k++)
        for (int i = 0; i < N; i++)
            if (!fl[i]->eof) {
                ab_write(fl[i]->fd, "PRIVMSG #served :x\r\n", 20);
                hv_pump(fl[i], 0);
            }
    for (int i = 0; i < N; i++) {
        hv_expect_ms(fl[i], 5000, "^ERROR :Closing Link: .*Excess Flood");
        hv_close(fl[i]);
    }
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "message_flood_disconnect");
    hv_stop(s);
}

/* 1000 JOIN/PART cycles over 50 channels and 1000 NICK changes, as fast as
 * the connection goes: the channels are gone afterwards, WHOWAS stays
 * bounded, everyone else is served. Bound: +16 MiB. */
Test(abuse_input, join_part_and_nick_floods)
{
    ab_small_quarantine();
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *f = hv_user(s, "churn");
    long base = ab_rss_kb(s);

    for (int i = 0; i < 1000; i++) {
        hv_send(f, "JOIN #jp%d", i % 50);
        hv_send(f, "PART #jp%d :cycling", i % 50);
        if (i % 50 == 49) {
            hv_sync(f);
            hv_skip(f);
        }
    }
    for (int i = 0; i < 1000; i++) {
        hv_send(f, "NICK churn%d", i);
        if (i % 50 == 49) {
            hv_sync(f);
            hv_skip(f);
        }
    }
    hv_sync(f);
    hv_send(w, "LIST");
    hv_expect_numeric(w, "323");
    cr_assert_null(hv_find(w, " 322 witness #jp"), "a cycled channel was left behind");
    hv_send(w, "WHOWAS churn500");
    hv_expect(w, " (314|406) witness churn500 ");
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "join_part_and_nick_floods");
    hv_stop(s);
}

/* Over-long input: lines over 512 bytes, a tag section over 8191 bytes,
 * and 256 KiB without any line end. Each is refused with 417 (never
 * executed, never relayed) and the connection stays usable. Bound: +16 MiB. */
Test(abuse_input, over_long_lines)
{
    ab_small_quarantine();
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *a = hv_user(s, "longtalker");
    long base = ab_rss_kb(s);

    static char big[256 << 10];
    memset(big, 'L', sizeof big);
    memcpy(big, "PRIVMSG witness :", 17);
    for (int i = 0; i < 50; i++)
        hv_send_raw(a, big, 600 + (size_t)i * 13), hv_send_raw(a, "\r\n", 2);
    hv_send_raw(a, "@+tag=", 6);
    hv_send_raw(a, big + 17, 9000);
    hv_send_raw(a, " PRIVMSG witness :tagged\r\n", 26);
    hv_send_raw(a, big, sizeof big);       /* 256 KiB with no line end */
    hv_send_raw(a, "\r\n", 2);
    hv_send(a, "PRIVMSG witness :after all that");
    hv_expect(w, "PRIVMSG witness :after all that$");
    cr_assert_null(hv_find(w, "LLLL"), "an over-long line was relayed");
    cr_assert_null(hv_find(w, ":tagged$"), "a line with over-long tags was relayed");
    hv_sync(a);
    /* one 417 per refused line: 50 long ones, the tags one, the 256 KiB one */
    int n417 = ab_count(a, 0, " 417 longtalker :");
    cr_assert_eq(n417, 52, "%d ERR_INPUTTOOLONG replies for 52 over-long lines", n417);
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "over_long_lines");
    hv_stop(s);
}

/* Is buf valid UTF-8 (no overlongs, surrogates or code points > U+10FFFF)? */
static bool valid_utf8(const unsigned char *p)
{
    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (n == 9)
            return false;
        unsigned cp = n == 0 ? c : c & (0x3f >> n);
        for (unsigned k = 1; k <= n; k++) {
            if ((p[k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

/* NUL bytes, bare CRs and invalid UTF-8: a line with a NUL is dropped
 * whole; nothing relayed ever carries a NUL or a bare CR; when the server
 * advertises UTF8ONLY nothing relayed is invalid UTF-8; the sender stays
 * connected throughout. Bound: +16 MiB. */
Test(abuse_input, nul_bytes_and_invalid_utf8)
{
    ab_small_quarantine();
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *a = hv_user(s, "binary");
    bool utf8only = hv_find(a, " 005 .*UTF8ONLY") != NULL;
    long base = ab_rss_kb(s);

    static const char nul_line[] = "PRIVMSG witness :before\0after\r\n";
    for (int i = 0; i < 100; i++)
        hv_send_raw(a, nul_line, sizeof nul_line - 1);
    static const char *const bad[] = {
        "PRIVMSG witness :\xff\xfe\xfd", "PRIVMSG witness :\xc3\x28 broken", "PRIVMSG witness :\xed\xa0\x80 surrogate",
        "PRIVMSG witness :\xf4\x90\x80\x80 too big", "PRIVMSG witness :\xe2\x82 cut", "PRIVMSG witness :\xc0\xaf overlong",
        "PRIVMSG #served :\xff in channel", "NOTICE witness :\x80\x81", "AWAY :\xff\xfe", "TOPIC #served :\xfe\xff",
        "PRIVMSG witness :cr\rin the middle", "JOIN #\xff\xfe", "NICK \xff\xfe", "PART #served :\xff",
    };
    for (int k = 0; k < 20; k++)
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            hv_send(a, "%s", bad[i]);
    hv_send(a, "JOIN #served");
    hv_send(a, "PRIVMSG witness :clean at the end");
    hv_expect(w, "PRIVMSG witness :clean at the end$");
    hv_sync(a);
    cr_assert(!a->eof, "the sender was disconnected");
    cr_assert_null(hv_find(w, "before"), "a line with a NUL byte was executed");
    for (size_t i = 0; i < w->nlines; i++) {
        cr_assert(!strchr(w->lines[i], '\r'), "a bare CR was relayed: %s", w->lines[i]);
        if (utf8only)
            cr_assert(valid_utf8((const unsigned char *)w->lines[i]), "invalid UTF-8 relayed: %s", w->lines[i]);
    }
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "nul_bytes_and_invalid_utf8");
    hv_stop(s);
}

/* Thousands of bans: 2000 masks sent to one channel fill its list up to
 * MAXLIST (limits.max_list, 100 by default) and every one past it is
 * refused with 478; the list shows exactly max_list entries; joining and
 * talking still work. Bound: +16 MiB. */
Test(abuse_input, thousands_of_bans)
{
    ab_small_quarantine();
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *op = hv_user(s, "banner");
    hv_join(op, "#bans");
    const char *isup = hv_find(op, " 005 .*MAXLIST=beI:[0-9]+");
    cr_assert_not_null(isup, "no MAXLIST in 005");
    int maxlist = atoi(strstr(isup, "MAXLIST=beI:") + 12);
    long base = ab_rss_kb(s);

    size_t from = op->nlines;
    for (int i = 0; i < 2000; i += 4) {
        hv_send(op, "MODE #bans +bbbb ban%d!*@* ban%d!*@* ban%d!*@* ban%d!*@*", i, i + 1, i + 2, i + 3);
        if (i % 200 == 196)
            hv_sync(op);
    }
    hv_sync(op);
    int full = ab_count(op, from, " 478 banner #bans ");
    from = op->nlines;
    hv_send(op, "MODE #bans b");
    hv_expect_numeric(op, "368");
    int listed = ab_count(op, from, " 367 banner #bans ");
    cr_log_info("bans: %d listed (MAXLIST %d), %d refused with 478", listed, maxlist, full);
    cr_assert_eq(listed, maxlist, "the ban list holds %d entries, MAXLIST is %d", listed, maxlist);
    cr_assert_eq(full, 2000 - maxlist, "%d refusals for %d bans past MAXLIST", full, 2000 - maxlist);
    hv_join(w, "#bans");
    hv_send(w, "PRIVMSG #bans :not banned");
    hv_expect(op, "PRIVMSG #bans :not banned$");
    ab_served(s, w, "fresh");
    ab_assert_rss(s, base, 16, "thousands_of_bans");
    hv_stop(s);
}

/* Thousands of channels: with limits.max_channels raised, one client
 * joins 2000; LIST still answers; when it quits they all go at once.
 * Bound: +64 MiB. */
Test(abuse_input, thousands_of_channels)
{
    ab_small_quarantine();
    struct hv_opts o = { .sendq = 4 << 20, .extra = "limits = { max_channels = 2500; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = ab_witness(s, "witness");
    struct hv_client *j = hv_user(s, "joiner");
    long base = ab_rss_kb(s);

    enum { N = 2000 };
    for (int i = 0; i < N; i++) {
        hv_send(j, "JOIN #many%d", i);
        if (i % 100 == 99) {
            hv_sync(j);
            hv_skip(j);
        }
    }
    hv_sync(j);
    cr_assert_null(hv_find(j, " 405 "), "ERR_TOOMANYCHANNELS below max_channels");
    long long t0 = hv_now_ms();
    size_t from = w->nlines;
    hv_send(w, "LIST");
    hv_expect_ms(w, 10000, " 323 witness ");
    int listed = ab_count(w, from, " 322 witness #many");
    cr_log_info("LIST of %d channels took %lld ms", listed, hv_now_ms() - t0);
    cr_assert_eq(listed, N);
    ab_served(s, w, "fresh1");
    ab_assert_rss(s, base, 64, "thousands_of_channels");

    hv_send(j, "QUIT :bye");
    hv_expect_closed(j, 5000);
    from = w->nlines;
    hv_send(w, "LUSERS");
    hv_expect_numeric(w, "266");
    cr_assert_eq(ab_count(w, from, " 254 witness 1 "), 1, "channels left after their only member quit");
    ab_served(s, w, "fresh2");
    hv_stop(s);
}
