/* test_ircv3.c — capability negotiation and the capabilities that change
 * the shape of events: multi-prefix, userhost-in-names, no-implicit-names,
 * away-notify, invite-notify, setname, chghost, standard-replies. Each
 * event is watched by a client that has the cap and one that does not.
 * (MONITOR, WHOX, UTF8ONLY, bot mode and the message-tags family are in
 * test_ircv3_more.c.) */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(ircv3, .timeout = 90);

/* Connect, negotiate caps (space-separated, may be NULL) and register. */
static struct hv_client *capuser(struct hv_server *s, const char *nick, const char *caps)
{
    struct hv_client *c = hv_connect(s);
    if (caps && *caps) {
        hv_send(c, "CAP REQ :%s", caps);
        hv_expect(c, "^(@[^ ]+ )?:" SRV " CAP \\* ACK :%s$", hv_re(caps));
        hv_send(c, "CAP END");
    }
    hv_register(c, nick);
    hv_mask(c);
    return c;
}

/* JOIN and wait for our own JOIN echo (for clients that get no NAMES). */
static void join_quiet(struct hv_client *c, const char *chan)
{
    hv_send(c, "JOIN %s", chan);
    hv_expect(c, "^:%s JOIN %s$", hv_re(hv_mask(c)), hv_re(chan));
}

/* Every "CAP * LS" line's list after CAP LS 302, joined with spaces. */
static void cap_ls(struct hv_client *c, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    hv_send(c, "CAP LS 302");
    for (;;) {
        const char *l = hv_expect(c, "^:" SRV " CAP \\* LS ");
        const char *more = strstr(l, " LS * :");
        const char *list = strstr(l, " :");
        cr_assert(list);
        n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", list + 2);
        if (!more)
            break;
    }
}

/* Is the capability (with or without a value) in the space-separated list? */
static bool has_cap(const char *list, const char *cap)
{
    size_t n = strlen(cap);
    for (const char *p = list; (p = strstr(p, cap)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '='))
            return true;
    return false;
}

/* ------------------------------------------------------------ negotiation */

/* CAP LS 302 offers every cap of this part; setname only when realnames
 * are the ones users send. */
Test(ircv3, cap_ls_lists_caps)
{
    static const char *const mine[] = { "multi-prefix", "userhost-in-names", "no-implicit-names", "away-notify",
                                        "invite-notify", "chghost", "standard-replies", "message-tags",
                                        "server-time", "echo-message", "batch", "labeled-response",
                                        "cap-notify" };
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    char list[2048];
    cap_ls(c, list, sizeof list);
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
        cr_expect(has_cap(list, mine[i]), "%s missing from CAP LS: %s", mine[i], list);
    cr_expect(!has_cap(list, "setname"), "setname offered with constant realnames: %s", list);
    hv_stop(s);

    struct hv_opts o = { .extra = "privacy = { show_sent_realname = true; };" };
    s = hv_start(&o);
    c = hv_connect(s);
    cap_ls(c, list, sizeof list);
    cr_expect(has_cap(list, "setname"), "setname missing: %s", list);
    hv_stop(s);
}

/* REQ is all or nothing: one unknown cap NAKs the whole request; an
 * unknown subcommand is 410. */
Test(ircv3, cap_req_nak_and_410)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *c = hv_connect(s);
    hv_send(c, "CAP REQ :multi-prefix no-such-cap away-notify");
    hv_expect_exact(c, ":irc.test.local CAP * NAK :multi-prefix no-such-cap away-notify");
    hv_send(c, "CAP LIST");
    hv_expect_exact(c, ":irc.test.local CAP * LIST :");
    hv_send(c, "CAP FROB");
    hv_expect_exact(c, ":irc.test.local 410 * FROB :Invalid CAP command");
    hv_send(c, "CAP REQ :multi-prefix away-notify");
    hv_expect_exact(c, ":irc.test.local CAP * ACK :multi-prefix away-notify");
    hv_send(c, "CAP LIST");
    hv_expect(c, "^:" SRV " CAP \\* LIST :(multi-prefix away-notify|away-notify multi-prefix)$");
    hv_send(c, "CAP END");
    hv_register(c, "alice");
    hv_send(c, "CAP BOGUS");
    hv_expect_exact(c, ":irc.test.local 410 alice BOGUS :Invalid CAP command");
    hv_stop(s);
}

/* ------------------------------------------------------------ NAMES and WHO */

/* multi-prefix: NAMES and WHO show "@+" to clients with the cap, "@" to
 * the others. */
Test(ircv3, multi_prefix)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_join(a, "#m");
    hv_send(a, "MODE #m +v alice");
    hv_expect(a, "MODE #m \\+v alice$");
    struct hv_client *with = capuser(s, "carol", "multi-prefix"), *without = capuser(s, "dave", NULL);
    hv_send(with, "JOIN #m");
    hv_expect_exact(with, ":irc.test.local 353 carol = #m :@+alice carol");
    hv_expect_exact(with, ":irc.test.local 366 carol #m :End of /NAMES list.");
    hv_send(without, "JOIN #m");
    hv_expect_exact(without, ":irc.test.local 353 dave = #m :@alice carol dave");
    hv_send(with, "WHO #m");
    hv_expect(with, "^:" SRV " 352 carol #m user [^ ]+ " SRV " alice H@\\+ :0 havend user$");
    hv_send(without, "WHO #m");
    hv_expect(without, "^:" SRV " 352 dave #m user [^ ]+ " SRV " alice H@ :0 havend user$");
    hv_stop(s);
}

/* userhost-in-names: NAMES entries are nick!user@host (public fields). */
Test(ircv3, userhost_in_names)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_join(a, "#u");
    struct hv_client *with = capuser(s, "carol", "userhost-in-names multi-prefix");
    struct hv_client *without = capuser(s, "dave", NULL);
    hv_join(with, "#u");
    hv_join(without, "#u");
    hv_send(with, "NAMES #u");
    hv_expect_exact(with, ":irc.test.local 353 carol = #u :@%s %s %s", hv_mask(a), hv_mask(with), hv_mask(without));
    hv_send(without, "NAMES #u");
    hv_expect_exact(without, ":irc.test.local 353 dave = #u :@alice carol dave");
    hv_stop(s);
}

/* no-implicit-names: no 353/366 after JOIN, but NAMES still answers. */
Test(ircv3, no_implicit_names)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *with = capuser(s, "carol", "no-implicit-names");
    struct hv_client *without = capuser(s, "dave", NULL);
    join_quiet(with, "#n");
    hv_sync(with);
    hv_expect_none(with, 200, " (353|366) ");
    hv_send(without, "JOIN #n");
    hv_expect_exact(without, ":irc.test.local 353 dave = #n :@carol dave");
    hv_expect_exact(without, ":irc.test.local 366 dave #n :End of /NAMES list.");
    hv_send(with, "NAMES #n");
    hv_expect_exact(with, ":irc.test.local 353 carol = #n :@carol dave");
    hv_expect_exact(with, ":irc.test.local 366 carol #n :End of /NAMES list.");
    hv_stop(s);
}

/* ------------------------------------------------------------ away-notify */

/* AWAY changes go to common-channel members with away-notify; a joining
 * away user is announced as away to them. */
Test(ircv3, away_notify)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *with = capuser(s, "alice", "away-notify");
    struct hv_client *without = capuser(s, "bob", NULL);
    struct hv_client *c = hv_user(s, "carol");
    hv_join(with, "#a");
    hv_join(without, "#a");
    hv_join(c, "#a");
    const char *cm = hv_mask(c);

    hv_send(c, "AWAY :gone to lunch");
    hv_expect_numeric(c, "306");
    hv_expect_exact(with, ":%s AWAY :gone to lunch", cm);
    hv_send(c, "AWAY :still at lunch");
    hv_expect_exact(with, ":%s AWAY :still at lunch", cm);
    hv_send(c, "AWAY");
    hv_expect_numeric(c, "305");
    hv_expect_exact(with, ":%s AWAY", cm);
    /* un-away while not away: nothing to say */
    hv_send(c, "AWAY");
    hv_expect_numeric(c, "305");
    hv_sync(with);
    hv_expect_none(with, 200, " AWAY");
    /* the one without the cap never saw any of it, nor carol herself */
    hv_sync(without);
    hv_expect_none(without, 100, " AWAY");
    cr_expect(hv_find(c, "^:[^ ]+ AWAY") == NULL, "AWAY echoed to its sender");

    /* dave joins while away */
    struct hv_client *d = hv_user(s, "dave");
    hv_send(d, "AWAY :zzz");
    hv_expect_numeric(d, "306");
    hv_join(d, "#a");
    hv_expect_exact(with, ":%s JOIN #a", hv_mask(d));
    hv_expect_exact(with, ":%s AWAY :zzz", hv_mask(d));
    hv_expect_exact(without, ":%s JOIN #a", hv_mask(d));
    hv_sync(without);
    hv_expect_none(without, 100, " AWAY");
    hv_stop(s);
}

/* ------------------------------------------------------------ invite-notify */

/* INVITE is announced to members with invite-notify (all of them on an
 * open channel, ops only under +i), never to the inviter or others. */
Test(ircv3, invite_notify)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = capuser(s, "alice", "invite-notify");
    struct hv_client *b = capuser(s, "bob", "invite-notify");
    struct hv_client *c = capuser(s, "carol", NULL);
    struct hv_client *d = capuser(s, "dave", "invite-notify");
    struct hv_client *e = hv_user(s, "eve"), *f = hv_user(s, "frank");
    hv_join(a, "#i");
    hv_join(b, "#i");
    hv_join(c, "#i");
    hv_join(d, "#i");
    hv_send(a, "MODE #i +o dave");
    hv_expect(d, "MODE #i \\+o dave$");

    hv_send(a, "INVITE eve #i");
    hv_expect_exact(a, ":irc.test.local 341 alice eve #i");
    hv_expect_exact(e, ":%s INVITE eve #i", hv_mask(a));
    hv_expect_exact(b, ":%s INVITE eve #i", hv_mask(a));
    hv_expect_exact(d, ":%s INVITE eve #i", hv_mask(a));
    hv_sync(a);
    hv_sync(c);
    cr_expect(hv_find(a, " INVITE eve ") == NULL, "the inviter got INVITE");
    cr_expect(hv_find(c, " INVITE ") == NULL, "a client without invite-notify got INVITE");

    hv_send(a, "MODE #i +i");
    hv_expect(b, "MODE #i \\+i$");
    hv_send(a, "INVITE frank #i");
    hv_expect_exact(f, ":%s INVITE frank #i", hv_mask(a));
    hv_expect_exact(d, ":%s INVITE frank #i", hv_mask(a));
    hv_sync(b);
    cr_expect(hv_find(b, " INVITE frank ") == NULL, "a non-op saw an invite to a +i channel");
    hv_stop(s);
}

/* ------------------------------------------------------------ setname */

/* With constant public realnames, SETNAME is refused. */
Test(ircv3, setname_refused_when_realnames_are_constant)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "SETNAME :Alice Liddell");
    hv_expect_exact(a, ":irc.test.local FAIL SETNAME CANNOT_CHANGE_REALNAME :Realnames cannot be changed on this network");
    hv_send(a, "WHOIS alice");
    hv_expect(a, "^:" SRV " 311 alice alice user [^ ]+ \\* :havend user$");
    hv_stop(s);
}

/* SETNAME goes to the user and common-channel members with the cap; WHOIS
 * shows the new realname; an over-long one is INVALID_REALNAME. */
Test(ircv3, setname)
{
    struct hv_opts o = { .extra = "privacy = { show_sent_realname = true; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = capuser(s, "alice", "setname");
    struct hv_client *b = capuser(s, "bob", "setname");
    struct hv_client *c = capuser(s, "carol", NULL);
    hv_join(a, "#s");
    hv_join(b, "#s");
    hv_join(c, "#s");
    hv_send(a, "SETNAME :Alice Liddell");
    hv_expect_exact(a, ":%s SETNAME :Alice Liddell", hv_mask(a));
    hv_expect_exact(b, ":%s SETNAME :Alice Liddell", hv_mask(a));
    hv_sync(c);
    cr_expect(hv_find(c, " SETNAME ") == NULL, "SETNAME to a client without the cap");
    hv_send(c, "WHOIS alice");
    hv_expect(c, "^:" SRV " 311 carol alice user [^ ]+ \\* :Alice Liddell$");

    char longname[100];
    memset(longname, 'x', 80);
    longname[80] = '\0';
    hv_send(a, "SETNAME :%s", longname);
    hv_expect_exact(a, ":irc.test.local FAIL SETNAME INVALID_REALNAME :Realname is not valid");
    /* without the cap: applied silently */
    hv_send(c, "SETNAME :Carol");
    hv_expect_exact(a, ":%s SETNAME :Carol", hv_mask(c));
    hv_sync(c);
    cr_expect(hv_find(c, " SETNAME :Carol") == NULL, "SETNAME echoed to a client without the cap");
    hv_stop(s);
}

/* The server's config file with `from` replaced by `to`, written back,
 * then REHASH by SIGHUP. */
static void rehash_replacing(struct hv_server *s, const char *from, const char *to)
{
    FILE *f = fopen(s->conf_path, "r");
    cr_assert(f);
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *at = strstr(buf, from);
    cr_assert(at, "%s not in the config", from);
    char out[16500];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
    hv_write_file(s->conf_path, out);
    kill(s->pid, SIGHUP);
}

/* REHASH switching show_sent_realname brings CAP NEW / DEL setname to
 * cap-notify clients, and SETNAME follows. */
Test(ircv3, setname_follows_rehash)
{
    struct hv_opts o = { .extra = "privacy = { show_sent_realname = false; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_connect(s);
    hv_send(a, "CAP LS 302");
    hv_expect(a, "^:" SRV " CAP \\* LS :");
    hv_send(a, "CAP END");
    hv_register(a, "alice");
    rehash_replacing(s, "show_sent_realname = false", "show_sent_realname = true");
    hv_expect_ms(a, 5000, "^:" SRV " CAP alice NEW :setname$");
    hv_send(a, "CAP REQ :setname");
    hv_expect_exact(a, ":irc.test.local CAP alice ACK :setname");
    hv_send(a, "SETNAME :New Name");
    hv_expect_exact(a, ":%s SETNAME :New Name", hv_mask(a));
    rehash_replacing(s, "show_sent_realname = true", "show_sent_realname = false");
    hv_expect_ms(a, 5000, "^:" SRV " CAP alice DEL :setname$");
    hv_send(a, "SETNAME :Other");
    hv_expect(a, "^:" SRV " FAIL SETNAME CANNOT_CHANGE_REALNAME :");
    hv_stop(s);
}

/* ------------------------------------------------------------ chghost */

/* The test-only module "testhost" changes its caller's user@host through
 * the module API (hv_user_set_host -> user_change_host). */
static struct hv_server *chghost_server(void)
{
    static char extra[1200];
    const char *b = getenv("HAVEND_BUILDDIR");
    cr_assert(b && *b, "HAVEND_BUILDDIR is not set (run through meson test)");
    snprintf(extra, sizeof extra, "modules = [ \"testhost\" ];\nmodule_path = \"%s/tests/modules\";", b);
    struct hv_opts o = { .extra = extra };
    return hv_start(&o);
}

/* CHGHOST to members (and the user) with chghost; QUIT, JOIN, MODE (and
 * AWAY for away-notify) to the others. */
Test(ircv3, chghost)
{
    struct hv_server *s = chghost_server();
    struct hv_client *t = capuser(s, "tom", "chghost");
    struct hv_client *a = capuser(s, "alice", "chghost");
    struct hv_client *b = capuser(s, "bob", NULL);
    struct hv_client *c = capuser(s, "carol", "away-notify");
    hv_join(t, "#h");
    hv_join(a, "#h");
    hv_join(b, "#h");
    hv_join(c, "#h");
    hv_send(t, "MODE #h +v tom");
    hv_expect(b, "MODE #h \\+v tom$");
    hv_send(t, "AWAY :afk");
    hv_expect_numeric(t, "306");
    char old[256];
    snprintf(old, sizeof old, "%s", hv_mask(t));

    hv_send(t, "TESTHOST newuser new.host.example");
    hv_expect_exact(t, ":%s CHGHOST newuser new.host.example", old);
    hv_expect_exact(a, ":%s CHGHOST newuser new.host.example", old);
    hv_expect_exact(b, ":%s QUIT :Changing hostname", old);
    hv_expect_exact(b, ":tom!newuser@new.host.example JOIN #h");
    hv_expect_exact(b, ":irc.test.local MODE #h +ov tom tom");
    hv_expect_exact(c, ":%s QUIT :Changing hostname", old);
    hv_expect_exact(c, ":tom!newuser@new.host.example JOIN #h");
    hv_expect_exact(c, ":irc.test.local MODE #h +ov tom tom");
    hv_expect_exact(c, ":tom!newuser@new.host.example AWAY :afk");
    hv_sync(a);
    hv_sync(b);
    cr_expect(hv_find(a, " QUIT :Changing hostname") == NULL, "chghost client got the fallback");
    cr_expect(hv_find(b, " AWAY ") == NULL, "AWAY to a client without away-notify");
    cr_expect(hv_find(b, " CHGHOST ") == NULL, "CHGHOST to a client without the cap");
    /* everyone now sees the new mask */
    hv_send(b, "USERHOST tom");
    hv_expect(b, "^:" SRV " 302 bob :tom=-newuser@new\\.host\\.example ?$");
    /* invalid values are refused and change nothing */
    hv_send(t, "TESTHOST bad@user x");
    hv_expect(t, "NOTICE tom :.*invalid user or host");
    hv_stop(s);
}

/* A user without chghost learns their own new host from 396. */
Test(ircv3, chghost_self_without_cap)
{
    struct hv_server *s = chghost_server();
    struct hv_client *t = capuser(s, "tom", NULL);
    hv_send(t, "TESTHOST u2 h2.example");
    hv_expect_exact(t, ":irc.test.local 396 tom h2.example :is now your displayed host");
    cr_expect(hv_find(t, " CHGHOST ") == NULL);
    hv_stop(s);
}
