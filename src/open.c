/* open.c: open() wrappers (see open.h). */
#include <fcntl.h>
#include "open.h"

int open_read(const char *fn) { return open(fn, O_RDONLY | O_NOCTTY); }
int open_write(const char *fn) { return open(fn, O_WRONLY | O_NOCTTY | O_NONBLOCK); }
int open_append(const char *fn) { return open(fn, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY, 0600); }
int open_trunc(const char *fn) { return open(fn, O_WRONLY | O_TRUNC | O_CREAT | O_NOCTTY, 0644); }
int open_excl(const char *fn) { return open(fn, O_WRONLY | O_EXCL | O_CREAT | O_NOCTTY, 0644); }
