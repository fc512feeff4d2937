/* service.c — service pseudo-clients: users with no connection, owned by a
 * module, that answer PRIVMSG commands.
 *
 * A service is an ordinary struct client (in the nick and UID tables, able
 * to join channels) with `service` set and conn NULL, so every send helper
 * skips it and nobody can kill, kick or rename it. */
#include "modules/module.h"
#include "commands/help.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SERVICE_MAX_ARGS 16

struct svc_command {
    char name[33];
    int min_args;
    hv_service_fn fn;
    void *arg;
    char *help;                         /* syntax line, then description lines */
};

struct hv_service {
    struct client *u;
    hv_module *owner;
    struct svc_command *cmds;
    size_t ncmds;
    struct hv_service *next;
};

static struct hv_service *services;

hv_service *hv_service_new(hv_module *self, const char *nick, const char *realname)
{
    if (!nick || !irc_valid_nick(nick, NICK_MAX) || user_find_nick(nick))
        return NULL;
    struct hv_service *svc = calloc(1, sizeof *svc);
    struct client *u = calloc(1, sizeof *u);
    if (!svc || !u)
        abort();
    u->server_name = srv.name;
    u->signon = time(NULL);
    snprintf(u->uid, sizeof u->uid, "%sS%05llu", srv.conf->sid, (unsigned long long)(srv.uid_counter++ % 100000));
    while (hashmap_get(&srv.uids, u->uid))
        snprintf(u->uid, sizeof u->uid, "%sS%05llu", srv.conf->sid, (unsigned long long)(srv.uid_counter++ % 100000));
    hashmap_put(&srv.uids, u->uid, u);
    user_set_username(u, "service", false);
    snprintf(u->host, sizeof u->host, "services.%.*s", HOST_MAX - 9, srv.name);
    user_set_realname(u, realname ? realname : "Network service", false);
    u->umodes = UMODE_BOT;
    u->registered = true;
    u->service = svc;
    user_set_nick(u, nick);
    monitor_signon(u);
    srv.nservices++;
    svc->u = u;
    svc->owner = self;
    svc->next = services;
    services = svc;
    return svc;
}

hv_user *hv_service_user(hv_service *svc)
{
    return svc->u;
}

int hv_service_command(hv_service *svc, const char *name, int min_args, hv_service_fn fn, void *arg,
                       const char *help)
{
    size_t n = name ? strlen(name) : 0;
    if (!fn || n == 0 || n > 32 || min_args < 0)
        return -1;
    for (size_t i = 0; i < svc->ncmds; i++)
        if (!strcasecmp(svc->cmds[i].name, name))
            return -1;
    struct svc_command *v = realloc(svc->cmds, (svc->ncmds + 1) * sizeof *v);
    if (!v)
        return -1;
    svc->cmds = v;
    struct svc_command *c = &v[svc->ncmds++];
    for (size_t i = 0; i <= n; i++)
        c->name[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    c->min_args = min_args;
    c->fn = fn;
    c->arg = arg;
    c->help = strdup(help ? help : name);
    if (!c->help)
        abort();
    return 0;
}

/* Send each line of a multi-line text as a NOTICE from the service. */
static void notice_lines(struct hv_service *svc, struct client *to, const char *prefix, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strcspn(p, "\n");
        hv_service_notice(svc, to->nick, "%s%.*s", prefix, (int)n, p);
        p += n;
        if (*p == '\n')
            p++;
    }
}

/* HELP: the list of commands with their syntax, or one command in full. */
static void service_help(struct hv_service *svc, struct client *to, const char *topic)
{
    if (topic) {
        for (size_t i = 0; i < svc->ncmds; i++) {
            if (!strcasecmp(svc->cmds[i].name, topic)) {
                notice_lines(svc, to, "", svc->cmds[i].help);
                return;
            }
        }
        hv_service_notice(svc, to->nick, "No help for \"%.32s\". Type /msg %s HELP for the list of commands.",
                          topic, svc->u->nick);
        return;
    }
    hv_service_notice(svc, to->nick, "%s understands these commands (type /msg %s <command>):", svc->u->nick,
                      svc->u->nick);
    for (size_t i = 0; i < svc->ncmds; i++) {
        size_t n = strcspn(svc->cmds[i].help, "\n");
        hv_service_notice(svc, to->nick, "  %.*s", (int)n, svc->cmds[i].help);
    }
    hv_service_notice(svc, to->nick, "  HELP [command]");
}

/* Split text into words (in place) and run the matching command. */
static void service_dispatch(struct hv_service *svc, struct client *from, char *text)
{
    char *argv[SERVICE_MAX_ARGS + 1];
    int argc = 0;
    char *save = NULL;
    for (char *w = strtok_r(text, " ", &save); w && argc < SERVICE_MAX_ARGS; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    /* The last word keeps the rest of the line, for free-text arguments. */
    if (argc == SERVICE_MAX_ARGS && save && *save) {
        size_t len = strlen(argv[argc - 1]);
        argv[argc - 1][len] = ' ';
    }
    argv[argc] = NULL;
    if (argc == 0)
        return;
    if (!strcasecmp(argv[0], "HELP")) {
        service_help(svc, from, argc > 1 ? argv[1] : NULL);
        return;
    }
    for (size_t i = 0; i < svc->ncmds; i++) {
        struct svc_command *c = &svc->cmds[i];
        if (strcasecmp(c->name, argv[0]) != 0)
            continue;
        if (argc - 1 < c->min_args) {
            size_t n = strcspn(c->help, "\n");
            hv_service_notice(svc, from->nick, "Not enough parameters. Syntax: %.*s", (int)n, c->help);
            return;
        }
        c->fn(svc, from, argc, argv, c->arg);
        return;
    }
    hv_service_notice(svc, from->nick, "Unknown command \"%.32s\". Type /msg %s HELP for a list of commands.",
                      argv[0], svc->u->nick);
}

bool service_deliver(struct client *from, struct client *to, const char *command, const char *text)
{
    struct hv_service *svc = to->service;
    if (!svc)
        return false;
    /* NOTICEs are never answered (RFC 2812), so services cannot loop. */
    if (strcmp(command, "PRIVMSG") == 0 && from != to) {
        char buf[IRC_LINE_MAX];
        snprintf(buf, sizeof buf, "%s", text);
        /* CTCP (\1...\1) to a service is ignored rather than misparsed. */
        if (buf[0] != '\1')
            service_dispatch(svc, from, buf);
    }
    return true;
}

void hv_service_notice(hv_service *svc, const char *target, const char *fmt, ...)
{
    char text[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    message_send_as(svc->u, "NOTICE", target, text);
}

void hv_service_privmsg(hv_service *svc, const char *target, const char *fmt, ...)
{
    char text[IRC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    message_send_as(svc->u, "PRIVMSG", target, text);
}

/* Remove a service from the network: QUIT to its channels, out of tables. */
static void service_free(struct hv_service *svc)
{
    struct client *u = svc->u;
    user_quit(u, "Service unloaded");
    user_free(u);
    srv.nservices--;
    for (size_t i = 0; i < svc->ncmds; i++)
        free(svc->cmds[i].help);
    free(svc->cmds);
    free(svc);
}

void services_remove_owner(hv_module *m)
{
    struct hv_service **pp = &services;
    while (*pp) {
        struct hv_service *svc = *pp;
        if (svc->owner == m) {
            *pp = svc->next;
            service_free(svc);
        } else {
            pp = &svc->next;
        }
    }
}
