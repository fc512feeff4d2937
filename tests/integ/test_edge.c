/* test_edge.c — corner cases: registration races, nick changes and channel
 * state, silent NOTICE drops, NUL bytes, oversized tags, PING errors. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(edge, .timeout = 60);

/* Two NICKs before USER: the last one wins. */
Test(edge, nick_twice_before_user)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "NICK first");
    hv_send(c, "NICK second");
    hv_send(c, "USER u 0 * :R");
    hv_expect(c, "^:" SRV " 001 second ");
    struct hv_client *d = hv_user(s, "first");   /* released */
    (void)d;
    hv_stop(s);
}

/* Two unregistered connections with one nick: whoever completes first gets
 * it, the other is told 433 (either at NICK or at USER), never 001. */
Test(edge, unregistered_nick_race)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c1 = hv_connect(s), *c2 = hv_connect(s);
    hv_send(c1, "NICK racer");
    hv_sync(c1);
    hv_send(c2, "NICK racer");
    hv_sync(c2);
    hv_send(c1, "USER u 0 * :R");
    hv_expect(c1, "^:" SRV " 001 racer ");
    hv_send(c2, "USER u 0 * :R");
    hv_expect(c2, "^:" SRV " 433 \\* racer :Nickname is already in use$");
    hv_expect_none(c2, 300, " 001 ");
    hv_send(c2, "NICK racer2");
    hv_expect(c2, "^:" SRV " 001 racer2 ");
    hv_stop(s);
}

/* Op status, bans and WHOWAS follow a nick change. */
Test(edge, nick_change_keeps_status)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#n");
    hv_join(b, "#n");
    hv_send(a, "NICK alicia");
    hv_expect(b, " NICK :?alicia$");
    hv_send(b, "NAMES #n");
    const char *l = hv_expect_numeric(b, "353");
    cr_expect(strstr(l, "@alicia") != NULL, "op lost on nick change: %s", l);
    hv_send(a, "MODE #n +m");
    hv_expect(b, "MODE #n \\+m");
    hv_send(b, "WHOWAS alice");
    hv_expect(b, "^:" SRV " 314 bob alice user ");
    hv_expect_numeric(b, "369");
    hv_stop(s);
}

/* A ban matches case-insensitively and with '?' wildcards. */
Test(edge, ban_matching_is_casefolded)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob[x]");
    hv_join(a, "#n");
    hv_send(a, "MODE #n +b BOB{X}!*@*");
    hv_sync(a);
    hv_send(b, "JOIN #n");
    hv_expect_reply(b, "474", "bob[x] #n", "Cannot join channel (+b)");
    hv_send(a, "MODE #n -b BOB{X}!*@*");
    hv_send(a, "MODE #n +b b?b?x?!*@*");
    hv_sync(a);
    hv_send(b, "JOIN #n");
    hv_expect_reply(b, "474", "bob[x] #n", "Cannot join channel (+b)");
    hv_stop(s);
}

/* NOTICE that +m or a ban blocks is dropped without an error reply. */
Test(edge, blocked_notice_is_silent)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#n");
    hv_join(b, "#n");
    hv_send(a, "MODE #n +m");
    hv_expect(b, "MODE #n \\+m");
    hv_send(b, "NOTICE #n :quiet please");
    hv_sync(b);
    hv_expect_none(b, 200, " 404 ");
    hv_expect_none(a, 100, "quiet please");
    hv_stop(s);
}

/* PART without a reason has no trailing parameter (or an empty one). */
Test(edge, part_without_reason)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#n");
    hv_join(b, "#n");
    hv_send(b, "PART #n");
    hv_expect(a, "^:bob![^ ]+ PART #n( :)?$");
    hv_stop(s);
}

/* AWAY text is cut to AWAYLEN. */
Test(edge, awaylen)
{
    struct hv_opts o = { .extra = "limits = { awaylen = 8; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(b, "AWAY :0123456789abcdef");
    hv_expect_numeric(b, "306");
    hv_send(a, "PRIVMSG bob :hi");
    const char *l = hv_expect_numeric(a, "301");
    cr_expect(strlen(strstr(l, " :") + 2) <= 8, "away text longer than AWAYLEN=8: %s", l);
    hv_stop(s);
}

/* PING without a parameter: 409 (or 461). */
Test(edge, ping_without_origin)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "PING");
    hv_expect(a, "^:" SRV " (409 alice :No origin specified|461 alice PING :Not enough parameters)$");
    hv_stop(s);
}

/* A NUL byte inside a line neither crashes nor smuggles a second command. */
Test(edge, nul_byte_in_line)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    const char raw[] = "PRIVMSG bob :before\0QUIT :smuggled\r\n";
    hv_send_raw(a, raw, sizeof raw - 1);
    hv_sync(a);
    cr_expect(!a->eof, "connection closed after a NUL byte");
    hv_send(a, "PRIVMSG bob :after");
    hv_expect(b, "PRIVMSG bob :after$");
    cr_expect(hv_find(b, "smuggled") == NULL);
    hv_stop(s);
}

/* A tag section over 8191 bytes is refused with 417; the link stays. */
Test(edge, oversized_tags)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    static char tag[9000];
    memset(tag, 'a', sizeof tag - 1);
    tag[0] = '@';
    tag[1] = 'x';
    tag[2] = '=';
    hv_send(a, "%s PRIVMSG bob :tagged", tag);
    hv_expect_reply(a, "417", "alice", "Input line was too long");
    hv_expect_none(b, 300, "tagged");
    hv_sync(a);
    hv_stop(s);
}

/* A long message to a channel is cut, never split into a second line. */
Test(edge, long_channel_message_cut)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#n");
    hv_join(b, "#n");
    char text[500];
    memset(text, 'q', 490);
    text[490] = '\0';
    hv_send(a, "PRIVMSG #n :%s", text);
    const char *l = hv_expect(b, "PRIVMSG #n :q+$");
    cr_expect_leq(strlen(l), 510);
    hv_expect_none(b, 300, "^q");
    hv_stop(s);
}

/* USER with odd characters in the username still registers. */
Test(edge, odd_username)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_register_full(c, "odd", "we/ird~name@x", "Real");
    hv_mask(c);
    cr_expect_str_eq(c->user, "user");
    hv_stop(s);
}

/* The KILL reason reaches the victim's ERROR and names the oper; no address. */
Test(edge, kill_error_line)
{
    char *h = hv_mkpasswd("pw");
    char extra[512];
    snprintf(extra, sizeof extra, "opers = ( { name = \"o\"; password = \"%s\"; privileges = [\"kill\"]; } );", h);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(a, "OPER o pw");
    hv_expect_numeric(a, "381");
    hv_send(a, "KILL bob :go away");
    const char *l = hv_expect(b, "^ERROR :");
    cr_expect(strstr(l, "go away") && strstr(l, "alice"), "ERROR after KILL: %s", l);
    cr_expect(strstr(l, "127.0.0.1") == NULL, "ERROR names an address: %s", l);
    hv_stop(s);
}

/* CAP: LS answers, unknown REQ is NAKed, registration waits for CAP END. */
Test(edge, cap_negotiation)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP LS 302");
    hv_expect(c, "^:" SRV " CAP \\* LS :");
    hv_send(c, "NICK capper");
    hv_send(c, "USER u 0 * :R");
    hv_send(c, "CAP REQ :no-such-capability");
    hv_expect(c, "^:" SRV " CAP \\* NAK :no-such-capability$");
    hv_expect_none(c, 300, " 001 ");
    hv_send(c, "CAP END");
    hv_expect(c, "^:" SRV " 001 capper ");
    hv_stop(s);
}

/* WHO * lists visible users but not invisible ones outside shared channels. */
Test(edge, who_mask_respects_invisible)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    hv_send(b, "MODE bob -i");
    hv_expect(b, "MODE bob :?-i$");
    hv_join(a, "#w");
    hv_join(c, "#w");
    /* bob: visible; carol: invisible but shares #w; dave: invisible stranger */
    struct hv_client *d = hv_user(s, "dave");
    (void)d;
    hv_send(a, "WHO *");
    hv_expect_numeric(a, "315");
    cr_expect(hv_find(a, " 352 alice [^ ]+ user [^ ]+ irc\\.test\\.local bob ") != NULL, "visible bob missing");
    cr_expect(hv_find(a, " 352 alice [^ ]+ user [^ ]+ irc\\.test\\.local carol ") != NULL, "channel peer carol missing");
    cr_expect(hv_find(a, " 352 alice [^ ]+ user [^ ]+ irc\\.test\\.local dave ") == NULL, "invisible dave listed");
    hv_stop(s);
}

/* HELP answers with 704/705/706 (or 524 for an unknown topic). */
Test(edge, help)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "HELP PRIVMSG");
    hv_expect(a, "^:" SRV " 704 alice (PRIVMSG|privmsg) :");
    hv_expect(a, "^:" SRV " 706 alice (PRIVMSG|privmsg) :");
    hv_send(a, "HELP nosuchtopic");
    hv_expect(a, "^:" SRV " 524 alice nosuchtopic :");
    hv_stop(s);
}
