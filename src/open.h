/* open.h: the few ways qmail programs open files. Each returns an fd or
 * -1 with errno set. */
#ifndef OPEN_H
#define OPEN_H

int open_read(const char *fn);                 /* read-only, non-blocking off */
int open_write(const char *fn);                /* write-only, must exist */
int open_append(const char *fn);               /* write, append, create 0600 */
int open_trunc(const char *fn);                /* write, create 0644, truncate */
int open_excl(const char *fn);                 /* write, must not exist, 0644 */

#endif
