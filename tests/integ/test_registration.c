/* test_registration.c — connection registration: welcome burst, ISUPPORT,
 * LUSERS, MOTD, PASS, NICK/USER errors, PING/PONG, QUIT. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(registration, .timeout = 60);

/* The welcome burst arrives in order with the documented shapes. */
Test(registration, welcome_burst_order_and_shapes)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK alice");
    hv_send(c, "USER alice 0 * :Alice");
    hv_expect(c, "^:" SRV " 001 alice :Welcome to the TestNet( [A-Za-z]+)? Network, alice");
    hv_expect(c, "^:" SRV " 002 alice :Your host is irc\\.test\\.local, running version [^ ]+$");
    hv_expect(c, "^:" SRV " 003 alice :This server was created .+");
    const char *l = hv_expect(c, "^:" SRV " 004 alice irc\\.test\\.local [^ ]+ [A-Za-z]+ [A-Za-z]+( [A-Za-z]+)?$");
    /* user modes include i, o, w; channel modes include the standard set */
    char buf[512], *p[16];
    int n = hv_params(l, buf, sizeof buf, p, 16);
    cr_assert_geq(n, 7, "004 too short: %s", l);
    for (const char *m = "iow"; *m; m++)
        cr_expect(strchr(p[5], *m) != NULL, "004 user modes lack %c: %s", *m, l);
    for (const char *m = "biklmnostv"; *m; m++)
        cr_expect(strchr(p[6], *m) != NULL, "004 channel modes lack %c: %s", *m, l);
    hv_expect(c, "^:" SRV " 005 alice ([^: ][^ ]* ){1,13}:are supported by this server$");
    hv_expect(c, "^:" SRV " 251 alice :There (are|is) [0-9]+ users? and [0-9]+ invisible on 1 servers?$");
    hv_expect(c, "^:" SRV " 255 alice :I have [0-9]+ clients? and 0 servers?$");
    hv_expect(c, "^:" SRV " 375 alice :- irc\\.test\\.local Message of the day -");
    hv_expect_exact(c, ":irc.test.local 372 alice :- Welcome to the test server.");
    hv_expect_reply(c, "376", "alice", "End of /MOTD command.");
    /* every numeric in the burst is addressed to alice */
    for (size_t i = 0; i < c->nlines; i++) {
        char b2[1024], *q[4];
        if (hv_params(c->lines[i], b2, sizeof b2, q, 4) >= 3 && strlen(q[1]) == 3 &&
            q[1][0] >= '0' && q[1][0] <= '9')
            cr_expect_str_eq(q[2], "alice", "numeric not addressed to alice: %s", c->lines[i]);
    }
    hv_stop(s);
}

/* Every ISUPPORT token listed by modern.ircdocs.horse that we promise is present. */
Test(registration, isupport_tokens)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    static const char *const want[] = {
        "CASEMAPPING=rfc1459", "CHANTYPES=#", "CHANMODES=", "PREFIX=(ov)@+", "NICKLEN=",
        "CHANNELLEN=", "TOPICLEN=", "KICKLEN=", "AWAYLEN=", "MODES=", "TARGMAX=",
        "STATUSMSG=", "ELIST=", "NETWORK=TestNet",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        char re[128];
        snprintf(re, sizeof re, "^:irc\\.test\\.local 005 alice (.* )?%s", hv_re(want[i]));
        cr_expect(hv_find(c, re) != NULL, "ISUPPORT lacks %s", want[i]);
    }
    /* CHANMODES=A,B,C,D: lists b,e,I; key k; limit l; flags imnpst */
    const char *l = hv_find(c, " CHANMODES=");
    cr_assert(l);
    char val[128];
    sscanf(strstr(l, "CHANMODES=") + 10, "%127[^ ]", val);
    char a[32] = "", b[32] = "", cc[32] = "", d[32] = "";
    cr_assert_eq(sscanf(val, "%31[^,],%31[^,],%31[^,],%31s", a, b, cc, d), 4, "CHANMODES=%s", val);
    for (const char *m = "beI"; *m; m++)
        cr_expect(strchr(a, *m), "CHANMODES A lacks %c: %s", *m, val);
    cr_expect(strchr(b, 'k'), "CHANMODES B lacks k: %s", val);
    cr_expect(strchr(cc, 'l'), "CHANMODES C lacks l: %s", val);
    for (const char *m = "imnpst"; *m; m++)
        cr_expect(strchr(d, *m), "CHANMODES D lacks %c: %s", *m, val);
    cr_expect(hv_find(c, " STATUSMSG=[^ ]*@") != NULL, "STATUSMSG lacks @");
    hv_stop(s);
}

/* No MOTD file: 422 instead of 375/372/376. */
Test(registration, missing_motd_gives_422)
{
    struct hv_opts o = { .no_motd_file = true };
    struct hv_server *s = hv_start(&o);
    struct hv_client *c = hv_connect(s);
    hv_register(c, "alice");
    cr_expect(hv_find(c, " 422 alice :MOTD File is missing$") != NULL, "no exact 422");
    cr_expect(hv_find(c, " 375 ") == NULL);
    hv_stop(s);
}

/* LUSERS counts the users, and MOTD can be asked for again. */
Test(registration, lusers_and_motd_on_demand)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    (void)b;
    hv_send(a, "LUSERS");
    /* users are +i by default: visible + invisible = 2 */
    const char *l = hv_expect(a, "^:" SRV " 251 alice :There are [0-9]+ users and [0-9]+ invisible on 1 servers?$");
    int vis = -1, inv = -1;
    sscanf(strstr(l, "There are ") , "There are %d users and %d invisible", &vis, &inv);
    cr_expect_eq(vis + inv, 2, "251 counts: %s", l);
    hv_expect(a, "^:" SRV " 255 alice :I have 2 clients and 0 servers$");
    hv_send(a, "MOTD");
    hv_expect_numeric(a, "375");
    hv_expect_exact(a, ":irc.test.local 372 alice :- Welcome to the test server.");
    hv_expect_numeric(a, "376");
    hv_stop(s);
}

/* Server password: the right one registers. */
Test(registration, server_password_right)
{
    char *hash = hv_mkpasswd("letmein");
    char extra[512];
    snprintf(extra, sizeof extra, "password = \"%s\";", hash);
    struct hv_opts o = { .server_extra = extra };
    struct hv_server *s = hv_start(&o);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "PASS letmein");
    hv_register(c, "alice");
    hv_stop(s);
}

/* Server password: a wrong or missing one gets 464 and the link closes. */
Test(registration, server_password_wrong_or_missing)
{
    char *hash = hv_mkpasswd("letmein");
    char extra[512];
    snprintf(extra, sizeof extra, "password = \"%s\";", hash);
    struct hv_opts o = { .server_extra = extra };
    struct hv_server *s = hv_start(&o);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "PASS wrong");
    hv_send(c, "NICK alice");
    hv_send(c, "USER alice 0 * :Alice");
    hv_expect(c, "^:" SRV " 464 (\\*|alice) :Password incorrect$");
    hv_expect(c, "^ERROR :");
    hv_expect_closed(c, 3000);
    cr_expect(hv_find(c, " 001 ") == NULL, "registered with a wrong password");

    struct hv_client *d = hv_connect(s);
    hv_send(d, "NICK bob");
    hv_send(d, "USER bob 0 * :Bob");
    hv_expect(d, "^:" SRV " 464 (\\*|bob) :Password incorrect$");
    hv_expect_closed(d, 3000);
    hv_stop(s);
}

/* 433 before and after registration, case-insensitively (rfc1459 mapping). */
Test(registration, nick_in_use)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "al[ice");
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK AL{ICE");
    hv_expect_reply(c, "433", "* AL{ICE", "Nickname is already in use");
    hv_send(c, "NICK al[ice");
    hv_expect_reply(c, "433", "* al[ice", "Nickname is already in use");
    hv_register(c, "carol");
    hv_send(c, "NICK Al[Ice");
    hv_expect_reply(c, "433", "carol Al[Ice", "Nickname is already in use");
    (void)a;
    hv_stop(s);
}

/* 432 for nicks that break the grammar. */
Test(registration, erroneous_nick)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    static const char *const bad[] = { "1abc", "-dash", "#chan", "a!b", "a@b", ":colon" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hv_send(c, "NICK %s", bad[i]);
        /* a leading ':' makes the parameter trailing: the nick is "colon" which is valid,
         * so only check the others */
        if (bad[i][0] == ':')
            continue;
        hv_expect(c, "^:" SRV " 432 \\* %s :", hv_re(bad[i]));
    }
    hv_stop(s);
}

/* 432 shape exactly, after registration. */
Test(registration, erroneous_nick_exact)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "NICK 9lives");
    /* ircdocs spells it "Erroneus"; accept the corrected spelling too */
    hv_expect(c, "^:" SRV " 432 alice 9lives :Erroneo?us [Nn]ickname$");
    hv_stop(s);
}

/* 431 for NICK without a parameter. */
Test(registration, no_nickname_given)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK");
    hv_expect_reply(c, "431", "*", "No nickname given");
    hv_stop(s);
}

/* 451 for commands that need registration. */
Test(registration, not_registered)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "JOIN #x");
    hv_expect_reply(c, "451", "*", "You have not registered");
    hv_send(c, "PRIVMSG bob :hi");
    hv_expect_reply(c, "451", "*", "You have not registered");
    hv_stop(s);
}

/* 462 for USER (and PASS) after registration. */
Test(registration, already_registered)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "USER alice 0 * :Again");
    hv_expect_reply(c, "462", "alice", "You may not reregister");
    hv_send(c, "PASS foo");
    hv_expect_reply(c, "462", "alice", "You may not reregister");
    hv_stop(s);
}

/* 461 for USER with too few parameters. */
Test(registration, user_needs_more_params)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "USER alice");
    hv_expect_reply(c, "461", "* USER", "Not enough parameters");
    hv_stop(s);
}

/* PING gets a PONG with the server name and the token. */
Test(registration, ping_pong)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "PING :hello there");
    hv_expect_exact(c, ":irc.test.local PONG irc.test.local :hello there");
    hv_send(c, "PING tok");
    hv_expect_exact(c, ":irc.test.local PONG irc.test.local :tok");
    /* a PONG from the client produces no reply */
    hv_send(c, "PONG :whatever");
    hv_expect_none(c, 300, ".");
    hv_stop(s);
}

/* NICK change after registration is announced to the user itself. */
Test(registration, nick_change)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    const char *old = hv_mask(c);
    char oldmask[256];
    snprintf(oldmask, sizeof oldmask, "%s", old);
    hv_send(c, "NICK alicia");
    hv_expect(c, "^:%s NICK :?alicia$", hv_re(oldmask));
    /* the old nick is free again */
    struct hv_client *d = hv_user(s, "alice");
    (void)d;
    hv_stop(s);
}

/* QUIT: ERROR to the quitter, the link closes, the nick is free. */
Test(registration, quit)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_user(s, "alice");
    hv_send(c, "QUIT :see you");
    hv_expect(c, "^ERROR :");
    hv_expect_closed(c, 3000);
    struct hv_client *d = hv_user(s, "alice");
    (void)d;
    hv_stop(s);
}

/* USER before NICK also completes registration; CAP LS is tolerated. */
Test(registration, user_then_nick_and_cap)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP LS 302");
    hv_send(c, "USER alice 0 * :Alice");
    hv_send(c, "NICK alice");
    hv_send(c, "CAP END");
    hv_expect_numeric(c, "001");
    hv_expect(c, " (376|422) ");
    hv_stop(s);
}
