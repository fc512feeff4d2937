/* test_queries.c — WHOIS/WHO/WHOWAS field by field, ISON, USERHOST,
 * VERSION, TIME, ADMIN, INFO. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define SRV "irc\\.test\\.local"

TestSuite(queries, .timeout = 60);

/* alice and bob share #q (alice op). */
struct pair {
    struct hv_server *s;
    struct hv_client *a, *b;
};

/* Set up the pair. */
static void pair(struct pair *p)
{
    p->s = hv_start(NULL);
    p->a = hv_user(p->s, "alice");
    p->b = hv_user(p->s, "bob");
    hv_mask(p->a);
    hv_mask(p->b);
    hv_join(p->a, "#q");
    hv_join(p->b, "#q");
}

/* WHOIS: 311 312 319 317 318 with exact fields, no 313 for a non-oper. */
Test(queries, whois_fields)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "WHOIS bob");
    hv_expect_exact(p.a, ":irc.test.local 311 alice bob user %s * :havend user", p.b->host);
    hv_expect_reply(p.a, "318", "alice bob", "End of /WHOIS list");
    /* the order between 311 and 318 is free */
    cr_expect(hv_find(p.a, "^:irc\\.test\\.local 312 alice bob irc\\.test\\.local :test$"), "no exact 312");
    cr_expect(hv_find(p.a, "^:irc\\.test\\.local 319 alice bob :#q ?$"), "no exact 319");
    cr_expect(hv_find(p.a, "^:irc\\.test\\.local 317 alice bob [0-9]+ [0-9]{9,} :seconds idle, signon time$"),
              "no exact 317");
    cr_expect(hv_find(p.a, " 313 alice bob ") == NULL, "313 for a non-oper");
    /* the op prefix shows in 319 */
    hv_send(p.b, "WHOIS alice");
    hv_expect_numeric(p.b, "318");
    cr_expect(hv_find(p.b, "^:irc\\.test\\.local 319 bob alice :@#q ?$"), "no 319 with @#q");
    hv_stop(p.s);
}

/* WHOIS of an unknown nick: 401 then 318; without a parameter: 431. */
Test(queries, whois_errors)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "WHOIS nosuch");
    hv_expect_reply(p.a, "401", "alice nosuch", "No such nick/channel");
    hv_expect_reply(p.a, "318", "alice nosuch", "End of /WHOIS list");
    hv_send(p.a, "WHOIS");
    hv_expect(p.a, "^:" SRV " (431 alice :No nickname given|461 alice WHOIS :Not enough parameters)$");
    hv_stop(p.s);
}

/* Secret channels are not listed in WHOIS to outsiders. */
Test(queries, whois_hides_secret_channels)
{
    struct pair p;
    pair(&p);
    struct hv_client *c = hv_user(p.s, "carol");
    hv_join(p.b, "#hidden");
    hv_send(p.b, "MODE #hidden +s");
    hv_expect(p.b, "MODE #hidden \\+s");
    hv_send(c, "WHOIS bob");
    hv_expect_numeric(c, "318");
    const char *l = hv_find(c, " 319 carol bob ");
    cr_expect(l == NULL || strstr(l, "#hidden") == NULL, "secret channel in WHOIS: %s", l);
    hv_stop(p.s);
}

/* WHO #chan: 352 per member with exact fields, then 315. */
Test(queries, who_channel)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "WHO #q");
    hv_expect(p.a, "^:" SRV " 352 alice #q ");
    hv_expect(p.a, "^:" SRV " 352 alice #q ");
    cr_expect(hv_find(p.a, "^:irc\\.test\\.local 352 alice #q user [^ ]+ irc\\.test\\.local alice H@ :0 havend user$") != NULL,
              "no exact 352 for alice");
    char re[512];
    snprintf(re, sizeof re, "^:irc\\.test\\.local 352 alice #q user %s irc\\.test\\.local bob H :0 havend user$",
             hv_re(p.b->host));
    cr_expect(hv_find(p.a, re) != NULL, "no exact 352 for bob");
    hv_expect_reply(p.a, "315", "alice #q", "End of WHO list");
    hv_stop(p.s);
}

/* WHO nick; G flag when away; 315 names the mask asked for. */
Test(queries, who_nick_and_away_flag)
{
    struct pair p;
    pair(&p);
    hv_send(p.b, "AWAY :brb");
    hv_expect_numeric(p.b, "306");
    hv_send(p.a, "WHO bob");
    hv_expect(p.a, "^:" SRV " 352 alice [^ ]+ user %s irc\\.test\\.local bob G :0 havend user$", hv_re(p.b->host));
    hv_expect_reply(p.a, "315", "alice bob", "End of WHO list");
    hv_stop(p.s);
}

/* WHOWAS after a QUIT: 314 (and 312) then 369; unknown: 406 then 369. */
Test(queries, whowas)
{
    struct pair p;
    pair(&p);
    char host[128];
    snprintf(host, sizeof host, "%s", p.b->host);
    hv_send(p.b, "QUIT :bye");
    hv_expect(p.a, " QUIT ");
    hv_send(p.a, "WHOWAS bob");
    hv_expect_exact(p.a, ":irc.test.local 314 alice bob user %s * :havend user", host);
    hv_expect_reply(p.a, "369", "alice bob", "End of WHOWAS");
    hv_send(p.a, "WHOWAS ghost");
    hv_expect_reply(p.a, "406", "alice ghost", "There was no such nickname");
    hv_expect_reply(p.a, "369", "alice ghost", "End of WHOWAS");
    hv_stop(p.s);
}

/* ISON lists only the nicks that are online. */
Test(queries, ison)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "ISON bob nosuch alice");
    hv_expect(p.a, "^:" SRV " 303 alice :bob alice ?$");
    hv_send(p.a, "ISON nosuch");
    hv_expect(p.a, "^:" SRV " 303 alice :?$");
    hv_stop(p.s);
}

/* USERHOST: nick=+user@host for each known nick. */
Test(queries, userhost)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "USERHOST bob nosuch alice");
    char want[512];
    snprintf(want, sizeof want, "^:irc\\.test\\.local 302 alice :bob=\\+user@%s alice=\\+user@%s ?$",
             hv_re(p.b->host), hv_re(p.a->host));
    hv_expect(p.a, "%s", want);
    hv_stop(p.s);
}

/* VERSION, TIME, ADMIN, INFO shapes. */
Test(queries, server_info_commands)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "VERSION");
    hv_expect(p.a, "^:" SRV " 351 alice [^ ]+ irc\\.test\\.local( :.*)?$");
    hv_send(p.a, "TIME");
    hv_expect(p.a, "^:" SRV " 391 alice irc\\.test\\.local .*:.+$");
    hv_send(p.a, "ADMIN");
    hv_expect(p.a, "^:" SRV " (256 alice irc\\.test\\.local :|423 alice )");
    hv_sync(p.a);
    hv_send(p.a, "INFO");
    hv_expect(p.a, "^:" SRV " 371 alice :");
    hv_expect(p.a, "^:" SRV " 374 alice :End of (/)?INFO( list)?\\.?$");
    hv_stop(p.s);
}

/* LUSERS counts channels (254) and MOTD works on demand. */
Test(queries, lusers_channels)
{
    struct pair p;
    pair(&p);
    hv_send(p.a, "LUSERS");
    hv_expect(p.a, "^:" SRV " 251 alice :");
    hv_expect(p.a, "^:" SRV " 254 alice 1 :channels formed$");
    hv_expect(p.a, "^:" SRV " 255 alice :I have 2 clients and 0 servers$");
    hv_stop(p.s);
}
