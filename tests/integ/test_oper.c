/* test_oper.c — OPER, KILL, WALLOPS, REHASH, DIE and their 481s. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"

TestSuite(oper, .timeout = 60);

/* A server with two oper blocks: "oper" (all privileges, password
 * "operpass") and "weak" (no privileges, password "weakpass"). */
static struct hv_server *oper_server(void)
{
    char *h1 = hv_mkpasswd("operpass"), *h2 = hv_mkpasswd("weakpass");
    static char extra[1024];
    snprintf(extra, sizeof extra,
             "opers = (\n"
             "  { name = \"oper\"; password = \"%s\"; privileges = [\"kill\", \"rehash\", \"die\", \"wallops\"]; },\n"
             "  { name = \"weak\"; password = \"%s\"; }\n"
             ");", h1, h2);
    free(h1);
    free(h2);
    struct hv_opts o = { .extra = extra };
    return hv_start(&o);
}

/* OPER and wait for 381. */
static void become_oper(struct hv_client *c)
{
    hv_send(c, "OPER oper operpass");
    hv_expect_reply(c, "381", c->nick, "You are now an IRC operator");
}

/* Right password: 381 and +o; WHOIS then shows 313. */
Test(oper, oper_success)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(a, "OPER oper operpass");
    hv_expect(a, "^:alice(![^ ]+)? MODE alice :?\\+[a-z]*o[a-z]*$");
    cr_expect(hv_find(a, "^:irc\\.test\\.local 381 alice :You are now an IRC operator$"), "no exact 381");
    hv_send(b, "WHOIS alice");
    hv_expect(b, "^:" SRV " 313 bob alice :");
    hv_expect_numeric(b, "318");
    hv_send(a, "MODE alice");
    const char *l = hv_expect_numeric(a, "221");
    cr_expect(strchr(strrchr(l, '+'), 'o'), "221 lacks o after OPER: %s", l);
    /* -o drops it */
    hv_send(a, "MODE alice -o");
    hv_expect(a, "MODE alice :?-o$");
    hv_stop(s);
}

/* Wrong password: 464; unknown name: 491 (or 464); no +o either way. */
Test(oper, oper_failure)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice");
    /* ircdocs allows 464 for a wrong password; answering 491 for both cases
     * (not revealing which oper names exist) is accepted too */
    hv_send(a, "OPER oper wrong");
    hv_expect(a, "^:" SRV " (464 alice :Password incorrect|491 alice :.+)$");
    hv_send(a, "OPER nobody operpass");
    hv_expect(a, "^:" SRV " (491|464) alice :.+$");
    hv_send(a, "OPER oper");
    hv_expect_reply(a, "461", "alice OPER", "Not enough parameters");
    hv_send(a, "MODE alice");
    const char *l = hv_expect_numeric(a, "221");
    cr_expect(!strchr(strrchr(l, '+'), 'o'), "+o after a failed OPER: %s", l);
    hv_stop(s);
}

/* KILL by an oper: the victim gets ERROR and is cut off, others see QUIT. */
Test(oper, kill_by_oper)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    char bm[256];
    snprintf(bm, sizeof bm, "%s", hv_mask(b));
    hv_join(b, "#k");
    hv_join(c, "#k");
    become_oper(a);
    hv_send(a, "KILL bob :spamming");
    hv_expect(b, "^ERROR :.*spamming");
    hv_expect_closed(b, 3000);
    hv_expect(c, "^:%s QUIT :.*[Kk]illed.*spamming", hv_re(bm));
    hv_send(a, "KILL nosuch :x");
    hv_expect_reply(a, "401", "alice nosuch", "No such nick/channel");
    hv_stop(s);
}

/* Every oper-only command gives 481 to a non-oper. */
Test(oper, non_oper_gets_481)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    static const char *const cmds[] = { "KILL bob :x", "WALLOPS :hi", "REHASH", "DIE" };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        hv_send(a, "%s", cmds[i]);
        hv_expect_reply(a, "481", "alice", "Permission Denied- You're not an IRC operator");
    }
    hv_sync(b);
    cr_expect(!b->eof, "bob was killed by a non-oper");
    hv_stop(s);
}

/* An oper without the needed privilege is refused (481 or 723). */
Test(oper, missing_privilege)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_send(a, "OPER weak weakpass");
    hv_expect_numeric(a, "381");
    hv_send(a, "KILL bob :x");
    hv_expect(a, "^:" SRV " (481|723) alice ");
    hv_send(a, "DIE");
    hv_expect(a, "^:" SRV " (481|723) alice ");
    hv_sync(b);
    cr_expect(!b->eof);
    hv_stop(s);
}

/* WALLOPS reaches +w users with the oper as source. */
Test(oper, wallops)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob"), *c = hv_user(s, "carol");
    char am[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));
    hv_send(b, "MODE bob +w");
    hv_expect(b, "MODE bob :?\\+w$");
    become_oper(a);
    hv_send(a, "WALLOPS :server maintenance soon");
    hv_expect_exact(b, ":%s WALLOPS :server maintenance soon", am);
    hv_expect_none(c, 300, "WALLOPS");
    hv_stop(s);
}

/* REHASH: 382 naming the config file; the server keeps working. */
Test(oper, rehash)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice");
    become_oper(a);
    hv_send(a, "REHASH");
    hv_expect(a, "^:" SRV " 382 alice [^ ]*havend\\.conf :Rehashing$");
    hv_sync(a);
    hv_stop(s);
}

/* DIE: everyone gets ERROR and the process exits cleanly. */
Test(oper, die)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    become_oper(a);
    hv_send(a, "DIE");
    hv_expect(b, "^ERROR :");
    hv_expect_closed(b, 3000);
    hv_expect_closed(a, 3000);
    cr_assert(hv_wait_exit(s, 5000), "server still running after DIE");
    cr_expect(WIFEXITED(s->exit_status) && WEXITSTATUS(s->exit_status) == 0,
              "DIE exit status %d", s->exit_status);
    hv_stop(s);
}

/* Opers are counted in LUSERS (252) and marked '*' in WHO. */
Test(oper, lusers_and_who_show_oper)
{
    struct hv_server *s = oper_server();
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    become_oper(a);
    hv_send(b, "LUSERS");
    hv_expect(b, "^:" SRV " 252 bob 1 :operator\\(s\\) online$");
    hv_send(b, "WHO alice");
    hv_expect(b, "^:" SRV " 352 bob [^ ]+ user [^ ]+ irc\\.test\\.local alice H\\* :0 havend user$");
    hv_stop(s);
}
