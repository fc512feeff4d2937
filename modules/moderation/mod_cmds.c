/* mod_cmds.c — the staff commands of the moderation service: WARN, MUTE,
 * UNMUTE, KICK, BAN, UNBAN, BANS, SLOW, LOCK, UNLOCK, REMOVE and FILTER.
 *
 * Each one checks the caller's privileges first and tells anyone else,
 * plainly, that it is a staff command and how to reach staff instead.
 * Every action lands in the audit trail. Staff and services cannot be
 * acted on. Replies go to the caller as NOTICEs from the service. */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAY(...) hv_service_notice(svc, hv_user_nick(from), __VA_ARGS__)

/* May `from` use a command needing `priv`? Explains when not. */
static bool allowed(hv_service *svc, hv_user *from, unsigned priv, const char *cmd)
{
    const char *role = NULL;
    unsigned privs = mod_staff_privs(from, &role);
    if (!privs) {
        SAY("%s is a staff command. If someone is making this place feel unsafe, type /msg %s REPORT <nick> "
            "<what happened> and staff will look at it.", cmd, G.conf.service_nick);
        return false;
    }
    if (priv && !(privs & priv)) {
        const char *name = "?";
        for (unsigned i = 0; i < PRIV_COUNT; i++)
            if (priv == 1u << i)
                name = mod_priv_names[i];
        SAY("Permission denied: %s needs the \"%s\" privilege, which your role (%s) does not have.", cmd, name, role);
        return false;
    }
    return true;
}

/* Save the state after a change; if that failed, tell the staff member who
 * made it (the audit trail and the log say so too): the change is in force
 * but a restart would lose it. */
static void save_or_warn(hv_service *svc, hv_user *from)
{
    int e = mod_state_save();
    if (e)
        SAY("WARNING: this change could not be saved to the state file (%s). It is in force now but would be "
            "lost on a restart; tell the server's operator.", strerror(e));
}

/* An online person staff may act on, or NULL (explained). */
static hv_user *target(hv_service *svc, hv_user *from, const char *nick)
{
    hv_user *u = hv_user_find(nick);
    if (!u) {
        SAY("Nobody called %.32s is online.", nick);
        return NULL;
    }
    if (hv_user_is_service(u)) {
        SAY("%s is a network service.", hv_user_nick(u));
        return NULL;
    }
    if (mod_staff_privs(u, NULL)) {
        SAY("%s is staff; staff cannot act on each other through %s.", hv_user_nick(u), G.conf.service_nick);
        return NULL;
    }
    return u;
}

/* A channel by name, or NULL (explained). */
static hv_channel *channel_arg(hv_service *svc, hv_user *from, const char *name)
{
    hv_channel *ch = name[0] == '#' ? hv_channel_find(name) : NULL;
    if (!ch)
        SAY("There is no channel called %.50s.", name);
    return ch;
}

/* ------------------------------------------------------------ WARN, KICK */

/* WARN <nick> <text>: a private notice from the moderators. */
static void cmd_warn(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_WARN, "WARN"))
        return;
    hv_user *u = target(svc, from, argv[1]);
    if (!u)
        return;
    char text[400], who[96];
    mod_join_args(argc, argv, 2, text, sizeof text);
    hv_service_notice(svc, hv_user_nick(u), "A message from the moderators: %s", text);
    SAY("Warned %s.", hv_user_nick(u));
    mod_audit("%s warned %s: %s", mod_actor(from, who, sizeof who), hv_user_nick(u), text);
}

/* KICK <#chan> <nick> [reason]: out of a channel, by the service. */
static void cmd_kick(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_KICK, "KICK"))
        return;
    hv_channel *ch = channel_arg(svc, from, argv[1]);
    hv_user *u = ch ? target(svc, from, argv[2]) : NULL;
    if (!u)
        return;
    if (!hv_channel_has_member(ch, u)) {
        SAY("%s is not in %s.", hv_user_nick(u), hv_channel_name(ch));
        return;
    }
    char reason[300], who[96], nick[MOD_NICK_MAX + 1];
    mod_join_args(argc, argv, 3, reason, sizeof reason);
    snprintf(nick, sizeof nick, "%s", hv_user_nick(u));
    hv_channel_kick(ch, u, svc, *reason ? reason : "Removed by the moderators");
    SAY("Kicked %s from %s.", nick, hv_channel_name(ch));
    mod_audit("%s kicked %s from %s%s%s", mod_actor(from, who, sizeof who), nick, hv_channel_name(ch),
              *reason ? ": " : "", reason);
}

/* ------------------------------------------------------------ MUTE, UNMUTE */

/* MUTE <nick> [duration] [reason]: network-wide quiet (also for someone who
 * just left: it waits for their next connection). */
static void cmd_mute(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_MUTE, "MUTE"))
        return;
    long secs = argc > 2 ? mod_parse_dur(argv[2], false) : -1;
    char reason[300], who[96], until[64], dur[32];
    mod_join_args(argc, argv, secs > 0 ? 3 : 2, reason, sizeof reason);
    if (secs <= 0)
        secs = G.conf.mute_default;
    mod_actor(from, who, sizeof who);
    hv_user *u = hv_user_find(argv[1]);
    const struct departed *d = u ? NULL : mod_departed_find(argv[1]);
    if (d) {
        /* They left: the mute waits for their next connection. */
        struct mute *m = mod_mute_add(d->token, d->uid, d->nick, secs, reason, hv_user_account(from));
        SAY("%s has left; they will be muted if they come back before %s.", d->nick,
            mod_fmt_time(m->until, until, sizeof until));
        mod_audit("%s muted %s (not online) for %s: %s", who, d->nick, mod_fmt_dur(secs, dur, sizeof dur), m->reason);
        return;
    }
    if (!(u = target(svc, from, argv[1])))
        return;
    struct mute *m = mod_mute_user(u, secs, reason, hv_user_account(from), who);
    SAY("Muted %s until %s.", hv_user_nick(u), mod_fmt_time(m->until, until, sizeof until));
}

/* UNMUTE <nick>: lift a mute early. */
static void cmd_unmute(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_MUTE, "UNMUTE"))
        return;
    hv_user *u = hv_user_find(argv[1]);
    /* Online: the mute that covers them (it may be their earlier
     * connection's); else a mute set on that nick. */
    const struct mute *cover = u && !hv_user_is_service(u) ? mod_mute_of(u, mod_person(u)) : NULL;
    char want[MOD_NICK_MAX + 1], have[MOD_NICK_MAX + 1], who[96];
    hv_casefold(want, argv[1], sizeof want);
    for (size_t i = 0; i < G.nmutes; i++) {
        struct mute *m = &G.mutes[i];
        hv_casefold(have, m->nick, sizeof have);
        if (m != cover && strcmp(want, have) != 0)
            continue;
        char nick[MOD_NICK_MAX + 1];
        snprintf(nick, sizeof nick, "%s", u ? hv_user_nick(u) : m->nick);
        mod_mute_del(i);
        if (u)
            hv_service_notice(svc, hv_user_nick(u), "The moderators have lifted your mute; you can talk again.");
        SAY("Unmuted %s.", nick);
        mod_audit("%s unmuted %s", mod_actor(from, who, sizeof who), nick);
        return;
    }
    SAY("%.32s is not muted.", argv[1]);
}

/* ------------------------------------------------------------ BAN, UNBAN, BANS */

/* BAN <nick|token> <duration> <reason>: a network ban by ban token, applied
 * at once and on every reconnection; saved to the state file. */
static void cmd_ban(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_BAN, "BAN"))
        return;
    char token[MOD_TOKEN_MAX + 1] = "", nick[MOD_NICK_MAX + 1] = "";
    hv_user *u = hv_user_find(argv[1]);
    const struct departed *d = u ? NULL : mod_departed_find(argv[1]);
    if (u) {
        if (!target(svc, from, argv[1]))
            return;
        snprintf(token, sizeof token, "%s", hv_user_ban_token(u));
        snprintf(nick, sizeof nick, "%s", hv_user_nick(u));
    } else if (d) {
        snprintf(token, sizeof token, "%s", d->token);
        snprintf(nick, sizeof nick, "%s", d->nick);
    } else if (mod_is_token(argv[1])) {
        snprintf(token, sizeof token, "%s", argv[1]);
    } else {
        SAY("Nobody called %.32s is online or left recently (you can also ban a token from BANS).", argv[1]);
        return;
    }
    long secs = mod_parse_dur(argv[2], true);
    if (secs < 0) {
        SAY("\"%.20s\" is not a duration: use e.g. 30m, 12h, 7d, 1h30m, or perm.", argv[2]);
        return;
    }
    char reason[MOD_REASON_MAX + 1], who[96], until[64];
    mod_join_args(argc, argv, 3, reason, sizeof reason);
    struct ban *old = mod_ban_find_token(token);
    unsigned replaced = old ? old->id : 0;
    if (old)
        *old = G.bans[--G.nbans];
    struct ban *v = realloc(G.bans, (G.nbans + 1) * sizeof *v);
    if (!v)
        abort();
    G.bans = v;
    struct ban *b = &G.bans[G.nbans++];
    memset(b, 0, sizeof *b);
    b->id = ++G.next_ban;
    snprintf(b->token, sizeof b->token, "%s", token);
    snprintf(b->nick, sizeof b->nick, "%s", nick);
    b->set_at = time(NULL);
    b->expires = secs ? b->set_at + secs : 0;
    snprintf(b->reason, sizeof b->reason, "%s", reason);
    snprintf(b->setter, sizeof b->setter, "%s", hv_user_account(from));
    int closed = mod_ban_enforce(b);
    mod_fmt_time(b->expires, until, sizeof until);
    SAY("Ban #%u on %s until %s%s; %d connection%s closed.", b->id, *nick ? nick : token, until,
        replaced ? " (replaces an earlier ban)" : "", closed, closed == 1 ? "" : "s");
    mod_audit("%s banned %s (ban #%u) until %s: %s%s", mod_actor(from, who, sizeof who),
              *nick ? nick : "a ban token", b->id, until, reason,
              closed > 1 ? " (several connections shared the address)" : "");
    save_or_warn(svc, from);
}

/* UNBAN <number|nick|token>: lift a ban (and save). */
static void cmd_unban(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_BAN, "UNBAN"))
        return;
    const char *w = argv[1][0] == '#' ? argv[1] + 1 : argv[1];
    char *end;
    unsigned long id = strtoul(w, &end, 10);
    bool by_id = *w && !*end;
    char want[MOD_NICK_MAX + 1], have[MOD_NICK_MAX + 1], who[96];
    hv_casefold(want, argv[1], sizeof want);
    for (size_t i = 0; i < G.nbans; i++) {
        struct ban *b = &G.bans[i];
        hv_casefold(have, b->nick, sizeof have);
        if (!(by_id && b->id == id) && strcmp(b->token, argv[1]) != 0 && !(*b->nick && strcmp(want, have) == 0))
            continue;
        unsigned bid = b->id;
        char nick[MOD_NICK_MAX + 1];
        snprintf(nick, sizeof nick, "%s", *b->nick ? b->nick : "a ban token");
        G.bans[i] = G.bans[--G.nbans];
        SAY("Removed ban #%u (%s).", bid, nick);
        mod_audit("%s removed ban #%u (%s)", mod_actor(from, who, sizeof who), bid, nick);
        save_or_warn(svc, from);
        return;
    }
    SAY("No ban matches \"%.32s\" (give its number from BANS, the nick, or the token).", argv[1]);
}

/* BANS: every ban in force, with its token (ban privilege only). */
static void cmd_bans(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_BAN, "BANS"))
        return;
    if (!G.nbans) {
        SAY("No bans are in force.");
        return;
    }
    SAY("%zu ban%s in force:", G.nbans, G.nbans == 1 ? "" : "s");
    for (size_t i = 0; i < G.nbans; i++) {
        const struct ban *b = &G.bans[i];
        char until[64];
        SAY("  #%u %s - until %s - %s (by %s, token %s)", b->id, *b->nick ? b->nick : "(by token)",
            mod_fmt_time(b->expires, until, sizeof until), b->reason, b->setter, b->token);
    }
}

/* ------------------------------------------------------------ SLOW, LOCK, UNLOCK */

/* SLOW <#chan> <seconds|off>: one message per person per N seconds. */
static void cmd_slow(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_SLOW, "SLOW"))
        return;
    hv_channel *ch = channel_arg(svc, from, argv[1]);
    if (!ch)
        return;
    char *end = argv[2];
    long n = !strcasecmp(argv[2], "off") ? 0 : strtol(argv[2], &end, 10);
    if (strcasecmp(argv[2], "off") != 0 && (*end || n < 0 || n > 3600)) {
        SAY("Give the seconds between messages, 1 to 3600, or 0 / off to end slow mode.");
        return;
    }
    struct room *r = mod_room(ch);
    r->slow = (int)n;
    char who[96];
    if (n) {
        hv_service_notice(svc, hv_channel_name(ch), "This room is in slow mode for now: one message every %ld "
                          "seconds per person. Thank you for your patience.", n);
        SAY("%s is in slow mode: one message every %ld seconds.", hv_channel_name(ch), n);
        mod_audit("%s put %s in slow mode (%ld seconds)", mod_actor(from, who, sizeof who), hv_channel_name(ch), n);
    } else {
        hv_service_notice(svc, hv_channel_name(ch), "Slow mode is over; thank you for your patience.");
        SAY("Slow mode is off in %s.", hv_channel_name(ch));
        mod_audit("%s ended slow mode in %s", mod_actor(from, who, sizeof who), hv_channel_name(ch));
    }
}

/* LOCK / UNLOCK <#chan> [reason]: +m / -m; staff present get +v so they can
 * still talk (ops already can). */
static void lock(hv_service *svc, hv_user *from, int argc, char **argv, bool on)
{
    if (!allowed(svc, from, PRIV_LOCK, on ? "LOCK" : "UNLOCK"))
        return;
    hv_channel *ch = channel_arg(svc, from, argv[1]);
    if (!ch)
        return;
    struct room *r = mod_room(ch);
    r->locked = on;
    hv_channel_set_mode(ch, on ? "+m" : "-m", NULL);
    for (size_t i = 0; on && i < hv_channel_member_count(ch); i++) {
        hv_user *m = hv_channel_member_at(ch, i);
        if (!hv_user_is_service(m) && mod_staff_privs(m, NULL) && !hv_channel_is_op(ch, m))
            hv_channel_set_mode(ch, "+v", hv_user_nick(m));
    }
    char reason[300], who[96];
    mod_join_args(argc, argv, 2, reason, sizeof reason);
    if (on)
        hv_service_notice(svc, hv_channel_name(ch), "The moderators have paused this room for a moment: only "
                          "staff and voiced people can talk.%s%s", *reason ? " " : "", reason);
    else
        hv_service_notice(svc, hv_channel_name(ch), "This room is open again. Thank you for your patience.");
    SAY("%s %s.", hv_channel_name(ch), on ? "is locked (+m)" : "is unlocked");
    mod_audit("%s %s %s%s%s", mod_actor(from, who, sizeof who), on ? "locked" : "unlocked", hv_channel_name(ch),
              *reason ? ": " : "", reason);
}

/* LOCK <#chan> [reason]. */
static void cmd_lock(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    lock(svc, from, argc, argv, true);
}

/* UNLOCK <#chan>. */
static void cmd_unlock(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    lock(svc, from, argc, argv, false);
}

/* ------------------------------------------------------------ REMOVE */

/* REMOVE <#chan> <nick> [count]: redact someone's latest remembered
 * messages there, for clients that support it (draft/message-redaction). */
static void cmd_remove(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!allowed(svc, from, PRIV_REDACT, "REMOVE"))
        return;
    hv_channel *ch = channel_arg(svc, from, argv[1]);
    if (!ch)
        return;
    long want = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    if (want < 1 || want > MOD_HISTORY_MAX)
        want = 1;
    hv_user *u = hv_user_find(argv[2]);
    char fold[MOD_NICK_MAX + 1], have[MOD_NICK_MAX + 1], nick[MOD_NICK_MAX + 1] = "";
    hv_casefold(fold, argv[2], sizeof fold);
    struct room *r = mod_room_find(ch);
    long done = 0;
    for (unsigned i = 0; r && r->hist && i < r->hist_count && done < want; i++) {
        struct said *s = &r->hist[(r->hist_next + MOD_HISTORY_MAX - 1 - i) % MOD_HISTORY_MAX];
        hv_casefold(have, s->nick, sizeof have);
        if (!s->msgid[0] || !((u && strcmp(s->uid, hv_user_uid(u)) == 0) || strcmp(fold, have) == 0))
            continue;
        hv_send_redact(hv_service_user(svc), hv_channel_name(ch), s->msgid);
        snprintf(nick, sizeof nick, "%s", s->nick);
        s->msgid[0] = '\0';
        done++;
    }
    if (!done) {
        SAY("No recent messages from %.32s in %s are remembered (only the last %d seconds are).", argv[2],
            hv_channel_name(ch), G.conf.report_history);
        return;
    }
    char who[96];
    SAY("Removed %ld message%s by %s in %s (for clients that support message removal).", done,
        done == 1 ? "" : "s", nick, hv_channel_name(ch));
    mod_audit("%s removed %ld message%s by %s in %s", mod_actor(from, who, sizeof who), done, done == 1 ? "" : "s",
              nick, hv_channel_name(ch));
}

/* ------------------------------------------------------------ FILTER */

/* FILTER ADD <block|flag> [#chan,#chan] <phrase> */
static void filter_add(hv_service *svc, hv_user *from, int argc, char **argv)
{
    bool block = argc > 2 && !strcasecmp(argv[2], "block");
    if (argc < 4 || (!block && strcasecmp(argv[2], "flag") != 0)) {
        SAY("Syntax: FILTER ADD <block|flag> [#channel,#channel] <phrase>");
        return;
    }
    int first = argv[3][0] == '#' ? 4 : 3;
    char phrase[MOD_PHRASE_MAX + 1];
    mod_join_args(argc, argv, first, phrase, sizeof phrase);
    const char *why = mod_phrase_problem(phrase);
    if (why || G.nall >= MOD_FILTERS_MAX) {
        SAY("Cannot add that filter: %s.", why ? why : "there are too many filters");
        return;
    }
    struct mod_filter f = { .id = G.next_filter + 1, .block = block };
    if (!(f.phrase = strdup(phrase)))
        abort();
    snprintf(f.setter, sizeof f.setter, "%s", hv_user_account(from));
    if (first == 4) {
        char list[400], *save = NULL;
        snprintf(list, sizeof list, "%s", argv[3]);
        f.channels.v = calloc(strlen(list) / 2 + 2, sizeof *f.channels.v);
        if (!f.channels.v)
            abort();
        for (char *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
            char fold[MOD_CHAN_MAX + 1];
            if (!hv_valid_channel(c)) {
                SAY("\"%.50s\" is not a channel name.", c);
                mod_filter_free(&f);
                return;
            }
            hv_casefold(fold, c, sizeof fold);
            if (!(f.channels.v[f.channels.n++] = strdup(fold)))
                abort();
        }
    }
    struct mod_filter *v = realloc(G.rfilters, (G.nrfilters + 1) * sizeof *v);
    if (!v)
        abort();
    G.rfilters = v;
    G.rfilters[G.nrfilters++] = f;
    char err[200];
    if (mod_filters_rebuild(err, sizeof err) != 0) {
        mod_filter_free(&G.rfilters[--G.nrfilters]);
        mod_filters_rebuild(err, sizeof err);
        SAY("Cannot add that filter: %s.", err);
        return;
    }
    G.next_filter = f.id;
    char who[96];
    SAY("Added filter %u: %s \"%s\"%s%s.", f.id, block ? "block" : "flag", phrase, first == 4 ? " in " : "",
        first == 4 ? argv[3] : "");
    mod_audit("%s added filter %u: %s \"%s\"%s%s", mod_actor(from, who, sizeof who), f.id, block ? "block" : "flag",
              phrase, first == 4 ? " in " : "", first == 4 ? argv[3] : "");
    save_or_warn(svc, from);
}

/* FILTER DEL <id> */
static void filter_del(hv_service *svc, hv_user *from, int argc, char **argv)
{
    unsigned long id = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    for (size_t i = 0; id && i < G.nrfilters; i++) {
        if (G.rfilters[i].id != id)
            continue;
        char phrase[MOD_PHRASE_MAX + 1], err[200], who[96];
        snprintf(phrase, sizeof phrase, "%s", G.rfilters[i].phrase);
        mod_filter_free(&G.rfilters[i]);
        memmove(&G.rfilters[i], &G.rfilters[i + 1], (G.nrfilters - i - 1) * sizeof *G.rfilters);
        G.nrfilters--;
        mod_filters_rebuild(err, sizeof err);
        SAY("Removed filter %lu (\"%s\").", id, phrase);
        mod_audit("%s removed filter %lu (\"%s\")", mod_actor(from, who, sizeof who), id, phrase);
        save_or_warn(svc, from);
        return;
    }
    SAY("No filter %.20s was added with FILTER ADD (filters from the config file, c1, c2..., change only there).",
        argc > 2 ? argv[2] : "");
}

/* FILTER LIST: every filter, config ones first. */
static void filter_list(hv_service *svc, hv_user *from)
{
    if (!G.nall) {
        SAY("There are no filters.");
        return;
    }
    for (size_t i = 0; i < G.nall; i++) {
        const struct mod_filter *f = G.all[i];
        char id[24], chans[300] = "";
        size_t n = 0;
        for (size_t k = 0; k < f->channels.n && n + 1 < sizeof chans; k++)
            n += (size_t)snprintf(chans + n, sizeof chans - n, "%s%s", k ? "," : " in ", f->channels.v[k]);
        if (f->id)
            snprintf(id, sizeof id, "%u", f->id);
        else
            snprintf(id, sizeof id, "c%zu", i + 1);
        SAY("  %s %s \"%s\"%s%s%s%s", id, f->block ? "block" : "flag", f->phrase, n ? chans : " everywhere",
            f->private_too ? " and private messages" : "", f->id ? ", added by " : " (config file)",
            f->id ? f->setter : "");
    }
}

/* FILTER LIST (any staff) | ADD | DEL (filter privilege). */
static void cmd_filter(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    bool list = !strcasecmp(argv[1], "LIST");
    if (!allowed(svc, from, list ? 0 : PRIV_FILTER, "FILTER"))
        return;
    if (list)
        filter_list(svc, from);
    else if (!strcasecmp(argv[1], "ADD"))
        filter_add(svc, from, argc, argv);
    else if (!strcasecmp(argv[1], "DEL"))
        filter_del(svc, from, argc, argv);
    else
        SAY("Syntax: FILTER ADD <block|flag> [#channels] <phrase> | FILTER DEL <number> | FILTER LIST");
}

/* ------------------------------------------------------------ registration */

/* Register the staff commands and their HELP texts with the service. */
void mod_cmds_register(hv_service *svc)
{
    hv_service_command(svc, "WARN", 2, cmd_warn, NULL,
                       "WARN <nick> <text>  (staff)\n"
                       "Sends <nick> a private notice from the moderators with your text.");
    hv_service_command(svc, "MUTE", 1, cmd_mute, NULL,
                       "MUTE <nick> [duration] [reason]  (staff)\n"
                       "Quiets <nick> everywhere: their channel and private messages are not sent (they are\n"
                       "told they are muted and until when; they can still message staff and services).\n"
                       "Reconnecting does not escape it. Duration like 30s, 10m, 2h, 1d (a bare number is\n"
                       "minutes); without one, the configured default.");
    hv_service_command(svc, "UNMUTE", 1, cmd_unmute, NULL, "UNMUTE <nick>  (staff)\nLifts a mute early.");
    hv_service_command(svc, "KICK", 2, cmd_kick, NULL,
                       "KICK <#channel> <nick> [reason]  (staff)\nRemoves <nick> from a channel (they may join again).");
    hv_service_command(svc, "BAN", 3, cmd_ban, NULL,
                       "BAN <nick|token> <duration> <reason>  (staff)\n"
                       "Bans a person's ban token from the network: they are disconnected now and on every\n"
                       "reconnection until it expires (everyone on the same address is affected; staff are\n"
                       "not). Duration like 30m, 12h, 7d, or perm. Works for someone who left recently too.");
    hv_service_command(svc, "UNBAN", 1, cmd_unban, NULL, "UNBAN <number|nick|token>  (staff)\nLifts a ban.");
    hv_service_command(svc, "BANS", 0, cmd_bans, NULL,
                       "BANS  (staff)\nLists the bans in force: number, nick, expiry, reason, who set it, token.");
    hv_service_command(svc, "SLOW", 2, cmd_slow, NULL,
                       "SLOW <#channel> <seconds|off>  (staff)\n"
                       "Slow mode: each person may send one message every <seconds> there (staff and channel\n"
                       "operators are not limited). 0 or off ends it.");
    hv_service_command(svc, "LOCK", 1, cmd_lock, NULL,
                       "LOCK <#channel> [reason]  (staff)\n"
                       "Pauses a heated room (+m): only staff, operators and voiced people can talk.");
    hv_service_command(svc, "UNLOCK", 1, cmd_unlock, NULL, "UNLOCK <#channel>  (staff)\nOpens a locked room again.");
    hv_service_command(svc, "REMOVE", 2, cmd_remove, NULL,
                       "REMOVE <#channel> <nick> [count]  (staff)\n"
                       "Removes <nick>'s latest message (or <count> messages) in a channel, for clients that\n"
                       "support message removal (IRCv3 draft/message-redaction). Clients that do can also\n"
                       "use REDACT <#channel> <msgid> directly.");
    hv_service_command(svc, "FILTER", 1, cmd_filter, NULL,
                       "FILTER LIST | FILTER ADD <block|flag> [#channel,...] <phrase> | FILTER DEL <number>  (staff)\n"
                       "Phrase filters, matched as whole words regardless of case (end a phrase with * to\n"
                       "match word beginnings). block: the message is not sent and the sender is gently\n"
                       "told; flag: it is sent and staff are alerted. Added filters survive restarts.");
}
