/* help.h — HELP topics: built-in text for the core commands, plus topics
 * that modules add at runtime (so a module's command gets real help).
 *
 * A topic's text is one or more lines separated by '\n'; the first line is
 * the syntax ("PRIVMSG <target>[,<target>] :<text>"), the rest explain it.
 * Names are matched case-insensitively. */
#ifndef HAVEND_HELP_H
#define HAVEND_HELP_H

/* Add or replace a topic. Both strings are copied. A registered topic takes
 * precedence over a built-in one of the same name. Returns 0, or -1 on a
 * bad name (empty, contains a space, longer than 32 bytes) or out of memory. */
int help_register(const char *name, const char *text);

/* Remove a registered topic (e.g. on module unload). Built-in topics stay.
 * Returns 0 when a topic was removed, -1 when there was none. */
int help_unregister(const char *name);

/* The text of a topic: registered first, then built-in; NULL when none. */
const char *help_lookup(const char *name);

/* Free every registered topic (shutdown). */
void help_clear(void);

#endif
