/* harness.c — start, stop and inspect a havend process for integration tests
 * (temp config, log file, ports), plus small text helpers. */
#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The MOTD setting in server { } (conf/havend.conf). */
#define HV_MOTD_KEY "motd"

/* Servers started by this process, killed at exit if a test aborts. */
#define HV_MAX_SERVERS 8
static struct hv_server *live[HV_MAX_SERVERS];

/* Fail the test with a formatted message (never returns). */
#define hv_fail(...) cr_assert_fail(__VA_ARGS__)

/* The time factor from the environment (see harness.h), or -1 when
 * HAVEND_TIME_SCALE is not a whole number from 1 to 1000. */
static int time_scale_env(void)
{
    const char *v = getenv("HAVEND_TIME_SCALE");
    if (v && *v) {
        char *end;
        long n = strtol(v, &end, 10);
        return !*end && n >= 1 && n <= 1000 ? (int)n : -1;
    }
    const char *w = getenv("HAVEND_WRAPPER");
    return w && *w ? 4 : 1;
}

/* Factor for every wait (see harness.h). */
int hv_time_scale(void)
{
    int k = time_scale_env();
    cr_assert(k > 0, "HAVEND_TIME_SCALE must be a whole number from 1 to 1000: %s", getenv("HAVEND_TIME_SCALE"));
    return k;
}

/* Criterion's own time limits (TestSuite/Test .timeout) are stretched by
 * the same factor before any test runs: its --timeout option can only
 * shorten them, and a slow run (valgrind) must not turn into timeouts. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    int k = time_scale_env();
    if (k <= 1)
        return;
    FOREACH_SET(struct criterion_suite_set *ss, set->suites) {
        if (ss->suite.data)
            ss->suite.data->timeout *= k;
        FOREACH_SET(struct criterion_test *t, ss->tests)
            if (t->data && t->data != ss->suite.data)
                t->data->timeout *= k;
    }
}

/* Milliseconds on the monotonic clock. */
long long hv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep ms milliseconds. */
void hv_msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* nftw callback: remove one entry. */
static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* Kill whatever servers are still running and remove their dirs (atexit). */
static void kill_live(void)
{
    for (int i = 0; i < HV_MAX_SERVERS; i++)
        if (live[i]) {
            if (live[i]->pid > 0) {
                kill(live[i]->pid, SIGKILL);
                waitpid(live[i]->pid, NULL, 0);
                live[i]->pid = 0;
            }
            if (!getenv("HAVEND_KEEP_TMP"))
                nftw(live[i]->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
}

/* Read a whole file (malloc'd); NULL when it can't be opened. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Write a file (path relative to the server dir when not absolute). */
void hv_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* The whole log file (malloc'd, NUL-terminated). */
char *hv_log(const struct hv_server *s)
{
    char *t = slurp(s->log_path);
    return t ? t : strdup("");
}

/* Does text match the extended regex? Fails the test on a bad pattern. */
static bool hv_re_match(const char *ere, const char *text)
{
    regex_t re;
    int rc = regcomp(&re, ere, REG_EXTENDED | REG_NOSUB);
    cr_assert(rc == 0, "bad regex in test: %s", ere);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* Wait (bounded) until the log contains the ERE; returns true if it did. */
bool hv_wait_log(const struct hv_server *s, const char *ere, int ms)
{
    long long end = hv_now_ms() + (long long)ms * hv_time_scale();
    for (;;) {
        char *t = hv_log(s);
        bool ok = hv_re_match(ere, t);
        free(t);
        if (ok)
            return true;
        if (hv_now_ms() >= end)
            return false;
        hv_msleep(20);
    }
}

/* Replace the MOTD file contents. */
void hv_write_motd(const struct hv_server *s, const char *text)
{
    hv_write_file(s->motd_path, text);
}

/* Find the listener ports in the log. Returns true once every expected one is known. */
static bool parse_ports(struct hv_server *s, bool want_tls)
{
    char *t = hv_log(s);
    regex_t re;
    regmatch_t m[3];
    regcomp(&re, "listening on 127\\.0\\.0\\.1 port ([0-9]+)( \\(tls\\))?", REG_EXTENDED);
    const char *p = t;
    while (regexec(&re, p, 3, m, 0) == 0) {
        int port = atoi(p + m[1].rm_so);
        if (m[2].rm_so >= 0)
            s->tls_port = port;
        else
            s->port = port;
        p += m[0].rm_eo;
    }
    regfree(&re);
    free(t);
    return s->port > 0 && (!want_tls || s->tls_port > 0);
}

/* Build the config text for opts into the server's conf file. */
static void write_config(struct hv_server *s, const struct hv_opts *o)
{
    char *conf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&conf, &len);
    fprintf(f,
        "server = {\n"
        "  name = \"" HV_SERVER_NAME "\";\n"
        "  sid = \"1TS\";\n"
        "  description = \"test\";\n"
        "  network = \"" HV_NETWORK "\";\n"
        "  state_dir = \"%s/state\";\n",
        s->dir);
    if (!o->no_motd_file)
        fprintf(f, "  " HV_MOTD_KEY " = \"%s\";\n", s->motd_path);
    if (o->server_extra)
        fprintf(f, "  %s\n", o->server_extra);
    fprintf(f, "};\n");
    fprintf(f, "listen = (\n  { address = \"127.0.0.1\"; port = 0; }%s\n);\n",
            o->tls ? ",\n  { address = \"127.0.0.1\"; port = 0; tls = true; }" : "");
    fprintf(f,
        "classes = ( { name = \"default\"; max_clients = %d; sendq = %d; recvq = %d;\n"
        "  ping_freq = %d; ping_timeout = %d; reg_timeout = %d; idle_timeout = %d;\n"
        "  flood = { mode = \"%s\"; burst = %d; rate = %d; };\n"
        "  per_token = %d; throttle = { count = %d; period = 60; }; } );\n",
        o->max_clients ? o->max_clients : 100, o->sendq ? o->sendq : 65536,
        o->recvq ? o->recvq : 8192, o->ping_freq ? o->ping_freq : 90,
        o->ping_timeout ? o->ping_timeout : 60, o->reg_timeout ? o->reg_timeout : 30,
        o->idle_timeout, o->flood_mode ? o->flood_mode : "fakelag",
        o->flood_burst ? o->flood_burst : 1000, o->flood_rate ? o->flood_rate : 1000,
        o->per_token, o->throttle_count);
    fprintf(f, "log = { level = \"debug\"; };\n");
    if (o->extra)
        fprintf(f, "%s\n", o->extra);
    fclose(f);
    hv_write_file(s->conf_path, conf);
    free(conf);
}

/* The path of the havend binary under test. */
static const char *havend_bin(void)
{
    const char *b = getenv("HAVEND_BIN");
    cr_assert(b && *b, "HAVEND_BIN is not set (run through meson test)");
    return b;
}

/* Create the temp dir, MOTD and config for opts, without starting anything. */
struct hv_server *hv_prepare(const struct hv_opts *opts)
{
    static bool inited;
    if (!inited) {
        atexit(kill_live);
        signal(SIGPIPE, SIG_IGN);
        inited = true;
    }
    struct hv_opts defaults = { 0 };
    const struct hv_opts *o = opts ? opts : &defaults;
    struct hv_server *s = calloc(1, sizeof *s);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/havend-integ-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    cr_assert(mkdtemp(s->dir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(s->conf_path, sizeof s->conf_path, "%s/havend.conf", s->dir);
    snprintf(s->motd_path, sizeof s->motd_path, "%s/motd.txt", s->dir);
    snprintf(s->log_path, sizeof s->log_path, "%s/havend.log", s->dir);
    char state[300];
    snprintf(state, sizeof state, "%s/state", s->dir);
    mkdir(state, 0700);
    if (!o->no_motd_file)
        hv_write_motd(s, o->motd ? o->motd : "Welcome to the test server.\n");
    write_config(s, o);
    s->want_tls = o->tls;
    for (int i = 0; i < HV_MAX_SERVERS; i++)
        if (!live[i]) {
            live[i] = s;
            break;
        }
    return s;
}

/* Start havend on a prepared dir and wait (10 s max) until it logs its ports.
 * A restart truncates the log: what the previous run logged is checked for
 * memory errors first (a run ended with SIGKILL included). */
void hv_launch(struct hv_server *s)
{
    const char *bin = havend_bin();
    if (access(s->log_path, F_OK) == 0)
        hv_check_sanitizers(s);
    int logfd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(logfd >= 0, "open log: %s", strerror(errno));
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        /* The server gets its own sanitizer settings (leak checks on), while
         * the test process itself may run without them. */
        const char *asan = getenv("HAVEND_SERVER_ASAN_OPTIONS");
        if (asan)
            setenv("ASAN_OPTIONS", asan, 1);
        /* HAVEND_WRAPPER runs the server under a tool, e.g. valgrind. */
        const char *wrap = getenv("HAVEND_WRAPPER");
        if (wrap && *wrap) {
            char cmd[2048];
            snprintf(cmd, sizeof cmd, "exec %s '%s' -c '%s'", wrap, bin, s->conf_path);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else {
            execl(bin, bin, "-c", s->conf_path, (char *)NULL);
        }
        dprintf(2, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(logfd);
    s->pid = pid;
    s->port = s->tls_port = 0;

    const int start_ms = 10000 * hv_time_scale();
    long long end = hv_now_ms() + start_ms;
    while (!parse_ports(s, s->want_tls)) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            char *log = hv_log(s), *conf = slurp(s->conf_path);
            hv_fail("havend exited (status %d) before listening.\n--- log:\n%s\n--- config:\n%s",
                    st, log, conf ? conf : "");
        }
        if (hv_now_ms() >= end) {
            char *log = hv_log(s);
            hv_fail("havend did not log its listening ports within %d ms.\n--- log:\n%s", start_ms, log);
        }
        hv_msleep(10);
    }
}

/* Write a config into a fresh temp dir, start havend, learn its ports. */
struct hv_server *hv_start(const struct hv_opts *opts)
{
    struct hv_server *s = hv_prepare(opts);
    hv_launch(s);
    return s;
}

/* Wait up to ms for the server process to exit by itself; true if it did. */
bool hv_wait_exit(struct hv_server *s, int ms)
{
    if (s->pid <= 0)
        return true;
    long long end = hv_now_ms() + (long long)ms * hv_time_scale();
    for (;;) {
        int st;
        pid_t r = waitpid(s->pid, &st, WNOHANG);
        if (r == s->pid || r < 0) {
            s->exit_status = st;
            s->pid = 0;
            return true;
        }
        if (hv_now_ms() >= end)
            return false;
        hv_msleep(5);
    }
}

/* SIGTERM, bounded wait, then SIGKILL; keeps the temp dir. */
int hv_stop_keep(struct hv_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        if (!hv_wait_exit(s, 20000)) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &s->exit_status, 0);
            s->pid = 0;
        }
    }
    return s->exit_status;
}

/* The first sign of a sanitizer or valgrind report in text (the pattern
 * that matched), or NULL. */
static const char *memory_report(const char *text)
{
    static const char *const bad[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                                       "Invalid read", "Invalid write", "definitely lost: [1-9]",
                                       "indirectly lost: [1-9]", "ERROR SUMMARY: [1-9]", NULL };
    for (int i = 0; bad[i]; i++) {
        regex_t re;
        if (regcomp(&re, bad[i], REG_EXTENDED | REG_NOSUB) != 0)
            continue;
        bool hit = regexec(&re, text, 0, NULL, 0) == 0;
        regfree(&re);
        if (hit)
            return bad[i];
    }
    return NULL;
}

/* Fail the test if the server's log shows a sanitizer or valgrind report,
 * or the server died of a signal we did not send: a test passes only if
 * the server stayed clean. */
void hv_check_sanitizers(const struct hv_server *s)
{
    char *log = hv_log(s);
    if (!log)
        return;
    const char *bad = memory_report(log);
    if (bad)
        hv_fail("havend's log shows a memory error (%s):\n%s", bad, log);
    int st = s->exit_status;
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL && WTERMSIG(st) != SIGTERM)
        hv_fail("havend died of signal %d:\n%s", WTERMSIG(st), log);
    free(log);
}

/* Forget the server and remove its temp dir (unless HAVEND_KEEP_TMP is set). */
void hv_free(struct hv_server *s)
{
    if (!s)
        return;
    hv_stop_keep(s);
    hv_check_sanitizers(s);
    for (int i = 0; i < HV_MAX_SERVERS; i++)
        if (live[i] == s)
            live[i] = NULL;
    if (!getenv("HAVEND_KEEP_TMP"))
        nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(s);
}

/* Stop, remove the temp dir, return the wait status. */
int hv_stop(struct hv_server *s)
{
    int st = hv_stop_keep(s);
    hv_free(s);
    return st;
}

/* Run havend with args, optional stdin; output malloc'd into *out. */
int hv_run(const char *const *args, const char *input, char **out)
{
    signal(SIGPIPE, SIG_IGN);
    const char *bin = havend_bin();
    int in[2], outp[2];
    cr_assert(pipe(in) == 0 && pipe(outp) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(outp[1], 1);
        dup2(outp[1], 2);
        close(in[1]);
        close(outp[0]);
        /* With the server's sanitizer settings (leak checks on), and under
         * HAVEND_WRAPPER (valgrind) too: failed starts and config checks
         * are error paths worth checking for leaks. */
        const char *asan = getenv("HAVEND_SERVER_ASAN_OPTIONS");
        if (asan)
            setenv("ASAN_OPTIONS", asan, 1);
        const char *wrap = getenv("HAVEND_WRAPPER");
        char cmd[1024];
        const char *argv[40];
        int n = 0;
        if (wrap && *wrap) {
            snprintf(cmd, sizeof cmd, "exec %s \"$@\"", wrap);
            argv[n++] = "sh";
            argv[n++] = "-c";
            argv[n++] = cmd;
            argv[n++] = "sh";
        }
        argv[n++] = bin;
        for (int i = 0; args && args[i] && n < 39; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(wrap && *wrap ? "/bin/sh" : bin, (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    if (input && write(in[1], input, strlen(input)) < 0)
        (void)0;
    close(in[1]);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    long long end = hv_now_ms() + 10000LL * hv_time_scale();
    struct pollfd pfd = { .fd = outp[0], .events = POLLIN };
    while (hv_now_ms() < end) {
        int r = poll(&pfd, 1, (int)(end - hv_now_ms()));
        if (r <= 0)
            break;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(outp[0], buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    close(outp[0]);
    int st = 0;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (hv_now_ms() >= end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        hv_msleep(5);
    }
    const char *bad = memory_report(buf);
    if (bad)
        hv_fail("havend's output shows a memory error (%s):\n%s", bad, buf);
    if (out)
        *out = buf;
    else
        free(buf);
    return st;
}

/* Hash a password with `havend --mkpasswd` (malloc'd). */
char *hv_mkpasswd(const char *password)
{
    const char *args[] = { "--mkpasswd", NULL };
    char input[256], *out;
    snprintf(input, sizeof input, "%s\n", password);
    int st = hv_run(args, input, &out);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "havend --mkpasswd failed (%d): %s", st, out);
    char *d = strchr(out, '$');
    cr_assert(d != NULL, "havend --mkpasswd printed no hash: %s", out);
    size_t n = strcspn(d, " \t\r\n\"");
    char *hash = strndup(d, n);
    free(out);
    return hash;
}

/* ------------------------------------------------------------ helpers */

/* Escape ERE metacharacters (returns a pointer into a small rotating buffer). */
const char *hv_re(const char *s)
{
    static char buf[8][1024];
    static int slot;
    slot = (slot + 1) % 8;
    char *o = buf[slot];
    size_t j = 0;
    for (; *s && j < sizeof buf[slot] - 3; s++) {
        if (strchr("\\^$.[]|()*+?{}", *s))
            o[j++] = '\\';
        o[j++] = *s;
    }
    o[j] = '\0';
    return o;
}

/* Split an IRC line into [source or "", command, params...]. */
int hv_params(const char *line, char *buf, size_t buflen, char **params, int max)
{
    snprintf(buf, buflen, "%s", line);
    char *p = buf;
    int n = 0;
    if (*p == ':') {
        params[n++] = ++p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    } else {
        params[n++] = (char *)"";
    }
    while (*p && n < max) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (*p == ':' && n >= 2) {
            params[n++] = p + 1;
            break;
        }
        params[n++] = p;
        p += strcspn(p, " ");
        if (*p)
            *p++ = '\0';
    }
    return n;
}
