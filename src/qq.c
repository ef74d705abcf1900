/* qq.c: running qmail-queue as a child (see qq.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "auto.h"
#include "fd.h"
#include "qq.h"
#include "spawn.h"
#include "str.h"
#include "wait.h"

int qq_open(qq *q)
{
  int msg[2], env[2];
  str prog = STR_INIT;
  char *argv[2];
  struct spawn sp;

  if (!str_copys(&prog, auto_qmail) || !str_cats(&prog, "/bin/qmail-queue")) return -1;
  if (pipe(msg) == -1) goto fail;
  if (pipe(env) == -1) {
    close(msg[0]);
    close(msg[1]);
    goto fail;
  }
  /* Our ends must not leak into qmail-queue, or it never sees the end. */
  fd_cloexec(msg[1], 1);
  fd_cloexec(env[1], 1);
  argv[0] = prog.s;
  argv[1] = 0;
  spawn_init(&sp, prog.s, argv);
  sp.fd[0] = msg[0];
  sp.fd[1] = env[0];
  sp.dir = auto_qmail;
  q->pid = spawn_start(&sp);
  str_free(&prog);
  close(msg[0]);
  close(env[0]);
  q->msgfd = msg[1];
  q->envfd = env[1];
  q->failed = 0;
  q->startcode = 0;
  if (q->pid == -1) {
    if (sp.failed == SPAWN_FORK) {
      close(msg[1]);
      close(env[1]);
      errno = sp.error;
      return -1;
    }
    /* Reported by qq_close as qmail-1.03 reports a child that could not
     * change to QMAILHOME or exec qmail-queue. */
    q->startcode = sp.failed == SPAWN_DIR ? 61 : 120;
    q->failed = 1;
  }
  io_init(&q->out, io_write, q->msgfd, q->space, sizeof q->space);
  return 0;
fail:
  str_free(&prog);
  return -1;
}

void qq_put(qq *q, const void *buf, size_t len)
{
  if (!q->failed && io_put(&q->out, buf, len) == -1) q->failed = 1;
}

void qq_puts(qq *q, const char *s) { qq_put(q, s, strlen(s)); }
void qq_fail(qq *q) { q->failed = 1; }

void qq_from(qq *q, const char *sender)
{
  if (!q->failed && io_flush(&q->out) == -1) q->failed = 1;
  close(q->msgfd);
  q->msgfd = -1;
  io_init(&q->out, io_write, q->envfd, q->space, sizeof q->space);
  qq_put(q, "F", 1);
  qq_put(q, sender, strlen(sender) + 1);
}

void qq_to(qq *q, const char *recipient)
{
  qq_put(q, "T", 1);
  qq_put(q, recipient, strlen(recipient) + 1);
}

const char *qq_close(qq *q)
{
  int status;

  if (q->msgfd != -1) qq_from(q, "");
  qq_put(q, "", 1);
  if (!q->failed && io_flush(&q->out) == -1) q->failed = 1;
  close(q->envfd);
  if (q->startcode) return qq_exittext(q->startcode);
  if (wait_pid(q->pid, &status) != q->pid) return "Zqq waitpid surprise (#4.3.0)";
  if (wait_crashed(status)) return "Zqq crashed (#4.3.0)";
  status = wait_exitcode(status);
  if (status == 0 && q->failed) status = 53;
  return qq_exittext(status);
}

unsigned long qq_pid(const qq *q) { return (unsigned long)q->pid; }

const char *qq_exittext(int code)
{
  switch (code) {
  case 0: return "";
  case 11: case 115: return "Denvelope address too long for qq (#5.1.3)";
  case 31: return "Dmail server permanently rejected message (#5.3.0)";
  case 51: return "Zqq out of memory (#4.3.0)";
  case 52: return "Zqq timeout (#4.3.0)";
  case 53: return "Zqq write error or disk full (#4.3.0)";
  case 54: return "Zqq read error (#4.3.0)";
  case 55: return "Zqq unable to read configuration (#4.3.0)";
  case 56: return "Zqq trouble making network connection (#4.3.0)";
  case 61: return "Zqq trouble in home directory (#4.3.0)";
  case 62: case 63: case 64: case 65: case 66:
    return "Zqq trouble creating files in queue (#4.3.0)";
  case 71: return "Zmail server temporarily rejected message (#4.3.0)";
  case 72: return "Zconnection to mail server timed out (#4.4.1)";
  case 73: return "Zconnection to mail server rejected (#4.4.1)";
  case 74: return "Zcommunication with mail server failed (#4.4.2)";
  case 81: case 91: return "Zqq internal bug (#4.3.0)";
  case 120: return "Zunable to exec qq (#4.3.0)";
  default:
    if (code >= 11 && code <= 40) return "Dqq permanent problem (#5.3.0)";
    return "Zqq temporary problem (#4.3.0)";
  }
}
