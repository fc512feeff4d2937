/* test_anonymity.c — the anonymity module (pseudonyms, CTCP blocking,
 * caller-ID and ACCEPT, the newcomer PM delay, each switched off), ban
 * tokens ($z: bans, WHOIS 320, per-token limits, throttle), and privacy
 * with the module loaded: nothing received names an address or USER fields. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <regex.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"
#define PSEUDONYM "[A-Z][a-z]+[A-Z][a-z]+[0-9]{1,2}"
#define CLOAK "user@[a-z0-9]+\\.users\\.havend"

TestSuite(anonymity, .timeout = 90);

/* A path under the source tree (HAVEND_SRCDIR), in a rotating buffer. */
static const char *src_path(const char *rel)
{
    static char buf[4][1024];
    static int slot;
    const char *d = getenv("HAVEND_SRCDIR");
    cr_assert(d && *d, "HAVEND_SRCDIR is not set (run through meson test)");
    slot = (slot + 1) % 4;
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", d, rel);
    return buf[slot];
}

/* The PBKDF2 hash of "operpass" (made once per test process). */
static const char *oper_hash(void)
{
    static char *h;
    if (!h)
        h = hv_mkpasswd("operpass");
    return h;
}

/* Top-level config text: the built modules, an oper with every privilege
 * that matters here, and anonymity = { word lists; settings }. */
static char *anon_extra(const char *modules, const char *settings, const char *more)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    const char *b = getenv("HAVEND_BUILDDIR");
    cr_assert(b && *b, "HAVEND_BUILDDIR is not set (run through meson test)");
    fprintf(f, "module_path = \"%s/modules\";\n", b);
    fprintf(f, "modules = [ %s ];\n", modules ? modules : "\"anonymity\"");
    fprintf(f, "opers = ( { name = \"oper\"; password = \"%s\";\n"
               "  privileges = [ \"kill\", \"rehash\", \"see_token\" ]; } );\n", oper_hash());
    fprintf(f, "anonymity = {\n  adjectives = \"%s\";\n  nouns = \"%s\";\n%s\n};\n%s\n",
            src_path("conf/words/adjectives.txt"), src_path("conf/words/nouns.txt"), settings ? settings : "",
            more ? more : "");
    fclose(f);
    return out;
}

/* Start a server with the anonymity module and these settings. */
static struct hv_server *anon_server(const char *settings)
{
    char *extra = anon_extra(NULL, settings, NULL);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    return s;
}

/* The new nick in a ":old!u@h NICK :new" line. */
static const char *nick_from_line(const char *line)
{
    static char nick[64];
    const char *p = strstr(line, " NICK ");
    cr_assert(p, "not a NICK line: %s", line);
    p += 6;
    if (*p == ':')
        p++;
    snprintf(nick, sizeof nick, "%s", p);
    return nick;
}

/* OPER and wait for 381 (PBKDF2 is slow under valgrind: wait longer). */
static void become_oper(struct hv_client *c)
{
    hv_send(c, "OPER oper operpass");
    hv_expect_ms(c, 15000, "^:" SRV " 381 ");
}

/* ------------------------------------------------------------ pseudonyms */

/* Whatever nick is sent, the server assigns a pseudonym, addresses 001 to
 * it and explains it in a notice; two people get different ones. */
Test(anonymity, assigned_pseudonym_and_welcome)
{
    struct hv_server *s = anon_server(NULL);
    struct hv_client *a = hv_connect(s), *b = hv_connect(s);
    const char *na = hv_register(a, "alice");
    cr_expect_str_neq(na, "alice");
    cr_expect(hv_find(a, "^:" SRV " 001 " PSEUDONYM " :Welcome to the TestNet IRC Network, " PSEUDONYM "$"),
              "001 is not addressed to a pseudonym");
    hv_expect_exact(a, ":irc.test.local NOTICE %s :You are %s here, a pseudonym just for this visit. Nobody can "
                    "see your address or your real name. For a new pseudonym, type /nick (any name: you will get "
                    "a fresh one).", na, na);
    const char *nb = hv_register(b, "bob");
    cr_expect_str_neq(na, nb);
    hv_send(a, "WHOIS %s", nb);
    hv_expect(a, "^:" SRV " 311 %s %s user ", hv_re(na), hv_re(nb));
    hv_stop(s);
}

/* Every NICK gives a fresh pseudonym, announced as NICK to channel peers. */
Test(anonymity, nick_gives_fresh_pseudonym)
{
    struct hv_server *s = anon_server(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#c");
    hv_join(b, "#c");
    char old[64], fresh[64];
    snprintf(old, sizeof old, "%s", a->nick);
    hv_send(a, "NICK MyRealName");
    const char *l = hv_expect(a, "^:%s![^ ]+ NICK :?" PSEUDONYM "$", hv_re(old));
    snprintf(fresh, sizeof fresh, "%s", nick_from_line(l));
    cr_expect_str_neq(fresh, old);
    cr_expect_str_neq(fresh, "MyRealName");
    hv_expect(b, "^:%s![^ ]+ NICK :?%s$", hv_re(old), hv_re(fresh));
    /* and again: another fresh one */
    hv_send(a, "NICK %s", fresh);
    l = hv_expect(a, "^:%s![^ ]+ NICK :?" PSEUDONYM "$", hv_re(fresh));
    cr_expect_str_neq(nick_from_line(l), fresh);
    hv_sync(b);
    cr_expect(!hv_find(b, "MyRealName"), "the requested nick was shown");
    hv_stop(s);
}

/* "chosen": normal nicks are kept; reserved patterns and a service's nick
 * are refused; a reserved nick at registration is replaced; staff choose. */
Test(anonymity, chosen_policy)
{
    char *extra = anon_extra("\"anonymity\", \"example\"", "nick_policy = \"chosen\";", NULL);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    struct hv_client *a = hv_user(s, "alice");
    cr_expect_str_eq(a->nick, "alice");
    cr_expect(!hv_find(a, "pseudonym just for this visit"), "welcome notice under the chosen policy");
    hv_send(a, "NICK alice2");
    hv_expect(a, "^:alice![^ ]+ NICK :?alice2$");
    static const char *const refused[] = { "Moderator", "SiteAdmin", "HelpDesk", "CrisisTeam", "ChanServ",
                                           "the_guide", "StaffMember" };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        hv_send(a, "NICK %s", refused[i]);
        hv_expect(a, "^:" SRV " 432 alice2 %s :This nickname is kept for staff and services", refused[i]);
    }
    hv_send(a, "NICK Echo");    /* the example module's service */
    hv_expect(a, "^:" SRV " 43[23] alice2 Echo ");
    hv_send(a, "WHOIS alice2");
    hv_expect_numeric(a, "318");
    /* a reserved nick at registration: replaced by a pseudonym, and told why */
    struct hv_client *m = hv_connect(s);
    const char *nm = hv_register(m, "Moderator");
    cr_expect(strcmp(nm, "Moderator") != 0, "registered as Moderator");
    hv_expect(m, "^:" SRV " NOTICE %s :The nickname you asked for is kept for staff and services, so you are "
              "%s here\\.", hv_re(nm), hv_re(nm));
    /* staff may take one */
    become_oper(a);
    hv_send(a, "NICK ModSam");
    hv_expect(a, "^:alice2![^ ]+ NICK :?ModSam$");
    hv_stop(s);
}

/* ------------------------------------------------------------ CTCP */

/* VERSION, TIME and DCC are refused with a notice, to users and channels,
 * as PRIVMSG and as NOTICE; ACTION passes. */
Test(anonymity, ctcp_blocked_except_action)
{
    struct hv_server *s = anon_server("caller_id = false; pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#c");
    hv_join(b, "#c");
    hv_send(a, "PRIVMSG bob :\001VERSION\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP VERSION to bob was not sent: CTCP between users is off here");
    hv_send(a, "PRIVMSG bob :\001TIME\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP TIME to bob was not sent");
    hv_send(a, "PRIVMSG bob :\001DCC SEND file.txt 2130706433 5000 12\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP DCC to bob was not sent");
    hv_send(a, "PRIVMSG #c :\001VERSION\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP VERSION to #c was not sent");
    hv_send(a, "NOTICE bob :\001VERSION havend-test 1.0 on SomeOS\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP VERSION reply to bob was not sent");
    hv_send(a, "NOTICE #c :\001TIME Mon Jan 1 00:00:00 2024\001");
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP TIME reply to #c was not sent");
    hv_send(a, "PRIVMSG bob :\001ACTION waves\001 \001VERSION\001");   /* smuggled after an ACTION */
    hv_expect(a, "^:" SRV " NOTICE alice :Your CTCP VERSION to bob was not sent");
    hv_send(a, "PRIVMSG bob :\001ACTION waves\001");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :\001ACTION waves\001$");
    hv_send(a, "PRIVMSG #c :\001ACTION smiles\001");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG #c :\001ACTION smiles\001$");
    hv_sync(a);
    hv_sync(b);
    for (size_t i = 0; i < b->nlines; i++)
        cr_expect(!strchr(b->lines[i], '\001') || strstr(b->lines[i], ":\001ACTION "),
                  "bob received a CTCP: %s", b->lines[i]);
    hv_stop(s);
}

/* block_ctcp = false: CTCP passes as on any server. */
Test(anonymity, ctcp_allowed_when_off)
{
    struct hv_server *s = anon_server("block_ctcp = false; caller_id = false; pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(a, "PRIVMSG bob :\001VERSION\001");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :\001VERSION\001$");
    hv_send(b, "NOTICE alice :\001VERSION test 1.0\001");
    hv_expect(a, "^:bob![^ ]+ NOTICE alice :\001VERSION test 1\\.0\001$");
    hv_stop(s);
}

/* ------------------------------------------------------------ caller-ID */

/* A stranger gets 716 and 717 (once a minute), the target 718; the first
 * message is held and delivered on ACCEPT; later ones then flow. */
Test(anonymity, callerid_hold_and_accept)
{
    struct hv_server *s = anon_server("pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_mask(a);
    cr_expect(hv_find(b, "^:bob MODE bob :?\\+[a-zA-Z]*g"), "new users are not +g");
    hv_send(a, "PRIVMSG bob :hello, can we talk?");
    hv_expect_exact(a, ":irc.test.local 716 alice bob :is in +g mode (server-side ignore).");
    hv_expect_exact(a, ":irc.test.local 717 alice bob :has been informed that you messaged them.");
    hv_expect(b, "^:" SRV " 718 bob alice %s :is messaging you, and you have umode \\+g\\.$",
              CLOAK);
    hv_expect(b, "^:" SRV " NOTICE bob :alice would like to talk with you privately\\. To accept, type: "
              "/quote ACCEPT alice");
    hv_send(a, "PRIVMSG bob :second message");
    hv_expect(a, "^:" SRV " 716 alice bob ");
    hv_sync(a);
    hv_sync(b);
    hv_expect_none(a, 200, " 717 ");
    hv_expect_none(b, 0, " 718 |PRIVMSG");
    hv_send(b, "ACCEPT alice");
    hv_expect_exact(b, ":%s PRIVMSG bob :hello, can we talk?", hv_mask(a));
    hv_expect(a, "^:" SRV " NOTICE alice :bob accepted you: your first message has been delivered\\.$");
    hv_send(a, "PRIVMSG bob :thanks");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :thanks$");
    hv_sync(b);
    cr_expect(!hv_find(b, "second message"), "a later message was held too");
    hv_stop(s);
}

/* ACCEPT *, adding twice (457), removing (then 716 again), removing what
 * is not there (458), unknown nicks (401), and a full list (456). */
Test(anonymity, accept_list_and_errors)
{
    struct hv_server *s = anon_server("pm_delay = 0; accept_max = 2;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol"),
                     *d = hv_user(s, "dave");
    hv_send(b, "ACCEPT alice,carol");
    hv_expect(b, "^:" SRV " NOTICE bob :alice can now send you private messages\\.$");
    hv_send(b, "ACCEPT *");
    const char *l = hv_expect(b, "^:" SRV " 281 bob ");
    cr_expect(strstr(l, a->nick) && strstr(l, c->nick), "281 lacks a nick: %s", l);
    hv_expect_exact(b, ":irc.test.local 282 bob * :End of /ACCEPT list");
    hv_send(b, "ACCEPT alice");
    hv_expect_exact(b, ":irc.test.local 457 bob alice :is already on your accept list");
    hv_send(b, "ACCEPT dave");
    hv_expect_exact(b, ":irc.test.local 456 bob :Accept list is full");
    hv_send(b, "ACCEPT NoSuchPerson");
    hv_expect(b, "^:" SRV " 401 bob NoSuchPerson :");
    /* (the harness does not rewrite "-alice": '-' may be part of a nick) */
    hv_send(b, "ACCEPT -%s", a->nick);
    hv_expect(b, "^:" SRV " NOTICE bob :alice can no longer send you private messages");
    hv_send(b, "ACCEPT -%s", a->nick);
    hv_expect_exact(b, ":irc.test.local 458 bob alice :is not on your accept list");
    hv_send(b, "ACCEPT");
    hv_expect(b, "^:" SRV " 281 bob %s$", hv_re(c->nick));
    hv_expect_numeric(b, "282");
    hv_send(a, "PRIVMSG bob :hi");
    hv_expect(a, "^:" SRV " 716 alice bob ");
    hv_send(c, "PRIVMSG bob :hi from carol");
    hv_expect(b, "^:carol![^ ]+ PRIVMSG bob :hi from carol$");
    hv_send(d, "PRIVMSG bob :hi from dave");
    hv_expect(d, "^:" SRV " 716 dave bob ");
    hv_stop(s);
}

/* Messaging someone while +g accepts them, so their reply arrives (and the
 * message they had sent before is delivered). Lists follow nick changes. */
Test(anonymity, reply_auto_accepts)
{
    struct hv_server *s = anon_server("pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(b, "PRIVMSG alice :earlier note");
    hv_expect(b, "^:" SRV " 716 bob alice ");
    /* bob (+g) accepted alice by messaging her: her reply reaches him, and
     * her reply accepts him, so his held message comes through */
    hv_send(a, "PRIVMSG bob :hi bob");
    hv_expect(a, "^:bob![^ ]+ PRIVMSG alice :earlier note$");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :hi bob$");
    hv_send(b, "PRIVMSG alice :reply");
    hv_expect(a, "^:bob![^ ]+ PRIVMSG alice :reply$");
    hv_sync(a);
    cr_expect(!hv_find(a, " 716 "), "alice was refused although bob had messaged her");
    /* a new pseudonym keeps the lists (they are keyed by UID) */
    hv_send(b, "NICK whatever");
    const char *nb = nick_from_line(hv_expect(b, " NICK "));
    char nick[64];
    snprintf(nick, sizeof nick, "%s", nb);
    hv_send(b, "PRIVMSG alice :still me");
    hv_expect(a, "^:%s![^ ]+ PRIVMSG alice :still me$", hv_re(nick));
    hv_stop(s);
}

/* Operators are exempt: their messages reach +g users, and they are never
 * held by the newcomer delay. Services are always reachable. */
Test(anonymity, staff_and_services_exempt)
{
    char *extra = anon_extra("\"anonymity\", \"example\"", "pm_delay = 60;", NULL);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    struct hv_client *op = hv_user(s, "staffer"), *b = hv_user(s, "bob");
    become_oper(op);
    hv_send(op, "PRIVMSG bob :hello from staff");
    hv_expect(b, "^:staffer![^ ]+ PRIVMSG bob :hello from staff$");
    hv_send(b, "PRIVMSG Echo :PING here");
    hv_expect(b, "^:Echo![^ ]+ NOTICE bob :PONG here$");
    /* a newcomer may message staff at once, too */
    hv_send(b, "PRIVMSG staffer :thank you");
    hv_expect(op, "^:bob![^ ]+ PRIVMSG staffer :thank you$");
    hv_stop(s);
}

/* caller_id = false: nobody starts +g and messages flow; +g stays
 * available to people who want it. */
Test(anonymity, callerid_off)
{
    struct hv_server *s = anon_server("caller_id = false; pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    cr_expect(!hv_find(b, "^:bob MODE bob :?\\+[a-zA-Z]*g"), "+g set although caller_id = false");
    hv_send(a, "PRIVMSG bob :hi");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :hi$");
    hv_send(b, "MODE bob +g");
    hv_expect(b, "MODE bob :?\\+g$");
    hv_send(a, "PRIVMSG bob :again");
    hv_expect(a, "^:" SRV " 716 alice bob ");
    hv_stop(s);
}

/* ------------------------------------------------------------ newcomer delay */

/* pm_delay: a new user's private messages are refused with a notice until
 * the delay has passed; channels work at once. */
Test(anonymity, pm_delay_blocks_then_allows)
{
    struct hv_server *s = anon_server("caller_id = false; pm_delay = 2;");
    struct hv_client *b = hv_user(s, "bob");
    hv_join(b, "#c");
    struct hv_client *a = hv_user(s, "alice");
    hv_join(a, "#c");
    hv_send(a, "PRIVMSG bob :too soon");
    hv_expect(a, "^:" SRV " NOTICE alice :You can send private messages in [12] seconds?: new connections wait "
              "a little first\\. Channels work right away\\.$");
    hv_send(a, "PRIVMSG #c :channels work");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG #c :channels work$");
    hv_msleep(2100);
    hv_send(a, "PRIVMSG bob :now it works");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :now it works$");
    cr_expect(!hv_find(b, "too soon"), "the early message was delivered");
    hv_stop(s);
}

/* Everything switched off: a plain IRC server. */
Test(anonymity, everything_off_is_plain)
{
    struct hv_server *s = anon_server("nick_policy = \"chosen\"; reserved_nicks = [ ]; block_ctcp = false; "
                                      "caller_id = false; pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    cr_expect_str_eq(a->nick, "alice");
    cr_expect(!hv_find(a, "pseudonym"), "welcome notice shown");
    hv_send(a, "PRIVMSG bob :\001VERSION\001");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :\001VERSION\001$");
    hv_send(a, "PRIVMSG bob :right away");
    hv_expect(b, "^:alice![^ ]+ PRIVMSG bob :right away$");
    hv_send(a, "NICK Moderator");
    hv_expect(a, "^:alice![^ ]+ NICK :?Moderator$");
    hv_stop(s);
}

/* ------------------------------------------------------------ configuration */

/* Does text match the extended regex? */
static bool matches(const char *ere, const char *text)
{
    regex_t re;
    cr_assert(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0, "bad regex in test: %s", ere);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* Run havend on the config in s; it must fail to start with output
 * matching the ERE. */
static void expect_start_fails(struct hv_server *s, const char *ere)
{
    const char *args[] = { "-c", s->conf_path, NULL };
    char *out = NULL;
    int st = hv_run(args, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "havend started:\n%s", out);
    cr_expect(matches(ere, out), "output does not match %s:\n%s", ere, out);
    free(out);
}

/* Bad settings are reported as file:line: anonymity.<setting>: reason. */
Test(anonymity, config_errors)
{
    static const struct { const char *settings, *want; } cases[] = {
        { "nick_policy = \"random\";", "havend\\.conf:[0-9]+: anonymity\\.nick_policy: must be \"assigned\" or \"chosen\"" },
        { "pm_delay = -1;", "havend\\.conf:[0-9]+: anonymity\\.pm_delay: must be between 0 and 86400" },
        { "accept_max = 0;", "havend\\.conf:[0-9]+: anonymity\\.accept_max: must be between 1 and 1000" },
        { "block_ctcp = \"yes\";", "anonymity\\.block_ctcp: must be true or false" },
        { "colour = \"blue\";", "havend\\.conf:[0-9]+: anonymity\\.colour: unknown setting" },
        { "reserved_nicks = [ \"\" ];", "anonymity\\.reserved_nicks: entry 1 must be a non-empty pattern" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *extra = anon_extra(NULL, cases[i].settings, NULL);
        struct hv_opts o = { .extra = extra };
        struct hv_server *s = hv_prepare(&o);
        free(extra);
        expect_start_fails(s, cases[i].want);
        hv_free(s);
    }
}

/* Replace `from` by `to` in the server's config file. */
static void edit_config(const struct hv_server *s, const char *from, const char *to)
{
    FILE *f = fopen(s->conf_path, "r");
    cr_assert(f, "cannot read %s", s->conf_path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *at = strstr(text, from);
    cr_assert(at, "config lacks \"%s\"", from);
    char *out = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&out, &len);
    fprintf(o, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    fclose(o);
    hv_write_file(s->conf_path, out);
    free(out);
}

/* REHASH applies new settings at once, but refuses to change caller_id
 * (a user mode default) and keeps the old settings then. */
Test(anonymity, rehash)
{
    struct hv_server *s = anon_server("pm_delay = 0;");
    struct hv_client *op = hv_user(s, "staffer"), *a = hv_user(s, "alice");
    become_oper(op);
    edit_config(s, "pm_delay = 0;", "pm_delay = 0; nick_policy = \"chosen\";");
    hv_send(op, "REHASH");
    hv_expect_ms(op, 10000, "rehashed the server configuration");
    hv_send(a, "NICK alice_again");
    hv_expect(a, "^:alice![^ ]+ NICK :?alice_again$");
    edit_config(s, "pm_delay = 0;", "pm_delay = 0; caller_id = false;");
    hv_send(op, "REHASH");
    hv_expect_ms(op, 10000, "^:" SRV " NOTICE staffer :.*anonymity\\.caller_id: cannot change while running");
    hv_stop(s);
}

/* A word list that is missing, empty or holds a non-word is named in the
 * error; relative names resolve against the config's directory. */
Test(anonymity, word_list_errors)
{
    struct hv_opts o = { 0 };
    struct hv_server *s = hv_prepare(&o);
    char path[400], conf[4096];
    snprintf(path, sizeof path, "%s/empty.txt", s->dir);
    hv_write_file(path, "# only a comment\n\n");
    snprintf(path, sizeof path, "%s/bad.txt", s->dir);
    hv_write_file(path, "Quiet\n# fine\nNot-a-word\n");
    const char *adj = src_path("conf/words/adjectives.txt");
    const struct { const char *adj, *nouns, *want; } cases[] = {
        { adj, "empty.txt", "anonymity\\.nouns: the word list .*/empty\\.txt has no words" },
        { "missing.txt", "empty.txt", "anonymity\\.adjectives: cannot read the word list .*/missing\\.txt: No such file" },
        { "bad.txt", "empty.txt", "anonymity\\.adjectives: .*/bad\\.txt:3: \"Not-a-word\": words may only contain" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(conf, sizeof conf,
                 "server = { name = \"irc.test.local\"; sid = \"1TS\"; state_dir = \"state\"; };\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n"
                 "module_path = \"%s/modules\";\nmodules = [ \"anonymity\" ];\n"
                 "anonymity = {\n  adjectives = \"%s\";\n  nouns = \"%s\";\n};\n",
                 getenv("HAVEND_BUILDDIR"), cases[i].adj, cases[i].nouns);
        hv_write_file(s->conf_path, conf);
        expect_start_fails(s, cases[i].want);
    }
    hv_free(s);
}

/* ------------------------------------------------------------ ban tokens */

/* MODE +b $z:<nick> bans the person, not the pseudonym: with a new nick,
 * or on a new connection from the same address, JOIN gets 474. */
Test(anonymity, token_ban_follows_the_person)
{
    struct hv_server *s = anon_server("pm_delay = 0;");
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#c");
    hv_join(b, "#c");
    hv_send(a, "MODE #c +b $z:bob");
    hv_expect(a, "^:alice![^ ]+ MODE #c \\+b :?\\$z:[0-9a-f]{16}$");
    hv_send(b, "PART #c");
    hv_expect(b, " PART #c");
    hv_send(b, "NICK SomebodyElse");
    hv_expect(b, " NICK :?" PSEUDONYM "$");
    hv_send(b, "JOIN #c");
    hv_expect(b, "^:" SRV " 474 " PSEUDONYM " #c :");
    struct hv_client *c = hv_user(s, "carol");
    hv_send(c, "JOIN #c");
    hv_expect(c, "^:" SRV " 474 carol #c :");
    hv_stop(s);
}

/* WHOIS shows the ban token (320) only to opers holding see_token. */
Test(anonymity, whois_token_for_see_token_opers_only)
{
    struct hv_server *s = anon_server(NULL);
    struct hv_client *op = hv_user(s, "staffer"), *c = hv_user(s, "carol");
    hv_user(s, "bob");
    hv_send(c, "WHOIS bob");
    hv_expect_numeric(c, "318");
    become_oper(op);
    hv_send(op, "WHOIS bob");
    hv_expect(op, "^:" SRV " 320 staffer bob :has ban token [0-9a-f]{16}$");
    hv_expect_numeric(op, "318");
    hv_send(c, "WHOIS bob");
    hv_expect_numeric(c, "318");
    hv_send(c, "WHOIS staffer");
    hv_expect_numeric(c, "318");
    for (size_t i = 0; i < c->nlines; i++)
        cr_expect(!matches("^:" SRV " 320 ", c->lines[i]), "a non-oper saw: %s", c->lines[i]);
    hv_stop(s);
}

/* per_token = 2: a third connection from the same address is refused. */
Test(anonymity, per_token_limit)
{
    char *extra = anon_extra(NULL, NULL, NULL);
    struct hv_opts o = { .extra = extra, .per_token = 2 };
    struct hv_server *s = hv_start(&o);
    free(extra);
    hv_user(s, "alice");
    hv_user(s, "bob");
    struct hv_client *c = hv_connect(s);
    hv_expect_exact(c, "ERROR :Closing Link: (Too many connections from your network)");
    hv_expect_closed(c, 3000);
    hv_stop(s);
}

/* throttle { count = 3; }: the fourth quick connection is refused. */
Test(anonymity, throttle_refuses_fast_reconnects)
{
    char *extra = anon_extra(NULL, NULL, NULL);
    struct hv_opts o = { .extra = extra, .throttle_count = 3 };
    struct hv_server *s = hv_start(&o);
    free(extra);
    for (int i = 0; i < 3; i++) {
        struct hv_client *c = hv_connect(s);
        hv_send(c, "QUIT");
        hv_expect_closed(c, 3000);
        cr_expect(!hv_find(c, "Throttled"), "connection %d was throttled", i + 1);
        hv_close(c);
    }
    struct hv_client *c = hv_connect(s);
    hv_expect(c, "^ERROR :Closing Link: \\(Throttled");
    hv_expect_closed(c, 3000);
    hv_stop(s);
}

/* ------------------------------------------------------------ privacy */

/* Fail if any line c received names the address or the USER fields. */
static void assert_clean(const struct hv_client *c)
{
    static const char *const secrets[] = { "127.0.0.1", "localhost", "secretident", "Secret Realname",
                                           "SECRETIDENT", "::1" };
    for (size_t i = 0; i < c->nlines; i++)
        for (size_t k = 0; k < sizeof secrets / sizeof *secrets; k++)
            cr_expect(strstr(c->lines[i], secrets[k]) == NULL, "%s received a line leaking \"%s\": %s",
                      c->label, secrets[k], c->lines[i]);
}

/* Connect and register with distinctive USER fields. */
static struct hv_client *secret_user(struct hv_server *s, const char *nick)
{
    struct hv_client *c = hv_connect(s);
    hv_register_full(c, nick, "secretident", "Secret Realname");
    return c;
}

/* With the module loaded, every command that shows users, caller-ID
 * notices, KILL and QUIT reasons and CTCP attempts reveal nothing. */
Test(anonymity, privacy_with_module)
{
    struct hv_server *s = anon_server("pm_delay = 0;");
    struct hv_client *op = secret_user(s, "staffer"), *a = secret_user(s, "alice"), *b = secret_user(s, "bob"),
                     *v = secret_user(s, "victim");
    become_oper(op);
    hv_join(a, "#p");
    hv_join(b, "#p");
    hv_join(v, "#p");
    hv_send(a, "PRIVMSG bob :hello");           /* caller-ID: 716/717 and 718 */
    hv_expect(b, " 718 ");
    hv_send(a, "PRIVMSG bob :\001VERSION\001");
    hv_send(a, "PRIVMSG #p :\001TIME\001");
    hv_send(a, "PRIVMSG #p :\001ACTION waves\001");
    hv_send(b, "WHOIS alice");
    hv_send(b, "WHOIS alice alice");
    hv_send(b, "WHO #p");
    hv_send(b, "WHO alice");
    hv_send(b, "USERHOST alice victim");
    hv_send(b, "NAMES #p");
    hv_send(op, "WHOIS alice");
    hv_send(op, "WHO #p");
    hv_sync(b);
    hv_sync(op);
    hv_send(v, "QUIT :see you later");
    hv_expect(b, " QUIT ");
    hv_send(op, "KILL alice :please take a break");
    hv_expect(b, "^:alice![^ ]+ QUIT :Killed \\(");
    hv_send(b, "WHOWAS alice");
    hv_expect_numeric(b, "369");
    hv_send(b, "WHOWAS victim");
    hv_expect_numeric(b, "369");
    cr_expect(hv_find(b, "^:" SRV " 311 bob alice user [a-z0-9]+\\.users\\.havend \\* :havend user$"),
              "WHOIS 311 does not show the public identity");
    cr_expect(hv_find(b, "^:" SRV " 314 bob alice user [a-z0-9]+\\.users\\.havend \\* :havend user$"),
              "WHOWAS 314 does not show the public identity");
    hv_expect_closed(a, 3000);
    assert_clean(op);
    assert_clean(a);
    assert_clean(b);
    /* the quit reason was the victim's own text, shown as typed; nothing else leaked */
    hv_stop(s);
}

/* A ping timeout's QUIT names no address either. */
Test(anonymity, privacy_ping_timeout)
{
    char *extra = anon_extra(NULL, "pm_delay = 0;", NULL);
    struct hv_opts o = { .extra = extra, .ping_freq = 1, .ping_timeout = 1 };
    struct hv_server *s = hv_start(&o);
    free(extra);
    struct hv_client *b = secret_user(s, "bob"), *v = secret_user(s, "victim");
    hv_sync(b);
    hv_join(b, "#p");
    hv_join(v, "#p");
    /* bob keeps talking; victim stays silent and times out */
    long long end = hv_now_ms() + 8000;
    while (!hv_find(b, " QUIT :Ping timeout") && hv_now_ms() < end) {
        hv_sync(b);
        hv_msleep(200);
    }
    cr_expect(hv_find(b, "^:victim![^ ]+ QUIT :Ping timeout: [0-9]+ seconds$"), "no ping-timeout QUIT seen");
    hv_expect_closed(v, 3000);
    assert_clean(b);
    assert_clean(v);
    hv_stop(s);
}
