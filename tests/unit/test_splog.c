/* test_splog.c: unit tests for splog.c, splogger's framing of input lines
 * into syslog messages: stamps, priorities, folding, '?' for unprintable
 * bytes, blank lines, lines split across reads, the facility argument. */
#include <string.h>
#include <syslog.h>
#include "check.h"
#include "splog.h"

#define MAXMSG 8

static struct splog s;
static char got[MAXMSG][SPLOG_MSG_MAX];
static int prio[MAXMSG];
static int count;
static unsigned long long clock_sec;
static unsigned long clock_usec;

/* Each reading of the clock is one microsecond later. */
static void fake_clock(unsigned long long *sec, unsigned long *usec)
{
  *sec = clock_sec;
  *usec = clock_usec++;
}

static void record(void *arg, int priority, const char *msg)
{
  CHECK(arg == &s);
  if (count < MAXMSG) {
    strcpy(got[count], msg);
    prio[count] = priority;
  }
  ++count;
}

static void start(void)
{
  splog_init(&s, fake_clock, record, &s);
  count = 0;
  clock_sec = 901234567;
  clock_usec = 42;
}

static void feed(const char *text) { splog_put(&s, text, strlen(text)); }

/* msg must be the stamp for usec, then sep, then the bytes of text. */
static int is_msg(int i, unsigned long usec, char sep, const char *text)
{
  char want[SPLOG_MSG_MAX];
  size_t n = splog_stamp(want, 901234567, usec);
  want[n++] = sep;
  strcpy(want + n, text);
  return i < count && !strcmp(got[i], want);
}

static void fill(char *buf, char c, size_t n)
{
  memset(buf, c, n);
  buf[n] = 0;
}

int main(void)
{
  char stamp[SPLOG_STAMP_MAX + 1];
  char line[3 * SPLOG_PIECE + 2], part[SPLOG_PIECE + 1];

  /* stamps: seconds, a dot, six digits of microseconds */
  stamp[splog_stamp(stamp, 901234567, 42)] = 0;
  CHECK_STR(stamp, "901234567.000042");
  stamp[splog_stamp(stamp, 0, 0)] = 0;
  CHECK_STR(stamp, "0.000000");
  stamp[splog_stamp(stamp, 5, 999999)] = 0;
  CHECK_STR(stamp, "5.999999");
  stamp[splog_stamp(stamp, 18446744073709551615ULL, 1000001)] = 0;
  CHECK_STR(stamp, "18446744073709551615.000001");
  CHECK(strlen(stamp) == SPLOG_STAMP_MAX);

  /* one line, one message */
  RUN(start);
  feed("status: local 0/10 remote 0/20\n");
  CHECK(count == 1);
  CHECK(is_msg(0, 42, ' ', "status: local 0/10 remote 0/20"));
  CHECK(prio[0] == LOG_INFO);

  /* priorities from the prefix, exact and case-sensitive */
  RUN(start);
  feed("warning: trouble\nalert: oh no! lost spawn\nWarning: no\nalert no\n warning: no\nwarning:\n");
  CHECK(count == 6);
  CHECK(prio[0] == LOG_WARNING && is_msg(0, 42, ' ', "warning: trouble"));
  CHECK(prio[1] == LOG_ALERT && is_msg(1, 43, ' ', "alert: oh no! lost spawn"));
  CHECK(prio[2] == LOG_INFO);
  CHECK(prio[3] == LOG_INFO);
  CHECK(prio[4] == LOG_INFO);
  CHECK(prio[5] == LOG_WARNING && is_msg(5, 47, ' ', "warning:"));

  /* empty lines make no message; unprintable bytes become '?' */
  RUN(start);
  feed("\n\n\na\tb\r\x01\x7f\x80\xff" "c\n\n");
  CHECK(count == 1);
  CHECK(is_msg(0, 42, ' ', "a?b?????c"));
  RUN(start);
  splog_put(&s, "x\0y\n", 4);
  CHECK(count == 1 && is_msg(0, 42, ' ', "x?y"));

  /* a line comes out only when its newline does, however it was read */
  RUN(start);
  feed("new msg 12");
  CHECK(count == 0);
  feed("345");
  CHECK(count == 0);
  feed("\ninfo msg");
  CHECK(count == 1 && is_msg(0, 42, ' ', "new msg 12345"));
  feed(" 12345\n");
  CHECK(count == 2 && is_msg(1, 43, ' ', "info msg 12345"));

  /* exactly SPLOG_PIECE bytes: not folded */
  RUN(start);
  fill(line, 'a', SPLOG_PIECE);
  feed(line);
  feed("\n");
  CHECK(count == 1 && is_msg(0, 42, ' ', line));

  /* one byte more: folded, the rest marked with '+' and the same stamp */
  RUN(start);
  fill(line, 'b', SPLOG_PIECE + 1);
  memcpy(line, "warning:", 8);
  feed(line);
  feed("\n");
  CHECK(count == 2);
  memcpy(part, line, SPLOG_PIECE);
  part[SPLOG_PIECE] = 0;
  CHECK(is_msg(0, 42, ' ', part));
  CHECK(is_msg(1, 42, '+', "b"));
  CHECK(prio[0] == LOG_WARNING && prio[1] == LOG_WARNING);

  /* three pieces; a continuation starting "alert:" keeps the first's
   * priority; the next line gets a new stamp and its own priority */
  RUN(start);
  fill(line, 'c', 2 * SPLOG_PIECE + 6);
  memcpy(line + SPLOG_PIECE, "alert:", 6);
  feed(line);
  feed("\nalert: next\n");
  CHECK(count == 4);
  fill(part, 'c', SPLOG_PIECE);
  CHECK(is_msg(0, 42, ' ', part));
  memcpy(part, "alert:", 6);
  CHECK(is_msg(1, 42, '+', part));
  CHECK(is_msg(2, 42, '+', "cccccc"));
  CHECK(prio[0] == LOG_INFO && prio[1] == LOG_INFO && prio[2] == LOG_INFO);
  CHECK(is_msg(3, 43, ' ', "alert: next"));
  CHECK(prio[3] == LOG_ALERT);

  /* exactly two pieces: no empty third message */
  RUN(start);
  fill(line, 'd', 2 * SPLOG_PIECE);
  feed(line);
  feed("\n");
  CHECK(count == 2);
  CHECK(is_msg(1, 42, '+', line + SPLOG_PIECE));

  /* facilities: the number times 8, as openlog() takes it */
  CHECK(splog_facility("2") == LOG_MAIL);
  CHECK(splog_facility("0") == 0);
  CHECK(splog_facility("1") == LOG_USER);
  CHECK(splog_facility("16") == LOG_LOCAL0);
  CHECK(splog_facility("23") == LOG_LOCAL7);
  CHECK(splog_facility("3x") == LOG_DAEMON);
  CHECK(splog_facility("127") == (127 << 3));
  CHECK(splog_facility("128") == 0);
  CHECK(splog_facility("99999999999999999999999") == 0);
  CHECK(splog_facility("") == 0);
  CHECK(splog_facility("mail") == 0);

  return check_report();
}
