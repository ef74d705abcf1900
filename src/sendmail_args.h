/* sendmail_args.h: how sendmail(8) reads its sendmail-style command line
 * and what it turns it into, as qmail-1.03's sendmail does. Pure functions
 * (no output, no environment), so the translation can be unit-tested;
 * sendmail.c prints the messages and runs the programs.
 *
 * Options are letters after a `-`, several may share one argument, and a
 * letter taking a value takes the rest of its argument or else the next
 * argument. The first argument that does not start with `-`, or is `-`
 * alone, ends the options and is kept; an argument starting with `--`
 * ends them and is dropped.
 *   -t         recipients from the header as well (qmail-inject -H)
 *   -f sender  envelope sender (qmail-inject -f sender)
 *   -F name    personal name (MAILNAME in qmail-inject's environment)
 *   -bp        list the queue (qmail-qread); -bs  an SMTP session on
 *              stdin/stdout (qmail-smtpd); -bm the default; any other -b
 *              value is a usage error. -bp and -bs act at once: later
 *              arguments are not examined.
 *   ignored: -v -i -m -x, -e X, -p X, -o X, -B X, and -E / -J with
 *              whatever follows them in the same argument.
 * Anything else is a usage error. Once the options are read, a program
 * name (argv[0] after its last `/`) of "mailq" lists the queue and one
 * of "newaliases" is refused. */
#ifndef SENDMAIL_ARGS_H
#define SENDMAIL_ARGS_H

#include <stddef.h>

enum sendmail_action {
  SENDMAIL_INJECT,     /* run qmail-inject (sendmail_inject_argv) */
  SENDMAIL_MAILQ,      /* -bp, or called as mailq: run qmail-qread */
  SENDMAIL_SMTPD,      /* -bs: run qmail-smtpd */
  SENDMAIL_NEWALIASES, /* called as newaliases: refuse */
  SENDMAIL_USAGE       /* a bad command line */
};

/* Why a command line is bad (action SENDMAIL_USAGE). */
enum sendmail_problem {
  SENDMAIL_NOPROBLEM,  /* none (or an unknown -b value: usage only) */
  SENDMAIL_ILLEGAL,    /* an unknown option letter: problem_letter */
  SENDMAIL_NOVALUE     /* problem_letter needs a value and has none */
};

struct sendmail_args {
  enum sendmail_action action;
  enum sendmail_problem problem;
  char problem_letter;
  const char *progname; /* argv[0] after its last '/', "" without argv[0] */
  const char *sender;   /* the last -f value, or 0 */
  const char *name;     /* the last -F value, or 0 */
  int header_rcpts;     /* -t was given */
  size_t rcpt;          /* index in argv of the first recipient */
  size_t nrcpts;        /* how many recipients follow it */
};

/* Read argc arguments from argv into a. The strings stay argv's. */
void sendmail_parse(struct sendmail_args *a, int argc, char *const *argv);

/* Pointers sendmail_inject_argv stores for a, including the final 0
 * (at most a->nrcpts + 6). */
size_t sendmail_inject_len(const struct sendmail_args *a);

/* Fill out (sendmail_inject_len(a) entries) with qmail-inject's
 * arguments: "bin/qmail-inject" (relative to QMAILHOME), "-H" with -t
 * and "-a" without, "-f" and the sender when one was given, "--", the
 * recipients, and a final 0. */
void sendmail_inject_argv(const struct sendmail_args *a, char *const *argv, const char **out);

#endif
