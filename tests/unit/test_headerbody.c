/* test_headerbody.c: unit tests for headerbody.c: how a message splits
 * into fields and body lines (continuations, mbox From_ lines, a header
 * ended by a line that is no field, partial last lines), stopping early,
 * fields and lines longer than HEADERBODY_MAX, the field-name helpers. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "headerbody.h"
#include "str.h"

/* Everything seen, as "F:" field "|" or "f:" cut field "|", "B:" line "|". */
static str events = STR_INIT;
static int stop_after; /* body lines before stopping; 0 for never */
static int bodies;

static void field(void *ctx, const char *s, size_t n, int whole)
{
  (void)ctx;
  str_cats(&events, whole ? "F:" : "f:");
  str_cat(&events, s, n);
  str_putc(&events, '|');
}

static int body(void *ctx, const char *s, size_t n)
{
  (void)ctx;
  str_cats(&events, "B:");
  str_cat(&events, s, n);
  str_putc(&events, '|');
  return !stop_after || ++bodies < stop_after;
}

/* Run headerbody over the len bytes at msg, fed through a pipe by a child
 * (messages may exceed the pipe buffer); returns headerbody's result. */
static int walk(const char *msg, size_t len)
{
  static char space[100];
  struct headerbody h = { field, body, 0 };
  iobuf in;
  int pi[2], r;
  pid_t pid;

  events.len = 0;
  bodies = 0;
  if (pipe(pi) == -1) return -2;
  pid = fork();
  if (pid == 0) {
    close(pi[0]);
    while (len) {
      ssize_t w = write(pi[1], msg, len);
      if (w <= 0) _exit(0);
      msg += w;
      len -= (size_t)w;
    }
    _exit(0);
  }
  close(pi[1]);
  io_init(&in, io_read, pi[0], space, sizeof space);
  r = headerbody(&in, &h);
  close(pi[0]);
  waitpid(pid, 0, 0);
  return r;
}

static const struct {
  const char *msg, *events;
} examples[] = {
  { "", "" },
  { "\n", "B:\n|" },
  { "A: 1\n", "F:A: 1\n|" },
  { "A: 1", "F:A: 1\n|" },
  { "A: 1\nB : 2\n\nbody\nmore", "F:A: 1\n|F:B : 2\n|B:\n|B:body\n|B:more\n|" },
  { "Subject: a\n b\n\tc\nTo: x\n\n", "F:Subject: a\n b\n\tc\n|F:To: x\n|B:\n|" },
  { "From x@y Mon\nA: 1\n\n", "F:MBOX-Line: From x@y Mon\n|F:A: 1\n|B:\n|" },
  { "A: 1\nnot a field\nB: 2\n", "F:A: 1\n|B:\n|B:not a field\n|B:B: 2\n|" },
  { "a b: 1\n", "B:\n|B:a b: 1\n|" },
  { ": 1\n", "B:\n|B:: 1\n|" },
  { " leading\n", "B:\n|B: leading\n|" },
  { "A: 1\n\n\n", "F:A: 1\n|B:\n|B:\n|" },
  { "A:\n \n\nx", "F:A:\n \n|B:\n|B:x\n|" },
  { "A: \r\n\r\n", "F:A: \r\n|B:\n|B:\r\n|" },
};

int main(void)
{
  CHECK(str_reserve(&events, 1)); /* events.s is never 0 in CHECK_BYTES */
  for (size_t i = 0; i < sizeof examples / sizeof *examples; ++i) {
    CHECK(walk(examples[i].msg, strlen(examples[i].msg)) == 0);
    CHECK_BYTES(events.s, events.len, examples[i].events);
  }

  /* stopping */
  stop_after = 2;
  CHECK(walk("A: 1\n\none\ntwo\nthree\n", 20) == 0);
  CHECK_BYTES(events.s, events.len, "F:A: 1\n|B:\n|B:one\n|");
  stop_after = 1;
  CHECK(walk("A: 1\nbody\nmore\n", 15) == 0);
  CHECK_BYTES(events.s, events.len, "F:A: 1\n|B:\n|");
  stop_after = 0;

  /* long fields are cut at HEADERBODY_MAX, the rest dropped */
  {
    size_t big = HEADERBODY_MAX + 5000;
    char *msg = malloc(3 * big + 100);
    str want = STR_INIT;
    size_t n = 0;

    memcpy(msg, "Long: ", 6);
    memset(msg + 6, 'x', big);
    n = 6 + big;
    memcpy(msg + n, "\n ", 2);
    n += 2;
    memset(msg + n, 'y', 10);
    n += 10;
    memcpy(msg + n, "\nShort: 1\nCont: a\n ", 19);
    n += 19;
    memset(msg + n, 'z', big);
    n += big;
    memcpy(msg + n, "\n\n", 2);
    n += 2;
    memset(msg + n, 'b', big);
    n += big;
    memcpy(msg + n, "\nend\n", 5);
    n += 5;
    CHECK(walk(msg, n) == 0);

    str_cats(&want, "f:Long: ");
    for (size_t i = 6; i < HEADERBODY_MAX; ++i) str_putc(&want, 'x');
    str_cats(&want, "|F:Short: 1\n|f:Cont: a\n ");
    for (size_t i = 9; i < HEADERBODY_MAX; ++i) str_putc(&want, 'z'); /* "Cont: a\n " is 9 */
    str_cats(&want, "|B:\n|B:");
    for (size_t i = 0; i < HEADERBODY_MAX; ++i) str_putc(&want, 'b');
    str_cats(&want, "|B:end\n|");
    CHECK(events.len == want.len && !memcmp(events.s, want.s, want.len));

    str_free(&want);
    free(msg);
  }

  /* a read error */
  {
    char space[16];
    iobuf in;
    struct headerbody h = { field, body, 0 };
    io_init(&in, io_read, -1, space, sizeof space);
    CHECK(headerbody(&in, &h) == -1);
  }

  CHECK(headerbody_is("Subject: x\n", 11, "subject"));
  CHECK(headerbody_is("SUBJECT \t: x\n", 13, "subject"));
  CHECK(!headerbody_is("Subjects: x\n", 12, "subject"));
  CHECK(!headerbody_is("Subj: x\n", 8, "subject"));
  CHECK(!headerbody_is("Subject x\n", 10, "subject"));
  CHECK(!headerbody_is("Subject", 7, "subject"));
  CHECK(headerbody_is("Delivered-To:", 13, "delivered-to"));
  CHECK(!headerbody_is("Delivered_To:", 13, "delivered-to"));

  CHECK(headerbody_skipname("A: \t\r\n x\n", 9) == 7);
  CHECK(headerbody_skipname("A:", 2) == 2);
  CHECK(headerbody_skipname("A: \n", 4) == 4);
  CHECK(headerbody_skipname("A:x: y", 6) == 2);
  CHECK(headerbody_skipname("no colon", 8) == 8);

  str_free(&events);
  return check_report();
}
