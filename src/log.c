/* log.c — timestamped log lines to stderr or a file.
 *
 * Callers name users by UID, never by address, and never pass message text:
 * the privacy rule is kept by what the call sites format, and this file adds
 * nothing but time and level. */
#include "havend.h"

#include <stdio.h>
#include <string.h>

static FILE *log_fp;          /* NULL = stderr */
static int log_level = LOG_INFO;

static const char *level_name[] = { "error", "warn", "info", "debug" };

/* Point logging at the config's target; on failure keep stderr and say so. */
void log_configure(const struct config *conf)
{
    FILE *fp = NULL;
    if (conf->log_file && *conf->log_file) {
        fp = fopen(conf->log_file, "a");
        if (!fp)
            log_msg(LOG_ERROR, "cannot open log file %s; logging to stderr", conf->log_file);
    }
    if (log_fp)
        fclose(log_fp);
    log_fp = fp;
    log_level = conf->log_level;
}

void log_close(void)
{
    if (log_fp)
        fclose(log_fp);
    log_fp = NULL;
}

/* Is a line at lvl within the configured level? */
bool log_enabled(enum log_level lvl)
{
    return (int)lvl <= log_level;
}

/* "YYYY-MM-DDThh:mm:ssZ" for now, formatted once a second: at level info
 * every registration and disconnect logs a line. */
static const char *log_stamp(void)
{
    static char ts[32];
    static time_t ts_for = -1;
    time_t now = time(NULL);
    if (now != ts_for) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        ts_for = now;
    }
    return ts;
}

/* "<time> <level>: <text>" (text cut at 2047 bytes), in one write. The
 * level is checked first, so a filtered-out call formats nothing. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (!log_enabled(lvl))
        return;
    FILE *out = log_fp ? log_fp : stderr;
    char line[32 + 8 + 2048 + 1];
    const char *ts = log_stamp();
    size_t n = strlen(ts), ln = strlen(level_name[lvl]);
    memcpy(line, ts, n);
    line[n++] = ' ';
    memcpy(line + n, level_name[lvl], ln);
    n += ln;
    line[n++] = ':';
    line[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line + n, 2048, fmt, ap);
    va_end(ap);
    if (w > 0)
        n += (size_t)w < 2048 ? (size_t)w : 2047;
    line[n++] = '\n';
    /* One write per line, so lines from a crash or a rotation stay whole. */
    fwrite(line, 1, n, out);
    fflush(out);
}
