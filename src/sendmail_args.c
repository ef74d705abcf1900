/* sendmail_args.c: sendmail's command line (see sendmail_args.h). */
#include <string.h>
#include "sendmail_args.h"

/* Option letters that take a value, and those that take none. */
#define WITH_VALUE "efpoBFb"
#define WITHOUT_VALUE "vimtx"

static void usage(struct sendmail_args *a, enum sendmail_problem problem, char letter)
{
  a->action = SENDMAIL_USAGE;
  a->problem = problem;
  a->problem_letter = letter;
}

/* Act on letter with its value. 1 to go on reading options, 0 when the
 * action is decided. */
static int take_value(struct sendmail_args *a, char letter, const char *value)
{
  switch (letter) {
  case 'f': a->sender = value; break;
  case 'F': a->name = value; break;
  case 'b':
    switch (value[0]) {
    case 'm': break;
    case 'p': a->action = SENDMAIL_MAILQ; return 0;
    case 's': a->action = SENDMAIL_SMTPD; return 0;
    default: usage(a, SENDMAIL_NOPROBLEM, 0); return 0;
    }
    break;
  default: break; /* -e -p -o -B: nothing to do in qmail */
  }
  return 1;
}

void sendmail_parse(struct sendmail_args *a, int argc, char *const *argv)
{
  size_t n = argc > 0 ? (size_t)argc : 0;
  size_t i = 1;

  a->action = SENDMAIL_INJECT;
  a->problem = SENDMAIL_NOPROBLEM;
  a->problem_letter = 0;
  a->sender = a->name = 0;
  a->header_rcpts = 0;
  a->rcpt = a->nrcpts = 0;
  a->progname = "";
  if (n && argv[0]) {
    const char *slash = strrchr(argv[0], '/');
    a->progname = slash ? slash + 1 : argv[0];
  }

  while (i < n && argv[i]) {
    const char *arg = argv[i];
    size_t pos = 1;

    if (arg[0] != '-' || arg[1] == 0) break;
    ++i;
    if (arg[1] == '-') break;
    while (arg[pos]) {
      char letter = arg[pos++];
      if (strchr(WITH_VALUE, letter)) {
        const char *value = arg + pos;
        if (!*value) {
          if (i >= n || !argv[i]) {
            usage(a, SENDMAIL_NOVALUE, letter);
            return;
          }
          value = argv[i++];
        }
        if (!take_value(a, letter, value)) return;
        break;
      }
      if (letter == 'E' || letter == 'J') break; /* the rest is its value */
      if (!strchr(WITHOUT_VALUE, letter)) {
        usage(a, SENDMAIL_ILLEGAL, letter);
        return;
      }
      if (letter == 't') a->header_rcpts = 1;
    }
  }
  a->rcpt = i;
  a->nrcpts = i < n ? n - i : 0;

  if (!strcmp(a->progname, "mailq")) a->action = SENDMAIL_MAILQ;
  else if (!strcmp(a->progname, "newaliases")) a->action = SENDMAIL_NEWALIASES;
}

size_t sendmail_inject_len(const struct sendmail_args *a)
{
  /* nrcpts < INT_MAX, so the sum cannot overflow. */
  return a->nrcpts + (a->sender ? 6 : 4);
}

void sendmail_inject_argv(const struct sendmail_args *a, char *const *argv, const char **out)
{
  *out++ = "bin/qmail-inject";
  *out++ = a->header_rcpts ? "-H" : "-a";
  if (a->sender) {
    *out++ = "-f";
    *out++ = a->sender;
  }
  *out++ = "--";
  for (size_t i = 0; i < a->nrcpts; ++i) *out++ = argv[a->rcpt + i];
  *out = 0;
}
