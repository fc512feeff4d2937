/* moderation.c — the moderation module: a service bot (ModServ) through
 * which a small team of volunteer staff handle reports, mutes, bans, slow
 * mode, room locks and message removal from any standard client, plus
 * automatic moderation (phrase filters, links from new connections,
 * repeat / flood / mass-mention detection, join-flood protection) and an
 * audit trail of everything done.
 *
 * Staff are the accounts listed in `moderation.staff` (an oper block's
 * name, logged in with SASL PLAIN/EXTERNAL or OPER), each with a role, a
 * set of privileges. They meet in the staff channel, where the service
 * posts reports, alerts and the audit trail.
 *
 * Nobody's address is ever seen: mutes and bans follow the ban token (a
 * keyed hash of the address); tokens are shown only to staff with the ban
 * privilege. Bans and runtime filters survive restarts in the state file
 * (mod_state.c). This file: staff, the audit trail, the staff channel,
 * the hooks that are not about messages, the sweep timer, and the module's
 * entry points. */
#include "moderation.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mod_globals G;
static int audit_fd = -1;
static char *audit_path;            /* the file audit_fd is open on */
static bool audit_failing;          /* the last write to it failed (reported once) */
static unsigned sweep_ticks;

/* ------------------------------------------------------------ staff */

/* Staff are the accounts listed in moderation.staff; see moderation.h. */
unsigned mod_staff_privs(const hv_user *u, const char **role)
{
    const char *acct = hv_user_account(u);
    if (!acct)
        return 0;
    for (size_t i = 0; i < G.conf.nstaff; i++) {
        if (strcmp(G.conf.staff[i].account, acct) == 0) {
            const struct mod_role *r = &G.conf.roles[G.conf.staff[i].role];
            if (role)
                *role = r->name;
            return PRIV_STAFF | r->privs;
        }
    }
    return 0;
}

/* How staff are named in the audit trail: nick, and account if different. */
const char *mod_actor(const hv_user *u, char *buf, size_t len)
{
    const char *acct = hv_user_account(u), *nick = hv_user_nick(u);
    if (acct && strcmp(acct, nick) != 0)
        snprintf(buf, len, "%s (%s)", nick, acct);
    else
        snprintf(buf, len, "%s", nick);
    return buf;
}

/* ------------------------------------------------------------ the audit trail */

/* Open (or reopen) the audit log file named by the config, 0600, append. */
static void audit_open(void)
{
    const char *want = G.conf.audit_log;
    if (audit_path && want && strcmp(audit_path, want) == 0 && audit_fd >= 0)
        return;
    if (audit_fd >= 0)
        close(audit_fd);
    audit_fd = -1;
    audit_failing = false;
    free(audit_path);
    audit_path = want ? strdup(want) : NULL;
    if (!want)
        return;
    audit_fd = open(want, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (audit_fd < 0)
        hv_log(G.self, HV_LOG_ERROR, "cannot open the audit log %s (moderation.audit_log): %s; audit lines go to "
               "the staff channel only", want, strerror(errno));
}

/* Append one line to the audit log. A failure (disk full...) is logged
 * once, with the file and the reason, until a write succeeds again; a line
 * only partly written (the disk filled up in the middle of it) is cut off
 * again, so the log never holds half a line with the next one glued on. */
static void audit_write(const char *text)
{
    size_t len = strlen(text), done = 0;
    int e = 0;
    while (done < len) {
        ssize_t n = write(audit_fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? errno : EIO;
            break;
        }
        done += (size_t)n;
    }
    if (!e) {
        if (audit_failing)
            hv_log(G.self, HV_LOG_INFO, "the audit log %s is written again", audit_path);
        audit_failing = false;
        return;
    }
    off_t end = done ? lseek(audit_fd, 0, SEEK_END) : -1;
    if (end >= (off_t)done && ftruncate(audit_fd, end - (off_t)done) != 0)
        hv_log(G.self, HV_LOG_ERROR, "cannot cut a partly written line off the audit log %s: %s", audit_path,
               strerror(errno));
    if (!audit_failing)
        hv_log(G.self, HV_LOG_ERROR, "cannot write the audit log %s: %s; audit lines are lost until it can be "
               "written again", audit_path, strerror(e));
    audit_failing = true;
}

/* One audit line: to the staff channel (when chan) and the audit log. */
__attribute__((format(printf, 2, 0)))
static void audit_v(bool chan, const char *fmt, va_list ap)
{
    char raw[400], line[400];
    vsnprintf(raw, sizeof raw, fmt, ap);
    mod_clean(raw, line, sizeof line);
    if (chan && G.svc)
        hv_service_privmsg(G.svc, G.conf.staff_channel, "[audit] %s", line);
    if (audit_fd >= 0) {
        char when[64], text[480];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        snprintf(text, sizeof text, "%s %s\n", when, line);
        audit_write(text);
    }
}

/* An audit line to the staff channel and the log file. */
void mod_audit(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    audit_v(true, fmt, ap);
    va_end(ap);
}

/* An audit line for the log file only. */
void mod_audit_file(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    audit_v(false, fmt, ap);
    va_end(ap);
}

/* A line to the staff channel (not the log file). */
void mod_staff_say(const char *fmt, ...)
{
    char raw[420], line[420];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (G.svc)
        hv_service_privmsg(G.svc, G.conf.staff_channel, "%s", mod_clean(raw, line, sizeof line));
}

/* ------------------------------------------------------------ filters */

/* The filters of conf plus the runtime ones, and their automaton. */
static struct mod_matcher *build_filters(const struct mod_conf *c, struct mod_filter ***all, size_t *nall,
                                         char *err, size_t errlen)
{
    size_t n = c->nfilters + G.nrfilters;
    struct mod_filter **v = calloc(n + 1, sizeof *v);
    if (!v)
        abort();
    for (size_t i = 0; i < c->nfilters; i++)
        v[i] = &c->filters[i];
    for (size_t i = 0; i < G.nrfilters; i++)
        v[c->nfilters + i] = &G.rfilters[i];
    struct mod_matcher *m = mod_matcher_build(v, n, err, errlen);
    if (!m) {
        free(v);
        return NULL;
    }
    *all = v;
    *nall = n;
    return m;
}

/* Rebuild the filter list and automaton after FILTER ADD/DEL. */
int mod_filters_rebuild(char *err, size_t errlen)
{
    struct mod_filter **all;
    size_t nall;
    struct mod_matcher *m = build_filters(&G.conf, &all, &nall, err, errlen);
    if (!m)
        return -1;
    mod_matcher_free(G.matcher);
    free(G.all);
    G.matcher = m;
    G.all = all;
    G.nall = nall;
    return 0;
}

/* ------------------------------------------------------------ the staff channel */

/* Make the staff channel exist, permanent and +snt, with the service in it.
 * The crisis module may have made it +O (operators only): staff who log in
 * with SASL are not operators and the core refuses +O before any module is
 * asked, so +O is taken off and our JOIN_CHECK hook keeps the door (staff
 * and operators only). NULL if the server refuses the name. */
static hv_channel *staff_channel_setup(const char *name)
{
    hv_channel *ch = hv_channel_create(name, true);
    if (!ch)
        return NULL;
    hv_channel_set_mode(ch, "-O", NULL);
    hv_channel_set_mode(ch, "+snt", NULL);
    hv_user *su = G.svc ? hv_service_user(G.svc) : NULL;
    if (su && !hv_channel_has_member(ch, su))
        hv_force_join(su, ch);
    return ch;
}

/* Deferred from the MODE hook: take +O off the staff channel again. */
static void deop_staff_channel(void *arg)
{
    G.deop_timer = -1;
    hv_channel *ch = hv_channel_find(G.conf.staff_channel);
    if (ch)
        hv_channel_set_mode(ch, "-O", NULL);
}

/* Someone (another module, an operator) set +O on the staff channel: it
 * would lock out staff who are not operators, so it is removed once this
 * mode change is finished. */
static enum hv_verdict on_mode_changed(struct hv_event *ev, void *arg)
{
    if (!G.svc || !ev->channel || !ev->text || G.deop_timer >= 0)
        return HV_PASS;
    char a[MOD_CHAN_MAX + 1], b[MOD_CHAN_MAX + 1];
    hv_casefold(a, hv_channel_name(ev->channel), sizeof a);
    hv_casefold(b, G.conf.staff_channel, sizeof b);
    if (strcmp(a, b) != 0)
        return HV_PASS;
    bool add = true;
    for (const char *p = ev->text; *p && *p != ' '; p++) {
        if (*p == '+' || *p == '-')
            add = *p == '+';
        else if (*p == 'O' && add)
            G.deop_timer = hv_timer_add(G.self, 0, false, deop_staff_channel, NULL);
    }
    return HV_PASS;
}

/* ------------------------------------------------------------ other hooks */

/* Bans apply on every connection: a banned token is turned away before
 * it is welcomed (staff logged in with SASL are let through). */
static enum hv_verdict on_registering(struct hv_event *ev, void *arg)
{
    hv_user *u = ev->user;
    const char *token = hv_user_ban_token(u);
    if (!G.svc || !token || !*token || !G.nbans)
        return HV_PASS;
    const struct ban *b = mod_ban_find_token(token);
    if (!b || mod_staff_privs(u, NULL))
        return HV_PASS;
    char until[64], reason[400];
    snprintf(reason, sizeof reason, "Banned: %s (until %s)", b->reason, mod_fmt_time(b->expires, until, sizeof until));
    hv_user_disconnect(u, reason);
    mod_audit("Turned away a connection under ban #%u (%s)", b->id, *b->nick ? b->nick : "by token");
    return HV_PASS;
}

/* Remember who left (MUTE/BAN/REPORT by nick still work for a while) and
 * forget their record. */
static enum hv_verdict on_quit(struct hv_event *ev, void *arg)
{
    if (hv_user_is_service(ev->user))
        return HV_PASS;
    mod_departed_add(ev->user);
    mod_person_drop(hv_user_uid(ev->user));
    return HV_PASS;
}

/* REDACT by staff with the redact privilege: approved for channel
 * messages, and audited with the author when the message is remembered. */
static enum hv_verdict on_redact_request(struct hv_event *ev, void *arg)
{
    if (!G.svc || !ev->channel || !(mod_staff_privs(ev->user, NULL) & PRIV_REDACT))
        return HV_PASS;
    ev->approve = true;
    const struct room *r = mod_room_find(ev->channel);
    const char *author = NULL;
    for (unsigned i = 0; r && r->hist && i < r->hist_count && !author; i++) {
        const struct said *s = &r->hist[(r->hist_next + MOD_HISTORY_MAX - 1 - i) % MOD_HISTORY_MAX];
        if (strcmp(s->msgid, ev->text) == 0)
            author = s->nick;
    }
    char who[96];
    mod_audit("%s removed a message%s%s in %s (REDACT)", mod_actor(ev->user, who, sizeof who),
              author ? " by " : "", author ? author : "", hv_channel_name(ev->channel));
    return HV_PASS;
}

/* ------------------------------------------------------------ the sweep */

/* Every second: end mutes, bans and join-flood closures that ran out;
 * every 30 s, expire remembered messages and idle rooms. */
static void sweep(void *arg)
{
    time_t now = time(NULL);
    for (size_t i = 0; i < G.nmutes;) {
        struct mute *m = &G.mutes[i];
        if (m->until > now) {
            i++;
            continue;
        }
        hv_user *u = hv_user_find_uid(m->uid);
        if (u)
            hv_service_notice(G.svc, hv_user_nick(u), "Your mute has ended, and you can talk again. Welcome back.");
        mod_audit("The mute on %s has ended", m->nick);
        mod_mute_del(i);
    }
    bool changed = false;
    for (size_t i = 0; i < G.nbans;) {
        struct ban *b = &G.bans[i];
        if (!b->expires || b->expires > now) {
            i++;
            continue;
        }
        mod_audit("Ban #%u (%s) has expired", b->id, *b->nick ? b->nick : "by token");
        G.bans[i] = G.bans[--G.nbans];
        changed = true;
    }
    if (changed)
        mod_state_save();
    for (size_t b = 0; b < G.nroom_buckets; b++) {
        for (struct room *r = G.rooms[b]; r; r = r->next) {
            if (r->jf_until && r->jf_until <= now) {
                r->jf_until = 0;
                mod_audit("%s is open to new arrivals again", r->name);
            }
        }
    }
    if (++sweep_ticks % 30 == 0)
        mod_records_sweep(now);
}

/* ------------------------------------------------------------ entry points */

/* Free everything the module holds. */
static void release_all(void)
{
    mod_reports_free();
    mod_records_free();
    for (size_t i = 0; i < G.nrfilters; i++)
        mod_filter_free(&G.rfilters[i]);
    free(G.rfilters);
    mod_matcher_free(G.matcher);
    free(G.all);
    mod_conf_free(&G.conf);
    if (audit_fd >= 0)
        close(audit_fd);
    audit_fd = -1;
    audit_failing = false;
    free(audit_path);
    audit_path = NULL;
    memset(&G, 0, sizeof G);
}

/* Start: config, state file, service, staff channel, commands, hooks, timer. */
static int moderation_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    memset(&G, 0, sizeof G);
    G.self = self;
    G.sweep_timer = G.deop_timer = -1;
    if (mod_conf_parse(conf, &G.conf, err, errlen) != 0)
        return -1;
    if (mod_state_load(G.conf.state_file, err, errlen) != 0 || mod_filters_rebuild(err, errlen) != 0) {
        release_all();
        return -1;
    }
    G.svc = hv_service_new(self, G.conf.service_nick, "Moderation: /msg me REPORT <nick> <what happened>");
    if (!G.svc) {
        snprintf(err, errlen, "moderation.service_nick: the nick \"%s\" is already in use", G.conf.service_nick);
        release_all();
        return -1;
    }
    if (!staff_channel_setup(G.conf.staff_channel)) {
        snprintf(err, errlen, "moderation.staff_channel: the server does not accept \"%s\" as a channel name "
                 "(longer than limits.channellen?)", G.conf.staff_channel);
        release_all();
        return -1;
    }
    audit_open();
    mod_cmds_register(G.svc);
    mod_report_register(G.svc);
    hv_hook_add(self, HV_HOOK_REGISTERING, -100, on_registering, NULL);
    hv_hook_add(self, HV_HOOK_QUIT, 300, on_quit, NULL);
    hv_hook_add(self, HV_HOOK_JOIN_CHECK, 10, mod_on_join_check, NULL);
    hv_hook_add(self, HV_HOOK_JOINED, 300, mod_on_joined, NULL);
    hv_hook_add(self, HV_HOOK_MODE_CHANGED, 300, on_mode_changed, NULL);
    hv_hook_add(self, HV_HOOK_CHANNEL_MESSAGE, 300, mod_on_channel_message, NULL);
    hv_hook_add(self, HV_HOOK_PRIVATE_MESSAGE, 300, mod_on_private_message, NULL);
    hv_hook_add(self, HV_HOOK_REDACT_REQUEST, 300, on_redact_request, NULL);
    G.sweep_timer = hv_timer_add(self, 1, true, sweep, NULL);
    hv_log(self, HV_LOG_INFO, "%zu staff accounts in %zu roles, %zu bans, %zu filters, service %s in %s",
           G.conf.nstaff, G.conf.nroles, G.nbans, G.nall, G.conf.service_nick, G.conf.staff_channel);
    return 0;
}

/* REHASH: validate everything first; on any problem keep the old config. */
static int moderation_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    struct mod_conf next;
    if (mod_conf_parse(conf, &next, err, errlen) != 0)
        return -1;
    const char *bad = strcmp(next.service_nick, G.conf.service_nick) != 0 ? "service_nick"
                    : strcmp(next.state_file, G.conf.state_file) != 0 ? "state_file" : NULL;
    if (bad) {
        snprintf(err, errlen, "moderation.%s: cannot change while running; restart havend to change it", bad);
        mod_conf_free(&next);
        return -1;
    }
    struct mod_filter **all;
    size_t nall;
    struct mod_matcher *m = build_filters(&next, &all, &nall, err, errlen);
    hv_channel *staff = m ? staff_channel_setup(next.staff_channel) : NULL;
    if (!staff) {
        if (m)
            snprintf(err, errlen, "moderation.staff_channel: the server does not accept \"%s\" as a channel name",
                     next.staff_channel);
        mod_matcher_free(m);
        free(m ? all : NULL);
        mod_conf_free(&next);
        return -1;
    }
    hv_channel *old = hv_channel_find(G.conf.staff_channel);
    if (old && old != staff) {
        hv_force_part(hv_service_user(G.svc), old, "The staff channel moved");
        if ((old = hv_channel_find(G.conf.staff_channel)))
            hv_channel_set_permanent(old, false);
    }
    mod_matcher_free(G.matcher);
    free(G.all);
    G.matcher = m;
    G.all = all;
    G.nall = nall;
    mod_conf_free(&G.conf);
    G.conf = next;
    for (size_t b = 0; b < G.nroom_buckets; b++)
        for (struct room *r = G.rooms[b]; r; r = r->next)
            mod_room_exemptions(r);
    audit_open();
    hv_log(self, HV_LOG_INFO, "reloaded: %zu staff accounts, %zu filters", G.conf.nstaff, G.nall);
    return 0;
}

/* Unload: the staff channel becomes an ordinary channel (it goes when
 * empty); the server removes the service, hooks, commands and timers. */
static void moderation_shutdown(hv_module *self)
{
    hv_channel *ch = G.svc && G.conf.staff_channel[0] ? hv_channel_find(G.conf.staff_channel) : NULL;
    if (ch)
        hv_channel_set_permanent(ch, false);
    if (G.self)
        hv_log(self, HV_LOG_INFO, "since start: %lu messages blocked, %lu flagged, %lu automatic mutes",
               G.n_blocked, G.n_flagged, G.n_auto_mutes);
    release_all();
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "moderation",
    .version = "1.0",
    .description = "Moderation service: staff roles, reports, mutes, token bans, slow mode, filters, audit trail",
    .init = moderation_init,
    .reload = moderation_reload,
    .shutdown = moderation_shutdown,
});
