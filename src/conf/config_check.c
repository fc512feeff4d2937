/* config_check.c — value checks and file helpers for the config loader.
 *
 * Kept apart from config.c so that the loader reads as "which settings
 * exist", and this file as "what a valid value looks like".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "havend.h"
#include "conf/config_check.h"

#define SCAN_FILE_MAX (4 * 1024 * 1024)

/* Read a whole file (bounded, so a wrong path like /dev/zero cannot eat
 * memory); directories are refused up front. */
int config_read_whole(const char *path, size_t max, char **out, size_t *outlen)
{
    struct stat st;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return EISDIR;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? 0 : ENOMEM;
    while (rc == 0) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            rc = ferror(f) ? EIO : 0;
            break;
        }
        if (len > max) {
            rc = EFBIG;
        } else if (len == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                rc = ENOMEM;
            else
                buf = nb, cap *= 2;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return 0;
}

/* Hostname-ish: labels of [A-Za-z0-9-], no empty label, no '-' at a label edge. */
static bool is_hostname(const char *v, size_t max)
{
    size_t len = strlen(v), label = 0;
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i <= len; i++) {
        char c = v[i];
        if (c == '.' || c == '\0') {
            if (label == 0 || v[i - 1] == '-')
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            label++;
        } else {
            return false;
        }
    }
    return true;
}

/* Server name: a hostname with at least one dot (so it never looks like a nick). */
const char *chk_servername(const char *v)
{
    return is_hostname(v, HOST_MAX - 1) && strchr(v, '.') ? NULL
           : "must be a hostname containing a '.', like irc.example.org";
}

/* TS6 server ID: a digit then two of [0-9A-Z]. */
const char *chk_sid(const char *v)
{
    bool ok = strlen(v) == SID_LEN && v[0] >= '0' && v[0] <= '9';
    for (size_t i = 1; ok && i < SID_LEN; i++)
        ok = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'Z');
    return ok ? NULL : "must be a digit followed by two digits or capital letters, like 0HV";
}

/* True when v has no control characters (they would break IRC lines). */
static bool is_printable(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* Free text that ends up in a reply: one line, bounded. */
const char *chk_text(const char *v)
{
    return strlen(v) <= TEXT_MAX_LEN && is_printable(v) ? NULL
           : "must be at most 200 characters with no control characters";
}

/* Network name (ISUPPORT NETWORK=): one token. */
const char *chk_network(const char *v)
{
    return *v && strlen(v) <= 32 && is_printable(v) && !strchr(v, ' ') ? NULL
           : "must be 1 to 32 characters without spaces";
}

/* Class and oper names: one printable token. */
const char *chk_name(const char *v)
{
    return *v && strlen(v) <= NAME_MAX_LEN && is_printable(v) && !strchr(v, ' ') ? NULL
           : "must be 1 to 63 characters without spaces";
}

/* A password hash made by havend --mkpasswd. */
const char *chk_hash(const char *v)
{
    return passwd_hash_valid(v) ? NULL
           : "not a valid password hash ($pbkdf2-sha256$<iter>$<salt>$<hash>); make one with havend --mkpasswd";
}

/* A file or directory name (resolved later). */
const char *chk_path(const char *v)
{
    return *v ? NULL : "must not be empty";
}

/* The public username shown for everyone. */
const char *chk_username(const char *v)
{
    size_t len = strlen(v);
    bool ok = len >= 1 && len <= USER_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
             (v[i] >= '0' && v[i] <= '9') || strchr("-_.", v[i]);
    return ok ? NULL : "must be 1 to 16 of A-Z a-z 0-9 - _ .";
}

/* The public realname shown for everyone. */
const char *chk_realname(const char *v)
{
    return *v && strlen(v) <= REAL_MAX && is_printable(v) ? NULL
           : "must be 1 to 64 characters with no control characters";
}

/* The domain part of cloaked hosts. */
const char *chk_cloak(const char *v)
{
    return is_hostname(v, CLOAK_SUFFIX_MAX) ? NULL
           : "must be a hostname suffix of at most 40 characters, like users.example.org";
}

/* A listen address: a numeric IPv4 or IPv6 address. */
const char *chk_address(const char *v)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1 ? NULL
           : "must be a numeric IPv4 or IPv6 address, like 127.0.0.1 or ::";
}

/* libconfig 1.5 converts a decimal literal without an L suffix with atoi(),
 * so "sendq = 5000000000;" would silently become another number. Scan the
 * raw text (outside strings and comments) for such literals. */
void config_scan_int_literals(const char *file, int_literal_fn fn, void *arg)
{
    char *b = NULL;
    size_t n = 0;
    if (config_read_whole(file, SCAN_FILE_MAX, &b, &n) != 0)
        return;                   /* libconfig read it; nothing more to learn */
    unsigned line = 1;
    const char *ident = "", *ident_end = ident;
    for (size_t i = 0; i < n;) {
        char ch = b[i], nx = b[i + 1];  /* b[n] is '\0' */
        if (ch == '\n') {
            line++, i++;
        } else if (ch == '#' || (ch == '/' && nx == '/')) {
            while (i < n && b[i] != '\n')
                i++;
        } else if (ch == '/' && nx == '*') {
            for (i += 2; i < n && !(b[i] == '*' && b[i + 1] == '/'); i++)
                line += b[i] == '\n';
            i += 2;
        } else if (ch == '"') {
            for (i++; i < n && b[i] != '"'; i++) {
                if (b[i] == '\\' && i + 1 < n)
                    i++;
                line += b[i] == '\n';
            }
            i++;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '*') {
            ident = b + i;
            while (i < n && ((b[i] && strchr("-_*", b[i])) || (b[i] >= 'a' && b[i] <= 'z') ||
                             (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9')))
                i++;
            ident_end = b + i;
        } else if (ch == '.') {
            for (i++; i < n && b[i] && strchr("0123456789eE+-", b[i]); i++)
                ;                 /* the tail of a float */
        } else if ((ch >= '0' && ch <= '9') || ((ch == '-' || ch == '+') && nx >= '0' && nx <= '9')) {
            size_t start = i;
            bool hex = false;
            i += ch == '-' || ch == '+';
            if (b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X')) {
                hex = true;
                for (i += 2; i < n && b[i] && strchr("0123456789abcdefABCDEF", b[i]); i++)
                    ;
            } else {
                while (i < n && b[i] >= '0' && b[i] <= '9')
                    i++;
                if (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
                    while (i < n && b[i] && strchr("0123456789eE+-.", b[i]))
                        i++;      /* a float: never truncated */
                    continue;
                }
            }
            if (b[i] == 'L') {
                while (b[i] == 'L')
                    i++;          /* explicit 64-bit literal */
                continue;
            }
            errno = 0;
            long long v = hex ? (long long)strtoull(b + start, NULL, 16) : strtoll(b + start, NULL, 10);
            if (errno == ERANGE || v > INT_MAX || v < INT_MIN || (hex && v < 0)) {
                char name[64], lit[64];
                snprintf(name, sizeof name, "%.*s", (int)(ident_end - ident), ident);
                snprintf(lit, sizeof lit, "%.*s", (int)(i - start), b + start);
                fn(arg, line, *name ? name : "value", lit);
            }
        } else {
            i++;
        }
    }
    free(b);
}
