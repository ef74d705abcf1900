/* fuzz_dotstuff.c: libFuzzer target for the SMTP DATA encoder (dotstuff.h).
 * The input is a stored message, encoded whole, a byte at a time and in
 * pieces cut at points drawn from the input. Invariants (abort() if not):
 *  - every way of cutting gives the same bytes, and dotstuff_partial the
 *    same answer (the input is nonempty and ends in neither LF nor CR);
 *  - no piece writes more than DOTSTUFF_OUTMAX(len) bytes, nor the end
 *    more than DOTSTUFF_FINISHMAX (each buffer is allocated to exactly that
 *    size, so AddressSanitizer sees any byte past it);
 *  - "\r\n.\r\n" occurs in the output (the start counting as after CR LF)
 *    only as the final terminator, for any input; more strictly, CR comes
 *    only before LF, LF only after CR, and every line that starts with a
 *    '.' starts with "..";
 *  - undoing the stuffing gives the input with CR LF, lone CR and LF all
 *    turned into LF (and a last line ended), and so does qmail-smtpd's
 *    reader (smtpdata.h), which must also find the end exactly at the
 *    output's end.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_dotstuff \
 *     tests/fuzz/fuzz_dotstuff.c src/dotstuff.c src/smtpdata.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dotstuff.h"
#include "smtpdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a growable byte buffer (no library code: it is under test) ---- */

struct buf {
  char *s;
  size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
  if (!n) return;
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2;
    char *s = realloc(b->s, cap);
    if (!s) abort();
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, p, n);
  b->len += n;
}

/* ---- cut points drawn from the input ---- */

struct cutter {
  uint64_t x;
};

static void cut_init(struct cutter *c, const uint8_t *d, size_t n, uint64_t salt)
{
  uint64_t h = 1469598103934665603ULL ^ salt;
  for (size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ULL;
  c->x = h | 1;
}

/* The next piece's length: 0 (an empty feed), 1..16 mostly, sometimes up
 * to 4096; never more than left. */
static size_t cut_next(struct cutter *c, size_t left)
{
  size_t n;
  c->x ^= c->x << 13;
  c->x ^= c->x >> 7;
  c->x ^= c->x << 17;
  n = (c->x >> 8) % 8 == 0 ? (size_t)(c->x >> 20) % 4097 : (size_t)(c->x >> 20) % 17;
  return n > left ? left : n;
}

/* ---- encoding ---- */

enum { WHOLE, BYTES, CUTS };

static void encode(const uint8_t *in, size_t n, int mode, struct buf *out, int *partial)
{
  dotstuff d;
  struct cutter c;
  size_t pos = 0;
  char *fin;

  out->len = 0;
  dotstuff_init(&d);
  cut_init(&c, in, n, 0);
  while (pos < n || mode == CUTS) {
    size_t len = mode == WHOLE ? n : mode == BYTES ? 1 : cut_next(&c, n - pos);
    char *o = malloc(DOTSTUFF_OUTMAX(len));
    size_t w;
    if (!o) abort();
    w = dotstuff_encode(&d, (const char *)in + pos, len, o);
    if (w > DOTSTUFF_OUTMAX(len)) abort();
    put(out, o, w);
    free(o);
    pos += len;
    if (mode == CUTS && pos == n) break;
  }
  *partial = dotstuff_partial(&d);
  fin = malloc(DOTSTUFF_FINISHMAX);
  if (!fin) abort();
  {
    size_t w = dotstuff_finish(&d, fin);
    if (w > DOTSTUFF_FINISHMAX) abort();
    put(out, fin, w);
  }
  free(fin);
}

/* ---- checks ---- */

/* The input as lines: CR LF, lone CR and LF each end a line, turned
 * into LF; an unfinished last line gets one. */
static void normalize(const uint8_t *in, size_t n, struct buf *b)
{
  b->len = 0;
  for (size_t i = 0; i < n; ++i) {
    if (in[i] == '\r') {
      put(b, "\n", 1);
      if (i + 1 < n && in[i + 1] == '\n') ++i;
    } else {
      put(b, &in[i], 1);
    }
  }
  if (n && in[n - 1] != '\n' && in[n - 1] != '\r') put(b, "\n", 1);
}

static void check_form(const struct buf *out)
{
  size_t body;

  /* Ends with ".\r\n", after the start or after a CR LF. */
  if (out->len < 3 || memcmp(out->s + out->len - 3, ".\r\n", 3)) abort();
  body = out->len - 3;
  if (body && (body < 2 || memcmp(out->s + body - 2, "\r\n", 2))) abort();

  /* The terminator, as a receiver sees it, only at the end. */
  for (size_t i = 0; i + 3 <= out->len; ++i) {
    int after_crlf = i == 0 || (i >= 2 && out->s[i - 2] == '\r' && out->s[i - 1] == '\n');
    if (after_crlf && !memcmp(out->s + i, ".\r\n", 3) && i + 3 != out->len) abort();
  }
  /* Line breaks only as CR LF; dots at line starts doubled. */
  for (size_t i = 0; i < body; ++i) {
    char ch = out->s[i];
    if (ch == '\r' && (i + 1 >= body || out->s[i + 1] != '\n')) abort();
    if (ch == '\n' && (i == 0 || out->s[i - 1] != '\r')) abort();
    if (ch == '.' && (i == 0 || out->s[i - 1] == '\n') && (i + 1 >= body || out->s[i + 1] != '.'))
      abort();
  }
}

/* Undo the stuffing: CR LF to LF, one leading dot per line dropped. */
static void unstuff(const struct buf *out, struct buf *b)
{
  size_t body = out->len - 3;
  b->len = 0;
  for (size_t i = 0; i < body; ++i) {
    if ((i == 0 || out->s[i - 1] == '\n') && out->s[i] == '.') continue;
    if (out->s[i] == '\r') continue; /* always before LF (checked) */
    put(b, &out->s[i], 1);
  }
}

static void sink(void *arg, const char *p, size_t n)
{
  if (!n) abort();
  put(arg, p, n);
}

static int same(const struct buf *a, const struct buf *b)
{
  return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct buf out[3], norm, plain, received;
  int partial[3];

  for (int mode = WHOLE; mode <= CUTS; ++mode) encode(data, size, mode, &out[mode], &partial[mode]);
  if (!same(&out[WHOLE], &out[BYTES]) || !same(&out[WHOLE], &out[CUTS])) abort();
  if (partial[WHOLE] != partial[BYTES] || partial[WHOLE] != partial[CUTS]) abort();
  if (partial[WHOLE] != (size && data[size - 1] != '\n' && data[size - 1] != '\r')) abort();

  check_form(&out[WHOLE]);
  normalize(data, size, &norm);
  unstuff(&out[WHOLE], &plain);
  if (!same(&plain, &norm)) abort();

  /* What qmail-smtpd would store from it. */
  {
    struct smtpdata d;
    size_t used;
    received.len = 0;
    smtpdata_init(&d, 0, sink, &received);
    if (smtpdata_feed(&d, out[WHOLE].s, out[WHOLE].len, &used) != SMTPDATA_END) abort();
    if (used != out[WHOLE].len) abort();
    if (!same(&received, &norm)) abort();
    if (d.bytes != norm.len) abort();
  }
  return 0;
}
