/* testhost.c — a test-only module: TESTHOST <user> <host> changes the
 * caller's public user@host through hv_user_set_host, so the integration
 * tests can watch CHGHOST and its QUIT/JOIN fallback. Never installed. */
#include <havend/module.h>

static void cmd_testhost(hv_user *u, int argc, char **argv, void *arg)
{
    if (hv_user_set_host(u, argv[0], argv[1]) != 0)
        hv_send_server_notice(u, "TESTHOST: invalid user or host");
}

static int testhost_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen)
{
    return hv_command_add(self, "TESTHOST", 2, cmd_testhost, NULL, "TESTHOST <user> <host>\nTest only.");
}

HAVEND_MODULE({
    .api_version = HAVEND_MODULE_API_VERSION,
    .name = "testhost",
    .version = "1",
    .description = "Test-only: change your own public user@host",
    .init = testhost_init,
});
