/* test_crisis.c — the crisis module, loaded from the built tree: the
 * private reply to someone who writes a crisis phrase (and nobody else
 * seeing anything), the staff alert, the rate limit, REGION, RESOURCES with
 * filters, REGIONS, HELP, the channel commands, concern vs urgent, and
 * scan_private. The shipped conf/resources.conf is the directory unless a
 * test writes its own. */
#include "harness.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"
#define CRISIS "^:Crisis!service@services\\.irc\\.test\\.local "
#define TO(nick) CRISIS "NOTICE " nick " :"

TestSuite(crisis, .timeout = 120);

/* The PBKDF2 hash of "operpass" (made once per test process). */
static const char *oper_hash(void)
{
    static char *h;
    if (!h)
        h = hv_mkpasswd("operpass");
    return h;
}

/* A path under an environment directory (HAVEND_BUILDDIR, HAVEND_SRCDIR). */
static const char *env_path(const char *var, const char *rel, char *buf, size_t len)
{
    const char *d = getenv(var);
    cr_assert(d && *d, "%s is not set (run through meson test)", var);
    snprintf(buf, len, "%s/%s", d, rel);
    return buf;
}

/* The config after the harness's own: the modules (NULL: crisis alone), an
 * oper, and a crisis group with `settings` added (NULL: none) and the
 * shipped directory unless settings name another (malloc'd). */
static char *extra_modules(const char *modules, const char *settings)
{
    char mods[1024], dir[1024];
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fprintf(f, "module_path = \"%s\";\nmodules = [ %s ];\n", env_path("HAVEND_BUILDDIR", "modules", mods, sizeof mods),
            modules ? modules : "\"crisis\"");
    fprintf(f, "opers = ( { name = \"oper\"; password = \"%s\"; privileges = [ \"rehash\" ]; } );\n", oper_hash());
    fprintf(f, "crisis = {\n");
    if (!settings || !strstr(settings, "directory"))
        fprintf(f, "  directory = \"%s\";\n", env_path("HAVEND_SRCDIR", "conf/resources.conf", dir, sizeof dir));
    fprintf(f, "%s\n};\n", settings ? settings : "");
    fclose(f);
    return out;
}

/* extra_modules() with the crisis module alone. */
static char *extra_text(const char *settings)
{
    return extra_modules(NULL, settings);
}

/* Start a server with the crisis settings (NULL: defaults). */
static struct hv_server *start(const char *settings)
{
    char *extra = extra_text(settings);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    return s;
}

/* OPER as "oper" and join the staff channel. */
static void staff_join(struct hv_client *c, const char *chan)
{
    hv_send(c, "OPER oper operpass");
    /* PBKDF2 is slow on purpose, and very slow under sanitizers */
    hv_expect_ms(c, 30000, "^:" SRV " 381 %s ", c->nick);
    hv_join(c, chan);
}

/* The index of the first line at or after `from` matching the ERE, or -1. */
static long line_index(const struct hv_client *c, size_t from, const char *ere)
{
    regex_t re;
    cr_assert(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0, "bad regex %s", ere);
    long at = -1;
    for (size_t i = from; i < c->nlines && at < 0; i++)
        if (regexec(&re, c->lines[i], 0, NULL, 0) == 0)
            at = (long)i;
    regfree(&re);
    return at;
}

/* The lines received since `from`, joined (for messages). */
static char *lines_since(const struct hv_client *c, size_t from)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = from; i < c->nlines; i++)
        fprintf(f, "%s\n", c->lines[i]);
    fclose(f);
    return out;
}

/* How many lines at or after `from` match the ERE. */
static size_t count_since(const struct hv_client *c, size_t from, const char *ere)
{
    regex_t re;
    cr_assert(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0, "bad regex %s", ere);
    size_t n = 0;
    for (size_t i = from; i < c->nlines; i++)
        n += regexec(&re, c->lines[i], 0, NULL, 0) == 0;
    regfree(&re);
    return n;
}

/* Send a line and wait until everything it caused has arrived (a PING
 * answered after it); returns the index of the first new line. */
static size_t say(struct hv_client *c, const char *line)
{
    hv_skip(c);
    size_t from = c->nlines;
    hv_send(c, "%s", line);
    hv_sync(c);
    return from;
}

/* Expect a line matching the ERE among those since `from`. */
#define EXPECT_SINCE(c, from, ere) do { \
        if (line_index((c), (from), (ere)) < 0) { \
            char *all_ = lines_since((c), (from)); \
            cr_expect_fail("no line matches /%s/ in:\n%s", (ere), all_); \
            free(all_); \
        } \
    } while (0)
#define EXPECT_NONE_SINCE(c, from, ere) do { \
        long at_ = line_index((c), (from), (ere)); \
        cr_expect(at_ < 0, "unexpected line /%s/: %s", (ere), at_ >= 0 ? (c)->lines[at_] : ""); \
    } while (0)

/* ------------------------------------------------------------ detection */

/* A crisis phrase in a channel: the speaker gets the helplines privately
 * in the same turn, staff are alerted with nick and channel only, and the
 * other members see nothing but the message itself. */
Test(crisis, private_reply_staff_alert_nobody_else)
{
    struct hv_server *s = start(NULL);
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    staff_join(op, "#staff");
    hv_join(a, "#lobby");
    hv_join(b, "#lobby");
    hv_skip(op);
    hv_skip(b);

    /* the notice arrives before the PONG of a PING sent right after */
    size_t from = a->nlines;
    hv_send(a, "PRIVMSG #lobby :honestly I want to kill myself");
    hv_send(a, "PING :turn");
    hv_expect(a, "PONG .*turn$");
    long notice = line_index(a, from, TO("alice") ".*really painful");
    long pong = line_index(a, from, "PONG .*turn$");
    cr_assert(notice >= 0 && notice < pong, "the notice did not come in the same turn:\n%s", lines_since(a, from));
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call 911\\.$");
    EXPECT_SINCE(a, from, TO("alice") "  988 Suicide & Crisis Lifeline: call or text 988");
    EXPECT_SINCE(a, from, TO("alice") "These are for United States \\(this network's default\\) and international\\.");
    EXPECT_SINCE(a, from, TO("alice") "Someone from the support team may also message you");

    /* staff: who and where, never the words */
    const char *alert = hv_expect(op, CRISIS "PRIVMSG #staff :URGENT: alice may be in crisis \\(in #lobby\\)\\.");
    cr_expect(!strstr(alert, "kill myself"), "the alert carries the message text: %s", alert);

    /* bob sees alice's message as she wrote it, and nothing else */
    hv_expect(b, "^:alice!.* PRIVMSG #lobby :honestly I want to kill myself$");
    hv_sync(b);
    cr_expect(hv_find(b, "Crisis|URGENT|988") == NULL, "another member saw something:\n%s", lines_since(b, 0));
    hv_expect_none(b, 300, "Crisis");
    hv_stop(s);
}

/* The staff channel is operators-only: others get 520. */
Test(crisis, staff_channel_is_operators_only)
{
    struct hv_server *s = start(NULL);
    struct hv_client *b = hv_user(s, "bob");
    hv_send(b, "JOIN #staff");
    hv_expect(b, "^:" SRV " 520 bob #staff :");
    hv_sync(b);
    cr_expect(hv_find(b, "JOIN #staff") == NULL);
    hv_stop(s);
}

/* One notice per interval; a more serious match still gets through, and
 * concern and urgent are worded differently, to the person and to staff. */
Test(crisis, rate_limit_and_levels)
{
    struct hv_server *s = start("  interval = 600;");
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice");
    staff_join(op, "#staff");
    hv_join(a, "#lobby");
    hv_skip(op);
    size_t mark = op->nlines;

    size_t from = say(a, "PRIVMSG #lobby :I feel so hopeless lately");
    EXPECT_SINCE(a, from, TO("alice") ".*heavy at the moment");
    EXPECT_NONE_SINCE(a, from, "really painful");
    hv_expect(op, CRISIS "PRIVMSG #staff :Concern: alice may be struggling \\(in #lobby\\)\\.");

    from = say(a, "PRIVMSG #lobby :so hopeless, honestly");
    EXPECT_NONE_SINCE(a, from, CRISIS);
    from = say(a, "PRIVMSG #lobby :I feel hopeless again");
    EXPECT_NONE_SINCE(a, from, CRISIS);

    /* escalation: urgent after concern */
    from = say(a, "PRIVMSG #lobby :i want to end my life");
    EXPECT_SINCE(a, from, TO("alice") ".*really painful");
    hv_expect(op, CRISIS "PRIVMSG #staff :URGENT: alice may be in crisis");
    from = say(a, "PRIVMSG #lobby :i want to end my life");
    EXPECT_NONE_SINCE(a, from, CRISIS);
    hv_sync(op);
    cr_expect_eq(count_since(op, mark, "PRIVMSG #staff :"), 2, "not exactly two alerts:\n%s", lines_since(op, mark));
    hv_stop(s);
}

/* Private messages between people are not scanned by default; messages to
 * the service always are, and get a kind answer either way. */
Test(crisis, private_messages_default)
{
    struct hv_server *s = start(NULL);
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    staff_join(op, "#staff");
    hv_skip(op);
    size_t from = say(a, "PRIVMSG bob :i want to die");
    hv_expect(b, "^:alice!.* PRIVMSG bob :i want to die$");
    EXPECT_NONE_SINCE(a, from, CRISIS);
    hv_sync(op);
    cr_expect(hv_find(op, "URGENT") == NULL);

    from = say(a, "PRIVMSG Crisis :hello?");
    EXPECT_SINCE(a, from, TO("alice") "I'm an automated helper, so I can't chat.*RESOURCES.*call 911\\.$");
    EXPECT_NONE_SINCE(a, from, "Unknown command");

    from = say(a, "PRIVMSG Crisis :i want to die");
    EXPECT_SINCE(a, from, TO("alice") ".*really painful");
    EXPECT_NONE_SINCE(a, from, "Unknown command");
    hv_expect(op, CRISIS "PRIVMSG #staff :URGENT: alice may be in crisis \\(in a private message to Crisis\\)");
    /* again, within the interval: still answered, no second alert */
    from = say(a, "PRIVMSG Crisis :i want to die");
    EXPECT_SINCE(a, from, TO("alice") "I'm still here");
    hv_sync(op);
    cr_expect_eq(count_since(op, 0, "URGENT"), 1);
    hv_stop(s);
}

/* scan_private = true: private messages between people are scanned too,
 * the recipient still gets the message and nothing else; alert_text adds
 * the topic and words to the staff alert. */
Test(crisis, private_messages_scanned_with_text)
{
    struct hv_server *s = start("  scan_private = true; alert_text = true;");
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    staff_join(op, "#staff");
    hv_skip(op);
    size_t bf = b->nlines;
    size_t from = say(a, "PRIVMSG bob :i cut myself again last night");
    EXPECT_SINCE(a, from, TO("alice") ".*heavy at the moment");
    hv_expect(op, CRISIS "PRIVMSG #staff :Concern: alice may be struggling \\(in a private message\\)\\..* "
              "Topic: self-harm\\. They wrote: \"i cut myself again last night\"$");
    hv_expect(b, "^:alice!.* PRIVMSG bob :i cut myself again last night$");
    hv_sync(b);
    EXPECT_NONE_SINCE(b, bf, "Crisis");
    hv_stop(s);
}

/* With the moderation module (loaded first, as conf/havend.conf does) the
 * staff channel is shared: crisis leaves its modes alone (moderation keeps
 * it +snt without +O, so staff who are not operators can join) and posts
 * its alerts there. */
Test(crisis, shared_staff_channel_with_moderation)
{
    char *extra = extra_modules("\"moderation\", \"crisis\"", NULL);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice");
    staff_join(op, "#staff");
    hv_send(op, "MODE #staff");
    const char *modes = hv_expect(op, "^:" SRV " 324 volunteer #staff \\+");
    cr_expect(strchr(strstr(modes, " #staff ") + 7, 'O') == NULL, "crisis made the shared channel +O: %s", modes);
    cr_expect(strstr(modes, "s") != NULL, "not secret: %s", modes);
    hv_join(a, "#lobby");
    say(a, "PRIVMSG #lobby :i want to die");
    hv_expect(op, CRISIS "PRIVMSG #staff :URGENT: alice may be in crisis \\(in #lobby\\)");
    hv_stop(s);
}

/* ------------------------------------------------------------ regions and resources */

/* REGION shows, sets (code, alias or name) and forgets; the notice then
 * carries the chosen region's emergency number and lines. */
Test(crisis, region_choice)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_join(a, "#lobby");
    size_t from = say(a, "PRIVMSG Crisis :REGION");
    EXPECT_SINCE(a, from, TO("alice") "You haven't chosen a region, so I show United States "
                                      "\\(this network's default\\)");
    from = say(a, "PRIVMSG Crisis :REGION xx");
    EXPECT_SINCE(a, from, TO("alice") "I don't have helplines for \"xx\" yet");
    from = say(a, "PRIVMSG Crisis :region uk");
    EXPECT_SINCE(a, from, TO("alice") "Thanks - from now on I'll show you help for United Kingdom \\(GB\\)");
    from = say(a, "PRIVMSG Crisis :REGION");
    EXPECT_SINCE(a, from, TO("alice") "Your region is GB \\(United Kingdom\\)");

    from = say(a, "PRIVMSG #lobby :I want to die");
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call 999 or 112\\.$");
    EXPECT_SINCE(a, from, TO("alice") "  Samaritans: call 116 123");
    EXPECT_SINCE(a, from, TO("alice") "These are for United Kingdom\\.");
    EXPECT_NONE_SINCE(a, from, "911|988");

    from = say(a, "PRIVMSG Crisis :REGION New Zealand");
    EXPECT_SINCE(a, from, TO("alice") ".*New Zealand \\(NZ\\)");
    from = say(a, "PRIVMSG Crisis :REGION none");
    EXPECT_SINCE(a, from, TO("alice") "Okay, I've forgotten your region");
    from = say(a, "PRIVMSG Crisis :REGION");
    EXPECT_SINCE(a, from, TO("alice") "You haven't chosen a region");

    /* the choice lives only as long as the connection */
    say(a, "PRIVMSG Crisis :REGION DE");
    hv_send(a, "QUIT :bye");
    hv_expect_closed(a, 3000);
    struct hv_client *a2 = hv_user(s, "alice");
    from = say(a2, "PRIVMSG Crisis :REGION");
    EXPECT_SINCE(a2, from, TO("alice") "You haven't chosen a region");
    hv_stop(s);
}

/* RESOURCES with a region, a topic, both, neither, or something unknown. */
Test(crisis, resources_filters)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    size_t from = say(a, "PRIVMSG Crisis :RESOURCES");
    EXPECT_SINCE(a, from, TO("alice") "Help in United States - free, confidential, and only you can see this:$");
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call 911\\.$");
    EXPECT_SINCE(a, from, TO("alice") "  988 Suicide & Crisis Lifeline");
    EXPECT_SINCE(a, from, TO("alice") "  National Domestic Violence Hotline");
    EXPECT_SINCE(a, from, TO("alice") "  Find A Helpline: https://findahelpline\\.com");

    from = say(a, "PRIVMSG Crisis :RESOURCES GB");
    EXPECT_SINCE(a, from, TO("alice") "Help in United Kingdom");
    EXPECT_SINCE(a, from, TO("alice") "  Samaritans: call 116 123");
    EXPECT_SINCE(a, from, TO("alice") "  Shout: text SHOUT to 85258");
    EXPECT_NONE_SINCE(a, from, "911");

    from = say(a, "PRIVMSG Crisis :RESOURCES IE domestic abuse");
    EXPECT_SINCE(a, from, TO("alice") "Help with domestic abuse in Ireland");
    EXPECT_SINCE(a, from, TO("alice") "  Women's Aid National Freephone Helpline: call 1800 341 900");
    EXPECT_NONE_SINCE(a, from, "Samaritans|Pieta|Childline");

    from = say(a, "PRIVMSG Crisis :RESOURCES lgbtq+ AU");
    EXPECT_SINCE(a, from, TO("alice") "Help with LGBTQ\\+ in Australia");
    EXPECT_SINCE(a, from, TO("alice") "  QLife: call 1800 184 527");
    EXPECT_NONE_SINCE(a, from, "Lifeline:");

    /* a topic the region has nothing for: general lines and international ones */
    from = say(a, "PRIVMSG Crisis :RESOURCES IN eating disorders");
    EXPECT_SINCE(a, from, TO("alice") "  I don't have a service for eating disorders listed for India");
    EXPECT_SINCE(a, from, TO("alice") "  Tele-MANAS");
    EXPECT_SINCE(a, from, TO("alice") "  Find A Helpline");

    from = say(a, "PRIVMSG Crisis :RESOURCES weather");
    EXPECT_SINCE(a, from, TO("alice") "I don't know \"weather\" as a country or a topic\\..*domestic-abuse");
    hv_stop(s);
}

/* REGIONS lists every country; HELP introduces the service and lists the
 * commands; HELP <command> explains one. */
Test(crisis, regions_and_help)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    size_t from = say(a, "PRIVMSG Crisis :REGIONS");
    EXPECT_SINCE(a, from, TO("alice") "I have helplines for these countries");
    EXPECT_SINCE(a, from, TO("alice") ".*US United States.*GB United Kingdom \\(or UK\\).*IE Ireland.*CA Canada.*"
                 "AU Australia.*NZ New Zealand.*DE Germany.*FR France.*IN India");

    from = say(a, "PRIVMSG Crisis :HELP");
    EXPECT_SINCE(a, from, TO("alice") "I'm Crisis, an automated helper.*!help, !crisis or !resources");
    EXPECT_SINCE(a, from, TO("alice") "  RESOURCES \\[country\\] \\[topic\\]$");
    EXPECT_SINCE(a, from, TO("alice") "  REGIONS$");
    EXPECT_SINCE(a, from, TO("alice") "  REGION \\[code \\| NONE\\]$");
    from = say(a, "PRIVMSG Crisis :HELP REGION");
    EXPECT_SINCE(a, from, TO("alice") "It is never guessed from your connection");
    EXPECT_NONE_SINCE(a, from, "automated helper");
    hv_stop(s);
}

/* !help, !crisis and !resources in a channel: a private answer; the
 * trigger itself still reaches the channel; nothing in the staff channel. */
Test(crisis, channel_commands)
{
    struct hv_server *s = start(NULL);
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    staff_join(op, "#staff");
    hv_join(a, "#lobby");
    hv_join(b, "#lobby");
    hv_skip(b);
    size_t bf = b->nlines;

    size_t from = say(a, "PRIVMSG #lobby :!help");
    EXPECT_SINCE(a, from, TO("alice") "alice, here is where to find help right now");
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call 911\\.$");
    EXPECT_SINCE(a, from, TO("alice") "  988 Suicide & Crisis Lifeline");
    from = say(a, "PRIVMSG #lobby :!CRISIS");
    EXPECT_SINCE(a, from, TO("alice") "alice, here is where to find help right now");
    from = say(a, "PRIVMSG #lobby :!resources GB lgbtq");
    EXPECT_SINCE(a, from, TO("alice") "Help with LGBTQ\\+ in United Kingdom");
    EXPECT_SINCE(a, from, TO("alice") "  Switchboard LGBT\\+: call 0800 0119 100");
    from = say(a, "PRIVMSG #lobby :!helpme");
    EXPECT_NONE_SINCE(a, from, CRISIS);

    hv_expect(b, "PRIVMSG #lobby :!help$");
    hv_expect(b, "PRIVMSG #lobby :!CRISIS$");
    hv_expect(b, "PRIVMSG #lobby :!resources GB lgbtq$");
    hv_sync(b);
    EXPECT_NONE_SINCE(b, bf, "Crisis");

    /* not in the staff channel: staff talk about alerts there */
    hv_skip(op);
    from = say(op, "PRIVMSG #staff :!help - and if someone says they want to die, reach out");
    EXPECT_NONE_SINCE(op, from, CRISIS "NOTICE");
    EXPECT_NONE_SINCE(op, from, "URGENT");
    hv_stop(s);
}

/* ------------------------------------------------------------ configuration */

/* A directory relative to the config file, a topic phrase, alerts off, and
 * no default region: the notice shows the topic line and international help. */
Test(crisis, relative_directory_topics_no_default)
{
    char *extra = extra_text("  directory = \"res.conf\"; default_region = \"\"; staff_channel = \"\";\n"
                             "  urgent = [ \"domestic-abuse: he will kill me\" ];\n"
                             "  concern = [ ]; ignore_phrases = [ ];");
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_prepare(&o);
    free(extra);
    char path[400];
    snprintf(path, sizeof path, "%s/res.conf", s->dir);
    hv_write_file(path,
        "international = { emergency = \"the local number\";\n"
        "  services = ( { name = \"World Line\"; web = \"https://example.org\"; topics = [ \"suicide\" ]; },\n"
        "               { name = \"Safe Home\"; phone = \"0100 200\"; topics = [ \"domestic-abuse\" ]; } ); };\n"
        "regions = ( { code = \"ZZ\"; country = \"Testland\"; emergency = \"555\";\n"
        "  services = ( { name = \"Test Line\"; phone = \"555 1\"; topics = [ \"mental-health\" ]; } ); } );\n");
    hv_launch(s);
    struct hv_client *a = hv_user(s, "alice");
    hv_join(a, "#lobby");
    size_t from = say(a, "PRIVMSG #lobby :i think he will kill me tonight");
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call the local number\\.$");
    long home = line_index(a, from, TO("alice") "  Safe Home: call 0100 200$");
    long world = line_index(a, from, TO("alice") "  World Line: https://example\\.org$");
    cr_expect(home >= 0 && world > home, "topic line first, then general:\n%s", lines_since(a, from));
    EXPECT_SINCE(a, from, TO("alice") "These are international\\.");
    EXPECT_NONE_SINCE(a, from, "support team");
    from = say(a, "PRIVMSG Crisis :REGION testland");
    EXPECT_SINCE(a, from, TO("alice") ".*Testland \\(ZZ\\)");
    from = say(a, "PRIVMSG Crisis :RESOURCES");
    EXPECT_SINCE(a, from, TO("alice") "  Test Line: call 555 1$");
    hv_stop(s);
}

/* A malformed directory or crisis setting refuses the start, naming the
 * file and line. */
Test(crisis, bad_config_refuses_start)
{
    static const struct { const char *settings, *dirfile, *want; } cases[] = {
        { "  directory = \"res.conf\";",
          "international = { emergency = \"1\";\n  services = ( { name = \"A\"; web = \"https://a.org\";\n"
          "    topics = [ \"suicid\" ]; } ); };\nregions = ( );\n",
          "res\\.conf:3: international\\.services\\[0\\]: unknown topic \"suicid\"" },
        { "  directory = \"res.conf\";",
          "international = { emergency = \"1\";\n  services = ( { name = \"A\"; web = \"https://a.org\";\n"
          "    topics = [ \"suicide\" ]; } ); };\nregions = (\n"
          "  { code = \"usa\"; country = \"X\"; emergency = \"1\";\n"
          "    services = ( { name = \"A\"; phone = \"1\"; topics = [ \"suicide\" ]; } ); } );\n",
          "res\\.conf:5: regions\\[0\\]: region code \"usa\" is not an ISO 3166-1 alpha-2 code" },
        { "  default_region = \"XX\";", NULL, "havend\\.conf:[0-9]+: crisis\\.default_region: \"XX\" is not a region" },
        { "  urgent = [ \"???\" ];", NULL, "havend\\.conf:[0-9]+: crisis\\.urgent: \"\\?\\?\\?\" has no words left" },
        { "  directory = \"missing.conf\";", NULL, "missing\\.conf: cannot read the resource directory" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *extra = extra_text(cases[i].settings);
        struct hv_opts o = { .extra = extra };
        struct hv_server *s = hv_prepare(&o);
        free(extra);
        if (cases[i].dirfile) {
            char path[400];
            snprintf(path, sizeof path, "%s/res.conf", s->dir);
            hv_write_file(path, cases[i].dirfile);
        }
        char *out;
        const char *run[] = { "-c", s->conf_path, NULL };
        int st = hv_run(run, NULL, &out);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "case %zu: accepted: %s", i, out);
        regex_t re;
        cr_assert(regcomp(&re, cases[i].want, REG_EXTENDED | REG_NOSUB) == 0);
        cr_expect(regexec(&re, out, 0, NULL, 0) == 0, "case %zu: wanted /%s/ in:\n%s", i, cases[i].want, out);
        cr_expect(!strstr(out, "Sanitizer") && !strstr(out, "runtime error:"), "case %zu: memory error:\n%s", i, out);
        regfree(&re);
        free(out);
        hv_free(s);
    }
}

/* REHASH applies a new directory and lists; a broken one is refused and
 * the old one stays. Nothing the person wrote reaches the log. */
Test(crisis, rehash_and_log)
{
    char *extra = extra_text("  directory = \"res.conf\";");
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_prepare(&o);
    free(extra);
    char path[400];
    snprintf(path, sizeof path, "%s/res.conf", s->dir);
    char shipped[1024];
    env_path("HAVEND_SRCDIR", "conf/resources.conf", shipped, sizeof shipped);
    FILE *in = fopen(shipped, "r");
    cr_assert(in);
    char *text = calloc(1, 1 << 17);
    cr_assert(fread(text, 1, (1 << 17) - 1, in) > 0);
    fclose(in);
    hv_write_file(path, text);
    hv_launch(s);
    struct hv_client *op = hv_user(s, "volunteer"), *a = hv_user(s, "alice");
    staff_join(op, "#staff");
    hv_join(a, "#lobby");

    /* broken directory: REHASH refused, old one in force */
    hv_write_file(path, "international = { };\n");
    hv_send(op, "REHASH");
    hv_expect(op, "res\\.conf:1: international: missing emergency");
    size_t from = say(a, "PRIVMSG Crisis :RESOURCES GB");
    EXPECT_SINCE(a, from, TO("alice") "  Samaritans: call 116 123");

    /* a directory with US 911 replaced */
    char *p = strstr(text, "emergency = \"911\"");
    cr_assert(p);
    memcpy(p, "emergency = \"000\"", 17);
    hv_write_file(path, text);
    free(text);
    hv_skip(op);
    hv_send(op, "REHASH");
    hv_expect(op, "^:" SRV " 382 ");
    hv_sync(op);
    from = say(a, "PRIVMSG #lobby :i want to die");
    EXPECT_SINCE(a, from, TO("alice") "  If you are in danger right now, please call 000\\.$");
    hv_expect(op, "URGENT: alice");

    hv_stop_keep(s);
    char *log = hv_log(s);
    cr_expect(!strstr(log, "want to die") && !strstr(log, "alice") && !strstr(log, "United Kingdom"),
              "the log holds message text, a nick or a region:\n%s", log);
    cr_expect(strstr(log, "crisis"), "no crisis log line:\n%s", log);
    free(log);
    hv_check_sanitizers(s);
    hv_free(s);
}
