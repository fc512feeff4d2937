/* harness.h — start a real havend and talk to it over loopback, for the
 * Criterion integration suites in tests/integ/.
 *
 * Every wait in here is bounded; every failure (server won't start, expected
 * line never arrives) fails the current Criterion test with the lines seen. */
#ifndef HAVEND_TEST_HARNESS_H
#define HAVEND_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#define HV_SERVER_NAME "irc.test.local"
#define HV_NETWORK "TestNet"
#define HV_TIMEOUT_MS 3000      /* default wait for an expected line (times hv_time_scale()) */

/* What to put into the generated config. Zero / NULL fields take defaults. */
struct hv_opts {
    bool tls;                   /* add a TLS listener on port 0 */
    const char *server_extra;   /* settings added inside server = { } */
    const char *extra;          /* top-level settings appended (opers, limits, privacy...) */
    const char *motd;           /* MOTD file contents; NULL: a one-line MOTD */
    bool no_motd_file;          /* do not create the MOTD file at all */
    /* Default class overrides (0 / NULL = default). */
    int max_clients, sendq, recvq, ping_freq, ping_timeout, reg_timeout, idle_timeout;
    const char *flood_mode;     /* "fakelag" or "disconnect" */
    int flood_burst, flood_rate;
    /* Per-address limits: 0 = unlimited (every test client shares 127.0.0.1). */
    int per_token, throttle_count;
};

struct hv_server {
    char dir[256];              /* temp dir holding conf, motd, log, state */
    char conf_path[320];
    char motd_path[320];
    char log_path[320];
    pid_t pid;                  /* 0 once stopped */
    int port;                   /* plain listener */
    int tls_port;               /* 0 when no TLS listener */
    int exit_status;            /* wait status after hv_stop */
    bool want_tls;
};

struct hv_client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char label[64];             /* for diagnostics */
    char in[16384];             /* partial line */
    size_t inlen;
    char **lines;               /* every line received (no CR/LF) */
    size_t nlines, cap;
    size_t cursor;              /* first line not yet consumed by an expect */
    bool eof;
    char nick[64];              /* as assigned by the server (001) */
    char user[64], host[128];   /* public user@host, when known */
};

/* Factor applied to every wait in the harness (expected lines, closes,
 * log lines, start, stop, TLS handshakes, blocked sends): HAVEND_TIME_SCALE
 * (a whole number >= 1) when set, else 4 when the server runs under
 * HAVEND_WRAPPER (valgrind is many times slower), else 1. Waits for
 * something that must happen only end sooner when it does; waits for
 * something that must not happen (hv_expect_none) take longer. */
int hv_time_scale(void);

/* ---- server ---- */
/* Write a config into a fresh temp dir, start havend, learn its ports. */
struct hv_server *hv_start(const struct hv_opts *o);
/* The two halves of hv_start: make the temp dir + config, then run havend. */
struct hv_server *hv_prepare(const struct hv_opts *o);
void hv_launch(struct hv_server *s);
/* SIGTERM, bounded wait, then SIGKILL; removes the temp dir. Returns the wait status. */
int hv_stop(struct hv_server *s);
/* Like hv_stop but keeps the server struct and temp dir (for log checks). */
int hv_stop_keep(struct hv_server *s);
void hv_free(struct hv_server *s);
/* Fail the test if the server's log shows a sanitizer/valgrind report. */
void hv_check_sanitizers(const struct hv_server *s);
/* The whole log file (malloc'd, NUL-terminated). */
char *hv_log(const struct hv_server *s);
/* Wait (bounded: ms times hv_time_scale()) until the log contains the ERE;
 * returns true if it did. */
bool hv_wait_log(const struct hv_server *s, const char *ere, int ms);
/* Replace the MOTD file contents. */
void hv_write_motd(const struct hv_server *s, const char *text);
/* Wait up to ms (times hv_time_scale()) for the server process to exit by
 * itself; true if it did. */
bool hv_wait_exit(struct hv_server *s, int ms);
/* Hash a password with `havend --mkpasswd` (malloc'd). */
char *hv_mkpasswd(const char *password);
/* Run havend with args (NULL-terminated), optional stdin; output (stdout+stderr)
 * malloc'd into *out. Returns the wait status; bounded to 10 s (times
 * hv_time_scale()). Runs under HAVEND_WRAPPER too, and fails the test when
 * the output shows a sanitizer or valgrind report. */
int hv_run(const char *const *args, const char *input, char **out);
/* Write a file (fails the test when it can't). */
void hv_write_file(const char *path, const char *text);

/* ---- clients ---- */
struct hv_client *hv_connect(const struct hv_server *s);
/* Connect with a small socket receive buffer (for SendQ tests). */
struct hv_client *hv_connect_rcvbuf(const struct hv_server *s, int bytes);
/* Connect to the TLS listener; asserts the handshake succeeds. */
struct hv_client *hv_connect_tls(const struct hv_server *s);
/* Same, presenting a client certificate (SASL EXTERNAL tests). */
struct hv_client *hv_connect_tls_cert(const struct hv_server *s, X509 *cert, EVP_PKEY *key);
/* Try a TLS handshake with exactly one protocol version; true on success.
 * *local_refusal is set when OpenSSL refused before talking to the server. */
bool hv_tls_try(int port, int version, bool *local_refusal);
void hv_close(struct hv_client *c);

/* Send one line (CRLF appended). */
void hv_send(struct hv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send raw bytes as-is. */
void hv_send_raw(struct hv_client *c, const char *buf, size_t len);
/* Read what is available within ms; returns false on EOF. */
bool hv_pump(struct hv_client *c, int ms);

/* Wait for a line matching the ERE (built with printf); consumes it and
 * every line before it. Fails the test with all lines seen on timeout. */
const char *hv_expect(struct hv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with an explicit timeout (times hv_time_scale(), as every wait below). */
const char *hv_expect_ms(struct hv_client *c, int ms, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Wait for a line exactly equal to the formatted string. */
const char *hv_expect_exact(struct hv_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Wait for numeric `num` (e.g. "433"): a line ":<server> 433 ...". */
const char *hv_expect_numeric(struct hv_client *c, const char *num);
/* Wait for ":irc.test.local <num> <middle> :<text>"; the structure is
 * asserted, the human-readable text only expected (reported, non-fatal).
 * text NULL accepts any trailing text. */
const char *hv_expect_reply(struct hv_client *c, const char *num, const char *middle, const char *text);
/* Assert no line matching the ERE arrives within ms (unconsumed lines count). */
void hv_expect_none(struct hv_client *c, int ms, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Wait for the server to close the connection. */
void hv_expect_closed(struct hv_client *c, int ms);
/* Any recorded line (consumed or not) matching the ERE, without waiting. */
const char *hv_find(const struct hv_client *c, const char *ere);
/* Round trip: PING a token and wait for its PONG, so every earlier reply is in. */
void hv_sync(struct hv_client *c);
/* Mark every line received so far as consumed. */
void hv_skip(struct hv_client *c);

/* NICK + USER, wait for 001 and end of MOTD (376/422). Returns the nick the
 * server assigned (first parameter of 001). If it differs from the one asked
 * for, the harness from then on rewrites whole-word occurrences of the
 * requested nick into the assigned one in every line sent (hv_send) and every
 * expected line or pattern (hv_expect*, hv_find), so tests may keep writing
 * the requested nick. */
const char *hv_register(struct hv_client *c, const char *nick);
const char *hv_register_full(struct hv_client *c, const char *nick, const char *user, const char *real);
/* "nick!user@host" as others see it (learned via USERHOST when needed). */
const char *hv_mask(struct hv_client *c);
/* JOIN a channel and wait for the end of its NAMES (366). */
void hv_join(struct hv_client *c, const char *chan);
/* Connect and register in one go. */
struct hv_client *hv_user(const struct hv_server *s, const char *nick);

/* ---- helpers ---- */
/* Escape ERE metacharacters (returns a pointer into a small rotating buffer). */
const char *hv_re(const char *s);
/* Split an IRC line into [source or "", command, params...]; returns the
 * count. The strings point into buf (a copy of the line). */
int hv_params(const char *line, char *buf, size_t buflen, char **params, int max);
/* Milliseconds on the monotonic clock. */
long long hv_now_ms(void);
/* Sleep ms milliseconds. */
void hv_msleep(int ms);

#endif
