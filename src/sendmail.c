/* sendmail: the sendmail command line for programs that expect one
 * (sendmail(8)). Translates the options (sendmail_args.h) and replaces
 * itself with QMAILHOME/bin/qmail-inject, or with qmail-qread for -bp and
 * mailq, or with qmail-smtpd for -bs.
 * Runs as the user who invokes it, with no privileges of its own. Trusts
 * neither its arguments nor its environment: it only passes them on to
 * the program it runs, which checks them itself. Touches no files; it
 * changes to QMAILHOME so the programs are found there. */
#include <stdlib.h>
#include <unistd.h>
#include "auto.h"
#include "env.h"
#include "err.h"
#include "io.h"
#include "safemath.h"
#include "sendmail_args.h"

#define FATAL "sendmail: fatal: "

static void nomem(void) __attribute__((noreturn));
static void run(const char *prog, const char *name) __attribute__((noreturn));
static void smtpd(void) __attribute__((noreturn));
static void usage(const struct sendmail_args *a) __attribute__((noreturn));

static void nomem(void)
{
  err_die(111, FATAL, "out of memory", (char *)0);
}

static void put_env(const char *name, const char *value)
{
  if (setenv(name, value, 1) == -1) nomem();
}

static void run(const char *prog, const char *name)
{
  char *const args[] = { (char *)prog, 0 };
  execv(prog, args);
  err_die(111, FATAL, "unable to run ", name, (char *)0);
}

/* An SMTP session on stdin and stdout, presented to qmail-smtpd as a
 * local TCP connection from a client allowed to relay, unless the
 * caller already describes the connection (PROTO is set). */
static void smtpd(void)
{
  if (!env_get("PROTO")) {
    put_env("RELAYCLIENT", "");
    put_env("DATABYTES", "0");
    put_env("PROTO", "TCP");
    put_env("TCPLOCALIP", "127.0.0.1");
    put_env("TCPLOCALHOST", "localhost");
    put_env("TCPREMOTEIP", "127.0.0.1");
    put_env("TCPREMOTEHOST", "localhost");
    put_env("TCPREMOTEINFO", "sendmail-bs");
  }
  run("bin/qmail-smtpd", "qmail-smtpd");
}

static void usage(const struct sendmail_args *a)
{
  char space[256];
  char letter[2];
  iobuf err;

  io_init(&err, io_write, 2, space, sizeof space);
  if (a->problem != SENDMAIL_NOPROBLEM) {
    letter[0] = a->problem_letter;
    letter[1] = '\n';
    io_puts(&err, a->progname);
    io_puts(&err, a->problem == SENDMAIL_ILLEGAL ? ": illegal option -- "
                                                 : ": option requires an argument -- ");
    io_put(&err, letter, 2);
  }
  io_puts(&err, "sendmail: usage: sendmail [ -t ] [ -fsender ] [ -Fname ] [ -bp ] [ -bs ] [ arg ... ]\n");
  io_flush(&err);
  _exit(100);
}

int main(int argc, char **argv)
{
  struct sendmail_args a;
  const char **args;
  size_t bytes;

  if (chdir(auto_qmail) == -1)
    err_die(111, FATAL, "unable to switch to qmail home directory", (char *)0);

  sendmail_parse(&a, argc, argv);
  if (a.name) put_env("MAILNAME", a.name);
  switch (a.action) {
  case SENDMAIL_USAGE: usage(&a);
  case SENDMAIL_MAILQ: run("bin/qmail-qread", "qmail-qread");
  case SENDMAIL_SMTPD: smtpd();
  case SENDMAIL_NEWALIASES:
    err_die(100, FATAL, "please use fastforward/newaliases instead", (char *)0);
  case SENDMAIL_INJECT: break;
  }

  if (!size_mul(sendmail_inject_len(&a), sizeof *args, &bytes)) nomem();
  args = malloc(bytes);
  if (!args) nomem();
  sendmail_inject_argv(&a, argv, args);
  execv(args[0], (char *const *)args);
  err_die(111, FATAL, "unable to run qmail-inject", (char *)0);
}
