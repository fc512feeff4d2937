/* test_channel.c — JOIN/PART/TOPIC/KICK/NAMES/LIST/INVITE shapes and rules. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(channel, .timeout = 60);

/* Make a user visible (-i): users are +i by default, which hides them from
 * NAMES/LIST counts seen by outsiders. */
static void visible(struct hv_client *c)
{
    hv_send(c, "MODE %s -i", c->nick);
    hv_expect(c, "MODE %s :?-i$", c->nick);
}

/* Copy a mask out of hv_mask's rotating buffer. */
static void mask_of(struct hv_client *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s", hv_mask(c));
}

/* JOIN echo, NAMES on join and the JOIN seen by existing members. */
Test(channel, join_shapes)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char am[256], bm[256];
    mask_of(a, am, sizeof am);
    mask_of(b, bm, sizeof bm);

    hv_send(a, "JOIN #test");
    hv_expect(a, "^:%s JOIN :?#test$", hv_re(am));
    hv_expect_reply(a, "353", "alice = #test", "@alice");
    hv_expect_reply(a, "366", "alice #test", "End of /NAMES list.");

    hv_send(b, "JOIN #test");
    hv_expect(b, "^:%s JOIN :?#test$", hv_re(bm));
    const char *names = hv_expect_reply(b, "353", "bob = #test", NULL);
    cr_expect(strstr(names, ":@alice bob") || strstr(names, ":bob @alice"), "NAMES: %s", names);
    hv_expect_reply(b, "366", "bob #test", "End of /NAMES list.");
    hv_expect(a, "^:%s JOIN :?#test$", hv_re(bm));
    /* joining again is silent */
    hv_send(b, "JOIN #test");
    hv_expect_none(a, 300, "JOIN");
    hv_stop(s);
}

/* PART with a reason goes to every member; errors for non-members. */
Test(channel, part)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char bm[256];
    mask_of(b, bm, sizeof bm);
    hv_join(a, "#test");
    hv_join(b, "#test");
    hv_send(b, "PART #test :see you later");
    hv_expect_exact(b, ":%s PART #test :see you later", bm);
    hv_expect_exact(a, ":%s PART #test :see you later", bm);
    hv_send(b, "PART #test");
    hv_expect_reply(b, "442", "bob #test", "You're not on that channel");
    hv_send(b, "PART #nowhere");
    hv_expect_reply(b, "403", "bob #nowhere", "No such channel");
    hv_stop(s);
}

/* JOIN a,b joins both; JOIN 0 parts everything. */
Test(channel, join_list_and_join_zero)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    char am[256];
    mask_of(a, am, sizeof am);
    hv_send(a, "JOIN #one,#two");
    hv_expect(a, "^:%s JOIN :?#one$", hv_re(am));
    hv_expect_numeric(a, "366");
    hv_expect(a, "^:%s JOIN :?#two$", hv_re(am));
    hv_expect_numeric(a, "366");
    hv_send(a, "JOIN 0");
    hv_expect(a, "^:%s PART #(one|two)", hv_re(am));
    hv_expect(a, "^:%s PART #(one|two)", hv_re(am));
    hv_send(a, "WHOIS alice");
    hv_expect_numeric(a, "318");
    cr_expect(hv_find(a, " 319 alice alice ") == NULL, "still in a channel after JOIN 0");
    hv_stop(s);
}

/* Topic set, query (332/333), shown on join, cleared (331). */
Test(channel, topic)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char am[256];
    mask_of(a, am, sizeof am);
    hv_join(a, "#test");
    hv_join(b, "#test");
    hv_send(b, "TOPIC #test");
    hv_expect_reply(b, "331", "bob #test", "No topic is set");
    hv_send(a, "TOPIC #test :Hello world: welcome");
    hv_expect_exact(a, ":%s TOPIC #test :Hello world: welcome", am);
    hv_expect_exact(b, ":%s TOPIC #test :Hello world: welcome", am);
    hv_send(b, "TOPIC #test");
    hv_expect_reply(b, "332", "bob #test", "Hello world: welcome");
    hv_expect(b, "^:" SRV " 333 bob #test (alice|%s) [0-9]{9,}$", hv_re(am));

    struct hv_client *c = hv_user(s, "carol");
    hv_send(c, "JOIN #test");
    hv_expect(c, " JOIN :?#test$");
    hv_expect_reply(c, "332", "carol #test", "Hello world: welcome");
    hv_expect(c, "^:" SRV " 333 carol #test ");
    hv_expect_numeric(c, "353");

    hv_send(a, "TOPIC #test :");
    hv_expect(b, "^:%s TOPIC #test :?$", hv_re(am));
    hv_send(b, "TOPIC #test");
    hv_expect_reply(b, "331", "bob #test", "No topic is set");
    hv_stop(s);
}

/* +t: only ops set the topic (482); without it anyone in the channel may;
 * outsiders never (442). */
Test(channel, topic_lock)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    char bm[256];
    mask_of(b, bm, sizeof bm);
    hv_join(a, "#test");
    hv_join(b, "#test");
    hv_send(a, "MODE #test +t");
    hv_expect(b, "MODE #test \\+t");
    hv_send(b, "TOPIC #test :mine");
    hv_expect_reply(b, "482", "bob #test", "You're not channel operator");
    hv_send(a, "MODE #test -t");
    hv_expect(b, "MODE #test -t");
    hv_send(b, "TOPIC #test :mine now");
    hv_expect_exact(a, ":%s TOPIC #test :mine now", bm);
    hv_send(c, "TOPIC #test :outsider");
    hv_expect_reply(c, "442", "carol #test", "You're not on that channel");
    hv_stop(s);
}

/* KICK: announced to all, victim leaves; errors 482 and 441. */
Test(channel, kick)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    char am[256];
    mask_of(a, am, sizeof am);
    hv_join(a, "#test");
    hv_join(b, "#test");
    hv_send(b, "KICK #test alice :no");
    hv_expect_reply(b, "482", "bob #test", "You're not channel operator");
    hv_send(a, "KICK #test carol :who");
    hv_expect_reply(a, "441", "alice carol #test", "They aren't on that channel");
    hv_send(a, "KICK #test bob :behave yourself");
    hv_expect_exact(a, ":%s KICK #test bob :behave yourself", am);
    hv_expect_exact(b, ":%s KICK #test bob :behave yourself", am);
    hv_send(a, "NAMES #test");
    hv_expect_reply(a, "353", "alice = #test", "@alice");
    hv_send(b, "KICK #test alice");
    hv_expect_reply(b, "442", "bob #test", "You're not on that channel");
    (void)c;
    hv_stop(s);
}

/* NAMES from outside: public channels list members, secret ones only 366. */
Test(channel, names_public_and_secret)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *c = hv_user(s, "carol");
    visible(a);
    hv_join(a, "#pub");
    hv_join(a, "#sec");
    hv_send(a, "MODE #sec +s");
    hv_expect(a, "MODE #sec \\+s");
    hv_send(c, "NAMES #pub");
    hv_expect_reply(c, "353", "carol = #pub", "@alice");
    hv_expect_reply(c, "366", "carol #pub", "End of /NAMES list.");
    hv_send(c, "NAMES #sec");
    hv_expect_reply(c, "366", "carol #sec", "End of /NAMES list.");
    cr_expect(hv_find(c, " 353 carol . #sec ") == NULL, "secret channel members leaked to outsider");
    hv_send(a, "NAMES #sec");
    hv_expect_reply(a, "353", "alice @ #sec", "@alice");
    hv_stop(s);
}

/* LIST: 322 per visible channel with count and topic, 323 at the end. */
Test(channel, list)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    visible(a);
    visible(b);
    hv_join(a, "#pub");
    hv_join(b, "#pub");
    hv_send(a, "TOPIC #pub :public things");
    hv_expect(a, "TOPIC #pub");
    hv_join(a, "#sec");
    hv_send(a, "MODE #sec +s");
    hv_expect(a, "MODE #sec \\+s");
    hv_send(c, "LIST");
    hv_expect_reply(c, "322", "carol #pub 2", "public things");
    hv_expect_reply(c, "323", "carol", "End of /LIST");
    cr_expect(hv_find(c, " 322 carol #sec ") == NULL, "secret channel listed to outsider");
    hv_send(a, "LIST #sec");
    hv_expect_reply(a, "322", "alice #sec 1", "");
    hv_expect_reply(a, "323", "alice", "End of /LIST");
    hv_stop(s);
}

/* +i: 473 until INVITEd; INVITE shapes (341 to inviter, INVITE to target). */
Test(channel, invite_only)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char am[256];
    mask_of(a, am, sizeof am);
    hv_join(a, "#priv");
    hv_send(a, "MODE #priv +i");
    hv_expect(a, "MODE #priv \\+i");
    hv_send(b, "JOIN #priv");
    hv_expect_reply(b, "473", "bob #priv", "Cannot join channel (+i)");
    hv_send(a, "INVITE bob #priv");
    hv_expect_reply(a, "341", "alice bob #priv", NULL);
    hv_expect(b, "^:%s INVITE bob :?#priv$", hv_re(am));
    hv_send(b, "JOIN #priv");
    hv_expect(b, " JOIN :?#priv$");
    hv_expect_numeric(b, "366");
    hv_stop(s);
}

/* INVITE errors: 442 (inviter not on channel), 443 (already on), 482 (+i, not op), 401. */
Test(channel, invite_errors)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    hv_join(a, "#priv");
    hv_join(b, "#priv");
    hv_send(a, "MODE #priv +i");
    hv_expect(b, "MODE #priv \\+i");
    hv_send(c, "INVITE bob #priv");
    hv_expect_reply(c, "442", "carol #priv", "You're not on that channel");
    hv_send(a, "INVITE bob #priv");
    hv_expect_reply(a, "443", "alice bob #priv", "is already on channel");
    hv_send(b, "INVITE carol #priv");
    hv_expect_reply(b, "482", "bob #priv", "You're not channel operator");
    hv_send(a, "INVITE nosuch #priv");
    hv_expect_reply(a, "401", "alice nosuch", "No such nick/channel");
    hv_stop(s);
}

/* QUIT and NICK reach the other members of shared channels, once. */
Test(channel, quit_and_nick_seen_by_members)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    char bm[256];
    mask_of(b, bm, sizeof bm);
    hv_join(a, "#one");
    hv_join(a, "#two");
    hv_join(b, "#one");
    hv_join(b, "#two");
    hv_send(b, "NICK bobby");
    hv_expect(a, "^:%s NICK :?bobby$", hv_re(bm));
    hv_expect_none(a, 300, " NICK ");
    snprintf(bm, sizeof bm, "bobby!%s@%s", b->user, b->host);
    hv_send(b, "QUIT :gone home");
    hv_expect(a, "^:%s QUIT :(Quit: )?gone home$", hv_re(bm));
    hv_expect_none(a, 300, " QUIT ");
    hv_stop(s);
}

/* An emptied channel disappears; the next joiner is op again. */
Test(channel, empty_channel_destroyed)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#tmp");
    hv_send(a, "TOPIC #tmp :old");
    hv_expect(a, "TOPIC #tmp");
    hv_send(a, "PART #tmp");
    hv_expect(a, " PART #tmp");
    hv_send(b, "JOIN #tmp");
    hv_expect_reply(b, "353", "bob = #tmp", "@bob");
    cr_expect(hv_find(b, " 332 bob #tmp ") == NULL, "topic survived an empty channel");
    hv_stop(s);
}

/* JOIN errors: 461 without parameters, 403 for a bad name. */
Test(channel, join_errors)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "JOIN");
    hv_expect_reply(a, "461", "alice JOIN", "Not enough parameters");
    hv_send(a, "JOIN nochan");
    hv_expect(a, "^:" SRV " (403|476) alice nochan :");
    hv_stop(s);
}
