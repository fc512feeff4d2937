/* help.c — the HELP command and its topic table.
 *
 * Built-in topics cover every core command. Modules add topics with
 * help_register() (help.h); lookups consult registered topics first, so a
 * module can also replace a built-in text. A command in the command table
 * without any topic still answers with a short generic text, so HELP never
 * claims a real command is unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "havend.h"
#include "commands/help.h"
#include "proto/numeric.h"

#define HELP_NAME_MAX 32
#define LINE_BODY_MAX (IRC_LINE_MAX - 2)

struct help_topic {
    const char *name;
    const char *text;            /* lines separated by '\n'; first = syntax */
};

/* Built-in topics, one per core command. */
static const struct help_topic builtin[] = {
    {"ADMIN", "ADMIN [<server>]\nShows the administrative contact information of the server."},
    {"AUTHENTICATE", "AUTHENTICATE <mechanism> | <base64 data> | + | *\n"
                     "Logs you in to an account with SASL (needs CAP REQ :sasl first). Mechanisms: PLAIN (account "
                     "name and password) and EXTERNAL (a TLS client certificate whose fingerprint staff configured).\n"
                     "AUTHENTICATE * aborts."},
    {"AWAY", "AWAY [:<message>]\nMarks you as away with the given message, or back when no message is given.\n"
             "Others see the message in WHOIS and when they message you."},
    {"CAP", "CAP LS [302] | CAP LIST | CAP REQ :<caps> | CAP END\n"
            "Negotiates IRCv3 client capabilities. After CAP LS, registration waits for CAP END."},
    {"DIE", "DIE [:<reason>]\nShuts the server down, disconnecting everyone. Operators with the die privilege only."},
    {"HELP", "HELP [<subject>]\nShows help on a command. Without a subject, lists the commands that have help."},
    {"INFO", "INFO [<server>]\nShows information about the server software."},
    {"INVITE", "INVITE <nick> <channel>\nInvites a user to a channel. On an invite-only (+i) channel you must be\n"
               "a channel operator; the invite then lets the user join it."},
    {"ISON", "ISON <nick> [<nick> ...]\nReplies with those of the given nicks that are online, as currently spelled."},
    {"JOIN", "JOIN <channel>[,<channel>] [<key>[,<key>]]\nJoins channels, creating them if they do not exist "
             "(you become channel operator).\nJOIN 0 leaves every channel you are in."},
    {"KICK", "KICK <channel> <nick>[,<nick>] [:<reason>]\nRemoves users from a channel. Channel operators only."},
    {"KILL", "KILL <nick> :<reason>\nDisconnects a user. Operators with the kill privilege only."},
    {"LIST", "LIST [<channel>[,<channel>]]\nLists channels with their user counts and topics.\n"
             "Secret (+s) and private (+p) channels are shown only to their members."},
    {"LUSERS", "LUSERS\nShows how many users, operators and channels there are."},
    {"MODE", "MODE <channel> [<modes> [<params>]] | MODE <nick> [<modes>]\n"
             "Shows or changes channel modes (i m n t s p k l, lists b e I, status o v) or your user modes "
             "(i w; o is removed with -o).\nMODE <channel> b/e/I lists bans, exceptions and invite exceptions."},
    {"MONITOR", "MONITOR + <nick>[,<nick>] | MONITOR - <nick>[,<nick>] | MONITOR C | MONITOR L | MONITOR S\n"
                "Watches nicks: you are told (730/731) when they come online or go offline.\n"
                "+ adds, - removes, C clears the list, L lists it, S shows who is online now."},
    {"MOTD", "MOTD [<server>]\nShows the server's message of the day."},
    {"NAMES", "NAMES [<channel>[,<channel>]]\nLists the users in a channel, with @ for operators and + for voice.\n"
              "Invisible (+i) users are listed only to members of the channel."},
    {"NICK", "NICK <nickname>\nSets or changes your nickname."},
    {"NOTICE", "NOTICE <target>[,<target>] :<text>\nLike PRIVMSG, but never triggers an automatic reply "
               "and errors are not reported."},
    {"OPER", "OPER <name> <password>\nAuthenticates you as an IRC operator (user mode +o)."},
    {"PART", "PART <channel>[,<channel>] [:<reason>]\nLeaves channels."},
    {"PASS", "PASS <password>\nSends the connection password. Must come before NICK and USER."},
    {"PING", "PING <token>\nAsks the server to answer with PONG <token>; used to check the connection."},
    {"PONG", "PONG <token>\nAnswers a PING from the server."},
    {"PRIVMSG", "PRIVMSG <target>[,<target>] :<text>\nSends a message to users or channels.\n"
                "On a +n channel you must be a member; on a +m channel you need voice or op."},
    {"QUIT", "QUIT [:<reason>]\nDisconnects you from the server."},
    {"REHASH", "REHASH\nReloads the configuration file; on errors the old one stays in force. "
               "Operators with the rehash privilege only."},
    {"SETNAME", "SETNAME :<realname>\nChanges your realname, where the network shows the realnames users "
                "choose (otherwise refused).\nClients with the setname capability see the change."},
    {"TIME", "TIME [<server>]\nShows the server's current time (UTC)."},
    {"TOPIC", "TOPIC <channel> [:<topic>]\nShows or sets a channel's topic. An empty topic clears it.\n"
              "On a +t channel only channel operators may set it."},
    {"USER", "USER <username> 0 * :<realname>\nSent once at registration. What others see may be replaced by the "
             "server's public defaults for privacy."},
    {"USERHOST", "USERHOST <nick> [<nick> ...]\nShows nick=+user@host for up to five nicks "
                 "(* marks operators, - marks away)."},
    {"VERSION", "VERSION [<server>]\nShows the server version and supported features (ISUPPORT)."},
    {"WALLOPS", "WALLOPS :<text>\nSends a message to every user with user mode +w. Operators only."},
    {"WHO", "WHO <mask> [o][%<fields>[,<token>]]\nLists users in a channel, or users whose nick, username, host or "
            "realname match mask.\n"
            "Invisible users are shown only to those who share a channel with them. o: operators only.\n"
            "%<fields> (WHOX) picks the fields of 354 replies from t c u i h s n f d l a o r."},
    {"WHOIS", "WHOIS [<server>] <nick>[,<nick>]\nShows the public information about a user: host, realname, "
              "channels, server, away message and idle time."},
    {"WHOWAS", "WHOWAS <nick>[,<nick>] [<count>]\nShows who recently used a nickname, newest first."},
};

/* Topics registered at runtime (modules). */
static struct help_topic *extra;
static size_t nextra, extra_cap;

/* Is name usable as a topic name? */
static bool valid_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n <= HELP_NAME_MAX && !strpbrk(name, " ,:\r\n");
}

/* Index of a registered topic, or -1. */
static long extra_find(const char *name)
{
    for (size_t i = 0; i < nextra; i++)
        if (strcasecmp(extra[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Add or replace a registered topic; see help.h. */
int help_register(const char *name, const char *text)
{
    if (!valid_name(name) || !text)
        return -1;
    char *n = strdup(name), *t = strdup(text);
    if (!n || !t) {
        free(n);
        free(t);
        return -1;
    }
    for (char *p = n; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    long i = extra_find(name);
    if (i >= 0) {
        free((char *)extra[i].name);
        free((char *)extra[i].text);
        extra[i].name = n;
        extra[i].text = t;
        return 0;
    }
    if (nextra == extra_cap) {
        size_t cap = extra_cap ? extra_cap * 2 : 8;
        struct help_topic *v = realloc(extra, cap * sizeof *v);
        if (!v) {
            free(n);
            free(t);
            return -1;
        }
        extra = v;
        extra_cap = cap;
    }
    extra[nextra].name = n;
    extra[nextra].text = t;
    nextra++;
    return 0;
}

/* Remove a registered topic; see help.h. */
int help_unregister(const char *name)
{
    long i = name ? extra_find(name) : -1;
    if (i < 0)
        return -1;
    free((char *)extra[i].name);
    free((char *)extra[i].text);
    extra[i] = extra[--nextra];
    return 0;
}

/* Free every registered topic; see help.h. */
void help_clear(void)
{
    for (size_t i = 0; i < nextra; i++) {
        free((char *)extra[i].name);
        free((char *)extra[i].text);
    }
    free(extra);
    extra = NULL;
    nextra = extra_cap = 0;
}

/* Registered first, then built-in; see help.h. */
const char *help_lookup(const char *name)
{
    if (!name)
        return NULL;
    long i = extra_find(name);
    if (i >= 0)
        return extra[i].text;
    for (size_t k = 0; k < sizeof builtin / sizeof builtin[0]; k++)
        if (strcasecmp(builtin[k].name, name) == 0)
            return builtin[k].text;
    return NULL;
}

/* The table entry of a command registered users may send, by name. */
static const struct command *user_command(const char *name)
{
    const struct command *c;
    for (size_t i = 0; (c = command_at(i)) != NULL; i++)
        if (c->name && c->handler[STATE_USER] && strcasecmp(c->name, name) == 0)
            return c;
    return NULL;
}

/* Bytes free after "<subject> :" in a numeric to `to`. */
static size_t text_budget(struct client *to, const char *subject)
{
    const char *server = srv.conf && srv.conf->server_name ? srv.conf->server_name : "*";
    size_t used = 1 + strlen(server) + 5 + strlen(client_target(to)) + 1 + strlen(subject) + 2;
    return used + 32 < LINE_BODY_MAX ? LINE_BODY_MAX - used : 32;
}

/* Send one help line (704 or 705), cut to fit without splitting UTF-8. */
static void help_line(struct client *to, int numeric, const char *subject, const char *line, size_t len)
{
    size_t max = text_budget(to, subject);
    if (len > max) {
        len = max;
        while (len > 0 && ((unsigned char)line[len] & 0xC0) == 0x80)
            len--;
    }
    send_numeric(to, numeric, "%s :%.*s", subject, (int)len, line);
}

/* Send a topic's text: first line 704, the rest 705, then 706. */
static void help_send_text(struct client *to, const char *subject, const char *text)
{
    int numeric = RPL_HELPSTART;
    const char *p = text;
    do {
        size_t n = strcspn(p, "\r\n");
        if (n > 0 || numeric == RPL_HELPSTART || p[n]) {
            help_line(to, numeric, subject, p, n);
            numeric = RPL_HELPTXT;
        }
        p += n;
        if (*p == '\r' && p[1] == '\n')
            p++;
        if (*p)
            p++;
    } while (*p);
    send_numeric(to, RPL_ENDOFHELP, "%s :End of /HELP", subject);
}

/* qsort comparator for topic names. */
static int name_cmp(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does names[0..n) already hold name? */
static bool names_have(const char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(names[i], name) == 0)
            return true;
    return false;
}

/* HELP with no subject: an index of every command and registered topic,
 * sorted, packed into as few 705 lines as fit. */
static void help_index(struct client *to)
{
    size_t cap = nextra, n = 0;
    const struct command *c;
    for (size_t i = 0; command_at(i); i++)
        cap++;
    const char **names = calloc(cap ? cap : 1, sizeof *names);
    if (names) {
        for (size_t i = 0; (c = command_at(i)) != NULL; i++)
            if (c->name && c->handler[STATE_USER] && !names_have(names, n, c->name))
                names[n++] = c->name;
        for (size_t i = 0; i < nextra; i++)
            if (!names_have(names, n, extra[i].name))
                names[n++] = extra[i].name;
        qsort(names, n, sizeof *names, name_cmp);
    }

    send_numeric(to, RPL_HELPSTART, "* :havend help: the commands below have help.");
    size_t max = text_budget(to, "*");
    char line[IRC_LINE_MAX];
    size_t len = 0;
    for (size_t i = 0; names && i < n; i++) {
        size_t w = strlen(names[i]);
        if (w > HELP_NAME_MAX)
            continue;
        if (len && len + 1 + w > max) {
            help_line(to, RPL_HELPTXT, "*", line, len);
            len = 0;
        }
        if (len)
            line[len++] = ' ';
        memcpy(line + len, names[i], w);
        len += w;
    }
    if (len)
        help_line(to, RPL_HELPTXT, "*", line, len);
    send_numeric(to, RPL_HELPTXT, "* :Use HELP <command> for the syntax and details of a command.");
    send_numeric(to, RPL_ENDOFHELP, "* :End of /HELP");
    free(names);
}

/* HELP [subject]: help on a command or topic (704/705/706), an index
 * without a subject, 524 for an unknown subject. The subject is echoed as
 * sent, reduced to one safe word. */
void cmd_help(struct client *src, struct message *m)
{
    const char *arg = m->nparams > 0 ? m->params[0] : "";
    while (*arg == ' ' || *arg == ':')
        arg++;
    char subject[HELP_NAME_MAX + 1];
    size_t n = strcspn(arg, " \r\n");
    bool too_long = n > HELP_NAME_MAX;
    if (too_long)
        n = HELP_NAME_MAX;
    memcpy(subject, arg, n);
    subject[n] = '\0';

    if (n == 0 || strcmp(subject, "*") == 0) {
        help_index(src);
        return;
    }
    if (too_long) {
        send_numeric(src, ERR_HELPNOTFOUND, "%s :No help available on this topic", subject);
        return;
    }
    const char *text = help_lookup(subject);
    if (text) {
        help_send_text(src, subject, text);
        return;
    }
    const struct command *c = user_command(subject);
    if (c) {
        char generic[128];
        snprintf(generic, sizeof generic, "%s\nNo detailed help is available for this command yet.", c->name);
        help_send_text(src, subject, generic);
        return;
    }
    send_numeric(src, ERR_HELPNOTFOUND, "%s :No help available on this topic", subject);
}
