/* test_sesslog.c: unit tests for sesslog.h: the line layout (pid, words,
 * newline, one write), the escaping of a client's bytes, the bound on a
 * line, and silence when off. fd 2 goes to a temporary file meanwhile. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "sesslog.h"

static char tmpfn[] = "/tmp/test_sesslog.XXXXXX";
static int saved_err = -1, logfd = -1;
static char got[4 * SESSLOG_MAX];
static char pid[32];

/* Start catching fd 2. */
static void catch_start(void)
{
  logfd = mkstemp(tmpfn);
  if (logfd == -1) {
    perror("mkstemp");
    exit(2);
  }
  unlink(tmpfn);
  memcpy(tmpfn + strlen(tmpfn) - 6, "XXXXXX", 6);
  saved_err = dup(2);
  dup2(logfd, 2);
}

/* Stop, and what was written (NUL-terminated) in got. */
static size_t catch_stop(void)
{
  ssize_t n;
  dup2(saved_err, 2);
  close(saved_err);
  n = pread(logfd, got, sizeof got - 1, 0);
  close(logfd);
  got[n > 0 ? n : 0] = 0;
  return n > 0 ? (size_t)n : 0;
}

static void test_lines(void)
{
  struct sesslog l;
  char want[200];

  catch_start();
  sesslog_init(&l, 1);
  sesslog_begin(&l, "smtp from");
  sesslog_client(&l, "", "1.2.3.4", 7, "");
  sesslog_word(&l, "n");
  sesslog_num(&l, 18446744073709551615ULL);
  sesslog_end(&l);
  sesslog_begin(&l, "mail");
  sesslog_client(&l, "<", "a b\\c\n\r\x01\x7f\xff@x", 12, ">");
  sesslog_wordn(&l, "okay", 2);
  sesslog_end(&l);
  catch_stop();
  snprintf(want, sizeof want,
           "%s smtp from 1.2.3.4 n 18446744073709551615\n"
           "%s mail <a\\x20b\\x5cc\\x0a\\x0d\\x01\\x7f\\xff@x> ok\n", pid, pid);
  CHECK_STR(got, want);
}

static void test_bound(void)
{
  struct sesslog l;
  char big[3000];
  size_t n;

  memset(big, 1, sizeof big);
  catch_start();
  sesslog_init(&l, 1);
  sesslog_begin(&l, "helo");
  sesslog_client(&l, "", big, sizeof big, "");
  sesslog_word(&l, "after");
  sesslog_end(&l);
  /* the next line is whole again */
  sesslog_begin(&l, "x");
  sesslog_end(&l);
  n = catch_stop();
  {
    char *nl = strchr(got, '\n');
    CHECK(nl && (size_t)(nl - got) + 1 <= SESSLOG_MAX);
    CHECK(nl && !memcmp(nl - 3, "...", 3));
    CHECK(nl && !strncmp(got + strlen(pid), " helo \\x01\\x01", 14));
    CHECK(nl && !strcmp(nl + 1 + strlen(pid), " x\n"));
  }
  CHECK(n < 2 * SESSLOG_MAX);
}

static void test_off(void)
{
  struct sesslog l;
  catch_start();
  sesslog_init(&l, 0);
  sesslog_begin(&l, "mail");
  sesslog_client(&l, "<", "a", 1, ">");
  sesslog_end(&l);
  CHECK(catch_stop() == 0);
}

int main(void)
{
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  RUN(test_lines);
  RUN(test_bound);
  RUN(test_off);
  return check_report();
}
