/* vanish.c — panic-hide support: a user leaves everything as if they had
 * disconnected, and carries on, unannounced, as a new person.
 *
 * To everyone else the departure is byte-for-byte an ordinary QUIT; to the
 * user it is a PART of each channel (so their client closes the windows)
 * and a NICK to the new pseudonym. The new identity gets a fresh UID and
 * cloak, so nothing visible links it to the old one. */
#include "havend.h"
#include "modules/module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A nick for the new identity: what a NICK_REQUEST hook (the pseudonym
 * module) picks, else "Guest" and five random digits. */
static void vanish_pick_nick(struct client *u, char *nick, size_t len)
{
    for (int tries = 0; tries < 20; tries++) {
        unsigned char r[4];
        if (random_bytes(r, sizeof r) != 0)
            abort();
        unsigned v = ((unsigned)r[0] << 24 | (unsigned)r[1] << 16 | (unsigned)r[2] << 8 | r[3]) % 100000;
        snprintf(nick, len, "Guest%05u", v);
        if (hooks_any(HV_HOOK_NICK_REQUEST)) {
            struct hv_event ev = { .type = HV_HOOK_NICK_REQUEST, .user = u, .command = "NICK",
                                   .text = nick, .text_cap = len };
            hooks_run(&ev);
        }
        if (irc_valid_nick(nick, (size_t)srv.conf->nicklen) && !user_find_nick(nick))
            return;
    }
    snprintf(nick, len, "Guest%s", u->uid + SID_LEN); /* unique by construction */
}

int user_vanish(struct client *u, const char *quit_text)
{
    if (!u->conn || !u->registered || u->service)
        return -1;
    char oldmask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, oldmask, sizeof oldmask);

    /* The user's own client sees each channel parted. */
    for (size_t i = 0; i < u->nchans; i++)
        send_line(u, ":%s PART %s", oldmask, u->chans[i]->chan->name);

    /* Everyone else: exactly what a plain disconnect shows. This also runs
     * the QUIT hooks, so modules drop what they held for the old identity. */
    bool was_oper = u->umodes & UMODE_OPER;
    user_quit(u, quit_text);
    if (was_oper) {
        /* Operator status does not survive: staff identify again. */
        u->umodes &= ~UMODE_OPER;
        u->oper_privs = 0;
        free(u->oper_name);
        u->oper_name = NULL;
    }
    free(u->away);
    u->away = NULL;
    if (u->umodes & UMODE_INVISIBLE)
        srv.ninvisible++; /* the new identity is still registered and +i */

    user_new_identity(u);
    char nick[NICK_MAX + 1];
    vanish_pick_nick(u, nick, sizeof nick);
    user_set_nick(u, nick);
    send_line(u, ":%s NICK :%s", oldmask, u->nick);
    /* Watchers of the new nick see it arrive, as for anyone connecting. */
    monitor_signon(u);
    return 0;
}
