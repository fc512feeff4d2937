/* config.h — the parsed, validated configuration (libconfig).
 *
 * A struct config is immutable once loaded: REHASH loads a new one, and only
 * when it validates does it replace the one in force. */
#ifndef HAVEND_CONFIG_H
#define HAVEND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>

/* Operator privileges. */
enum {
    OPRIV_KILL   = 1u << 0,
    OPRIV_REHASH = 1u << 1,
    OPRIV_DIE    = 1u << 2,
    OPRIV_WALLOPS = 1u << 3,
    OPRIV_SEE_ADDRESS = 1u << 4,  /* reserved for the anonymity module */
    OPRIV_SEE_TOKEN = 1u << 5,    /* may see users' ban tokens (WHOIS) */
};

enum flood_mode { FLOOD_FAKELAG = 0, FLOOD_DISCONNECT };

/* A connection class: limits for the connections of one listener. */
struct conf_class {
    char *name;
    int max_clients;          /* 0 = unlimited */
    size_t sendq;             /* bytes queued to a client before "SendQ exceeded" */
    size_t recvq;             /* bytes of unprocessed input before "Excess Flood" */
    int ping_freq;            /* seconds of silence before we PING */
    int ping_timeout;         /* seconds to answer our PING */
    int reg_timeout;          /* seconds to complete registration */
    int idle_timeout;         /* seconds without PRIVMSG/NOTICE/JOIN... before disconnect; 0 = never */
    enum flood_mode flood_mode;
    int flood_burst;          /* lines that may arrive at once */
    int flood_rate;           /* lines per second sustained */
    int per_token;            /* connections per ban token (one network address); 0 = unlimited */
    int throttle_count;       /* new connections per ban token per throttle_period; 0 = off */
    int throttle_period;      /* seconds */
};

struct conf_listen {
    char *address;            /* "127.0.0.1", "::1", "0.0.0.0", "::" */
    int port;                 /* 0 = ephemeral (tests) */
    bool tls;
    char *cert, *key;         /* NULL = the server default (generated if missing) */
    char *class_name;         /* "default" unless set */
};

struct conf_oper {
    char *name;
    char *password_hash;      /* "$pbkdf2-sha256$<iter>$<salt b64>$<hash b64>" */
    unsigned privs;           /* OPRIV_* */
    char *class_name;         /* NULL: keep the connection's class */
    char *certfp;             /* SASL EXTERNAL: SHA-256 of a client certificate, 64 lowercase hex; NULL = none */
};

struct config {
    char *path;

    /* server { } */
    char *server_name;        /* "irc.havend.local" */
    char *sid;                /* 3 chars: [0-9][0-9A-Z]{2} */
    char *description;
    char *network;
    char *admin[3];           /* ADMIN lines: location, location 2, email */
    char *password_hash;      /* optional server password (PASS), NULL = none */
    char *motd_file;          /* resolved relative to the config file */
    char **motd;              /* loaded MOTD lines */
    size_t motd_len;
    char *state_dir;          /* where generated TLS keys and state live */
    char *tls_cert, *tls_key; /* default certificate for TLS listeners */
    bool sts;                 /* advertise an IRCv3 STS policy (needs a TLS listener) */
    int sts_duration;         /* seconds clients must keep using TLS (0 revokes the policy) */

    /* limits { } */
    int nicklen, channellen, topiclen, kicklen, awaylen, userlen;
    int max_channels;         /* per user (CHANLIMIT) */
    int max_list;             /* entries per b/e/I list (MAXLIST) */
    int max_targets;          /* TARGMAX for PRIVMSG/NOTICE etc. */
    int max_modes;            /* MODES: parameter modes per MODE command */
    int whowas_len;           /* WHOWAS history */
    int monitor_max;          /* MONITOR list entries per user (ISUPPORT MONITOR) */
    int max_clients;          /* connections at once, all classes together; 0 = unlimited */
    int max_invites;          /* pending INVITEs remembered per channel (the oldest is forgotten) */
    bool utf8only;            /* UTF8ONLY: refuse (or repair) text that is not UTF-8 */
    bool utf8only_replace;    /* repair invalid UTF-8 with U+FFFD instead of refusing it */

    /* privacy { } */
    bool show_sent_username;  /* false: everyone's username is `username` */
    bool show_sent_realname;  /* false: everyone's realname is `realname` */
    char *public_username;    /* "user" */
    char *public_realname;    /* "havend user" */
    char *cloak_suffix;       /* public hosts are "<random>.<suffix>" */
    bool cloak_hosts;         /* false: show the real address (a conventional server) */
    bool whowas_enabled;      /* false: nothing about a nick is kept after it is gone */
    char *ban_token_secret;   /* NULL: generated once into <state_dir>/ban_token.secret */

    /* log { } */
    char *log_file;           /* NULL = stderr */
    int log_level;            /* enum log_level */

    /* modules = [ ... ]: loaded in this order; each may have a top-level
     * group of its own name, handed to it from `raw`. */
    char **modules;           size_t nmodules;
    char *module_path;        /* NULL: the built-in module directories */
    config_t *raw;            /* the parsed file, kept for module groups */

    struct conf_listen *listens; size_t nlistens;
    struct conf_class *classes;  size_t nclasses;
    struct conf_oper *opers;     size_t nopers;
};

/* Load and validate a config file. On failure returns NULL and writes
 * "FILE:LINE: setting: reason" lines (one per problem) into err. */
struct config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct config *conf);
const struct conf_class *config_find_class(const struct config *conf, const char *name);
const struct conf_oper *config_find_oper(const struct config *conf, const char *name);

/* Password hashes (PBKDF2-HMAC-SHA256 via OpenSSL). */
char *passwd_hash(const char *password);           /* malloc'd, NULL on error */
bool passwd_verify(const char *hash, const char *password);
/* passwd_verify() within the server's time budget for password checks
 * (conf/passwd.c): PASSWD_BUSY when it is spent, without checking. */
enum passwd_result { PASSWD_OK, PASSWD_WRONG, PASSWD_BUSY };
enum passwd_result passwd_check(const char *hash, const char *password);
/* True when hash is well-formed (checked at config load). */
bool passwd_hash_valid(const char *hash);

#endif
