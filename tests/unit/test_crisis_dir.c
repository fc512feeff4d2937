/* test_crisis_dir.c — the crisis module's resource directory and config
 * (modules/crisis/crisis_dir.c, crisis_conf.c), linked directly: the
 * shipped conf/resources.conf loads and cites its sources, malformed
 * entries are refused with the file and line, and the `crisis` group is
 * validated the same way. HAVEND_SRCDIR points at the source tree. */
#include "crisis.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A path in the source tree. */
static const char *src_path(const char *rel)
{
    static char buf[1024];
    const char *d = getenv("HAVEND_SRCDIR");
    cr_assert(d && *d, "HAVEND_SRCDIR is not set (run through meson test)");
    snprintf(buf, sizeof buf, "%s/%s", d, rel);
    return buf;
}

/* Write text to a fresh temporary file; returns its path (static). */
static const char *temp_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/crisis-dir-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Load text as a directory; expect failure, with an error containing
 * "<file>:<line>:" and `reason`. */
static void expect_error(const char *text, unsigned line, const char *reason)
{
    const char *path = temp_file(text);
    struct crisis_dir d;
    char err[512] = "";
    int rc = crisis_dir_load(path, &d, err, sizeof err);
    unlink(path);
    cr_assert_eq(rc, -1, "loaded although it should fail with: %s", reason);
    char where[128];
    snprintf(where, sizeof where, "%s:%u:", path, line);
    cr_expect(strstr(err, where), "error \"%s\" does not name %s", err, where);
    cr_expect(strstr(err, reason), "error \"%s\" does not say \"%s\"", err, reason);
}

/* A valid international group, for files that test regions. */
#define INTL \
    "international = { emergency = \"112\";\n" \
    "  services = ( { name = \"Find A Helpline\"; web = \"https://findahelpline.com\"; " \
    "topics = [ \"suicide\" ]; } ); };\n"

/* ------------------------------------------------------------ the shipped file */

Test(crisis_dir, shipped_file_loads)
{
    struct crisis_dir d;
    char err[512];
    int rc = crisis_dir_load(src_path("conf/resources.conf"), &d, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    static const char *const need[] = { "US", "GB", "IE", "CA", "AU", "NZ", "DE", "FR", "IN" };
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        const struct crisis_region *r = crisis_dir_find(&d, need[i]);
        cr_assert(r, "region %s is missing", need[i]);
        cr_expect(r->emergency && *r->emergency);
        /* every region has a general crisis line */
        bool general = false;
        for (size_t k = 0; k < r->nsv; k++)
            general = general || (r->sv[k].topics & (1u << CT_SUICIDE | 1u << CT_MENTAL_HEALTH));
        cr_expect(general, "%s has no suicide or mental-health service", need[i]);
    }
    cr_assert_gt(d.intl.nsv, 0);
    cr_assert_str_eq(crisis_dir_find(&d, "UK")->code, "GB");
    cr_assert_str_eq(crisis_dir_find(&d, "new zealand")->code, "NZ");
    cr_assert_str_eq(crisis_dir_find(&d, "ie")->code, "IE");
    cr_assert_null(crisis_dir_find(&d, "XX"));
    /* a few numbers people must be able to rely on */
    cr_assert_str_eq(crisis_dir_find(&d, "US")->emergency, "911");
    cr_assert_str_eq(crisis_dir_find(&d, "US")->sv[0].phone, "988");
    cr_assert_str_eq(crisis_dir_find(&d, "GB")->sv[0].phone, "116 123");
    cr_assert_str_eq(crisis_dir_find(&d, "AU")->sv[0].phone, "13 11 14");
    crisis_dir_free(&d);
}

/* Every service in the shipped file has a "# Source: http..." comment above
 * it, and the file tells operators to review it. */
Test(crisis_dir, shipped_file_cites_sources)
{
    FILE *f = fopen(src_path("conf/resources.conf"), "r");
    cr_assert(f);
    char line[1024], prev[1024] = "";
    unsigned n = 0, services = 0;
    bool review = false;
    while (fgets(line, sizeof line, f)) {
        n++;
        review = review || strstr(line, "OPERATORS: REVIEW THIS FILE");
        const char *p = line + strspn(line, " ");
        if (strncmp(p, "{ name = ", 9) == 0) {
            services++;
            const char *q = prev + strspn(prev, " ");
            cr_expect(strncmp(q, "# Source: http", 14) == 0, "line %u: no \"# Source: <url>\" above: %s", n, line);
        }
        if (*p != '\n')
            snprintf(prev, sizeof prev, "%s", line);
    }
    fclose(f);
    cr_assert(review, "the review note for operators is missing");
    cr_assert_gt(services, 40);
}

Test(crisis_dir, service_lines)
{
    struct crisis_service s = { .name = "988 Suicide & Crisis Lifeline", .phone = "988", .text = "988",
                                .chat = "https://988lifeline.org/chat", .hours = "24/7", .languages = "en, es" };
    char buf[300];
    crisis_service_line(&s, buf, sizeof buf);
    cr_assert_str_eq(buf, "988 Suicide & Crisis Lifeline: call or text 988, chat https://988lifeline.org/chat "
                          "(24/7; en, es)");
    struct crisis_service t = { .name = "Shout", .text = "SHOUT to 85258", .web = "https://giveusashout.org" };
    crisis_service_line(&t, buf, sizeof buf);
    cr_assert_str_eq(buf, "Shout: text SHOUT to 85258, https://giveusashout.org");
    char small[10];
    size_t n = crisis_service_line(&s, small, sizeof small);
    cr_assert_lt(n, sizeof small);
    cr_assert_eq(strlen(small), n);
}

/* ------------------------------------------------------------ validation errors */

Test(crisis_dir, syntax_error_names_line)
{
    expect_error(INTL "regions = (\n  { code = \"US\"; country = ; }\n);\n", 4, "syntax error");
}

Test(crisis_dir, missing_file)
{
    struct crisis_dir d;
    char err[512];
    cr_assert_eq(crisis_dir_load("/nonexistent/resources.conf", &d, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/resources.conf") && strstr(err, "cannot read"), "%s", err);
}

Test(crisis_dir, region_code_format)
{
    const char *head = INTL "regions = (\n";
    char buf[2048];
    static const char *const bad[] = { "gb", "GBR", "G1", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(buf, sizeof buf, "%s  { country = \"X\"; emergency = \"1\";\n    code = \"%s\";\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); }\n);\n",
                 head, bad[i]);
        expect_error(buf, 5, bad[i][0] ? "ISO 3166-1 alpha-2" : "must not be empty");
    }
}

Test(crisis_dir, duplicate_code_and_alias)
{
    expect_error(INTL "regions = (\n"
                 "  { code = \"GB\"; country = \"A\"; emergency = \"1\"; aliases = [ \"UK\" ];\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); },\n"
                 "  { code = \"GB\"; country = \"B\"; emergency = \"1\";\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); }\n);\n",
                 6, "used twice");
    expect_error(INTL "regions = (\n"
                 "  { code = \"GB\"; country = \"A\"; emergency = \"1\"; aliases = [ \"UK\" ];\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); },\n"
                 "  { code = \"UA\"; country = \"B\"; emergency = \"1\";\n"
                 "    aliases = [ \"UK\" ];\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); }\n);\n",
                 7, "already a code or alias");
}

Test(crisis_dir, missing_fields)
{
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; emergency = \"911\";\n"
                 "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); }\n);\n",
                 4, "missing country");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; },\n"
                 "      { phone = \"988\"; topics = [ \"suicide\" ]; }\n"
                 "    ); }\n);\n",
                 7, "regions[0] (US).services[1]: missing name");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"Nothing\"; topics = [ \"suicide\" ]; }\n"
                 "    ); }\n);\n",
                 6, "needs a way to reach it");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\"; services = ( ); }\n);\n",
                 4, "non-empty list");
    expect_error("regions = ( );\n", 0, "international fallback group is required");
}

Test(crisis_dir, bad_topics)
{
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\";\n"
                 "        topics = [ \"suicide\",\n"
                 "                   \"sucide\" ]; }\n"
                 "    ); }\n);\n",
                 8, "unknown topic \"sucide\"");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\"; topics = [ ]; }\n"
                 "    ); }\n);\n",
                 6, "needs topics");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\"; }\n"
                 "    ); }\n);\n",
                 6, "needs topics");
}

Test(crisis_dir, bad_values)
{
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ];\n"
                 "        chat = \"988lifeline.org/chat\"; }\n"
                 "    ); }\n);\n",
                 7, "URL starting with https://");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ];\n"
                 "        languages = [ \"English\" ]; }\n"
                 "    ); }\n);\n",
                 7, "language \"English\"");
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; phone = 988; topics = [ \"suicide\" ]; }\n"
                 "    ); }\n);\n",
                 6, "phone must be a string");
}

Test(crisis_dir, unknown_settings)
{
    expect_error(INTL "regions = (\n"
                 "  { code = \"US\"; country = \"United States\"; emergency = \"911\";\n"
                 "    services = (\n"
                 "      { name = \"A\"; topics = [ \"suicide\" ];\n"
                 "        phnoe = \"988\"; }\n"
                 "    ); }\n);\n",
                 7, "unknown setting \"phnoe\"");
    expect_error(INTL "regoins = ( );\n", 3, "unknown setting \"regoins\"");
}

/* ------------------------------------------------------------ the crisis config group */

/* Parse a `crisis = { ... }` text; returns the rc, err filled. */
static int parse_conf(const char *text, struct crisis_conf *c, char *err, size_t errlen, const char **path)
{
    *path = temp_file(text);
    config_t cfg;
    config_init(&cfg);
    cr_assert(config_read_file(&cfg, *path), "test config does not parse: %s", config_error_text(&cfg));
    int rc = crisis_conf_parse(config_lookup(&cfg, "crisis"), "/etc/havend", c, err, errlen);
    config_destroy(&cfg);
    unlink(*path);
    return rc;
}

Test(crisis_conf, defaults)
{
    struct crisis_conf c;
    char err[512];
    cr_assert_eq(crisis_conf_parse(NULL, "/etc/havend", &c, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(c.service_nick, "Crisis");
    cr_assert_str_eq(c.directory, "/etc/havend/resources.conf");
    cr_assert_str_eq(c.default_region, "US");
    cr_assert_str_eq(c.staff_channel, "#staff");
    cr_assert_eq(c.interval, 600);
    cr_assert(!c.alert_text && !c.scan_private && c.channel_commands);
    size_t kinds[3] = { 0 };
    for (size_t i = 0; i < c.nphrases; i++)
        kinds[c.phrases[i].kind == CK_URGENT ? 0 : c.phrases[i].kind == CK_CONCERN ? 1 : 2]++;
    cr_assert_gt(kinds[0], 10);
    cr_assert_gt(kinds[1], 10);
    cr_assert_gt(kinds[2], 5);
    crisis_conf_free(&c);
}

Test(crisis_conf, settings_and_paths)
{
    struct crisis_conf c;
    char err[512];
    const char *path;
    int rc = parse_conf("crisis = { service_nick = \"Help\"; directory = \"/srv/res.conf\"; default_region = \"GB\";\n"
                        "  staff_channel = \"#volunteers\"; alert_text = true; scan_private = true; interval = 0;\n"
                        "  urgent = [ \"end it all\" ]; concern = [ \"self-harm: cut myself\" ];\n"
                        "  ignore_phrases = [ ]; };\n", &c, err, sizeof err, &path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(c.service_nick, "Help");
    cr_assert_str_eq(c.directory, "/srv/res.conf");
    cr_assert_str_eq(c.staff_channel, "#volunteers");
    cr_assert(c.alert_text && c.scan_private);
    cr_assert_eq(c.interval, 0);
    cr_assert_eq(c.nphrases, 2);
    cr_assert_str_eq(c.phrases[1].text, "cut myself");
    cr_assert_eq(c.phrases[1].topic, CT_SELF_HARM);
    crisis_conf_free(&c);
    rc = parse_conf("crisis = { directory = \"res/dir.conf\"; staff_channel = \"\"; default_region = \"\"; };\n", &c,
                    err, sizeof err, &path);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(c.directory, "/etc/havend/res/dir.conf");
    cr_assert_str_eq(c.staff_channel, "");
    cr_assert_str_eq(c.default_region, "");
    crisis_conf_free(&c);
}

/* Expect the crisis group text to be refused at `line` with `reason`. */
static void expect_conf_error(const char *text, unsigned line, const char *reason)
{
    struct crisis_conf c;
    char err[512] = "";
    const char *path;
    cr_assert_eq(parse_conf(text, &c, err, sizeof err, &path), -1, "accepted: %s", text);
    char where[128];
    snprintf(where, sizeof where, "%s:%u: crisis.", path, line);
    cr_expect(strstr(err, where), "error \"%s\" does not name %s", err, where);
    cr_expect(strstr(err, reason), "error \"%s\" does not say \"%s\"", err, reason);
}

Test(crisis_conf, errors_name_the_line)
{
    expect_conf_error("crisis = {\n  urgent = [ \"want to die\",\n    \"!!!\" ];\n};\n", 3, "no words left");
    expect_conf_error("crisis = {\n  concern = [ \"sucide: he hits me\" ];\n};\n", 2, "must be a topic");
    expect_conf_error("crisis = {\n  interval = -5;\n};\n", 2, "crisis.interval");
    expect_conf_error("crisis = {\n  staff_channel = \"staff\";\n};\n", 2, "crisis.staff_channel");
    expect_conf_error("crisis = {\n  default_region = \"uk\";\n};\n", 2, "crisis.default_region");
    expect_conf_error("crisis = {\n  service_nick = \"1bad\";\n};\n", 2, "not a valid nick");
    expect_conf_error("crisis = {\n  scan_private = \"yes\";\n};\n", 2, "true or false");
    expect_conf_error("crisis = {\n  urgnet = [ ];\n};\n", 2, "unknown setting");
    expect_conf_error("crisis = {\n  urgent = \"want to die\";\n};\n", 2, "must be a list");
}

Test(crisis_conf, phrase_topics)
{
    int t;
    const char *p;
    cr_assert(crisis_phrase_split("domestic-abuse: he hits me", &t, &p));
    cr_assert_eq(t, CT_DOMESTIC_ABUSE);
    cr_assert_str_eq(p, "he hits me");
    cr_assert(crisis_phrase_split("want to die", &t, &p));
    cr_assert_eq(t, CRISIS_NO_TOPIC);
    cr_assert(!crisis_phrase_split("nope: x", &t, &p));
    cr_assert_eq(crisis_topic_find("LGBTQ+"), CT_LGBTQ);
    cr_assert_eq(crisis_topic_find("Eating Disorders"), CT_EATING_DISORDERS);
    cr_assert_eq(crisis_topic_find("domestic abuse"), CT_DOMESTIC_ABUSE);
    cr_assert_eq(crisis_topic_find("drugs"), CT_SUBSTANCE_USE);
    cr_assert_eq(crisis_topic_find("weather"), -1);
}

/* The lists shipped in conf/havend.conf are the built-in defaults, so a
 * network that drops them from its config keeps the same protection. */
Test(crisis_conf, shipped_lists_are_the_defaults)
{
    config_t cfg;
    config_init(&cfg);
    cr_assert(config_read_file(&cfg, src_path("conf/havend.conf")), "conf/havend.conf:%d: %s",
              config_error_line(&cfg), config_error_text(&cfg));
    const config_setting_t *g = config_lookup(&cfg, "crisis");
    cr_assert(g, "conf/havend.conf has no crisis group");
    struct crisis_conf shipped, def;
    char err[512];
    cr_assert_eq(crisis_conf_parse(g, src_path("conf"), &shipped, err, sizeof err), 0, "%s", err);
    config_destroy(&cfg);
    cr_assert_eq(crisis_conf_parse(NULL, "/", &def, err, sizeof err), 0, "%s", err);
    cr_assert_eq(shipped.nphrases, def.nphrases);
    for (size_t i = 0; i < def.nphrases; i++) {
        cr_expect_str_eq(shipped.phrases[i].text, def.phrases[i].text);
        cr_expect_eq(shipped.phrases[i].kind, def.phrases[i].kind);
        cr_expect_eq(shipped.phrases[i].topic, def.phrases[i].topic);
    }
    /* and the shipped directory setting finds the shipped directory */
    struct crisis_dir d;
    cr_assert_eq(crisis_dir_load(shipped.directory, &d, err, sizeof err), 0, "%s", err);
    cr_assert(crisis_dir_find(&d, shipped.default_region));
    crisis_dir_free(&d);
    crisis_conf_free(&shipped);
    crisis_conf_free(&def);
}
