/* pwfiles.h: when the passwd file alone gives the C library's answer.
 * qmail-getpw (qmail-getpw(8)) reads /etc/nsswitch.conf and /etc/passwd
 * itself instead of asking glibc, whose start-up costs several times the
 * whole lookup; it may do so only where glibc's answer is certain to be
 * what /etc/passwd says, and leaves everything else to qmail-getpw-nss.
 * These functions say when that is, and what the file says; each one
 * answers PWFILES_UNSURE for anything it is not sure about.
 *
 * What glibc (2.36, checked by running it on test files) does, and what
 * is taken from that:
 *  - nsswitch.conf: every line is looked at, lines that do not end in a
 *    newline excepted. White space is the C locale's (space, tab, CR, LF,
 *    VT, FF). The database name is the first word, up to white space or
 *    a colon, compared with case; any run of white space and colons
 *    follows it (the colon may be missing or repeated). The rest is a
 *    list of sources (words ending at white space or '[') and action
 *    items "[STATUS=ACTION ...]" ("!" may come before a status; status
 *    and action words in any case). '#' starts nothing special: a line
 *    whose first word begins with it names no database, so it is ignored
 *    like any unknown database, and "files#x" is one source name.
 *  - When a database is listed more than once, the last line counts.
 *  - One malformed action item on the line of any database glibc knows
 *    (hosts as much as passwd) makes every lookup fail (EINVAL); so an
 *    action item not of a form known to be accepted, on any line, makes
 *    the verdict PWFILES_UNSURE.
 *  - Without the file, or without a passwd line, glibc uses a built-in
 *    default (2.36: files alone), which has changed between its
 *    versions: not certain.
 *  - glibc tries the sources in order and, unless an action item says
 *    otherwise, returns the first source's answer when it found the name.
 *    So with "files" first and no action item, a name in /etc/passwd is
 *    the answer; a name not there is the answer only when "files" is the
 *    only source.
 *  - The files source reads /etc/passwd line by line (the last one need
 *    not end in a newline), skips empty lines and lines starting with '#'
 *    (after white space), never matches a name starting with '+' or '-',
 *    compares names with case, and returns the first matching line; the
 *    home directory is the sixth field even when more colons follow. It
 *    also accepts and skips lines this module does not want to judge
 *    (numbers with signs or white space, fields missing, NUL bytes), so
 *    any such line where it matters makes the lookup PWFILES_UNSURE. */
#ifndef PWFILES_H
#define PWFILES_H

#include <stddef.h>
#include "getpw.h"
#include "str.h"

#define PWFILES_NSSWITCH "/etc/nsswitch.conf"
#define PWFILES_PASSWD "/etc/passwd"

/* Longest nsswitch.conf read (bytes), and longest passwd line, its
 * newline included: beyond them the answer is PWFILES_UNSURE. */
#define PWFILES_CONF_MAX 65536
#define PWFILES_LINE_MAX 4096

enum {
  PWFILES_UNSURE = -1,
  PWFILES_FILES_ONLY = 1,  /* passwd: files */
  PWFILES_FILES_FIRST = 2  /* passwd: files, then other sources */
};

/* The verdict on the passwd entry of an nsswitch.conf whose contents are
 * the len bytes at buf: PWFILES_FILES_ONLY, PWFILES_FILES_FIRST (no
 * action item in the entry, in both cases), or PWFILES_UNSURE (no entry,
 * another first source, an action item in it, a NUL byte, a byte outside
 * printable ASCII and white space on a line that is not a comment, a
 * line starting with a colon or whose name has a '[', an action item
 * anywhere not of the strict form '[' then items "!STATUS=ACTION" ('!'
 * optional; STATUS one of success, notfound, unavail, tryagain; ACTION
 * one of return, continue, merge) separated by white space then ']', or
 * a last line without a newline that is not blank or a comment). */
int pwfiles_nsswitch(const char *buf, size_t len);

/* The same for the file at path, read whole (at most PWFILES_CONF_MAX
 * bytes); PWFILES_UNSURE if it cannot be read. */
int pwfiles_nsswitch_file(const char *path);

/* One line of a passwd file (len bytes at line, no newline) against the
 * account name (a C string): 1 if it is name's entry, with *a filled from
 * it (its strings point into line, where the colons after the name and
 * the home directory are replaced by NULs); 0 if it cannot be name's
 * entry for glibc's files source; PWFILES_UNSURE if it might be and is
 * not plainly name:password:uid:gid:gecos:home:shell with uid and gid
 * 1 to 10 decimal digits below 4294967295, or if it starts with white
 * space or holds a NUL byte. */
int pwfiles_line(char *line, size_t len, const char *name, struct getpw_account *a);

/* Look name up in the passwd file open on fd, from its start: 1 found,
 * *a pointing into line (which holds name's line); 0 no line is name's;
 * PWFILES_UNSURE if a line before name's (or any, when there is none) is
 * PWFILES_UNSURE for pwfiles_line, a line is longer than
 * PWFILES_LINE_MAX, or reading fails. */
int pwfiles_find(int fd, const char *name, str *line, struct getpw_account *a);

#endif
