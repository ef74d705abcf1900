/* dotqmail.h: the rules of dot-qmail(5) as pure functions, so they can be
 * tested apart from qmail-local: splitting a .qmail file into delivery
 * instructions, and the names of the .qmail files tried for an address.
 * Nothing here touches the file system or the environment. */
#ifndef DOTQMAIL_H
#define DOTQMAIL_H

#include <stddef.h>
#include "str.h"

/* ---- Instructions ---- */

enum dotqmail_kind {
  DOTQMAIL_BLANK,      /* an empty line after the first: ignored */
  DOTQMAIL_BLANKFIRST, /* the first line is empty: a temporary failure */
  DOTQMAIL_COMMENT,    /* "#...", or "+..." other than "+list": ignored */
  DOTQMAIL_PROGRAM,    /* "|command": arg is the command for sh -c */
  DOTQMAIL_FORWARD,    /* "&address", or any other first character:
                          arg is the address (without the &) */
  DOTQMAIL_MBOX,       /* "/..." or "./..." not ending in '/': arg is the
                          whole line, a file name */
  DOTQMAIL_MAILDIR,    /* "/..." or "./..." ending in '/': a directory */
  DOTQMAIL_LIST        /* "+list": the following lines may only forward */
};

struct dotqmail_line {
  enum dotqmail_kind kind;
  const char *arg; /* points into the buffer given to dotqmail_next */
  size_t len;      /* arg's length (not NUL-terminated) */
};

/* Take the instruction starting at buf[*pos] (buf holds len bytes, the
 * whole .qmail file): the line runs to the next '\n' or to the end of buf
 * (a last line without '\n' counts), its trailing spaces and tabs are
 * removed, and it is classified as above; *pos moves past it. The first
 * line is the one at offset 0. Returns 1, or 0 when *pos >= len (no line
 * is left). */
int dotqmail_next(const char *buf, size_t len, size_t *pos, struct dotqmail_line *l);

/* ---- Which .qmail file ---- */

/* The extension as used in file names: ASCII upper case lowered and every
 * '.' turned into ':' (so no name can contain ".."); same length as ext.
 * 1, or 0 out of memory. */
int dotqmail_safeext(str *out, const char *ext);

/* out = ".qmail" dash safeext[0..n) suffix. 1, or 0 out of memory. */
int dotqmail_name(str *out, const char *dash, const str *safeext, size_t n, const char *suffix);

#define DOTQMAIL_NODEFAULT ((size_t)-1)

/* The candidate files for one address, in the order qmail-local tries
 * them: first ".qmail" dash safeext, then for every prefix of safeext that
 * is empty or ends in '-', longest first, ".qmail" dash prefix "default".
 * For ext "foo-bar": .qmail-foo-bar, .qmail-foo-default, .qmail-default;
 * for dash and ext both empty: .qmail, .qmaildefault. */
struct dotqmail_search {
  const char *dash;
  const str *safeext;
  size_t next;   /* the next prefix length to consider */
  int state;     /* 0 before the exact name, 1 in the prefixes, 2 done */
};

void dotqmail_search_start(struct dotqmail_search *s, const char *dash, const str *safeext);

/* Put the next candidate's name in name and where $DEFAULT starts within
 * ext (the same offset in safeext) in *deflt, or DOTQMAIL_NODEFAULT when
 * the name sets no DEFAULT (the exact name sets it only when safeext ends
 * in "default"). Returns 1, 0 when no candidate is left, -1 out of
 * memory. */
int dotqmail_search_next(struct dotqmail_search *s, str *name, size_t *deflt);

#endif
