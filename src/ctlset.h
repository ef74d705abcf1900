/* ctlset.h: a control file's lines as a sorted, lower-cased set, for the
 * servers' exact-match lookups (rcpthosts, badmailfrom). */
#ifndef CTLSET_H
#define CTLSET_H

#include <stddef.h>
#include "str.h"

struct ctlset {
  const char **v;
  size_t n;
};

/* Index the NUL-terminated lines in lines (control_readfile's format),
 * lower-casing them in place; lines must outlive the set. 1, or 0 when
 * memory ran out. */
int ctlset_load(struct ctlset *s, str *lines);
/* 1 if the set holds exactly the len bytes at buf (which must already be
 * lower case), else 0. */
int ctlset_has(const struct ctlset *s, const char *buf, size_t len);
/* Lower-case ASCII letters in place. */
void ctlset_lower(char *s, size_t len);

#endif
