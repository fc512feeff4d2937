/* test_modules.c — modules loaded from the built tree: the example module
 * (hook, command, service), load failures, and the topics module (topic
 * channels, the guide service, channel creation rules, REHASH). */
#include "harness.h"

#include <criterion/criterion.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRV "irc\\.test\\.local"
#define GUIDE "^:Guide!service@services\\.irc\\.test\\.local NOTICE "
#define ECHO_SVC "^:Echo!service@services\\.irc\\.test\\.local NOTICE "

TestSuite(modules, .timeout = 90);

/* The topics every test server starts with. "\\n" is libconfig's newline. */
#define BASE_TOPICS \
    "    { name = \"anxiety\"; channel = \"#anxiety\"; description = \"Worry, panic and anxious thoughts\";\n" \
    "      keywords = [ \"anxious\", \"panic\", \"worry\", \"nervous\", \"stress\" ]; modes = \"+nt\";\n" \
    "      welcome = \"Welcome to #anxiety.\\nThis is peer support, not crisis care.\"; },\n" \
    "    { name = \"grief\"; channel = \"#grief\"; description = \"Loss, bereavement and missing someone\";\n" \
    "      keywords = [ \"grief\", \"died\", \"death\", \"loss\", \"bereavement\" ];\n" \
    "      welcome = \"Welcome to #grief.\"; },\n" \
    "    { name = \"self-harm\"; channel = \"#selfharm-recovery\"; description = \"Self-harm recovery\";\n" \
    "      keywords = [ \"selfharm\", \"cutting\" ]; welcome = \"Welcome to #selfharm-recovery.\"; },\n" \
    "    { name = \"lobby\"; channel = \"#lobby\"; description = \"Say hello\"; welcome = \"Welcome to #lobby.\"; }"

/* An extra topic, added by REHASH in some tests. */
#define CARERS_TOPIC \
    ",\n    { name = \"carers\"; channel = \"#carers\"; description = \"Caring for someone\";\n" \
    "      keywords = [ \"carer\", \"dementia\" ]; welcome = \"Welcome to #carers.\"; }"

/* What to put after the generated config: modules, an oper, topics. */
struct mconf {
    const char *modules;            /* default: "\"example\", \"topics\"" */
    const char *settings;           /* extra lines inside topics = { } */
    const char *topics;             /* the list body; default BASE_TOPICS */
    const char *more;               /* more top-level text (e.g. example = {...}) */
};

/* The PBKDF2 hash of "operpass" (made once per test process). */
static const char *oper_hash(void)
{
    static char *h;
    if (!h)
        h = hv_mkpasswd("operpass");
    return h;
}

/* The built tree's module directory. */
static const char *module_dir(void)
{
    static char dir[1024];
    const char *b = getenv("HAVEND_BUILDDIR");
    cr_assert(b && *b, "HAVEND_BUILDDIR is not set (run through meson test)");
    snprintf(dir, sizeof dir, "%s/modules", b);
    return dir;
}

/* The top-level text for a config (malloc'd). */
static char *extra_text(const struct mconf *m)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fprintf(f, "module_path = \"%s\";\n", module_dir());
    fprintf(f, "modules = [ %s ];\n", m->modules ? m->modules : "\"example\", \"topics\"");
    fprintf(f, "opers = ( { name = \"oper\"; password = \"%s\"; privileges = [ \"kill\", \"rehash\" ]; } );\n",
            oper_hash());
    fprintf(f, "%s\n", m->more ? m->more : "");
    /* A group for a module that is not loaded is an unknown setting. */
    if (!m->modules || strstr(m->modules, "\"topics\""))
        fprintf(f, "topics = {\n%s\n%s\n  list = (\n%s\n  );\n};\n",
                m->settings && strstr(m->settings, "guide_nick") ? "" : "  guide_nick = \"Guide\";",
                m->settings ? m->settings : "", m->topics ? m->topics : BASE_TOPICS);
    fclose(f);
    return out;
}

/* Start a server with the modules config m (NULL: defaults). */
static struct hv_server *start(const struct mconf *m)
{
    struct mconf def = { 0 };
    char *extra = extra_text(m ? m : &def);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_start(&o);
    free(extra);
    return s;
}

/* Replace the module part of the server's config (everything from
 * module_path on, which the harness writes last) with m's. */
static void rewrite_config(struct hv_server *s, const struct mconf *m)
{
    FILE *f = fopen(s->conf_path, "r");
    cr_assert(f);
    char *conf = calloc(1, 65536);
    cr_assert(fread(conf, 1, 65535, f) > 0);
    fclose(f);
    char *at = strstr(conf, "module_path = ");
    cr_assert(at, "generated config has no module_path");
    *at = '\0';
    char *extra = extra_text(m);
    char *next = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&next, &len);
    fprintf(o, "%s%s", conf, extra);
    fclose(o);
    hv_write_file(s->conf_path, next);
    free(conf);
    free(extra);
    free(next);
}

/* OPER as "oper". */
static void become_oper(struct hv_client *c)
{
    hv_send(c, "OPER oper operpass");
    /* PBKDF2 is slow on purpose, and very slow under valgrind */
    hv_expect_ms(c, 30000, "^:" SRV " 381 %s :You are now an IRC operator$", c->nick);
}

/* A REHASH reopens port-0 listeners on a new port: learn the plain
 * listener's latest port from the log, for clients connecting afterwards. */
static void refresh_port(struct hv_server *s)
{
    char *log = hv_log(s);
    const char *key = "listening on 127.0.0.1 port ";
    for (char *q = log; (q = strstr(q, key)); q++) {
        int port = 0;
        char rest[8] = "";
        int n = sscanf(q + strlen(key), "%d%7[^\n]", &port, rest);
        if (n >= 1 && port > 0 && strncmp(rest, " (tls)", 6) != 0)
            s->port = port;
    }
    free(log);
}

/* REHASH as an oper; returns once 382 arrived and the server answered a
 * PING after it, so every REHASH NOTICE is in (and not yet consumed). */
static void rehash(struct hv_server *s, struct hv_client *oper)
{
    hv_send(oper, "REHASH");
    hv_expect(oper, "^:" SRV " 382 %s ", oper->nick);
    size_t keep = oper->cursor;
    hv_sync(oper);
    oper->cursor = keep;
    refresh_port(s);
}

/* Does text match the ERE? */
static bool matches(const char *ere, const char *text)
{
    regex_t re;
    cr_assert(regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) == 0, "bad regex %s", ere);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* A line received since index `from` matching the ERE, or NULL. */
static const char *since(const struct hv_client *c, size_t from, const char *ere)
{
    struct hv_client view = *c;
    view.lines += from;
    view.nlines -= from;
    return hv_find(&view, ere);
}

/* Send LIST and wait for its end (323). Returns the index of the first
 * line of the reply, for since(). */
static size_t list(struct hv_client *c)
{
    hv_skip(c);
    size_t from = c->nlines;
    hv_send(c, "LIST");
    hv_expect(c, "^:" SRV " 323 ");
    return from;
}

/* ------------------------------------------------------------ the example module */

/* ECHO (a module command) with HELP, /msg Echo PING, the greeting hook and
 * the blocking message hook. */
Test(modules, example_module)
{
    struct mconf m = { .modules = "\"example\"", .more = "example = { greeting = \"Hello from a test!\"; };" };
    struct hv_server *s = start(&m);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_expect(a, ECHO_SVC "alice :Hello from a test!$");

    hv_send(a, "ECHO :hello there");
    hv_expect_exact(a, ":irc.test.local NOTICE alice :ECHO: hello there");
    hv_send(a, "ECHO");
    hv_expect_reply(a, "461", "alice ECHO", "Not enough parameters");
    hv_send(a, "HELP ECHO");
    hv_expect_reply(a, "704", "alice ECHO", "ECHO <text>");
    hv_expect_reply(a, "705", "alice ECHO", "The server sends <text> back to you as a notice.");
    hv_expect_reply(a, "706", "alice ECHO", "End of /HELP");

    hv_send(a, "PRIVMSG Echo :PING");
    hv_expect(a, ECHO_SVC "alice :PONG$");
    hv_send(a, "PRIVMSG Echo :ping word");
    hv_expect(a, ECHO_SVC "alice :PONG word$");
    hv_send(a, "PRIVMSG Echo :HELP PING");
    hv_expect(a, ECHO_SVC "alice :PING \\[word\\]$");

    /* without the topics module anyone may create a channel */
    hv_join(a, "#room");
    hv_join(b, "#room");
    hv_send(a, "PRIVMSG #room :THIS IS ALL SHOUTING TEXT");
    hv_expect(a, "^:" SRV " NOTICE alice :Your message to #room was not sent: please don't shout\\.$");
    hv_send(a, "PRIVMSG #room :this one is fine");
    hv_expect(b, "PRIVMSG #room :this one is fine$");
    cr_expect(hv_find(b, "SHOUTING") == NULL, "a blocked message was delivered");
    hv_stop(s);
}

/* An unknown module: `havend -t` and a real start both fail, naming it. */
Test(modules, unknown_module_fails)
{
    struct mconf m = { .modules = "\"example\", \"nosuchmodule\"" };
    char *extra = extra_text(&m);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_prepare(&o);
    free(extra);
    char *out;
    const char *t[] = { "-t", "-c", s->conf_path, NULL };
    int st = hv_run(t, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "havend -t accepted an unknown module: %s", out);
    cr_expect(strstr(out, "cannot load module \"nosuchmodule\""), "-t output: %s", out);
    free(out);
    const char *run[] = { "-c", s->conf_path, NULL };
    st = hv_run(run, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "havend started with an unknown module: %s", out);
    cr_expect(strstr(out, "cannot load module \"nosuchmodule\""), "start output: %s", out);
    free(out);
    hv_free(s);
}

/* A bad topics config stops the server from starting, with file:line,
 * the setting and the reason. */
Test(modules, bad_topics_config_refuses_start)
{
    static const struct { const char *topics, *settings, *want; } cases[] = {
        { "{ name = \"a\"; channel = \"anxiety\"; description = \"x\"; }", NULL,
          "havend\\.conf:[0-9]+: topics\\.list\\[0\\]\\.channel: \"anxiety\" is not a channel name" },
        { "{ name = \"a\"; channel = \"#a\"; }", NULL,
          "havend\\.conf:[0-9]+: topics\\.list\\[0\\]\\.description: required setting is missing" },
        { "{ name = \"a\"; channel = \"#a\"; description = \"x\"; },\n"
          "{ name = \"a\"; channel = \"#b\"; description = \"y\"; }", NULL,
          "topics\\.list\\[1\\]\\.name: \"a\" is used by topics\\.list\\[0\\] too" },
        { "{ name = \"a\"; channel = \"#a\"; description = \"x\"; modes = \"+k\"; }", NULL,
          "topics\\.list\\[0\\]\\.modes: \"\\+k\": only the modes" },
        { "{ name = \"a\"; channel = \"#a\"; description = \"x\"; colour = 1; }", NULL,
          "topics\\.list\\[0\\]\\.colour: unknown setting" },
        { "{ name = \"a\"; channel = \"#a\"; description = \"x\"; }", "  create_channels = \"nobody\";",
          "topics\\.create_channels: \"nobody\": must be \"staff\"" },
        { "{ name = \"a\"; channel = \"#a\"; description = \"x\"; }", "  guide_nick = \"Echo\";",
          "havend\\.conf:[0-9]+: topics\\.guide_nick: the nick \"Echo\" is already in use" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mconf m = { .topics = cases[i].topics, .settings = cases[i].settings };
        char *extra = extra_text(&m);
        struct hv_opts o = { .extra = extra };
        struct hv_server *s = hv_prepare(&o);
        free(extra);
        char *out;
        const char *run[] = { "-c", s->conf_path, NULL };
        int st = hv_run(run, NULL, &out);
        cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "case %zu: havend started: %s", i, out);
        cr_expect(matches(cases[i].want, out), "case %zu: wanted /%s/ in:\n%s", i, cases[i].want, out);
        cr_expect(!matches("Sanitizer|runtime error:", out), "case %zu: memory error on the way out:\n%s", i, out);
        free(out);
        hv_free(s);
    }
}

/* A topic channel longer than limits.channellen is refused at start-up;
 * on REHASH it is refused without leaving the other new channels behind. */
Test(modules, topic_channel_over_channellen)
{
    struct mconf m = { .more = "limits = { channellen = 10; };",
                       .topics = "{ name = \"a\"; channel = \"#a\"; description = \"x\"; },\n"
                                 "{ name = \"b\"; channel = \"#muchtoolongforten\"; description = \"y\"; }" };
    char *extra = extra_text(&m);
    struct hv_opts o = { .extra = extra };
    struct hv_server *s = hv_prepare(&o);
    free(extra);
    char *out;
    const char *run[] = { "-c", s->conf_path, NULL };
    int st = hv_run(run, NULL, &out);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) != 0, "havend started: %s", out);
    cr_expect(matches("havend\\.conf:[0-9]+: topics\\.list\\[1\\]\\.channel: the server does not accept "
                      "\"#muchtoolongforten\"", out), "output:\n%s", out);
    free(out);
    hv_free(s);

#define SHORT_TOPICS "{ name = \"anxiety\"; channel = \"#anxiety\"; description = \"x\"; }"
    struct mconf ok = { .more = "limits = { channellen = 10; };", .topics = SHORT_TOPICS };
    s = start(&ok);
    struct hv_client *op = hv_user(s, "staff");
    become_oper(op);
    struct mconf bad = { .more = "limits = { channellen = 10; };",
                         .topics = SHORT_TOPICS ",\n{ name = \"c\"; channel = \"#fresh\"; description = \"z\"; },\n"
                                   "{ name = \"d\"; channel = \"#muchtoolongforten\"; description = \"y\"; }" };
    rewrite_config(s, &bad);
    rehash(s, op);
    hv_expect(op, "NOTICE staff :.*topics\\.list\\[2\\]\\.channel: the server does not accept");
    size_t l = list(op);
    cr_expect(since(op, l, " 322 staff #fresh ") == NULL, "a channel of the refused config stayed");
    cr_expect(since(op, l, " 322 staff #anxiety "), "#anxiety gone");
    hv_stop(s);
}

/* ------------------------------------------------------------ greeting and MOTD */

/* Newcomers get the guide's greeting privately; the MOTD lists the topics. */
Test(modules, greeting_and_motd)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_connect(s);
    hv_register(a, "alice");
    cr_expect(hv_find(a, "^:" SRV " 372 alice :-   #anxiety - Worry, panic and anxious thoughts$"),
              "MOTD lacks the topic list");
    cr_expect(hv_find(a, "^:" SRV " 372 alice :- .*/msg Guide TOPICS"), "MOTD does not mention the guide");
    hv_expect(a, GUIDE "alice :Hi, I'm Guide");
    hv_expect(a, GUIDE "alice :.*/msg Guide FIND");
    hv_expect(a, GUIDE "alice :.*/msg Guide TOPICS");
    hv_send(a, "MOTD");
    hv_expect(a, "^:" SRV " 372 alice :-   #selfharm-recovery - Self-harm recovery$");
    hv_expect(a, "^:" SRV " 376 ");
    hv_stop(s);
}

/* A configured multi-line greeting, and greeting = "" for none. */
Test(modules, custom_and_disabled_greeting)
{
    struct mconf m = { .settings = "  greeting = \"First line.\\nSecond line.\";" };
    struct hv_server *s = start(&m);
    struct hv_client *a = hv_user(s, "alice");
    hv_expect(a, GUIDE "alice :First line\\.$");
    hv_expect(a, GUIDE "alice :Second line\\.$");
    hv_stop(s);

    struct mconf off = { .settings = "  greeting = \"\";" };
    s = start(&off);
    a = hv_user(s, "alice");
    hv_sync(a);
    hv_expect_none(a, 300, "^:Guide!");
    hv_stop(s);
}

/* ------------------------------------------------------------ guide commands */

/* TOPICS, HELP, HELP <cmd>, an unknown command, and too few words. */
Test(modules, guide_topics_and_help)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_expect(a, GUIDE "alice :Hi");
    hv_send(a, "PRIVMSG Guide :TOPICS");
    hv_expect(a, GUIDE "alice :These are the rooms here\\.");
    hv_expect(a, GUIDE "alice :  #anxiety - Worry, panic and anxious thoughts  \\(/msg Guide JOIN anxiety\\)$");
    hv_expect(a, GUIDE "alice :  #grief - Loss, bereavement and missing someone  \\(/msg Guide JOIN grief\\)$");
    hv_expect(a, GUIDE "alice :  #selfharm-recovery - Self-harm recovery  \\(/msg Guide JOIN self-harm\\)$");
    hv_expect(a, GUIDE "alice :  #lobby - Say hello  \\(/msg Guide JOIN lobby\\)$");

    hv_send(a, "PRIVMSG Guide :help");
    hv_expect(a, GUIDE "alice :Guide understands these commands");
    hv_expect(a, GUIDE "alice :  TOPICS$");
    hv_expect(a, GUIDE "alice :  FIND <");
    hv_expect(a, GUIDE "alice :  JOIN <topic>$");
    hv_expect(a, GUIDE "alice :  HELP \\[command\\]$");
    hv_send(a, "PRIVMSG Guide :HELP join");
    hv_expect(a, GUIDE "alice :JOIN <topic>$");
    hv_expect(a, GUIDE "alice :Takes you into a topic's room");
    hv_send(a, "PRIVMSG Guide :HELP FIND");
    hv_expect(a, GUIDE "alice :FIND <");
    hv_expect(a, GUIDE "alice :.*not kept or shown to anyone");
    hv_send(a, "PRIVMSG Guide :HELP nosuch");
    hv_expect(a, GUIDE "alice :No help for \"nosuch\"");

    hv_send(a, "PRIVMSG Guide :DANCE now");
    hv_expect(a, GUIDE "alice :Unknown command \"DANCE\"\\. Type /msg Guide HELP");
    hv_send(a, "PRIVMSG Guide :FIND");
    hv_expect(a, GUIDE "alice :Not enough parameters\\. Syntax: FIND <");
    hv_send(a, "PRIVMSG Guide :JOIN");
    hv_expect(a, GUIDE "alice :Not enough parameters\\. Syntax: JOIN <topic>$");
    /* a NOTICE to the guide is never answered */
    hv_send(a, "NOTICE Guide :TOPICS");
    hv_sync(a);
    hv_expect_none(a, 300, "^:Guide!");
    hv_stop(s);
}

/* FIND: words people type find the right topic; nothing matching gets a
 * kind answer with every topic. */
Test(modules, guide_find)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    hv_expect(a, GUIDE "alice :Hi");

    hv_send(a, "PRIVMSG Guide :FIND I feel so anxious and I keep worrying");
    hv_expect(a, GUIDE "alice :This room might be a good fit:$");
    hv_expect(a, GUIDE "alice :  #anxiety - Worry, panic and anxious thoughts  \\(/msg Guide JOIN anxiety\\)$");
    hv_sync(a);
    cr_expect(hv_find(a, "NOTICE alice :  #grief") == NULL, "grief suggested for anxiety");

    hv_send(a, "PRIVMSG Guide :FIND My Dad DIED last month");
    hv_expect(a, GUIDE "alice :This room might be a good fit:$");
    hv_expect(a, GUIDE "alice :  #grief - ");

    /* several topics, best first */
    hv_send(a, "PRIVMSG Guide :FIND panic since my mum's death, so much grief and worry");
    hv_expect(a, GUIDE "alice :These rooms might be a good fit:$");
    hv_expect(a, GUIDE "alice :  #(anxiety|grief) - ");
    hv_expect(a, GUIDE "alice :  #(anxiety|grief) - ");

    hv_send(a, "PRIVMSG Guide :FIND bananas and spaceships");
    hv_expect(a, GUIDE "alice :I couldn't match those words to a room, and that's okay");
    hv_expect(a, GUIDE "alice :  #anxiety - ");
    hv_expect(a, GUIDE "alice :  #grief - ");
    hv_expect(a, GUIDE "alice :  #selfharm-recovery - ");
    hv_expect(a, GUIDE "alice :  #lobby - ");
    hv_stop(s);
}

/* JOIN by topic name, by channel, loosely by words, unknown, and again. */
Test(modules, guide_join)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    char am[256];
    snprintf(am, sizeof am, "%s", hv_mask(a));

    hv_send(a, "PRIVMSG Guide :JOIN grief");
    hv_expect_exact(a, ":%s JOIN #grief", am);
    hv_expect_reply(a, "332", "alice #grief", "Loss, bereavement and missing someone");
    hv_expect_reply(a, "366", "alice #grief", NULL);
    hv_expect(a, GUIDE "alice :Welcome to #grief\\.$");

    hv_send(a, "PRIVMSG Guide :JOIN #ANXIETY");
    hv_expect_exact(a, ":%s JOIN #anxiety", am);
    hv_expect(a, GUIDE "alice :Welcome to #anxiety\\.$");

    hv_send(a, "PRIVMSG Guide :JOIN Self Harm");
    hv_expect_exact(a, ":%s JOIN #selfharm-recovery", am);
    hv_expect(a, GUIDE "alice :Welcome to #selfharm-recovery\\.$");

    hv_send(a, "PRIVMSG Guide :JOIN grief");
    hv_expect(a, GUIDE "alice :You're already in #grief\\.$");
    hv_send(a, "PRIVMSG Guide :JOIN knitting");
    hv_expect(a, GUIDE "alice :There's no topic called \"knitting\"\\. Type /msg Guide TOPICS");
    hv_send(a, "PRIVMSG Guide :JOIN #knitting");
    hv_expect(a, GUIDE "alice :There's no topic called \"#knitting\"");
    hv_stop(s);
}

/* ------------------------------------------------------------ topic channels */

/* The welcome text goes privately to the joiner of a topic channel only:
 * not to other members, and not on other channels. */
Test(modules, welcome_on_topic_channels_only)
{
    struct mconf m = { .settings = "  create_channels = \"anyone\";" };
    struct hv_server *s = start(&m);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    hv_join(a, "#anxiety");
    hv_expect(a, GUIDE "alice :Welcome to #anxiety\\.$");
    hv_expect(a, GUIDE "alice :This is peer support, not crisis care\\.$");
    hv_send(b, "JOIN #Anxiety");
    hv_expect(b, " JOIN #anxiety$");
    hv_expect(b, GUIDE "bob :Welcome to #anxiety\\.$");
    hv_sync(a);
    cr_expect(hv_find(a, "NOTICE bob") == NULL && hv_find(a, "NOTICE #anxiety") == NULL,
              "alice saw bob's welcome");
    hv_join(b, "#random");
    hv_sync(b);
    hv_expect_none(b, 300, "^:Guide!.*#random");
    hv_expect_none(b, 1, "^:Guide!.*Welcome");
    hv_stop(s);
}

/* Topic channels exist from start-up with their topic and modes, show in
 * LIST while empty, and are still there after everyone left. */
Test(modules, list_and_persistence)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *b = hv_user(s, "bob");
    size_t l = list(a);
    cr_expect(since(a, l, "^:" SRV " 322 alice #anxiety 0 :Worry, panic and anxious thoughts$"), "#anxiety not listed");
    cr_expect(since(a, l, "^:" SRV " 322 alice #grief 0 :Loss, bereavement and missing someone$"), "no #grief");
    cr_expect(since(a, l, "^:" SRV " 322 alice #selfharm-recovery 0 :Self-harm recovery$"), "no #selfharm-recovery");
    cr_expect(since(a, l, "^:" SRV " 322 alice #lobby 0 :Say hello$"), "#lobby not listed");
    hv_send(a, "MODE #anxiety");
    hv_expect(a, "^:" SRV " 324 alice #anxiety :?\\+nt$");
    hv_send(a, "TOPIC #grief");
    hv_expect_reply(a, "332", "alice #grief", "Loss, bereavement and missing someone");
    hv_expect(a, "^:" SRV " 333 alice #grief Guide [0-9]+$");

    hv_join(a, "#grief");
    hv_join(b, "#grief");
    hv_send(a, "PART #grief");
    hv_expect(a, " PART #grief$");
    hv_send(b, "PART #grief :bye");
    hv_expect(b, " PART #grief :bye$");
    l = list(b);
    cr_expect(since(b, l, "^:" SRV " 322 bob #grief 0 :Loss, bereavement and missing someone$"),
              "#grief gone after everyone left");
    hv_send(b, "MODE #grief");
    hv_expect(b, "^:" SRV " 324 bob #grief :?\\+nt$");
    hv_stop(s);
}

/* Joining an empty topic channel grants no op; staff (opers) get +o there,
 * and nobody else does. */
Test(modules, no_op_in_empty_topic_channel)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *o = hv_user(s, "staff");
    hv_send(a, "JOIN #anxiety");
    hv_expect_reply(a, "353", "alice = #anxiety", "alice");
    hv_expect_reply(a, "366", "alice #anxiety", NULL);
    cr_expect(hv_find(a, " 353 alice = #anxiety :@") == NULL, "alice got op in an empty topic channel");
    hv_sync(a);
    hv_expect_none(a, 300, "MODE #anxiety \\+o");

    become_oper(o);
    hv_send(o, "JOIN #anxiety");
    hv_expect(o, "^:" SRV " MODE #anxiety \\+o staff$");
    hv_expect(a, "^:" SRV " MODE #anxiety \\+o staff$");

    /* staff_op = false: opers join like anyone else */
    hv_stop(s);
    struct mconf m = { .settings = "  staff_op = false;" };
    s = start(&m);
    o = hv_user(s, "staff");
    become_oper(o);
    hv_join(o, "#lobby");
    hv_sync(o);
    hv_expect_none(o, 300, "MODE #lobby \\+o");
    hv_stop(s);
}

/* create_channels = "staff" (the default): a non-oper gets 474 with the
 * reason; an oper creates the channel (and is its op). */
Test(modules, staff_only_channel_creation)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *o = hv_user(s, "staff");
    hv_send(a, "JOIN #private");
    hv_expect_exact(a, ":irc.test.local 474 alice #private :Cannot join channel (only staff can create new "
                       "channels; type /msg Guide TOPICS to find a room)");
    become_oper(o);
    hv_send(o, "JOIN #private");
    hv_expect_reply(o, "353", "staff = #private", "@staff");
    /* it exists now, so others may join it (without op) */
    hv_send(a, "JOIN #private");
    hv_expect_reply(a, "353", "alice = #private", NULL);
    hv_expect_reply(a, "366", "alice #private", NULL);
    hv_stop(s);
}

/* create_channels = "anyone": a plain IRC network. */
Test(modules, anyone_may_create)
{
    struct mconf m = { .settings = "  create_channels = \"anyone\";" };
    struct hv_server *s = start(&m);
    struct hv_client *a = hv_user(s, "alice");
    hv_send(a, "JOIN #mine");
    hv_expect_reply(a, "353", "alice = #mine", "@alice");
    hv_stop(s);
}

/* ------------------------------------------------------------ REHASH */

/* SIGHUP with a new topic: its channel is in LIST, TOPICS and the MOTD. */
Test(modules, rehash_adds_topic)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice");
    size_t l = list(a);
    cr_assert(since(a, l, " 322 alice #carers ") == NULL);
    struct mconf m = { .topics = BASE_TOPICS CARERS_TOPIC };
    rewrite_config(s, &m);
    kill(s->pid, SIGHUP);
    cr_assert(hv_wait_log(s, "topics: reloaded: 5 topics", 5000), "no reload logged");
    refresh_port(s);
    l = list(a);
    cr_expect(since(a, l, "^:" SRV " 322 alice #carers 0 :Caring for someone$"), "#carers not listed");
    hv_send(a, "PRIVMSG Guide :TOPICS");
    hv_expect(a, GUIDE "alice :  #carers - Caring for someone  \\(/msg Guide JOIN carers\\)$");
    hv_send(a, "PRIVMSG Guide :FIND my dad has dementia");
    hv_expect(a, GUIDE "alice :  #carers - ");
    hv_send(a, "MOTD");
    hv_expect(a, "^:" SRV " 372 alice :-   #carers - Caring for someone$");
    hv_join(a, "#carers");
    hv_expect(a, GUIDE "alice :Welcome to #carers\\.$");
    hv_stop(s);
}

/* REHASH (the command) changing a description and modes and removing a
 * topic: members see the new topic and modes; the removed topic's channel
 * closes once empty and creating it again is then staff-only. */
Test(modules, rehash_changes_and_removes_topics)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *o = hv_user(s, "staff");
    become_oper(o);
    hv_join(a, "#grief");
    hv_join(a, "#lobby");
    struct mconf m = {
        .topics =
            "    { name = \"anxiety\"; channel = \"#anxiety\"; description = \"Worry, panic and anxious thoughts\"; },\n"
            "    { name = \"grief\"; channel = \"#grief\"; description = \"Loss and grieving\"; modes = \"+n\"; },\n"
            "    { name = \"self-harm\"; channel = \"#selfharm-recovery\"; description = \"Self-harm recovery\"; }",
    };
    rewrite_config(s, &m);
    rehash(s, o);
    hv_expect(a, "^:" SRV " MODE #grief -t$");
    hv_expect(a, "^:" SRV " TOPIC #grief :Loss and grieving$");
    size_t l = list(o);
    cr_expect(since(o, l, " 322 staff #grief [0-9]+ :Loss and grieving$"), "#grief not listed with its new topic");
    cr_expect(since(o, l, " 322 staff #anxiety 0 :Worry"), "#anxiety lost");
    cr_expect(since(o, l, " 322 staff #lobby "), "#lobby closed while alice is in it");
    hv_send(o, "PRIVMSG Guide :TOPICS");
    hv_expect(o, GUIDE "staff :  #selfharm-recovery - ");
    hv_sync(o);
    cr_expect(hv_find(o, "NOTICE staff :  #lobby") == NULL, "TOPICS still lists #lobby");
    /* the retired topic's channel gets no welcome and closes when empty */
    struct hv_client *b = hv_user(s, "bob");
    hv_join(b, "#lobby");
    hv_sync(b);
    hv_expect_none(b, 300, "Welcome to #lobby");
    hv_send(a, "PART #lobby");
    hv_send(b, "PART #lobby");
    hv_expect(a, " PART #lobby");
    hv_expect(b, " PART #lobby");
    l = list(o);
    cr_expect(since(o, l, " 322 staff #lobby ") == NULL, "#lobby still open after everyone left");
    hv_send(b, "JOIN #lobby");
    hv_expect_reply(b, "474", "bob #lobby", NULL);
    hv_stop(s);
}

/* A REHASH with a bad topics config or a new guide nick is refused with the
 * reason; the old topics stay. */
Test(modules, bad_rehash_keeps_topics)
{
    struct hv_server *s = start(NULL);
    struct hv_client *o = hv_user(s, "staff");
    become_oper(o);
    struct mconf bad = { .topics = BASE_TOPICS ",\n    { name = \"Bad Name\"; channel = \"#bad\"; description = \"x\"; }" };
    rewrite_config(s, &bad);
    rehash(s, o);
    hv_expect(o, "^:" SRV " NOTICE staff :REHASH applied, but a module kept its old settings:$");
    hv_expect(o, "^:" SRV " NOTICE staff :.*havend\\.conf:[0-9]+: topics\\.list\\[4\\]\\.name: \"Bad Name\": use "
                 "lower-case letters");
    size_t l = list(o);
    cr_expect(since(o, l, " 322 staff #bad ") == NULL, "a refused topic's channel exists");
    cr_expect(since(o, l, " 322 staff #anxiety "), "#anxiety gone after a refused REHASH");

    struct mconf rename = { .settings = "  guide_nick = \"Helper\";" };
    rewrite_config(s, &rename);
    rehash(s, o);
    hv_expect(o, "^:" SRV " NOTICE staff :.*topics\\.guide_nick: cannot change from \"Guide\" to \"Helper\"");
    hv_send(o, "PRIVMSG Guide :TOPICS");
    hv_expect(o, GUIDE "staff :  #lobby - ");
    hv_stop(s);
}

/* REHASH without "topics" in modules: the guide leaves, empty topic
 * channels close, and channel creation is open again. */
Test(modules, rehash_unloads_topics)
{
    struct hv_server *s = start(NULL);
    struct hv_client *a = hv_user(s, "alice"), *o = hv_user(s, "staff");
    become_oper(o);
    hv_join(a, "#anxiety");
    struct mconf m = { .modules = "\"example\"" };
    rewrite_config(s, &m);
    rehash(s, o);
    hv_send(a, "WHOIS Guide");
    hv_expect_reply(a, "401", "alice Guide", NULL);
    size_t l = list(a);
    cr_expect(since(a, l, " 322 alice #grief ") == NULL, "empty #grief still open without the module");
    cr_expect(since(a, l, " 322 alice #anxiety "), "#anxiety closed while alice is in it");
    hv_send(a, "JOIN #newroom");
    hv_expect_reply(a, "353", "alice = #newroom", "@alice");
    hv_skip(a);
    size_t m0 = a->nlines;
    hv_send(a, "MOTD");
    hv_expect(a, "^:" SRV " 376 ");
    cr_expect(since(a, m0, "372 alice :-   #grief") == NULL, "MOTD still lists topics");
    hv_stop(s);
}

/* ------------------------------------------------------------ the guide is a service */

/* WHOIS shows a network service; it cannot be killed or kicked. */
Test(modules, guide_is_a_service)
{
    struct mconf m = { .settings = "  guide_in_channels = true;" };
    struct hv_server *s = start(&m);
    struct hv_client *a = hv_user(s, "alice"), *o = hv_user(s, "staff");
    hv_send(a, "WHOIS Guide");
    hv_expect(a, "^:" SRV " 311 alice Guide service services\\.irc\\.test\\.local \\* :");
    hv_expect_reply(a, "313", "alice Guide", "is a Network Service");
    hv_expect_reply(a, "318", "alice Guide", NULL);

    become_oper(o);
    hv_send(o, "KILL Guide :go away");
    hv_expect_reply(o, "483", "staff", NULL);
    hv_send(o, "JOIN #anxiety");
    hv_expect(o, "^:" SRV " 353 staff = #anxiety :.*Guide");
    hv_expect(o, "^:" SRV " MODE #anxiety \\+o staff$");
    hv_send(o, "KICK #anxiety Guide :bye");
    hv_expect_reply(o, "482", "staff #anxiety", "You cannot kick a network service");
    hv_send(a, "WHOIS Guide");
    hv_expect_reply(a, "313", "alice Guide", NULL);
    /* the guide being in the room grants nobody op, and welcomes still come */
    hv_send(a, "JOIN #grief");
    hv_expect(a, "^:" SRV " 353 alice = #grief :");
    hv_expect(a, GUIDE "alice :Welcome to #grief\\.$");
    cr_expect(hv_find(a, " 353 alice = #grief :.*@alice") == NULL, "alice got op in #grief");
    hv_stop(s);
}

/* ------------------------------------------------------------ the shipped config */

/* The topics section of conf/havend.conf loads, and a newcomer can find a
 * room by typing what they are going through, and land there. */
Test(modules, shipped_topics_config)
{
    const char *src = getenv("HAVEND_SRCDIR");
    cr_assert(src && *src, "HAVEND_SRCDIR is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/conf/havend.conf", src);
    FILE *f = fopen(path, "r");
    cr_assert(f, "cannot read %s", path);
    char *conf = calloc(1, 262144);
    cr_assert(fread(conf, 1, 262143, f) > 0);
    fclose(f);
    cr_assert(matches("\nmodules = \\[[^]]*\"topics\"", conf), "conf/havend.conf does not load the topics module");
    /* Only the topics group: other modules' settings are not under test. */
    char *at = strstr(conf, "\ntopics = {");
    cr_assert(at, "conf/havend.conf has no topics group");
    char *end = strstr(at, "\n};");
    cr_assert(end, "the topics group does not end with a \"};\" line");
    end[4] = '\0';
    char *extra = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&extra, &len);
    fprintf(o, "module_path = \"%s\";\nmodules = [ \"topics\" ];\n%s\n", module_dir(), at);
    fclose(o);
    free(conf);
    struct hv_opts opts = { .extra = extra };
    struct hv_server *s = hv_start(&opts);
    free(extra);

    struct hv_client *a = hv_user(s, "alice");
    static const char *const chans[] = { "#lobby", "#anxiety", "#depression", "#grief", "#recovery",
                                         "#relationships", "#lgbtq", "#selfharm-recovery", "#carers",
                                         "#offtopic" };
    for (size_t i = 0; i < sizeof chans / sizeof chans[0]; i++) {
        char re[128];
        snprintf(re, sizeof re, "^:" SRV " 372 alice :-   %s - .", chans[i]);
        cr_expect(hv_find(a, re), "MOTD does not list %s", chans[i]);
    }
    hv_expect(a, GUIDE "alice :Hi, I'm Guide");
    static const struct { const char *words, *room; } finds[] = {
        { "I get panic attacks and can't stop worrying", "#anxiety" },
        { "everything feels empty and hopeless", "#depression" },
        { "my dad died last month", "#grief" },
        { "I've been drinking too much again", "#recovery" },
        { "I'm scared about coming out to my parents as gay", "#lgbtq" },
        { "I've been looking after my mum with dementia and I'm exhausted", "#carers" },
    };
    for (size_t i = 0; i < sizeof finds / sizeof finds[0]; i++) {
        hv_skip(a);
        size_t from = a->nlines;
        hv_send(a, "PRIVMSG Guide :FIND %s", finds[i].words);
        hv_expect(a, GUIDE "alice :Th(is room|ese rooms) might be a good fit:$");
        hv_sync(a);
        char re[128];
        snprintf(re, sizeof re, "NOTICE alice :  %s - ", finds[i].room);
        cr_expect(since(a, from, re), "FIND %s did not suggest %s", finds[i].words, finds[i].room);
    }
    hv_send(a, "PRIVMSG Guide :JOIN anxiety");
    hv_expect(a, " JOIN #anxiety$");
    hv_expect(a, GUIDE "alice :Welcome to #anxiety\\.");
    hv_expect(a, GUIDE "alice :.*peer support, not a crisis or medical service");
    size_t l = list(a);
    for (size_t i = 0; i < sizeof chans / sizeof chans[0]; i++) {
        char re[128];
        snprintf(re, sizeof re, " 322 alice %s [01] :.", chans[i]);
        cr_expect(since(a, l, re), "LIST lacks %s", chans[i]);
    }
    hv_send(a, "JOIN #help");
    hv_expect(a, " JOIN #help$");
    hv_stop(s);
}
