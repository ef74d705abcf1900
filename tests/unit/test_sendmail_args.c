/* test_sendmail_args: sendmail's option translation (sendmail_args.c):
 * what qmail-1.03's sendmail accepts, ignores and refuses, and the
 * qmail-inject command line it builds. */
#include <stdlib.h>
#include "check.h"
#include "sendmail_args.h"
#include "str.h"

#define ARGV(...) ((char *const[]){ __VA_ARGS__, 0 })

static int count(char *const *v)
{
  int n = 0;
  while (v[n]) ++n;
  return n;
}

static struct sendmail_args a;

static void parse(char *const *v) { sendmail_parse(&a, count(v), v); }

/* qmail-inject's arguments for v, joined with '|'; "" unless the action
 * is SENDMAIL_INJECT. The result stays valid until the next call. */
static const char *inject(char *const *v)
{
  static str joined = STR_INIT;
  const char **out;
  size_t len;

  parse(v);
  joined.len = 0;
  str_cats(&joined, "");
  if (a.action != SENDMAIL_INJECT) return joined.s;
  len = sendmail_inject_len(&a);
  out = malloc(len * sizeof *out);
  if (!out) return "malloc failed";
  sendmail_inject_argv(&a, v, out);
  for (size_t i = 0; out[i]; ++i) {
    if (i) str_putc(&joined, '|');
    str_cats(&joined, out[i]);
  }
  CHECK(out[len - 1] == 0);
  free(out);
  return joined.s;
}

static void test_recipients(void)
{
  CHECK_STR(inject(ARGV("sendmail", "a@b", "c@d")), "bin/qmail-inject|-a|--|a@b|c@d");
  CHECK(a.sender == 0 && a.name == 0 && !a.header_rcpts);
  CHECK(a.rcpt == 1 && a.nrcpts == 2);
  CHECK_STR(inject(ARGV("sendmail")), "bin/qmail-inject|-a|--");
  CHECK_STR(inject(ARGV("sendmail", "-t")), "bin/qmail-inject|-H|--");
  CHECK_STR(inject(ARGV("sendmail", "-t", "x@y")), "bin/qmail-inject|-H|--|x@y");
  /* Recipients that look like options are passed on safely after --. */
  CHECK_STR(inject(ARGV("sendmail", "a", "-t", "-q")), "bin/qmail-inject|-a|--|a|-t|-q");
  CHECK_STR(inject(ARGV("sendmail", "-", "a")), "bin/qmail-inject|-a|--|-|a");
  CHECK_STR(inject(ARGV("sendmail", "--", "-t")), "bin/qmail-inject|-a|--|-t");
  CHECK_STR(inject(ARGV("sendmail", "--whatever", "a")), "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-t", "--", "-f")), "bin/qmail-inject|-H|--|-f");
  CHECK_STR(inject(ARGV("sendmail", "")), "bin/qmail-inject|-a|--|");
}

static void test_sender_and_name(void)
{
  CHECK_STR(inject(ARGV("sendmail", "-f", "x@y", "a@b")), "bin/qmail-inject|-a|-f|x@y|--|a@b");
  CHECK_STR(inject(ARGV("sendmail", "-fx@y", "-t")), "bin/qmail-inject|-H|-f|x@y|--");
  CHECK_STR(inject(ARGV("sendmail", "-tfx@y", "a")), "bin/qmail-inject|-H|-f|x@y|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-f", "", "a")), "bin/qmail-inject|-a|-f||--|a");
  CHECK(a.sender && !*a.sender);
  CHECK_STR(inject(ARGV("sendmail", "-f", "1", "-f", "2")), "bin/qmail-inject|-a|-f|2|--");
  CHECK_STR(inject(ARGV("sendmail", "-f", "-t", "a")), "bin/qmail-inject|-a|-f|-t|--|a");
  CHECK(sendmail_inject_len(&a) == 7);
  CHECK_STR(inject(ARGV("sendmail", "-F", "Joe Q", "a")), "bin/qmail-inject|-a|--|a");
  CHECK_STR(a.name, "Joe Q");
  CHECK_STR(inject(ARGV("sendmail", "-FA", "-FB")), "bin/qmail-inject|-a|--");
  CHECK_STR(a.name, "B");
}

static void test_ignored(void)
{
  CHECK_STR(inject(ARGV("sendmail", "-oi", "-oem", "-odb", "-oQ/x", "-o", "x", "a")),
            "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-i", "-v", "-m", "-x", "-vimx", "a")),
            "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-e", "p", "-em", "-p", "smtp:h", "-pq", "a")),
            "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-B", "8BITMIME", "-B7BIT", "a")),
            "bin/qmail-inject|-a|--|a");
  /* -E and -J swallow the rest of their argument, never the next one. */
  CHECK_STR(inject(ARGV("sendmail", "-E", "a")), "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-Eqqq", "-tJ-f", "a")), "bin/qmail-inject|-H|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-bm", "a")), "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-b", "m", "a")), "bin/qmail-inject|-a|--|a");
  CHECK_STR(inject(ARGV("sendmail", "-bmumble", "a")), "bin/qmail-inject|-a|--|a");
}

static void test_modes(void)
{
  parse(ARGV("sendmail", "-bp"));
  CHECK(a.action == SENDMAIL_MAILQ);
  parse(ARGV("sendmail", "-b", "pq"));
  CHECK(a.action == SENDMAIL_MAILQ);
  parse(ARGV("sendmail", "-bs"));
  CHECK(a.action == SENDMAIL_SMTPD);
  /* -bp and -bs act at once: what follows is not examined. */
  parse(ARGV("sendmail", "-bs", "-q", "-f"));
  CHECK(a.action == SENDMAIL_SMTPD);
  parse(ARGV("sendmail", "-F", "N", "-bp", "-q"));
  CHECK(a.action == SENDMAIL_MAILQ);
  CHECK_STR(a.name, "N");
  parse(ARGV("sendmail", "-bd"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOPROBLEM);
  parse(ARGV("sendmail", "-b", ""));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOPROBLEM);
  parse(ARGV("sendmail", "-bi"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOPROBLEM);
}

static void test_usage(void)
{
  parse(ARGV("sendmail", "-q"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL && a.problem_letter == 'q');
  parse(ARGV("sendmail", "-q15m"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL && a.problem_letter == 'q');
  parse(ARGV("sendmail", "-ti", "-tN", "a"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL && a.problem_letter == 'N');
  parse(ARGV("sendmail", "-r", "x", "a"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL && a.problem_letter == 'r');
  parse(ARGV("sendmail", "-:"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL && a.problem_letter == ':');
  parse(ARGV("sendmail", "-f"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOVALUE && a.problem_letter == 'f');
  parse(ARGV("sendmail", "-t", "-F"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOVALUE && a.problem_letter == 'F');
  parse(ARGV("sendmail", "-tb"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_NOVALUE && a.problem_letter == 'b');
  /* An error in the options wins over the program's name. */
  parse(ARGV("/usr/bin/mailq", "-q"));
  CHECK(a.action == SENDMAIL_USAGE && a.problem == SENDMAIL_ILLEGAL);
  CHECK_STR(a.progname, "mailq");
}

static void test_names(void)
{
  parse(ARGV("/usr/lib/sendmail", "a"));
  CHECK(a.action == SENDMAIL_INJECT);
  CHECK_STR(a.progname, "sendmail");
  parse(ARGV("mailq"));
  CHECK(a.action == SENDMAIL_MAILQ);
  parse(ARGV("/usr/sbin/mailq", "-v", "whatever"));
  CHECK(a.action == SENDMAIL_MAILQ);
  parse(ARGV("mailq", "-bs"));
  CHECK(a.action == SENDMAIL_SMTPD);
  parse(ARGV("/usr/bin/newaliases"));
  CHECK(a.action == SENDMAIL_NEWALIASES);
  CHECK_STR(a.progname, "newaliases");
  parse(ARGV("/usr/bin/"));
  CHECK(a.action == SENDMAIL_INJECT);
  CHECK_STR(a.progname, "");
  parse(ARGV("mailq.old"));
  CHECK(a.action == SENDMAIL_INJECT);

  /* No arguments at all, not even argv[0]. */
  {
    char *const none[] = { 0 };
    sendmail_parse(&a, 0, none);
    CHECK(a.action == SENDMAIL_INJECT);
    CHECK_STR(a.progname, "");
    CHECK(a.nrcpts == 0);
    CHECK(sendmail_inject_len(&a) == 4);
  }
}

int main(void)
{
  RUN(test_recipients);
  RUN(test_sender_and_name);
  RUN(test_ignored);
  RUN(test_modes);
  RUN(test_usage);
  RUN(test_names);
  return check_report();
}
