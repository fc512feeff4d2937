/* example.c — a small, complete havend module, for bot authors to copy.
 *
 * It shows the four things most modules do:
 *   1. read its own config group      (example = { greeting = "..."; };)
 *   2. hook an event                  (greet people when they register;
 *                                      refuse channel messages that shout)
 *   3. add a client command           (/quote ECHO <text>, with HELP ECHO)
 *   4. run a service pseudo-client    (/msg Echo PING)
 *
 * Build it out of tree against an installed havend:
 *   cc -shared -fPIC -I/usr/local/include $(pkg-config --cflags libconfig) \
 *      -o example.so example.c
 * and load it by adding "example" to `modules = [ ... ]` in havend.conf,
 * with `module_path` pointing at the directory holding example.so.
 */
#include <havend/module.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static char greeting[200];
static hv_service *echo_service;

/* 1. Config: copy what we need; the config tree goes away on REHASH. */
static int read_config(const config_setting_t *conf, char *err, size_t errlen)
{
    const char *g = "Hello from the example module!";
    if (conf && config_setting_lookup_string(conf, "greeting", &g) == CONFIG_FALSE &&
        config_setting_get_member(conf, "greeting")) {
        snprintf(err, errlen, "example.greeting must be a string");
        return -1;
    }
    snprintf(greeting, sizeof greeting, "%s", g);
    return 0;
}

/* 2a. A notification hook: runs after the welcome burst. */
static enum hv_verdict on_registered(struct hv_event *ev, void *arg)
{
    hv_service_notice(echo_service, hv_user_nick(ev->user), "%s", greeting);
    return HV_PASS;
}

/* 2b. A blocking hook: a channel message that is all capitals (and long
 * enough to be shouting) is refused, and the sender is told why. */
static enum hv_verdict on_channel_message(struct hv_event *ev, void *arg)
{
    size_t letters = 0, upper = 0;
    for (const char *p = ev->text; *p; p++) {
        if (isalpha((unsigned char)*p)) {
            letters++;
            upper += isupper((unsigned char)*p) != 0;
        }
    }
    if (letters >= 12 && upper == letters) {
        snprintf(ev->reason, sizeof ev->reason, "Your message to %s was not sent: please don't shout.",
                 hv_channel_name(ev->channel));
        return HV_BLOCK;
    }
    return HV_PASS;
}

/* 3. A client command: ECHO <text> sends the text back as a server notice. */
static void cmd_echo(hv_user *u, int argc, char **argv, void *arg)
{
    hv_send_server_notice(u, "ECHO: %s", argv[0]);
}

/* 4. A service command: PING answers PONG. argv[0] is the command word. */
static void svc_ping(hv_service *svc, hv_user *from, int argc, char **argv, void *arg)
{
    hv_service_notice(svc, hv_user_nick(from), "PONG%s%s", argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

static int example_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    if (read_config(conf, err, errlen) != 0)
        return -1;
    echo_service = hv_service_new(self, "Echo", "Example module service");
    if (!echo_service) {
        snprintf(err, errlen, "the nick Echo is taken");
        return -1;
    }
    hv_service_command(echo_service, "PING", 0, svc_ping, NULL,
                       "PING [word]\nAnswers PONG, with the word if you give one.");
    hv_hook_add(self, HV_HOOK_REGISTERED, 100, on_registered, NULL);
    hv_hook_add(self, HV_HOOK_CHANNEL_MESSAGE, 100, on_channel_message, NULL);
    hv_command_add(self, "ECHO", 1, cmd_echo, NULL,
                   "ECHO <text>\nThe server sends <text> back to you as a notice.");
    hv_log(self, HV_LOG_INFO, "ready");
    return 0;
}

static int example_reload(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    return read_config(conf, err, errlen);
}

/* Everything registered above is removed by the server on unload; only
 * module-owned memory would need freeing here. */
static void example_shutdown(hv_module *self)
{
    echo_service = NULL;
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "example",
    .version = "1.0",
    .description = "A commented example: a hook, a command, a service",
    .init = example_init,
    .reload = example_reload,
    .shutdown = example_shutdown,
});
