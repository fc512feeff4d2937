/* mod_report.c — REPORT (for everyone) and the staff's report queue:
 * REPORTS, CLAIM and CLOSE.
 *
 * A report goes to the staff channel with its number, the channels the two
 * people share, the reporter's nick, the reason, and the reported person's
 * last few messages there (from the in-memory record, report_history
 * seconds at most). The reporter gets a kind acknowledgement, and a word
 * when staff close it. Reports are kept in memory only (they may quote
 * what people said); the audit log file gets the fact of a report without
 * its text. Reports are rate-limited per ban token, so reconnecting does
 * not reset the limit. */
#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAY(...) hv_service_notice(svc, hv_user_nick(from), __VA_ARGS__)
#define REPORTS_KEPT 200
#define RATE_SLOTS 128
#define SHOWN_MAX 20

/* Recent reports per ban token. */
static struct rate {
    char token[MOD_TOKEN_MAX + 1];
    time_t t[20];
} rates[RATE_SLOTS];

/* May the holder of token file another report now? Counts it if so. */
static bool rate_take(const char *token, time_t now)
{
    struct rate *slot = NULL, *oldest = &rates[0];
    for (size_t i = 0; i < RATE_SLOTS && !slot; i++) {
        if (strcmp(rates[i].token, token) == 0)
            slot = &rates[i];
        else if (rates[i].t[0] < oldest->t[0])
            oldest = &rates[i];
    }
    if (!slot) {
        slot = oldest;
        memset(slot, 0, sizeof *slot);
        snprintf(slot->token, sizeof slot->token, "%s", token);
    }
    int used = 0;
    for (int i = 0; i < G.conf.report_count; i++)
        used += slot->t[i] > now - G.conf.report_period;
    if (used >= G.conf.report_count)
        return false;
    /* Keep the newest first; t[0] orders the slots for reuse. */
    memmove(&slot->t[1], &slot->t[0], sizeof slot->t - sizeof slot->t[0]);
    slot->t[0] = now;
    return true;
}

/* A report by number, or NULL. */
static struct report *report_find(const char *word)
{
    unsigned long id = strtoul(word[0] == '#' ? word + 1 : word, NULL, 10);
    for (size_t i = 0; id && i < G.nreports; i++)
        if (G.reports[i].id == id)
            return &G.reports[i];
    return NULL;
}

/* A new slot in the queue; the oldest closed report (else the oldest) goes
 * when it is full. */
static struct report *report_new(void)
{
    if (G.nreports >= REPORTS_KEPT) {
        size_t drop = 0;
        for (size_t i = 0; i < G.nreports; i++) {
            if (G.reports[i].state == REPORT_CLOSED) {
                drop = i;
                break;
            }
        }
        memmove(&G.reports[drop], &G.reports[drop + 1], (G.nreports - drop - 1) * sizeof *G.reports);
        G.nreports--;
    } else {
        struct report *v = realloc(G.reports, (G.nreports + 1) * sizeof *v);
        if (!v)
            abort();
        G.reports = v;
    }
    struct report *r = &G.reports[G.nreports++];
    memset(r, 0, sizeof *r);
    r->id = ++G.next_report;
    r->when = time(NULL);
    return r;
}

/* The reported person's remembered messages in channels the reporter is in
 * (all of them when shared is NULL), newest last, at most report_lines. */
static size_t collect(hv_user *reporter, const char *uid, const char *nick, const struct said **out, char *chans,
                      size_t clen)
{
    size_t n = 0, cl = strlen(chans);
    char want[MOD_NICK_MAX + 1], have[MOD_NICK_MAX + 1];
    hv_casefold(want, nick, sizeof want);
    time_t cutoff = time(NULL) - G.conf.report_history;
    for (size_t c = 0; hv_user_channel_at(reporter, c); c++) {
        hv_channel *ch = hv_user_channel_at(reporter, c);
        const struct room *r = mod_room_find(ch);
        bool found = false;
        for (unsigned i = 0; r && r->hist && i < r->hist_count; i++) {
            const struct said *s = &r->hist[(r->hist_next + MOD_HISTORY_MAX - r->hist_count + i) % MOD_HISTORY_MAX];
            hv_casefold(have, s->nick, sizeof have);
            if (s->when < cutoff || (strcmp(s->uid, uid) != 0 && strcmp(have, want) != 0))
                continue;
            found = true;
            if (n < SHOWN_MAX)
                out[n++] = s;
        }
        /* Without the person online, the rooms they spoke in are the shared ones. */
        if (found && !hv_user_find_uid(uid) && cl + 1 < clen)
            cl += (size_t)snprintf(chans + cl, clen - cl, "%s%s", cl ? ", " : "", hv_channel_name(ch));
    }
    /* Oldest first across rooms; keep the newest report_lines. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && out[k - 1]->seq > out[k]->seq; k--) {
            const struct said *t = out[k];
            out[k] = out[k - 1];
            out[k - 1] = t;
        }
    size_t keep = (size_t)G.conf.report_lines;
    if (n > keep) {
        memmove(out, out + (n - keep), keep * sizeof *out);
        n = keep;
    }
    return n;
}

/* REPORT <nick> [what happened] */
static void cmd_report(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    hv_user *t = hv_user_find(argv[1]);
    const struct departed *d = t ? NULL : mod_departed_find(argv[1]);
    if (t == from) {
        SAY("You can't report yourself. If you need someone to talk to, the people in the rooms are here for you.");
        return;
    }
    if (t && hv_user_is_service(t)) {
        SAY("%s is a network service, not a person. If something it did worried you, tell staff in a REPORT "
            "about whoever was involved.", hv_user_nick(t));
        return;
    }
    if (strlen(argv[1]) > MOD_NICK_MAX || strpbrk(argv[1], "#,*?!@")) {
        SAY("Please give the nick of the person you want to report: /msg %s REPORT <nick> <what happened>",
            G.conf.service_nick);
        return;
    }
    time_t now = time(NULL);
    if (!rate_take(hv_user_ban_token(from), now)) {
        SAY("You have sent several reports in a short time. Staff have them all and will look as soon as they "
            "can; please wait a little before sending another. If you are in danger right now, please contact "
            "your local emergency number.");
        return;
    }
    struct report *r = report_new();
    snprintf(r->reporter, sizeof r->reporter, "%s", hv_user_nick(from));
    snprintf(r->reporter_uid, sizeof r->reporter_uid, "%s", hv_user_uid(from));
    snprintf(r->target, sizeof r->target, "%s", t ? hv_user_nick(t) : d ? d->nick : argv[1]);
    char reason[MOD_REASON_MAX + 1];
    mod_join_args(argc, argv, 2, reason, sizeof reason);
    mod_clean(reason, r->reason, sizeof r->reason);
    if (t) {
        size_t cl = 0;
        for (size_t c = 0; hv_user_channel_at(from, c); c++) {
            hv_channel *ch = hv_user_channel_at(from, c);
            if (hv_channel_has_member(ch, t) && cl + 1 < sizeof r->channels)
                cl += (size_t)snprintf(r->channels + cl, sizeof r->channels - cl, "%s%s", cl ? ", " : "",
                                       hv_channel_name(ch));
        }
    }
    const struct said *shown[SHOWN_MAX];
    size_t n = collect(from, t ? hv_user_uid(t) : d ? d->uid : "", r->target, shown, r->channels, sizeof r->channels);

    mod_staff_say("[report #%u] %s reported %s%s, shared channels: %s. Reason: %s", r->id, r->reporter, r->target,
                  t ? "" : " (no longer online)", r->channels[0] ? r->channels : "none",
                  r->reason[0] ? r->reason : "(none given)");
    if (!n)
        mod_staff_say("[report #%u] No recent messages from %s in shared channels are remembered.", r->id, r->target);
    else
        mod_staff_say("[report #%u] %s's last message%s there:", r->id, r->target, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        char when[16];
        struct tm tm;
        gmtime_r(&shown[i]->when, &tm);
        strftime(when, sizeof when, "%H:%M:%S", &tm);
        hv_channel *ch = NULL;
        const char *where = "?";
        for (size_t c = 0; (ch = hv_user_channel_at(from, c)); c++) {
            const struct room *rm = mod_room_find(ch);
            if (rm && rm->hist && shown[i] >= rm->hist && shown[i] < rm->hist + MOD_HISTORY_MAX)
                where = hv_channel_name(ch);
        }
        mod_staff_say("[report #%u]   %s UTC %s <%s> %s", r->id, when, where, shown[i]->nick, shown[i]->text);
    }
    mod_staff_say("[report #%u] To take it: /msg %s CLAIM %u", r->id, G.conf.service_nick, r->id);
    mod_audit_file("Report #%u filed by %s about %s (shared channels: %s)", r->id, r->reporter, r->target,
                   r->channels[0] ? r->channels : "none");
    SAY("Thank you for telling us. Your report (#%u) has gone to the moderators, who will look at it as soon as "
        "they can - you don't need to do anything else. If you'd like some space, you can leave the room or use "
        "/ignore %s. If you are in danger right now, please contact your local emergency number.", r->id, r->target);
}

/* REPORTS [all]: the open and claimed reports (all: closed ones too). */
static void cmd_reports(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    if (!(mod_staff_privs(from, NULL) & PRIV_REPORTS)) {
        SAY("REPORTS is a staff command%s.", mod_staff_privs(from, NULL) ? " (your role lacks the \"reports\" "
            "privilege)" : "; to report someone, type /msg ModServ REPORT <nick> <what happened>");
        return;
    }
    bool all = argc > 1 && !strcasecmp(argv[1], "all");
    size_t shown = 0;
    time_t now = time(NULL);
    for (size_t i = 0; i < G.nreports; i++) {
        const struct report *r = &G.reports[i];
        if (r->state == REPORT_CLOSED && !all)
            continue;
        char ago[32];
        mod_fmt_dur((long)(now - r->when), ago, sizeof ago);
        SAY("  #%u %s, %s ago: %s reported %s (%s): %s%s%s", r->id,
            r->state == REPORT_OPEN ? "open" : r->state == REPORT_CLAIMED ? "claimed by" : "closed by",
            ago, r->reporter, r->target, r->channels[0] ? r->channels : "no shared channel",
            r->reason[0] ? r->reason : "(no reason)", r->state == REPORT_OPEN ? "" : " - handler: ",
            r->state == REPORT_OPEN ? "" : r->handler);
        shown++;
    }
    if (!shown)
        SAY("No %sreports.", all ? "" : "open ");
    else
        SAY("%zu report%s. CLAIM <number> to take one, CLOSE <number> [note] when done.", shown,
            shown == 1 ? "" : "s");
}

/* CLAIM <number> / CLOSE <number> [note] */
static void claim_close(hv_service *svc, hv_user *from, int argc, char **argv, bool close)
{
    const char *cmd = close ? "CLOSE" : "CLAIM";
    if (!(mod_staff_privs(from, NULL) & PRIV_REPORTS)) {
        SAY("%s is a staff command%s.", cmd, mod_staff_privs(from, NULL) ? " (your role lacks the \"reports\" "
            "privilege)" : "; to report someone, type /msg ModServ REPORT <nick> <what happened>");
        return;
    }
    struct report *r = report_find(argv[1]);
    if (!r) {
        SAY("There is no report %.20s (see REPORTS).", argv[1]);
        return;
    }
    if (r->state == REPORT_CLOSED) {
        SAY("Report #%u is already closed (by %s).", r->id, r->handler);
        return;
    }
    char who[96], prev[MOD_NICK_MAX + 1];
    snprintf(prev, sizeof prev, "%s", r->state == REPORT_CLAIMED ? r->handler : "");
    snprintf(r->handler, sizeof r->handler, "%s", hv_user_account(from));
    mod_actor(from, who, sizeof who);
    if (!close) {
        r->state = REPORT_CLAIMED;
        SAY("You have claimed report #%u (%s about %s).", r->id, r->reporter, r->target);
        mod_audit("%s claimed report #%u%s%s%s", who, r->id, *prev ? " (was claimed by " : "", prev, *prev ? ")" : "");
        return;
    }
    r->state = REPORT_CLOSED;
    char note[MOD_REASON_MAX + 1];
    mod_join_args(argc, argv, 2, note, sizeof note);
    mod_clean(note, r->note, sizeof r->note);
    SAY("Closed report #%u.", r->id);
    mod_audit("%s closed report #%u%s%s", who, r->id, r->note[0] ? ": " : "", r->note);
    hv_user *rep = hv_user_find_uid(r->reporter_uid);
    if (rep)
        hv_service_notice(svc, hv_user_nick(rep), "The moderators have looked into your report #%u. Thank you for "
                          "helping to keep this a safe place.", r->id);
}

/* CLAIM <number>. */
static void cmd_claim(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    claim_close(svc, from, argc, argv, false);
}

/* CLOSE <number> [note]. */
static void cmd_close(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    claim_close(svc, from, argc, argv, true);
}

/* Wipe and free the queue and the rate records. */
void mod_reports_free(void)
{
    if (G.reports)
        memset(G.reports, 0, G.nreports * sizeof *G.reports);
    free(G.reports);
    G.reports = NULL;
    G.nreports = 0;
    memset(rates, 0, sizeof rates);
}

/* Register REPORT and the queue commands with the service. */
void mod_report_register(hv_service *svc)
{
    hv_service_command(svc, "REPORT", 1, cmd_report, NULL,
                       "REPORT <nick> [what happened]\n"
                       "Tells the moderators that someone is making this place feel unsafe: harassment,\n"
                       "unwanted contact, spam or harmful content. They see the rooms you share and that\n"
                       "person's last few messages there, never anything about who you are.");
    hv_service_command(svc, "REPORTS", 0, cmd_reports, NULL,
                       "REPORTS [all]  (staff)\nLists the open and claimed reports (all: closed ones too).");
    hv_service_command(svc, "CLAIM", 1, cmd_claim, NULL,
                       "CLAIM <number>  (staff)\nTakes a report, so other staff know you are handling it.");
    hv_service_command(svc, "CLOSE", 1, cmd_close, NULL,
                       "CLOSE <number> [note]  (staff)\nCloses a report; the reporter is thanked if still online.");
}
