/* parse.h — one IRC line into slices of itself, without allocating. */
#ifndef HAVEND_PARSE_H
#define HAVEND_PARSE_H

#include <stddef.h>

#define MSG_MAX_PARAMS 15

/* A parsed line. All pointers point into the caller's line buffer, which the
 * parser NUL-terminates in place. `tags` is the raw tag section without '@'
 * (NULL when absent); unescape with tags_get(). */
struct message {
    char *tags;
    char *source;              /* without ':' (NULL when absent) */
    char *command;             /* upper-cased in place */
    char *params[MSG_MAX_PARAMS];
    unsigned nparams;
    int trailing;              /* index of the param given with ':' or -1 */
};

enum parse_result {
    PARSE_OK = 0,
    PARSE_EMPTY,               /* blank line: ignore silently */
    PARSE_NO_COMMAND,          /* tags/source but no command */
    PARSE_BAD_TAGS,            /* tag section malformed */
};

/* Parse `line` (no CR/LF) in place. */
enum parse_result message_parse(char *line, struct message *m);

/* Find a tag's value, unescaped into out. Returns 1 if present, 0 if not. */
int tags_get(const char *tags, const char *key, char *out, size_t outlen);

#endif
