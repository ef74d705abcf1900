/* getpw.h: qmail-getpw's answer (qmail-getpw(8)), shared by its two
 * builds. qmail-getpw reads the passwd file itself when it can be sure
 * that the system's C library would say the same; qmail-getpw-nss asks
 * the C library (getpwnam, through its NSS modules). Everything but the
 * lookup of one account name is here: the prefix rule (users.h), the
 * tests an account must pass, the alias fallback and the output, so the
 * two programs cannot drift apart. */
#ifndef GETPW_H
#define GETPW_H

#include <sys/types.h>
#include "str.h"

/* The four fields of a passwd entry that qmail-getpw uses. */
struct getpw_account {
  const char *name;
  uid_t uid;
  gid_t gid;
  const char *home;
};

/* What looking up one account name says. */
enum {
  GETPW_FOUND = 1,   /* *a is filled; its strings stay valid until the
                        next lookup */
  GETPW_ABSENT = 0,  /* there is no account of that name */
  GETPW_TEMP = -1,   /* the lookup failed; it may work later */
  GETPW_UNSURE = -2  /* this lookup cannot tell (qmail-getpw then leaves
                        the whole address to qmail-getpw-nss) */
};

typedef int (*getpw_lookup)(const char *name, struct getpw_account *a, void *ctx);

/* The account that controls local (a C string), by the rules of
 * qmail-getpw(8): the longest prefix that users_getpw_split offers (with
 * break character brk) naming an account whose uid is not 0, whose name
 * is exactly the prefix (so no upper case) and whose home directory
 * exists and belongs to it; else the account named alias, with dash "-"
 * and all of local as the extension. Accounts are looked up with lookup
 * (ctx passed on), longest name first, and the alias account last.
 * Returns the exit code qmail-getpw gives: 0, with out holding
 * user\0uid\0gid\0homedir\0dash\0ext\0; 100 when not even the alias
 * account exists; 111 when a lookup, a look at a home directory or
 * memory failed. GETPW_UNSURE as soon as a lookup says so. */
int getpw_answer(const char *local, char brk, const char *alias, getpw_lookup lookup, void *ctx,
                 str *out);

/* Exit with code, first writing out to fd 1 if code is 0 (111 instead if
 * that write fails): nothing is printed for any other exit. */
void getpw_exit(int code, const str *out) __attribute__((noreturn));

#endif
