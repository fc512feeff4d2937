/* registration.c — connection registration (PASS, NICK, USER, CAP) and the
 * commands every state accepts (PING, PONG, QUIT). */
#include "havend.h"
#include "modules/module.h"
#include "proto/linebuf.h"
#include "proto/numeric.h"
#include "proto/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_pass(struct client *u, struct message *m)
{
    struct conn *c = u->conn;
    free(c->pass);
    c->pass = strdup(m->params[0]);
}

/* NICK: validate, check for collisions, then set (or change) the nick. */
void cmd_nick(struct client *u, struct message *m)
{
    struct conn *c = u->conn;
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NONICKNAMEGIVEN, ":No nickname given");
        return;
    }
    char nick[NICK_MAX + 1];
    str_copy(nick, sizeof nick, m->params[0]);
    /* A registered user's request goes to the modules first: a pseudonym
     * module answers any request (even an invalid nick) with a fresh name. */
    if (c->state != STATE_UNREG && hooks_any(HV_HOOK_NICK_REQUEST)) {
        struct hv_event ev = { .type = HV_HOOK_NICK_REQUEST, .user = u, .command = "NICK",
                               .text = nick, .text_cap = sizeof nick };
        if (hooks_run(&ev) == HV_BLOCK) {
            send_numeric(u, ERR_ERRONEUSNICKNAME, "%s :%s", m->params[0],
                         ev.reason[0] ? ev.reason : "Nickname change refused");
            return;
        }
    }
    bool rewritten = strcmp(nick, m->params[0]) != 0;
    if ((!rewritten && strlen(m->params[0]) > (size_t)srv.conf->nicklen) ||
        !irc_valid_nick(nick, (size_t)srv.conf->nicklen)) {
        send_numeric(u, ERR_ERRONEUSNICKNAME, "%s :Erroneous nickname", m->params[0]);
        return;
    }
    struct client *other = user_find_nick(nick);
    if (other && other != u) {
        send_numeric(u, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", nick);
        return;
    }
    user_change_nick(u, nick);
    if (c->state == STATE_UNREG) {
        c->got_nick = true;
        registration_try_complete(u);
    }
}

void cmd_user(struct client *u, struct message *m)
{
    struct conn *c = u->conn;
    if (!m->params[0][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "USER :Not enough parameters");
        return;
    }
    /* Kept only where the network shows them (privacy.show_sent_*);
     * otherwise what USER said is never stored at all. */
    free(c->sent_user);
    free(c->sent_real);
    c->sent_user = srv.conf->show_sent_username ? strndup(m->params[0], USER_MAX) : NULL;
    c->sent_real = srv.conf->show_sent_realname ? strndup(m->params[3], REAL_MAX) : NULL;
    c->got_user = true;
    registration_try_complete(u);
}

void cmd_ping(struct client *u, struct message *m)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NOORIGIN, ":No origin specified");
        return;
    }
    send_line(u, ":%s PONG %s :%s", srv.name, srv.name, m->params[m->nparams - 1]);
}

void cmd_pong(struct client *u, struct message *m)
{
    if (m->nparams < 1)
        send_numeric(u, ERR_NOORIGIN, ":No origin specified");
    /* Any input already reset the ping timer in the read path. */
}

void cmd_quit(struct client *u, struct message *m)
{
    char reason[IRC_LINE_MAX];
    if (m->nparams > 0 && m->params[0][0])
        snprintf(reason, sizeof reason, "Quit: %.*s",
                 (int)utf8_cut(m->params[0], strlen(m->params[0]), (size_t)srv.conf->kicklen), m->params[0]);
    else
        snprintf(reason, sizeof reason, "Client Quit");
    conn_close(u->conn, reason);
}

/* The welcome burst: 001-005, LUSERS, MOTD, and the initial user modes.
 * Every registration sends it, so its lines are assembled from pieces
 * (proto/linebuf.h) rather than formatted with printf. */
static void send_welcome(struct client *u)
{
    struct linebuf b;
    lb_numeric(&b, u, RPL_WELCOME);
    lb_str(&b, ":Welcome to the ");
    lb_str(&b, srv.conf->network);
    lb_str(&b, " IRC Network, ");
    lb_str(&b, u->nick);
    lb_send(&b, u);
    lb_numeric(&b, u, RPL_YOURHOST);
    lb_str(&b, ":Your host is ");
    lb_str(&b, srv.name);
    lb_str(&b, ", running version havend-" HAVEND_VERSION);
    lb_send(&b, u);
    lb_numeric(&b, u, RPL_CREATED);
    lb_str(&b, ":This server was created ");
    lb_str(&b, srv.created);
    lb_send(&b, u);
    char letters[32];
    lb_numeric(&b, u, RPL_MYINFO);
    lb_str(&b, srv.name);
    lb_str(&b, " havend-" HAVEND_VERSION " ");
    lb_str(&b, umode_letters(letters, sizeof letters));
    lb_str(&b, " ObeIiklmnopstv beIklov");
    lb_send(&b, u);
    send_isupport(u);
    send_lusers(u);
    send_motd(u);
    if (u->umodes) {
        char modes[64];
        lb_init(&b);
        lb_str(&b, ":");
        lb_str(&b, u->nick);
        lb_str(&b, " MODE ");
        lb_str(&b, u->nick);
        lb_str(&b, " :");
        lb_str(&b, umode_string(u->umodes, modes, sizeof modes));
        lb_send(&b, u);
    }
}

void registration_try_complete(struct client *u)
{
    struct conn *c = u->conn;
    if (!c->got_nick || !c->got_user || c->cap_negotiating || c->dead)
        return;
    sasl_registration_abort(u);
    if (srv.conf->password_hash) {
        enum passwd_result r = c->pass ? passwd_check(srv.conf->password_hash, c->pass) : PASSWD_WRONG;
        if (r == PASSWD_BUSY) {
            conn_close(c, "Server busy checking passwords; try again in a moment");
            return;
        }
        if (r != PASSWD_OK) {
            send_numeric(u, ERR_PASSWDMISMATCH, ":Password incorrect");
            conn_close(c, "Bad Password");
            return;
        }
    }
    /* Modules may rename the user before the welcome (e.g. pseudonyms). */
    hooks_notify(HV_HOOK_REGISTERING, u, NULL, NULL, NULL, NULL);
    if (c->dead)
        return; /* a module refused the connection (e.g. a network ban) */
    struct client *other = user_find_nick(u->nick);
    if (other && other != u) {
        /* Someone registered this nick while we waited for USER. */
        send_numeric(u, ERR_NICKNAMEINUSE, "%s :Nickname is already in use", u->nick);
        c->got_nick = false;
        return;
    }
    free(c->pass);
    c->pass = NULL;
    user_set_public_identity(u, c->sent_user, c->sent_real);
    free(c->sent_user);
    free(c->sent_real);
    c->sent_user = c->sent_real = NULL;

    u->registered = true;
    u->signon = time(NULL);
    user_set_nick(u, u->nick);
    u->umodes |= umode_defaults();
    if (u->umodes & UMODE_INVISIBLE)
        srv.ninvisible++;
    c->state = STATE_USER;
    c->last_active = time(NULL);
    srv.nunreg--;
    srv.nusers++;
    if (srv.nusers > srv.max_users)
        srv.max_users = srv.nusers;
    log_msg(LOG_INFO, "client %s registered", u->uid);
    send_welcome(u);
    monitor_signon(u);
    hooks_notify(HV_HOOK_REGISTERED, u, NULL, NULL, NULL, NULL);
}
