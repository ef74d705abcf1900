/* floor-smtpd.c: the least an SMTP receiver in qmail's design can cost,
 * for bench/process-floor. Run by tcpserver as `floor-smtpd STARTS NOOP`,
 * it answers one SMTP session (220, 250 to every command, 354 to DATA),
 * reads the message up to the line ".", and for each message starts the
 * program NOOP (which does nothing) STARTS times, one after the other,
 * standing in for qmail-queue, qmail-getpw and qmail-local, before its
 * 250. Nothing is queued or written: what it measures is tcpserver's
 * fork and exec plus STARTS program starts per message. Not installed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[65536];
static size_t buflen;

static void say(const char *s)
{
  size_t len = strlen(s);
  while (len) {
    ssize_t w = write(1, s, len);
    if (w <= 0) _exit(1);
    s += w;
    len -= (size_t)w;
  }
}

/* The next line (at most size - 1 bytes kept, NUL-ended); 0 at the end. */
static int next_line(char *line, size_t size)
{
  for (;;) {
    char *nl = memchr(buf, '\n', buflen);
    if (nl) {
      size_t n = (size_t)(nl - buf) + 1;
      size_t keep = n < size - 1 ? n : size - 1;
      memcpy(line, buf, keep);
      line[keep] = 0;
      memmove(buf, buf + n, buflen - n);
      buflen -= n;
      return 1;
    }
    if (buflen == sizeof buf) buflen = 0; /* an overlong line: drop it */
    ssize_t r = read(0, buf + buflen, sizeof buf - buflen);
    if (r <= 0) return 0;
    buflen += (size_t)r;
  }
}

static void start(const char *prog)
{
  int status;
  pid_t pid = vfork();
  if (pid == 0) {
    execl(prog, prog, (char *)0);
    _exit(111);
  }
  if (pid == -1 || waitpid(pid, &status, 0) != pid || status != 0) _exit(1);
}

int main(int argc, char **argv)
{
  char line[1024];
  long starts;

  if (argc < 3) return 100;
  starts = strtol(argv[1], 0, 10);
  say("220 floor ESMTP\r\n");
  while (next_line(line, sizeof line)) {
    if (!strncasecmp(line, "DATA", 4)) {
      say("354 go ahead\r\n");
      while (next_line(line, sizeof line))
        if (!strcmp(line, ".\r\n")) break;
      for (long i = 0; i < starts; ++i) start(argv[2]);
      say("250 ok\r\n");
    } else if (!strncasecmp(line, "QUIT", 4)) {
      say("221 floor\r\n");
      return 0;
    } else {
      say("250 ok\r\n");
    }
  }
  return 0;
}
