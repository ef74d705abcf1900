/* instcheck: verify that everything hier.c lists exists under QMAILHOME
 * with the right type, owner, group and mode; run by `make check`.
 * Each difference is printed, naming the entry; exit 111 if there is any.
 * Usage: instcheck [builddir]   (default: build) */
#include <stdio.h>
#include <sys/stat.h>
#include "auto.h"
#include "err.h"
#include "hier.h"
#include "io.h"
#include "str.h"

#define FATAL "instcheck: fatal: "

static int problems;

static void complain(const char *fn, const char *what, unsigned long is, unsigned long want, int octal)
{
  char is_s[32], want_s[32];
  snprintf(is_s, sizeof is_s, octal ? "%lo" : "%lu", is);
  snprintf(want_s, sizeof want_s, octal ? "%lo" : "%lu", want);
  err_warn("instcheck: ", fn, ": wrong ", what, " (is ", is_s, ", should be ", want_s, ")", (char *)0);
  problems++;
}

static int check_entry(const struct hier_entry *e)
{
  static str fn = STR_INIT;
  struct stat st;
  int type_ok = 0;

  fn.len = 0;
  if (!str_cats(&fn, auto_qmail) || !str_putc(&fn, '/') || !str_cats(&fn, e->path))
    err_die(111, FATAL, "out of memory", (char *)0);
  if (lstat(fn.s, &st) == -1) {
    err_warn("instcheck: ", fn.s, ": missing", (char *)0);
    problems++;
    return 0;
  }
  switch (e->kind) {
  case HIER_DIR: type_ok = S_ISDIR(st.st_mode); break;
  case HIER_FILE: case HIER_ZERO: type_ok = S_ISREG(st.st_mode); break;
  case HIER_FIFO: type_ok = S_ISFIFO(st.st_mode); break;
  }
  if (!type_ok) {
    err_warn("instcheck: ", fn.s, ": wrong type", (char *)0);
    problems++;
    return 0;
  }
  if (st.st_uid != e->uid) complain(fn.s, "owner", st.st_uid, e->uid, 0);
  if (st.st_gid != e->gid) complain(fn.s, "group", st.st_gid, e->gid, 0);
  if ((st.st_mode & 07777) != e->mode) complain(fn.s, "mode", st.st_mode & 07777, e->mode, 1);
  if (e->kind == HIER_ZERO && (unsigned long)st.st_size != e->size)
    complain(fn.s, "size", (unsigned long)st.st_size, e->size, 0);
  return 0;
}

int main(int argc, char **argv)
{
  if (hier_walk(argc > 1 ? argv[1] : "build", check_entry) == -1)
    err_die_sys(111, FATAL, "unable to list man/ or doc/", (char *)0);
  if (problems) err_die(111, FATAL, "the installation under ", auto_qmail, " is not right", (char *)0);
  return 0;
}
