/* test_panic.c — the panic module: PANIC makes a person vanish from every
 * room at once. Others see an ordinary QUIT, clients with
 * draft/message-redaction get REDACT for the person's recent messages (and
 * only theirs, only within the window), the new nick is announced to
 * nobody, PANIC QUIT disconnects, and PANIC works while flood-limited. */
#include "harness.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(panic, .timeout = 90);

/* Start a server with the panic module (and optional extra modules/config). */
static struct hv_server *start(const char *panic_conf, const char *more_modules, const struct hv_opts *base)
{
    static char extra[4096];
    const char *b = getenv("HAVEND_BUILDDIR"), *src = getenv("HAVEND_SRCDIR");
    cr_assert(b && *b && src && *src, "HAVEND_BUILDDIR/HAVEND_SRCDIR not set (run through meson test)");
    int n = snprintf(extra, sizeof extra,
                     "module_path = \"%s/modules\";\nmodules = [ %s\"panic\" ];\npanic = { %s };\n",
                     b, more_modules ? more_modules : "", panic_conf ? panic_conf : "");
    if (more_modules && strstr(more_modules, "anonymity"))
        snprintf(extra + n, sizeof extra - (size_t)n,
                 "anonymity = { adjectives = \"%s/conf/words/adjectives.txt\"; nouns = \"%s/conf/words/nouns.txt\"; };\n",
                 src, src);
    struct hv_opts o = base ? *base : (struct hv_opts){ 0 };
    o.extra = extra;
    return hv_start(&o);
}

/* A registered client that negotiated the given caps first. */
static struct hv_client *user_caps(struct hv_server *s, const char *nick, const char *caps)
{
    struct hv_client *c = hv_connect(s);
    if (caps) {
        hv_send(c, "CAP REQ :%s", caps);
        hv_expect(c, "CAP \\* ACK");
        hv_send(c, "CAP END");
    }
    hv_register(c, nick);
    return c;
}

/* The msgid tag of a line ("" when none), into buf. */
static const char *msgid_of(const char *line, char *buf, size_t len)
{
    buf[0] = '\0';
    const char *p = strstr(line, "msgid=");
    if (p && p < strchr(line, ' ')) {
        p += 6;
        size_t n = strcspn(p, "; ");
        snprintf(buf, len, "%.*s", (int)n, p);
    }
    return buf;
}

/* Everyone else sees a plain QUIT; the panicking client sees PARTs and a
 * NICK to a new name; nobody else sees that NICK; the old nick is gone. */
Test(panic, vanish_looks_like_an_ordinary_quit)
{
    struct hv_server *s = start(NULL, NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    struct hv_client *d = hv_user(s, "dave");
    hv_join(a, "#one");
    hv_join(a, "#two");
    hv_join(b, "#one");
    hv_join(b, "#two");
    hv_join(d, "#one");
    hv_sync(b);
    hv_skip(b);

    /* The reference: what bob sees when dave's connection simply drops. */
    hv_close(d);
    const char *plain = hv_expect(b, "^:dave![^ ]+ QUIT :");
    char plain_reason[128];
    snprintf(plain_reason, sizeof plain_reason, "%s", strstr(plain, " QUIT :") + 7);

    hv_send(a, "PANIC");
    const char *q = hv_expect(b, "^:alice![^ ]+ QUIT :");
    cr_assert_str_eq(strstr(q, " QUIT :") + 7, plain_reason, "panic quit text differs from a plain disconnect");
    hv_expect(a, "^:alice![^ ]+ PART #one$");
    hv_expect(a, "^:alice![^ ]+ PART #two$");
    const char *nl = hv_expect(a, "^:alice![^ ]+ NICK :");
    char newnick[64];
    snprintf(newnick, sizeof newnick, "%s", strstr(nl, "NICK :") + 6);
    cr_assert_str_neq(newnick, "alice");

    /* bob saw exactly one QUIT for the two shared channels, and no NICK. */
    hv_sync(b);
    hv_expect_none(b, 200, "NICK");
    hv_send(b, "WHOIS alice");
    hv_expect(b, "^:" SRV " 401 bob alice ");
    struct hv_client *e = hv_user(s, "eve");
    hv_join(e, "#one");
    cr_assert_null(hv_find(e, " 353 eve = #one :.*alice"), "alice still listed in #one");

    /* The new identity works, in no channel, and with a different host. */
    hv_send(a, "WHOIS %s", newnick);
    hv_expect(a, "^:" SRV " 311 [^ ]+ %s ", hv_re(newnick));
    hv_expect(a, "^:" SRV " 318 ");
    cr_assert_null(hv_find(a, " 319 "), "the new identity is still in channels");
    hv_stop(s);
}

/* REDACT goes, for the panicking person's recent messages only, to clients
 * that negotiated draft/message-redaction, and not to others. */
Test(panic, recent_messages_are_redacted_for_capable_clients)
{
    struct hv_server *s = start(NULL, NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = user_caps(s, "bob", "message-tags draft/message-redaction");
    struct hv_client *c = user_caps(s, "carol", "message-tags");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_join(c, "#room");
    hv_sync(b);

    hv_send(a, "PRIVMSG #room :first words");
    char id1[64], id2[64], idb[64];
    msgid_of(hv_expect(b, "PRIVMSG #room :first words$"), id1, sizeof id1);
    hv_send(a, "PRIVMSG bob :just to you");
    msgid_of(hv_expect(b, "PRIVMSG bob :just to you$"), id2, sizeof id2);
    hv_expect(c, "PRIVMSG #room :first words$");
    hv_send(b, "PRIVMSG #room :bob speaks");
    msgid_of(hv_expect(c, "PRIVMSG #room :bob speaks$"), idb, sizeof idb);
    cr_assert(id1[0] && id2[0] && idb[0], "no msgid on relayed messages");

    hv_send(a, "PANIC");
    /* The redactions come before the departure (newest first). */
    hv_expect(b, "^(@[^ ]+ )?:alice![^ ]+ QUIT :");
    char pat[128];
    snprintf(pat, sizeof pat, "^(@[^ ]+ )?:alice![^ ]+ REDACT #room %s$", hv_re(id1));
    cr_assert_not_null(hv_find(b, pat), "no REDACT for the channel message");
    snprintf(pat, sizeof pat, "^(@[^ ]+ )?:alice![^ ]+ REDACT bob %s$", hv_re(id2));
    cr_assert_not_null(hv_find(b, pat), "no REDACT for the private message");
    hv_expect(c, "^(@[^ ]+ )?:alice![^ ]+ QUIT :");
    cr_assert_null(hv_find(c, "REDACT"), "REDACT sent to a client without the capability");
    cr_assert_null(hv_find(b, hv_re(idb)), "bob's own message was redacted");
    hv_stop(s);
}

/* Only messages within the window are retracted. */
Test(panic, only_messages_within_the_window)
{
    struct hv_server *s = start("redact_window = 2;", NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = user_caps(s, "bob", "message-tags draft/message-redaction");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_send(a, "PRIVMSG #room :old words");
    char old[64], fresh[64];
    msgid_of(hv_expect(b, "old words$"), old, sizeof old);
    hv_msleep(3100);
    hv_send(a, "PRIVMSG #room :new words");
    msgid_of(hv_expect(b, "new words$"), fresh, sizeof fresh);
    hv_send(a, "PANIC");
    hv_expect(b, "REDACT #room %s$", hv_re(fresh));
    hv_expect(b, "QUIT :");
    char pat[96];
    snprintf(pat, sizeof pat, "REDACT #room %s$", hv_re(old));
    cr_assert_null(hv_find(b, pat), "a message older than the window was redacted");
    hv_stop(s);
}

/* PANIC QUIT disconnects with the same neutral text. */
Test(panic, panic_quit_disconnects)
{
    struct hv_server *s = start("quit_message = \"Client Quit\";", NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_send(a, "PANIC QUIT");
    hv_expect(b, "^:alice![^ ]+ QUIT :Client Quit$");
    hv_expect(a, "^ERROR :Closing Link: ");
    hv_expect_closed(a, 3000);
    hv_stop(s);
}

/* The Exit service takes PANIC too, and the cover channel is joined. */
Test(panic, service_and_cover_channel)
{
    struct hv_server *s = start("cover_channel = \"#cover\";", NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_send(a, "PRIVMSG Exit :PANIC");
    hv_expect(b, "^:alice![^ ]+ QUIT :");
    hv_expect(a, "^:alice![^ ]+ NICK :");
    hv_expect(a, "^:[^ ]+ JOIN #cover$");
    hv_stop(s);
}

/* PANIC jumps the queue of a flood-limited client: it is handled at once,
 * and the lines that were held back before it are never delivered. */
Test(panic, works_while_flood_limited)
{
    struct hv_opts o = { .flood_mode = "fakelag", .flood_burst = 2, .flood_rate = 1 };
    struct hv_server *s = start(NULL, NULL, &o);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_msleep(2100); /* let the bucket refill after registration */
    char burst[4096];
    size_t n = 0;
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(burst + n, sizeof burst - n, "PRIVMSG #room :queued %d\r\n", i);
    n += (size_t)snprintf(burst + n, sizeof burst - n, "PANIC\r\n");
    hv_send_raw(a, burst, n);
    long long t0 = hv_now_ms();
    hv_expect_ms(b, 1500, "^:alice![^ ]+ QUIT :");
    cr_expect_lt(hv_now_ms() - t0, 1500);
    hv_msleep(1200);
    hv_pump(b, 100);
    cr_assert_null(hv_find(b, "queued ([2-9]|[12][0-9])$"), "held-back lines were delivered after PANIC");
    hv_stop(s);
}

/* With the anonymity module, the new nick is a fresh pseudonym. */
Test(panic, new_nick_is_a_pseudonym)
{
    struct hv_server *s = start(NULL, "\"anonymity\", ", NULL);
    struct hv_client *a = hv_user(s, "alice");
    const char *old = a->nick;
    char before[64];
    snprintf(before, sizeof before, "%s", old);
    hv_send(a, "PANIC");
    const char *nl = hv_expect(a, " NICK :");
    const char *nick = strstr(nl, "NICK :") + 6;
    cr_assert_str_neq(nick, before);
    regex_t re;
    cr_assert(regcomp(&re, "^[A-Z][a-z]+[A-Z][a-z]+[0-9]{1,2}$", REG_EXTENDED | REG_NOSUB) == 0);
    cr_expect(regexec(&re, nick, 0, NULL, 0) == 0, "new nick %s is not a pseudonym", nick);
    regfree(&re);
    hv_stop(s);
}

/* REDACT from a client: allowed for its own recent message, refused for
 * someone else's. */
Test(panic, client_redact_own_message_only)
{
    struct hv_server *s = start(NULL, NULL, NULL);
    struct hv_client *a = user_caps(s, "alice", "message-tags draft/message-redaction echo-message");
    struct hv_client *b = user_caps(s, "bob", "message-tags draft/message-redaction");
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_send(a, "PRIVMSG #room :oops");
    char id[64], bid[64];
    msgid_of(hv_expect(b, "PRIVMSG #room :oops$"), id, sizeof id);
    hv_send(b, "PRIVMSG #room :mine");
    msgid_of(hv_expect(a, "PRIVMSG #room :mine$"), bid, sizeof bid);
    hv_send(a, "REDACT #room %s", id);
    hv_expect(b, "^(@[^ ]+ )?:alice![^ ]+ REDACT #room %s$", hv_re(id));
    hv_send(a, "REDACT #room %s", bid);
    hv_expect(a, "FAIL REDACT REDACT_FORBIDDEN #room %s ", hv_re(bid));
    hv_stop(s);
}

/* Someone MONITORing the old nick sees it go offline, as for a quit. */
Test(panic, monitor_sees_old_nick_go_offline)
{
    struct hv_server *s = start(NULL, NULL, NULL);
    struct hv_client *a = hv_user(s, "alice");
    struct hv_client *b = hv_user(s, "bob");
    hv_send(b, "MONITOR + alice");
    hv_expect(b, "^:" SRV " 730 bob :alice!");
    hv_send(a, "PANIC");
    hv_expect(a, " NICK :");
    hv_expect(b, "^:" SRV " 731 bob :alice$");
    hv_stop(s);
}
