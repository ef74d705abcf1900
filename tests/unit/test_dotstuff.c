/* test_dotstuff.c: unit tests for dotstuff.c, the SMTP DATA encoder: exact
 * bytes for a table of inputs (every smuggling payload among them), the
 * partial-line flag, chunking, and an exhaustive check over all short
 * inputs that nothing before the end looks like an end of data to a
 * receiver ending lines at CRLF, at LF or at CR. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "dotstuff.h"
#include "str.h"

/* Encode in[0..len) fed chunk bytes at a time (0: all at once), finish,
 * and return the bytes in out; *partial gets dotstuff_partial before the
 * finish. Also checks every call stayed within its documented room. */
static int encode(const char *in, size_t len, size_t chunk, str *out, int *partial)
{
  dotstuff d;
  char buf[DOTSTUFF_OUTMAX(64)];
  int within = 1;

  out->len = 0;
  dotstuff_init(&d);
  if (!chunk || chunk > 64) chunk = 64;
  for (size_t i = 0; i < len; i += chunk) {
    size_t n = len - i < chunk ? len - i : chunk;
    size_t w = dotstuff_encode(&d, in + i, n, buf);
    if (w > DOTSTUFF_OUTMAX(n)) within = 0;
    str_cat(out, buf, w);
  }
  *partial = dotstuff_partial(&d);
  {
    size_t w = dotstuff_finish(&d, buf);
    if (w > DOTSTUFF_FINISHMAX) within = 0;
    str_cat(out, buf, w);
  }
  return within;
}

struct example {
  const char *in;
  size_t inlen;
  const char *out;
  size_t outlen;
  int partial;
};
#define EX(i, o, p) { i, sizeof(i) - 1, o, sizeof(o) - 1, p }

static const struct example examples[] = {
  EX("", ".\r\n", 0),
  EX("a\n", "a\r\n.\r\n", 0),
  EX("\n", "\r\n.\r\n", 0),
  EX(".\n", "..\r\n.\r\n", 0),
  EX("..x\n", "...x\r\n.\r\n", 0),
  EX("a.b\n", "a.b\r\n.\r\n", 0),
  EX("a\n.\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0),
  EX("a\n\n.\n\n", "a\r\n\r\n..\r\n\r\n.\r\n", 0),
  /* the smuggling payloads */
  EX("a\n.\r\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0),   /* \n.\r\n */
  EX("a\r\n.\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0),   /* \r\n.\n */
  EX("a\r.\r\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0),   /* \r.\r\n */
  EX("a\r.\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0),     /* \r.\n */
  EX("a\r.\rb\n", "a\r\n..\r\nb\r\n.\r\n", 0),     /* \r.\r */
  EX("a\r\n.\r\nb\n", "a\r\n..\r\nb\r\n.\r\n", 0), /* \r\n.\r\n */
  EX("a\r.b\n", "a\r\n..b\r\n.\r\n", 0),           /* lone CR before a dot */
  EX(".\r\n", "..\r\n.\r\n", 0),
  EX("\r.\r", "\r\n..\r\n.\r\n", 0),
  EX("\r\n.\r\n", "\r\n..\r\n.\r\n", 0),
  /* CR handling */
  EX("a\rb\n", "a\r\nb\r\n.\r\n", 0),
  EX("a\r\nb\r\n", "a\r\nb\r\n.\r\n", 0),
  EX("a\r\r\n", "a\r\n\r\n.\r\n", 0),
  EX("a\r", "a\r\n.\r\n", 0),
  EX("\r", "\r\n.\r\n", 0),
  /* NUL and 8-bit bytes are ordinary */
  EX("a\0b\n", "a\0b\r\n.\r\n", 0),
  EX("\0.\n", "\0.\r\n.\r\n", 0),
  EX(".\0\n", "..\0\r\n.\r\n", 0),
  EX("\0\n.\n", "\0\r\n..\r\n.\r\n", 0),
  EX("\xff.\n\x80\n", "\xff.\r\n\x80\r\n.\r\n", 0),
  /* unfinished last lines */
  EX("a", "a\r\n.\r\n", 1),
  EX(".", "..\r\n.\r\n", 1),
  EX("a\nb", "a\r\nb\r\n.\r\n", 1),
  EX("\0", "\0\r\n.\r\n", 1),
};

static int is_break(char c) { return c == '\r' || c == '\n'; }

/* The input as a receiver should read it back: "\r\n" and a lone "\r"
 * are line ends like "\n", and a last line gets its line end. */
static void expected_lines(const char *in, size_t len, str *want)
{
  want->len = 0;
  for (size_t i = 0; i < len; ++i) {
    if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n') continue;
    str_putc(want, in[i] == '\r' ? '\n' : in[i]);
  }
  if (want->len && want->s[want->len - 1] != '\n') str_putc(want, '\n');
}

/* Check one encoding; count the problems found. */
static unsigned long check_encoding(const char *in, size_t len, const str *out, str *scratch)
{
  unsigned long bad = 0;
  size_t body;

  /* It ends with ".\r\n" at a line start. */
  if (out->len < 3 || memcmp(out->s + out->len - 3, ".\r\n", 3)) return 1;
  body = out->len - 3;
  if (body && (body < 2 || memcmp(out->s + body - 2, "\r\n", 2))) bad++;
  /* No dot between two line-break bytes, nor at the start before one,
   * anywhere but the end: no receiver sees the end early. */
  for (size_t p = 0; p + 1 < out->len; ++p)
    if (out->s[p] == '.' && (p == 0 || is_break(out->s[p - 1])) && is_break(out->s[p + 1]) &&
        p != body)
      bad++;
  /* CR only before LF, LF only after CR. */
  for (size_t p = 0; p < out->len; ++p) {
    if (out->s[p] == '\r' && (p + 1 == out->len || out->s[p + 1] != '\n')) bad++;
    if (out->s[p] == '\n' && (p == 0 || out->s[p - 1] != '\r')) bad++;
  }
  /* A CRLF receiver gets the lines back, dots unstuffed. */
  {
    str got = STR_INIT;
    size_t start = 0;
    for (size_t p = 0; p + 1 < body; ++p)
      if (out->s[p] == '\r' && out->s[p + 1] == '\n') {
        size_t s = start;
        if (out->s[s] == '.') s++;
        str_cat(&got, out->s + s, p - s);
        str_putc(&got, '\n');
        start = p + 2;
        ++p;
      }
    expected_lines(in, len, scratch);
    if (got.len != scratch->len || (got.len && memcmp(got.s, scratch->s, got.len))) bad++;
    str_free(&got);
  }
  return bad;
}

static void test_examples(void)
{
  str out = STR_INIT, scratch = STR_INIT;
  for (size_t i = 0; i < sizeof examples / sizeof *examples; ++i) {
    const struct example *e = &examples[i];
    size_t chunks[] = { 0, 1, 2, 3 };
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; ++c) {
      int partial;
      int within = encode(e->in, e->inlen, chunks[c], &out, &partial);
      int same = out.len == e->outlen && !memcmp(out.s, e->out, out.len);
      check_one(within, "output within DOTSTUFF_OUTMAX", __FILE__, __LINE__);
      if (!same) fprintf(stderr, "example %zu (chunk %zu) differs\n", i, chunks[c]);
      check_one(same, "encoded bytes", __FILE__, __LINE__);
      check_one(partial == e->partial, "partial flag", __FILE__, __LINE__);
      /* No end of data before the end, whatever a receiver takes for a
       * line break; the lines read back as expected. */
      check_one(check_encoding(e->in, e->inlen, &out, &scratch) == 0, "no early end", __FILE__,
                __LINE__);
    }
  }
  str_free(&out);
  str_free(&scratch);
}

/* Every input of up to 7 bytes over the bytes that matter. */
static void test_exhaustive(void)
{
  static const char alphabet[] = { 'a', '.', '\r', '\n', '\0' };
  const size_t k = sizeof alphabet;
  str out = STR_INIT, again = STR_INIT, scratch = STR_INIT;
  unsigned long bad = 0, inputs = 0, differ = 0, outside = 0;
  char in[7];

  for (size_t len = 0; len <= sizeof in; ++len) {
    size_t total = 1;
    for (size_t i = 0; i < len; ++i) total *= k;
    for (size_t v = 0; v < total; ++v) {
      size_t x = v;
      int partial, partial2;
      for (size_t i = 0; i < len; ++i) {
        in[i] = alphabet[x % k];
        x /= k;
      }
      if (!encode(in, len, 0, &out, &partial)) outside++;
      if (!encode(in, len, 1 + v % 3, &again, &partial2)) outside++;
      if (out.len != again.len || memcmp(out.s, again.s, out.len) || partial != partial2) differ++;
      bad += check_encoding(in, len, &out, &scratch);
      inputs++;
    }
  }
  CHECK(inputs == 97656);
  CHECK(bad == 0);
  CHECK(differ == 0);
  CHECK(outside == 0);
  str_free(&out);
  str_free(&again);
  str_free(&scratch);
}

/* Random longer inputs with random chunk sizes. */
static void test_random(void)
{
  static const char alphabet[] = { 'a', '.', '.', '\r', '\n', '\0', 'x', '\xff' };
  str out = STR_INIT, whole = STR_INIT, scratch = STR_INIT;
  unsigned long bad = 0, differ = 0;
  char in[300];

  srand(12345);
  for (int round = 0; round < 3000; ++round) {
    size_t len = (size_t)rand() % sizeof in;
    int partial, partial2;
    for (size_t i = 0; i < len; ++i) in[i] = alphabet[rand() % (int)sizeof alphabet];
    encode(in, len, 0, &whole, &partial);
    encode(in, len, 1 + (size_t)rand() % 64, &out, &partial2);
    if (out.len != whole.len || memcmp(out.s, whole.s, out.len) || partial != partial2) differ++;
    bad += check_encoding(in, len, &out, &scratch);
  }
  CHECK(bad == 0);
  CHECK(differ == 0);
  str_free(&out);
  str_free(&whole);
  str_free(&scratch);
}

/* The room macros hold for the worst inputs. */
static void test_bounds(void)
{
  char in[64], out[DOTSTUFF_OUTMAX(64)];
  dotstuff d;
  size_t n;

  for (size_t i = 0; i < sizeof in; i += 2) {
    in[i] = '\r';
    in[i + 1] = '.';
  }
  dotstuff_init(&d);
  n = dotstuff_encode(&d, "\r", 1, out);
  CHECK(n == 0);
  n = dotstuff_encode(&d, in + 1, sizeof in - 1, out); /* ".\r.\r..." after a CR */
  CHECK(n == DOTSTUFF_OUTMAX(sizeof in - 1)); /* the bound is reached */
  CHECK(n == 4 * (sizeof in / 2));
  n = dotstuff_finish(&d, out);
  CHECK_BYTES(out, n, "\r\n.\r\n");
  CHECK(!dotstuff_partial(&d));
}

int main(void)
{
  RUN(test_examples);
  RUN(test_exhaustive);
  RUN(test_random);
  RUN(test_bounds);
  return check_report();
}
