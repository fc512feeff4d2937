/* config_check.c — value checks and file helpers for the config loader.
 *
 * Kept apart from config.c so that the loader reads as "which settings
 * exist", and this file as "what a valid value looks like".
 */
#include <arpa/inet.h>
#include <ctype.h>
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

/* A SHA-256 fingerprint as written by staff (any case, colons anywhere)
 * into 64 lowercase hex digits; false when it is not one. */
bool certfp_normalize(const char *v, char out[65])
{
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p == ':')
            continue;
        bool hex = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F');
        if (!hex || n == 64)
            return false;
        out[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    out[n] = '\0';
    return n == 64;
}

/* opers[].certfp: see certfp_normalize. */
const char *chk_certfp(const char *v)
{
    char fp[65];
    return certfp_normalize(v, fp) ? NULL : "must be a SHA-256 fingerprint: 64 hex digits, colons allowed";
}

/* ------------------------------------------------------------ pre-check
 *
 * Two libconfig 1.5 bugs make us read the file once ourselves first:
 *  - a decimal literal without an L suffix goes through atoi(), so
 *    "sendq = 5000000000;" silently becomes another number;
 *  - a syntax error whose offending token is a string leaks that string
 *    (e.g. `name "x";` or a stray "..." where a setting name belongs);
 *  - `@include` of a directory makes its scanner call exit().
 * So we lex the text like libconfig does and run its (tiny, LL(1)) grammar:
 * overflowing literals are reported, and a syntax error at a string or an
 * include that is not a readable regular file is reported by us without
 * calling libconfig. Any other error is left for libconfig to report. */

enum { T_EOF, T_NAME, T_STRING, T_SCALAR, T_PUNCT, T_STOP };

#define PRE_MAX_INCLUDE 10            /* libconfig's own include depth limit */
#define PRE_MAX_NEST 200              /* deeper nesting: leave it to libconfig */

struct pre_src {
    char *buf, *label;
    size_t n, i;
    unsigned line;
};

struct pre {
    struct pre_src src[PRE_MAX_INCLUDE + 1];
    int depth;
    const char *dir;
    precheck_fn fn;
    void *arg;
    int kind;                 /* current token */
    char punct;
    unsigned line;
    const char *label;
    bool pushed;              /* current token was pushed back */
    bool fatal;               /* reported here: libconfig must not parse */
    unsigned fail_line;       /* where the grammar failed (0: it did not) */
    char fail_label[256];
    char name[64];            /* the last setting name seen */
};

/* Open a file as the next source; 0 or an errno value (ELOOP: too deep). */
static int pre_push(struct pre *P, const char *path, const char *label)
{
    struct stat st;
    if (P->depth + 1 > PRE_MAX_INCLUDE)
        return ELOOP;
    if (stat(path, &st) != 0)
        return errno;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    struct pre_src *s = &P->src[P->depth + 1];
    memset(s, 0, sizeof *s);
    int rc = config_read_whole(path, SCAN_FILE_MAX, &s->buf, &s->n);
    if (rc)
        return rc;
    if (memchr(s->buf, '\0', s->n)) {   /* libconfig stops at a NUL, or exit()s (found by fuzzing) */
        free(s->buf);
        return EBADMSG;
    }
    s->label = strdup(label);
    if (!s->label) {
        free(s->buf);
        return ENOMEM;
    }
    s->line = 1;
    P->depth++;
    return 0;
}

/* Report a problem found here (libconfig will then not see the file). */
static void pre_report(struct pre *P, const char *setting, const char *msg)
{
    P->fn(P->arg, P->label, P->line, setting, msg);
}

/* Handle "@include "file"" at s->i (at the start of a line, as libconfig
 * requires); the path is include_dir + "/" + file, as libconfig builds it.
 * False when this is no include directive or it cannot be followed. */
static bool pre_include(struct pre *P, struct pre_src *s)
{
    const char *b = s->buf + s->i;
    if (strncmp(b, "@include", 8) != 0 || (b[8] != ' ' && b[8] != '\t'))
        return false;
    const char *q = b + 8;
    while (*q == ' ' || *q == '\t')
        q++;
    const char *end = *q == '"' ? strchr(q + 1, '"') : NULL;
    if (!end || memchr(q, '\n', (size_t)(end - q)))
        return false;
    char *name = strndup(q + 1, (size_t)(end - q - 1)), *path = NULL;
    int rc = name && asprintf(&path, "%s/%s", P->dir, name) >= 0 ? 0 : ENOMEM;
    s->i = (size_t)(end + 1 - s->buf);
    rc = rc ? rc : pre_push(P, path, name);
    if (rc) {
        char msg[300] = "include file nesting too deep";
        if (rc == EBADMSG)
            snprintf(msg, sizeof msg, "include file \"%.200s\" contains a NUL byte: not a text file",
                     name ? name : "");
        else if (rc != ELOOP)
            snprintf(msg, sizeof msg, "cannot open include file \"%.200s\": %s",
                     name ? name : "", strerror(rc));
        P->fatal = true;
        pre_report(P, NULL, msg);
    }
    free(name);
    free(path);
    return rc == 0;
}

/* End of an optional exponent [eE][-+]?[0-9]+ starting at b[k] (k if none). */
static size_t pre_exponent(const char *b, size_t k)
{
    if (b[k] != 'e' && b[k] != 'E')
        return k;
    size_t j = k + 1 + (b[k + 1] == '+' || b[k + 1] == '-');
    if (b[j] < '0' || b[j] > '9')
        return k;
    while (b[j] >= '0' && b[j] <= '9')
        j++;
    return j;
}

/* A number token starting at b, cut exactly as libconfig's scanner does
 * (longest of: [-+]?[0-9]+ with optional L/LL, 0x hex with optional L/LL,
 * and its two float forms), so that both see the same tokens (fuzzing found
 * "111e" read as one float here but as 111 and a name by libconfig, whose
 * later error then leaked). Reports an int literal libconfig 1.5 would
 * truncate; returns the length (0: not a number). */
static size_t pre_number(struct pre *P, const char *b)
{
    if (b[0] == '0' && (b[1] == 'x' || b[1] == 'X') && isxdigit((unsigned char)b[2])) {
        size_t len = 2;
        while (isxdigit((unsigned char)b[len]))
            len++;
        if (b[len] == 'L')
            return len + (b[len + 1] == 'L' ? 2 : 1);
        errno = 0;
        unsigned long long v = strtoull(b, NULL, 16);
        if (errno == ERANGE || v > INT_MAX) {
            char msg[200];
            snprintf(msg, sizeof msg, "integer %.*s does not fit in 32 bits; write it with an L suffix (%.*sL)",
                     (int)(len > 40 ? 40 : len), b, (int)(len > 40 ? 40 : len), b);
            pre_report(P, *P->name ? P->name : "value", msg);
        }
        return len;
    }
    size_t sign = b[0] == '+' || b[0] == '-', d = sign;
    while (b[d] >= '0' && b[d] <= '9')
        d++;
    size_t intlen = d > sign ? d : 0, flt = 0;
    if (b[d] == '.') {                    /* [-+]?[0-9]*\.[0-9]*([eE][-+]?[0-9]+)? */
        size_t k = d + 1;
        while (b[k] >= '0' && b[k] <= '9')
            k++;
        flt = pre_exponent(b, k);
    } else if (intlen && pre_exponent(b, d) > d) {   /* [-+]?[0-9]+[eE][-+]?[0-9]+ */
        flt = pre_exponent(b, d);
    }
    size_t int64 = intlen && b[intlen] == 'L' ? intlen + (b[intlen + 1] == 'L' ? 2 : 1) : 0;
    if (flt >= intlen && flt >= int64)
        return flt;
    if (int64)
        return int64;
    errno = 0;
    long long v = strtoll(b, NULL, 10);
    if (errno == ERANGE || v > INT_MAX || v < INT_MIN) {
        char msg[200];
        snprintf(msg, sizeof msg, "integer %.*s does not fit in 32 bits; write it with an L suffix (%.*sL)",
                 (int)(intlen > 40 ? 40 : intlen), b, (int)(intlen > 40 ? 40 : intlen), b);
        pre_report(P, *P->name ? P->name : "value", msg);
    }
    return intlen;
}

/* Read the next token into P (kind, punct, line, label). */
static void pre_next(struct pre *P)
{
    if (P->pushed) {
        P->pushed = false;
        return;
    }
    for (;;) {
        struct pre_src *s = &P->src[P->depth];
        if (s->i >= s->n) {
            if (P->depth == 0) {
                P->kind = T_EOF;
                return;
            }
            free(s->buf), free(s->label);
            P->depth--;
            continue;
        }
        const char *b = s->buf + s->i;
        char ch = b[0], nx = b[1];
        P->line = s->line;
        P->label = s->label;
        if (ch == '\n') {
            s->line++, s->i++;
        } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v') {
            s->i++;
        } else if (ch == '@') {
            size_t k = s->i;
            while (k > 0 && (s->buf[k - 1] == ' ' || s->buf[k - 1] == '\t'))
                k--;
            if ((k > 0 && s->buf[k - 1] != '\n') || !pre_include(P, s)) {
                s->i++;
                break;        /* not an include we can follow */
            }
        } else if (ch == '#' || (ch == '/' && nx == '/')) {
            while (s->i < s->n && s->buf[s->i] != '\n')
                s->i++;
        } else if (ch == '/' && nx == '*') {
            for (s->i += 2; s->i < s->n && !(s->buf[s->i] == '*' && s->buf[s->i + 1] == '/'); s->i++)
                s->line += s->buf[s->i] == '\n';
            s->i += 2;
        } else if (ch == '"') {
            for (s->i++; s->i < s->n && s->buf[s->i] != '"'; s->i++) {
                if (s->buf[s->i] == '\\' && s->i + 1 < s->n)
                    s->i++;
                s->line += s->buf[s->i] == '\n';
            }
            if (s->i++ >= s->n)
                continue;         /* unterminated at the end: libconfig drops it */
            P->kind = T_STRING;
            P->line = s->line;    /* libconfig reports the line a string ends on */
            return;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '*') {
            size_t len = 1;
            while (b[len] && ((b[len] >= 'a' && b[len] <= 'z') || (b[len] >= 'A' && b[len] <= 'Z') ||
                              (b[len] >= '0' && b[len] <= '9') || strchr("-_*", b[len])))
                len++;
            s->i += len;
            bool boolean = (len == 4 && strncasecmp(b, "true", 4) == 0) ||
                           (len == 5 && strncasecmp(b, "false", 5) == 0);
            if (!boolean)
                snprintf(P->name, sizeof P->name, "%.*s", (int)len, b);
            P->kind = boolean ? T_SCALAR : T_NAME;
            return;
        } else if ((ch >= '0' && ch <= '9') || ch == '.' ||
                   ((ch == '-' || ch == '+') && ((nx >= '0' && nx <= '9') || nx == '.'))) {
            size_t n = pre_number(P, b);
            s->i += n ? n : 1;
            if (!n)
                break;        /* no number after all: libconfig fails here too */
            P->kind = T_SCALAR;
            return;
        } else if (ch && strchr("=:;,{}()[]", ch)) {
            s->i++;
            P->kind = T_PUNCT;
            P->punct = ch;
            return;
        } else {
            s->i++;
            break;            /* a character we do not know */
        }
    }
    P->kind = T_STOP;
}

/* The current token breaks the grammar: report it if it is a string (the
 * case libconfig leaks on); otherwise libconfig will report it. */
static bool pre_fail(struct pre *P)
{
    if (P->kind == T_STRING && !P->fatal) {
        P->fatal = true;
        pre_report(P, NULL, "syntax error");
    } else if (!P->fail_line) {
        P->fail_line = P->line;
        snprintf(P->fail_label, sizeof P->fail_label, "%s", P->label ? P->label : "");
    }
    return false;
}

static bool pre_value(struct pre *P, int nest);

/* settings: (NAME (=|:) value [;|,])* up to EOF (root) or '}' (group). */
static bool pre_settings(struct pre *P, int nest, char close)
{
    for (;;) {
        pre_next(P);
        if (close == 0 && P->kind == T_EOF)
            return true;
        if (close && P->kind == T_PUNCT && P->punct == close)
            return true;
        if (P->kind != T_NAME)
            return pre_fail(P);
        pre_next(P);
        if (P->kind != T_PUNCT || (P->punct != '=' && P->punct != ':'))
            return pre_fail(P);
        pre_next(P);
        if (!pre_value(P, nest))
            return false;
        pre_next(P);
        if (!(P->kind == T_PUNCT && (P->punct == ';' || P->punct == ',')))
            P->pushed = true;     /* the terminator is optional */
    }
}

/* value: scalar | string+ | [ scalars ] | ( values ) | { settings }. */
static bool pre_value(struct pre *P, int nest)
{
    if (nest > PRE_MAX_NEST)
        return false;
    if (P->kind == T_SCALAR)
        return true;
    if (P->kind == T_STRING) {
        do
            pre_next(P);
        while (P->kind == T_STRING);   /* adjacent strings concatenate */
        P->pushed = true;
        return true;
    }
    if (P->kind != T_PUNCT)
        return pre_fail(P);
    if (P->punct == '{')
        return pre_settings(P, nest + 1, '}');
    if (P->punct != '[' && P->punct != '(')
        return pre_fail(P);
    char close = P->punct == '[' ? ']' : ')';
    pre_next(P);
    if (P->kind == T_PUNCT && P->punct == close)
        return true;
    for (;;) {
        if (close == ']' && P->kind != T_SCALAR && P->kind != T_STRING)
            return pre_fail(P);   /* arrays hold scalars only */
        if (!pre_value(P, nest + 1))
            return false;
        pre_next(P);
        if (P->kind == T_PUNCT && P->punct == close)
            return true;
        if (!(P->kind == T_PUNCT && P->punct == ','))
            return pre_fail(P);
        pre_next(P);
    }
}

/* Pre-check a config file (see above). Returns false when it found a
 * syntax error itself, in which case libconfig must not parse the file. */
bool config_precheck(const char *path, const char *include_dir, precheck_fn fn, void *arg)
{
    struct pre P = { .depth = -1, .dir = include_dir, .fn = fn, .arg = arg };
    int rc = pre_push(&P, path, path);
    if (rc == EBADMSG) {
        fn(arg, path, 0, NULL, "contains a NUL byte: not a text file");
        return false;
    }
    if (rc != 0)
        return true;              /* libconfig reports why it cannot read it */
    if (!pre_settings(&P, 0, 0) && !P.fatal) {
        /* libconfig will report this error; still look at every include
         * it could reach, and at the remaining literals */
        while (P.kind != T_EOF && !P.fatal)
            pre_next(&P);
        if (P.fatal && P.fail_line)   /* so libconfig's error is not lost */
            fn(arg, P.fail_label, P.fail_line, NULL, "syntax error");
    }
    for (; P.depth >= 0; P.depth--)
        free(P.src[P.depth].buf), free(P.src[P.depth].label);
    return !P.fatal;
}
