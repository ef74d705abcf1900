/* users.h: who controls a local address (qmail-users(5), qmail-getpw(8)).
 * Pure functions shared by qmail-newu (compiling users/assign), qmail-lspawn
 * (reading users/cdb) and qmail-getpw (the passwd rules).
 *
 * users/cdb layout, as qmail-1.03 writes it:
 *   "!" local NUL  an exact (=) assignment for local, lower-cased
 *   "!" loc        a wildcard (+) assignment for prefix loc, lower-cased
 *   ""             the set of last characters of the nonempty wildcard
 *                  prefixes (each once), so a lookup tries only prefixes
 *                  that can match; always present
 * The data of both kinds is "user\0uid\0gid\0homedir\0dash\0ext" (the six
 * fields after the address, without a NUL after the last one). A lookup
 * appends, for a wildcard, the rest of the address to ext, then a NUL. */
#ifndef USERS_H
#define USERS_H

#include <stddef.h>
#include <sys/types.h>
#include "cdb.h"
#include "str.h"

/* qmail-getpw never takes a user name of this many characters or more. */
#define USERS_NAME_MAX 32
/* Longest users/cdb record data (and wildcard set) a lookup accepts. */
#define USERS_DATA_MAX 65536

/* One assign line, its newline removed (the caller has already checked
 * that it does not start with '.', which ends the file). Sets key and
 * data to the cdb record and *wildchar to the character to add to the
 * wildcard set, or -1. Returns 1, 0 for a bad line (a NUL, no ':' after
 * the first character, fewer than six ':' after the address), or -1 out
 * of memory. */
int users_assign_parse(const char *line, size_t len, str *key, str *data, int *wildchar);

/* Add c to the wildcard set unless it is already there. 1, or 0 out of
 * memory. */
int users_wild_add(str *wild, char c);

/* Look local (len bytes, no NUL) up in users/cdb: exact match first, then
 * the longest wildcard prefix. 1 found, with out holding the six fields,
 * each ended by a NUL; 0 not listed; -1 error (errno: EPROTO for a
 * database without the wildcard set or with oversized records, ENOMEM,
 * or the read error). */
int users_lookup(struct cdb *c, const char *local, size_t len, str *out);

/* users_lookup in the users/cdb file fn, as qmail-lspawn and
 * qmail-rcptcheck read it: 1 found, 0 not listed or no file; -1 with
 * errno ENOMEM when memory ran out, EPROTO when the file could not be
 * opened or read or is damaged. */
int users_cdb_lookup(const char *fn, const char *local, size_t len, str *out);

/* The six NUL-ended fields, as users_lookup and qmail-getpw give them. */
struct users_entry {
  const char *user;
  uid_t uid;
  gid_t gid;
  const char *home;
  const char *dash;
  const char *ext;
};

/* Split buf (len bytes) into e, whose strings then point into buf. The
 * bytes must be exactly six NUL-ended fields; uid and gid decimal numbers
 * that fit (and are not -1); user and home nonempty. 1, or 0 if not. */
int users_fields(const char *buf, size_t len, struct users_entry *e);

/* qmail-getpw's rule: the longest prefix of local (len bytes) that is all
 * of local or is followed by brk (0: no extensions), shorter than
 * USERS_NAME_MAX and nonempty, for which is_user(lower-cased prefix, ctx)
 * says 1. Returns 1 with *userlen set, 0 if no prefix is a user, -1 as
 * soon as is_user gives -1 (a temporary problem). */
int users_getpw_split(const char *local, size_t len, char brk,
                      int (*is_user)(const char *name, void *ctx), void *ctx,
                      size_t *userlen);

/* ASCII lower case of c. */
static inline char users_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

#endif
