/* module.h — the core's side of the module system: loading, hooks, module
 * commands, service pseudo-clients. Modules see include/havend/module.h. */
#ifndef HAVEND_MODULES_H
#define HAVEND_MODULES_H

#include "havend.h"
#include "havend/module.h"

/* Load, reload or unload modules so that the loaded set matches conf. With
 * check_only, only validate (dlopen + api + check) and report. Returns 0 or
 * -1 with reasons in err; on -1 nothing changed. */
int modules_apply(const struct config *conf, char *err, size_t errlen);
/* Validate the modules a config names without keeping them (havend -t). */
int modules_check(const struct config *conf, char *err, size_t errlen);
void modules_unload_all(void);

/* Run the hooks of ev->type; HV_BLOCK if a hook that may block did. */
enum hv_verdict hooks_run(struct hv_event *ev);
/* True when any hook of this type is registered (skip building events). */
bool hooks_any(enum hv_hook type);
/* Convenience: run a non-blocking notification hook. */
void hooks_notify(enum hv_hook type, struct client *u, struct client *target, struct channel *ch,
                  const char *text, const char *old_nick);

/* Is this (upper-case) command a module command marked urgent? */
bool command_is_urgent(const char *name);
/* Run a module command for a registered user; false if no such command. */
bool module_command_dispatch(struct client *u, struct message *m);

/* Deliver a PRIVMSG/NOTICE addressed to a service; true if `to` is one. */
bool service_deliver(struct client *from, struct client *to, const char *command, const char *text);

/* The i-th ISUPPORT token modules added, or NULL past the end. */
const char *modules_isupport_at(size_t i);
/* Lines modules added to the MOTD (joined with '\n'), or NULL. */
const char *modules_motd_extra(void);

#endif
