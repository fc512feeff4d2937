/* test_protocol.c — line framing and parsing from a client's point of view,
 * casemapping, long replies split within 512 bytes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(protocol, .timeout = 60);

/* Bare LF, lowercase commands, several lines per packet, split lines. */
Test(protocol, framing)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    const char *chunk = "privmsg bob :one\nPRIVMSG bob :two\r\nPRIV";
    hv_send_raw(a, chunk, strlen(chunk));
    hv_expect(b, "PRIVMSG bob :one$");
    hv_expect(b, "PRIVMSG bob :two$");
    hv_msleep(100);
    hv_send_raw(a, "MSG bob :three\r\n", 16);
    hv_expect(b, "PRIVMSG bob :three$");
    hv_send_raw(a, "\r\n\r\n\n", 5);   /* empty lines are ignored silently */
    hv_sync(a);
    hv_expect_none(a, 100, " 421 ");
    hv_stop(s);
}

/* Extra spaces, a client-sent source prefix and message tags are tolerated. */
Test(protocol, parsing_tolerance)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char am[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));
    hv_send(a, "PRIVMSG   bob    :spaced   out");
    hv_expect_exact(b, ":%s PRIVMSG bob :spaced   out", am);
    hv_send(a, ":alice PRIVMSG bob :with prefix");
    hv_expect_exact(b, ":%s PRIVMSG bob :with prefix", am);
    hv_send(a, ":mallory!evil@host PRIVMSG bob :spoofed prefix");
    hv_expect_exact(b, ":%s PRIVMSG bob :spoofed prefix", am);
    hv_send(a, "@label=1;+draft/x=y PRIVMSG bob :tagged");
    hv_expect_exact(b, ":%s PRIVMSG bob :tagged", am);
    hv_stop(s);
}

/* Channel names are case-insensitive (rfc1459: [ ] \ ~ fold to { } | ^). */
Test(protocol, channel_casemapping)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#Chan[1]");
    hv_send(b, "JOIN #chan{1}");
    hv_expect(b, " JOIN :?#[Cc]han.1.$");
    hv_expect(a, "^:bob![^ ]+ JOIN :?#Chan\\[1\\]$");
    hv_send(b, "PRIVMSG #CHAN{1} :case");
    hv_expect(a, "PRIVMSG #(CHAN\\{1\\}|Chan\\[1\\]) :case$");
    hv_send(a, "NAMES #chan[1]");
    const char *l = hv_expect_numeric(a, "353");
    cr_expect(strstr(l, "bob") && strstr(l, "alice"), "NAMES: %s", l);
    hv_stop(s);
}

/* NICK to a case variant of one's own nick is allowed. */
Test(protocol, nick_case_change)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "NICK ALICE");
    hv_expect(a, "^:alice![^ ]+ NICK :?ALICE$");
    hv_stop(s);
}

/* A big channel's NAMES reply is split into lines of at most 512 bytes. */
Test(protocol, names_split_under_512)
{
    struct hv_server *s = hv_start(NULL);
    enum { N = 30 };
    struct hv_client *u[N];
    for (int i = 0; i < N; i++) {
        char nick[40];
        snprintf(nick, sizeof nick, "user%02d_abcdefghijklmnopqrst", i);
        u[i] = hv_user(s, nick);
        hv_join(u[i], "#big");
    }
    hv_send(u[0], "NAMES #big");
    hv_expect_numeric(u[0], "366");
    int seen = 0;
    for (size_t i = 0; i < u[0]->nlines; i++) {
        cr_expect_leq(strlen(u[0]->lines[i]), 510, "line over 512 bytes: %zu", strlen(u[0]->lines[i]));
    }
    /* count the members in the last NAMES reply */
    for (size_t i = u[0]->nlines; i-- > 0;) {
        if (strstr(u[0]->lines[i], " 366 "))
            continue;
        if (!strstr(u[0]->lines[i], " 353 "))
            break;
        const char *p = strstr(u[0]->lines[i], " :");
        for (p = p ? p + 2 : ""; *p; p++)
            if (*p == '_')
                seen++;
    }
    cr_expect_eq(seen, N, "NAMES listed %d of %d members", seen, N);
    hv_stop(s);
}

/* WHOIS of a user in many channels keeps every line within 512 bytes. */
Test(protocol, whois_channels_split_under_512)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char chan[64];
    for (int i = 0; i < 20; i++) {
        snprintf(chan, sizeof chan, "#channel_number_%02d_abcdefghijklmnopqrstuvwxyz", i);
        hv_join(a, chan);
    }
    hv_send(b, "WHOIS alice");
    hv_expect_numeric(b, "318");
    int chans = 0;
    for (size_t i = 0; i < b->nlines; i++) {
        cr_expect_leq(strlen(b->lines[i]), 510, "line over 512 bytes: %s", b->lines[i]);
        if (strstr(b->lines[i], " 319 bob alice :"))
            for (const char *p = b->lines[i]; (p = strstr(p, "#channel_number_")); p++)
                chans++;
    }
    cr_expect_eq(chans, 20, "WHOIS listed %d of 20 channels", chans);
    hv_stop(s);
}

/* Closing the socket without QUIT is announced as a QUIT to channel peers. */
Test(protocol, abrupt_disconnect)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#c");
    hv_join(b, "#c");
    hv_close(b);
    hv_expect(a, "^:bob![^ ]+ QUIT :.+");
    /* the nick is free again */
    struct hv_client *c = hv_user(s, "bob");
    (void)c;
    hv_stop(s);
}

/* QUIT before registration: ERROR and close, no crash. */
Test(protocol, quit_unregistered)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK early");
    hv_send(c, "QUIT :never mind");
    hv_expect(c, "^ERROR :");
    hv_expect_closed(c, 3000);
    struct hv_client *d = hv_user(s, "early");
    (void)d;
    hv_stop(s);
}

/* The ERROR on QUIT names no address. */
Test(protocol, error_line_has_no_address)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "QUIT :bye");
    const char *l = hv_expect(c, "^ERROR :");
    cr_expect(strstr(l, "127.0.0.1") == NULL, "ERROR names the address: %s", l);
    hv_stop(s);
}

/* Too many parameters (more than 15) does not crash the server. */
Test(protocol, many_params)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "USERHOST a b c d e f g h i j k l m n o p q r s t u v w x y z");
    hv_send(a, "ISON a b c d e f g h i j k l m n o p q r s t u v w x y z alice");
    hv_sync(a);
    hv_stop(s);
}

/* Bytes that are not UTF-8 are relayed unchanged when limits.utf8only is
 * off (with it on, the default, see test_ircv3_more.c). */
Test(protocol, binary_text_relayed)
{
    struct hv_opts o = { .extra = "limits = { utf8only = false; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(a, "PRIVMSG bob :caf\xe9 \xff\xfe \x02" "bold\x0f");
    hv_expect(b, "PRIVMSG bob :caf\xe9 \xff\xfe \x02" "bold\x0f$");
    hv_stop(s);
}
