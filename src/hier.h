/* hier.h: the installed hierarchy under QMAILHOME (owners, groups, modes),
 * walked by install (to create it) and instcheck (to verify it). */
#ifndef HIER_H
#define HIER_H

#include <sys/types.h>

enum hier_kind {
  HIER_DIR,
  HIER_FILE,  /* copied from the source tree (from = source path) */
  HIER_ZERO,  /* created once with size zero bytes, never rewritten */
  HIER_FIFO   /* named pipe, created once */
};

struct hier_entry {
  enum hier_kind kind;
  const char *path;  /* relative to QMAILHOME ("." is QMAILHOME itself) */
  const char *from;  /* HIER_FILE: source file, relative to the build top */
  uid_t uid;
  gid_t gid;
  mode_t mode;
  unsigned long size; /* HIER_ZERO: length in bytes */
};

/* Call visit for every entry, parents before children. Entries for the
 * manual pages and documents are found by listing man/ and doc/ in the
 * current directory (the top of the source tree). B names the build
 * directory holding the programs. Returns 0, or -1 if man/ or doc/
 * could not be listed or memory ran out. */
int hier_walk(const char *builddir, int (*visit)(const struct hier_entry *));

#endif
