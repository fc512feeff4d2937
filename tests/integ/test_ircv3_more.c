/* test_ircv3_more.c — MONITOR, WHOX, UTF8ONLY, bot mode, and the
 * message-tags family: labeled-response and batch, server-time, msgid,
 * echo-message, TAGMSG and client-only tags. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(ircv3_more, .timeout = 90);

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

/* The value of tag `key` on a line ("" for a tag without value), or NULL. */
static const char *tag_value(const char *line, const char *key, char *out, size_t len)
{
    if (line[0] != '@')
        return NULL;
    size_t klen = strlen(key), end = strcspn(line, " ");
    for (size_t i = 1; i < end;) {
        size_t n = strcspn(line + i, "; ");
        if (n >= klen && strncmp(line + i, key, klen) == 0 && (n == klen || line[i + klen] == '=')) {
            size_t v = n == klen ? 0 : n - klen - 1;
            snprintf(out, len, "%.*s", (int)v, line + i + klen + 1);
            return out;
        }
        i += n + 1;
    }
    return NULL;
}

/* The line without its tag section. */
static const char *untagged(const char *line)
{
    return line[0] == '@' ? strchr(line, ' ') + 1 : line;
}

/* ------------------------------------------------------------ MONITOR */

/* 730/731 on add; notices on connect, nick change (both ways) and quit;
 * L, -, S, C; ISUPPORT MONITOR. */
Test(ircv3_more, monitor)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = hv_user(s, "watcher");
    cr_expect(hv_find(w, "^:" SRV " 005 watcher .*MONITOR=100[ :]") != NULL, "no MONITOR=100 in 005");
    struct hv_client *b = hv_user(s, "bob");
    hv_send(w, "MONITOR + BOB,carol");
    hv_expect_exact(w, ":irc.test.local 730 watcher :%s", hv_mask(b));
    hv_expect_exact(w, ":irc.test.local 731 watcher :carol");

    /* carol connects */
    struct hv_client *c = hv_user(s, "carol");
    hv_expect_exact(w, ":irc.test.local 730 watcher :%s", hv_mask(c));
    /* carol renames away from the watched nick, bob onto a watched one */
    hv_send(w, "MONITOR + dave");
    hv_expect_exact(w, ":irc.test.local 731 watcher :dave");
    hv_send(c, "NICK carol2");
    hv_expect_exact(w, ":irc.test.local 731 watcher :carol");
    hv_send(b, "NICK dave");
    hv_expect_exact(w, ":irc.test.local 731 watcher :bob");
    hv_expect(w, "^:" SRV " 730 watcher :dave!user@[^ ]+$");
    /* dave (was bob) quits */
    hv_send(b, "QUIT :bye");
    hv_expect_exact(w, ":irc.test.local 731 watcher :dave");

    hv_send(w, "MONITOR L");
    const char *l = hv_expect(w, "^:" SRV " 732 watcher :");
    cr_expect(strstr(l, "BOB") && strstr(l, "carol") && strstr(l, "dave"), "MONITOR L: %s", l);
    hv_expect_exact(w, ":irc.test.local 733 watcher :End of MONITOR list");

    hv_send(w, "MONITOR - bob,nobody");
    hv_send(w, "MONITOR S");
    hv_expect_exact(w, ":irc.test.local 731 watcher :carol,dave");
    hv_send(c, "NICK carol");
    hv_expect(w, "^:" SRV " 730 watcher :carol!user@[^ ]+$");

    hv_send(w, "MONITOR C");
    hv_send(w, "MONITOR L");
    hv_expect_exact(w, ":irc.test.local 733 watcher :End of MONITOR list");
    cr_expect(hv_find(w, " 732 watcher :$") == NULL);
    /* nothing is watched any more */
    struct hv_client *d = hv_user(s, "dave");
    hv_sync(d);
    hv_sync(w);
    hv_expect_none(w, 200, " 73[01] ");
    hv_send(w, "MONITOR");
    hv_expect_numeric(w, "461");
    hv_stop(s);
}

/* The list limit: the targets past it come back in 734. */
Test(ircv3_more, monitor_full)
{
    struct hv_opts o = { .extra = "limits = { monitor = 2; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *w = hv_user(s, "watcher");
    cr_expect(hv_find(w, " 005 watcher .*MONITOR=2[ :]") != NULL, "no MONITOR=2 in 005");
    hv_send(w, "MONITOR + a1,a2,a3,a4");
    hv_expect_exact(w, ":irc.test.local 731 watcher :a1,a2");
    hv_expect_exact(w, ":irc.test.local 734 watcher 2 a3,a4 :Monitor list is full.");
    /* already listed nicks are not added twice, so they still fit */
    hv_send(w, "MONITOR + a1");
    hv_expect_exact(w, ":irc.test.local 731 watcher :a1");
    hv_stop(s);
}

/* A watcher that quits leaves no trace: later sign-ons reach nobody
 * (the sanitizers check the index is cleaned up). */
Test(ircv3_more, monitor_cleanup_on_quit)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *w = hv_user(s, "watcher"), *x = hv_user(s, "other");
    hv_send(w, "MONITOR + target,other");
    hv_expect_numeric(w, "731");
    hv_send(x, "MONITOR + target");
    hv_expect_numeric(x, "731");
    hv_send(w, "QUIT");
    hv_expect_closed(w, 2000);
    struct hv_client *t = hv_user(s, "target");
    hv_expect(x, "^:" SRV " 730 other :target!");
    hv_send(t, "QUIT");
    hv_expect_exact(x, ":irc.test.local 731 other :target");
    hv_stop(s);
}

/* ------------------------------------------------------------ WHOX */

/* Fields come back in the spec's order whatever the order asked; the IP
 * is never disclosed; the token is echoed. Plain WHO is unchanged. */
Test(ircv3_more, whox)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    cr_expect(hv_find(a, " 005 alice .*WHOX") != NULL, "no WHOX in 005");
    hv_join(a, "#w");
    hv_join(b, "#w");
    hv_mask(b);
    const char *bh = b->host;

    hv_send(b, "WHO #w %%ronaldfisuhct,42");
    hv_expect(b, "^:" SRV " 354 bob 42 #w user 255\\.255\\.255\\.255 [^ ]+ " SRV " alice H@ 0 [0-9]+ 0 n/a :havend user$");
    hv_expect(b, "^:" SRV " 354 bob 42 #w user 255\\.255\\.255\\.255 %s " SRV " bob H 0 [0-9]+ 0 n/a :havend user$",
              hv_re(bh));
    hv_expect_exact(b, ":irc.test.local 315 bob #w :End of WHO list");
    cr_expect(hv_find(b, " 352 ") == NULL, "352 in a WHOX answer");

    hv_send(a, "WHO bob %%nc");
    hv_expect_exact(a, ":irc.test.local 354 alice * bob");
    hv_expect_exact(a, ":irc.test.local 315 alice bob :End of WHO list");
    hv_send(a, "WHO #w %%tn,abcd");
    hv_expect_exact(a, ":irc.test.local 354 alice 0 alice");
    hv_send(a, "WHO #w o%%n");
    hv_expect_exact(a, ":irc.test.local 315 alice #w :End of WHO list");
    cr_expect(hv_find(a, " 354 alice alice") == NULL, "the o flag is ignored");
    hv_send(a, "WHO bob");
    hv_expect(a, "^:" SRV " 352 alice \\* user %s " SRV " bob H :0 havend user$", hv_re(bh));
    hv_stop(s);
}

/* ------------------------------------------------------------ UTF8ONLY */

/* Default: UTF8ONLY advertised, invalid text refused with FAIL (NOTICE
 * silently), valid UTF-8 relayed. */
Test(ircv3_more, utf8only_reject)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    cr_expect(hv_find(a, " 005 alice .*UTF8ONLY") != NULL, "no UTF8ONLY in 005");
    hv_join(a, "#u");
    hv_join(b, "#u");
    const char *fail = "Message rejected, your message contained invalid UTF-8";

    hv_send(a, "PRIVMSG bob :caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL PRIVMSG INVALID_UTF8 :%s", fail);
    hv_send(a, "PRIVMSG #u :\xff\xfe");
    hv_expect_exact(a, ":irc.test.local FAIL PRIVMSG INVALID_UTF8 :%s", fail);
    hv_send(a, "NOTICE bob :caf\xe9");
    hv_send(a, "TOPIC #u :caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL TOPIC INVALID_UTF8 :%s", fail);
    hv_send(a, "AWAY :caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL AWAY INVALID_UTF8 :%s", fail);
    hv_send(a, "PART #u :caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL PART INVALID_UTF8 :%s", fail);
    hv_send(a, "KICK #u bob :caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL KICK INVALID_UTF8 :%s", fail);
    hv_send(a, "JOIN #caf\xe9");
    hv_expect_exact(a, ":irc.test.local FAIL JOIN INVALID_UTF8 :%s", fail);
    hv_send(a, "PRIVMSG bob :caf\xc3\xa9 \xe2\x82\xac");
    hv_expect_exact(b, ":%s PRIVMSG bob :caf\xc3\xa9 \xe2\x82\xac", hv_mask(a));
    hv_sync(b);
    cr_expect(hv_find(b, "caf\xe9") == NULL, "invalid UTF-8 relayed");
    cr_expect(hv_find(b, " (PART|KICK|TOPIC) ") == NULL, "a refused command took effect");
    cr_expect(hv_find(a, "FAIL NOTICE") == NULL, "a NOTICE was answered");
    /* a QUIT reason is repaired, never refused */
    hv_send(a, "QUIT :bye\xff");
    hv_expect_exact(b, ":%s QUIT :Quit: bye\xef\xbf\xbd", hv_mask(a));
    hv_stop(s);
}

/* utf8only_replace: invalid sequences become U+FFFD; WARN only to clients
 * with standard-replies; channel names are still refused. */
Test(ircv3_more, utf8only_replace)
{
    struct hv_opts o = { .extra = "limits = { utf8only_replace = true; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = capuser(s, "alice", "standard-replies"), *b = hv_user(s, "bob");
    hv_send(a, "PRIVMSG bob :caf\xe9!");
    hv_expect_exact(a, ":irc.test.local WARN PRIVMSG INVALID_UTF8 :Your message was not correctly encoded as UTF-8 and had to be modified");
    hv_expect_exact(b, ":%s PRIVMSG bob :caf\xef\xbf\xbd!", hv_mask(a));
    hv_send(b, "PRIVMSG alice :\xe2\x82 ok");
    hv_expect_exact(a, ":%s PRIVMSG alice :\xef\xbf\xbd ok", hv_mask(b));
    hv_sync(b);
    cr_expect(hv_find(b, "WARN") == NULL, "WARN to a client without standard-replies");
    hv_send(b, "JOIN #caf\xe9");
    hv_expect(b, "^:" SRV " FAIL JOIN INVALID_UTF8 :");
    hv_stop(s);
}

/* utf8only = false: no token, bytes relayed as they are. */
Test(ircv3_more, utf8only_off)
{
    struct hv_opts o = { .extra = "limits = { utf8only = false; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    cr_expect(hv_find(a, "UTF8ONLY") == NULL, "UTF8ONLY advertised while off");
    hv_send(a, "PRIVMSG bob :caf\xe9");
    hv_expect_exact(b, ":%s PRIVMSG bob :caf\xe9", hv_mask(a));
    hv_stop(s);
}

/* ------------------------------------------------------------ bot mode */

/* BOT=B; +B shows in WHO flags and WHOIS 335; a bot's messages carry the
 * bot tag to message-tags clients only. */
Test(ircv3_more, bot_mode)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *bot = hv_user(s, "robo");
    struct hv_client *a = capuser(s, "alice", "message-tags"), *c = hv_user(s, "carol");
    cr_expect(hv_find(bot, " 005 robo .*BOT=B") != NULL, "no BOT=B in 005");
    hv_send(bot, "MODE robo +B");
    hv_expect(bot, "MODE robo :?\\+B$");
    hv_join(bot, "#b");
    hv_join(a, "#b");
    hv_join(c, "#b");
    hv_send(c, "WHO robo");
    hv_expect(c, "^:" SRV " 352 carol \\* user [^ ]+ " SRV " robo HB :0 havend user$");
    hv_send(c, "WHO #b");
    hv_expect(c, "^:" SRV " 352 carol #b user [^ ]+ " SRV " robo HB@ :0 havend user$");
    hv_send(c, "WHOIS robo");
    hv_expect(c, "^:" SRV " 335 carol robo :");
    hv_expect_numeric(c, "318");

    hv_send(bot, "PRIVMSG #b :beep");
    const char *l = hv_expect(a, "PRIVMSG #b :beep$");
    char v[64];
    cr_expect(tag_value(l, "bot", v, sizeof v) && !v[0], "no bot tag: %s", l);
    cr_expect_str_eq(untagged(l), hv_expect(c, "PRIVMSG #b :beep$"));
    l = hv_find(c, "PRIVMSG #b :beep$");
    cr_expect(l[0] == ':', "tags to a client without message-tags: %s", l);
    hv_stop(s);
}

/* ------------------------------------------------------------ labeled-response, batch */

/* A labeled WHOIS comes in a labeled BATCH; a labeled PING gets one
 * labeled PONG; a labeled command with no reply gets ACK. */
Test(ircv3_more, labeled_response)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = capuser(s, "alice", "labeled-response batch");
    struct hv_client *b = hv_user(s, "bob");
    hv_mask(b);
    hv_send(a, "@label=w1 WHOIS bob");
    const char *l = hv_expect(a, "^@label=w1 :" SRV " BATCH \\+[^ ]+ labeled-response$");
    char id[64];
    snprintf(id, sizeof id, "%s", strchr(l, '+') + 1);
    id[strcspn(id, " ")] = '\0';
    hv_expect_exact(a, "@batch=%s :irc.test.local 311 alice bob user %s * :havend user", id, b->host);
    hv_expect_exact(a, "@batch=%s :irc.test.local 318 alice bob :End of /WHOIS list", id);
    hv_expect_exact(a, ":irc.test.local BATCH -%s", id);

    hv_send(a, "@label=p1 PING tok");
    hv_expect_exact(a, "@label=p1 :irc.test.local PONG irc.test.local :tok");
    hv_send(a, "@label=n1 PONG :x");
    hv_expect_exact(a, "@label=n1 :irc.test.local ACK");
    hv_sync(a);
    cr_expect(hv_find(a, "^@label=(p1|n1) :" SRV " BATCH") == NULL, "a batch for a single reply");
    hv_stop(s);
}

/* ------------------------------------------------------------ message-tags family */

/* server-time is ISO 8601 in UTC with milliseconds; clients without the
 * cap get the bare line. */
Test(ircv3_more, server_time)
{
    struct hv_server *s = hv_start(NULL);
    /* registered by hand: the harness's hv_register expects untagged lines */
    struct hv_client *a = hv_connect(s);
    hv_send(a, "CAP REQ :server-time");
    hv_send(a, "CAP END");
    hv_send(a, "NICK alice");
    hv_send(a, "USER alice 0 * :Alice");
    hv_expect(a, "^@time=[^ ]+ :" SRV " 376 alice ");
    struct hv_client *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    hv_send(b, "PRIVMSG alice :hi");
    hv_expect(a, "^@time=[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}Z :%s PRIVMSG alice :hi$",
              hv_re(hv_mask(b)));
    hv_send(b, "PRIVMSG carol :hi");
    hv_expect_exact(c, ":%s PRIVMSG carol :hi", hv_mask(b));
    hv_stop(s);
}

/* Every PRIVMSG, NOTICE and TAGMSG carries its own msgid to message-tags
 * clients. */
Test(ircv3_more, msgid_unique)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = capuser(s, "alice", "message-tags"), *b = hv_user(s, "bob");
    hv_join(a, "#t");
    hv_join(b, "#t");
    hv_send(b, "PRIVMSG #t :one");
    hv_send(b, "PRIVMSG #t :one");
    hv_send(b, "NOTICE alice :two");
    hv_send(b, "TAGMSG #t");
    const char *lines[4] = {
        hv_expect(a, "PRIVMSG #t :one$"), hv_expect(a, "PRIVMSG #t :one$"),
        hv_expect(a, "NOTICE alice :two$"), hv_expect(a, " TAGMSG #t$"),
    };
    char ids[4][64];
    for (int i = 0; i < 4; i++) {
        cr_assert(tag_value(lines[i], "msgid", ids[i], sizeof ids[i]) && ids[i][0], "no msgid: %s", lines[i]);
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(ids[i], ids[j], "msgid reused");
    }
    hv_stop(s);
}

/* echo-message: the sender gets its own message back (with the same
 * msgid as the recipients); without the cap it does not. */
Test(ircv3_more, echo_message)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = capuser(s, "alice", "echo-message message-tags");
    struct hv_client *b = capuser(s, "bob", "message-tags"), *c = hv_user(s, "carol");
    hv_join(a, "#e");
    hv_join(b, "#e");
    hv_join(c, "#e");
    hv_send(a, "PRIVMSG #e :hello");
    const char *mine = hv_expect(a, "PRIVMSG #e :hello$");
    const char *theirs = hv_expect(b, "PRIVMSG #e :hello$");
    char x[64], y[64];
    cr_expect_str_eq(untagged(mine), untagged(theirs));
    cr_expect(tag_value(mine, "msgid", x, sizeof x) && tag_value(theirs, "msgid", y, sizeof y));
    cr_expect_str_eq(x, y, "echo has another msgid");
    hv_send(c, "PRIVMSG #e :quiet");
    hv_expect(a, "PRIVMSG #e :quiet$");
    hv_sync(c);
    cr_expect(hv_find(c, "PRIVMSG #e :quiet") == NULL, "echo without echo-message");
    hv_stop(s);
}

/* TAGMSG and client-only tags reach message-tags clients only; the plain
 * client gets the PRIVMSG without tags and no TAGMSG at all. */
Test(ircv3_more, tagmsg_and_client_tags)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = capuser(s, "alice", "message-tags"), *b = capuser(s, "bob", "message-tags");
    struct hv_client *c = hv_user(s, "carol");
    hv_join(a, "#c");
    hv_join(b, "#c");
    hv_join(c, "#c");
    hv_send(b, "@+typing=active TAGMSG #c");
    const char *l = hv_expect(a, " TAGMSG #c$");
    char v[64];
    cr_expect(tag_value(l, "+typing", v, sizeof v) && strcmp(v, "active") == 0, "no +typing: %s", l);
    char want[300];
    snprintf(want, sizeof want, ":%s TAGMSG #c", hv_mask(b));
    cr_expect_str_eq(untagged(l), want);
    hv_send(b, "@+example.com/x=1;+react=ok PRIVMSG #c :tagged");
    l = hv_expect(a, "PRIVMSG #c :tagged$");
    cr_expect(tag_value(l, "+example.com/x", v, sizeof v) && strcmp(v, "1") == 0, "client tag lost: %s", l);
    cr_expect(tag_value(l, "+react", v, sizeof v) && strcmp(v, "ok") == 0, "client tag lost: %s", l);
    hv_expect_exact(c, ":%s PRIVMSG #c :tagged", hv_mask(b));
    hv_sync(c);
    cr_expect(hv_find(c, "TAGMSG") == NULL, "TAGMSG to a client without message-tags");
    cr_expect(hv_find(c, "^@") == NULL, "tags to a client without message-tags");
    hv_stop(s);
}
