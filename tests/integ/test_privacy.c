/* test_privacy.c — nothing a client sees or the log holds reveals addresses,
 * sent usernames/realnames or message text. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(privacy, .timeout = 60);

/* Fail if any line the client received contains one of the secrets. */
static void assert_clean(const struct hv_client *c)
{
    static const char *const secrets[] = { "127.0.0.1", "localhost", "secretident", "Secret Realname",
                                           "SECRETIDENT", "::1" };
    for (size_t i = 0; i < c->nlines; i++)
        for (size_t k = 0; k < sizeof secrets / sizeof *secrets; k++)
            cr_expect(strstr(c->lines[i], secrets[k]) == NULL, "%s received a line leaking \"%s\": %s",
                      c->label, secrets[k], c->lines[i]);
}

/* Register with distinctive USER fields. */
static struct hv_client *secret_user(struct hv_server *s, const char *nick)
{
    struct hv_client *c = hv_connect(s);
    hv_register_full(c, nick, "secretident", "Secret Realname");
    return c;
}

/* Exercise every command that shows user details; nothing leaks. */
Test(privacy, nothing_leaks_to_clients)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = secret_user(s, "alice"), *b = secret_user(s, "bob");
    hv_join(a, "#p");
    hv_join(b, "#p");
    hv_send(a, "PRIVMSG #p :hello");
    hv_send(a, "PRIVMSG bob :hi");
    hv_send(a, "NOTICE bob :note");
    hv_send(a, "TOPIC #p :topic");
    hv_send(a, "MODE #p +b x!*@*");
    hv_send(a, "MODE #p +b");
    hv_send(a, "INVITE bob #p");
    hv_send(b, "WHOIS alice");
    hv_send(b, "WHO #p");
    hv_send(b, "WHO alice");
    hv_send(b, "USERHOST alice");
    hv_send(b, "NAMES #p");
    hv_send(b, "LIST");
    hv_send(b, "TOPIC #p");
    hv_sync(b);
    hv_send(a, "NICK alice2");
    hv_send(a, "WHOIS alice2 alice2");
    hv_sync(a);
    hv_sync(b);
    hv_send(a, "QUIT :bye");
    hv_expect(b, "^:alice2![^ ]+ QUIT ");
    hv_send(b, "WHOWAS alice2");
    hv_expect_numeric(b, "369");
    hv_expect_closed(a, 3000);
    /* public identity: user "user", realname "havend user", host <random>.users.havend */
    cr_expect(hv_find(b, "^:irc\\.test\\.local 311 bob alice user [a-z0-9]+\\.users\\.havend \\* :havend user$"),
              "WHOIS 311 does not show the public identity");
    cr_expect(hv_find(b, "^:alice!user@[a-z0-9]+\\.users\\.havend PRIVMSG bob :hi$"), "unexpected source mask");
    assert_clean(a);
    assert_clean(b);
    hv_stop(s);
}

/* Two connections from the same address get different cloaks. */
Test(privacy, cloaks_differ_per_connection)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = secret_user(s, "alice"), *b = secret_user(s, "bob");
    hv_mask(a);
    hv_mask(b);
    cr_expect_str_neq(a->host, b->host, "same cloak for two users: %s", a->host);
    cr_expect(strstr(a->host, ".users.havend") != NULL, "cloak: %s", a->host);
    hv_stop(s);
}

/* The log names no client address and no message text. */
Test(privacy, log_has_no_address_or_text)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = secret_user(s, "alice"), *b = secret_user(s, "bob");
    hv_join(a, "#p");
    hv_join(b, "#p");
    hv_send(a, "PRIVMSG #p :supersecretmessage one");
    hv_send(a, "PRIVMSG bob :supersecretmessage two");
    hv_send(a, "NOTICE bob :supersecretmessage three");
    hv_send(a, "AWAY :supersecretmessage away");
    hv_send(a, "TOPIC #p :supersecretmessage topic");
    hv_expect(b, "supersecretmessage topic");
    hv_send(a, "QUIT :supersecretmessage quit");
    hv_expect(b, " QUIT ");
    hv_sync(b);
    hv_stop_keep(s);
    char *log = hv_log(s);
    cr_expect(strlen(log) > 0, "log is empty");
    char *line = log, *next;
    for (; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strstr(line, "listening on 127.0.0.1 port") || strstr(line, "listener on 127.0.0.1 port"))
            continue;   /* the listener's own address is not a client's */
        cr_expect(strstr(line, "127.0.0.1") == NULL, "log line names an address: %s", line);
        cr_expect(strstr(line, "supersecretmessage") == NULL, "log line holds message text: %s", line);
        cr_expect(strstr(line, "secretident") == NULL && strstr(line, "Secret Realname") == NULL,
                  "log line holds USER fields: %s", line);
    }
    free(log);
    hv_free(s);
}

/* privacy settings in the config change what is shown. */
Test(privacy, configured_identity)
{
    struct hv_opts o = { .extra = "privacy = { username = \"anon\"; realname = \"someone\"; "
                                  "cloak_suffix = \"hidden.example\"; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = secret_user(s, "alice"), *b = secret_user(s, "bob");
    hv_send(b, "WHOIS alice");
    hv_expect(b, "^:" SRV " 311 bob alice anon [a-z0-9]+\\.hidden\\.example \\* :someone$");
    hv_expect_numeric(b, "318");
    assert_clean(a);
    assert_clean(b);
    hv_stop(s);
}

/* show_sent_username/realname opt in to the sent values. */
Test(privacy, show_sent_fields_when_configured)
{
    struct hv_opts o = { .extra = "privacy = { show_sent_username = true; show_sent_realname = true; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_connect(s), *b = hv_user(s, "bob");
    hv_register_full(a, "alice", "myident", "My Name");
    hv_send(b, "WHOIS alice");
    hv_expect(b, "^:" SRV " 311 bob alice ~?myident [a-z0-9]+\\.users\\.havend \\* :My Name$");
    hv_stop(s);
}
