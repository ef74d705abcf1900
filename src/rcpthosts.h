/* rcpthosts.h: the relay check of qmail-smtpd and qmail-qmtpd. An address
 * is acceptable when it has no '@', when control/rcpthosts does not exist,
 * or when its host (after the last '@', lower-cased) or a suffix of it
 * starting at a '.' is a line of control/rcpthosts or a key of
 * control/morercpthosts.cdb (consulted only when rcpthosts exists). */
#ifndef RCPTHOSTS_H
#define RCPTHOSTS_H

#include <stddef.h>

/* Read the files (from QMAILHOME). 0, or -1 if one exists but cannot be
 * read or memory ran out. */
int rcpthosts_init(void);
/* 1 acceptable, 0 not, -1 when morercpthosts.cdb cannot be read or memory
 * ran out. */
int rcpthosts_ok(const char *addr, size_t len);

#endif
