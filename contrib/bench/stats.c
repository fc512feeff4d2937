/* stats.c — measuring: the latency histogram, the server's RSS and CPU
 * from /proc, our own CPU, the JSON writer for the final object and the
 * TSV summary lines run.sh turns into its comparison table. */
#include "ircbench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* ------------------------------------------------------------ histogram */

/* Bucket of a value: exact below 128, then 64 buckets per power of two
 * (values keep their top 7 bits), so any percentile is within ~1.6%. */
static inline int bucket_of(uint64_t v)
{
    if (v < 128)
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 6;
    int b = shift * 64 + (int)(v >> shift);
    return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

/* The middle of a bucket's range, for reporting. */
static double bucket_mid(int b)
{
    if (b < 128)
        return b;
    int shift = b / 64 - 1;
    uint64_t mant = (uint64_t)(b - shift * 64);
    double lo = (double)(mant << shift);
    return lo + (double)(1ull << shift) / 2;
}

/* Forget everything: a new step starts. */
void hist_reset(struct hist *h)
{
    memset(h, 0, sizeof *h);
}

/* Record one latency, in microseconds. */
void hist_add(struct hist *h, uint64_t us)
{
    h->b[bucket_of(us)]++;
    h->count++;
    if (us > h->max)
        h->max = us;
}

/* The pct-th percentile (0..100) in milliseconds; 0 when empty. The
 * maximum is exact, so a percentile never exceeds it. */
double hist_pct_ms(const struct hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)((double)h->count * pct / 100.0 + 0.5);
    if (want < 1)
        want = 1;
    uint64_t seen = 0;
    for (int b = 0; b < HIST_BUCKETS; b++) {
        seen += h->b[b];
        if (seen >= want) {
            double v = bucket_mid(b);
            if (v > (double)h->max)
                v = (double)h->max;
            return v / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* ------------------------------------------------------------ /proc */

/* VmRSS of a process in KiB, or -1 if it cannot be read. */
long proc_rss_kib(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

/* User + system CPU seconds a process has used, or -1. */
double proc_cpu_seconds(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* the command name may hold spaces: fields count from the last ')' */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p += 2;
    unsigned long ut = 0, st = 0;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Our own user + system CPU seconds (is the generator the bottleneck?). */
double self_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------ JSON */

/* Append formatted text, growing the buffer. */
static void jput(struct json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jput(struct json *j, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = j->cap - j->len;
        int n = vsnprintf(j->buf ? j->buf + j->len : NULL, j->buf ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if (j->buf && (size_t)n < room) {
            j->len += (size_t)n;
            return;
        }
        j->cap = (j->cap ? j->cap * 2 : 4096) + (size_t)n;
        j->buf = realloc(j->buf, j->cap);
        if (!j->buf)
            abort();
    }
}

/* A key (or nothing, inside arrays), with the comma before it if needed. */
void json_key(struct json *j, const char *key)
{
    if (j->need_comma)
        jput(j, ",");
    if (key)
        jput(j, "\"%s\":", key);
    j->need_comma = true;
}

/* Open an object '{' or array '['. */
void json_open(struct json *j, char kind)
{
    jput(j, "%c", kind);
    j->need_comma = false;
}

/* Close an object '}' or array ']'. */
void json_close(struct json *j, char kind)
{
    jput(j, "%c", kind);
    j->need_comma = true;
}

/* "key":"value" — values here never hold quotes or backslashes. */
void json_str(struct json *j, const char *key, const char *v)
{
    json_key(j, key);
    jput(j, "\"%s\"", v);
}

/* "key":number, with up to 3 decimals (integers print as integers). */
void json_num(struct json *j, const char *key, double v)
{
    json_key(j, key);
    if (v == (double)(long long)v && v < 1e15 && v > -1e15)
        jput(j, "%lld", (long long)v);
    else
        jput(j, "%.3f", v);
}

/* "key":integer */
void json_int(struct json *j, const char *key, long long v)
{
    json_key(j, key);
    jput(j, "%lld", v);
}

/* "key":true|false */
void json_bool(struct json *j, const char *key, bool v)
{
    json_key(j, key);
    jput(j, "%s", v ? "true" : "false");
}

/* One TSV line for run.sh's table: label, scenario, metric, value, unit,
 * and whether higher is better ("hi") or lower ("lo"). */
void summary_line(const char *scenario, const char *metric, double v, const char *unit, bool higher_better)
{
    if (!B.o.summary[0])
        return;
    FILE *f = fopen(B.o.summary, "a");
    if (!f)
        return;
    fprintf(f, "%s\t%s\t%s\t%.3f\t%s\t%s\n", B.o.label[0] ? B.o.label : "server", scenario, metric, v, unit,
            higher_better ? "hi" : "lo");
    fclose(f);
}
