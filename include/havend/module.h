/* havend/module.h — the public API for in-process modules.
 *
 * A module is a shared object that exports one symbol, `havend_module` (use
 * HAVEND_MODULE below). The server loads it by name from the config's
 * `modules = [ ... ]` list, checks api_version, and calls init() with the
 * module's own config group (a top-level group named after the module, or
 * NULL when absent). Everything a module may touch is declared here; users
 * and channels are opaque handles.
 *
 * Lifetime rules:
 * - Handles (hv_user, hv_channel) are valid until the event loop turns;
 *   keep nicks, UIDs or channel names, not handles, across events
 *   (hv_user_find_uid() finds a user again).
 * - Everything a module registers (hooks, commands, services, timers) is
 *   removed by the server when the module is unloaded.
 */
#ifndef HAVEND_MODULE_H
#define HAVEND_MODULE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <libconfig.h>

#define HAVEND_MODULE_API_VERSION 1

typedef struct client hv_user;
typedef struct channel hv_channel;
typedef struct hv_module hv_module;     /* the server's record of a loaded module */
typedef struct hv_service hv_service;   /* a service pseudo-client */

/* ------------------------------------------------------------ declaring a module */

struct hv_module_desc {
    unsigned api_version;               /* HAVEND_MODULE_API_VERSION */
    const char *name;                   /* must equal the file name: <name>.so */
    const char *version;
    const char *description;
    /* Called once after loading. `conf` is the module's config group or NULL.
     * Return 0, or -1 with a reason in err (the load then fails cleanly). */
    int (*init)(hv_module *self, const config_setting_t *conf, char *err, size_t errlen);
    /* REHASH with the module still listed. Same contract as init. On -1
     * the module must keep its old settings unchanged; the rest of the new
     * configuration still applies and the operator is told the reason.
     * May be NULL. */
    int (*reload)(hv_module *self, const config_setting_t *conf, char *err, size_t errlen);
    /* Before unloading (REHASH dropped it, or shutdown). May be NULL. */
    void (*shutdown)(hv_module *self);
};

#define HAVEND_MODULE(...) \
    __attribute__((visibility("default"))) const struct hv_module_desc havend_module = __VA_ARGS__

/* ------------------------------------------------------------ hooks */

enum hv_hook {
    /* A connection finished registration, before 001 is sent: a hook may
     * rename the user (hv_user_set_nick) and it is welcomed under that nick. */
    HV_HOOK_REGISTERING = 0,
    /* After the welcome burst (001..MOTD) went out. */
    HV_HOOK_REGISTERED,
    /* A registered user asked for a new nick (ev->text, rewritable: a hook may
     * replace the requested nick, or block with a reason). */
    HV_HOOK_NICK_REQUEST,
    /* After a nick change; ev->old_nick holds the previous nick. */
    HV_HOOK_NICK_CHANGED,
    /* Before a JOIN is allowed (after the core's own checks pass). May block. */
    HV_HOOK_JOIN_CHECK,
    /* After a user joined (JOIN, topic, NAMES already sent). */
    HV_HOOK_JOINED,
    HV_HOOK_PARTED,                     /* ev->text: reason or NULL */
    HV_HOOK_KICKED,                     /* ev->user (NULL: the server) kicked ev->target; ev->text reason */
    HV_HOOK_QUIT,                       /* ev->text: quit reason; before the user is gone */
    HV_HOOK_MODE_CHANGED,               /* ev->text: the applied mode string, e.g. "+o-v a b" */
    HV_HOOK_TOPIC_CHANGED,              /* ev->text: the new topic */
    /* PRIVMSG/NOTICE to a channel (ev->channel) or a user (ev->target). A hook
     * may rewrite ev->text (within ev->text_cap) or block. ev->command says
     * which. Messages to service pseudo-clients run HV_HOOK_PRIVATE_MESSAGE
     * too, before the service sees them. */
    HV_HOOK_CHANNEL_MESSAGE,
    HV_HOOK_PRIVATE_MESSAGE,
    /* A client sent REDACT <target> <msgid> [reason] (IRCv3
     * draft/message-redaction): ev->text is the msgid, ev->channel or
     * ev->target the target, ev->reason the reason. The core refuses unless
     * a hook that knows the message (its author's record, staff rights)
     * sets ev->approve. */
    HV_HOOK_REDACT_REQUEST,
    HV_HOOK_COUNT
};

enum hv_verdict {
    HV_PASS = 0,                        /* carry on (possibly rewritten) */
    HV_BLOCK = 1,                       /* stop: the action does not happen */
};

struct hv_event {
    enum hv_hook type;
    hv_user *user;                      /* who acts */
    hv_user *target;                    /* kick victim, private message recipient */
    hv_channel *channel;
    const char *command;                /* "PRIVMSG", "NOTICE", "JOIN", ... */
    char *text;                         /* see each hook; rewritable where said */
    size_t text_cap;                    /* bytes available at text (incl. NUL) */
    const char *old_nick;
    /* CHANNEL_MESSAGE / PRIVATE_MESSAGE: the id the message will carry
     * (IRCv3 msgid), e.g. to redact it later. */
    const char *msgid;
    bool approve;                       /* REDACT_REQUEST: a hook allows it */
    /* A blocking hook may set a reason; the core sends it to the user as a
     * NOTICE from the server (or the numeric the action calls for). */
    char reason[256];
};

typedef enum hv_verdict (*hv_hook_fn)(struct hv_event *ev, void *arg);

/* Hooks of one type run in ascending priority (ties: load order). Only
 * JOIN_CHECK, NICK_REQUEST and the *_MESSAGE hooks may block; others'
 * verdicts are ignored (REDACT_REQUEST approves through ev->approve
 * instead). Returns 0 or -1 for a bad type. */
int hv_hook_add(hv_module *self, enum hv_hook type, int priority, hv_hook_fn fn, void *arg);

/* ------------------------------------------------------------ timers */

typedef void (*hv_timer_fn)(void *arg);
/* Run fn every `seconds` (repeat) or once. Returns an id for hv_timer_del. */
int hv_timer_add(hv_module *self, double seconds, bool repeat, hv_timer_fn fn, void *arg);
void hv_timer_del(hv_module *self, int id);

/* ------------------------------------------------------------ users and channels */

hv_user *hv_user_find(const char *nick);
hv_user *hv_user_find_uid(const char *uid);
const char *hv_user_nick(const hv_user *u);
const char *hv_user_uid(const hv_user *u);
/* The public "nick!user@host" (never anything identifying). */
const char *hv_user_mask(const hv_user *u, char *buf, size_t len);
bool hv_user_is_oper(const hv_user *u);
bool hv_user_is_service(const hv_user *u);
time_t hv_user_signon(const hv_user *u);
/* Change a user's nick, announcing it as a NICK from them (or silently
 * before registration completes). Returns 0, or -1 if invalid or in use. */
int hv_user_set_nick(hv_user *u, const char *nick);
/* Change a registered user's public username and host (e.g. a virtual
 * host; from HV_HOOK_REGISTERED on). Clients with the chghost capability
 * see CHGHOST; others in common channels see the user QUIT and JOIN again
 * (with their channel status). Returns 0, or -1 for a service, a user not
 * yet registered, or an invalid value (username: printable, no '!' '@' or
 * space, at most 16 bytes; host: letters, digits and . - : _ /, at most 64
 * bytes). */
int hv_user_set_host(hv_user *u, const char *user, const char *host);
/* Disconnect a local user with an ERROR and a QUIT reason. */
void hv_user_disconnect(hv_user *u, const char *reason);
/* Panic-hide: everyone else sees u QUIT with quit_text; u leaves every
 * channel and continues under a fresh UID, cloak and nick (chosen by the
 * NICK_REQUEST hooks, e.g. a pseudonym module), announced to nobody.
 * Returns 0, or -1 if u is not a registered local user. */
int hv_user_vanish(hv_user *u, const char *quit_text);
/* Retract a message u sent to target (a channel or nick) by its msgid:
 * IRCv3 draft/message-redaction REDACT to every recipient that negotiated
 * it (channel members now, or the nick). */
void hv_send_redact(hv_user *u, const char *target, const char *msgid);

/* A user mode owned by this module (letters the core uses are refused).
 * Users may set and unset it with MODE; default_on sets it at registration.
 * Returns 0 on success, -1 if the letter is taken. */
int hv_umode_register(hv_module *self, char letter, bool default_on);
bool hv_user_has_umode(const hv_user *u, char letter);
/* The user's ban token: a keyed hash of their network address (the /64 for
 * IPv6), the same across their connections, revealing nothing. For bans and
 * throttles only; never show it to ordinary users. "" for services. */
const char *hv_user_ban_token(const hv_user *u);
/* The account u is logged in to (an oper/staff block's name, via SASL or
 * OPER; an operator always counts as logged in to their oper block), or
 * NULL when not logged in. */
const char *hv_user_account(const hv_user *u);
/* Call fn for every registered local user (not services). fn may
 * disconnect the user it is given (the connection closes after the
 * current event), but must not rely on other users staying valid after
 * disconnecting them. */
void hv_user_foreach(void (*fn)(hv_user *u, void *arg), void *arg);

/* Iterate the channels a user is in: i from 0 until NULL. */
hv_channel *hv_user_channel_at(const hv_user *u, size_t i);

hv_channel *hv_channel_find(const char *name);
const char *hv_channel_name(const hv_channel *ch);
const char *hv_channel_topic(const hv_channel *ch);     /* NULL when none */
size_t hv_channel_member_count(const hv_channel *ch);
hv_user *hv_channel_member_at(const hv_channel *ch, size_t i);
bool hv_channel_has_member(const hv_channel *ch, const hv_user *u);
bool hv_channel_is_op(const hv_channel *ch, const hv_user *u);
/* Create (or find) a channel. permanent: kept with its topic and modes while
 * empty. NULL if the name is invalid. */
hv_channel *hv_channel_create(const char *name, bool permanent);
/* Pin (true) or unpin (false) a channel. Unpinning an empty channel
 * destroys it at once (the handle is then invalid); a channel with members
 * goes when the last one leaves. */
void hv_channel_set_permanent(hv_channel *ch, bool permanent);
/* Set the topic as the server (announced to members). */
void hv_channel_set_topic(hv_channel *ch, const char *setter, const char *topic);
/* Apply a mode string as the server, e.g. ("+nt") or ("+o", "nick"); the
 * change is announced to members. Returns 0 or -1 on a bad mode string. */
int hv_channel_set_mode(hv_channel *ch, const char *modes, const char *param);
/* Join/part a user as if they had asked (announced normally); force_join
 * skips bans, keys, limits and JOIN_CHECK hooks. Returns 0 or -1. */
int hv_force_join(hv_user *u, hv_channel *ch);
/* Kick u from ch as the service (or the server when svc is NULL), with a
 * reason; announced to members like a KICK. Returns 0 or -1. */
int hv_channel_kick(hv_channel *ch, hv_user *u, hv_service *svc, const char *reason);
int hv_force_part(hv_user *u, hv_channel *ch, const char *reason);

/* ------------------------------------------------------------ sending */

/* A numeric from the server: ":server NNN nick <text>". */
void hv_send_numeric(hv_user *to, int numeric, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A NOTICE from the server. */
void hv_send_server_notice(hv_user *to, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A NOTICE / PRIVMSG from a service to a user or a channel name. */
void hv_service_notice(hv_service *svc, const char *target, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hv_service_privmsg(hv_service *svc, const char *target, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Deliver a PRIVMSG from one user to another as sent by `from`, without
 * running the message hooks (e.g. a message a module held back until the
 * recipient agreed to it). */
void hv_deliver_privmsg(hv_user *from, hv_user *to, const char *text);

/* ------------------------------------------------------------ client commands */

/* A command handler gets the sender and the parameters. */
typedef void (*hv_command_fn)(hv_user *u, int argc, char **argv, void *arg);
/* Add a client command for registered users (name upper-case). The help text
 * is shown by HELP <name>: first line the syntax, then lines of description
 * separated by '\n'. Fails (-1) if the name exists. */
int hv_command_add(hv_module *self, const char *name, int min_params, hv_command_fn fn, void *arg,
                   const char *help);
/* Mark a module command urgent: it is run at once even when the client is
 * being flood-limited (queued lines before it are then dropped), e.g. a
 * panic button. Returns 0 or -1 if no such module command. */
int hv_command_set_urgent(hv_module *self, const char *name);

/* ------------------------------------------------------------ services */

/* A service pseudo-client: nick@services.<server>, user mode +B, marked as a
 * network service in WHOIS, never killed, kicked or renamed by users. A
 * PRIVMSG to it is split into words and dispatched to its commands; HELP
 * is built in from the help texts. Returns NULL if the nick is taken. */
hv_service *hv_service_new(hv_module *self, const char *nick, const char *realname);
/* The service's own user handle (for joining channels, comparisons). */
hv_user *hv_service_user(hv_service *svc);
typedef void (*hv_service_fn)(hv_service *svc, hv_user *from, int argc, char **argv, void *arg);
/* Register a command the service answers ("FIND"), case-insensitive; argv[0]
 * is the command word. help: syntax line, then description lines. */
int hv_service_command(hv_service *svc, const char *name, int min_args, hv_service_fn fn, void *arg,
                       const char *help);

/* ------------------------------------------------------------ misc */

/* An RPL_ISUPPORT (005) token this module's feature needs, e.g.
 * "CALLERID=g"; sent to clients registering from now on. Copied; removed
 * on unload. Returns 0, or -1 if malformed (spaces) or the list is full. */
int hv_isupport_add(hv_module *self, const char *token);

/* Lines (separated by '\n') this module adds after the MOTD file's lines;
 * NULL or "" removes them. Copied. */
void hv_motd_set_extra(hv_module *self, const char *text);

const char *hv_server_name(void);
const char *hv_network_name(void);
/* The directory of the config file in force (absolute), for files a
 * module's settings name relative to it. */
const char *hv_config_dir(void);
/* The state directory (server.state_dir): where modules keep what must
 * survive a restart, written atomically. Created at start if missing. */
const char *hv_state_dir(void);
/* The longest nick allowed (limits.nicklen, advertised as NICKLEN). */
int hv_nicklen(void);
/* Logs with the module's name; never pass addresses or message text. */
void hv_log(hv_module *self, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
enum { HV_LOG_ERROR = 0, HV_LOG_WARN, HV_LOG_INFO, HV_LOG_DEBUG };

/* ------------------------------------------------------------ config and names */

/* A config error about setting s, the shape the server uses for its own
 * settings: writes "<file>:<line>: <formatted text>" into err ("line N:
 * <text>" when s has no file, just the text when s is NULL or has no
 * line). */
void hv_conf_error(char *err, size_t errlen, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A module's config parser reporting its first error: hv_conf_fail()
 * writes "<file>:<line>: <prefix><path>: <reason>" into err (as
 * hv_conf_error) and sets failed; once failed, later calls do nothing.
 * Set it up as { err, errlen, "mymodule.", false }. */
struct hv_conf_errors {
    char *err;
    size_t errlen;
    const char *prefix;        /* e.g. "moderation."; "" for none */
    bool failed;
};
void hv_conf_fail(struct hv_conf_errors *x, const config_setting_t *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* rfc1459 casefolding, as the server compares nicks and channel names
 * (A-Z [ ] \ ~ become a-z { } | ^): at most len-1 bytes of src and a NUL
 * into dst (nothing when len is 0). dst may be src. */
void hv_casefold(char *dst, const char *src, size_t len);
/* The core's own rules: would the server accept this nick (NICKLEN in
 * force) or this channel name (CHANNELLEN in force)? */
bool hv_valid_nick(const char *nick);
bool hv_valid_channel(const char *name);
/* len bytes from the server's CSPRNG (OpenSSL's, drawn in blocks, so small
 * draws are cheap): 0, or -1 if it failed. */
int hv_random_bytes(void *buf, size_t len);

#endif
