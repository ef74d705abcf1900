/* test_netstring.c: unit tests for the netstring reader and writer: the
 * exact events and byte counts, every kind of malformed input, the length
 * cap at its edges (up to SIZE_MAX), input cut into pieces of every size,
 * nesting, writer output and its overflow checks, and random round trips
 * and random garbage. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "netstring.h"
#include "str.h"

struct run {
  int result;     /* the last event: DONE or an error, or MORE */
  size_t used;    /* bytes taken in all */
  size_t at;      /* for an error: offset of the bad byte */
  int headers;    /* NETSTRING_HEADER events */
  size_t len;     /* ns.len at the header */
  str payload;
};

/* Feed input in pieces of at most step bytes until DONE, an error, or the
 * end of the input. */
static void feed(struct run *r, const char *input, size_t len, size_t step, size_t max)
{
  struct netstring ns;
  size_t pos = 0;

  netstring_init(&ns, max);
  CHECK(netstring_idle(&ns));
  r->result = NETSTRING_MORE;
  r->headers = 0;
  r->len = 0;
  r->payload.len = 0;
  while (pos < len) {
    size_t n = len - pos < step ? len - pos : step, used;
    int e = netstring_feed(&ns, input + pos, n, &used);
    CHECK(used <= n);
    if (e == NETSTRING_SYNTAX || e == NETSTRING_TOOBIG) {
      CHECK(used < n);
      pos = r->at = pos + used;
      r->result = e;
      break;
    }
    if (e == NETSTRING_DATA) {
      CHECK(used > 0);
      CHECK(r->headers == 1);
      str_cat(&r->payload, input + pos, used);
    }
    if (e == NETSTRING_HEADER) {
      ++r->headers;
      r->len = ns.len;
      CHECK(input[pos + used - 1] == ':');
    }
    if (e == NETSTRING_MORE) CHECK(used == n);
    pos += used;
    if (e == NETSTRING_DONE) {
      CHECK(input[pos - 1] == ',');
      CHECK(r->payload.len == ns.len);
      r->result = e;
      break;
    }
    CHECK(!netstring_idle(&ns));
  }
  r->used = pos;
}

/* The outcome is the same whatever the input's cutting. */
static void feed_all_steps(struct run *r, const char *input, size_t len, size_t max)
{
  struct run first = { 0, 0, 0, 0, 0, STR_INIT };
  feed(&first, input, len, len ? len : 1, max);
  for (size_t step = 1; step <= len; ++step) {
    feed(r, input, len, step, max);
    CHECK(r->result == first.result);
    CHECK(r->used == first.used);
    CHECK(r->headers == first.headers);
    CHECK(r->payload.len == first.payload.len &&
          (!first.payload.len || !memcmp(r->payload.s, first.payload.s, first.payload.len)));
    if (first.result == NETSTRING_SYNTAX || first.result == NETSTRING_TOOBIG)
      CHECK(r->at == first.at);
  }
  if (!len) *r = first;
  else str_free(&first.payload);
}

static int good(const char *input, size_t max, const char *payload, size_t used)
{
  struct run r = { 0, 0, 0, 0, 0, STR_INIT };
  int ok;
  feed_all_steps(&r, input, strlen(input), max);
  ok = r.result == NETSTRING_DONE && r.used == used && r.headers == 1 &&
       r.len == strlen(payload) && r.payload.len == strlen(payload) &&
       !memcmp(r.payload.s ? r.payload.s : "", payload, r.payload.len);
  str_free(&r.payload);
  return ok;
}

static int bad(const char *input, size_t max, int result, size_t at)
{
  struct run r = { 0, 0, 0, 0, 0, STR_INIT };
  int ok;
  feed_all_steps(&r, input, strlen(input), max);
  ok = r.result == result && r.at == at;
  str_free(&r.payload);
  return ok;
}

static int incomplete(const char *input, size_t max)
{
  struct run r = { 0, 0, 0, 0, 0, STR_INIT };
  int ok;
  feed_all_steps(&r, input, strlen(input), max);
  ok = r.result == NETSTRING_MORE && r.used == strlen(input);
  str_free(&r.payload);
  return ok;
}

static void test_events(void)
{
  struct netstring ns;
  size_t used;
  const char *in = "12:hello world!,5:";

  netstring_init(&ns, 100);
  CHECK(netstring_feed(&ns, in, strlen(in), &used) == NETSTRING_HEADER);
  CHECK(used == 3 && ns.len == 12 && ns.left == 12);
  in += used;
  CHECK(netstring_feed(&ns, in, 5, &used) == NETSTRING_DATA);
  CHECK_BYTES(in, used, "hello");
  CHECK(ns.left == 7);
  in += used;
  CHECK(netstring_feed(&ns, in, strlen(in), &used) == NETSTRING_DATA);
  CHECK_BYTES(in, used, " world!");
  in += used;
  CHECK(netstring_feed(&ns, in, 0, &used) == NETSTRING_MORE && used == 0);
  CHECK(netstring_feed(&ns, in, strlen(in), &used) == NETSTRING_DONE);
  CHECK(used == 1);
  /* DONE is sticky and takes nothing of what follows. */
  CHECK(netstring_feed(&ns, in + 1, strlen(in + 1), &used) == NETSTRING_DONE && used == 0);
  CHECK(!netstring_idle(&ns));
  netstring_init(&ns, 100);
  CHECK(netstring_idle(&ns));
  CHECK(netstring_feed(&ns, "", 0, &used) == NETSTRING_MORE && used == 0);
  CHECK(netstring_idle(&ns));

  /* The empty string: a header, no data, the comma. */
  netstring_init(&ns, 0);
  CHECK(netstring_feed(&ns, "0:,", 3, &used) == NETSTRING_HEADER && used == 2 && ns.len == 0);
  CHECK(netstring_feed(&ns, ",", 1, &used) == NETSTRING_DONE && used == 1);

  /* Errors are sticky too. */
  netstring_init(&ns, 100);
  CHECK(netstring_feed(&ns, "x", 1, &used) == NETSTRING_SYNTAX && used == 0);
  CHECK(netstring_feed(&ns, "1:a,", 4, &used) == NETSTRING_SYNTAX && used == 0);
  netstring_init(&ns, 5);
  CHECK(netstring_feed(&ns, "6", 1, &used) == NETSTRING_TOOBIG && used == 0);
  CHECK(netstring_feed(&ns, "1:a,", 4, &used) == NETSTRING_TOOBIG && used == 0);
}

static void test_wellformed(void)
{
  CHECK(good("0:,", 100, "", 3));
  CHECK(good("1:a,", 100, "a", 4));
  CHECK(good("12:hello world!,", 100, "hello world!", 16));
  CHECK(good("3:a:,,", 100, "a:,", 6));   /* ':' and ',' inside are payload */
  CHECK(good("2:ab,trailing", 100, "ab", 5)); /* what follows is not taken */
  CHECK(good("10:0123456789,", 10, "0123456789", 14));
  {
    struct run r = { 0, 0, 0, 0, 0, STR_INIT };
    const char in[] = "5:a\0b\r\n,"; /* NUL, CR, LF are payload like any byte */
    feed_all_steps(&r, in, sizeof in - 1, 100);
    CHECK(r.result == NETSTRING_DONE && r.payload.len == 5 && !memcmp(r.payload.s, "a\0b\r\n", 5));
    str_free(&r.payload);
  }
}

static void test_malformed(void)
{
  CHECK(bad(":", 100, NETSTRING_SYNTAX, 0));       /* no digits */
  CHECK(bad(",", 100, NETSTRING_SYNTAX, 0));
  CHECK(bad("a:", 100, NETSTRING_SYNTAX, 0));
  CHECK(bad(" 1:a,", 100, NETSTRING_SYNTAX, 0));   /* no white space */
  CHECK(bad("1 :a,", 100, NETSTRING_SYNTAX, 1));
  CHECK(bad("+1:a,", 100, NETSTRING_SYNTAX, 0));
  CHECK(bad("-1:a,", 100, NETSTRING_SYNTAX, 0));
  CHECK(bad("1a:", 100, NETSTRING_SYNTAX, 1));
  CHECK(bad("01:a,", 100, NETSTRING_SYNTAX, 1));   /* leading zero */
  CHECK(bad("00:,", 100, NETSTRING_SYNTAX, 1));
  CHECK(bad("0,", 100, NETSTRING_SYNTAX, 1));
  CHECK(bad("1:ab,", 100, NETSTRING_SYNTAX, 3));   /* longer than declared */
  CHECK(incomplete("2:a,", 100));                  /* shorter: just waits */
  CHECK(bad("1:a;", 100, NETSTRING_SYNTAX, 3));    /* wrong terminator */
  CHECK(bad("1:a\n", 100, NETSTRING_SYNTAX, 3));
  CHECK(bad("0:a", 100, NETSTRING_SYNTAX, 2));
  {
    struct run r = { 0, 0, 0, 0, 0, STR_INIT };
    feed_all_steps(&r, "1\0:a,", 5, 100);
    CHECK(r.result == NETSTRING_SYNTAX && r.at == 1);
    feed_all_steps(&r, "\xb1:a,", 4, 100); /* a high byte is not a digit */
    CHECK(r.result == NETSTRING_SYNTAX && r.at == 0);
    str_free(&r.payload);
  }
  /* Cut short anywhere: more is needed, nothing is wrong yet. */
  CHECK(incomplete("", 100));
  CHECK(incomplete("1", 100));
  CHECK(incomplete("12", 100));
  CHECK(incomplete("0", 100));
  CHECK(incomplete("12:", 100));
  CHECK(incomplete("12:hello", 100));
  CHECK(incomplete("12:hello world!", 100));
}

static void test_cap(void)
{
  char buf[64];
  size_t n;

  CHECK(good("5:abcde,", 5, "abcde", 8));
  CHECK(bad("6:abcdef,", 5, NETSTRING_TOOBIG, 0));
  CHECK(bad("10:", 5, NETSTRING_TOOBIG, 1));
  CHECK(bad("10:", 9, NETSTRING_TOOBIG, 1));
  CHECK(incomplete("10:", 10));
  CHECK(bad("100:", 99, NETSTRING_TOOBIG, 2));
  CHECK(bad("1:", 0, NETSTRING_TOOBIG, 0));
  CHECK(good("0:,", 0, "", 3));
  /* A length past the cap is refused at the first digit too many, not
   * read on forever. */
  CHECK(bad("99999999999999999999999999999999:", 1000, NETSTRING_TOOBIG, 3));

  /* SIZE_MAX itself fits; one more, or another digit, does not. */
  n = num_fmt(buf, SIZE_MAX);
  buf[n] = ':';
  buf[n + 1] = 0;
  {
    struct netstring ns;
    size_t used;
    netstring_init(&ns, SIZE_MAX);
    CHECK(netstring_feed(&ns, buf, n + 1, &used) == NETSTRING_HEADER);
    CHECK(used == n + 1 && ns.len == SIZE_MAX && ns.left == SIZE_MAX);
  }
  CHECK(incomplete(buf, SIZE_MAX));
  buf[n - 1] = (char)(buf[n - 1] + 1); /* ...616 on 64 bits: SIZE_MAX + 1 */
  CHECK(bad(buf, SIZE_MAX, NETSTRING_TOOBIG, n - 1));
  buf[n - 1] = (char)(buf[n - 1] - 1);
  buf[n] = '0';
  buf[n + 1] = ':';
  buf[n + 2] = 0;
  CHECK(bad(buf, SIZE_MAX, NETSTRING_TOOBIG, n));
  /* Each cap from 0 to 200 against each length from 0 to 200. */
  for (size_t max = 0; max <= 200; ++max)
    for (size_t len = 0; len <= 200; len += 7) {
      struct netstring ns;
      size_t used;
      int r;
      n = num_fmt(buf, len);
      buf[n] = ':';
      netstring_init(&ns, max);
      r = netstring_feed(&ns, buf, n + 1, &used);
      CHECK(len <= max ? r == NETSTRING_HEADER && ns.len == len : r == NETSTRING_TOOBIG);
    }
}

/* Netstrings inside a netstring: the inner reader fed the outer payload. */
static void test_nested(void)
{
  const char *in = "21:3:abc,0:,9:x@y.z.org,,";
  const char *want[] = { "abc", "", "x@y.z.org" };
  for (size_t step = 1; step <= strlen(in); ++step) {
    struct netstring outer, inner;
    str got = STR_INIT;
    size_t pos = 0, count = 0, len = strlen(in);
    int done = 0, ok = 1;

    netstring_init(&outer, 1000);
    netstring_init(&inner, 1000);
    while (pos < len && !done) {
      size_t n = len - pos < step ? len - pos : step, used;
      int r = netstring_feed(&outer, in + pos, n, &used);
      if (r == NETSTRING_DATA) {
        const char *p = in + pos;
        size_t left = used;
        while (left) {
          size_t u;
          int e = netstring_feed(&inner, p, left, &u);
          if (e == NETSTRING_DATA) str_cat(&got, p, u);
          if (e == NETSTRING_DONE) {
            if (count >= 3 || got.len != strlen(want[count]) ||
                memcmp(got.s ? got.s : "", want[count], got.len))
              ok = 0;
            ++count;
            got.len = 0;
            netstring_init(&inner, 1000);
          }
          if (e == NETSTRING_SYNTAX || e == NETSTRING_TOOBIG) {
            ok = 0;
            break;
          }
          p += u;
          left -= u;
        }
      }
      if (r == NETSTRING_DONE) done = 1;
      if (r == NETSTRING_SYNTAX || r == NETSTRING_TOOBIG) ok = 0;
      pos += used;
    }
    CHECK(ok && done && count == 3 && pos == len && netstring_idle(&inner));
    str_free(&got);
  }
}

static void test_writer(void)
{
  str sa = STR_INIT;
  char head[NETSTRING_HEADMAX];

  CHECK(netstring_fmthead(head, 0) == 2 && !memcmp(head, "0:", 2));
  CHECK(netstring_fmthead(head, 12345) == 6 && !memcmp(head, "12345:", 6));
  CHECK(netstring_fmthead(0, 12345) == 6);
  CHECK(netstring_fmthead(head, SIZE_MAX) <= NETSTRING_HEADMAX);
  CHECK(netstring_cats(&sa, ""));
  CHECK(netstring_cats(&sa, "hello world!"));
  CHECK(netstring_cat(&sa, "a\0b", 3));
  CHECK(sa.len == 3 + 16 + 6 && !memcmp(sa.s, "0:,12:hello world!,3:a\0b,", sa.len));
  /* A length that cannot fit is refused and leaves sa alone. */
  CHECK(!netstring_cat(&sa, "", SIZE_MAX));
  CHECK(!netstring_cat(&sa, "", SIZE_MAX - 3));
  CHECK(sa.len == 25 && !memcmp(sa.s, "0:,12:hello world!,3:a\0b,", sa.len));
  str_free(&sa);
}

static unsigned long long seed = 88172645463325252ULL;
static unsigned long rnd(void)
{
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return (unsigned long)(seed >> 11);
}

/* Random payloads written, then read back in random pieces. */
static void test_roundtrip(void)
{
  for (int round = 0; round < 300; ++round) {
    str enc = STR_INIT, pay = STR_INIT;
    size_t count = 1 + rnd() % 6, pos = 0, ok = 1;
    str orig[6];

    for (size_t k = 0; k < count; ++k) {
      size_t n = rnd() % 4 ? 20 : 3000;
      n = rnd() % n;
      orig[k].s = 0; orig[k].len = orig[k].cap = 0;
      for (size_t i = 0; i < n; ++i) str_putc(&orig[k], (char)(rnd() & 255));
      CHECK(netstring_cat(&enc, orig[k].s ? orig[k].s : "", orig[k].len));
    }
    for (size_t k = 0; k < count; ++k) {
      struct netstring ns;
      int r = NETSTRING_MORE;
      netstring_init(&ns, 3000);
      pay.len = 0;
      while (r != NETSTRING_DONE && pos < enc.len) {
        size_t step = 1 + rnd() % 50, used;
        if (step > enc.len - pos) step = enc.len - pos;
        r = netstring_feed(&ns, enc.s + pos, step, &used);
        if (r == NETSTRING_DATA) str_cat(&pay, enc.s + pos, used);
        if (r == NETSTRING_SYNTAX || r == NETSTRING_TOOBIG) ok = 0;
        if (!ok) break;
        pos += used;
      }
      if (r != NETSTRING_DONE || pay.len != orig[k].len ||
          (pay.len && memcmp(pay.s, orig[k].s, pay.len)))
        ok = 0;
      str_free(&orig[k]);
    }
    CHECK(ok && pos == enc.len);
    str_free(&enc);
    str_free(&pay);
  }
}

/* Random bytes (mostly digits, ':' and ','): the reader never takes more
 * than it is given, never reports an error without a bad byte, and a
 * completed netstring always carried exactly its length. */
static void test_garbage(void)
{
  static const char alphabet[] = "0123456789::,,,ab";
  for (int round = 0; round < 20000; ++round) {
    char in[24];
    size_t len = rnd() % sizeof in;
    struct run r = { 0, 0, 0, 0, 0, STR_INIT };
    size_t step, max;
    for (size_t i = 0; i < len; ++i) in[i] = alphabet[rnd() % (sizeof alphabet - 1)];
    step = 1 + rnd() % 5;
    max = 1 + rnd() % 30;
    feed(&r, in, len, step, max);
    CHECK(r.used <= len);
    if (r.result == NETSTRING_DONE) CHECK(r.payload.len == r.len && r.headers == 1);
    if (r.result == NETSTRING_SYNTAX || r.result == NETSTRING_TOOBIG) CHECK(r.at < len);
    str_free(&r.payload);
  }
}

int main(void)
{
  RUN(test_events);
  RUN(test_wellformed);
  RUN(test_malformed);
  RUN(test_cap);
  RUN(test_nested);
  RUN(test_writer);
  RUN(test_roundtrip);
  RUN(test_garbage);
  return check_report();
}
