/* placeholder, being written */
#include "harness.h"
#include <criterion/criterion.h>
