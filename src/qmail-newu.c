/* qmail-newu: compile QMAILHOME/users/assign into users/cdb (qmail-newu(8)).
 * Run by the administrator (root) after editing users/assign, which it
 * trusts only as far as its format: every line is checked (no NUL; the
 * kind character, an address, ':', six more ':'-ended fields; the file
 * must end with a line starting with '.'), and lines are bounded. Writes
 * users/cdb.tmp, fsyncs it, renames it over users/cdb and fsyncs users/,
 * so readers see the old database or the new one, never a mixture. On any
 * problem users/cdb is left alone and it exits 111 with a message. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdb.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "open.h"
#include "str.h"
#include "users.h"

#define LINE_MAX_BYTES 65536 /* longest assign line, newline included */

#define FATAL "qmail-newu: fatal: "

static int made_tmp;

static void die(const char *why)
{
  if (made_tmp) unlink("users/cdb.tmp");
  err_die(111, FATAL, why, (const char *)0);
}

static void die_write(void) { die("unable to write users/cdb.tmp"); }
static void die_nomem(void) { die("out of memory"); }

int main(void)
{
  char inspace[4096];
  struct cdb_make cm;
  str line = STR_INIT, key = STR_INIT, data = STR_INIT, wild = STR_INIT;
  iobuf in;
  int fd, fdtmp;

  umask(033);
  if (!str_copys(&wild, "")) die_nomem();
  if (chdir(auto_qmail) == -1) die("unable to chdir");
  fd = open_read("users/assign");
  if (fd == -1) die("unable to open users/assign");
  io_init(&in, io_read, fd, inspace, sizeof inspace);

  fdtmp = open_trunc("users/cdb.tmp");
  if (fdtmp == -1) die("unable to open users/cdb.tmp");
  made_tmp = 1;
  if (cdb_make_start(&cm, fdtmp) == -1) die_write();

  for (;;) {
    int r, wildchar;

    line.len = 0;
    r = io_getline(&in, &line, '\n', LINE_MAX_BYTES);
    if (r == IO_ERR) {
      if (errno == ENOMEM) die_nomem();
      die("unable to read users/assign");
    }
    if (line.len && line.s[0] == '.') break;
    if (r != IO_LINE) die("bad format in users/assign");
    r = users_assign_parse(line.s, line.len - 1, &key, &data, &wildchar);
    if (r == -1) die_nomem();
    if (r == 0) die("bad format in users/assign");
    if (wildchar != -1 && !users_wild_add(&wild, (char)wildchar)) die_nomem();
    if (cdb_make_add(&cm, key.s, key.len, data.s, data.len) == -1) {
      if (errno == ENOMEM) die_nomem();
      die_write();
    }
  }
  close(fd);

  if (cdb_make_add(&cm, "", 0, wild.s, wild.len) == -1) die_write();
  if (cdb_make_finish(&cm) == -1) die_write();
  if (fsync(fdtmp) == -1) die_write();
  if (close(fdtmp) == -1) die_write();
  if (rename("users/cdb.tmp", "users/cdb") == -1) die("unable to move users/cdb.tmp to users/cdb");
  made_tmp = 0;
  if (fd_syncdir("users") == -1) die("unable to move users/cdb.tmp to users/cdb");
  return 0;
}
