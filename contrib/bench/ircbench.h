/* ircbench.h — the load generator's shared types: options, connections,
 * counters, the latency histogram and the small JSON writer.
 *
 * One process, one thread, one epoll set: every client is a non-blocking
 * socket with its own read buffer and a small pending-output buffer. */
#ifndef IRCBENCH_H
#define IRCBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define NICK_LEN 31             /* longest nick we keep (server-assigned ones too) */
#define RBUF_SIZE 8192          /* per-connection read buffer: partial lines only */
#define WBUF_MAX 65536          /* pending output per connection before we drop */
#define MAX_LADDER 16           /* rungs on a --ladder */
#define MAX_CHANNELS 256        /* --channels entries */
#define HIST_BUCKETS 4096       /* log-linear buckets, see stats.c */

enum scenario { SC_NONE, SC_CONNECT, SC_IDLE, SC_FANOUT, SC_PRIVMSG };

/* Command-line options (defaults in main.c). */
struct opts {
    enum scenario scenario;
    struct sockaddr_in addr;    /* always 127.0.0.0/8 */
    char host[64];
    int port;
    int n;                      /* connect/idle: clients */
    int c;                      /* registrations in flight */
    int k;                      /* idle: channels */
    int m;                      /* fanout: members */
    int s;                      /* fanout: senders */
    int p;                      /* privmsg: pairs */
    double ladder[MAX_LADDER];  /* messages/s per sender, one step each */
    int nladder;
    double duration;            /* seconds per step */
    double drain;               /* seconds to wait for stragglers after a step */
    double settle;              /* seconds of quiet before measuring */
    double timeout;             /* seconds allowed for setup (connect, join) */
    double deadline_ms;         /* a delivery later than this is not "in time" */
    double p99_limit_ms;        /* a step passes only under this p99 */
    double min_ratio;           /* and with at least this share delivered in time */
    int size;                   /* bytes of message text */
    bool ladder_all;            /* keep climbing after a failed step */
    int pid;                    /* server pid: RSS and CPU from /proc */
    char channel_prefix[40];
    char *channels[MAX_CHANNELS];
    int nchannels;
    char oper[128];             /* "name:password" to OPER senders with */
    char umode[32];             /* user mode senders set after OPER, e.g. "+F" */
    char label[64];             /* server name for the JSON and the summary */
    char summary[512];          /* file to append TSV summary lines to */
    bool quiet;
};

/* Connection states. */
enum cstate { CS_UNUSED, CS_CONNECTING, CS_REG, CS_READY, CS_CLOSED };

struct conn {
    int fd;
    int id;
    uint8_t state;
    bool inflight;              /* counts against -c until registration ends */
    bool registered;            /* 001 seen */
    bool ready;                 /* end of MOTD (376/422) seen */
    bool joined;                /* 366 for our channel seen */
    bool join_failed;
    bool sender;                /* sends messages in this scenario */
    bool epollout;              /* EPOLLOUT currently requested */
    uint8_t nick_tries;
    int chan;                   /* channel index to join, or -1 */
    int partner;                /* privmsg: the other half of the pair */
    char nick[NICK_LEN + 1];
    char *rbuf;
    uint32_t rlen;
    char *wbuf;
    uint32_t wlen;
    int64_t t_open, t_001, t_ready;
};

/* A log-linear histogram of microseconds (about 1% resolution). */
struct hist {
    uint64_t count;
    uint64_t max;
    uint64_t b[HIST_BUCKETS];
};

/* Everything the run shares: the options, connections and counters. */
struct bench {
    struct opts o;
    int epfd;
    struct conn *conns;
    int nconns;
    int inflight;
    bool quitting;              /* teardown: EOFs are no longer disconnects */
    volatile int stop;          /* SIGINT/SIGTERM */
    void (*on_ready)(struct conn *c);   /* scenario hook: registration ended */
    void (*on_joined)(struct conn *c);  /* scenario hook: 366 */

    /* whole-run counters */
    uint64_t connect_errors, reg_failed, disconnects, registered, ready, joined, join_failed;
    uint64_t error_numerics, nick_retries, long_lines;
    char first_disconnect[160];
    char first_error[160];

    /* the current measurement step: messages carry its number */
    unsigned step;
    uint64_t rx, rx_in_time, rx_late, rx_stale, rx_other;
    int64_t deadline_ns;
    struct hist lat;
};

extern struct bench B;

/* net.c */
int64_t now_ns(void);
int net_init(int maxconns);
void net_free(void);
bool conn_open(struct conn *c);
void conn_close(struct conn *c, const char *why, bool is_disconnect);
bool conn_write(struct conn *c, const char *buf, size_t len);
bool conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int net_poll(int timeout_ms);
void net_quit_all(int timeout_ms);
int open_clients(int first, int n, int inflight, int64_t deadline);
bool run_until(bool (*done)(void), int64_t deadline);
void run_for(int64_t ns);
void make_nick(char *buf, size_t len, int id, int try);

/* stats.c */
void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t us);
double hist_pct_ms(const struct hist *h, double pct);
long proc_rss_kib(int pid);
double proc_cpu_seconds(int pid);
double self_cpu_seconds(void);

struct json {
    char *buf;
    size_t len, cap;
    bool need_comma;
};
void json_open(struct json *j, char kind);
void json_close(struct json *j, char kind);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *key, const char *v);
void json_num(struct json *j, const char *key, double v);
void json_int(struct json *j, const char *key, long long v);
void json_bool(struct json *j, const char *key, bool v);
void summary_line(const char *scenario, const char *metric, double v, const char *unit, bool higher_better);

/* scenarios.c */
int scenario_connect(struct json *j);
int scenario_idle(struct json *j);
int scenario_fanout(struct json *j);
int scenario_privmsg(struct json *j);

/* main.c */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
