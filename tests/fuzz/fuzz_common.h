/* fuzz_common.h: helpers shared by the libFuzzer targets (tests/fuzz).
 * Every target includes it; nothing here calls the library under test.
 *  - hash_bytes: FNV-1a of the input, the seed each target draws from;
 *  - feeder: the length of the next feed when a parser is given its input
 *    whole, a byte at a time, or in pieces cut at points drawn from a seed;
 *  - bytebuf: a growable byte buffer, to collect and compare outputs;
 *  - check_as_is_and_with_words: run a target's check on the input and on
 *    the input with bytes 0xf0 and up standing for words it names;
 *  - checks and models that more than one target needs: ascii_lower, the
 *    command line readers' verb split and line rules (smtpcmd, pop3cmd),
 *    and where a receiver sees ".\r\n" end a message (dotstuff, pop3cmd,
 *    smtpdata);
 *  - scratch_fd: an empty file for the cdb targets (memfd where the target
 *    defines _GNU_SOURCE first, else an unlinked file in /tmp).
 * C99; static inline, so a target pays only for what it calls. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- seeds drawn from the input ---- */

/* FNV-1a of n bytes at d, its offset basis xored with salt. */
static inline uint64_t hash_bytes(const uint8_t *d, size_t n, uint64_t salt)
{
  uint64_t h = 1469598103934665603ULL ^ salt;
  for (size_t i = 0; i < n; ++i) h = (h ^ d[i]) * 1099511628211ULL;
  return h;
}

/* ---- feeding a parser ---- */

enum feed_mode { FEED_WHOLE, FEED_BYTES, FEED_CUTS, FEED_MODES };

struct feeder {
  enum feed_mode mode;
  uint64_t state;       /* xorshift64, never 0 */
  size_t largest_piece; /* what FEED_CUTS gives at most */
};

static inline void feeder_init(struct feeder *f, enum feed_mode mode, uint64_t seed, size_t largest_piece)
{
  f->mode = mode;
  f->state = seed | 1;
  f->largest_piece = largest_piece;
}

/* The next feed's length, never more than left: all of it (FEED_WHOLE),
 * one byte (FEED_BYTES), or for FEED_CUTS 0 (an empty feed) to 16 bytes
 * mostly and one time in eight up to largest_piece. */
static inline size_t feeder_next(struct feeder *f, size_t left)
{
  size_t n;

  if (f->mode == FEED_WHOLE) return left;
  if (f->mode == FEED_BYTES) return left < 1 ? left : 1;
  f->state ^= f->state << 13;
  f->state ^= f->state >> 7;
  f->state ^= f->state << 17;
  n = (size_t)(f->state >> 20) % (f->state % 8 == 0 ? f->largest_piece + 1 : 17);
  return n > left ? left : n;
}

/* ---- a growable byte buffer (plain libc: the library is under test) ---- */

struct bytebuf {
  char *s;
  size_t len, cap;
};

static inline void bytebuf_put(struct bytebuf *b, const void *p, size_t n)
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

static inline int bytebuf_same(const struct bytebuf *a, const struct bytebuf *b)
{
  return a->len == b->len && (!a->len || !memcmp(a->s, b->s, a->len));
}

/* ---- words the fuzzer need not guess ---- */

/* The input with each byte from 0xf0 up replaced by words[byte - 0xf0],
 * bytes taken only while the output is shorter than stop_at; its length,
 * and where out is not null its bytes. */
static inline size_t expand_words(const uint8_t *in, size_t n, const char *const words[16], size_t stop_at,
                                  uint8_t *out)
{
  size_t len = 0;

  for (size_t i = 0; i < n && len < stop_at; ++i) {
    const char *word = in[i] >= 0xf0 ? words[in[i] - 0xf0] : 0;
    size_t wlen = word ? strlen(word) : 1;
    if (out) memcpy(out + len, word ? (const void *)word : (const void *)(in + i), wlen);
    len += wlen;
  }
  return len;
}

/* check on the input as it is, and again expanded (in a buffer of exactly
 * its size, so that AddressSanitizer sees any read past its end). */
static inline void check_as_is_and_with_words(const uint8_t *data, size_t size, const char *const words[16],
                                              size_t stop_at, void (*check)(const uint8_t *, size_t))
{
  size_t len;
  uint8_t *expanded;

  check(data, size);
  len = expand_words(data, size, words, stop_at, 0);
  expanded = malloc(len ? len : 1);
  if (!expanded) abort();
  expand_words(data, size, words, stop_at, expanded);
  check(expanded, len);
  free(expanded);
}

/* ---- models shared by targets ---- */

static inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* A command line as the line readers split it (n bytes at s, as kept):
 * the verb runs to the first space or NUL, the argument starts after the
 * spaces that follow it (*arg_offset). Returns the index of the verb in
 * verbs (lower case, matched without regard to case), or nverbs. */
static inline size_t model_verb_index(const char *s, size_t n, const char *const *verbs, size_t nverbs,
                                      size_t *arg_offset)
{
  size_t verb_len = 0, a;

  while (verb_len < n && s[verb_len] && s[verb_len] != ' ') ++verb_len;
  for (a = verb_len; a < n && s[a] == ' '; ++a) continue;
  *arg_offset = a;
  for (size_t i = 0; i < nverbs; ++i) {
    size_t k;
    if (strlen(verbs[i]) != verb_len) continue;
    for (k = 0; k < verb_len && ascii_lower(s[k]) == verbs[i][k]; ++k) continue;
    if (k == verb_len) return i;
  }
  return nverbs;
}

/* A line reader's feed of len bytes at p, of which it took used: up to
 * and including the first LF when it says a line is there (got_line),
 * else all of them, and there is no LF among them. */
static inline void check_line_feed(const uint8_t *p, size_t len, size_t used, int got_line)
{
  const uint8_t *lf = memchr(p, '\n', len);

  if (got_line ? (!lf || used != (size_t)(lf - p) + 1) : (lf || used != len)) abort();
}

/* What a line reader keeps of the line of n bytes at raw (its LF not
 * counted): the line without one final CR, byte for byte, unless that is
 * longer than line_max; then its first line_max + 1 bytes, and the reader
 * must say it is overlong (said_overlong). Returns whether it is. */
static inline int check_kept_line(const uint8_t *raw, size_t n, const char *kept, size_t kept_len,
                                  int said_overlong, size_t line_max)
{
  size_t strip = n && raw[n - 1] == '\r' ? n - 1 : n;
  int overlong = strip > line_max;
  size_t want_len = overlong ? line_max + 1 : strip;

  if (said_overlong != overlong || kept_len != want_len || memcmp(kept, raw, want_len)) abort();
  return overlong;
}

/* Where a receiver sees the end of SMTP DATA or a POP3 message in the len
 * bytes at s: the offset of the first ".\r\n" at the start or after CR LF;
 * len if there is none. */
static inline size_t first_dot_line(const char *s, size_t len)
{
  const char *dot = s;

  if (len < 3) return len;
  while ((dot = memchr(dot, '.', len - 2 - (size_t)(dot - s)))) {
    size_t i = (size_t)(dot - s);
    if (!memcmp(dot, ".\r\n", 3) && (i == 0 || (i >= 2 && !memcmp(dot - 2, "\r\n", 2)))) return i;
    ++dot;
  }
  return len;
}

/* ---- files ---- */

/* A fresh empty file; -1 if none could be made. */
static inline int scratch_fd(void)
{
  int fd;
#ifdef MFD_CLOEXEC
  fd = memfd_create("fuzz", MFD_CLOEXEC);
  if (fd != -1) return fd;
#endif
  {
    char name[] = "/tmp/fuzz.XXXXXX";
    fd = mkstemp(name);
    if (fd != -1) unlink(name);
    return fd;
  }
}

#endif
