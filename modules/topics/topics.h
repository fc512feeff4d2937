/* topics.h — shared between the files of the topics module (not public).
 *
 * topics.c runs the module (channels, hooks, the guide service),
 * topics_conf.c reads and validates the `topics = { ... }` config group,
 * topics_find.c matches what a person types against the topics' keywords.
 * Every name here is hidden so it can never clash with the server's own
 * exported symbols. */
#ifndef HAVEND_TOPICS_H
#define HAVEND_TOPICS_H

#include <havend/module.h>

#include <stdbool.h>
#include <stddef.h>

#define TOPICS_INTERNAL __attribute__((visibility("hidden")))

#define TOPICS_MAX 100              /* topics in the list */
#define TOPIC_NAME_MAX 32           /* "anxiety" */
#define TOPIC_CHANNEL_MAX 50        /* "#anxiety" */
#define TOPIC_DESC_MAX 300          /* one line, shown as the channel topic */
#define TOPIC_TEXT_MAX 2000         /* welcome and greeting texts */
#define TOPIC_KEYWORDS_MAX 64       /* keywords per topic */
#define TOPIC_KEYWORD_MAX 32        /* bytes per keyword */
#define GUIDE_NICK_MAX 30

/* One configured topic. Every string is owned. */
struct topic {
    char *name;                     /* lower-case word, e.g. "anxiety" */
    char *channel;                  /* e.g. "#anxiety" */
    char *description;              /* one line; the channel's topic */
    char *welcome;                  /* sent privately on joining; may hold '\n' */
    char modes[8];                  /* flag letters without '+', e.g. "nt" */
    char **keywords;                /* lower-case, as configured */
    size_t nkeywords;
};

/* The whole validated `topics` group. */
struct topics_conf {
    char guide_nick[GUIDE_NICK_MAX + 1];
    bool staff_only_create;         /* create_channels = "staff" */
    bool staff_op;                  /* opers get +o in topic channels */
    bool guide_in_channels;         /* the guide sits in every topic channel */
    char *greeting;                 /* "" when disabled */
    struct topic *v;
    size_t n;
};

/* Parse and validate conf (the module's group, or NULL) into *out. Returns 0,
 * or -1 with "file:line: topics.setting: reason" in err (*out is then empty). */
TOPICS_INTERNAL int topics_conf_parse(const config_setting_t *conf, struct topics_conf *out, char *err,
                                      size_t errlen);
/* Free everything a parsed config owns and leave it empty. */
TOPICS_INTERNAL void topics_conf_free(struct topics_conf *c);

/* Rank the topics against free text: fills out[] with up to max indices into
 * c->v, best first, and returns how many matched at all. */
TOPICS_INTERNAL size_t topics_find(const struct topics_conf *c, const char *text, size_t *out, size_t max);
/* Does `word` name topic t, loosely ("Self Harm", "selfharm", "LGBTQ+")?
 * Compares letters and digits only, ignoring case. */
TOPICS_INTERNAL bool topics_name_matches(const struct topic *t, const char *word);

#endif
