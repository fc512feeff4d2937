/* ircv3.c — IRCv3 notifications that ride along existing events, and
 * SETNAME.
 *
 * Each notification goes only to clients that negotiated its capability
 * (send_opts.need_caps); clients without it see exactly what they saw
 * before. Masks are the public nick!user@host. */
#include "havend.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ away-notify */

/* AWAY [:message] from u to common-channel members with away-notify, when u
 * sets, changes or clears their away message. */
void away_notify_change(struct client *u)
{
    const struct send_opts o = { CAP_AWAY_NOTIFY, 0, 0, NULL };
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, mask, sizeof mask);
    if (u->away)
        send_to_common_channels_opts(u, false, &o, ":%s AWAY :%s", mask, u->away);
    else
        send_to_common_channels_opts(u, false, &o, ":%s AWAY", mask);
}

/* After u joined ch: members with away-notify learn that u is away. */
void away_notify_join(struct client *u, struct channel *ch)
{
    if (!u->away)
        return;
    const struct send_opts o = { CAP_AWAY_NOTIFY, 0, 0, NULL };
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    send_to_channel_opts(ch, u, &o, ":%s AWAY :%s", client_mask(u, mask, sizeof mask), u->away);
}

/* ------------------------------------------------------------ invite-notify */

/* Tell ch's members with invite-notify that inviter invited target: all of
 * them on an open channel, only the ops (who could invite too) under +i.
 * The inviter has RPL_INVITING already; the target is not a member. */
void invite_notify(struct client *inviter, struct client *target, struct channel *ch)
{
    const struct send_opts o = { CAP_INVITE_NOTIFY, 0, (ch->modes & CMODE_INVITEONLY) ? CSTATUS_OP : 0, NULL };
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    send_to_channel_opts(ch, inviter, &o, ":%s INVITE %s %s", client_mask(inviter, mask, sizeof mask),
                         target->nick, ch->name);
}

/* ------------------------------------------------------------ SETNAME */

/* SETNAME :<realname>. Only when the network shows the realnames users
 * send (privacy.show_sent_realname); otherwise everyone's public realname
 * is the same constant and changing it would mean nothing, so it is
 * refused. The change goes to common-channel members with setname and to
 * the user (if it has the cap; without it the change is silent, as the
 * spec asks). */
void cmd_setname(struct client *u, struct message *m)
{
    if (!srv.conf || !srv.conf->show_sent_realname) {
        send_standard_reply(u, "FAIL", "SETNAME", "CANNOT_CHANGE_REALNAME", NULL,
                            "Realnames cannot be changed on this network");
        return;
    }
    const char *real = m->params[0];
    size_t len = strlen(real);
    if (len == 0 || len > REAL_MAX) {
        send_standard_reply(u, "FAIL", "SETNAME", "INVALID_REALNAME", NULL, "Realname is not valid");
        return;
    }
    user_set_realname(u, real, true);
    const struct send_opts o = { CAP_SETNAME, 0, 0, NULL };
    char mask[NICK_MAX + USER_MAX + HOST_MAX + 3];
    send_to_common_channels_opts(u, true, &o, ":%s SETNAME :%s", client_mask(u, mask, sizeof mask), u->realname);
}
