/* test_smtpcmd.c: unit tests for the SMTP command-line reader and the
 * MAIL/RCPT address parser (spec/smtpd.md, "Address parsing"). */
#include <limits.h>
#include <string.h>
#include "check.h"
#include "smtpcmd.h"
#include "str.h"

/* This host is 127.0.0.1 and ::1. */
static int local127(const struct ipaddr *a)
{
  static const unsigned char one6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  if (a->family == IPADDR_V6) return !memcmp(a->ip, one6, 16);
  return a->ip[0] == 127 && a->ip[1] == 0 && a->ip[2] == 0 && a->ip[3] == 1;
}

/* Parse arg; return 1/0/-1 and leave the address in got. */
static str got = STR_INIT;
static int parse(const char *arg) { return smtpcmd_addr(arg, &got, 0, local127); }

#define ADDR(arg, want) \
  do { \
    CHECK(parse(arg) == 1); \
    CHECK_STR(got.s, want); \
  } while (0)

/* Feed a whole input in pieces of size step; collect the verbs and the
 * arguments of the lines ("VERB:arg|" per line, VERB as a number). */
static void run_lines(const char *input, size_t len, size_t step, str *log)
{
  static struct smtpcmd c;
  size_t pos = 0;

  smtpcmd_init(&c);
  log->len = 0;
  while (pos < len) {
    size_t n = len - pos < step ? len - pos : step, used;
    int r = smtpcmd_feed(&c, input + pos, n, &used);
    CHECK(used <= n);
    pos += used;
    if (r == SMTPCMD_LINE) {
      const char *arg;
      enum smtpcmd_verb v = smtpcmd_verb(&c, &arg);
      str_catnum(log, (unsigned long long)v);
      str_cats(log, smtpcmd_overlong(&c) ? "!:" : ":");
      str_cats(log, arg);
      str_putc(log, '|');
    } else {
      CHECK(used == n);
    }
  }
}

static void test_lines(void)
{
  static const char input[] = "HELO x.example\r\nehlo  y\r\nMail FROM:<a@b>\nrcpt\r\n\r\n"
                              "DATA\r\nRSET\r\nnoop\r\nVRFY a\r\nHELP\r\nQUIT\r\n"
                              "HELOX\r\nHELO\tx\r\n quit\r\nrcpt to:a\0b\r\nx\rz\r\n";
  char want[512];
  str log = STR_INIT;
  size_t step;

  /* the verbs as numbers, in the order of the input */
  snprintf(want, sizeof want,
           "%d:x.example|%d:y|%d:FROM:<a@b>|%d:|%d:|%d:|%d:|%d:|%d:a|%d:|%d:|%d:|%d:|%d:quit|%d:to:a|%d:|",
           SMTPCMD_HELO, SMTPCMD_EHLO, SMTPCMD_MAIL, SMTPCMD_RCPT, SMTPCMD_UNKNOWN,
           SMTPCMD_DATA, SMTPCMD_RSET, SMTPCMD_NOOP, SMTPCMD_VRFY, SMTPCMD_HELP, SMTPCMD_QUIT,
           SMTPCMD_UNKNOWN, SMTPCMD_UNKNOWN, SMTPCMD_UNKNOWN, SMTPCMD_RCPT, SMTPCMD_UNKNOWN);
  for (step = 1; step <= sizeof input; ++step) {
    run_lines(input, sizeof input - 1, step, &log);
    CHECK_STR(log.s, want);
  }
  str_free(&log);
}

static void test_overlong(void)
{
  static char input[3 * SMTPCMD_LINE_MAX + 100];
  char want[64];
  str log = STR_INIT;
  size_t len, step;

  /* exactly the limit, with and without CR: fine; one more byte: too long */
  for (int extra = 0; extra <= 1; ++extra)
    for (int cr = 0; cr <= 1; ++cr) {
      str want_ok = STR_INIT;
      size_t args = SMTPCMD_LINE_MAX - 5 + (size_t)extra;
      memcpy(input, "NOOP ", 5);
      len = 5;
      memset(input + len, 'a', args);
      len += args;
      if (cr) input[len++] = '\r';
      memcpy(input + len, "\nQUIT\r\n", 7);
      len += 7;
      if (extra) {
        snprintf(want, sizeof want, "%d!:|%d:|", SMTPCMD_NOOP, SMTPCMD_QUIT);
        str_copys(&want_ok, want);
      } else {
        str_catnum(&want_ok, SMTPCMD_NOOP);
        str_putc(&want_ok, ':');
        str_cat(&want_ok, input + 5, args);
        str_putc(&want_ok, '|');
        str_catnum(&want_ok, SMTPCMD_QUIT);
        str_cats(&want_ok, ":|");
      }
      for (step = 1; step < len; step = step * 3 + 1) {
        run_lines(input, len, step, &log);
        CHECK_STR(log.s, want_ok.s);
      }
      str_free(&want_ok);
    }

  /* a much longer line is read to its end and thrown away */
  memset(input, 'x', sizeof input);
  memcpy(input, "MAIL FROM:<", 11);
  memcpy(input + sizeof input - 8, "\r\nNOOP\r\n", 8);
  snprintf(want, sizeof want, "%d!:|%d:|", SMTPCMD_MAIL, SMTPCMD_NOOP);
  for (step = 1; step < sizeof input * 2; step = step * 2 + 7) {
    run_lines(input, sizeof input, step, &log);
    CHECK_STR(log.s, want);
  }
  str_free(&log);
}

static void test_addresses(void)
{
  char big[SMTPCMD_ADDR_MAX + 20];
  str lip = STR_INIT;

  ADDR("FROM:<a@b>", "a@b");
  ADDR("TO:<a@b>", "a@b");
  ADDR("FROM:<>", "");
  ADDR("FROM: <>", "");
  ADDR("FROM:a@b", "a@b");
  ADDR("FROM: a@b more", "a@b");
  ADDR("FROM:   a@b", "a@b");
  ADDR("FROM:", "");
  ADDR("FROM", ""); /* no colon: nothing (qmail-1.03) */
  ADDR("<x@y>", "x@y"); /* the first '<' anywhere */
  ADDR("FROM:<@x,@y:a@b>", "a@b");
  ADDR("FROM:<@x:a@b>", "a@b");
  ADDR("FROM:@x,@y:a@b", "a@b");
  ADDR("FROM:<@x,@y>", "");
  ADDR("FROM:<a@b> SIZE=123", "a@b");
  ADDR("FROM:<a@b> SIZE=123 BODY=8BITMIME", "a@b");
  ADDR("FROM:<a@b", "a@b"); /* no '>': to the end */
  ADDR("FROM:<\"a b\"@c>", "a b@c");
  ADDR("FROM:<\"a>b\"@c>", "a>b@c");
  ADDR("FROM:<a\\>b@c>", "a>b@c");
  ADDR("FROM:<a\\\\b@c>", "a\\b@c");
  ADDR("FROM:<\"a\\\"b\"@c>", "a\"b@c");
  ADDR("FROM:\"a b\"@c", "a b@c");
  ADDR("FROM:a\\ b@c x", "a b@c");
  ADDR("FROM:<a b@c>", "a b@c");
  ADDR("TO:<a@b>x<c@d>", "a@b");
  ADDR("TO:<a@[127.0.0.1]>", "a@[127.0.0.1]"); /* no liphost given */

  /* the length limit */
  memset(big, 'a', sizeof big);
  memcpy(big, "TO:<", 4);
  big[4 + SMTPCMD_ADDR_MAX] = '>';
  big[5 + SMTPCMD_ADDR_MAX] = 0;
  CHECK(parse(big) == 1);
  CHECK(got.len == SMTPCMD_ADDR_MAX);
  big[4 + SMTPCMD_ADDR_MAX] = 'a';
  big[5 + SMTPCMD_ADDR_MAX] = '>';
  big[6 + SMTPCMD_ADDR_MAX] = 0;
  CHECK(parse(big) == 0);
  /* quotes do not count */
  memcpy(big + 4, "\"\"", 2);
  CHECK(parse(big) == 1);
  CHECK(got.len == SMTPCMD_ADDR_MAX - 1);

  /* localiphost replaces this host's own IP literal */
  str_copys(&lip, "me.example");
  CHECK(smtpcmd_addr("TO:<a@[127.0.0.1]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@me.example");
  CHECK(smtpcmd_addr("TO:<b@c@[127.0.0.1]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "b@c@me.example");
  CHECK(smtpcmd_addr("TO:<a@[127.0.0.2]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@[127.0.0.2]");
  CHECK(smtpcmd_addr("TO:<a@[127.0.0.1]x>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@[127.0.0.1]x");
  CHECK(smtpcmd_addr("TO:<[127.0.0.1]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "[127.0.0.1]");
  /* and its IPv6 literal (RFC 5321 4.1.3), in any of its forms */
  CHECK(smtpcmd_addr("TO:<a@[IPv6:::1]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@me.example");
  CHECK(smtpcmd_addr("TO:<a@[ipv6:0:0:0:0:0:0:0:0001]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@me.example");
  CHECK(smtpcmd_addr("TO:<a@[IPv6:::2]>", &got, &lip, local127) == 1);
  CHECK_STR(got.s, "a@[IPv6:::2]");
  CHECK(smtpcmd_addr("TO:<a@[::1]>", &got, &lip, local127) == 1); /* no tag: no literal */
  CHECK_STR(got.s, "a@[::1]");
  /* the limit applies after the replacement */
  memset(big, 'a', sizeof big);
  memcpy(big, "TO:<", 4);
  memcpy(big + 4 + SMTPCMD_ADDR_MAX - 10, "@[127.0.0.1]>", 14);
  CHECK(smtpcmd_addr(big, &got, &lip, local127) == 0);
  str_copys(&lip, "x");
  CHECK(smtpcmd_addr(big, &got, &lip, local127) == 1);
  CHECK(got.len == SMTPCMD_ADDR_MAX - 10 + 2);
  str_free(&lip);
}

static void test_iplit(void)
{
  struct ipaddr a;
  const unsigned char *ip = a.ip;
  CHECK(smtpcmd_iplit("[1.2.3.4]", 9, &a) && ip[0] == 1 && ip[1] == 2 && ip[2] == 3 && ip[3] == 4);
  CHECK(smtpcmd_iplit("[255.255.255.255]", 17, &a) && ip[3] == 255);
  CHECK(smtpcmd_iplit("[001.2.3.4]", 11, &a) && ip[0] == 1);
  CHECK(!smtpcmd_iplit("[256.2.3.4]", 11, &a));
  CHECK(!smtpcmd_iplit("[1.2.3]", 7, &a));
  CHECK(!smtpcmd_iplit("[1.2.3.4.5]", 11, &a));
  CHECK(!smtpcmd_iplit("[1.2.3.4", 8, &a));
  CHECK(!smtpcmd_iplit("1.2.3.4]", 8, &a));
  CHECK(!smtpcmd_iplit("[1..3.4]", 8, &a));
  CHECK(!smtpcmd_iplit("[]", 2, &a));
  CHECK(!smtpcmd_iplit("[", 1, &a));
  CHECK(!smtpcmd_iplit("", 0, &a));
  CHECK(!smtpcmd_iplit("[1.2.3.4 ]", 10, &a));
  CHECK(!smtpcmd_iplit("[99999999999999999999999.2.3.4]", 31, &a));
  CHECK(smtpcmd_iplit("[1.2.3.4]", 9, &a) && a.family == IPADDR_V4);
  CHECK(smtpcmd_iplit("[IPv6:2001:db8::1]", 18, &a) && a.family == IPADDR_V6 && ip[0] == 0x20 &&
        ip[15] == 1);
  CHECK(smtpcmd_iplit("[IPV6:::ffff:1.2.3.4]", 21, &a) && ip[10] == 0xff && ip[15] == 4);
  CHECK(!smtpcmd_iplit("[IPv6:2001:db8::1 ]", 19, &a));
  CHECK(!smtpcmd_iplit("[IPv6:1.2.3.4]", 14, &a));
  CHECK(!smtpcmd_iplit("[IPv6:]", 7, &a));
  CHECK(!smtpcmd_iplit("[2001:db8::1]", 13, &a));
}

/* The SIZE parameter of MAIL: after the address, any case, digits only;
 * other parameters and a malformed SIZE ignored. */
static void test_size(void)
{
  unsigned long long v;
#define SIZE_OF(arg, want) (v = 7, smtpcmd_size(arg, &v) == 1 && v == (want))
#define NO_SIZE(arg) (v = 7, smtpcmd_size(arg, &v) == 0 && v == 7)
  CHECK(SIZE_OF("FROM:<a@b> SIZE=1000", 1000));
  CHECK(SIZE_OF("FROM:<a@b>  size=0 BODY=8BITMIME", 0));
  CHECK(SIZE_OF("FROM:<a@b> BODY=8BITMIME Size=42", 42));
  CHECK(SIZE_OF("FROM:<> SIZE=5", 5));
  CHECK(SIZE_OF("from:a@b SIZE=6", 6));             /* no brackets: the address is a word */
  CHECK(SIZE_OF("FROM:<a@b> SIZE=99999999999999999999999", ULLONG_MAX));
  CHECK(SIZE_OF("FROM:<a@b> SIZE=x SIZE=9", 9));      /* the first that is a number */
  CHECK(NO_SIZE("FROM:<a@b>"));
  CHECK(NO_SIZE("FROM:<a@b> SIZE="));
  CHECK(NO_SIZE("FROM:<a@b> SIZE=12k"));
  CHECK(NO_SIZE("FROM:<a@b> XSIZE=12"));
  CHECK(NO_SIZE("FROM:<a SIZE=12@b>"));               /* inside the address */
  CHECK(NO_SIZE("FROM:<\"a> SIZE=12\"@b>"));        /* quoted inside it */
  CHECK(NO_SIZE("FROM:<a\\> SIZE=12@b>"));         /* escaped > */
  CHECK(NO_SIZE("FROM:<a@b"));
  CHECK(NO_SIZE("FROM:<a@b>SIZE=5"));                 /* no space before it */
  CHECK(SIZE_OF("FROM:<a@b>SIZE=5 SIZE=6", 6));
  CHECK(NO_SIZE(""));
#undef SIZE_OF
#undef NO_SIZE
}

int main(void)
{
  RUN(test_lines);
  RUN(test_overlong);
  RUN(test_addresses);
  RUN(test_size);
  RUN(test_iplit);
  str_free(&got);
  return check_report();
}
