/* qmail-newmrh: compile QMAILHOME/control/morercpthosts into
 * control/morercpthosts.cdb for qmail-smtpd (qmail-newmrh(8)).
 * Run by root (or the owner of control/) whenever morercpthosts changes.
 * Input: control/morercpthosts, an admin-edited file; lines are bounded
 * (CONTROL_LINE_MAX) and the database size is checked by the cdb writer.
 * Each line, lower-cased and with trailing spaces, tabs and the newline
 * removed, becomes a key with empty data, unless it is empty or starts
 * with '#'. Writes control/morercpthosts.tmp (mode 0644), fsyncs it and
 * renames it over control/morercpthosts.cdb, then syncs control/, so
 * qmail-smtpd sees the old database or the new one, never a mixture.
 * Exit 0 on success; 111 with a message on any trouble, leaving
 * morercpthosts.cdb as it was (two simultaneous runs are not guarded). */
#include <errno.h>
#include <stdio.h> /* rename */
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "cdb.h"
#include "control.h"
#include "err.h"
#include "fd.h"
#include "io.h"
#include "open.h"
#include "str.h"

#define FATAL "qmail-newmrh: fatal: "
#define TMP "control/morercpthosts.tmp"

static int made_tmp;

static void die_read(void)
{
  int saved = errno;
  if (made_tmp) unlink(TMP);
  errno = saved;
  err_die_sys(111, FATAL, "unable to read control/morercpthosts", (char *)0);
}

static void die_write(void)
{
  int saved = errno;
  if (made_tmp) unlink(TMP);
  errno = saved;
  err_die_sys(111, FATAL, "unable to write to " TMP, (char *)0);
}

int main(void)
{
  static struct cdb_make cdb;
  char inspace[4096];
  str line = STR_INIT;
  iobuf in;
  int fd, fdtemp;

  umask(033);
  if (chdir(auto_qmail) == -1) err_die_sys(111, FATAL, "unable to chdir to ", auto_qmail, (char *)0);

  fd = open_read("control/morercpthosts");
  if (fd == -1) die_read();
  io_init(&in, io_read, fd, inspace, sizeof inspace);

  fdtemp = open_trunc(TMP);
  if (fdtemp == -1) die_write();
  made_tmp = 1;
  if (cdb_make_start(&cdb, fdtemp) == -1) die_write();

  for (;;) {
    int r;
    line.len = 0;
    r = io_getline(&in, &line, '\n', CONTROL_LINE_MAX + 1);
    if (r == IO_TOOLONG) errno = EFBIG;
    if (r == IO_ERR || r == IO_TOOLONG) die_read();
    for (size_t i = 0; i < line.len; ++i)
      if (line.s[i] >= 'A' && line.s[i] <= 'Z') line.s[i] = (char)(line.s[i] + 32);
    while (line.len) {
      char c = line.s[line.len - 1];
      if (c != ' ' && c != '\t' && c != '\n') break;
      --line.len;
    }
    if (line.len && line.s[0] != '#' && cdb_make_add(&cdb, line.s, line.len, "", 0) == -1)
      die_write();
    if (r == IO_EOF) break;
  }
  close(fd);

  if (cdb_make_finish(&cdb) == -1) die_write();
  if (fsync(fdtemp) == -1) die_write();
  if (close(fdtemp) == -1) die_write();
  if (rename(TMP, "control/morercpthosts.cdb") == -1) {
    int saved = errno;
    unlink(TMP);
    errno = saved;
    err_die_sys(111, FATAL, "unable to move " TMP " to control/morercpthosts.cdb", (char *)0);
  }
  if (fd_syncdir("control") == -1) err_die_sys(111, FATAL, "unable to sync control", (char *)0);
  return 0;
}
