/* test_maildir.c: unit tests for maildir.c in a scratch directory:
 * $MAILDIR handling and its error texts, the scan (new/ and cur/, oldest
 * first then by name, without dot files, non-files or files modified
 * now or later) and its error texts, and the cleaning of tmp/. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "check.h"
#include "maildir.h"
#include "str.h"

static void file(const char *name, time_t atime, time_t mtime)
{
  struct timeval tv[2] = { { atime, 0 }, { mtime, 0 } };
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(fd != -1);
  close(fd);
  CHECK(utimes(name, tv) == 0);
}

int main(void)
{
  char top[] = "/tmp/test_maildir.XXXXXX";
  maildir_list l = MAILDIR_LIST_INIT;
  str err = STR_INIT;
  time_t now = time(0);

  CHECK(mkdtemp(top) != 0);

  unsetenv("MAILDIR");
  CHECK(maildir_chdir(&err) == -1);
  CHECK_STR(err.s, "MAILDIR not set");
  setenv("MAILDIR", "/nonexistent/md", 1);
  CHECK(maildir_chdir(&err) == -1);
  CHECK_STR(err.s, "unable to chdir to /nonexistent/md: file does not exist");
  setenv("MAILDIR", top, 1);
  CHECK(maildir_chdir(&err) == 0);

  /* no subdirectories yet */
  CHECK(maildir_scan(&l, 1, 0, now, &err) == -1);
  CHECK_STR(err.s, "unable to scan $MAILDIR/new: file does not exist");
  CHECK(mkdir("new", 0700) == 0 && mkdir("tmp", 0700) == 0);
  CHECK(maildir_scan(&l, 1, 1, now, &err) == -1);
  CHECK_STR(err.s, "unable to scan $MAILDIR/cur: file does not exist");
  CHECK(mkdir("cur", 0700) == 0);
  CHECK(maildir_scan(&l, 1, 1, now, &err) == 0 && l.len == 0);

  file("new/b", now, now - 100);
  file("new/a", now, now - 100);
  file("new/c", now, now - 300);
  file("new/.hidden", now, now - 500);
  file("new/late", now, now);
  file("cur/x:2,S", now, now - 200);
  file("cur/y", now, now + 50);
  CHECK(mkdir("cur/dir", 0700) == 0);

  CHECK(maildir_scan(&l, 1, 1, now, &err) == 0);
  CHECK(l.len == 4);
  if (l.len == 4) {
    CHECK_STR(maildir_name(&l, 0), "new/c");
    CHECK_STR(maildir_name(&l, 1), "cur/x:2,S");
    CHECK_STR(maildir_name(&l, 2), "new/a");
    CHECK_STR(maildir_name(&l, 3), "new/b");
    CHECK(l.e[0].mtime == now - 300 && l.e[3].mtime == now - 100);
  }
  CHECK(maildir_scan(&l, 1, 0, now, &err) == 0 && l.len == 3);
  CHECK(maildir_scan(&l, 0, 1, now, &err) == 0 && l.len == 1);
  CHECK(maildir_scan(&l, 0, 1, now + 51, &err) == 0 && l.len == 2);

  /* unreadable new/ (not for root, who may read anything) */
  if (geteuid() != 0) {
    CHECK(chmod("new", 0) == 0);
    CHECK(maildir_scan(&l, 1, 0, now, &err) == -1);
    CHECK_STR(err.s, "unable to scan $MAILDIR/new: access denied");
    CHECK(chmod("new", 0700) == 0);
  }

  /* tmp/: gone after 36 hours without access, not before */
  file("tmp/old", now - MAILDIR_STALE - 1, now - MAILDIR_STALE - 1);
  file("tmp/recent", now - MAILDIR_STALE, now - 2 * MAILDIR_STALE);
  file("tmp/.dot", now - 3 * MAILDIR_STALE, now - 3 * MAILDIR_STALE);
  maildir_clean(now);
  CHECK(access("tmp/old", F_OK) == -1);
  CHECK(access("tmp/recent", F_OK) == 0);
  CHECK(access("tmp/.dot", F_OK) == 0);

  {
    const char *const names[] = { "new/a", "new/b", "new/c", "new/.hidden", "new/late",
                                  "cur/x:2,S", "cur/y", "tmp/recent", "tmp/.dot" };
    for (size_t i = 0; i < sizeof names / sizeof *names; ++i) CHECK(unlink(names[i]) == 0);
    CHECK(rmdir("cur/dir") == 0 && rmdir("cur") == 0 && rmdir("new") == 0 && rmdir("tmp") == 0);
    CHECK(chdir("/") == 0 && rmdir(top) == 0);
  }
  maildir_free(&l);
  str_free(&err);
  return check_report();
}
