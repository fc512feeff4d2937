/* crisis_mod.h — shared between crisis.c (hooks, detection, loading) and
 * crisis_reply.c (everything the service says to a person). Not public,
 * and not needed by the unit tests (they use crisis.h only). */
#ifndef HAVEND_CRISIS_MOD_H
#define HAVEND_CRISIS_MOD_H

#include "crisis.h"

#include <havend/module.h>

/* Everything a (re)load builds before it is put in force. */
struct loaded {
    struct crisis_conf conf;
    struct crisis_dir dir;
    struct crisis_matcher *m;
};

/* What one person chose, and when they were last sent a notice. */
struct person {
    char uid[16];
    char region[CRISIS_CODE_MAX];   /* "" until they choose */
    double last;                    /* monotonic seconds of the last notice; 0: none */
    int last_level;
    struct person *next;
};

/* The service and the configuration in force (crisis.c). */
CRISIS_INTERNAL extern hv_service *crisis_svc;
CRISIS_INTERNAL extern struct loaded crisis_cur;

/* A person's record by UID, created on demand (create) or NULL (crisis.c). */
CRISIS_INTERNAL struct person *crisis_person(const char *uid, bool create);

/* ---- crisis_reply.c */

/* Send text (lines separated by '\n', wrapped to fit) as NOTICEs from the service. */
CRISIS_INTERNAL void crisis_say(const char *to, const char *text);
CRISIS_INTERNAL void crisis_sayf(const char *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The region whose helplines u gets: their choice, else the network's
 * default (NULL when none). *chosen says which. */
CRISIS_INTERNAL const struct crisis_region *crisis_region_for(const hv_user *u, bool *chosen);
/* The caring notice after a match; alerted: staff were told too. */
CRISIS_INTERNAL void crisis_send_notice(hv_user *u, const struct crisis_hit *hit, bool alerted);
/* RESOURCES [country] [topic] (also !resources), argv without the command word. */
CRISIS_INTERNAL void crisis_resources_reply(hv_user *u, int argc, char **argv);
/* !help and !crisis: the emergency number and the main lines. */
CRISIS_INTERNAL void crisis_quick_help(hv_user *u);
/* HELP with no command: who the service is. */
CRISIS_INTERNAL void crisis_help_intro(hv_user *u);
/* A message to the service that is no command: a kind pointer to RESOURCES;
 * again: a match while rate-limited (the helplines were just sent). */
CRISIS_INTERNAL void crisis_not_a_command(hv_user *u, bool again);
/* The service commands. */
CRISIS_INTERNAL void crisis_cmd_resources(hv_service *s, hv_user *from, int argc, char **argv, void *arg);
CRISIS_INTERNAL void crisis_cmd_regions(hv_service *s, hv_user *from, int argc, char **argv, void *arg);
CRISIS_INTERNAL void crisis_cmd_region(hv_service *s, hv_user *from, int argc, char **argv, void *arg);

#endif
