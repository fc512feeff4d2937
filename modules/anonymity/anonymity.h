/* anonymity.h — shared declarations of the anonymity module's files:
 * settings (anon_conf.c), pseudonyms (anon_names.c), caller-ID and ACCEPT
 * (anon_accept.c), and the hooks that tie them together (anonymity.c). */
#ifndef HAVEND_ANONYMITY_H
#define HAVEND_ANONYMITY_H

#include <havend/module.h>

/* Longest pseudonym ever handed out, whatever NICKLEN allows. */
#define ANON_PSEUDONYM_MAX 30

enum anon_policy {
    ANON_ASSIGNED,                      /* the server names everyone */
    ANON_CHOSEN,                        /* people pick, reserved names refused */
};

/* A reserved pattern prepared for matching (anon_names.c). The usual
 * shape, a literal with '*' at neither, one or both ends ("guide", "*serv",
 * "admin*", "*mod*"), becomes a search for the lower-cased literal; any
 * other pattern (with ?, [sets] or an inner '*') is left to fnmatch. */
struct anon_pattern {
    char *lit;                          /* lower-cased literal; NULL: use fnmatch */
    size_t len;
    bool lead, trail;                   /* '*' before / after the literal */
};

/* The settings in force (anonymity = { ... }), validated as a whole. */
struct anon_conf {
    enum anon_policy policy;
    char **adjectives;                  /* capitalised words, e.g. "Quiet" */
    size_t nadjectives;
    char **nouns;                       /* e.g. "Heron" */
    size_t nnouns;
    char **reserved;                    /* glob patterns, matched case-insensitively */
    struct anon_pattern *reserved_pat;  /* the same, prepared (anon_reserved_prepare) */
    size_t nreserved;
    bool block_ctcp;
    bool caller_id;                     /* new users start +g */
    int accept_max;
    int pm_delay;                       /* seconds; 0 = off */
};

extern struct anon_conf *anon_cf;       /* never NULL while loaded */
extern hv_module *anon_self;

/* anon_conf.c: parse and check a group (NULL = all defaults); NULL with
 * "file:line: anonymity.x: reason" in err on failure. */
struct anon_conf *anon_conf_load(const config_setting_t *g, char *err, size_t errlen);
void anon_conf_free(struct anon_conf *c);

/* anon_names.c */
/* Fill c->reserved_pat from c->reserved; false when out of memory. */
bool anon_reserved_prepare(struct anon_conf *c);
void anon_reserved_free(struct anon_conf *c);
bool anon_nick_reserved(const struct anon_conf *c, const char *nick);
/* A fresh pseudonym, free on the network and not reserved; -1 if none
 * was found (or the CSPRNG failed). */
int anon_pseudonym(const struct anon_conf *c, char *out, size_t len);
/* How many pseudonyms fit in maxlen characters. */
double anon_pseudonym_space(const struct anon_conf *c, int maxlen);
/* The longest pseudonym this server may hand out now. */
int anon_pseudonym_maxlen(void);

/* anon_accept.c */
void anon_accept_start(hv_module *self);
void anon_accept_stop(void);
/* Caller-ID for a private message that passed the other checks. */
enum hv_verdict anon_callerid(struct hv_event *ev);
/* Has owner accepted other (so other may message owner)? */
bool anon_accepted(const hv_user *owner, const hv_user *other);
/* owner messaged other while +g: accept them so replies get through. */
void anon_auto_accept(hv_user *owner, hv_user *other);
/* A user is leaving: drop their lists, held messages and traces. */
void anon_forget(const hv_user *u);

#endif
