/* env.c: environment access (see env.h). */
#include <stdlib.h>
#include "env.h"

const char *env_get(const char *name) { return getenv(name); }
