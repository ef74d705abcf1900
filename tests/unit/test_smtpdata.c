/* test_smtpdata.c: unit tests for the SMTP DATA state machine: exact
 * output bytes, the end of data, dot-unstuffing, bare LF, smuggling
 * payloads, hop counting, databytes; and a comparison with a byte-at-a-
 * time model of qmail-1.03's rules over random inputs cut at random. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "check.h"
#include "smtpdata.h"
#include "str.h"

static void sink(void *arg, const char *buf, size_t len)
{
  CHECK(len > 0);
  str_cat(arg, buf, len);
}

struct run {
  str out;
  int result;
  size_t used; /* bytes taken in all */
  struct smtpdata d;
};

/* Feed input in pieces of step bytes until the end, an error, or the input
 * runs out. */
static void feed(struct run *r, const char *input, size_t len, size_t step,
                 unsigned long long databytes)
{
  size_t pos = 0;

  r->out.len = 0;
  smtpdata_init(&r->d, databytes, sink, &r->out);
  r->result = SMTPDATA_MORE;
  while (pos < len) {
    size_t n = len - pos < step ? len - pos : step, used;
    r->result = smtpdata_feed(&r->d, input + pos, n, &used);
    CHECK(used <= n);
    pos += used;
    if (r->result != SMTPDATA_MORE) break;
    CHECK(used == n);
  }
  r->used = pos;
}

/* Every step size must give the same: result, output, bytes taken. */
static void expect(const char *input, size_t len, int result, const char *out, size_t used)
{
  struct run r = { STR_INIT, 0, 0, { 0 } };
  for (size_t step = 1; step <= len + 1; ++step) {
    feed(&r, input, len, step, 0);
    CHECK(r.result == result);
    CHECK(r.out.len == strlen(out) && !memcmp(r.out.s ? r.out.s : "", out, r.out.len));
    CHECK(r.used == used);
  }
  str_free(&r.out);
}

#define EXPECT(in, result, out) expect(in, sizeof in - 1, result, out, sizeof in - 1)

static void test_basics(void)
{
  EXPECT(".\r\n", SMTPDATA_END, "");
  EXPECT("hello\r\n.\r\n", SMTPDATA_END, "hello\n");
  EXPECT("a\r\nb\r\n\r\nbody\r\n.\r\n", SMTPDATA_END, "a\nb\n\nbody\n");
  EXPECT("..\r\n.\r\n", SMTPDATA_END, ".\n");
  EXPECT("..x\r\n.x\r\n...\r\n.\r\n", SMTPDATA_END, ".x\nx\n..\n");
  EXPECT("a.\r\n.\r\n", SMTPDATA_END, "a.\n");
  EXPECT("x\r\n.\rA\r\n.\r\n", SMTPDATA_END, "x\n.\rA\n"); /* "." CR kept */
  EXPECT("x\r\n.\r\r\n.\r\n", SMTPDATA_END, "x\n.\r\n");
  EXPECT("a\rb\r\n.\r\n", SMTPDATA_END, "a\rb\n"); /* lone CR */
  EXPECT("a\r\r\n.\r\n", SMTPDATA_END, "a\r\n");
  EXPECT("a\r\r\r\n.\r\n", SMTPDATA_END, "a\r\r\n");
  EXPECT("\r\r\n.\r\n", SMTPDATA_END, "\r\n");
  /* NUL and 8-bit bytes pass through */
  {
    static const char in[] = "a\0b\xff\r\n.\r\n";
    struct run r = { STR_INIT, 0, 0, { 0 } };
    feed(&r, in, sizeof in - 1, 3, 0);
    CHECK(r.result == SMTPDATA_END);
    CHECK(r.out.len == 5 && !memcmp(r.out.s, "a\0b\xff\n", 5));
    str_free(&r.out);
  }
  /* what follows the end is left for the command reader */
  expect("a\r\n.\r\nQUIT\r\n", 12, SMTPDATA_END, "a\n", 6);
  expect("a\r\n.\r\n.\r\n", 9, SMTPDATA_END, "a\n", 6);
  /* no end yet */
  EXPECT("abc\r\n.", SMTPDATA_MORE, "abc\n");
  EXPECT("abc\r\n.\r", SMTPDATA_MORE, "abc\n");
  EXPECT("abc\r", SMTPDATA_MORE, "abc");
}

static void test_bare_lf(void)
{
  EXPECT("\n", SMTPDATA_BARELF, "");
  expect("abc\ndef\r\n.\r\n", 13, SMTPDATA_BARELF, "abc", 4); /* stops at the LF */
  expect("a\r\n\n", 4, SMTPDATA_BARELF, "a\n", 4);
  expect("a\r\n.\n", 5, SMTPDATA_BARELF, "a\n", 5);
  expect(".\n", 2, SMTPDATA_BARELF, "", 2);
}

/* The payloads of SMTP smuggling: none of them ends the data. Those with
 * a bare LF stop the session; the others are just message text. */
static void test_smuggling(void)
{
  static const struct {
    const char *payload;
    int result;
    const char *out;
  } cases[] = {
    { "\n.\r\n", SMTPDATA_BARELF, "x" },
    { "\r\n.\n", SMTPDATA_BARELF, "x\n" },
    { "\n.\n", SMTPDATA_BARELF, "x" },
    { "\r.\r\n", SMTPDATA_MORE, "x\r.\n" },
    { "\r\n.\r", SMTPDATA_MORE, "x\n" },
    { "\r.\n", SMTPDATA_BARELF, "x\r." },
    { "\r\n\x00.\r\n", SMTPDATA_MORE, "x\n\x00" },
    { "\r\r\n.\r\r\n", SMTPDATA_MORE, "x\r\n.\r\n" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    str in = STR_INIT;
    size_t plen = strlen(cases[i].payload);
    struct run r = { STR_INIT, 0, 0, { 0 } };
    if (i == 6) plen = 6; /* the NUL */
    str_copys(&in, "x");
    str_cat(&in, cases[i].payload, plen);
    str_cats(&in, "MAIL FROM:<evil@x>\r\n");
    for (size_t step = 1; step <= in.len; ++step) {
      size_t outlen = i == 6 ? 3 : strlen(cases[i].out);
      feed(&r, in.s, in.len, step, 0);
      CHECK(r.result == cases[i].result);
      if (cases[i].result == SMTPDATA_MORE) {
        CHECK(r.used == in.len);
        CHECK(r.out.len > outlen && !memcmp(r.out.s, cases[i].out, outlen));
      } else {
        CHECK(r.out.len == outlen && !memcmp(r.out.s ? r.out.s : "", cases[i].out, outlen));
      }
    }
    /* a proper end after the payload ends it, with the payload inside */
    if (cases[i].result == SMTPDATA_MORE) {
      str_cats(&in, "\r\n.\r\n");
      feed(&r, in.s, in.len, 7, 0);
      CHECK(r.result == SMTPDATA_END && r.used == in.len);
    }
    str_free(&in);
    str_free(&r.out);
  }
}

static void test_hops(void)
{
  static const char *const names[] = { "Received: x", "received:", "RECEIVED", "ReCeIvEd-SPF: y",
                                       "Delivered-To: a", "DELIVERED", "delivered-to:" };
  static const char *const others[] = { "X-Received: x", "Receive: x", "Delivere: x",
                                        " Received: x", ".Received: x", "Subject: Received" };
  for (unsigned long want = 98; want <= 101; ++want) {
    str in = STR_INIT;
    struct run r = { STR_INIT, 0, 0, { 0 } };
    for (unsigned long i = 0; i < want; ++i) {
      str_cats(&in, names[i % 7]);
      str_cats(&in, "\r\n");
      str_cats(&in, others[i % 6]);
      str_cats(&in, "\r\n");
    }
    str_cats(&in, "\r\nReceived: in the body\r\nDelivered-To: body\r\n.\r\n");
    for (size_t step = 1; step < 300; step += 37) {
      feed(&r, in.s, in.len, step, 0);
      CHECK(r.result == SMTPDATA_END);
      CHECK(r.d.hops == want);
      CHECK(smtpdata_looping(&r.d) == (want >= SMTPDATA_MAXHOPS));
    }
    str_free(&in);
    str_free(&r.out);
  }
  /* a line that is not CR LF at once does not end the header */
  {
    static const char in[] = "A: b\r\n\r\r\nReceived: x\r\n .\r\nReceived: y\r\n\r\nReceived: z\r\n.\r\n";
    struct run r = { STR_INIT, 0, 0, { 0 } };
    feed(&r, in, sizeof in - 1, 5, 0);
    CHECK(r.result == SMTPDATA_END && r.d.hops == 2);
    str_free(&r.out);
  }
  /* a very long header line, then more Received lines */
  {
    str in = STR_INIT;
    struct run r = { STR_INIT, 0, 0, { 0 } };
    str_cats(&in, "Received: ");
    for (int i = 0; i < 200000; ++i) str_putc(&in, (char)('a' + i % 26));
    str_cats(&in, "\r\nDelivered-To: x\r\n\r\n.\r\n");
    feed(&r, in.s, in.len, 65536, 0);
    CHECK(r.result == SMTPDATA_END && r.d.hops == 2);
    str_free(&in);
    str_free(&r.out);
  }
}

static void test_databytes(void)
{
  static const char in[] = "Subject: x\r\n\r\n..body\r\n.\r\n"; /* 18 bytes stored */
  struct run r = { STR_INIT, 0, 0, { 0 } };

  for (size_t step = 1; step < sizeof in; ++step) {
    feed(&r, in, sizeof in - 1, step, 0);
    CHECK(r.d.bytes == 18 && !r.d.toobig);
    feed(&r, in, sizeof in - 1, step, 18);
    CHECK(r.result == SMTPDATA_END && r.d.bytes == 18 && !r.d.toobig && r.out.len == 18);
    feed(&r, in, sizeof in - 1, step, 17);
    CHECK(r.result == SMTPDATA_END && r.d.toobig);
    CHECK(r.out.len <= 17); /* nothing went out past the limit */
    feed(&r, in, sizeof in - 1, step, 1);
    CHECK(r.result == SMTPDATA_END && r.d.toobig && r.out.len <= 1);
  }
  /* the count saturates instead of wrapping */
  smtpdata_init(&r.d, ULLONG_MAX, sink, &r.out);
  r.d.bytes = ULLONG_MAX - 2;
  {
    size_t used;
    CHECK(smtpdata_feed(&r.d, "abcdef", 6, &used) == SMTPDATA_MORE);
    CHECK(r.d.bytes == ULLONG_MAX && !r.d.toobig);
  }
  smtpdata_init(&r.d, ULLONG_MAX - 1, sink, &r.out);
  r.d.bytes = ULLONG_MAX - 2;
  {
    size_t used;
    CHECK(smtpdata_feed(&r.d, "abcdef", 6, &used) == SMTPDATA_MORE);
    CHECK(r.d.bytes == ULLONG_MAX && r.d.toobig);
  }
  str_free(&r.out);
}

/* qmail-1.03's rules, one byte at a time, written out independently. */
static int model(const unsigned char *in, size_t len, str *out, size_t *used, unsigned long *hops)
{
  int state = 1, inheader = 1;
  size_t pos = 0;
  str line = STR_INIT;

  *hops = 0;
  for (size_t i = 0; i < len; ++i) {
    unsigned char c = in[i];
    if (inheader) {
      str_putc(&line, (char)c);
      if (c == '\n') {
        if (line.len == 2 && line.s[0] == '\r') inheader = 0;
        else if (line.len >= 8 && !strncasecmp(line.s, "received", 8)) ++*hops;
        if (line.len >= 9 && !strncasecmp(line.s, "delivered", 9)) ++*hops;
        line.len = 0;
      }
    }
    pos = i + 1;
    switch (state) {
    case 0:
      if (c == '\n') goto barelf;
      if (c == '\r') state = 4;
      else str_putc(out, (char)c);
      break;
    case 1:
      if (c == '\n') goto barelf;
      if (c == '.') state = 2;
      else if (c == '\r') state = 4;
      else { state = 0; str_putc(out, (char)c); }
      break;
    case 2:
      if (c == '\n') goto barelf;
      if (c == '\r') state = 3;
      else { state = 0; str_putc(out, (char)c); }
      break;
    case 3:
      if (c == '\n') { str_free(&line); *used = pos; return SMTPDATA_END; }
      str_cats(out, ".\r");
      if (c == '\r') state = 4;
      else { state = 0; str_putc(out, (char)c); }
      break;
    case 4:
      if (c == '\n') { state = 1; str_putc(out, '\n'); }
      else if (c == '\r') str_putc(out, '\r');
      else { state = 0; str_putc(out, '\r'); str_putc(out, (char)c); }
      break;
    }
  }
  /* a header line still open counts once complete; not here */
  str_free(&line);
  *used = pos;
  return SMTPDATA_MORE;
barelf:
  str_free(&line);
  *used = pos;
  return SMTPDATA_BARELF;
}

static void test_model(void)
{
  static const char alphabet[] = "\r\r\r\n\n..ab RrEeCcIiVvDdLl:";
  unsigned char in[400];
  str want = STR_INIT;
  struct run r = { STR_INIT, 0, 0, { 0 } };
  unsigned long seed = 12345;

  for (int round = 0; round < 20000; ++round) {
    size_t len, wused;
    unsigned long whops;
    int wres;
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    len = (seed >> 33) % sizeof in;
    for (size_t i = 0; i < len; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      /* mostly CR LF line ends, so that the data goes on for a while */
      in[i] = (unsigned char)alphabet[(seed >> 33) % (sizeof alphabet - 1)];
      if (in[i] == '\n' && (seed >> 20) % 64 && i && in[i - 1] != '\r') in[i] = '\r';
      /* often steer toward CR LF "." CR LF, so the end is reached */
      if (i && in[i - 1] == '\n' && (seed >> 24) % 4 == 0) in[i] = '.';
      if (i > 1 && in[i - 1] == '.' && in[i - 2] == '\n' && (seed >> 24) % 3 == 0) in[i] = '\r';
      if (i > 2 && in[i - 1] == '\r' && in[i - 2] == '.' && (seed >> 24) % 3 == 0) in[i] = '\n';
    }
    want.len = 0;
    wres = model(in, len, &want, &wused, &whops);
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    feed(&r, (const char *)in, len, 1 + (seed >> 33) % 64, 0);
    CHECK(r.result == wres);
    CHECK(r.used == wused);
    CHECK(r.out.len == want.len && !memcmp(r.out.s ? r.out.s : "", want.s ? want.s : "", want.len));
    /* hops are exact once the header lines are complete */
    if (wres != SMTPDATA_MORE) CHECK(r.d.hops == whops);
  }
  str_free(&want);
  str_free(&r.out);
}

int main(void)
{
  RUN(test_basics);
  RUN(test_bare_lf);
  RUN(test_smuggling);
  RUN(test_hops);
  RUN(test_databytes);
  RUN(test_model);
  return check_report();
}
