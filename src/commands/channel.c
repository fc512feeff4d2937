/* channel.c — channel commands: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK.
 *
 * State changes go through state/channel.c; this file checks permissions,
 * announces, and answers. One rule runs through it: after anything is sent
 * to the acting user, that user may have been disconnected (SendQ), which
 * takes them out of their channels and can free a channel; so every loop
 * checks gone() before touching a channel again. */
#include "havend.h"
#include "modules/module.h"
#include "proto/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Modes a new channel starts with. None, as in RFC 2812: ops set +nt
 * themselves (the integration tests expect "MODE #c +t" to be echoed on a
 * fresh channel). Many networks use CMODE_NOEXTERNAL | CMODE_TOPICLOCK. */
#define DEFAULT_CHANMODES 0u

/* ---------------------------------------------------------------- helpers */

/* Was u's connection closed while we were sending to it? */
static bool gone(const struct client *u)
{
    return u->conn && u->conn->dead;
}

/* A client-supplied word made safe to echo in a numeric: cut at the first
 * space and to len-1 bytes; "*" when empty. */
static const char *echo_word(const char *s, char *buf, size_t len)
{
    size_t n = s ? strcspn(s, " ") : 0;
    if (n >= len)
        n = len - 1;
    if (n == 0)
        return "*";
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* Copy src into dst (dstlen bytes) and cut it to at most max bytes without
 * splitting a UTF-8 sequence. */
static void copy_truncated(char *dst, size_t dstlen, const char *src, int max)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
    size_t n = strlen(dst);
    if (max > 0 && n > (size_t)max) {
        n = (size_t)max;
        while (n > 0 && ((unsigned char)dst[n] & 0xC0) == 0x80)
            n--;
        dst[n] = '\0';
    }
}

/* A configured limit, or `def` when no config is loaded or it is unset. */
static int conf_limit(int v, int def)
{
    return v > 0 ? v : def;
}

/* Can u see ch in LIST/NAMES: not secret or private, or a member. */
static bool chan_visible(struct channel *ch, const struct client *u)
{
    return !(ch->modes & (CMODE_SECRET | CMODE_PRIVATE)) || channel_membership(ch, u);
}

/* The 332/333 pair for a channel with a topic. */
static void send_topic(struct client *u, struct channel *ch)
{
    send_numeric(u, RPL_TOPIC, "%s :%s", ch->name, ch->topic);
    send_numeric(u, RPL_TOPICWHOTIME, "%s %s %lld", ch->name,
                 ch->topic_setter[0] ? ch->topic_setter : "*", (long long)ch->topic_time);
}

/* ---------------------------------------------------------------- NAMES */

/* 353 lines for ch (split to fit 512 bytes) then 366. Invisible (+i)
 * users are left out for someone who is not in the channel (RFC 2812). */
void channel_send_names(struct client *to, struct channel *ch)
{
    bool member = channel_membership(ch, to) != NULL;
    unsigned caps = to->conn ? to->conn->caps : 0;
    char sym = (ch->modes & CMODE_SECRET) ? '@' : (ch->modes & CMODE_PRIVATE) ? '*' : '=';
    const char *server = srv.conf && srv.conf->server_name ? srv.conf->server_name : "";
    /* ":server 353 nick = #chan :" plus CRLF */
    size_t overhead = 1 + strlen(server) + 5 + strlen(client_target(to)) + 3 + strlen(ch->name) + 2 + 2;
    size_t budget = overhead + 64 < IRC_LINE_MAX ? IRC_LINE_MAX - overhead : 64;
    char line[IRC_LINE_MAX];
    size_t len = 0;

    for (size_t i = 0; i < ch->nmembers; i++) {
        const struct membership *ms = ch->members[i];
        if (!member && (ms->client->umodes & UMODE_INVISIBLE))
            continue;
        /* multi-prefix: every status ("@+"); userhost-in-names: the public mask. */
        char pfx[4], item[NICK_MAX + USER_MAX + HOST_MAX + 8];
        channel_status_prefix(ms->status, caps & CAP_MULTI_PREFIX, pfx);
        if (caps & CAP_USERHOST_IN_NAMES)
            snprintf(item, sizeof item, "%s%s!%s@%s", pfx, ms->client->nick, ms->client->user, ms->client->host);
        else
            snprintf(item, sizeof item, "%s%s", pfx, ms->client->nick);
        size_t add = strlen(item);
        if (len > 0 && len + 1 + add > budget) {
            send_numeric(to, RPL_NAMREPLY, "%c %s :%s", sym, ch->name, line);
            if (gone(to))
                return;
            len = 0;
        }
        len += (size_t)snprintf(line + len, sizeof line - len, "%s%s", len ? " " : "", item);
    }
    if (len > 0) {
        send_numeric(to, RPL_NAMREPLY, "%c %s :%s", sym, ch->name, line);
        if (gone(to))
            return;
    }
    send_numeric(to, RPL_ENDOFNAMES, "%s :End of /NAMES list.", ch->name);
}

/* NAMES [#a,#b]: without channels only the end marker (listing every
 * visible user on the server is what RFC 2812 asks, and nobody uses it). */
void cmd_names(struct client *u, struct message *m)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, RPL_ENDOFNAMES, "* :End of /NAMES list.");
        return;
    }
    char *list = m->params[0], *name, w[CHAN_MAX + 1];
    int max = conf_limit(srv.conf ? srv.conf->max_targets : 0, 20), n = 0;
    while ((name = strsep(&list, ",")) != NULL && n < max) {
        if (!*name)
            continue;
        n++;
        struct channel *ch = channel_find(name);
        if (ch && (!(ch->modes & CMODE_SECRET) || channel_membership(ch, u)))
            channel_send_names(u, ch);
        else
            send_numeric(u, RPL_ENDOFNAMES, "%s :End of /NAMES list.", echo_word(name, w, sizeof w));
        if (gone(u))
            return;
    }
}

/* ---------------------------------------------------------------- JOIN / PART */

/* PART every channel u is in ("JOIN 0"). */
static void part_all(struct client *u)
{
    while (u->nchans > 0)
        channel_part(u, u->chans[u->nchans - 1]->chan, NULL);
}

/* Join one channel, with the checks in the order clients expect them:
 * name, limit on channels, +i (invite or +I), +b (unless +e), +k, +l. */
static void join_one(struct client *u, const char *name, const char *key)
{
    char w[CHAN_MAX + 1];
    size_t chanlen = (size_t)conf_limit(srv.conf ? srv.conf->channellen : 0, CHAN_MAX);
    if (chanlen > CHAN_MAX)
        chanlen = CHAN_MAX;
    if (!irc_valid_channel(name, chanlen)) {
        if (name[0] != '#')
            send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(name, w, sizeof w));
        else
            send_numeric(u, ERR_BADCHANMASK, "%s :Bad Channel Mask", echo_word(name, w, sizeof w));
        return;
    }

    struct channel *ch = channel_find(name);
    if (ch && channel_membership(ch, u))
        return;
    int maxch = srv.conf ? srv.conf->max_channels : 0;
    if (maxch > 0 && u->nchans >= (size_t)maxch) {
        send_numeric(u, ERR_TOOMANYCHANNELS, "%s :You have joined too many channels", ch ? ch->name : name);
        return;
    }

    unsigned status = 0;
    if (ch && (ch->modes & CMODE_OPERONLY) && !(u->umodes & UMODE_OPER)) {
        send_numeric(u, ERR_OPERONLYCHAN, "%s :Cannot join channel (+O)", ch->name);
        return;
    }
    if (ch) {
        if ((ch->modes & CMODE_INVITEONLY) && !channel_is_invited(ch, u) && !channel_is_invexed(ch, u)) {
            send_numeric(u, ERR_INVITEONLYCHAN, "%s :Cannot join channel (+i)", ch->name);
            return;
        }
        if (channel_is_banned(ch, u)) {
            send_numeric(u, ERR_BANNEDFROMCHAN, "%s :Cannot join channel (+b)", ch->name);
            return;
        }
        if ((ch->modes & CMODE_KEY) && (!key || strcmp(key, ch->key) != 0)) {
            send_numeric(u, ERR_BADCHANNELKEY, "%s :Cannot join channel (+k)", ch->name);
            return;
        }
        if ((ch->modes & CMODE_LIMIT) && ch->limit > 0 && ch->nmembers >= (size_t)ch->limit) {
            send_numeric(u, ERR_CHANNELISFULL, "%s :Cannot join channel (+l)", ch->name);
            return;
        }
    }
    if (hooks_any(HV_HOOK_JOIN_CHECK)) {
        char nm[CHAN_MAX + 1];
        snprintf(nm, sizeof nm, "%s", ch ? ch->name : name);
        struct hv_event ev = { .type = HV_HOOK_JOIN_CHECK, .user = u, .channel = ch, .command = "JOIN",
                               .text = nm, .text_cap = sizeof nm };
        if (hooks_run(&ev) == HV_BLOCK) {
            send_numeric(u, ERR_BANNEDFROMCHAN, "%s :Cannot join channel (%s)", nm,
                         ev.reason[0] ? ev.reason : "refused");
            return;
        }
    }
    if (!ch) {
        ch = channel_create(name);
        ch->modes = DEFAULT_CHANMODES;
        status = CSTATUS_OP;
    }
    channel_join(u, ch, status);
}

/* Make u a member of ch with `status`, announce the JOIN, and send the
 * joiner the topic and NAMES. Shared by JOIN and modules' forced joins. */
void channel_join(struct client *u, struct channel *ch, unsigned status)
{
    channel_add_member(ch, u, status);
    channel_clear_invite(ch, u);

    /* extended-join: members with the cap also get the account and the
     * (public) realname; everyone else the plain JOIN. */
    char who[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, who, sizeof who);
    const struct msg_tags jt = { .account = u->account };
    const struct send_opts ext = { CAP_EXTENDED_JOIN, 0, 0, &jt }, plain = { 0, CAP_EXTENDED_JOIN, 0, &jt };
    send_to_channel_opts(ch, NULL, &ext, ":%s JOIN %s %s :%s", who, ch->name, u->account ? u->account : "*",
                         u->realname);
    send_to_channel_opts(ch, NULL, &plain, ":%s JOIN %s", who, ch->name);
    if (gone(u))
        return;
    if (ch->topic) {
        send_topic(u, ch);
        if (gone(u))
            return;
    }
    away_notify_join(u, ch);
    if (!u->conn || !(u->conn->caps & CAP_NO_IMPLICIT_NAMES))
        channel_send_names(u, ch);
    hooks_notify(HV_HOOK_JOINED, u, NULL, ch, NULL, NULL);
}

/* Announce u leaving ch (with an optional reason), then remove them. */
void channel_part(struct client *u, struct channel *ch, const char *reason)
{
    char who[NICK_MAX + USER_MAX + HOST_MAX + 3];
    client_mask(u, who, sizeof who);
    if (reason && reason[0])
        send_to_channel(ch, NULL, ":%s PART %s :%s", who, ch->name, reason);
    else
        send_to_channel(ch, NULL, ":%s PART %s", who, ch->name);
    hooks_notify(HV_HOOK_PARTED, u, NULL, ch, reason, NULL);
    channel_remove_member(ch, u);
    channel_maybe_destroy(ch);
}

/* JOIN #a,#b [k1,k2] — keys pair with channels by position; "0" parts
 * every channel. */
void cmd_join(struct client *u, struct message *m)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "JOIN :Not enough parameters");
        return;
    }
    char *list = m->params[0], *keys = m->nparams > 1 ? m->params[1] : NULL, *name;
    while ((name = strsep(&list, ",")) != NULL) {
        char *key = keys ? strsep(&keys, ",") : NULL;
        if (!*name)
            continue;
        if (strcmp(name, "0") == 0)
            part_all(u);
        else
            join_one(u, name, key && *key ? key : NULL);
        if (gone(u))
            return;
    }
}

/* PART #a,#b [reason] */
void cmd_part(struct client *u, struct message *m)
{
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "PART :Not enough parameters");
        return;
    }
    char reason[IRC_LINE_MAX], w[CHAN_MAX + 1];
    copy_truncated(reason, sizeof reason, m->nparams > 1 ? m->params[1] : "",
                   conf_limit(srv.conf ? srv.conf->kicklen : 0, 300));

    char *list = m->params[0], *name;
    while ((name = strsep(&list, ",")) != NULL) {
        if (!*name)
            continue;
        struct channel *ch = channel_find(name);
        if (!ch) {
            send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(name, w, sizeof w));
        } else if (!channel_membership(ch, u)) {
            send_numeric(u, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
        } else {
            channel_part(u, ch, reason);
        }
        if (gone(u))
            return;
    }
}

/* ---------------------------------------------------------------- TOPIC */

/* TOPIC #chan [text]: query, or set (op needed under +t; "" clears). */
void cmd_topic(struct client *u, struct message *m)
{
    char w[CHAN_MAX + 1];
    struct channel *ch = m->nparams > 0 ? channel_find(m->params[0]) : NULL;
    if (m->nparams < 1 || !m->params[0][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "TOPIC :Not enough parameters");
        return;
    }
    if (!ch) {
        send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(m->params[0], w, sizeof w));
        return;
    }
    struct membership *me = channel_membership(ch, u);

    if (m->nparams < 2) {
        if (!me && (ch->modes & CMODE_SECRET))
            send_numeric(u, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
        else if (ch->topic)
            send_topic(u, ch);
        else
            send_numeric(u, RPL_NOTOPIC, "%s :No topic is set", ch->name);
        return;
    }

    if (!me) {
        send_numeric(u, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
        return;
    }
    if ((ch->modes & CMODE_TOPICLOCK) && !(me->status & CSTATUS_OP)) {
        send_numeric(u, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
        return;
    }

    char text[IRC_LINE_MAX];
    copy_truncated(text, sizeof text, m->params[1], conf_limit(srv.conf ? srv.conf->topiclen : 0, 390));
    free(ch->topic);
    ch->topic = NULL;
    if (text[0]) {
        ch->topic = strdup(text);
        if (!ch->topic)
            abort();
    }
    client_mask(u, ch->topic_setter, sizeof ch->topic_setter);
    ch->topic_time = time(NULL);
    send_to_channel(ch, NULL, ":%s TOPIC %s :%s", ch->topic_setter, ch->name, text);
    hooks_notify(HV_HOOK_TOPIC_CHANGED, u, NULL, ch, text, NULL);
}

/* ---------------------------------------------------------------- LIST */

/* LIST's ELIST=CMNTU filters. -1 means "not given". */
struct list_filter {
    long min_users, max_users;          /* >n  <n */
    long created_max_age, created_min_age;  /* C<n  C>n (minutes) */
    long topic_max_age, topic_min_age;      /* T<n  T>n (minutes) */
    const char *match[8], *nomatch[8];  /* M: mask   N: !mask */
    size_t nmatch, nnomatch;
};

/* Read one LIST token into f; false when it is not a filter (a name). */
static bool list_filter_token(struct list_filter *f, char *tok)
{
    char *end;
    if ((tok[0] == '>' || tok[0] == '<') && tok[1]) {
        long v = strtol(tok + 1, &end, 10);
        if (*end || v < 0)
            return true;
        *(tok[0] == '>' ? &f->min_users : &f->max_users) = v;
        return true;
    }
    if ((tok[0] == 'C' || tok[0] == 'T' || tok[0] == 'c' || tok[0] == 't') && (tok[1] == '<' || tok[1] == '>')) {
        long v = strtol(tok + 2, &end, 10);
        if (*end || v < 0)
            return true;
        bool created = tok[0] == 'C' || tok[0] == 'c';
        if (tok[1] == '<')
            *(created ? &f->created_max_age : &f->topic_max_age) = v;
        else
            *(created ? &f->created_min_age : &f->topic_min_age) = v;
        return true;
    }
    if (tok[0] == '!' && tok[1]) {
        if (f->nnomatch < 8)
            f->nomatch[f->nnomatch++] = tok + 1;
        return true;
    }
    if (strpbrk(tok, "*?")) {
        if (f->nmatch < 8)
            f->match[f->nmatch++] = tok;
        return true;
    }
    return false;
}

/* Is an age in seconds within the "<max" / ">min" minute bounds? */
static bool age_ok(time_t since, long max_age, long min_age)
{
    long minutes = (long)((time(NULL) - since) / 60);
    if (max_age >= 0 && minutes >= max_age)
        return false;
    if (min_age >= 0 && minutes < min_age)
        return false;
    return true;
}

/* One 322 line, when the channel passes the filters. The count is of the
 * users the asker may see: +i users only count for members. */
static void list_one(struct client *u, struct channel *ch, const struct list_filter *f)
{
    bool member = channel_membership(ch, u) != NULL;
    size_t count = 0;
    for (size_t i = 0; i < ch->nmembers; i++)
        if (member || !(ch->members[i]->client->umodes & UMODE_INVISIBLE))
            count++;
    if ((f->min_users >= 0 && (long)count <= f->min_users) || (f->max_users >= 0 && (long)count >= f->max_users))
        return;
    if (!age_ok(ch->ts, f->created_max_age, f->created_min_age))
        return;
    if ((f->topic_max_age >= 0 || f->topic_min_age >= 0) &&
        (!ch->topic || !age_ok(ch->topic_time, f->topic_max_age, f->topic_min_age)))
        return;
    bool matched = f->nmatch == 0;
    for (size_t i = 0; i < f->nmatch && !matched; i++)
        matched = irc_match(f->match[i], ch->name);
    for (size_t i = 0; i < f->nnomatch && matched; i++)
        matched = !irc_match(f->nomatch[i], ch->name);
    if (!matched)
        return;
    send_numeric(u, RPL_LIST, "%s %zu :%s", ch->name, count, ch->topic ? ch->topic : "");
}

/* LIST [#a,#b | filters]: visible channels with their user count and topic.
 * Filters (ELIST=CMNTU): >n <n users, C<n C>n created, T<n T>n topic set,
 * n minutes ago; masks with * or ?, and !mask to exclude. */
void cmd_list(struct client *u, struct message *m)
{
    enum { LIST_MAX_NAMES = 32 };
    char *names[LIST_MAX_NAMES];
    size_t nnames = 0;
    struct list_filter f = { -1, -1, -1, -1, -1, -1, { 0 }, { 0 }, 0, 0 };

    if (m->nparams > 0) {
        char *list = m->params[0], *tok;
        while ((tok = strsep(&list, ",")) != NULL)
            if (tok[0] && !list_filter_token(&f, tok) && nnames < LIST_MAX_NAMES)
                names[nnames++] = tok;
    }

    send_numeric(u, RPL_LISTSTART, "Channel :Users  Name");
    if (gone(u))
        return;
    if (nnames > 0) {
        for (size_t i = 0; i < nnames; i++) {
            struct channel *ch = channel_find(names[i]);
            if (ch && chan_visible(ch, u)) {
                list_one(u, ch, &f);
                if (gone(u))
                    return;
            }
        }
    } else {
        size_t bucket = 0;
        struct hm_entry *e = NULL;
        struct channel *ch;
        while ((ch = hashmap_next(&srv.chans, &bucket, &e)) != NULL) {
            if (!chan_visible(ch, u))
                continue;
            list_one(u, ch, &f);
            if (gone(u))
                return;
        }
    }
    send_numeric(u, RPL_LISTEND, ":End of /LIST");
}

/* ---------------------------------------------------------------- INVITE / KICK */

/* INVITE nick #chan: lets nick past +i once. Under +i only ops invite. */
void cmd_invite(struct client *u, struct message *m)
{
    char w[CHAN_MAX + 1];
    if (m->nparams < 2 || !m->params[0][0] || !m->params[1][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "INVITE :Not enough parameters");
        return;
    }
    struct client *t = user_find_nick(m->params[0]);
    if (!t) {
        send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", echo_word(m->params[0], w, sizeof w));
        return;
    }
    struct channel *ch = channel_find(m->params[1]);
    if (!ch) {
        send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(m->params[1], w, sizeof w));
        return;
    }
    struct membership *me = channel_membership(ch, u);
    if (!me) {
        send_numeric(u, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
        return;
    }
    if (channel_membership(ch, t)) {
        send_numeric(u, ERR_USERONCHANNEL, "%s %s :is already on channel", t->nick, ch->name);
        return;
    }
    if ((ch->modes & CMODE_INVITEONLY) && !(me->status & CSTATUS_OP)) {
        send_numeric(u, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
        return;
    }

    channel_add_invite(ch, t);
    /* Everything the inviter gets comes first: the target's connection may
     * close when we write to it. */
    send_numeric(u, RPL_INVITING, "%s %s", t->nick, ch->name);
    if (t->away && !gone(u))
        send_numeric(u, RPL_AWAY, "%s :%s", t->nick, t->away);
    if (t->conn && !gone(u)) {
        char who[NICK_MAX + USER_MAX + HOST_MAX + 3];
        send_line(t, ":%s INVITE %s %s", client_mask(u, who, sizeof who), t->nick, ch->name);
    }
    invite_notify(u, t, ch);
}

/* KICK #chan nick[,nick] [reason]: ops remove members; the reason defaults
 * to the kicker's nick. */
void cmd_kick(struct client *u, struct message *m)
{
    char w[CHAN_MAX + 1];
    if (m->nparams < 2 || !m->params[0][0] || !m->params[1][0]) {
        send_numeric(u, ERR_NEEDMOREPARAMS, "KICK :Not enough parameters");
        return;
    }
    struct channel *ch = channel_find(m->params[0]);
    if (!ch) {
        send_numeric(u, ERR_NOSUCHCHANNEL, "%s :No such channel", echo_word(m->params[0], w, sizeof w));
        return;
    }

    char reason[IRC_LINE_MAX], who[NICK_MAX + USER_MAX + HOST_MAX + 3], nw[NICK_MAX + 1];
    copy_truncated(reason, sizeof reason,
                   m->nparams > 2 && m->params[2][0] ? m->params[2] : u->nick,
                   conf_limit(srv.conf ? srv.conf->kicklen : 0, 300));
    client_mask(u, who, sizeof who);

    char *list = m->params[1], *nick;
    int max = conf_limit(srv.conf ? srv.conf->max_targets : 0, 20), n = 0;
    while ((nick = strsep(&list, ",")) != NULL && n < max) {
        if (!*nick)
            continue;
        n++;
        /* Checked per target: the kicker may have kicked themselves. */
        struct membership *me = channel_membership(ch, u);
        if (!me) {
            send_numeric(u, ERR_NOTONCHANNEL, "%s :You're not on that channel", ch->name);
            break;
        }
        if (!(me->status & CSTATUS_OP)) {
            send_numeric(u, ERR_CHANOPRIVSNEEDED, "%s :You're not channel operator", ch->name);
            break;
        }
        struct client *t = user_find_nick(nick);
        if (!t) {
            send_numeric(u, ERR_NOSUCHNICK, "%s :No such nick/channel", echo_word(nick, nw, sizeof nw));
        } else if (!channel_membership(ch, t)) {
            send_numeric(u, ERR_USERNOTINCHANNEL, "%s %s :They aren't on that channel", t->nick, ch->name);
        } else if (t->service) {
            send_numeric(u, ERR_CHANOPRIVSNEEDED, "%s :You cannot kick a network service", ch->name);
        } else {
            send_to_channel(ch, NULL, ":%s KICK %s %s :%s", who, ch->name, t->nick, reason);
            hooks_notify(HV_HOOK_KICKED, u, t, ch, reason, NULL);
            channel_remove_member(ch, t);
        }
        if (gone(u))
            return;
    }
    channel_maybe_destroy(ch);
}
