/* config_check.h — private helpers of the config loader (src/conf/ only):
 * value checks, whole-file reads and a guard against a libconfig 1.5 bug. */
#ifndef HAVEND_CONFIG_CHECK_H
#define HAVEND_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN 63               /* class and oper names (conn.class_name[64]) */
#define TEXT_MAX_LEN 200              /* description and admin lines */
#define CLOAK_SUFFIX_MAX 40           /* leaves room for the random part in HOST_MAX */

/* A string check: NULL when the value is fine, else the reason. */
typedef const char *(*str_check)(const char *v);

const char *chk_servername(const char *v);  /* hostname with a '.' */
const char *chk_sid(const char *v);         /* TS6 SID */
const char *chk_text(const char *v);        /* one printable line, <= 200 bytes */
const char *chk_network(const char *v);     /* one token, <= 32 bytes */
const char *chk_name(const char *v);        /* class/oper name */
const char *chk_hash(const char *v);        /* passwd_hash_valid() */
const char *chk_path(const char *v);        /* non-empty */
const char *chk_username(const char *v);    /* public username */
const char *chk_realname(const char *v);    /* public realname */
const char *chk_cloak(const char *v);       /* cloak host suffix */
const char *chk_address(const char *v);     /* numeric IPv4/IPv6 */
const char *chk_certfp(const char *v);      /* SHA-256 fingerprint: 64 hex digits, colons allowed */
/* A valid certfp as 64 lowercase hex digits without colons; false if invalid. */
bool certfp_normalize(const char *v, char out[65]);

/* Read a whole file of at most max bytes into a malloc'd NUL-terminated
 * buffer. Returns 0, an errno value, or EFBIG when it is larger than max. */
int config_read_whole(const char *path, size_t max, char **out, size_t *outlen);

/* Pre-check a config file before libconfig parses it, working around
 * libconfig 1.5 bugs (see config_check.c). Each problem found is passed to
 * fn(arg, file, line, setting or NULL, message). Returns false when
 * libconfig must not parse the file (it would leak or exit()); the
 * problems reported then explain why. */
typedef void (*precheck_fn)(void *arg, const char *file, unsigned line, const char *setting,
                            const char *msg);
bool config_precheck(const char *path, const char *include_dir, precheck_fn fn, void *arg);

#endif
