/* main.c — ircbench's command line: options, the loopback-only rule, the
 * file-descriptor limit, hard time limits, two helpers for scripts
 * (--free-port, --wait-port), and the one JSON object it prints last.
 *
 * Human-readable progress goes to stderr; stdout carries only the final
 * JSON line, so `ircbench ... > result.json` is all a script needs. */
#include "ircbench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int64_t t_start;

/* A progress line on stderr, stamped with seconds since start. */
void say(const char *fmt, ...)
{
    if (B.o.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%7.2fs] ", (double)(now_ns() - t_start) / 1e9);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Print the usage text to f. */
static void usage(FILE *f)
{
    fputs("usage: ircbench --port PORT --scenario connect|idle|fanout|privmsg [options]\n"
          "       ircbench --free-port            print a free TCP port on 127.0.0.1\n"
          "       ircbench --port P --wait-port   wait (--timeout s) until 127.0.0.1:P accepts\n"
          "\n"
          "  --host ADDR          server address; only 127.0.0.0/8 (or localhost) [127.0.0.1]\n"
          "  --port PORT          server port (required)\n"
          "  --scenario NAME      connect, idle, fanout or privmsg\n"
          "  -n N                 connect/idle: clients [10000]\n"
          "  -c C                 registrations in flight at once [100]\n"
          "  -k K                 idle: channels the clients spread over [10]\n"
          "  -m M                 fanout: channel members [1000]\n"
          "  -s S                 fanout: members that send [100]\n"
          "  -p P                 privmsg: pairs [1000]\n"
          "  -r R                 one rate (messages/s per sender) instead of a ladder\n"
          "  --ladder LIST        rates to climb, e.g. \"0.5,1,2,4,8,16\" [that]\n"
          "  --ladder-all         keep climbing after a failed rung\n"
          "  --duration S         seconds per rung [10]\n"
          "  --drain S            seconds to wait for late deliveries after a rung [2]\n"
          "  --settle S           quiet seconds before measuring / between rungs [1]\n"
          "  --timeout S          seconds allowed for connecting and joining [120]\n"
          "  --deadline-ms MS     a delivery later than this is not \"in time\" [1000]\n"
          "  --p99-limit-ms MS    a rung passes only with p99 below this [200]\n"
          "  --min-ratio F        ... and with this share of offered delivered in time [0.95]\n"
          "  --size BYTES         message text length [64]\n"
          "  --pid PID            server process: RSS (idle) and CPU use from /proc\n"
          "  --channel-prefix P   channel names P0, P1, ... [#bench]\n"
          "  --channels LIST      use these existing channels instead (comma-separated)\n"
          "  --oper NAME:PASS     senders OPER first (servers that lift flood limits for opers)\n"
          "  --umode MODES        senders then set these user modes, e.g. +F (ngircd)\n"
          "  --label NAME         server label for the JSON and the summary file\n"
          "  --summary FILE       append TSV summary lines (for run.sh's table)\n"
          "  --quiet              no progress lines on stderr\n",
          f);
}

/* Parse "0.5,1,2" into the ladder; false on junk. */
static bool parse_ladder(const char *s)
{
    B.o.nladder = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v > 0) || v > 1e6 || B.o.nladder >= MAX_LADDER)
            return false;
        B.o.ladder[B.o.nladder++] = v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return false;
    }
    return B.o.nladder > 0;
}

static char *channels_copy;

/* Split a comma-separated channel list (kept in a private copy). */
static bool parse_channels(const char *s)
{
    free(channels_copy);
    char *copy = channels_copy = strdup(s);
    if (!copy)
        return false;
    B.o.nchannels = 0;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (B.o.nchannels >= MAX_CHANNELS || strlen(t) > 50)
            return false;
        B.o.channels[B.o.nchannels++] = t;
    }
    return B.o.nchannels > 0;
}

/* Resolve --host: only loopback (127.0.0.0/8) is ever a target. */
static bool set_host(const char *h)
{
    if (strcmp(h, "localhost") == 0)
        h = "127.0.0.1";
    struct in_addr a;
    if (inet_pton(AF_INET, h, &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        return false;
    snprintf(B.o.host, sizeof B.o.host, "%s", h);
    B.o.addr.sin_family = AF_INET;
    B.o.addr.sin_addr = a;
    return true;
}

/* An integer option in [lo, hi], or exit with a message. */
static int int_arg(const char *name, const char *v, int lo, int hi)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end || x < lo || x > hi) {
        fprintf(stderr, "ircbench: %s must be an integer in %d..%d (got \"%s\")\n", name, lo, hi, v);
        exit(2);
    }
    return (int)x;
}

/* A number option in [lo, hi], or exit with a message. */
static double num_arg(const char *name, const char *v, double lo, double hi)
{
    char *end;
    double x = strtod(v, &end);
    if (*v == '\0' || *end || !(x >= lo && x <= hi)) {
        fprintf(stderr, "ircbench: %s must be a number in %g..%g (got \"%s\")\n", name, lo, hi, v);
        exit(2);
    }
    return x;
}

/* Raise the soft descriptor limit to the hard one; say so if even that is
 * not enough for `need` connections. */
static bool raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return true;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need + 32) {
        fprintf(stderr,
                "ircbench: the open-file limit is %llu (hard limit) but %d connections need %d: raise it "
                "(ulimit -Hn, or LimitNOFILE / limits.conf) or use fewer clients\n",
                (unsigned long long)rl.rlim_cur, need, need + 32);
        return false;
    }
    return true;
}

/* --free-port: bind 127.0.0.1:0 and print the port the kernel chose. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &l) != 0) {
        perror("ircbench: free port");
        return 2;
    }
    printf("%d\n", ntohs(a.sin_port));
    close(fd);
    return 0;
}

/* --wait-port: connect every 50 ms until the server accepts or --timeout. */
static int wait_port(void)
{
    int64_t end = now_ns() + (int64_t)(B.o.timeout * 1e9);
    while (now_ns() < end) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&B.o.addr, sizeof B.o.addr) == 0) {
            close(fd);
            return 0;
        }
        if (fd >= 0)
            close(fd);
        usleep(50000);
    }
    fprintf(stderr, "ircbench: nothing accepted on %s port %d within %.0f s\n", B.o.host, B.o.port, B.o.timeout);
    return 1;
}

/* SIGINT/SIGTERM: stop measuring and report what we have. */
static void on_stop(int sig)
{
    (void)sig;
    B.stop = 1;
}

/* SIGALRM: the hard time limit; something is stuck, so leave at once. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "ircbench: hard time limit reached, exiting\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        /* nothing more to do */
    }
    _exit(3);
}

enum { O_HOST = 256, O_PORT, O_SCEN, O_LADDER, O_LADDER_ALL, O_DURATION, O_DRAIN, O_SETTLE, O_TIMEOUT,
       O_DEADLINE, O_P99, O_RATIO, O_SIZE, O_PID, O_PREFIX, O_CHANNELS, O_OPER, O_UMODE, O_LABEL, O_SUMMARY,
       O_QUIET, O_FREE, O_WAIT, O_HELP };

/* Parse the command line, run the scenario, print the JSON. */
int main(int argc, char **argv)
{
    static const struct option lo[] = {
        { "host", 1, 0, O_HOST }, { "port", 1, 0, O_PORT }, { "scenario", 1, 0, O_SCEN },
        { "ladder", 1, 0, O_LADDER }, { "ladder-all", 0, 0, O_LADDER_ALL }, { "duration", 1, 0, O_DURATION },
        { "drain", 1, 0, O_DRAIN }, { "settle", 1, 0, O_SETTLE }, { "timeout", 1, 0, O_TIMEOUT },
        { "deadline-ms", 1, 0, O_DEADLINE }, { "p99-limit-ms", 1, 0, O_P99 }, { "min-ratio", 1, 0, O_RATIO },
        { "size", 1, 0, O_SIZE }, { "pid", 1, 0, O_PID }, { "channel-prefix", 1, 0, O_PREFIX },
        { "channels", 1, 0, O_CHANNELS }, { "oper", 1, 0, O_OPER }, { "umode", 1, 0, O_UMODE },
        { "label", 1, 0, O_LABEL }, { "summary", 1, 0, O_SUMMARY }, { "quiet", 0, 0, O_QUIET },
        { "free-port", 0, 0, O_FREE }, { "wait-port", 0, 0, O_WAIT }, { "help", 0, 0, O_HELP }, { 0, 0, 0, 0 }
    };
    t_start = now_ns();
    B.epfd = -1;
    struct opts *o = &B.o;
    set_host("127.0.0.1");
    o->n = 10000, o->c = 100, o->k = 10, o->m = 1000, o->s = 100, o->p = 1000;
    parse_ladder("0.5,1,2,4,8,16");
    o->duration = 10, o->drain = 2, o->settle = 1, o->timeout = 120;
    o->deadline_ms = 1000, o->p99_limit_ms = 200, o->min_ratio = 0.95, o->size = 64;
    snprintf(o->channel_prefix, sizeof o->channel_prefix, "#bench");
    bool want_free = false, want_wait = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "n:c:k:m:s:p:r:h", lo, NULL)) != -1) {
        switch (ch) {
        case O_HOST:
            if (!set_host(optarg)) {
                fprintf(stderr, "ircbench: --host must be a loopback address (127.0.0.0/8 or localhost): "
                                "load goes to this machine only\n");
                return 2;
            }
            break;
        case O_PORT: o->port = int_arg("--port", optarg, 1, 65535); break;
        case O_SCEN:
            o->scenario = !strcmp(optarg, "connect") ? SC_CONNECT : !strcmp(optarg, "idle") ? SC_IDLE
                        : !strcmp(optarg, "fanout") ? SC_FANOUT : !strcmp(optarg, "privmsg") ? SC_PRIVMSG : SC_NONE;
            if (o->scenario == SC_NONE) {
                fprintf(stderr, "ircbench: unknown scenario \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'n': o->n = int_arg("-n", optarg, 1, 1000000); break;
        case 'c': o->c = int_arg("-c", optarg, 1, 100000); break;
        case 'k': o->k = int_arg("-k", optarg, 1, 100000); break;
        case 'm': o->m = int_arg("-m", optarg, 2, 1000000); break;
        case 's': o->s = int_arg("-s", optarg, 1, 1000000); break;
        case 'p': o->p = int_arg("-p", optarg, 1, 500000); break;
        case 'r':
            o->ladder[0] = num_arg("-r", optarg, 0.001, 1e6);
            o->nladder = 1;
            break;
        case O_LADDER:
            if (!parse_ladder(optarg)) {
                fprintf(stderr, "ircbench: --ladder wants up to %d positive rates, e.g. 0.5,1,2\n", MAX_LADDER);
                return 2;
            }
            break;
        case O_LADDER_ALL: o->ladder_all = true; break;
        case O_DURATION: o->duration = num_arg("--duration", optarg, 0.1, 3600); break;
        case O_DRAIN: o->drain = num_arg("--drain", optarg, 0, 600); break;
        case O_SETTLE: o->settle = num_arg("--settle", optarg, 0, 600); break;
        case O_TIMEOUT: o->timeout = num_arg("--timeout", optarg, 0.1, 3600); break;
        case O_DEADLINE: o->deadline_ms = num_arg("--deadline-ms", optarg, 1, 3600000); break;
        case O_P99: o->p99_limit_ms = num_arg("--p99-limit-ms", optarg, 0.001, 3600000); break;
        case O_RATIO: o->min_ratio = num_arg("--min-ratio", optarg, 0, 1); break;
        case O_SIZE: o->size = int_arg("--size", optarg, 40, 400); break;
        case O_PID: o->pid = int_arg("--pid", optarg, 1, 1 << 30); break;
        case O_PREFIX:
            if (strlen(optarg) >= sizeof o->channel_prefix - 8) {
                fprintf(stderr, "ircbench: --channel-prefix is too long\n");
                return 2;
            }
            snprintf(o->channel_prefix, sizeof o->channel_prefix, "%s", optarg);
            break;
        case O_CHANNELS:
            if (!parse_channels(optarg)) {
                fprintf(stderr, "ircbench: --channels wants a comma-separated list of channel names\n");
                return 2;
            }
            break;
        case O_OPER: snprintf(o->oper, sizeof o->oper, "%s", optarg); break;
        case O_UMODE: snprintf(o->umode, sizeof o->umode, "%s", optarg); break;
        case O_LABEL: snprintf(o->label, sizeof o->label, "%s", optarg); break;
        case O_SUMMARY: snprintf(o->summary, sizeof o->summary, "%s", optarg); break;
        case O_QUIET: o->quiet = true; break;
        case O_FREE: want_free = true; break;
        case O_WAIT: want_wait = true; break;
        case 'h': case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ircbench: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    for (const char *p = o->label; *p; p++)
        if (*p == '"' || *p == '\\' || *p == '\t' || (unsigned char)*p < 32) {
            fprintf(stderr, "ircbench: --label may not hold quotes, backslashes or control characters\n");
            return 2;
        }
    if (want_free)
        return free_port();
    if (!o->port || (!want_wait && o->scenario == SC_NONE)) {
        usage(stderr);
        return 2;
    }
    o->addr.sin_port = htons((uint16_t)o->port);
    if (want_wait)
        return wait_port();

    int clients = o->scenario == SC_FANOUT ? o->m : o->scenario == SC_PRIVMSG ? 2 * o->p : o->n;
    if (!raise_nofile(clients))
        return 2;
    if (net_init(clients) != 0) {
        perror("ircbench: init");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGALRM, on_alarm);
    bool ladder = o->scenario == SC_FANOUT || o->scenario == SC_PRIVMSG;
    double limit = o->timeout + o->settle + 60 + (ladder ? o->nladder * (o->duration + o->drain + o->settle + 1) : 0);
    alarm((unsigned)ceil(limit));

    static const char *const names[] = { "", "connect", "idle", "fanout", "privmsg" };
    struct json j = { 0 };
    json_open(&j, '{');
    json_str(&j, "tool", "ircbench");
    json_str(&j, "scenario", names[o->scenario]);
    json_str(&j, "label", o->label[0] ? o->label : "server");
    json_str(&j, "host", o->host);
    json_int(&j, "port", o->port);
    int rc = 2;
    switch (o->scenario) {
    case SC_CONNECT: rc = scenario_connect(&j); break;
    case SC_IDLE: rc = scenario_idle(&j); break;
    case SC_FANOUT: rc = scenario_fanout(&j); break;
    case SC_PRIVMSG: rc = scenario_privmsg(&j); break;
    default: break;
    }
    json_bool(&j, "aborted", B.stop != 0);
    net_quit_all(3000);
    json_num(&j, "elapsed_s", (double)(now_ns() - t_start) / 1e9);
    json_close(&j, '}');
    printf("%.*s\n", (int)j.len, j.buf);
    fflush(stdout);
    free(j.buf);
    net_free();
    free(channels_copy);
    return B.stop ? 2 : rc;
}
