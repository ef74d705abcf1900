/* test_dotqmail.c: unit tests for dotqmail.c: classifying .qmail lines
 * (trailing white space, the blank-first-line rule) and the order of the
 * .qmail file names tried for an extension, with $DEFAULT. */
#include <string.h>
#include "check.h"
#include "dotqmail.h"
#include "str.h"

static const struct {
  const char *file;          /* a whole .qmail file */
  size_t at;                 /* offset of the line to classify */
  enum dotqmail_kind kind;
  const char *arg;
  size_t next;               /* where the following line starts */
} lines[] = {
  { "# comment\n", 0, DOTQMAIL_COMMENT, "# comment", 10 },
  { "#\n", 0, DOTQMAIL_COMMENT, "#", 2 },
  { "|preline vacation joe\n", 0, DOTQMAIL_PROGRAM, "preline vacation joe", 22 },
  { "| cat >> log \t \n", 0, DOTQMAIL_PROGRAM, " cat >> log", 16 },
  { "|\n", 0, DOTQMAIL_PROGRAM, "", 2 },
  { "&me@new.job.example\n", 0, DOTQMAIL_FORWARD, "me@new.job.example", 20 },
  { "&\n", 0, DOTQMAIL_FORWARD, "", 2 },
  { "me@new.job.example\n", 0, DOTQMAIL_FORWARD, "me@new.job.example", 19 },
  { "9lives@cat.example  \n", 0, DOTQMAIL_FORWARD, "9lives@cat.example", 21 },
  { " leading@space.example\n", 0, DOTQMAIL_FORWARD, " leading@space.example", 23 },
  { "-dash@x.example\n", 0, DOTQMAIL_FORWARD, "-dash@x.example", 16 },
  { "./Mailbox\n", 0, DOTQMAIL_MBOX, "./Mailbox", 10 },
  { "/var/mail/joe\t\n", 0, DOTQMAIL_MBOX, "/var/mail/joe", 15 },
  { "./Maildir/\n", 0, DOTQMAIL_MAILDIR, "./Maildir/", 11 },
  { "/home/joe/Maildir/ \n", 0, DOTQMAIL_MAILDIR, "/home/joe/Maildir/", 20 },
  { "/\n", 0, DOTQMAIL_MAILDIR, "/", 2 },
  { ".\n", 0, DOTQMAIL_MBOX, ".", 2 },
  { "./Mailbox\r\n", 0, DOTQMAIL_MBOX, "./Mailbox\r", 11 },
  { "./Mailbox / \n", 0, DOTQMAIL_MAILDIR, "./Mailbox /", 13 },
  { "+list\n", 0, DOTQMAIL_LIST, "+list", 6 },
  { "+list \n", 0, DOTQMAIL_LIST, "+list", 7 },
  { "+lists\n", 0, DOTQMAIL_COMMENT, "+lists", 7 },
  { "+\n", 0, DOTQMAIL_COMMENT, "+", 2 },
  /* no final newline */
  { "./Mailbox", 0, DOTQMAIL_MBOX, "./Mailbox", 9 },
  { "&a@b.example  ", 0, DOTQMAIL_FORWARD, "a@b.example", 14 },
  /* blank lines: an error only first */
  { "\n", 0, DOTQMAIL_BLANKFIRST, "", 1 },
  { " \t \n./Mailbox\n", 0, DOTQMAIL_BLANKFIRST, "", 4 },
  { "\t", 0, DOTQMAIL_BLANKFIRST, "", 1 },
  { "./Mailbox\n\n", 10, DOTQMAIL_BLANK, "", 11 },
  { "./Mailbox\n \t\n#x\n", 10, DOTQMAIL_BLANK, "", 13 },
  { "./Mailbox\n \t\n#x\n", 13, DOTQMAIL_COMMENT, "#x", 16 },
  { "a@b\n|prog\n./M/\n./m\n", 4, DOTQMAIL_PROGRAM, "prog", 10 },
  { "a@b\n|prog\n./M/\n./m\n", 10, DOTQMAIL_MAILDIR, "./M/", 15 },
  { "a@b\n|prog\n./M/\n./m\n", 15, DOTQMAIL_MBOX, "./m", 19 },
  /* trailing white space is only spaces and tabs, on each line alone */
  { "x\t\n\ty\n", 0, DOTQMAIL_FORWARD, "x", 3 },
  { "x\t\n\ty\n", 3, DOTQMAIL_FORWARD, "\ty", 6 },
};

static void check_lines(void)
{
  for (size_t i = 0; i < sizeof lines / sizeof *lines; ++i) {
    struct dotqmail_line l;
    size_t pos = lines[i].at, len = strlen(lines[i].file);
    CHECK(dotqmail_next(lines[i].file, len, &pos, &l) == 1);
    if (l.kind != lines[i].kind || pos != lines[i].next ||
        l.len != strlen(lines[i].arg) || memcmp(l.arg, lines[i].arg, l.len))
      fprintf(stderr, "line table entry %zu (%s)\n", i, lines[i].file);
    CHECK(l.kind == lines[i].kind);
    CHECK(pos == lines[i].next);
    CHECK_BYTES(l.arg, l.len, lines[i].arg);
    /* arg points into the buffer */
    CHECK(l.arg >= lines[i].file && l.arg <= lines[i].file + len);
  }
}

/* A whole file walked line by line. */
static void check_walk(void)
{
  static const char file[] = "# c\n\n|p\n&f\n./m\n./d/\nplain";
  static const enum dotqmail_kind want[] = {
    DOTQMAIL_COMMENT, DOTQMAIL_BLANK, DOTQMAIL_PROGRAM, DOTQMAIL_FORWARD,
    DOTQMAIL_MBOX, DOTQMAIL_MAILDIR, DOTQMAIL_FORWARD
  };
  struct dotqmail_line l;
  size_t pos = 0, n = 0;

  while (dotqmail_next(file, sizeof file - 1, &pos, &l)) {
    CHECK(n < sizeof want / sizeof *want);
    if (n < sizeof want / sizeof *want) CHECK(l.kind == want[n]);
    ++n;
  }
  CHECK(n == 7);
  CHECK(pos == sizeof file - 1);
  CHECK_BYTES(l.arg, l.len, "plain");
  /* nothing left; an empty buffer has no lines */
  CHECK(dotqmail_next(file, sizeof file - 1, &pos, &l) == 0);
  pos = 0;
  CHECK(dotqmail_next("", 0, &pos, &l) == 0);
}

static void check_safeext(void)
{
  static const struct { const char *ext, *safe; } t[] = {
    { "", "" },
    { "foo", "foo" },
    { "Foo-BAR", "foo-bar" },
    { "a.b", "a:b" },
    { "..", "::" },
    { "../../etc/passwd", "::/::/etc/passwd" },
    { "x.Y.z-\xc3\x89", "x:y:z-\xc3\x89" }, /* bytes >= 128 stay */
    { "AZaz09@[]", "azaz09@[]" },
  };
  str s = STR_INIT;
  for (size_t i = 0; i < sizeof t / sizeof *t; ++i) {
    CHECK(dotqmail_safeext(&s, t[i].ext) == 1);
    CHECK_BYTES(s.s, s.len, t[i].safe);
    CHECK(s.len == strlen(t[i].ext));
  }
  str_free(&s);
}

/* Every candidate for (dash, ext) as "name=DEFAULT" or "name" lines. */
static void search(str *all, const char *dash, const char *ext)
{
  str safe = STR_INIT, name = STR_INIT;
  struct dotqmail_search s;
  size_t deflt;
  int r;

  all->len = 0;
  CHECK(dotqmail_safeext(&safe, ext));
  dotqmail_search_start(&s, dash, &safe);
  while ((r = dotqmail_search_next(&s, &name, &deflt)) == 1) {
    str_catstr(all, &name);
    if (deflt != DOTQMAIL_NODEFAULT) {
      CHECK(deflt <= strlen(ext));
      str_putc(all, '=');
      str_cats(all, ext + deflt);
    }
    str_putc(all, ' ');
  }
  CHECK(r == 0);
  CHECK(dotqmail_search_next(&s, &name, &deflt) == 0);
  str_free(&safe);
  str_free(&name);
}

static const struct { const char *dash, *ext, *want; } orders[] = {
  { "-", "foo-bar", ".qmail-foo-bar .qmail-foo-default=bar .qmail-default=foo-bar " },
  { "-", "a-b-c", ".qmail-a-b-c .qmail-a-b-default=c .qmail-a-default=b-c .qmail-default=a-b-c " },
  { "-", "foo", ".qmail-foo .qmail-default=foo " },
  { "-", "", ".qmail- .qmail-default= " },
  { "", "", ".qmail .qmaildefault= " },
  { "", "x", ".qmailx .qmaildefault=x " },
  /* lower case and ':' in the names, DEFAULT from the original ext */
  { "-", "Joe.Smith-List", ".qmail-joe:smith-list .qmail-joe:smith-default=List "
                           ".qmail-default=Joe.Smith-List " },
  { "-", "a.b-c.d", ".qmail-a:b-c:d .qmail-a:b-default=c.d .qmail-default=a.b-c.d " },
  /* a trailing dash, doubled dashes */
  { "-", "foo-", ".qmail-foo- .qmail-foo-default= .qmail-default=foo- " },
  { "-", "a--b", ".qmail-a--b .qmail-a--default=b .qmail-a-default=-b .qmail-default=a--b " },
  { "-", "-", ".qmail-- .qmail--default= .qmail-default=- " },
  /* the exact name already ends in "default" */
  { "-", "foo-default", ".qmail-foo-default=default .qmail-foo-default=default "
                        ".qmail-default=foo-default " },
  { "-", "FOO-DEFAULT", ".qmail-foo-default=DEFAULT .qmail-foo-default=DEFAULT "
                        ".qmail-default=FOO-DEFAULT " },
  { "-", "default", ".qmail-default=default .qmail-default=default " },
  { "-", "xdefault", ".qmail-xdefault=default .qmail-default=xdefault " },
  { "-", "defaul", ".qmail-defaul .qmail-default=defaul " },
  /* other dash values (qmail-users(5) assignments) */
  { "+", "a-b", ".qmail+a-b .qmail+a-default=b .qmail+default=a-b " },
};

static void check_orders(void)
{
  str all = STR_INIT;
  for (size_t i = 0; i < sizeof orders / sizeof *orders; ++i) {
    search(&all, orders[i].dash, orders[i].ext);
    if (!str_equals(&all, orders[i].want))
      fprintf(stderr, "order for %s%s: got [%s]\n", orders[i].dash, orders[i].ext, all.s);
    CHECK(str_equals(&all, orders[i].want));
  }
  str_free(&all);
}

static void check_names(void)
{
  str safe = STR_INIT, name = STR_INIT;
  CHECK(dotqmail_safeext(&safe, "List.A"));
  CHECK(dotqmail_name(&name, "-", &safe, safe.len, "-owner"));
  CHECK(str_equals(&name, ".qmail-list:a-owner"));
  CHECK(dotqmail_name(&name, "-", &safe, safe.len, "-owner-default"));
  CHECK(str_equals(&name, ".qmail-list:a-owner-default"));
  CHECK(dotqmail_name(&name, "", &safe, 0, "-owner"));
  CHECK(str_equals(&name, ".qmail-owner"));
  CHECK(dotqmail_name(&name, "-", &safe, 4, ""));
  CHECK(str_equals(&name, ".qmail-list"));
  str_free(&safe);
  str_free(&name);
}

/* A long extension: every prefix ending in '-' once, longest first. */
static void check_long(void)
{
  str ext = STR_INIT, safe = STR_INIT, name = STR_INIT;
  struct dotqmail_search s;
  size_t deflt, count = 0, last = (size_t)-1;
  for (int i = 0; i < 1000; ++i) str_cats(&ext, "ab-");
  CHECK(dotqmail_safeext(&safe, ext.s));
  dotqmail_search_start(&s, "-", &safe);
  while (dotqmail_search_next(&s, &name, &deflt) == 1) {
    if (count) {
      CHECK(deflt < last);
      CHECK(deflt == 0 || safe.s[deflt - 1] == '-');
    }
    last = deflt;
    ++count;
  }
  CHECK(count == 1 + 1000 + 1); /* exact, 1000 prefixes ending in '-', empty */
  CHECK(str_equals(&name, ".qmail-default"));
  str_free(&ext);
  str_free(&safe);
  str_free(&name);
}

int main(void)
{
  RUN(check_lines);
  RUN(check_walk);
  RUN(check_safeext);
  RUN(check_orders);
  RUN(check_names);
  RUN(check_long);
  return check_report();
}
