/* mode.h — the socket-free half of MODE: turning "+ov-k a b" into a list of
 * changes, normalizing masks, and writing applied changes back out. Kept
 * apart from the handler so unit tests can drive it directly. */
#ifndef HAVEND_MODE_H
#define HAVEND_MODE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest normalized ban mask: nick!user@host with each part capped. */
#define MODE_MASK_MAX (32 + 16 + 64 + 2)

enum mode_kind {
    MODE_SET = 0,        /* an ordinary change (param set when the letter takes one) */
    MODE_LIST,           /* b/e/I without a parameter: show the list */
    MODE_UNKNOWN,        /* a letter we do not know: ERR_UNKNOWNMODE */
    MODE_NO_PARAM,       /* a letter that needs a parameter but got none */
    MODE_OVER_LIMIT,     /* a parameter mode past max_param_modes: ignored */
};

struct mode_change {
    char dir;            /* '+' or '-' */
    char letter;
    enum mode_kind kind;
    const char *param;   /* points into the caller's params, or NULL */
};

/* Does channel mode `letter` take a parameter when given with `dir`?
 * b e I o v k always (for -k the parameter is optional), l only with '+'.
 * Returns false for flag modes and unknown letters. */
bool mode_chan_takes_param(char letter, char dir);

/* Is `letter` a channel mode we know? */
bool mode_chan_known(char letter);

/* Walk `modestr` ("+ov-k", a leading sign is optional and defaults to '+')
 * against `params`, filling at most `outmax` entries of `out`. At most
 * `max_param_modes` parameter-taking changes are accepted; later ones are
 * returned as MODE_OVER_LIMIT without consuming a parameter. Returns the
 * number of entries written. */
size_t mode_parse_channel(const char *modestr, char *const *params, size_t nparams,
                          size_t max_param_modes, struct mode_change *out, size_t outmax);

/* Normalize a ban-style mask: "nick" -> "nick!*@*", "u@h" -> "*!u@h",
 * "n!u" -> "n!u@*", empty parts become "*", each part is capped (nick 32,
 * user 16, host 64) and anything from the first space on is dropped.
 * Returns false (out = "") when nothing usable is left or the mask starts
 * with ':' (it could not be sent back as a parameter). */
bool mode_normalize_mask(const char *in, char *out, size_t outlen);

/* Write applied changes, compacted, as "+ov-k a b *" into buf. Stops before
 * a change that would make the text longer than `budget` bytes (but always
 * takes at least one). Returns how many changes were written; call again
 * with the rest for a further line. Changes of kind != MODE_SET are skipped
 * (and counted as written). */
size_t mode_format_changes(const struct mode_change *c, size_t n, size_t budget,
                           char *buf, size_t len);

#endif
