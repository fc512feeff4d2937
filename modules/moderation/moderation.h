/* moderation.h — shared between the files of the moderation module (not
 * public).
 *
 * moderation.c   runs the module: staff, the staff channel, the audit
 *                trail, hooks that are not about messages, the sweep timer
 * mod_conf.c     reads and validates the `moderation = { ... }` group
 * mod_match.c    text normalization and the phrase automaton (filters)
 * mod_people.c   in-memory records: people, rooms, recent messages,
 *                departures, mutes and bans; time and duration helpers
 * mod_auto.c     the per-message path and automatic moderation
 * mod_state.c    the state file (bans, runtime filters): load and save
 * mod_cmds.c     the staff commands of the service
 * mod_report.c   REPORT and the report queue
 *
 * Privacy: nothing here ever sees an address. Ban tokens are shown only to
 * staff with the ban privilege (BANS); message text is kept in memory for
 * report_history seconds and shown only in a staff report. Every name here
 * is hidden so it can never clash with the server's exported symbols. */
#ifndef HAVEND_MODERATION_H
#define HAVEND_MODERATION_H

#include <havend/module.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MOD_INTERNAL __attribute__((visibility("hidden")))

#define MOD_NICK_MAX 32
#define MOD_CHAN_MAX 64
#define MOD_TOKEN_MAX 16            /* hex digits of a ban token */
#define MOD_UID_MAX 15
#define MOD_REASON_MAX 200
#define MOD_PHRASE_MAX 100
#define MOD_FILTERS_MAX 500         /* config + runtime filters */
#define MOD_TEXT_MAX 512            /* an IRC line */
#define MOD_HISTORY_MAX 64          /* remembered messages per room */
#define MOD_REPEAT_RING 16
#define MOD_RATE_RING 64
#define MOD_SLOW_SLOTS 16           /* slow-mode rooms remembered per person */
#define MOD_JOIN_RING 128

/* ------------------------------------------------------------ privileges */

enum {
    PRIV_WARN = 1u << 0, PRIV_MUTE = 1u << 1, PRIV_KICK = 1u << 2, PRIV_BAN = 1u << 3,
    PRIV_SLOW = 1u << 4, PRIV_LOCK = 1u << 5, PRIV_REDACT = 1u << 6, PRIV_REPORTS = 1u << 7,
    PRIV_FILTER = 1u << 8,
    PRIV_COUNT = 9,
    PRIV_STAFF = 1u << 30,          /* set for every staff member, whatever the role */
};
/* "warn", "mute", ... in bit order. */
MOD_INTERNAL extern const char *const mod_priv_names[PRIV_COUNT];

/* ------------------------------------------------------------ configuration */

/* Casefolded channel names. */
struct mod_names {
    char **v;
    size_t n;
};

struct mod_role {
    char *name;
    unsigned privs;
};

struct mod_staff {
    char *account;
    size_t role;                    /* index into roles */
};

/* One phrase filter (from the config or added with FILTER ADD). */
struct mod_filter {
    unsigned id;                    /* runtime: 1..; config: 0 (shown as c<k>) */
    char *phrase;                   /* as given */
    bool block;                     /* block, else flag */
    bool private_too;               /* also private messages between users */
    struct mod_names channels;      /* empty: every channel */
    char setter[MOD_NICK_MAX + 1];  /* runtime filters: who added it */
};

struct mod_conf {
    char service_nick[MOD_NICK_MAX + 1];
    char staff_channel[MOD_CHAN_MAX + 1];
    bool staff_op;
    struct mod_role *roles;
    size_t nroles;
    struct mod_staff *staff;
    size_t nstaff;
    int report_history, report_lines, report_count, report_period;
    int mute_default;
    char *filter_notice;
    struct mod_filter *filters;
    size_t nfilters;
    int link_min_age;
    struct mod_names link_exempt;
    int repeat, repeat_window, messages, window, mentions, flood_mute;
    struct mod_names flood_exempt;
    int jf_joins, jf_window, jf_lock;
    struct mod_names jf_exempt;
    char *audit_log;                /* resolved path, NULL for none */
    char *state_file;               /* resolved path */
};

/* Parse and validate the group (NULL: all defaults). 0, or -1 with
 * "file:line: moderation.setting: reason" in err. */
MOD_INTERNAL int mod_conf_parse(const config_setting_t *g, struct mod_conf *out, char *err, size_t errlen);
MOD_INTERNAL void mod_conf_free(struct mod_conf *c);
MOD_INTERNAL void mod_names_free(struct mod_names *l);
MOD_INTERNAL bool mod_names_has(const struct mod_names *l, const char *folded);
MOD_INTERNAL void mod_filter_free(struct mod_filter *f);
/* Check a filter phrase ("" or a reason). */
MOD_INTERNAL const char *mod_phrase_problem(const char *phrase);

/* ------------------------------------------------------------ matching */

/* Normalize text for matching: lower-case ASCII letters and digits, bytes
 * >= 0x80 kept, every other run of bytes one space, with a space at each
 * end. Returns the length; *hash gets a 64-bit hash of the result. */
MOD_INTERNAL size_t mod_normalize(const char *in, char *out, size_t cap, uint64_t *hash);

struct mod_matcher;
/* One automaton over the filters' phrases (v[i]->phrase). NULL with err on
 * a problem; a matcher over no filters is fine. */
MOD_INTERNAL struct mod_matcher *mod_matcher_build(struct mod_filter *const *v, size_t n, char *err,
                                                   size_t errlen);
MOD_INTERNAL void mod_matcher_free(struct mod_matcher *m);
/* Scan normalized text; for each phrase found, ok(i, arg) says whether it
 * applies. Returns the first applicable blocking filter's index or -1;
 * *flag gets the first applicable flagging one or -1. No allocation. */
MOD_INTERNAL int mod_matcher_scan(const struct mod_matcher *m, const char *norm, size_t len,
                                  bool (*ok)(size_t i, void *arg), void *arg, int *flag);

/* ------------------------------------------------------------ records */

/* A mute covers its target's connection and every later connection with
 * the same ban token (reconnecting, or a panic-hide's fresh identity, does
 * not escape it); people already online behind the same address when it
 * was set (spared) are not affected. */
struct mute {
    unsigned id;
    char token[MOD_TOKEN_MAX + 1];
    char uid[MOD_UID_MAX + 1];      /* who was muted */
    char (*spared)[MOD_UID_MAX + 1];
    size_t nspared;
    char nick[MOD_NICK_MAX + 1];
    time_t set_at, until;
    char reason[MOD_REASON_MAX + 1];
    char setter[MOD_NICK_MAX + 1];  /* staff account, or "auto" */
};

struct ban {
    unsigned id;
    char token[MOD_TOKEN_MAX + 1];
    char nick[MOD_NICK_MAX + 1];    /* at ban time ("" when banned by token) */
    time_t set_at, expires;         /* expires 0: never */
    char reason[MOD_REASON_MAX + 1];
    char setter[MOD_NICK_MAX + 1];
};

/* One remembered channel message (for reports and REMOVE). */
struct said {
    char uid[MOD_UID_MAX + 1];
    char nick[MOD_NICK_MAX + 1];
    char msgid[40];
    time_t when;
    uint64_t seq;                   /* order across rooms */
    char text[MOD_TEXT_MAX];
};

/* What the module keeps about a channel. Keyed by handle, checked by name. */
struct room {
    const hv_channel *ch;
    char name[MOD_CHAN_MAX + 1];    /* as the channel spells it */
    int slow;                       /* seconds; 0 off */
    bool locked;
    bool no_links, no_flood, no_jf; /* exempt_channels */
    time_t joins[MOD_JOIN_RING];
    unsigned join_next;
    time_t jf_until;                /* join-flood lock end, 0 none */
    struct said *hist;              /* MOD_HISTORY_MAX, allocated on first use */
    unsigned hist_next, hist_count;
    struct room *next;
};

/* What the module keeps about a connected person, by UID. */
struct person {
    char uid[MOD_UID_MAX + 1];
    char token[MOD_TOKEN_MAX + 1];
    time_t signon;
    unsigned mute_gen;              /* mutes_gen when mute_idx was found */
    long mute_idx;                  /* index in mutes, -1 none */
    uint64_t rep_hash[MOD_REPEAT_RING];
    time_t rep_time[MOD_REPEAT_RING];
    unsigned rep_next;
    int64_t rate_ms[MOD_RATE_RING];
    unsigned rate_next;
    struct { const struct room *room; time_t last; } slow[MOD_SLOW_SLOTS];
    struct person *next;
};

/* Someone who left lately: MUTE/BAN/REPORT still find them by nick. */
struct departed {
    char nick[MOD_NICK_MAX + 1];
    char uid[MOD_UID_MAX + 1];
    char token[MOD_TOKEN_MAX + 1];
    time_t when;
};

enum report_state { REPORT_OPEN = 0, REPORT_CLAIMED, REPORT_CLOSED };

struct report {
    unsigned id;
    time_t when;
    char reporter[MOD_NICK_MAX + 1], reporter_uid[MOD_UID_MAX + 1];
    char target[MOD_NICK_MAX + 1];
    char channels[200];
    char reason[MOD_REASON_MAX + 1];
    enum report_state state;
    char handler[MOD_NICK_MAX + 1]; /* staff account that claimed / closed it */
    char note[MOD_REASON_MAX + 1];
};

/* ------------------------------------------------------------ the module's state */

struct mod_globals {
    hv_module *self;
    hv_service *svc;
    struct mod_conf conf;
    struct mod_filter *rfilters;    /* runtime filters (state file) */
    size_t nrfilters;
    unsigned next_filter, next_ban, next_mute, next_report;
    struct mod_matcher *matcher;
    struct mod_filter **all;        /* config filters then runtime ones */
    size_t nall;
    struct mute *mutes;
    size_t nmutes;
    unsigned mutes_gen;
    struct ban *bans;
    size_t nbans;
    struct report *reports;
    size_t nreports;
    struct departed departed[64];
    unsigned departed_next;
    struct person **people;         /* hash buckets */
    size_t npeople_buckets, npeople;
    struct room **rooms;
    size_t nroom_buckets, nrooms;
    int sweep_timer, deop_timer;
    unsigned long n_blocked, n_flagged, n_auto_mutes;
};
MOD_INTERNAL extern struct mod_globals G;

/* moderation.c */
/* The privileges of u (PRIV_STAFF and the role's bits), 0 for non-staff;
 * *role (may be NULL) gets the role name. */
MOD_INTERNAL unsigned mod_staff_privs(const hv_user *u, const char **role);
/* "QuietHeron42 (alice)": a staff member's nick and account. */
MOD_INTERNAL const char *mod_actor(const hv_user *u, char *buf, size_t len);
/* An audit line: to the staff channel and the audit log file. No
 * addresses, tokens or message text. */
MOD_INTERNAL void mod_audit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An audit line for the log file only (what the staff channel already saw
 * in another form, e.g. a report). */
MOD_INTERNAL void mod_audit_file(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line to the staff channel only (reports: may hold message text). */
MOD_INTERNAL void mod_staff_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Rebuild G.all and G.matcher from config and runtime filters. */
MOD_INTERNAL int mod_filters_rebuild(char *err, size_t errlen);

/* mod_people.c */
MOD_INTERNAL struct person *mod_person(hv_user *u);
MOD_INTERNAL void mod_person_drop(const char *uid);
MOD_INTERNAL struct room *mod_room(const hv_channel *ch);
MOD_INTERNAL struct room *mod_room_find(const hv_channel *ch);
MOD_INTERNAL void mod_room_exemptions(struct room *r);
MOD_INTERNAL void mod_room_remember(struct room *r, hv_user *u, const char *msgid, const char *text);
MOD_INTERNAL void mod_records_sweep(time_t now);
MOD_INTERNAL void mod_records_free(void);
MOD_INTERNAL void mod_departed_add(hv_user *u);
MOD_INTERNAL const struct departed *mod_departed_find(const char *nick);
/* The mute that covers u now, or NULL. */
MOD_INTERNAL const struct mute *mod_mute_of(hv_user *u, struct person *p);
MOD_INTERNAL struct mute *mod_mute_add(const char *token, const char *uid, const char *nick, long secs,
                                       const char *reason, const char *setter);
MOD_INTERNAL void mod_mute_del(size_t i);
MOD_INTERNAL struct ban *mod_ban_find_token(const char *token);
/* Disconnect every local non-staff user with b's token; the count. */
MOD_INTERNAL int mod_ban_enforce(const struct ban *b);
/* "2024-05-01 14:03:22 UTC", or "never" for 0. */
MOD_INTERNAL const char *mod_fmt_time(time_t t, char *buf, size_t len);
/* "1h30m", "45s". */
MOD_INTERNAL const char *mod_fmt_dur(long secs, char *buf, size_t len);
/* "30s", "10m", "2h", "1d", "1w" (combinable: "1h30m"), a bare number is
 * minutes; "perm"/"permanent"/"0" is 0 when allow_perm. -1 if invalid. */
MOD_INTERNAL long mod_parse_dur(const char *s, bool allow_perm);
MOD_INTERNAL bool mod_is_token(const char *s);
/* Join argv[from..] with spaces into buf. */
MOD_INTERNAL const char *mod_join_args(int argc, char **argv, int from, char *buf, size_t len);
/* Copy text with control characters replaced (no CTCP, no formatting). */
MOD_INTERNAL const char *mod_clean(const char *in, char *buf, size_t len);

/* mod_auto.c */
MOD_INTERNAL enum hv_verdict mod_on_channel_message(struct hv_event *ev, void *arg);
MOD_INTERNAL enum hv_verdict mod_on_private_message(struct hv_event *ev, void *arg);
MOD_INTERNAL enum hv_verdict mod_on_join_check(struct hv_event *ev, void *arg);
MOD_INTERNAL enum hv_verdict mod_on_joined(struct hv_event *ev, void *arg);
/* Mute u for secs (automatic or staff); tells them and audits. */
MOD_INTERNAL struct mute *mod_mute_user(hv_user *u, long secs, const char *reason, const char *setter,
                                        const char *actor);

/* mod_state.c */
/* Load the state file into G (bans, runtime filters). 0, or -1 with
 * "file:line: reason". A missing file is an empty state. */
MOD_INTERNAL int mod_state_load(const char *path, char *err, size_t errlen);
/* Write the state atomically. 0, or the errno that stopped it (logged with
 * the file and audited; the state file in place is left as it was). */
MOD_INTERNAL int mod_state_save(void);

/* mod_cmds.c / mod_report.c */
MOD_INTERNAL void mod_cmds_register(hv_service *svc);
MOD_INTERNAL void mod_report_register(hv_service *svc);
MOD_INTERNAL void mod_reports_free(void);

#endif
