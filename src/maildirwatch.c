/* maildirwatch: show a summary of the new messages in $MAILDIR twice a
 * minute, for a VT100-compatible window (maildirwatch(1)).
 * Each round clears the screen, then for every message in new/, oldest
 * first: "FROM <return path> TO <delivered-to>", the From: field in bold,
 * and the start of the Subject and body (at most TEXT_MAX bytes); bytes
 * that are not printable ASCII are shown as '/' ('?' in the addresses).
 * Runs as its caller, with no privileges of its own. Untrusted: the
 * messages (read through headerbody's bounded fields and lines, and only
 * as far as the summary needs). Touches nothing but stale files in
 * $MAILDIR/tmp (removed, as maildir(5) says) and its output. */
#include <unistd.h>
#include <time.h>
#include "err.h"
#include "headerbody.h"
#include "io.h"
#include "maildir.h"
#include "open.h"
#include "str.h"

#define FATAL "maildirwatch: fatal: "
#define TEXT_MAX 158
#define INTERVAL 30

struct summary {
  str sender, recipient, fromline, text;
};

static void die_nomem(void) { err_die(111, FATAL, "out of memory", (char *)0); }

static void addtext(struct summary *m, const char *s, size_t n)
{
  size_t room = TEXT_MAX - m->text.len;
  if (!str_cat(&m->text, s, n < room ? n : room)) die_nomem();
}

/* The field's contents after its name, without the field's '\n'. */
static void value(str *to, const char *s, size_t n)
{
  size_t i = headerbody_skipname(s, n);
  if (i == n) return;
  if (s[n - 1] == '\n') --n;
  if (!str_copy(to, s + i, n - i)) die_nomem();
}

static void field(void *ctx, const char *s, size_t n, int whole)
{
  struct summary *m = ctx;
  (void)whole; /* a cut field still gives the start of the summary */
  if (headerbody_is(s, n, "subject")) {
    size_t i = headerbody_skipname(s, n);
    addtext(m, s + i, n - i);
  } else if (headerbody_is(s, n, "delivered-to")) {
    value(&m->recipient, s, n);
  } else if (headerbody_is(s, n, "return-path")) {
    value(&m->sender, s, n);
  } else if (headerbody_is(s, n, "from")) {
    if (!str_copy(&m->fromline, s, s[n - 1] == '\n' ? n - 1 : n)) die_nomem();
  }
}

static int body(void *ctx, const char *s, size_t n)
{
  struct summary *m = ctx;
  addtext(m, s, n);
  return m->text.len < TEXT_MAX;
}

static void printable(str *sa, char bad)
{
  for (size_t i = 0; i < sa->len; ++i)
    if ((unsigned char)sa->s[i] < 32 || (unsigned char)sa->s[i] > 126) sa->s[i] = bad;
}

int main(void)
{
  static char outspace[IO_OUTSIZE], inspace[IO_INSIZE];
  struct summary m = { STR_INIT, STR_INIT, STR_INIT, STR_INIT };
  struct headerbody h = { field, body, &m };
  maildir_list l = MAILDIR_LIST_INIT;
  str err = STR_INIT;
  iobuf out, in;

  if (maildir_chdir(&err) == -1) err_die(111, FATAL, err.s, (char *)0);
  io_init(&out, io_write, 1, outspace, sizeof outspace);

  for (;;) {
    time_t now = time(0);
    maildir_clean(now);
    if (maildir_scan(&l, 1, 0, now, &err) == -1) err_die(111, FATAL, err.s, (char *)0);
    io_putsflush(&out, "\033[;H\033[;J");

    for (size_t i = 0; i < l.len; ++i) {
      int fd = open_read(maildir_name(&l, i));
      if (fd == -1) continue;
      io_init(&in, io_read, fd, inspace, sizeof inspace);
      if (!str_copys(&m.sender, "?") || !str_copys(&m.recipient, "?")) die_nomem();
      m.fromline.len = m.text.len = 0;
      if (headerbody(&in, &h) == -1) err_die(111, FATAL, "trouble reading new message", (char *)0);
      close(fd);

      printable(&m.fromline, '/');
      printable(&m.sender, '?');
      printable(&m.recipient, '?');
      printable(&m.text, '/');
      io_puts(&out, "FROM ");
      io_putstr(&out, &m.sender);
      io_puts(&out, " TO <");
      io_putstr(&out, &m.recipient);
      io_puts(&out, ">\n");
      if (m.fromline.len) {
        io_puts(&out, "\033[1m");
        io_putstr(&out, &m.fromline);
        io_puts(&out, "\033[0m\n");
      }
      io_putstr(&out, &m.text);
      io_puts(&out, "\n\n");
    }
    io_flush(&out);
    sleep(INTERVAL);
  }
}
