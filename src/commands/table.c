/* table.c — the one command table, and dispatch.
 *
 * Each command has a handler slot per connection state (as Solanum's struct
 * Message): a handler only ever runs in a state it was written for, so none
 * re-checks registration. The minimum parameter count lives here too. */
#include "havend.h"
#include "modules/module.h"
#include "proto/numeric.h"

#include <string.h>

#define U STATE_UNREG
#define R STATE_USER

/* Alphabetical, so HELP lists in order. */
static struct command commands[] = {
    { "ADMIN",    0, 0,               { [R] = cmd_admin }, 0 },
    { "AUTHENTICATE", 1, 0,           { [U] = cmd_authenticate, [R] = cmd_authenticate }, 0 },
    { "AWAY",     0, CMDF_UTF8,       { [R] = cmd_away }, 0 },
    { "CAP",      1, 0,               { [U] = cmd_cap, [R] = cmd_cap }, 0 },
    { "DIE",      0, 0,               { [R] = cmd_die }, 0 },
    { "HELP",     0, 0,               { [R] = cmd_help }, 0 },
    { "INFO",     0, 0,               { [R] = cmd_info }, 0 },
    { "INVITE",   2, 0,               { [R] = cmd_invite }, 0 },
    { "ISON",     1, 0,               { [R] = cmd_ison }, 0 },
    { "JOIN",     1, CMDF_UTF8_STRICT, { [R] = cmd_join }, 0 },
    { "KICK",     2, CMDF_UTF8,       { [R] = cmd_kick }, 0 },
    { "KILL",     1, 0,               { [R] = cmd_kill }, 0 },
    { "LIST",     0, 0,               { [R] = cmd_list }, 0 },
    { "LUSERS",   0, 0,               { [R] = cmd_lusers }, 0 },
    { "MODE",     1, CMDF_UTF8_STRICT, { [R] = cmd_mode }, 0 },
    { "MONITOR",  1, 0,               { [R] = cmd_monitor }, 0 },
    { "MOTD",     0, 0,               { [R] = cmd_motd }, 0 },
    { "NAMES",    0, 0,               { [R] = cmd_names }, 0 },
    { "NICK",     0, 0,               { [U] = cmd_nick, [R] = cmd_nick }, 0 },
    { "NOTICE",   0, CMDF_IDLE_RESET | CMDF_UTF8, { [R] = cmd_notice }, 0 },
    { "OPER",     2, 0,               { [R] = cmd_oper }, 0 },
    { "PART",     1, CMDF_UTF8,       { [R] = cmd_part }, 0 },
    { "PASS",     1, 0,               { [U] = cmd_pass, [R] = cmd_already_registered }, 0 },
    { "PING",     0, 0,               { [U] = cmd_ping, [R] = cmd_ping }, 0 },
    { "PONG",     0, 0,               { [U] = cmd_pong, [R] = cmd_pong }, 0 },
    { "PRIVMSG",  0, CMDF_IDLE_RESET | CMDF_UTF8, { [R] = cmd_privmsg }, 0 },
    { "QUIT",     0, CMDF_UTF8,       { [U] = cmd_quit, [R] = cmd_quit }, 0 },
    { "REDACT",   2, 0,               { [R] = cmd_redact }, 0 },
    { "REHASH",   0, 0,               { [R] = cmd_rehash }, 0 },
    { "SETNAME",  1, CMDF_UTF8,       { [R] = cmd_setname }, 0 },
    { "TAGMSG",   1, CMDF_IDLE_RESET, { [R] = cmd_tagmsg }, 0 },
    { "TIME",     0, 0,               { [R] = cmd_time }, 0 },
    { "TOPIC",    1, CMDF_UTF8,       { [R] = cmd_topic }, 0 },
    { "USER",     4, CMDF_UTF8,       { [U] = cmd_user, [R] = cmd_already_registered }, 0 },
    { "USERHOST", 1, 0,               { [R] = cmd_userhost }, 0 },
    { "VERSION",  0, 0,               { [R] = cmd_version }, 0 },
    { "WALLOPS",  1, 0,               { [R] = cmd_wallops }, 0 },
    { "WHO",      0, 0,               { [R] = cmd_who }, 0 },
    { "WHOIS",    1, 0,               { [R] = cmd_whois }, 0 },
    { "WHOWAS",   1, 0,               { [R] = cmd_whowas }, 0 },
};

#undef U
#undef R

#define NCOMMANDS (sizeof commands / sizeof commands[0])

struct command *command_find(const char *name)
{
    size_t lo = 0, hi = NCOMMANDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(name, commands[mid].name);
        if (cmp == 0)
            return &commands[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct command *command_at(size_t i)
{
    return i < NCOMMANDS ? &commands[i] : NULL;
}

void cmd_not_registered(struct client *src, struct message *m)
{
    send_numeric(src, ERR_NOTREGISTERED, ":You have not registered");
}

void cmd_already_registered(struct client *src, struct message *m)
{
    send_numeric(src, ERR_ALREADYREGISTERED, ":You may not reregister");
}

/* Find and run the handler for m in c's state, with the table's checks. */
static void dispatch(struct conn *c, struct message *m)
{
    struct client *src = c->client;
    struct command *cmd = command_find(m->command);
    if (!cmd) {
        if (c->state == STATE_USER && module_command_dispatch(src, m))
            return;
        if (c->state == STATE_UNREG)
            send_numeric(src, ERR_NOTREGISTERED, ":You have not registered");
        else
            send_numeric(src, ERR_UNKNOWNCOMMAND, "%s :Unknown command", m->command);
        return;
    }
    cmd_handler h = cmd->handler[c->state];
    if (!h) {
        if (c->state == STATE_UNREG)
            cmd_not_registered(src, m);
        return;
    }
    if (m->nparams < cmd->min_params) {
        send_numeric(src, ERR_NEEDMOREPARAMS, "%s :Not enough parameters", cmd->name);
        return;
    }
    /* UTF8ONLY: refuse or repair text that is not UTF-8 (proto/utf8.c). */
    char repaired[IRC_LINE_MAX * 3 + MSG_MAX_PARAMS];
    if (!utf8_filter_params(src, cmd, m, repaired, sizeof repaired))
        return;
    if (cmd->flags & CMDF_IDLE_RESET)
        c->last_active = time(NULL);
    cmd->uses++;
    h(src, m);
}

void command_dispatch(struct conn *c, struct message *m)
{
    srv.cmd_source = c->client;
    /* labeled-response: everything this command sends back is labeled. */
    char label[65];
    if ((c->caps & CAP_LABELED_RESPONSE) && m->tags && tags_get(m->tags, "label", label, sizeof label) &&
        label[0] && !strpbrk(label, " ;\\\r\n")) {
        label_begin(c, label);
        dispatch(c, m);
        label_end();
    } else {
        dispatch(c, m);
    }
    srv.cmd_source = NULL;
}
