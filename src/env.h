/* env.h: reading and building environments. */
#ifndef ENV_H
#define ENV_H

/* Value of name, or 0 when it is not set. */
const char *env_get(const char *name);

#endif
