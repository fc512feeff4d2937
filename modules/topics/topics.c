/* placeholder until the topics module lands */
#include <havend/module.h>
static int topics_init(hv_module *self, const config_setting_t *conf, char *err, size_t errlen) { return 0; }
HAVEND_MODULE({ .api_version = HAVEND_MODULE_API_VERSION, .name = "topics", .version = "0", .init = topics_init });
