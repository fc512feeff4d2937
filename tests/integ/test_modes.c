/* test_modes.c — channel modes (o v m n t b e I k l i s) and user modes. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(modes, .timeout = 60);

/* A server with alice (op of #m) and bob in #m, carol outside. */
struct trio {
    struct hv_server *s;
    struct hv_client *a, *b, *c;
    char am[256], bm[256];
};

/* Set up the trio. */
static void trio(struct trio *t)
{
    t->s = hv_start(NULL);
    t->a = hv_user(t->s, "alice");
    t->b = hv_user(t->s, "bob");
    t->c = hv_user(t->s, "carol");
    snprintf(t->am, sizeof t->am, "%s", hv_mask(t->a));
    snprintf(t->bm, sizeof t->bm, "%s", hv_mask(t->b));
    hv_join(t->a, "#m");
    hv_join(t->b, "#m");
    hv_expect(t->a, " JOIN :?#m$");
}

/* alice sets a mode; both members see it exactly. */
static void set_mode(struct trio *t, const char *change)
{
    hv_send(t->a, "MODE #m %s", change);
    hv_expect_exact(t->a, ":%s MODE #m %s", t->am, change);
    hv_expect_exact(t->b, ":%s MODE #m %s", t->am, change);
}

/* MODE #chan: 324 and 329 shapes. */
Test(modes, channel_mode_query)
{
    struct trio t;
    trio(&t);
    hv_send(t.b, "MODE #m");
    hv_expect(t.b, "^:" SRV " 324 bob #m \\+[a-zA-Z]*$");
    hv_expect(t.b, "^:" SRV " 329 bob #m [0-9]{9,}$");
    set_mode(&t, "+k sekrit");
    hv_send(t.b, "MODE #m");
    hv_expect(t.b, "^:" SRV " 324 bob #m \\+[a-zA-Z]*k[a-zA-Z]* sekrit$");
    hv_stop(t.s);
}

/* +o / -o / +v change NAMES prefixes and are broadcast. */
Test(modes, op_and_voice)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+o bob");
    hv_send(t.a, "NAMES #m");
    const char *l = hv_expect_numeric(t.a, "353");
    cr_expect(strstr(l, "@bob"), "bob not op in NAMES: %s", l);
    set_mode(&t, "-o bob");
    set_mode(&t, "+v bob");
    hv_send(t.a, "NAMES #m");
    l = hv_expect_numeric(t.a, "353");
    cr_expect(strstr(l, "+bob"), "bob not voiced in NAMES: %s", l);
    /* several modes in one command */
    hv_send(t.a, "MODE #m +o-v bob bob");
    hv_expect(t.b, "^:%s MODE #m \\+o-v bob bob$", hv_re(t.am));
    hv_stop(t.s);
}

/* +m: only voiced or opped members speak (404 otherwise). */
Test(modes, moderated)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+m");
    hv_send(t.b, "PRIVMSG #m :can I talk?");
    hv_expect_reply(t.b, "404", "bob #m", "Cannot send to channel");
    hv_expect_none(t.a, 300, "can I talk");
    set_mode(&t, "+v bob");
    hv_send(t.b, "PRIVMSG #m :now I can");
    hv_expect_exact(t.a, ":%s PRIVMSG #m :now I can", t.bm);
    hv_stop(t.s);
}

/* +n blocks outsiders; -n lets them in. */
Test(modes, no_external)
{
    struct trio t;
    trio(&t);
    char cm[256];
    snprintf(cm, sizeof cm, "%s", hv_mask(t.c));
    hv_send(t.a, "MODE #m +n");
    hv_sync(t.a);
    hv_send(t.c, "PRIVMSG #m :from outside");
    hv_expect_reply(t.c, "404", "carol #m", "Cannot send to channel");
    hv_send(t.a, "MODE #m -n");
    hv_expect(t.b, "MODE #m -n");
    hv_send(t.c, "PRIVMSG #m :from outside");
    hv_expect_exact(t.a, ":%s PRIVMSG #m :from outside", cm);
    hv_stop(t.s);
}

/* +b: banned members can't speak, banned users can't join; list shapes. */
Test(modes, ban)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+b bob!*@*");
    hv_send(t.b, "PRIVMSG #m :hello?");
    hv_expect_reply(t.b, "404", "bob #m", "Cannot send to channel");
    hv_expect_none(t.a, 300, "hello\\?");
    hv_send(t.b, "PART #m");
    hv_expect(t.b, " PART #m");
    hv_send(t.b, "JOIN #m");
    hv_expect_reply(t.b, "474", "bob #m", "Cannot join channel (+b)");
    hv_send(t.a, "MODE #m +b");
    hv_expect(t.a, "^:" SRV " 367 alice #m bob!\\*@\\* [^ ]+ [0-9]{9,}$");
    hv_expect_reply(t.a, "368", "alice #m", "End of channel ban list");
    hv_send(t.a, "MODE #m -b bob!*@*");
    hv_expect_exact(t.a, ":%s MODE #m -b bob!*@*", t.am);
    hv_join(t.b, "#m");
    hv_stop(t.s);
}

/* A ban on the cloaked host matches too. */
Test(modes, ban_on_cloak)
{
    struct trio t;
    trio(&t);
    char change[300];
    snprintf(change, sizeof change, "+b *!*@%s", t.b->host);
    set_mode(&t, change);
    hv_send(t.b, "PART #m");
    hv_expect(t.b, " PART #m");
    hv_send(t.b, "JOIN #m");
    hv_expect_reply(t.b, "474", "bob #m", "Cannot join channel (+b)");
    hv_stop(t.s);
}

/* +e overrides +b; list shapes 348/349. */
Test(modes, ban_exception)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+b *!*@*");
    hv_send(t.b, "PART #m");
    hv_expect(t.b, " PART #m");
    hv_send(t.a, "MODE #m +e bob!*@*");
    hv_expect_exact(t.a, ":%s MODE #m +e bob!*@*", t.am);
    hv_join(t.b, "#m");
    hv_send(t.c, "JOIN #m");
    hv_expect_reply(t.c, "474", "carol #m", "Cannot join channel (+b)");
    hv_send(t.a, "MODE #m e");
    hv_expect(t.a, "^:" SRV " 348 alice #m bob!\\*@\\* [^ ]+ [0-9]{9,}$");
    hv_expect_reply(t.a, "349", "alice #m", "End of channel exception list");
    hv_stop(t.s);
}

/* +I lets matching users into a +i channel; list shapes 346/347. */
Test(modes, invite_exception)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+i");
    hv_send(t.b, "PART #m");
    hv_expect(t.b, " PART #m");
    hv_send(t.a, "MODE #m +I bob!*@*");
    hv_expect_exact(t.a, ":%s MODE #m +I bob!*@*", t.am);
    hv_join(t.b, "#m");
    hv_send(t.c, "JOIN #m");
    hv_expect_reply(t.c, "473", "carol #m", "Cannot join channel (+i)");
    hv_send(t.a, "MODE #m I");
    hv_expect(t.a, "^:" SRV " 346 alice #m bob!\\*@\\* [^ ]+ [0-9]{9,}$");
    hv_expect(t.a, "^:" SRV " 347 alice #m :End of [Cc]hannel [Ii]nvite( [Ee]xception)? [Ll]ist$");
    hv_stop(t.s);
}

/* +k: 475 without or with a wrong key; the right key joins. */
Test(modes, key)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+k sekrit");
    hv_send(t.c, "JOIN #m");
    hv_expect_reply(t.c, "475", "carol #m", "Cannot join channel (+k)");
    hv_send(t.c, "JOIN #m wrong");
    hv_expect_reply(t.c, "475", "carol #m", "Cannot join channel (+k)");
    hv_send(t.c, "JOIN #m sekrit");
    hv_expect(t.c, " JOIN :?#m$");
    hv_expect_numeric(t.c, "366");
    hv_stop(t.s);
}

/* +l: 471 once the channel is full; -l lifts it. */
Test(modes, limit)
{
    struct trio t;
    trio(&t);
    set_mode(&t, "+l 2");
    hv_send(t.c, "JOIN #m");
    hv_expect_reply(t.c, "471", "carol #m", "Cannot join channel (+l)");
    set_mode(&t, "-l");
    hv_join(t.c, "#m");
    hv_stop(t.s);
}

/* Unknown channel mode: 472. */
Test(modes, unknown_mode_char)
{
    struct trio t;
    trio(&t);
    hv_send(t.a, "MODE #m +Z");
    hv_expect_reply(t.a, "472", "alice Z", "is unknown mode char to me");
    hv_stop(t.s);
}

/* Non-ops can query but not change: 482. */
Test(modes, non_op_cannot_change)
{
    struct trio t;
    trio(&t);
    hv_send(t.b, "MODE #m +m");
    hv_expect_reply(t.b, "482", "bob #m", "You're not channel operator");
    hv_send(t.b, "MODE #m +o bob");
    hv_expect_reply(t.b, "482", "bob #m", "You're not channel operator");
    hv_send(t.b, "MODE #m");
    hv_expect_numeric(t.b, "324");
    hv_stop(t.s);
}

/* +o on a non-member (441), an unknown nick (401), an unknown channel (403). */
Test(modes, mode_target_errors)
{
    struct trio t;
    trio(&t);
    hv_send(t.a, "MODE #m +o carol");
    hv_expect_reply(t.a, "441", "alice carol #m", "They aren't on that channel");
    hv_send(t.a, "MODE #m +o nosuch");
    hv_expect_reply(t.a, "401", "alice nosuch", "No such nick/channel");
    hv_send(t.a, "MODE #nowhere");
    hv_expect_reply(t.a, "403", "alice #nowhere", "No such channel");
    hv_stop(t.s);
}

/* User modes: 221 query, +w/-i change echoed, 501 unknown, 502 other user,
 * +o cannot be set by MODE. */
Test(modes, user_modes)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    (void)b;
    hv_send(a, "MODE alice");
    hv_expect(a, "^:" SRV " 221 alice :?\\+[a-z]*$");
    hv_send(a, "MODE alice +w");
    hv_expect(a, "^:alice(![^ ]+)? MODE alice :?\\+w$");
    hv_send(a, "MODE alice -i");
    hv_expect(a, "^:alice(![^ ]+)? MODE alice :?-i$");
    hv_send(a, "MODE alice");
    const char *l = hv_expect(a, "^:" SRV " 221 alice :?\\+[a-z]*$");
    cr_expect(strchr(strrchr(l, '+'), 'w') && !strchr(strrchr(l, '+'), 'i'), "221 after +w-i: %s", l);
    hv_send(a, "MODE alice +Z");
    hv_expect(a, "^:" SRV " 501 alice :Unknown MODE flag$");
    hv_send(a, "MODE bob +i");
    hv_expect(a, "^:" SRV " 502 alice :Can'?t change mode for other users$");
    hv_send(a, "MODE alice +o");
    hv_sync(a);
    hv_send(a, "MODE alice");
    l = hv_expect_numeric(a, "221");
    cr_expect(!strchr(strrchr(l, '+'), 'o'), "user made themselves oper with MODE +o: %s", l);
    hv_stop(s);
}

/* The MODES limit caps parameter modes per command. */
Test(modes, modes_limit)
{
    struct trio t;
    trio(&t);
    /* MODES=4 by default: 5 bans in one command set at most 4 */
    hv_send(t.a, "MODE #m +bbbbb a!*@* b!*@* c!*@* d!*@* e!*@*");
    hv_sync(t.a);
    hv_send(t.a, "MODE #m +b");
    hv_expect_numeric(t.a, "368");
    int n = 0;
    for (size_t i = 0; i < t.a->nlines; i++)
        if (strstr(t.a->lines[i], " 367 alice #m "))
            n++;
    cr_expect_leq(n, 4, "more than MODES=4 parameter modes applied: %d", n);
    cr_expect_geq(n, 1, "no ban applied at all");
    hv_stop(t.s);
}
