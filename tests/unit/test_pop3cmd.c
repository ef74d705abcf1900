/* test_pop3cmd.c: unit tests for the POP3 command-line reader, message
 * numbers, APOP arguments and the RETR/TOP message encoding (pop3cmd.h;
 * qmail-popup(8), qmail-pop3d(8)). */
#include <string.h>
#include "check.h"
#include "pop3cmd.h"
#include "str.h"

/* Feed a whole input in pieces of size step; log each line as
 * "VERB:arg|" (VERB as a number, "!" after it if overlong). */
static void run_lines(const char *input, size_t len, size_t step, str *log)
{
  static struct pop3cmd c;
  size_t pos = 0;

  pop3cmd_init(&c);
  log->len = 0;
  while (pos < len) {
    size_t n = len - pos < step ? len - pos : step, used;
    int r = pop3cmd_feed(&c, input + pos, n, &used);
    CHECK(used <= n);
    pos += used;
    if (r == POP3CMD_LINE) {
      char *arg;
      enum pop3cmd_verb v = pop3cmd_verb(&c, &arg);
      str_catnum(log, (unsigned long long)v);
      str_cats(log, pop3cmd_overlong(&c) ? "!:" : ":");
      str_cats(log, arg);
      str_putc(log, '|');
    } else {
      CHECK(used == n);
    }
  }
}

static void test_lines(void)
{
  static const char input[] = "USER joe\r\npass  se cret \r\nApOp a b\nquit\r\nNOOP\r\n"
                              "stat\r\nLIST 2\r\nuidl\r\nTOP 1 5\r\nretr 3\r\ndele 1\r\n"
                              "RSET\r\nLAST\r\n\r\nCAPA\r\nUSERX y\r\nUSER\tz\r\n list\r\n"
                              "user a\0b\r\nx\rz\r\nPASS x\r\r\n";
  char want[512];
  str log = STR_INIT;

  snprintf(want, sizeof want,
           "%d:joe|%d:se cret |%d:a b|%d:|%d:|%d:|%d:2|%d:|%d:1 5|%d:3|%d:1|%d:|%d:|"
           "%d:|%d:|%d:y|%d:|%d:list|%d:a|%d:|%d:x\r|",
           POP3CMD_USER, POP3CMD_PASS, POP3CMD_APOP, POP3CMD_QUIT, POP3CMD_NOOP,
           POP3CMD_STAT, POP3CMD_LIST, POP3CMD_UIDL, POP3CMD_TOP, POP3CMD_RETR,
           POP3CMD_DELE, POP3CMD_RSET, POP3CMD_LAST, POP3CMD_UNKNOWN, POP3CMD_UNKNOWN,
           POP3CMD_UNKNOWN, POP3CMD_UNKNOWN, POP3CMD_UNKNOWN, POP3CMD_USER,
           POP3CMD_UNKNOWN, POP3CMD_PASS);
  for (size_t step = 1; step <= sizeof input; ++step) {
    run_lines(input, sizeof input - 1, step, &log);
    CHECK_STR(log.s, want);
  }
  str_free(&log);
}

static void test_overlong(void)
{
  static char input[3 * POP3CMD_LINE_MAX];
  str log = STR_INIT;
  char want[64];
  size_t n;

  /* Exactly POP3CMD_LINE_MAX bytes before CR LF: accepted whole. */
  memcpy(input, "PASS ", 5);
  memset(input + 5, 'p', POP3CMD_LINE_MAX - 5);
  memcpy(input + POP3CMD_LINE_MAX, "\r\n", 2);
  for (size_t step = 1; step <= POP3CMD_LINE_MAX + 2; step += 97) {
    run_lines(input, POP3CMD_LINE_MAX + 2, step, &log);
    CHECK(log.len == POP3CMD_LINE_MAX - 5 + 3 && !memcmp(log.s, "2:ppp", 5));
  }
  /* The same without the CR is still fine. */
  memcpy(input + POP3CMD_LINE_MAX, "\n", 1);
  run_lines(input, POP3CMD_LINE_MAX + 1, 7, &log);
  CHECK(log.len == POP3CMD_LINE_MAX - 5 + 3);

  /* One byte more: overlong, its argument withheld; the next line is
   * read normally. */
  input[POP3CMD_LINE_MAX] = 'p';
  memcpy(input + POP3CMD_LINE_MAX + 1, "\r\nQUIT\r\n", 8);
  n = POP3CMD_LINE_MAX + 9;
  snprintf(want, sizeof want, "%d!:|%d:|", POP3CMD_PASS, POP3CMD_QUIT);
  for (size_t step = 1; step <= n; step += 13) {
    run_lines(input, n, step, &log);
    CHECK_STR(log.s, want);
  }
  /* Far longer, with a CR where the cut falls. */
  memset(input, 'x', sizeof input);
  input[POP3CMD_LINE_MAX] = '\r';
  memcpy(input + sizeof input - 2, "\r\n", 2);
  snprintf(want, sizeof want, "%d!:|", POP3CMD_UNKNOWN);
  run_lines(input, sizeof input, 100, &log);
  CHECK_STR(log.s, want);
  run_lines(input, sizeof input, sizeof input, &log);
  CHECK_STR(log.s, want);
  str_free(&log);
}

static void test_wipe(void)
{
  static struct pop3cmd c;
  size_t used;
  char *arg;
  int zero = 1;

  pop3cmd_init(&c);
  CHECK(pop3cmd_feed(&c, "PASS secret\r\n", 13, &used) == POP3CMD_LINE);
  CHECK(pop3cmd_verb(&c, &arg) == POP3CMD_PASS);
  CHECK_STR(arg, "secret");
  pop3cmd_wipe(&c);
  for (size_t i = 0; i < sizeof c.line; ++i) zero &= !c.line[i];
  CHECK(zero);
}

static void test_msgno(void)
{
  size_t i = 99;

  CHECK(pop3cmd_msgno("", 5, &i) == POP3CMD_NUM_SYNTAX);
  CHECK(pop3cmd_msgno("x", 5, &i) == POP3CMD_NUM_SYNTAX);
  CHECK(pop3cmd_msgno("-1", 5, &i) == POP3CMD_NUM_SYNTAX);
  CHECK(pop3cmd_msgno(" 1", 5, &i) == POP3CMD_NUM_SYNTAX);
  CHECK(pop3cmd_msgno("0", 5, &i) == POP3CMD_NUM_ZERO);
  CHECK(pop3cmd_msgno("000", 5, &i) == POP3CMD_NUM_ZERO);
  CHECK(pop3cmd_msgno("6", 5, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(pop3cmd_msgno("1", 0, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(i == 99);
  CHECK(pop3cmd_msgno("1", 5, &i) == POP3CMD_NUM_OK && i == 0);
  CHECK(pop3cmd_msgno("5", 5, &i) == POP3CMD_NUM_OK && i == 4);
  CHECK(pop3cmd_msgno("0003", 5, &i) == POP3CMD_NUM_OK && i == 2);
  CHECK(pop3cmd_msgno("2abc", 5, &i) == POP3CMD_NUM_OK && i == 1);
  CHECK(pop3cmd_msgno("4 10", 5, &i) == POP3CMD_NUM_OK && i == 3);
  /* Numbers past any count, wrapping or not, are too big. */
  CHECK(pop3cmd_msgno("18446744073709551615", 5, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(pop3cmd_msgno("18446744073709551617", 5, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(pop3cmd_msgno("4294967297", 5, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(pop3cmd_msgno("99999999999999999999999999999999999999", 5, &i) == POP3CMD_NUM_TOOBIG);
  CHECK(pop3cmd_msgno("100000", 100000, &i) == POP3CMD_NUM_OK && i == 99999);
}

static void test_lines_arg(void)
{
  unsigned long long n = 77;

  CHECK(!pop3cmd_lines("1", &n));
  CHECK(!pop3cmd_lines("1 ", &n));
  CHECK(!pop3cmd_lines("1 x", &n));
  CHECK(!pop3cmd_lines("1x 5", &n));
  CHECK(!pop3cmd_lines("", &n));
  CHECK(pop3cmd_lines("1 5", &n) && n == 5);
  CHECK(pop3cmd_lines("12   0", &n) && n == 0);
  CHECK(pop3cmd_lines("1 7 8", &n) && n == 7);
  CHECK(pop3cmd_lines("1 99999999999999999999999", &n) && n == 18446744073709551615ULL);
}

static void test_apop(void)
{
  char a[] = "joe c4c9334bac560ecc979e58001b3e22fb", b[] = "joe", c[] = "joe ",
       d[] = "joe a b";
  char *name, *digest;

  CHECK(pop3cmd_apop(a, &name, &digest));
  CHECK_STR(name, "joe");
  CHECK_STR(digest, "c4c9334bac560ecc979e58001b3e22fb");
  CHECK(!pop3cmd_apop(b, &name, &digest));
  CHECK(pop3cmd_apop(c, &name, &digest));
  CHECK_STR(name, "joe");
  CHECK_STR(digest, "");
  CHECK(pop3cmd_apop(d, &name, &digest));
  CHECK_STR(digest, "a b");
}

/* ---- RETR and TOP ---- */

/* Encode msg (limited or not) in chunks of step bytes. */
static void encode(const char *msg, size_t len, int limited, unsigned long long lines,
                   size_t step, str *got)
{
  static char out[POP3MSG_OUTMAX(64) + POP3MSG_FINISHMAX];
  struct pop3msg m;
  size_t pos = 0;

  got->len = 0;
  pop3msg_init(&m, limited, lines);
  while (pos < len && !pop3msg_done(&m)) {
    size_t n = len - pos < step ? len - pos : step;
    str_cat(got, out, pop3msg_encode(&m, msg + pos, n, out));
    pos += n;
  }
  str_cat(got, out, pop3msg_finish(&m, out));
}

/* The model the encoder must match: qmail-pop3d's line by line rule. */
static void model(const char *msg, size_t len, int limited, unsigned long long lines, str *want)
{
  size_t pos = 0;
  int inheader = 1;

  want->len = 0;
  while (pos < len) {
    const char *lf = memchr(msg + pos, '\n', len - pos);
    size_t n = lf ? (size_t)(lf - (msg + pos)) : len - pos;
    if (limited && !inheader) {
      if (!lines) break;
      --lines;
    }
    if (!n) inheader = 0;
    else if (msg[pos] == '.') str_putc(want, '.');
    str_cat(want, msg + pos, n);
    str_cats(want, "\r\n");
    pos += n + 1;
  }
  str_cats(want, "\r\n.\r\n");
}

#define ENC(msg, limited, lines, want) \
  do { \
    for (size_t step_ = 1; step_ <= 64; ++step_) { \
      encode(msg, sizeof msg - 1, limited, lines, step_, &got); \
      CHECK(got.len == sizeof want - 1 && !memcmp(got.s, want, got.len)); \
    } \
  } while (0)

static void test_encode(void)
{
  str got = STR_INIT, want = STR_INIT;
  static const char msg[] = "Subject: x\n.hdr\n\nbody 1\n.\n..two\n\nlast";

  ENC("", 0, 0, "\r\n.\r\n");
  ENC("\n", 0, 0, "\r\n\r\n.\r\n");
  ENC("a", 0, 0, "a\r\n\r\n.\r\n");
  ENC("a\n", 0, 0, "a\r\n\r\n.\r\n");
  ENC(".", 0, 0, "..\r\n\r\n.\r\n");
  ENC(".\n.\n", 0, 0, "..\r\n..\r\n\r\n.\r\n");
  ENC("a.b\n.c\r\n\r\nx", 0, 0, "a.b\r\n..c\r\r\n\r\r\nx\r\n\r\n.\r\n");
  ENC("a\0b\n\xff\n", 0, 0, "a\0b\r\n\xff\r\n\r\n.\r\n");
  ENC(msg, 0, 0, "Subject: x\r\n..hdr\r\n\r\nbody 1\r\n..\r\n...two\r\n\r\nlast\r\n\r\n.\r\n");
  /* TOP: the header and its empty line whole, then n body lines. */
  ENC(msg, 1, 0, "Subject: x\r\n..hdr\r\n\r\n\r\n.\r\n");
  ENC(msg, 1, 1, "Subject: x\r\n..hdr\r\n\r\nbody 1\r\n\r\n.\r\n");
  ENC(msg, 1, 4, "Subject: x\r\n..hdr\r\n\r\nbody 1\r\n..\r\n...two\r\n\r\n\r\n.\r\n");
  ENC(msg, 1, 5, "Subject: x\r\n..hdr\r\n\r\nbody 1\r\n..\r\n...two\r\n\r\nlast\r\n\r\n.\r\n");
  ENC(msg, 1, 18446744073709551615ULL,
      "Subject: x\r\n..hdr\r\n\r\nbody 1\r\n..\r\n...two\r\n\r\nlast\r\n\r\n.\r\n");
  /* No empty line: all of it is header. */
  ENC("a\nb\nc\n", 1, 0, "a\r\nb\r\nc\r\n\r\n.\r\n");
  /* A line of a lone CR does not end the header. */
  ENC("a\n\r\nb\n\nc\n", 1, 0, "a\r\n\r\r\nb\r\n\r\n\r\n.\r\n");

  /* Every message of the bytes "\n.\rx" up to 7 long, every limit, every
   * chunk size, against the model. */
  {
    static const char alphabet[] = "\n.\rx";
    char buf[8];
    for (size_t len = 0; len <= 7; ++len) {
      size_t total = 1;
      for (size_t k = 0; k < len; ++k) total *= 4;
      for (size_t code = 0; code < total; ++code) {
        size_t c = code;
        for (size_t k = 0; k < len; ++k, c /= 4) buf[k] = alphabet[c % 4];
        for (int limited = 0; limited <= 1; ++limited)
          for (unsigned long long lines = 0; lines <= (limited ? 4u : 0u); ++lines) {
            model(buf, len, limited, lines, &want);
            for (size_t step = 1; step <= len + 1; ++step) {
              encode(buf, len, limited, lines, step, &got);
              if (got.len != want.len || memcmp(got.s, want.s, got.len)) {
                CHECK(!"encoding differs from the model");
                goto done;
              }
            }
          }
      }
    }
  }
  CHECK(1);
done:
  str_free(&got);
  str_free(&want);
}

int main(void)
{
  RUN(test_lines);
  RUN(test_overlong);
  RUN(test_wipe);
  RUN(test_msgno);
  RUN(test_lines_arg);
  RUN(test_apop);
  RUN(test_encode);
  return check_report();
}
