/* test_config.c — config loading, validation messages and password hashes.
 *
 * Each test writes its files into a fresh mkdtemp() directory (removed
 * afterwards) and checks either the loaded values or that the error text
 * names "<file>:<line>: <setting>".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "havend.h"

static char tmpdir[512];
static char conf_path[600];
static char err[8192];

/* The smallest valid config: two lines, so appended settings start at line 3. */
#define MIN_CONF \
    "server = { name = \"irc.test.local\"; sid = \"0TS\"; };\n" \
    "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n"

/* Make the per-test scratch directory. */
static void setup(void)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/havend-test-config-XXXXXX", base);
    cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
    snprintf(conf_path, sizeof conf_path, "%s/havend.conf", tmpdir);
    err[0] = '\0';
}

/* nftw callback: remove one entry. */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Remove the scratch directory and everything in it. */
static void teardown(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = setup, .fini = teardown);

/* Write `body` to <tmpdir>/<name>. */
static void write_file(const char *name, const char *body)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(body, f);
    fclose(f);
}

/* Write body as havend.conf and load it. */
static struct config *load(const char *body)
{
    write_file("havend.conf", body);
    return config_load(conf_path, err, sizeof err);
}

/* Load body, which must fail with an error naming file:line: setting and
 * containing `reason`. */
static void expect_error(const char *body, int line, const char *setting, const char *reason)
{
    struct config *c = load(body);
    cr_assert_null(c, "config unexpectedly loaded:\n%s", body);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof want, "%s:%d: %s: ", conf_path, line, setting);
    cr_assert_not_null(strstr(err, want), "expected \"%s\" in:\n%s", want, err);
    cr_assert_not_null(strstr(err, reason), "expected \"%s\" in:\n%s", reason, err);
}

Test(config, valid_file_loads_expected_values)
{
    char *hash = passwd_hash("s3cret");
    cr_assert_not_null(hash);
    char longline[600];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    char motd[1024];
    snprintf(motd, sizeof motd, "Hello\r\n\r\nBe kind.\n%s\nlast line, no newline", longline);
    write_file("motd.txt", motd);

    char *body = NULL;
    cr_assert(asprintf(&body,
        "server = {\n"
        "  name = \"irc.example.org\";\n"
        "  sid = \"1AB\";\n"
        "  description = \"test server\";\n"
        "  network = \"TestNet\";\n"
        "  admin = [ \"Somewhere\", \"Else\", \"root@example.org\" ];\n"
        "  password = \"%s\";\n"
        "  motd = \"motd.txt\";\n"
        "  state_dir = \"var\";\n"
        "  tls_cert = \"/etc/ssl/c.pem\"; tls_key = \"k.pem\";\n"
        "};\n"
        "limits = { nicklen = 20; channellen = 40; topiclen = 300; kicklen = 200; awaylen = 100;\n"
        "  userlen = 12; max_channels = 10; max_list = 50; max_targets = 3; max_modes = 6; whowas = 42; };\n"
        "privacy = { show_sent_username = true; show_sent_realname = true; username = \"anon\";\n"
        "  realname = \"someone\"; cloak_suffix = \"hidden.example\"; };\n"
        "log = { file = \"havend.log\"; level = \"debug\"; };\n"
        "listen = ( { address = \"::1\"; port = 6667; },\n"
        "  { address = \"0.0.0.0\"; port = 6697; tls = true; class = \"users\"; cert = \"l.pem\"; key = \"l.key\"; } );\n"
        "classes = ( { name = \"users\"; max_clients = 5; sendq = 5000000000L; recvq = 2048;\n"
        "  ping_freq = 30; ping_timeout = 20; reg_timeout = 10; idle_timeout = 3600;\n"
        "  flood = { mode = \"disconnect\"; burst = 5; rate = 1; }; } );\n"
        "opers = ( { name = \"alice\"; password = \"%s\"; privileges = [ \"kill\", \"rehash\", \"see_address\" ];\n"
        "  class = \"users\"; },\n"
        "  { name = \"bob\"; password = \"%s\"; } );\n", hash, hash, hash) > 0);
    struct config *c = load(body);
    cr_assert_not_null(c, "load failed:\n%s", err);

    cr_assert_str_eq(c->server_name, "irc.example.org");
    cr_assert_str_eq(c->sid, "1AB");
    cr_assert_str_eq(c->description, "test server");
    cr_assert_str_eq(c->network, "TestNet");
    cr_assert_str_eq(c->admin[0], "Somewhere");
    cr_assert_str_eq(c->admin[2], "root@example.org");
    cr_assert_str_eq(c->password_hash, hash);

    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/motd.txt", tmpdir);
    cr_assert_str_eq(c->motd_file, want);
    cr_assert_eq(c->motd_len, 5);
    cr_assert_str_eq(c->motd[0], "Hello");
    cr_assert_str_eq(c->motd[1], "");
    cr_assert_str_eq(c->motd[2], "Be kind.");
    cr_assert_eq(strlen(c->motd[3]), 400, "long MOTD line must be cut at 400 bytes");
    cr_assert_str_eq(c->motd[4], "last line, no newline");

    snprintf(want, sizeof want, "%s/var", tmpdir);
    cr_assert_str_eq(c->state_dir, want);
    cr_assert_str_eq(c->tls_cert, "/etc/ssl/c.pem");
    snprintf(want, sizeof want, "%s/k.pem", tmpdir);
    cr_assert_str_eq(c->tls_key, want);

    cr_assert_eq(c->nicklen, 20);
    cr_assert_eq(c->channellen, 40);
    cr_assert_eq(c->topiclen, 300);
    cr_assert_eq(c->kicklen, 200);
    cr_assert_eq(c->awaylen, 100);
    cr_assert_eq(c->userlen, 12);
    cr_assert_eq(c->max_channels, 10);
    cr_assert_eq(c->max_list, 50);
    cr_assert_eq(c->max_targets, 3);
    cr_assert_eq(c->max_modes, 6);
    cr_assert_eq(c->whowas_len, 42);

    cr_assert(c->show_sent_username && c->show_sent_realname);
    cr_assert_str_eq(c->public_username, "anon");
    cr_assert_str_eq(c->public_realname, "someone");
    cr_assert_str_eq(c->cloak_suffix, "hidden.example");

    snprintf(want, sizeof want, "%s/havend.log", tmpdir);
    cr_assert_str_eq(c->log_file, want);
    cr_assert_eq(c->log_level, LOG_DEBUG);

    cr_assert_eq(c->nlistens, 2);
    cr_assert_str_eq(c->listens[0].address, "::1");
    cr_assert_eq(c->listens[0].port, 6667);
    cr_assert(!c->listens[0].tls);
    cr_assert_null(c->listens[0].cert);
    cr_assert_str_eq(c->listens[0].class_name, "default");
    cr_assert(c->listens[1].tls);
    cr_assert_str_eq(c->listens[1].class_name, "users");
    snprintf(want, sizeof want, "%s/l.pem", tmpdir);
    cr_assert_str_eq(c->listens[1].cert, want);

    const struct conf_class *k = config_find_class(c, "users");
    cr_assert_not_null(k);
    cr_assert_eq(k->max_clients, 5);
    cr_assert_eq(k->sendq, (size_t)5000000000LL, "int64 sendq must load");
    cr_assert_eq(k->recvq, 2048);
    cr_assert_eq(k->ping_freq, 30);
    cr_assert_eq(k->ping_timeout, 20);
    cr_assert_eq(k->reg_timeout, 10);
    cr_assert_eq(k->idle_timeout, 3600);
    cr_assert_eq(k->flood_mode, FLOOD_DISCONNECT);
    cr_assert_eq(k->flood_burst, 5);
    cr_assert_eq(k->flood_rate, 1);
    cr_assert_not_null(config_find_class(c, "default"), "a default class is always added");
    cr_assert_null(config_find_class(c, "nope"));

    const struct conf_oper *o = config_find_oper(c, "alice");
    cr_assert_not_null(o);
    cr_assert_eq(o->privs, OPRIV_KILL | OPRIV_REHASH | OPRIV_SEE_ADDRESS);
    cr_assert_str_eq(o->class_name, "users");
    cr_assert(passwd_verify(o->password_hash, "s3cret"));
    o = config_find_oper(c, "bob");
    cr_assert_not_null(o);
    cr_assert_eq(o->privs, 0);
    cr_assert_null(o->class_name);
    cr_assert_null(config_find_oper(c, "mallory"));

    config_free(c);
    free(body);
    free(hash);
}

Test(config, defaults_applied_when_optional_settings_omitted)
{
    struct config *c = load(MIN_CONF);
    cr_assert_not_null(c, "load failed:\n%s", err);
    char want[PATH_MAX + 64];

    cr_assert_str_eq(c->network, "HavenNet");
    cr_assert_not_null(c->description);
    for (int i = 0; i < 3; i++)
        cr_assert_str_eq(c->admin[i], "");
    cr_assert_null(c->password_hash);
    cr_assert_null(c->motd_file);
    cr_assert_eq(c->motd_len, 0);
    snprintf(want, sizeof want, "%s/state", tmpdir);
    cr_assert_str_eq(c->state_dir, want);
    snprintf(want, sizeof want, "%s/state/tls/cert.pem", tmpdir);
    cr_assert_str_eq(c->tls_cert, want);
    snprintf(want, sizeof want, "%s/state/tls/key.pem", tmpdir);
    cr_assert_str_eq(c->tls_key, want);

    cr_assert_eq(c->nicklen, 30);
    cr_assert_eq(c->channellen, 50);
    cr_assert_eq(c->topiclen, 390);
    cr_assert_eq(c->kicklen, 255);
    cr_assert_eq(c->awaylen, 200);
    cr_assert_eq(c->userlen, 10);
    cr_assert_eq(c->max_channels, 25);
    cr_assert_eq(c->max_list, 100);
    cr_assert_eq(c->max_targets, 4);
    cr_assert_eq(c->max_modes, 4);
    cr_assert_eq(c->whowas_len, 200);

    cr_assert(!c->show_sent_username && !c->show_sent_realname);
    cr_assert_str_eq(c->public_username, "user");
    cr_assert_str_eq(c->public_realname, "havend user");
    cr_assert_str_eq(c->cloak_suffix, "users.havend");
    cr_assert_null(c->log_file);
    cr_assert_eq(c->log_level, LOG_INFO);

    cr_assert_eq(c->nlistens, 1);
    cr_assert_eq(c->listens[0].port, 0);
    cr_assert(!c->listens[0].tls);
    cr_assert_str_eq(c->listens[0].class_name, "default");

    const struct conf_class *k = config_find_class(c, "default");
    cr_assert_not_null(k);
    cr_assert_eq(c->nclasses, 1);
    cr_assert_eq(k->max_clients, 1000);
    cr_assert_eq(k->sendq, 1048576);
    cr_assert_eq(k->recvq, 8192);
    cr_assert_eq(k->ping_freq, 90);
    cr_assert_eq(k->ping_timeout, 60);
    cr_assert_eq(k->reg_timeout, 30);
    cr_assert_eq(k->idle_timeout, 0);
    cr_assert_eq(k->flood_mode, FLOOD_FAKELAG);
    cr_assert_eq(k->flood_burst, 10);
    cr_assert_eq(k->flood_rate, 2);
    cr_assert_eq(c->nopers, 0);
    config_free(c);
}

Test(config, class_defaults_fill_a_partial_class)
{
    struct config *c = load(MIN_CONF "classes = ( { name = \"default\"; sendq = 8192; flood = { burst = 3; }; } );\n");
    cr_assert_not_null(c, "load failed:\n%s", err);
    cr_assert_eq(c->nclasses, 1, "an explicit default class is not duplicated");
    cr_assert_eq(c->classes[0].sendq, 8192);
    cr_assert_eq(c->classes[0].recvq, 8192);
    cr_assert_eq(c->classes[0].flood_burst, 3);
    cr_assert_eq(c->classes[0].flood_rate, 2);
    config_free(c);
}

Test(config, bad_sid)
{
    expect_error("server = {\n  name = \"irc.test.local\";\n  sid = \"HV0\";\n};\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n",
                 3, "server.sid", "digit");
}

Test(config, server_name_needs_a_dot)
{
    expect_error("server = { sid = \"0TS\";\n name = \"localhost\"; };\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n",
                 2, "server.name", "'.'");
}

Test(config, required_server_settings)
{
    expect_error("server = { name = \"irc.test.local\"; };\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n",
                 1, "server.sid", "missing");
}

Test(config, port_out_of_range)
{
    expect_error("server = { name = \"irc.test.local\"; sid = \"0TS\"; };\n"
                 "listen = (\n  { address = \"127.0.0.1\"; port = 6667; },\n"
                 "  { address = \"127.0.0.1\"; port = 70000; } );\n",
                 4, "listen[1].port", "65535");
}

Test(config, bad_listen_address)
{
    expect_error("server = { name = \"irc.test.local\"; sid = \"0TS\"; };\n"
                 "listen = ( { address = \"localhost\"; port = 1; } );\n",
                 2, "listen[0].address", "IPv4");
}

Test(config, listen_required)
{
    expect_error("server = { name = \"irc.test.local\"; sid = \"0TS\"; };\nlisten = ( );\n",
                 2, "listen", "at least one");
}

Test(config, unknown_flood_mode)
{
    expect_error(MIN_CONF "classes = ( { name = \"default\";\n"
                 "  flood = { mode = \"ban\"; }; } );\n",
                 4, "classes[0].flood.mode", "fakelag");
}

Test(config, sendq_too_small)
{
    expect_error(MIN_CONF "classes = ( { name = \"default\"; sendq = 100; } );\n",
                 3, "classes[0].sendq", "4096");
}

Test(config, duplicate_class_names)
{
    expect_error(MIN_CONF "classes = ( { name = \"a\"; },\n  { name = \"a\"; } );\n",
                 4, "classes[1].name", "duplicate");
}

Test(config, listen_references_unknown_class)
{
    expect_error("server = { name = \"irc.test.local\"; sid = \"0TS\"; };\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; class = \"vip\"; } );\n",
                 2, "listen[0].class", "vip");
}

Test(config, oper_with_malformed_hash)
{
    expect_error(MIN_CONF "opers = ( { name = \"admin\";\n  password = \"hunter2\"; } );\n",
                 4, "opers[0].password", "--mkpasswd");
    cr_assert_null(strstr(err, "hunter2"), "a (maybe plaintext) password must not be echoed");
}

Test(config, unknown_privilege)
{
    char *hash = passwd_hash("pw");
    char *body = NULL;
    cr_assert(asprintf(&body, MIN_CONF "opers = ( { name = \"admin\"; password = \"%s\";\n"
                       "  privileges = [ \"kill\", \"fly\" ]; } );\n", hash) > 0);
    expect_error(body, 4, "opers[0].privileges", "fly");
    free(body);
    free(hash);
}

Test(config, unknown_settings_are_errors)
{
    expect_error(MIN_CONF "limits = {\n  nicklen = 20;\n  nicklenn = 21; };\n",
                 5, "limits.nicklenn", "unknown");
    expect_error(MIN_CONF "\nserverr = { };\n", 4, "serverr", "unknown");
}

Test(config, limits_ranges)
{
    expect_error(MIN_CONF "limits = { nicklen = 33; };\n", 3, "limits.nicklen", "32");
    expect_error(MIN_CONF "limits = { channellen = 1; };\n", 3, "limits.channellen", "64");
    expect_error(MIN_CONF "limits = { topiclen = 401; };\n", 3, "limits.topiclen", "400");
    expect_error(MIN_CONF "limits = { max_list = 0; };\n", 3, "limits.max_list", "at least 1");
}

/* limits.max_clients (all connections at once, 0 = unlimited) and
 * limits.max_invites (pending INVITEs per channel): defaults when left
 * out, values as given, and bad values refused with file:line. */
Test(config, server_wide_client_and_invite_limits)
{
    struct config *c = load(MIN_CONF);
    cr_assert_not_null(c, "load failed:\n%s", err);
    cr_assert_eq(c->max_clients, 10000, "default limits.max_clients");
    cr_assert_eq(c->max_invites, 64, "default limits.max_invites");
    config_free(c);

    c = load(MIN_CONF "limits = { max_clients = 250; max_invites = 2; };\n");
    cr_assert_not_null(c, "load failed:\n%s", err);
    cr_assert_eq(c->max_clients, 250);
    cr_assert_eq(c->max_invites, 2);
    config_free(c);

    c = load(MIN_CONF "limits = { max_clients = 0; max_invites = 10000; };\n");
    cr_assert_not_null(c, "0 (unlimited) refused:\n%s", err);
    cr_assert_eq(c->max_clients, 0);
    cr_assert_eq(c->max_invites, 10000);
    config_free(c);

    expect_error(MIN_CONF "limits = { max_clients = -1; };\n", 3, "limits.max_clients", "must be at least 0 (got -1)");
    expect_error(MIN_CONF "limits = {\n  max_invites = 0; };\n", 4, "limits.max_invites",
                 "must be between 1 and 10000 (got 0)");
    expect_error(MIN_CONF "limits = { max_invites = 10001; };\n", 3, "limits.max_invites", "between 1 and 10000");
    expect_error(MIN_CONF "limits = { max_clients = \"many\"; };\n", 3, "limits.max_clients", "integer");
}

Test(config, wrong_types)
{
    expect_error(MIN_CONF "limits = { nicklen = \"20\"; };\n", 3, "limits.nicklen", "integer");
    expect_error(MIN_CONF "privacy = { show_sent_username = 1; };\n", 3,
                 "privacy.show_sent_username", "true or false");
    expect_error(MIN_CONF "log = { level = 3; };\n", 3, "log.level", "string");
}

Test(config, unknown_log_level)
{
    expect_error(MIN_CONF "log = { level = \"loud\"; };\n", 3, "log.level", "debug");
}

Test(config, int_literal_too_big_for_libconfig_int)
{
    /* libconfig 1.5 would silently truncate this to 705032704 */
    expect_error(MIN_CONF "classes = ( { name = \"default\"; sendq = 5000000000; } );\n",
                 3, "sendq", "L suffix");
}

Test(config, syntax_error_reports_file_and_line)
{
    struct config *c = load("server = {\n  name = \"irc.test.local\";\n  sid = ;\n};\n");
    cr_assert_null(c);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s:3: ", conf_path);
    cr_assert_eq(strncmp(err, want, strlen(want)), 0, "expected \"%s\" at the start of:\n%s", want, err);
    cr_assert_not_null(strstr(err, "syntax error"), "%s", err);
}

Test(config, string_where_a_name_belongs_is_a_syntax_error)
{
    /* libconfig 1.5 leaks the string on this error; we must report it without leaking */
    struct config *c = load(MIN_CONF "limits = { nicklen = 20; };\n\"oops\" = 1;\n");
    cr_assert_null(c);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof want, "%s:4: syntax error", conf_path);
    cr_assert_not_null(strstr(err, want), "expected \"%s\" in:\n%s", want, err);
    c = load(MIN_CONF "log = { level \"info\"; };\n");
    cr_assert_null(c);
    snprintf(want, sizeof want, "%s:3: syntax error", conf_path);
    cr_assert_not_null(strstr(err, want), "expected \"%s\" in:\n%s", want, err);
}

Test(config, bad_includes_are_errors)
{
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    /* libconfig 1.5 would exit() the whole process on a directory include */
    struct config *c = load(MIN_CONF "@include \"sub\"\n");
    cr_assert_null(c);
    cr_assert_not_null(strstr(err, ":3: cannot open include file \"sub\""), "%s", err);
    c = load(MIN_CONF "@include \"absent.conf\"\n");
    cr_assert_null(c);
    cr_assert_not_null(strstr(err, "absent.conf"), "%s", err);
    c = load(MIN_CONF "@include \"havend.conf\"\n");
    cr_assert_null(c, "a file including itself must fail, not loop");
    cr_assert_not_null(strstr(err, "nesting too deep"), "%s", err);
}

Test(config, missing_motd_file_is_named)
{
    expect_error("server = { name = \"irc.test.local\"; sid = \"0TS\";\n  motd = \"nosuch.txt\"; };\n"
                 "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n",
                 2, "server.motd", "nosuch.txt");
}

Test(config, collects_many_problems)
{
    struct config *c = load("server = { name = \"x\"; sid = \"x\"; };\n"
                            "listen = ( { address = \"x\"; port = -1; } );\n");
    cr_assert_null(c);
    int lines = 1;
    for (const char *p = err; *p; p++)
        lines += *p == '\n';
    cr_assert_geq(lines, 4, "expected one line per problem, got:\n%s", err);
}

Test(config, small_error_buffer_is_safe)
{
    write_file("havend.conf", "server = { name = \"x\"; sid = \"x\"; };\n");
    char small[16];
    memset(small, 'Z', sizeof small);
    cr_assert_null(config_load(conf_path, small, sizeof small));
    cr_assert_lt(strlen(small), sizeof small);
    cr_assert_null(config_load(conf_path, NULL, 0), "a NULL error buffer is allowed");
    char one[1] = { 'Z' };
    cr_assert_null(config_load(conf_path, one, sizeof one));
    cr_assert_eq(one[0], '\0');
}

Test(config, missing_config_file)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/absent.conf", tmpdir);
    cr_assert_null(config_load(path, err, sizeof err));
    cr_assert_not_null(strstr(err, path), "%s", err);
    cr_assert_null(config_load(tmpdir, err, sizeof err), "a directory is not a config file");
    cr_assert_null(config_load(NULL, err, sizeof err));
}

Test(config, relative_paths_resolve_against_config_dir)
{
    write_file("motd.txt", "hi\n");
    write_file("extra.conf", "log = { level = \"warn\"; };\n");
    cr_assert_eq(chdir("/"), 0);
    char *body = NULL;
    cr_assert(asprintf(&body, "server = { name = \"irc.test.local\"; sid = \"0TS\"; motd = \"motd.txt\"; };\n"
                       "listen = ( { address = \"127.0.0.1\"; port = 0; } );\n"
                       "@include \"extra.conf\"\n") > 0);
    struct config *c = load(body);
    cr_assert_not_null(c, "load failed:\n%s", err);
    cr_assert_eq(c->log_level, LOG_WARN, "@include resolves against the config directory");
    cr_assert_eq(c->motd_len, 1);
    cr_assert_str_eq(c->motd[0], "hi");
    cr_assert_eq(c->path[0], '/');
    config_free(c);
    free(body);
}

Test(config, shipped_config_loads_cleanly)
{
    const char *src = getenv("HAVEND_SRCDIR");
    if (!src)
        cr_skip_test("HAVEND_SRCDIR is not set");
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/conf/havend.conf", src);
    struct config *c = config_load(path, err, sizeof err);
    cr_assert_not_null(c, "conf/havend.conf does not load:\n%s", err);
    cr_assert_eq(c->nlistens, 2);
    cr_assert_eq(c->listens[0].port, 6667);
    cr_assert(!c->listens[0].tls);
    cr_assert_eq(c->listens[1].port, 6697);
    cr_assert(c->listens[1].tls);
    cr_assert_null(c->listens[1].cert, "no cert: the server generates one");
    cr_assert_gt(c->motd_len, 0);
    cr_assert_eq(c->state_dir[0], '/');
    cr_assert_eq(c->max_clients, 10000, "the shipped config documents limits.max_clients = 10000");
    cr_assert_eq(c->max_invites, 64, "the shipped config documents limits.max_invites = 64");
    config_free(c);
}

/* ---------------------------------------------------------------- passwords */

Test(config, passwd_roundtrip)
{
    char *h = passwd_hash("correct horse");
    cr_assert_not_null(h);
    cr_assert_eq(strncmp(h, "$pbkdf2-sha256$100000$", 22), 0, "%s", h);
    cr_assert(passwd_hash_valid(h));
    cr_assert(passwd_verify(h, "correct horse"));
    char *h2 = passwd_hash("correct horse");
    cr_assert_str_neq(h, h2, "each hash has its own salt");
    cr_assert(passwd_verify(h2, "correct horse"));
    free(h2);
    h2 = passwd_hash("");
    cr_assert(passwd_verify(h2, ""));
    cr_assert(!passwd_verify(h2, "x"));
    free(h2);
    free(h);
}

Test(config, passwd_wrong_password_fails)
{
    char *h = passwd_hash("correct horse");
    cr_assert(!passwd_verify(h, "correct hors"));
    cr_assert(!passwd_verify(h, "correct horsE"));
    cr_assert(!passwd_verify(h, ""));
    cr_assert(!passwd_verify(h, NULL));
    free(h);
}

Test(config, passwd_malformed_hash_fails)
{
    char *h = passwd_hash("pw");
    char buf[256];
    const char *bad[] = {
        "", "$", "plain", "$pbkdf2-sha256$", "$pbkdf2-sha256$100000$",
        "$pbkdf2-sha256$100000$$", "$pbkdf2-sha1$100000$AAAAAAAAAAA=$AAAA",
        "$pbkdf2-sha256$abc$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "$pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$-5$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$99999999999999999999$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$100000$!!!!AAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",              /* short hash */
        "$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$",
        "$pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A",
        "$pbkdf2-sha256$100000$AAAA=AAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        " $pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert(!passwd_hash_valid(bad[i]), "accepted: %s", bad[i]);
        cr_assert(!passwd_verify(bad[i], "pw"), "verified: %s", bad[i]);
    }
    cr_assert(!passwd_hash_valid(NULL));
    cr_assert(!passwd_verify(NULL, "pw"));

    /* the real hash, truncated at every length, never verifies */
    size_t len = strlen(h);
    for (size_t n = 0; n < len; n++) {
        snprintf(buf, sizeof buf, "%.*s", (int)n, h);
        cr_assert(!passwd_verify(buf, "pw"), "truncated hash verified: %s", buf);
    }
    /* a flipped byte in the derived key fails */
    snprintf(buf, sizeof buf, "%s", h);
    char *last = strrchr(buf, '$') + 1;
    last[0] = last[0] == 'A' ? 'B' : 'A';
    cr_assert(passwd_hash_valid(buf));
    cr_assert(!passwd_verify(buf, "pw"));
    free(h);
}
