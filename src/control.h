/* control.h: reading QMAILHOME/control files as qmail-control(5) says.
 * Paths are relative: programs chdir to QMAILHOME first.
 * Returns: 1 read, 0 the file does not exist (defaults apply),
 * -1 it exists but could not be read (callers fail temporarily). */
#ifndef CONTROL_H
#define CONTROL_H

#include "str.h"

/* Longest control-file line accepted; a longer one is a read error. */
#define CONTROL_LINE_MAX (1024 * 1024)

/* Read control/me, the base of most defaults. */
int control_init(void);
/* The value of control/me after control_init (0 if it was missing). */
const str *control_me(void);

/* First line, trailing spaces, tabs and CRs removed. */
int control_readline(str *sa, const char *fn);
/* Like control_readline, but a missing file gives me (if use_me and me
 * exists) or else def (if def is not 0). Returns 1 when sa was set from
 * the file or a default, 0 when no value exists, -1 on error. */
int control_rldef(str *sa, const char *fn, int use_me, const char *def);
/* First line as a decimal number; a missing file or a line not starting
 * with a digit leaves *value alone and returns 0. */
int control_readint(unsigned long long *value, const char *fn);
/* Every line that is neither empty nor a # comment, trailing white space
 * removed, each followed by a NUL. A missing file gives me (if use_me)
 * or nothing, and returns 0. */
int control_readfile(str *sa, const char *fn, int use_me);
/* The whole file as it is (0 and nothing when it does not exist). */
int control_readraw(str *sa, const char *fn);

#endif
