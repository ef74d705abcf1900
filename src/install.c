/* install: create or update the qmail hierarchy under QMAILHOME, run as
 * root by `make setup` from the top of the source tree. Directories and
 * files get the owners, groups and modes of hier.c; programs are replaced
 * atomically (copy to a temporary name, fsync, rename). The queue's
 * contents, lock/tcpto, lock/sendmutex, control/ and users/ are kept:
 * running it again on an installed tree is safe. What `make check` would
 * refuse is repaired where no queued mail is at stake: a missing
 * directory is made, a wrong owner or mode set right, a trigger that is
 * not a named pipe and a lock file of the wrong size or type replaced.
 * Usage: install [builddir]   (default: build) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "err.h"
#include "fd.h"
#include "hier.h"
#include "io.h"
#include "open.h"
#include "str.h"

#define FATAL "install: fatal: "

static str target = STR_INIT;

static const char *full_path(const char *path)
{
  target.len = 0;
  if (!str_cats(&target, auto_qmail) ||
      (strcmp(path, ".") && (!str_putc(&target, '/') || !str_cats(&target, path))))
    err_die(111, FATAL, "out of memory", (char *)0);
  return target.s;
}

static void set_owner_mode(const char *fn, const struct hier_entry *e)
{
  if (chown(fn, e->uid, e->gid) == -1) err_die_sys(111, FATAL, "unable to chown ", fn, (char *)0);
  if (chmod(fn, e->mode) == -1) err_die_sys(111, FATAL, "unable to chmod ", fn, (char *)0);
}

static void copy_file(const char *fn, const struct hier_entry *e)
{
  char inspace[IO_INSIZE], outspace[IO_OUTSIZE];
  str tmp = STR_INIT;
  iobuf in, out;
  int infd, outfd, r;

  if (!str_cats(&tmp, fn) || !str_cats(&tmp, ".install-tmp"))
    err_die(111, FATAL, "out of memory", (char *)0);
  infd = open_read(e->from);
  if (infd == -1) err_die_sys(111, FATAL, "unable to read ", e->from, (char *)0);
  unlink(tmp.s);
  outfd = open_excl(tmp.s);
  if (outfd == -1) err_die_sys(111, FATAL, "unable to create ", tmp.s, (char *)0);
  io_init(&in, io_read, infd, inspace, sizeof inspace);
  io_init(&out, io_write, outfd, outspace, sizeof outspace);
  r = io_copy(&out, &in);
  if (r == IO_COPY_RERR) err_die_sys(111, FATAL, "unable to read ", e->from, (char *)0);
  if (r == IO_COPY_WERR || io_flush(&out) == -1 || fsync(outfd) == -1)
    err_die_sys(111, FATAL, "unable to write ", tmp.s, (char *)0);
  close(infd);
  if (close(outfd) == -1) err_die_sys(111, FATAL, "unable to write ", tmp.s, (char *)0);
  set_owner_mode(tmp.s, e);
  if (rename(tmp.s, fn) == -1) err_die_sys(111, FATAL, "unable to rename ", tmp.s, (char *)0);
  str_free(&tmp);
}

/* A file of e->size zero bytes. One already there of that size is kept
 * (lock/tcpto holds qmail-remote's memory of hosts that are down); one of
 * another size or type could never be read, so a new one replaces it,
 * written under a temporary name and renamed over it. */
static void make_zero_file(const char *fn, const struct hier_entry *e)
{
  static const char zeros[1024];
  unsigned long left = e->size;
  str tmp = STR_INIT;
  struct stat st;
  int fd;

  if (lstat(fn, &st) == 0 && S_ISREG(st.st_mode) && (unsigned long)st.st_size == e->size) return;
  if (!str_cats(&tmp, fn) || !str_cats(&tmp, ".install-tmp"))
    err_die(111, FATAL, "out of memory", (char *)0);
  unlink(tmp.s);
  fd = open_excl(tmp.s);
  if (fd == -1) err_die_sys(111, FATAL, "unable to create ", tmp.s, (char *)0);
  while (left) {
    size_t n = left < sizeof zeros ? left : sizeof zeros;
    if (io_write(fd, (void *)zeros, n) != (ssize_t)n) err_die_sys(111, FATAL, "unable to write ", tmp.s, (char *)0);
    left -= n;
  }
  if (fsync(fd) == -1 || close(fd) == -1) err_die_sys(111, FATAL, "unable to write ", tmp.s, (char *)0);
  if (rename(tmp.s, fn) == -1) err_die_sys(111, FATAL, "unable to rename ", tmp.s, (char *)0);
  str_free(&tmp);
}

static void make_fifo(const char *fn)
{
  struct stat st;
  /* A trigger that is not a fifo leaves qmail-send deaf to new mail:
   * replace it. */
  if (lstat(fn, &st) == 0 && !S_ISFIFO(st.st_mode) && unlink(fn) == -1)
    err_die_sys(111, FATAL, "unable to remove ", fn, (char *)0);
  if (mkfifo(fn, 0600) == -1 && errno != EEXIST)
    err_die_sys(111, FATAL, "unable to mkfifo ", fn, (char *)0);
}

static int install_entry(const struct hier_entry *e)
{
  const char *fn = full_path(e->path);

  switch (e->kind) {
  case HIER_DIR:
    if (mkdir(fn, 0700) == -1 && errno != EEXIST) err_die_sys(111, FATAL, "unable to mkdir ", fn, (char *)0);
    break;
  case HIER_FILE:
    copy_file(fn, e);
    return 0;
  case HIER_ZERO:
    make_zero_file(fn, e);
    break;
  case HIER_FIFO:
    make_fifo(fn);
    break;
  }
  set_owner_mode(fn, e);
  return 0;
}

int main(int argc, char **argv)
{
  umask(077);
  if (hier_walk(argc > 1 ? argv[1] : "build", install_entry) == -1)
    err_die_sys(111, FATAL, "unable to list man/ or doc/", (char *)0);
  /* Make the new directory entries durable before anyone relies on them. */
  if (fd_syncdir(full_path("queue/lock")) == -1 || fd_syncdir(full_path("bin")) == -1)
    err_die_sys(111, FATAL, "unable to sync ", target.s, (char *)0);
  return 0;
}
