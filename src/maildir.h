/* maildir.h: reading a maildir (maildir(5)) the way maildir2mbox and
 * maildirwatch do: go to $MAILDIR, throw away stale files in tmp/, and
 * list the messages in new/ and/or cur/ oldest first.
 * Functions that can fail return 0, or -1 with a text for the user in
 * err (overwritten; e.g. "unable to scan $MAILDIR/new: access denied"),
 * to be printed after the program's "NAME: fatal: ". */
#ifndef MAILDIR_H
#define MAILDIR_H

#include <stddef.h>
#include <time.h>
#include "str.h"

/* A file in tmp/ not accessed for this long is left over from a
 * delivery that died, and is removed. */
#define MAILDIR_STALE (36 * 60 * 60)

/* chdir to $MAILDIR. Texts: "MAILDIR not set", "unable to chdir to DIR: ERR". */
int maildir_chdir(str *err);

/* Remove the stale files of tmp/ (names starting with '.' are left
 * alone); now is the current time. Failures are ignored: a file left
 * there now goes next time. */
void maildir_clean(time_t now);

struct maildir_entry {
  time_t mtime;
  size_t name; /* offset of "new/NAME" or "cur/NAME" in the list's names */
};

typedef struct {
  str names; /* the file names, each ending in NUL */
  struct maildir_entry *e;
  size_t len, cap;
} maildir_list;

#define MAILDIR_LIST_INIT { STR_INIT, 0, 0, 0 }

/* Fill l (emptied first) with the regular files of new/ (if flagnew) and
 * cur/ (if flagcur) whose names do not start with '.' and that were last
 * modified before now (a message still arriving in the same second could
 * otherwise be listed out of order), sorted by modification time, then
 * by name. Texts: "unable to scan $MAILDIR/new: ERR" (opening it),
 * "unable to read $MAILDIR/new: ERR" (reading it, or out of memory). */
int maildir_scan(maildir_list *l, int flagnew, int flagcur, time_t now, str *err);

/* The name of entry i, relative to the maildir. */
const char *maildir_name(const maildir_list *l, size_t i);

void maildir_free(maildir_list *l);

#endif
