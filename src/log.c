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

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if ((int)lvl > log_level)
        return;
    FILE *out = log_fp ? log_fp : stderr;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* One write per line, so lines from a crash or a rotation stay whole. */
    fprintf(out, "%s %s: %s\n", ts, level_name[lvl], text);
    fflush(out);
}
