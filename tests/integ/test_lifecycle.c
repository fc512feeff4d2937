/* test_lifecycle.c — signals (TERM, HUP), config test mode, --version/--help. */
#include "harness.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"

TestSuite(lifecycle, .timeout = 60);

/* SIGTERM: every client gets an ERROR line, the process exits 0. */
Test(lifecycle, sigterm_closes_clients)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    struct hv_client *u = hv_connect(s);   /* not registered yet */
    hv_send(u, "NICK half");
    hv_sync(a);
    kill(s->pid, SIGTERM);
    hv_expect(a, "^ERROR :");
    hv_expect(b, "^ERROR :");
    hv_expect_closed(a, 3000);
    hv_expect_closed(b, 3000);
    hv_expect_closed(u, 3000);
    cr_assert(hv_wait_exit(s, 5000), "still running 5 s after SIGTERM");
    cr_expect(WIFEXITED(s->exit_status) && WEXITSTATUS(s->exit_status) == 0,
              "exit status after SIGTERM: %d", s->exit_status);
    hv_stop(s);
}

/* Ask for the MOTD until a line matching ere shows up (bounded). */
static bool motd_shows(struct hv_client *c, const char *ere, int ms)
{
    long long end = hv_now_ms() + ms;
    char re[256];
    snprintf(re, sizeof re, "^:irc\\.test\\.local 372 %s :- %s", c->nick, ere);
    while (hv_now_ms() < end) {
        hv_skip(c);
        size_t from = c->nlines;
        hv_send(c, "MOTD");
        hv_expect(c, "^:" SRV " (376|422) ");
        for (size_t i = from; i < c->nlines; i++) {
            struct hv_client view = *c;
            view.lines += i;
            view.nlines = 1;
            if (hv_find(&view, re))
                return true;
        }
        hv_msleep(100);
    }
    return false;
}

/* SIGHUP reloads the config: a changed MOTD is shown afterwards. */
Test(lifecycle, sighup_reloads_motd)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    cr_assert(motd_shows(a, "Welcome to the test server\\.$", 1000));
    hv_write_motd(s, "Fresh news of the day\nSecond line\n");
    kill(s->pid, SIGHUP);
    cr_expect(motd_shows(a, "Fresh news of the day$", 5000), "new MOTD not shown after SIGHUP");
    hv_sync(a);
    hv_stop(s);
}

/* The 005 lines are built once and kept: a reload that changes a limit
 * shows in the next ISUPPORT (VERSION sends the same lines as the welcome;
 * a new registration would need the port the reload reopened on). */
Test(lifecycle, sighup_refreshes_isupport)
{
    struct hv_opts o = { .extra = "limits = { nicklen = 20; };" };
    struct hv_server *s = hv_start(&o);
    struct hv_client *a = hv_user(s, "alice");
    cr_expect(hv_find(a, "^:" SRV " 005 alice .*NICKLEN=20 ") != NULL, "no NICKLEN=20 in 005");
    char *conf = calloc(1, 65536);
    {
        FILE *f = fopen(s->conf_path, "r");
        cr_assert(f);
        cr_assert(fread(conf, 1, 65535, f) > 0);
        fclose(f);
    }
    char *at = strstr(conf, "nicklen = 20;");
    cr_assert(at, "unexpected generated config");
    memcpy(at, "nicklen = 12;", strlen("nicklen = 12;"));
    hv_write_file(s->conf_path, conf);
    free(conf);
    kill(s->pid, SIGHUP);
    cr_assert(hv_wait_log(s, "configuration reloaded", 5000), "no reload after SIGHUP");
    hv_send(a, "VERSION");
    hv_expect(a, "^:" SRV " 005 alice .*NICKLEN=12 ");
    hv_stop(s);
}

/* SIGHUP with a broken config keeps the old config and keeps running. */
Test(lifecycle, sighup_bad_config_keeps_old)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    char *good = NULL;
    {
        FILE *f = fopen(s->conf_path, "r");
        cr_assert(f);
        size_t cap = 65536;
        good = calloc(1, cap);
        cr_assert(fread(good, 1, cap - 1, f) > 0);
        fclose(f);
    }
    hv_write_file(s->conf_path, "server = { name = ; };\n");
    hv_write_motd(s, "Should not appear\n");
    kill(s->pid, SIGHUP);
    hv_msleep(300);
    hv_sync(a);
    cr_expect(!motd_shows(a, "Should not appear", 600), "MOTD reloaded from a broken config");
    hv_write_file(s->conf_path, good);
    free(good);
    hv_stop(s);
}

/* REHASH picks up a new listener and keeps existing connections. */
Test(lifecycle, sighup_adds_listener)
{
    struct hv_server *s = hv_start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    char *conf = NULL;
    {
        FILE *f = fopen(s->conf_path, "r");
        cr_assert(f);
        conf = calloc(1, 65536);
        cr_assert(fread(conf, 1, 65535, f) > 0);
        fclose(f);
    }
    char *at = strstr(conf, "port = 0; }");
    cr_assert(at, "unexpected generated config");
    char *next = calloc(1, 70000);
    size_t head = (size_t)(at - conf) + strlen("port = 0; }");
    memcpy(next, conf, head);
    strcat(next, ",\n  { address = \"127.0.0.1\"; port = 0; tls = true; }");
    strcat(next, conf + head);
    hv_write_file(s->conf_path, next);
    free(conf);
    free(next);
    kill(s->pid, SIGHUP);
    cr_expect(hv_wait_log(s, "listening on 127\\.0\\.0\\.1 port [0-9]+ \\(tls\\)", 5000),
              "no TLS listener after SIGHUP");
    hv_sync(a);
    /* the new listener works */
    struct hv_server view = *s;
    char *log = hv_log(s);
    const char *key = "listening on 127.0.0.1 port ";
    for (char *q = log; (q = strstr(q, key)); q++) {
        int port = 0;
        char rest[8] = "";
        if (sscanf(q + strlen(key), "%d %7s", &port, rest) == 2 && strcmp(rest, "(tls)") == 0)
            view.tls_port = port;
    }
    free(log);
    cr_assert(view.tls_port > 0);
    struct hv_client *t = hv_connect_tls(&view);
    hv_register(t, "tlsuser");
    hv_stop(s);
}

/* Write a config file to a temp dir made by hv_prepare, return its path. */
static struct hv_server *prepared(void)
{
    return hv_prepare(NULL);
}

/* -t on a good config exits 0. */
Test(lifecycle, config_test_good)
{
    struct hv_server *s = prepared();
    const char *args[] = { "-t", "-c", s->conf_path, NULL };
    char *out;
    int st = hv_run(args, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "havend -t on a good config: status %d, output:\n%s", st, out);
    free(out);
    hv_free(s);
}

/* -t on a syntax error exits non-zero and names the file and line. */
Test(lifecycle, config_test_syntax_error)
{
    struct hv_server *s = prepared();
    hv_write_file(s->conf_path, "server = {\n  name = \"irc.test.local\";\n  sid = ;\n};\n");
    const char *args[] = { "-t", "-c", s->conf_path, NULL };
    char *out;
    int st = hv_run(args, NULL, &out);
    cr_expect(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "havend -t accepted a broken config");
    char want[400];
    snprintf(want, sizeof want, "%s:3", s->conf_path);
    cr_expect(strstr(out, want) != NULL || strstr(out, "havend.conf:3") != NULL,
              "output does not name file:line (%s):\n%s", want, out);
    free(out);
    hv_free(s);
}

/* -t on a semantic error (bad SID, unknown setting) names file:line too. */
Test(lifecycle, config_test_semantic_error)
{
    struct hv_server *s = prepared();
    hv_write_file(s->conf_path,
                  "server = {\n  name = \"irc.test.local\";\n  sid = \"XYZ\";\n};\n"
                  "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n"
                  "bogus = 1;\n");
    const char *args[] = { "-t", "-c", s->conf_path, NULL };
    char *out;
    int st = hv_run(args, NULL, &out);
    cr_expect(!(WIFEXITED(st) && WEXITSTATUS(st) == 0), "havend -t accepted sid XYZ");
    cr_expect(strstr(out, "havend.conf:3") != NULL, "bad sid not reported at line 3:\n%s", out);
    cr_expect(strstr(out, "havend.conf:6") != NULL, "unknown setting not reported at line 6:\n%s", out);
    free(out);
    hv_free(s);
}

/* -t on a missing file fails. */
Test(lifecycle, config_test_missing_file)
{
    const char *args[] = { "-t", "-c", "/nonexistent/havend.conf", NULL };
    char *out;
    int st = hv_run(args, NULL, &out);
    cr_expect(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    cr_expect(strstr(out, "/nonexistent/havend.conf") != NULL, "missing file not named:\n%s", out);
    free(out);
}

/* --version and --help exit 0 with useful output. */
Test(lifecycle, version_and_help)
{
    char *out;
    const char *v[] = { "--version", NULL };
    int st = hv_run(v, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_expect(strstr(out, "havend") && strstr(out, "0."), "--version output: %s", out);
    free(out);
    const char *h[] = { "--help", NULL };
    st = hv_run(h, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    cr_expect(strstr(out, "-c") && strstr(out, "-t"), "--help output: %s", out);
    free(out);
}

/* --mkpasswd output verifies: a server password made with it works. */
Test(lifecycle, mkpasswd_hash_shape)
{
    char *h = hv_mkpasswd("hunter2");
    cr_expect(strncmp(h, "$pbkdf2-sha256$", 15) == 0, "hash: %s", h);
    cr_expect(strstr(h, "hunter2") == NULL);
    char *h2 = hv_mkpasswd("hunter2");
    cr_expect(strcmp(h, h2) != 0, "two hashes of one password are equal (no salt?)");
    free(h);
    free(h2);
}
