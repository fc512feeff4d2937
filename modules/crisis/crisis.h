/* crisis.h — shared between the files of the crisis module (not public).
 *
 * crisis.c        runs the module: hooks, detection, alerts, loading
 * crisis_reply.c  everything the service says to a person
 * crisis_mod.h    what those two share (not needed by the unit tests)
 * crisis_conf.c   reads and validates the `crisis = { ... }` config group
 * crisis_dir.c    loads and validates the resource directory (resources.conf)
 * crisis_norm.c   normalizes text (case, punctuation, obfuscations)
 * crisis_match.c  the phrase automaton (Aho-Corasick over normalized text)
 *
 * crisis_norm.c, crisis_match.c and crisis_dir.c use libconfig and libc only,
 * so the unit tests link them directly. Every name here is hidden so it can
 * never clash with the server's own exported symbols. */
#ifndef HAVEND_CRISIS_H
#define HAVEND_CRISIS_H

#include <libconfig.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRISIS_INTERNAL __attribute__((visibility("hidden")))

/* ------------------------------------------------------------ topics */

/* The topics a service or a phrase may carry, by index. */
enum crisis_topic {
    CT_SUICIDE = 0, CT_MENTAL_HEALTH, CT_SELF_HARM, CT_DOMESTIC_ABUSE, CT_SEXUAL_ASSAULT, CT_CHILD_ABUSE,
    CT_SUBSTANCE_USE, CT_EATING_DISORDERS, CT_LGBTQ, CT_YOUTH, CT_VETERANS, CT_INDIGENOUS,
    CRISIS_NTOPICS
};
#define CRISIS_NO_TOPIC (-1)

/* The canonical name ("domestic-abuse") and a label for people ("domestic abuse"). */
CRISIS_INTERNAL const char *crisis_topic_name(int t);
CRISIS_INTERNAL const char *crisis_topic_label(int t);
/* The topic a word means, loosely ("LGBTQ+", "eating disorders", "drugs"), or -1. */
CRISIS_INTERNAL int crisis_topic_find(const char *word);
/* The topic with exactly this canonical name, or -1 (for config files). */
CRISIS_INTERNAL int crisis_topic_exact(const char *name);
/* "suicide, mental-health, ..." into buf, for error messages and HELP. */
CRISIS_INTERNAL const char *crisis_topic_list(char *buf, size_t len);

/* ------------------------------------------------------------ normalization */

#define CRISIS_TEXT_MAX 1024        /* input bytes considered (an IRC line is 512) */
#define CRISIS_NORM_MAX (CRISIS_TEXT_MAX + 8)
#define CRISIS_QUOTES_MAX 8         /* quoted spans remembered per text */
#define CN_ONE_AS_L 1u              /* read an ambiguous '1', '!' or '|' as 'l', not 'i' */

/* What normalization found besides the text itself. */
struct crisis_norm {
    size_t len;                     /* bytes written, without the NUL */
    unsigned ambiguous;             /* '1', '!' or '|' read as a letter */
    unsigned nquotes;
    uint16_t quote[CRISIS_QUOTES_MAX][2];   /* [start, end) of quoted text in out */
};

/* Normalize len bytes of in into out (cap bytes, at least CRISIS_NORM_MAX
 * for a full line): lower-case words separated by single spaces, with a
 * space at each end, so " phrase " only matches whole words. Returns the
 * length; info (may be NULL) gets the details. Never allocates. */
CRISIS_INTERNAL size_t crisis_normalize(const char *in, size_t len, char *out, size_t cap, unsigned flags,
                                        struct crisis_norm *info);

/* ------------------------------------------------------------ matching */

/* What a pattern is for. Phrases have a level (concern < urgent); ignore
 * phrases and guards (resource names) only ever suppress a match. */
enum crisis_kind { CK_GUARD = -2, CK_IGNORE = -1, CK_NONE = 0, CK_CONCERN = 1, CK_URGENT = 2 };

/* One pattern to build the matcher from. text is as configured; a trailing
 * '*' makes it match word beginnings ("suicid*"). */
struct crisis_phrase {
    const char *text;
    int kind;                       /* enum crisis_kind */
    int topic;                      /* enum crisis_topic or CRISIS_NO_TOPIC */
};

/* The result of matching one text. */
struct crisis_hit {
    int level;                      /* CK_NONE, CK_CONCERN or CK_URGENT */
    int topic;                      /* of the phrase that decided, or -1 */
    int phrase;                     /* its index in the build list, or -1 */
};

struct crisis_matcher;

/* Build one automaton over every pattern. NULL with a reason in err when a
 * phrase has no words left after normalization or there are too many. */
CRISIS_INTERNAL struct crisis_matcher *crisis_matcher_build(const struct crisis_phrase *v, size_t n, char *err,
                                                            size_t errlen);
CRISIS_INTERNAL void crisis_matcher_free(struct crisis_matcher *m);
/* Match a NUL-terminated text; returns hit->level. No allocation. */
CRISIS_INTERNAL int crisis_match(const struct crisis_matcher *m, const char *text, struct crisis_hit *hit);
/* Number of automaton states (for the log line and tests). */
CRISIS_INTERNAL size_t crisis_matcher_states(const struct crisis_matcher *m);

/* ------------------------------------------------------------ the resource directory */

#define CRISIS_CODE_MAX 3           /* "GB" and NUL */

/* One helpline or service. Every string is owned; absent ones are NULL. */
struct crisis_service {
    char *name, *phone, *text, *chat, *web, *hours;
    char *languages;                /* "en, es" or NULL */
    uint32_t topics;                /* bit (1u << enum crisis_topic) */
};

/* A region (ISO 3166-1 alpha-2 code) or the international fallback (code ""). */
struct crisis_region {
    char code[CRISIS_CODE_MAX];
    char *country;                  /* "United Kingdom" */
    char *emergency;                /* "999 or 112" */
    char **aliases;                 /* other codes people type: "UK" */
    size_t naliases;
    struct crisis_service *sv;
    size_t nsv;
};

struct crisis_dir {
    struct crisis_region *v;        /* regions, in file order */
    size_t n;
    struct crisis_region intl;      /* the international fallback */
};

/* Load and validate a directory file. Returns 0, or -1 with
 * "file:line: where: reason" in err (*out is then empty). */
CRISIS_INTERNAL int crisis_dir_load(const char *path, struct crisis_dir *out, char *err, size_t errlen);
CRISIS_INTERNAL void crisis_dir_free(struct crisis_dir *d);
/* The region a word names: its code, an alias or the country name, any case. */
CRISIS_INTERNAL const struct crisis_region *crisis_dir_find(const struct crisis_dir *d, const char *word);
/* One service as a line for people: "Samaritans: call 116 123, ... (24/7)". */
CRISIS_INTERNAL size_t crisis_service_line(const struct crisis_service *s, char *buf, size_t len);

/* ------------------------------------------------------------ the module's config */

#define CRISIS_NICK_MAX 30
#define CRISIS_CHANNEL_MAX 50

struct crisis_conf {
    char service_nick[CRISIS_NICK_MAX + 1];
    char *directory;                /* resolved path */
    char default_region[CRISIS_CODE_MAX];   /* "" for none */
    char staff_channel[CRISIS_CHANNEL_MAX + 1]; /* "" for no alerts */
    bool alert_text, scan_private, channel_commands;
    int interval;                   /* seconds between notices to one person */
    struct crisis_phrase *phrases;  /* urgent, concern, ignore (texts owned) */
    size_t nphrases;
};

/* Parse and validate the `crisis` group (NULL: all defaults); relative
 * paths resolve against base_dir. Returns 0, or -1 with a reason naming
 * the file and line. Does not load the directory. */
CRISIS_INTERNAL int crisis_conf_parse(const config_setting_t *g, const char *base_dir, struct crisis_conf *out,
                                      char *err, size_t errlen);
CRISIS_INTERNAL void crisis_conf_free(struct crisis_conf *c);
/* Split "topic: phrase" into its topic (or -1 when there is no prefix) and
 * the phrase. Returns false when the prefix names no topic. */
CRISIS_INTERNAL bool crisis_phrase_split(const char *s, int *topic, const char **phrase);

#endif
