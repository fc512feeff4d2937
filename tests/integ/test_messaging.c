/* test_messaging.c — PRIVMSG/NOTICE to channels, users, several targets and
 * @#channel; AWAY replies. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(messaging, .timeout = 60);

/* alice, bob and carol on one server; alice and bob in #chat. */
struct room {
    struct hv_server *s;
    struct hv_client *a, *b, *c;
    char am[256];
};

/* Set up the room. */
static void room(struct room *r)
{
    r->s = hv_start(NULL);
    r->a = hv_user(r->s, "alice");
    r->b = hv_user(r->s, "bob");
    r->c = hv_user(r->s, "carol");
    snprintf(r->am, sizeof r->am, "%s", hv_mask(r->a));
    hv_join(r->a, "#chat");
    hv_join(r->b, "#chat");
    hv_expect(r->a, " JOIN :?#chat$");
}

/* A channel message reaches the other member exactly and is not echoed. */
Test(messaging, channel_privmsg)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG #chat :hello there, everyone");
    hv_expect_exact(r.b, ":%s PRIVMSG #chat :hello there, everyone", r.am);
    hv_expect_none(r.a, 300, "hello there");
    hv_expect_none(r.c, 100, "hello there");
    hv_stop(r.s);
}

/* A private message reaches only its target. */
Test(messaging, private_privmsg)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG carol :just for you");
    hv_expect_exact(r.c, ":%s PRIVMSG carol :just for you", r.am);
    hv_expect_none(r.b, 300, "just for you");
    hv_expect_none(r.a, 100, "just for you");
    /* case-insensitive target */
    hv_send(r.a, "PRIVMSG CAROL :shouting");
    hv_expect(r.c, "^:%s PRIVMSG (carol|CAROL) :shouting$", hv_re(r.am));
    hv_stop(r.s);
}

/* NOTICE to a channel and to a user. */
Test(messaging, notice)
{
    struct room r;
    room(&r);
    hv_send(r.a, "NOTICE #chat :channel notice");
    hv_expect_exact(r.b, ":%s NOTICE #chat :channel notice", r.am);
    hv_send(r.a, "NOTICE carol :private notice");
    hv_expect_exact(r.c, ":%s NOTICE carol :private notice", r.am);
    hv_expect_none(r.a, 200, "notice");
    hv_stop(r.s);
}

/* NOTICE never triggers automatic replies (no 401/404/301). */
Test(messaging, notice_has_no_error_replies)
{
    struct room r;
    room(&r);
    hv_send(r.c, "AWAY :out");
    hv_expect_numeric(r.c, "306");
    hv_send(r.a, "NOTICE nosuch :x");
    hv_send(r.a, "NOTICE carol :y");
    hv_send(r.c, "NOTICE #chat :z");   /* carol is outside #chat */
    hv_sync(r.a);
    hv_sync(r.c);
    hv_expect_none(r.a, 200, "^:" SRV " (401|301) ");
    hv_expect_none(r.c, 100, "^:" SRV " (404|401) ");
    hv_stop(r.s);
}

/* Several comma-separated targets: each gets its own copy. */
Test(messaging, multiple_targets)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG bob,carol :to both");
    hv_expect_exact(r.b, ":%s PRIVMSG bob :to both", r.am);
    hv_expect_exact(r.c, ":%s PRIVMSG carol :to both", r.am);
    hv_send(r.a, "PRIVMSG #chat,carol :mixed");
    hv_expect_exact(r.b, ":%s PRIVMSG #chat :mixed", r.am);
    hv_expect_exact(r.c, ":%s PRIVMSG carol :mixed", r.am);
    /* one bad target does not stop the others */
    hv_send(r.a, "PRIVMSG nosuch,carol :partial");
    hv_expect_reply(r.a, "401", "alice nosuch", "No such nick/channel");
    hv_expect_exact(r.c, ":%s PRIVMSG carol :partial", r.am);
    hv_stop(r.s);
}

/* More targets than TARGMAX PRIVMSG:4 gives 407. */
Test(messaging, too_many_targets)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG bob,carol,bob,carol,bob :spam");
    hv_expect(r.a, "^:" SRV " 407 alice ");
    hv_stop(r.s);
}

/* @#chan: only ops get it, and it keeps the @ prefix. */
Test(messaging, status_message)
{
    struct room r;
    room(&r);
    hv_join(r.c, "#chat");
    hv_send(r.a, "MODE #chat +o bob");
    hv_expect(r.c, "MODE #chat \\+o bob");
    hv_send(r.a, "PRIVMSG @#chat :ops only");
    hv_expect_exact(r.b, ":%s PRIVMSG @#chat :ops only", r.am);
    hv_expect_none(r.c, 300, "ops only");
    hv_expect_none(r.a, 100, "ops only");
    hv_send(r.a, "NOTICE @#chat :ops notice");
    hv_expect_exact(r.b, ":%s NOTICE @#chat :ops notice", r.am);
    hv_expect_none(r.c, 300, "ops notice");
    hv_stop(r.s);
}

/* Text with colons and repeated spaces is delivered byte for byte. */
Test(messaging, text_preserved)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG bob :a :b  c\x01" "ACTION waves\x01");
    hv_expect_exact(r.b, ":%s PRIVMSG bob :a :b  c\x01" "ACTION waves\x01", r.am);
    hv_send(r.a, "PRIVMSG bob single");
    hv_expect_exact(r.b, ":%s PRIVMSG bob :single", r.am);
    hv_stop(r.s);
}

/* Errors: 401 unknown nick/channel, 411 no recipient, 412 no text. */
Test(messaging, errors)
{
    struct room r;
    room(&r);
    hv_send(r.a, "PRIVMSG nosuch :hi");
    hv_expect_reply(r.a, "401", "alice nosuch", "No such nick/channel");
    hv_send(r.a, "PRIVMSG #nosuch :hi");
    hv_expect(r.a, "^:" SRV " (401|403) alice #nosuch :No such (nick/channel|channel)$");
    hv_send(r.a, "PRIVMSG");
    hv_expect_reply(r.a, "411", "alice", "No recipient given (PRIVMSG)");
    hv_send(r.a, "PRIVMSG bob");
    hv_expect_reply(r.a, "412", "alice", "No text to send");
    hv_send(r.a, "PRIVMSG bob :");
    hv_expect_reply(r.a, "412", "alice", "No text to send");
    hv_stop(r.s);
}

/* AWAY: 306/305, 301 to PRIVMSG senders, and in WHOIS. */
Test(messaging, away)
{
    struct room r;
    room(&r);
    hv_send(r.b, "AWAY :Gone fishing");
    hv_expect_reply(r.b, "306", "bob", "You have been marked as being away");
    hv_send(r.a, "PRIVMSG bob :are you there?");
    hv_expect_reply(r.a, "301", "alice bob", "Gone fishing");
    hv_expect(r.b, "PRIVMSG bob :are you there\\?$");
    hv_send(r.a, "NOTICE bob :notice");
    hv_sync(r.a);
    hv_expect_none(r.a, 200, " 301 ");
    hv_send(r.a, "WHOIS bob");
    hv_expect_reply(r.a, "301", "alice bob", "Gone fishing");
    hv_expect_numeric(r.a, "318");
    hv_send(r.a, "USERHOST bob");
    hv_expect(r.a, "^:" SRV " 302 alice :bob=-[^ ]+@[^ ]+ ?$");
    hv_send(r.b, "AWAY");
    hv_expect_reply(r.b, "305", "bob", "You are no longer marked as being away");
    hv_send(r.a, "PRIVMSG bob :back?");
    hv_expect(r.b, "PRIVMSG bob :back\\?$");
    hv_sync(r.a);
    hv_expect_none(r.a, 200, " 301 ");
    hv_stop(r.s);
}

/* A message to a channel reaches every member exactly once. */
Test(messaging, channel_fanout_once)
{
    struct room r;
    room(&r);
    hv_join(r.c, "#chat");
    hv_send(r.a, "PRIVMSG #chat :count me");
    hv_expect(r.b, "PRIVMSG #chat :count me$");
    hv_expect(r.c, "PRIVMSG #chat :count me$");
    hv_expect_none(r.b, 300, "count me");
    hv_expect_none(r.c, 100, "count me");
    hv_stop(r.s);
}
