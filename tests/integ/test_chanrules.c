/* test_chanrules.c — finer channel rules: mask normalisation, list limits,
 * mode parameter validation, positional keys, single-use invites, KICK
 * lists, KICKLEN, STATUSMSG '+', ELIST filters. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(chanrules, .timeout = 60);

/* alice (op) and bob in #r, carol outside. */
struct set {
    struct hv_server *s;
    struct hv_client *a, *b, *c;
    char am[256];
};

/* Start a server with opts and set up the three users. */
static void setup(struct set *t, const struct hv_opts *o)
{
    t->s = hv_start(o);
    t->a = hv_user(t->s, "alice");
    t->b = hv_user(t->s, "bob");
    t->c = hv_user(t->s, "carol");
    snprintf(t->am, sizeof t->am, "%s", hv_mask(t->a));
    hv_join(t->a, "#r");
    hv_join(t->b, "#r");
    hv_expect(t->a, " JOIN :?#r$");
}

/* A bare nick as a ban mask becomes nick!*@*; setting it twice is silent. */
Test(chanrules, ban_mask_normalised_and_deduplicated)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r +b dave");
    hv_expect_exact(t.b, ":%s MODE #r +b dave!*@*", t.am);
    hv_send(t.a, "MODE #r +b dave!*@*");
    hv_sync(t.a);
    hv_expect_none(t.b, 300, "MODE #r");
    hv_stop(t.s);
}

/* MAXLIST: the list refuses entries past limits.max_list with 478. */
Test(chanrules, ban_list_full)
{
    struct hv_opts o = { .extra = "limits = { max_list = 2; };" };
    struct set t;
    setup(&t, &o);
    hv_send(t.a, "MODE #r +b a!*@*");
    hv_send(t.a, "MODE #r +b b!*@*");
    hv_send(t.a, "MODE #r +b c!*@*");
    hv_expect(t.a, "^:" SRV " 478 alice #r (b |c!\\*@\\* )?:.+$");
    hv_send(t.a, "MODE #r +b");
    hv_expect_numeric(t.a, "368");
    cr_expect(hv_find(t.a, " 367 alice #r c!\\*@\\* ") == NULL, "third ban stored past MAXLIST=2");
    hv_stop(t.s);
}

/* +k and +l without a parameter do nothing; bad +l values are refused. */
Test(chanrules, mode_parameter_validation)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r +k");
    hv_send(t.a, "MODE #r +l");
    hv_send(t.a, "MODE #r +l notanumber");
    hv_send(t.a, "MODE #r +l -5");
    hv_sync(t.a);
    hv_expect_none(t.b, 300, "MODE #r \\+[kl]");
    hv_send(t.a, "MODE #r");
    const char *l = hv_expect_numeric(t.a, "324");
    cr_expect(!strchr(strstr(l, "#r ") + 3, 'k') && !strchr(strstr(l, "#r ") + 3, 'l'),
              "324 after invalid +k/+l: %s", l);
    hv_stop(t.s);
}

/* -k removes the key whatever parameter is given; non-members do not see it. */
Test(chanrules, key_removal_and_visibility)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r +k sesame");
    hv_expect(t.b, "MODE #r \\+k sesame$");
    hv_send(t.c, "MODE #r");
    const char *l = hv_expect_numeric(t.c, "324");
    cr_expect(strstr(l, "sesame") == NULL, "key shown to a non-member: %s", l);
    hv_send(t.a, "MODE #r -k wrong");
    hv_expect(t.b, "MODE #r -k");
    hv_join(t.c, "#r");
    hv_stop(t.s);
}

/* JOIN #a,#b k1,k2 uses keys by position. */
Test(chanrules, positional_keys)
{
    struct set t;
    setup(&t, NULL);
    hv_join(t.a, "#k1");
    hv_join(t.a, "#k2");
    hv_send(t.a, "MODE #k1 +k one");
    hv_send(t.a, "MODE #k2 +k two");
    hv_sync(t.a);
    hv_send(t.c, "JOIN #k1,#k2 one,two");
    hv_expect(t.c, " JOIN :?#k1$");
    hv_expect(t.c, " JOIN :?#k2$");
    hv_stop(t.s);
}

/* An INVITE is used up by the JOIN it allowed. */
Test(chanrules, invite_is_single_use)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r +i");
    hv_expect(t.b, "MODE #r \\+i");
    hv_send(t.a, "INVITE carol #r");
    hv_expect(t.c, " INVITE carol :?#r$");
    hv_join(t.c, "#r");
    hv_send(t.c, "PART #r");
    hv_expect(t.c, " PART #r");
    hv_send(t.c, "JOIN #r");
    hv_expect_reply(t.c, "473", "carol #r", "Cannot join channel (+i)");
    hv_stop(t.s);
}

/* KICK a,b kicks both; reasons are cut to KICKLEN. */
Test(chanrules, kick_list_and_kicklen)
{
    struct hv_opts o = { .extra = "limits = { kicklen = 10; };" };
    struct set t;
    setup(&t, &o);
    hv_join(t.c, "#r");
    hv_send(t.a, "KICK #r bob,carol :0123456789abcdef");
    const char *l1 = hv_expect(t.a, " KICK #r bob :");
    const char *l2 = hv_expect(t.a, " KICK #r carol :");
    cr_expect(strlen(strstr(l1, " :") + 2) <= 10, "KICK reason longer than KICKLEN=10: %s", l1);
    cr_expect(strlen(strstr(l2, " :") + 2) <= 10, "KICK reason longer than KICKLEN=10: %s", l2);
    hv_stop(t.s);
}

/* +#chan reaches voiced members and ops, not plain members. */
Test(chanrules, statusmsg_voice)
{
    struct set t;
    setup(&t, NULL);
    hv_join(t.c, "#r");
    hv_send(t.a, "MODE #r +v bob");
    hv_expect(t.c, "MODE #r \\+v bob");
    hv_send(t.c, "PRIVMSG +#r :voices and ops");
    hv_expect(t.a, "PRIVMSG \\+#r :voices and ops$");
    hv_expect(t.b, "PRIVMSG \\+#r :voices and ops$");
    hv_expect_none(t.c, 300, "voices and ops");
    hv_stop(t.s);
}

/* Does any line from index `from` on contain needle? */
static bool since(const struct hv_client *c, size_t from, const char *needle)
{
    for (size_t i = from; i < c->nlines; i++)
        if (strstr(c->lines[i], needle))
            return true;
    return false;
}

/* Make alice and bob visible and give alice a second, single-user channel. */
static void list_setup(struct set *t)
{
    setup(t, NULL);
    hv_send(t->a, "MODE alice -i");
    hv_send(t->b, "MODE bob -i");
    hv_join(t->a, "#solo");
    hv_sync(t->a);
    hv_sync(t->b);
}

/* Run a LIST; which of #r and #solo are listed? */
static void list_check(struct hv_client *c, const char *arg, bool want_r, bool want_solo)
{
    size_t from = c->nlines;
    hv_send(c, "LIST %s", arg);
    hv_expect_numeric(c, "323");
    cr_expect_eq(since(c, from, " 322 carol #r "), want_r, "LIST %s: #r %s", arg,
                 want_r ? "missing" : "listed");
    cr_expect_eq(since(c, from, " 322 carol #solo "), want_solo, "LIST %s: #solo %s", arg,
                 want_solo ? "missing" : "listed");
}

/* ELIST=U: LIST >n and <n filter by user count. */
Test(chanrules, list_filter_users)
{
    struct set t;
    list_setup(&t);
    list_check(t.c, ">1", true, false);
    list_check(t.c, "<2", false, true);
    hv_stop(t.s);
}

/* ELIST=M and N (advertised): LIST mask and LIST !mask. */
Test(chanrules, list_filter_masks)
{
    struct set t;
    list_setup(&t);
    list_check(t.c, "#so*", false, true);
    list_check(t.c, "!#so*", true, false);
    hv_stop(t.s);
}

/* ELIST=C and T (advertised): creation and topic time filters, in minutes. */
Test(chanrules, list_filter_times)
{
    struct set t;
    list_setup(&t);
    hv_send(t.a, "TOPIC #r :a topic");
    hv_expect(t.b, "TOPIC #r");
    list_check(t.c, "C<5", true, true);    /* created less than 5 minutes ago */
    list_check(t.c, "C>5", false, false);  /* created more than 5 minutes ago */
    list_check(t.c, "T<5", true, false);   /* topic set less than 5 minutes ago */
    hv_stop(t.s);
}

/* NAMES without parameters ends with 366 for "*". */
Test(chanrules, names_without_params)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.c, "NAMES");
    hv_expect(t.c, "^:" SRV " 366 carol \\* :End of /NAMES list\\.$");
    hv_stop(t.s);
}

/* Ops can deop themselves; a channel may end up with no op. */
Test(chanrules, self_deop)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r -o alice");
    hv_expect_exact(t.b, ":%s MODE #r -o alice", t.am);
    hv_send(t.a, "MODE #r +m");
    hv_expect_reply(t.a, "482", "alice #r", "You're not channel operator");
    hv_stop(t.s);
}

/* A topic on a secret channel is not readable from outside. */
Test(chanrules, secret_channel_topic_hidden)
{
    struct set t;
    setup(&t, NULL);
    hv_send(t.a, "MODE #r +s");
    hv_send(t.a, "TOPIC #r :hidden topic");
    hv_expect(t.b, "TOPIC #r :hidden topic");
    hv_send(t.c, "TOPIC #r");
    hv_expect(t.c, "^:" SRV " (442|403) carol #r :");
    cr_expect(hv_find(t.c, "hidden topic") == NULL, "secret topic leaked");
    hv_stop(t.s);
}
