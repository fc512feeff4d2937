/* main.c — command line: run, check a config (-t), make a password hash. */
#include "havend.h"
#include "modules/module.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#ifndef HAVEND_DEFAULT_CONF
#define HAVEND_DEFAULT_CONF "/etc/havend/havend.conf"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: havend [-c FILE] [-t]\n"
            "       havend --mkpasswd\n"
            "\n"
            "  -c, --config FILE  use FILE (default %s)\n"
            "  -t, --test         check the configuration and exit (0 = valid)\n"
            "      --mkpasswd     read a password on standard input and print its hash\n"
            "                     for oper blocks and server.password\n"
            "  -h, --help         show this help\n"
            "  -v, --version      show the version\n"
            "\n"
            "Signals: SIGHUP reloads the configuration, SIGTERM shuts down cleanly.\n",
            HAVEND_DEFAULT_CONF);
}

/* Read one line from stdin without echo when it is a terminal. */
static int mkpasswd(void)
{
    char buf[512];
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fprintf(stderr, "Password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *ok = fgets(buf, sizeof buf, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!ok) {
        fprintf(stderr, "havend: no password given on standard input\n");
        return 1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (!buf[0]) {
        fprintf(stderr, "havend: empty password refused\n");
        return 1;
    }
    char *hash = passwd_hash(buf);
    memset(buf, 0, sizeof buf);
    if (!hash) {
        fprintf(stderr, "havend: cannot hash the password\n");
        return 1;
    }
    printf("%s\n", hash);
    free(hash);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "test", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'v' },
        { "mkpasswd", no_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    const char *conf_path = HAVEND_DEFAULT_CONF;
    bool test_only = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "c:thv", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': conf_path = optarg; break;
        case 't': test_only = true; break;
        case 'h': usage(stdout); return 0;
        case 'v': printf("havend %s\n", HAVEND_VERSION); return 0;
        case 'm': return mkpasswd();
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "havend: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }

    char err[8192];
    if (test_only) {
        struct config *conf = config_load(conf_path, err, sizeof err);
        if (!conf) {
            fprintf(stderr, "%s\n", err);
            fprintf(stderr, "havend: configuration %s is NOT valid\n", conf_path);
            return 1;
        }
        int bad = modules_check(conf, err, sizeof err);
        config_free(conf);
        if (bad) {
            fprintf(stderr, "%s\nhavend: configuration %s is NOT valid\n", err, conf_path);
            return 1;
        }
        printf("havend: configuration %s is valid\n", conf_path);
        return 0;
    }

    if (server_init(conf_path, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        fprintf(stderr, "havend: cannot start\n");
        server_free();
        return 1;
    }
    event_base_dispatch(srv.base);
    log_msg(LOG_INFO, "shut down");
    server_free();
    return 0;
}
