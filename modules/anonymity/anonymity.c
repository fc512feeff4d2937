/* anonymity.c — the anonymity module: throwaway pseudonyms, no CTCP between
 * users, caller-ID by default, and a short wait before newcomers can send
 * private messages. Each behaviour can be switched off in the config.
 *
 * This file holds the module's entry points and its hooks; the settings,
 * pseudonym generator and caller-ID live in the other anon_*.c files.
 * Nothing identifying is ever logged: log lines carry UIDs at most. */
#include "anonymity.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Hook order: caller-ID last among PRIVATE_MESSAGE hooks (see below). */
#define CALLERID_PRIORITY 10000

struct anon_conf *anon_cf;
hv_module *anon_self;

/* Set between REGISTERING and REGISTERED: whose welcome notice to send, and
 * whether their own nick was refused (chosen policy). */
static char welcome_uid[16];
static bool welcome_refused;

/* ------------------------------------------------------------ pseudonyms */

/* Registration: under "assigned" everyone gets a fresh pseudonym; under
 * "chosen" only a nick matching a reserved pattern is replaced. */
static enum hv_verdict on_registering(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    welcome_uid[0] = '\0';
    bool refused = anon_cf->policy == ANON_CHOSEN && anon_nick_reserved(anon_cf, hv_user_nick(u));
    if (anon_cf->policy == ANON_CHOSEN && !refused)
        return HV_PASS;
    char nick[ANON_PSEUDONYM_MAX + 2];
    for (int tries = 0; tries < 5; tries++) {
        if (anon_pseudonym(anon_cf, nick, sizeof nick) == 0 && hv_user_set_nick(u, nick) == 0) {
            snprintf(welcome_uid, sizeof welcome_uid, "%s", hv_user_uid(u));
            welcome_refused = refused;
            return HV_PASS;
        }
    }
    /* Never let someone in under a nick they may have typed as their name. */
    hv_log(anon_self, HV_LOG_ERROR, "no pseudonym available for %s; disconnecting it", hv_user_uid(u));
    hv_user_disconnect(u, "No pseudonym is available right now; please reconnect");
    return HV_PASS;
}

/* After the welcome burst: tell the person their pseudonym and how to get
 * a new one (or why their chosen nick was replaced). */
static enum hv_verdict on_registered(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    if (!welcome_uid[0] || strcmp(welcome_uid, hv_user_uid(u)) != 0)
        return HV_PASS;
    welcome_uid[0] = '\0';
    if (welcome_refused)
        hv_send_server_notice(u, "The nickname you asked for is kept for staff and services, so you are %s here. "
                              "To choose another nickname, type /nick <name>.", hv_user_nick(u));
    else
        hv_send_server_notice(u, "You are %s here, a pseudonym just for this visit. Nobody can see your address "
                              "or your real name. For a new pseudonym, type /nick (any name: you will get a "
                              "fresh one).", hv_user_nick(u));
    return HV_PASS;
}

/* NICK from a registered user: "assigned" swaps the request for a fresh
 * pseudonym; "chosen" refuses reserved patterns. Staff choose freely. */
static enum hv_verdict on_nick_request(struct hv_event *ev, void *arg)
{
    if (hv_user_is_oper(ev->user))
        return HV_PASS;
    if (anon_cf->policy == ANON_CHOSEN) {
        if (!anon_nick_reserved(anon_cf, ev->text))
            return HV_PASS;
        snprintf(ev->reason, sizeof ev->reason, "This nickname is kept for staff and services; please choose "
                 "another");
        return HV_BLOCK;
    }
    char nick[ANON_PSEUDONYM_MAX + 2];
    if (anon_pseudonym(anon_cf, nick, sizeof nick) != 0 || strlen(nick) >= ev->text_cap) {
        snprintf(ev->reason, sizeof ev->reason, "No new pseudonym is available right now; please try again");
        return HV_BLOCK;
    }
    snprintf(ev->text, ev->text_cap, "%s", nick);
    return HV_PASS;
}

/* ------------------------------------------------------------ CTCP */

/* Does text carry a CTCP other than ACTION? Any \1 counts (old clients
 * parse CTCP embedded mid-text too), except one ACTION wrapping the text.
 * The CTCP's command word goes into `what` for the notice. */
static bool ctcp_forbidden(const char *text, char *what, size_t len)
{
    const char *p = strchr(text, '\1');
    if (!p)
        return false;
    if (p == text && strncasecmp(text + 1, "ACTION", 6) == 0 &&
        (text[7] == ' ' || text[7] == '\1' || text[7] == '\0')) {
        /* Text after the ACTION is harmless unless it opens another CTCP. */
        const char *end = strchr(text + 1, '\1');
        if (!end || !(p = strchr(end + 1, '\1')))
            return false;
    }
    size_t n = 0;
    for (const char *s = p + 1; *s && n + 1 < len && n < 16; s++) {
        char ch = *s;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
            break;
        what[n++] = (char)(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    }
    what[n] = '\0';
    return true;
}

/* Refuse a CTCP (other than ACTION) with a notice saying why. */
static enum hv_verdict check_ctcp(struct hv_event *ev, const char *target)
{
    char what[20];
    if (!anon_cf->block_ctcp || !ctcp_forbidden(ev->text, what, sizeof what))
        return HV_PASS;
    bool reply = strcmp(ev->command, "NOTICE") == 0;
    snprintf(ev->reason, sizeof ev->reason, "Your CTCP %s%s to %s was not sent: CTCP between users is off here, "
             "because it can reveal your device, time zone or address. /me actions still work.",
             what[0] ? what : "message", reply ? " reply" : "", target);
    return HV_BLOCK;
}

/* PRIVMSG/NOTICE to a channel: only the CTCP rule applies. */
static enum hv_verdict on_channel_message(struct hv_event *ev, void *arg)
{
    return check_ctcp(ev, hv_channel_name(ev->channel));
}

/* ------------------------------------------------------------ private messages */

/* Newcomers wait pm_delay seconds before messaging people privately, unless
 * the person is staff or has accepted them (e.g. messaged them first). */
static enum hv_verdict check_pm_delay(struct hv_event *ev)
{
    hv_user *from = ev->user, *to = ev->target;
    if (anon_cf->pm_delay <= 0 || hv_user_is_oper(from) || hv_user_is_oper(to) || anon_accepted(to, from))
        return HV_PASS;
    long age = (long)(time(NULL) - hv_user_signon(from));
    long left = anon_cf->pm_delay - age;
    if (left <= 0)
        return HV_PASS;
    snprintf(ev->reason, sizeof ev->reason, "You can send private messages in %ld second%s: new connections wait "
             "a little first. Channels work right away.", left, left == 1 ? "" : "s");
    return HV_BLOCK;
}

/* Services (the guide, crisis bots) are always reachable; talking to
 * yourself is no one else's business. */
static bool pm_exempt(const struct hv_event *ev)
{
    return !ev->target || hv_user_is_service(ev->target) || ev->target == ev->user;
}

/* PRIVMSG/NOTICE to a user, early: CTCP, then the newcomer delay. */
static enum hv_verdict on_private_message(struct hv_event *ev, void *arg)
{
    if (pm_exempt(ev))
        return HV_PASS;
    if (check_ctcp(ev, hv_user_nick(ev->target)) == HV_BLOCK)
        return HV_BLOCK;
    return check_pm_delay(ev);
}

/* PRIVMSG/NOTICE to a user, late: caller-ID. It runs after other modules'
 * hooks, so a message is only held once every filter has passed it. */
static enum hv_verdict on_private_message_late(struct hv_event *ev, void *arg)
{
    return pm_exempt(ev) ? HV_PASS : anon_callerid(ev);
}

/* A user is leaving: nothing of theirs is kept. */
static enum hv_verdict on_quit(struct hv_event *ev, void *arg)
{
    anon_forget(ev->user);
    return HV_PASS;
}

/* ------------------------------------------------------------ module */

/* Log the settings in force (no names, nothing identifying). */
static void log_settings(void)
{
    double space = anon_pseudonym_space(anon_cf, anon_pseudonym_maxlen());
    hv_log(anon_self, HV_LOG_INFO, "nick policy %s, %zu adjectives x %zu nouns (%.0f pseudonyms), ctcp %s, "
           "caller-id %s, pm delay %ds", anon_cf->policy == ANON_ASSIGNED ? "assigned" : "chosen",
           anon_cf->nadjectives, anon_cf->nnouns, space, anon_cf->block_ctcp ? "blocked" : "allowed",
           anon_cf->caller_id ? "on" : "off", anon_cf->pm_delay);
    if (space < 1e6)
        hv_log(anon_self, HV_LOG_WARN, "only %.0f pseudonyms are possible; longer word lists make them harder "
               "to guess and to run out of", space);
}

/* Load: read the settings, register +g, the hooks and ACCEPT. */
static int anon_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct anon_conf *c = anon_conf_load(conf, err, errlen);
    if (!c)
        return -1;
    if (hv_umode_register(self, 'g', c->caller_id) != 0) {
        snprintf(err, errlen, "user mode +g is already taken by another module");
        anon_conf_free(c);
        return -1;
    }
    anon_self = self;
    anon_cf = c;
    /* Advertise caller-ID the way ircd-hybrid and Solanum do. */
    hv_isupport_add(self, "CALLERID=g");
    hv_hook_add(self, HV_HOOK_REGISTERING, 0, on_registering, NULL);
    hv_hook_add(self, HV_HOOK_REGISTERED, 0, on_registered, NULL);
    hv_hook_add(self, HV_HOOK_NICK_REQUEST, 0, on_nick_request, NULL);
    hv_hook_add(self, HV_HOOK_CHANNEL_MESSAGE, 0, on_channel_message, NULL);
    hv_hook_add(self, HV_HOOK_PRIVATE_MESSAGE, 0, on_private_message, NULL);
    hv_hook_add(self, HV_HOOK_PRIVATE_MESSAGE, CALLERID_PRIORITY, on_private_message_late, NULL);
    hv_hook_add(self, HV_HOOK_QUIT, 0, on_quit, NULL);
    anon_accept_start(self);
    log_settings();
    return 0;
}

/* REHASH: the new settings replace the old only if all of them are valid.
 * caller_id decides a user mode default, which is fixed while loaded. */
static int anon_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct anon_conf *c = anon_conf_load(conf, err, errlen);
    if (!c)
        return -1;
    if (c->caller_id != anon_cf->caller_id) {
        const config_setting_t *s = conf ? config_setting_get_member(conf, "caller_id") : NULL;
        hv_conf_error(err, errlen, s, "anonymity.caller_id: cannot change while running; restart havend (or "
                      "REHASH once without \"anonymity\" in modules, then once with it)");
        anon_conf_free(c);
        return -1;
    }
    anon_conf_free(anon_cf);
    anon_cf = c;
    log_settings();
    return 0;
}

/* Unload: free what we hold; the server removes hooks, ACCEPT and +g. */
static void anon_shutdown(hv_module *self)
{
    anon_accept_stop();
    anon_conf_free(anon_cf);
    anon_cf = NULL;
    anon_self = NULL;
    welcome_uid[0] = '\0';
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "anonymity",
    .version = "1.0",
    .description = "Throwaway pseudonyms, no CTCP between users, caller-ID and a newcomer PM delay",
    .init = anon_init,
    .reload = anon_reload,
    .shutdown = anon_shutdown,
});
