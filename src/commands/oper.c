/* oper.c — operator commands: OPER, KILL, WALLOPS, REHASH, DIE. */
#include "havend.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True if u is an operator holding `priv`; otherwise answers 481. */
static bool require_priv(struct client *u, unsigned priv)
{
    if ((u->umodes & UMODE_OPER) && (u->oper_privs & priv))
        return true;
    send_numeric(u, ERR_NOPRIVILEGES, ":Permission Denied- You're not an IRC operator");
    return false;
}

void cmd_oper(struct client *u, struct message *m)
{
    const struct conf_oper *op = config_find_oper(srv.conf, m->params[0]);
    if (!op) {
        send_numeric(u, ERR_NOOPERHOST, ":No appropriate operator blocks were found for your host");
        log_msg(LOG_WARN, "client %s failed OPER (no such block)", u->uid);
        return;
    }
    enum passwd_result r = passwd_check(op->password_hash, m->params[1]);
    if (r == PASSWD_BUSY) {
        send_line(u, ":%s NOTICE %s :*** Too many password checks right now; try OPER again in a moment",
                  srv.name, u->nick);
        log_msg(LOG_WARN, "client %s: OPER not checked (password checks busy)", u->uid);
        return;
    }
    if (r != PASSWD_OK) {
        send_numeric(u, ERR_PASSWDMISMATCH, ":Password incorrect");
        log_msg(LOG_WARN, "client %s failed OPER as %s (bad password)", u->uid, op->name);
        return;
    }
    if (!(u->umodes & UMODE_OPER))
        srv.nopers++;
    u->umodes |= UMODE_OPER;
    u->oper_privs = op->privs;
    free(u->oper_name);
    u->oper_name = strdup(op->name);
    if (op->class_name && u->conn) {
        conn_set_class(u->conn, op->class_name);
        conn_apply_class(u->conn);
    }
    send_numeric(u, RPL_YOUREOPER, ":You are now an IRC operator");
    send_line(u, ":%s MODE %s :+o", u->nick, u->nick);
    if (!u->account)
        account_login(u, op->name);   /* the oper block is also an account */
    log_msg(LOG_INFO, "client %s is now operator %s", u->uid, op->name);
}

void cmd_kill(struct client *u, struct message *m)
{
    if (!require_priv(u, OPRIV_KILL))
        return;
    if (m->nparams < 2) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "KILL :Not enough parameters");
        return;
    }
    if (!irc_casecmp(m->params[0], srv.name)) {
        send_numeric(u, ERR_CANTKILLSERVER, ":You can't kill a server!");
        return;
    }
    struct client *victim = user_find_nick(m->params[0]);
    if (!victim) {
        send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", m->params[0]);
        return;
    }
    if (victim->service) {
        send_numeric(u, ERR_CANTKILLSERVER, ":You can't kill a network service");
        return;
    }
    char reason[IRC_LINE_MAX / 2];
    snprintf(reason, sizeof reason, "Killed (%s (%.*s))", u->nick, srv.conf->kicklen, m->params[1]);
    log_msg(LOG_INFO, "operator %s killed client %s", u->uid, victim->uid);
    if (victim->conn) {
        char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
        send_line(victim, ":%s KILL %s :%s", client_mask(u, mask, sizeof mask), victim->nick, m->params[1]);
        conn_close(victim->conn, reason);
    }
}

void cmd_wallops(struct client *u, struct message *m)
{
    if (!require_priv(u, OPRIV_WALLOPS))
        return;
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    send_to_wallops(":%s WALLOPS :%s", client_mask(u, mask, sizeof mask), m->params[0]);
}

void cmd_rehash(struct client *u, struct message *m)
{
    if (!require_priv(u, OPRIV_REHASH))
        return;
    send_numeric(u, RPL_REHASHING, "%s :Rehashing", srv.conf_path);
    char err[4096];
    int rc = server_rehash(err, sizeof err);
    if (rc != 0) {
        /* One NOTICE per reason line, so each fits an IRC line. */
        char *save = NULL;
        send_line(u, ":%s NOTICE %s :%s", srv.name, u->nick,
                  rc == -1 ? "REHASH failed; the old configuration stays in force:"
                           : "REHASH applied, but a module kept its old settings:");
        for (char *ln = strtok_r(err, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save))
            send_line(u, ":%s NOTICE %s :%s", srv.name, u->nick, ln);
        return;
    }
    send_to_opers("%s rehashed the server configuration", u->nick);
}

void cmd_die(struct client *u, struct message *m)
{
    if (!require_priv(u, OPRIV_DIE))
        return;
    log_msg(LOG_INFO, "operator %s ordered shutdown", u->uid);
    server_shutdown("Server shutting down");
}
