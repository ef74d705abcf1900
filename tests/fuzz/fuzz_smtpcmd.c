/* fuzz_smtpcmd.c: libFuzzer target for the SMTP command reader and the
 * envelope address parser (smtpcmd.h). The input is what a client sends
 * (as it is, and again with bytes 0xf0 and up standing for pieces such as
 * "MAIL FROM:<" or "@[127.0.0.1]"), fed whole, a byte at a time and in pieces cut at points drawn from the
 * input (empty feeds too). Invariants (abort() if not):
 *  - a feed takes bytes up to and including the first LF (all of them,
 *    with SMTPCMD_MORE, when there is none), so lines come out exactly
 *    where the input has its LFs, whatever the cutting;
 *  - the line kept never passes SMTPCMD_LINE_MAX + 1 bytes; a line is
 *    overlong exactly when it is longer than SMTPCMD_LINE_MAX without its
 *    CR, and otherwise kept byte for byte (its one final CR dropped);
 *  - the verb and argument are what a model of the rules in smtpcmd.h
 *    gives (C string, verb to the first space, case-insensitive, spaces
 *    skipped); an overlong line's argument is "";
 *  - the address parsed from every line's argument (whatever the verb) is
 *    NUL-terminated with no NUL inside, no longer than the argument, and
 *    accepted exactly when at most SMTPCMD_ADDR_MAX bytes; with a
 *    liphost, an address changes only by its "[d.d.d.d]" or "[IPv6:...]"
 *    host of a local IP becoming liphost;
 *  - smtpcmd_iplit agrees with a model on every host seen and on slices
 *    of the input (for "[IPv6:...]", with ip6_scan);
 *  - smtpcmd_size on every argument finds a size only where a word
 *    "SIZE=" (any case) followed by a digit stands after a space, and
 *    leaves *size alone when it finds none.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_smtpcmd \
 *     tests/fuzz/fuzz_smtpcmd.c src/smtpcmd.c src/str.c src/num.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "smtpcmd.h"
#include "fuzz_common.h"

/* ---- models ---- */

static const char *const verbs[] = {
  "helo", "ehlo", "mail", "rcpt", "data", "rset", "noop", "vrfy", "help", "quit"
};
static const enum smtpcmd_verb verbcodes[] = {
  SMTPCMD_HELO, SMTPCMD_EHLO, SMTPCMD_MAIL, SMTPCMD_RCPT, SMTPCMD_DATA,
  SMTPCMD_RSET, SMTPCMD_NOOP, SMTPCMD_VRFY, SMTPCMD_HELP, SMTPCMD_QUIT
};

#define NVERBS (sizeof verbs / sizeof *verbs)

/* The verb of the n bytes at s (a line as kept); *arg is the offset of
 * the argument, which runs to the first NUL or n. */
static enum smtpcmd_verb model_verb(const char *s, size_t n, size_t *arg)
{
  size_t i = model_verb_index(s, n, verbs, NVERBS, arg);
  return i < NVERBS ? verbcodes[i] : SMTPCMD_UNKNOWN;
}

/* "[d.d.d.d]", each d one or more digits worth at most 255. */
static int model_iplit(const char *h, size_t n, unsigned char ip[4])
{
  size_t i = 1;
  if (n < 2 || h[0] != '[' || h[n - 1] != ']') return 0;
  for (int part = 0; part < 4; ++part) {
    unsigned v = 0, digits = 0;
    if (part) {
      if (i >= n - 1 || h[i] != '.') return 0;
      ++i;
    }
    while (i < n - 1 && h[i] >= '0' && h[i] <= '9') {
      v = v * 10 + (unsigned)(h[i] - '0');
      if (v > 255) v = 256; /* stays too big */
      ++digits;
      ++i;
    }
    if (!digits || v > 255) return 0;
    ip[part] = (unsigned char)v;
  }
  return i == n - 1;
}

/* IPv4 literals agree with the model; an "[IPv6:...]" one is exactly
 * what ip6_scan takes between the tag and the bracket. */
static void check_iplit(const char *h, size_t n)
{
  struct ipaddr a;
  unsigned char b[4], six[16];
  int r = smtpcmd_iplit(h, n, &a);
  int v6 = n > 7 && h[0] == '[' && h[n - 1] == ']' && !strncasecmp(h + 1, "IPv6:", 5);

  if (v6) {
    if (r != (ip6_scan(h + 6, n - 7, six) == n - 7)) abort();
    if (r && (a.family != IPADDR_V6 || memcmp(a.ip, six, 16))) abort();
    return;
  }
  if (r != model_iplit(h, n, b)) abort();
  if (r && (a.family != IPADDR_V4 || memcmp(a.ip, b, 4))) abort();
}

/* ---- addresses ---- */

static str liphost = STR_INIT;

static int islocal(const struct ipaddr *a)
{
  if (a->family == IPADDR_V6) return a->ip[15] == 1 && !a->ip[0];
  return a->ip[0] == 127 || (a->ip[0] == 10 && a->ip[3] == 1);
}

/* A SIZE found is a "SIZE=" word of digits in the argument, past its
 * start; the value saturates. */
static void check_size(const char *arg)
{
  unsigned long long v = 7;
  int r = smtpcmd_size(arg, &v);
  const char *p;

  if (r != 0 && r != 1) abort();
  if (!r) {
    if (v != 7) abort();
    return;
  }
  for (p = arg; *p; ++p)
    if (ascii_lower(p[0]) == 's' && strlen(p) > 5 &&
        ascii_lower(p[1]) == 'i' && ascii_lower(p[2]) == 'z' && ascii_lower(p[3]) == 'e' &&
        p[4] == '=' && p[5] >= '0' && p[5] <= '9' && p > arg && p[-1] == ' ')
      break;
  if (!*p) abort(); /* no word that could have given it */
}

static void check_addr(const char *arg)
{
  static str plain = STR_INIT, lip = STR_INIT;
  size_t alen = strlen(arg);

  check_size(arg);
  int r1 = smtpcmd_addr(arg, &plain, 0, 0);
  int r2 = smtpcmd_addr(arg, &lip, &liphost, islocal);
  const char *at;

  if (r1 != 0 && r1 != 1) abort(); /* -1: out of memory, not here */
  if (r2 != 0 && r2 != 1) abort();
  if (!plain.s || plain.s[plain.len] || strlen(plain.s) != plain.len) abort();
  if (!lip.s || lip.s[lip.len] || strlen(lip.s) != lip.len) abort();
  if (plain.len > alen) abort();
  if (r1 != (plain.len <= SMTPCMD_ADDR_MAX)) abort();
  if (r2 != (lip.len <= SMTPCMD_ADDR_MAX)) abort();
  if (memchr(plain.s, '\n', plain.len)) abort();

  at = strrchr(plain.s, '@');
  if (at) {
    size_t hl = plain.len - (size_t)(at + 1 - plain.s);
    struct ipaddr ip;
    check_iplit(at + 1, hl);
    if (smtpcmd_iplit(at + 1, hl, &ip) && islocal(&ip)) {
      size_t pre = (size_t)(at + 1 - plain.s);
      if (lip.len != pre + liphost.len || memcmp(lip.s, plain.s, pre) ||
          memcmp(lip.s + pre, liphost.s, liphost.len))
        abort();
      return;
    }
  }
  if (lip.len != plain.len || memcmp(lip.s, plain.s, plain.len)) abort();
}

/* ---- lines ---- */

static struct smtpcmd cmd; /* large: not on the stack */

static void check_line(const uint8_t *raw, size_t n)
{
  int overlong = check_kept_line(raw, n, cmd.line, cmd.len, smtpcmd_overlong(&cmd), SMTPCMD_LINE_MAX);
  const char *arg = 0;
  enum smtpcmd_verb v;
  size_t aoff;

  v = smtpcmd_verb(&cmd, &arg);
  if (v != model_verb(cmd.line, cmd.len, &aoff)) abort();
  if (!arg) abort();
  if (overlong) {
    if (*arg) abort();
  } else {
    if (arg != cmd.line + aoff) abort();
    if (strlen(arg) > SMTPCMD_LINE_MAX) abort();
  }
  check_addr(arg);
}

static void run(const uint8_t *in, size_t n, enum feed_mode mode, uint64_t seed)
{
  struct feeder f;
  size_t pos = 0, linestart = 0;

  feeder_init(&f, mode, seed, 4096);
  smtpcmd_init(&cmd);
  while (pos < n) {
    size_t len = feeder_next(&f, n - pos);
    size_t used = (size_t)-1;
    int r = smtpcmd_feed(&cmd, (const char *)in + pos, len, &used);

    if (r != SMTPCMD_MORE && r != SMTPCMD_LINE) abort();
    check_line_feed(in + pos, len, used, r == SMTPCMD_LINE);
    if (cmd.len > SMTPCMD_LINE_MAX + 1) abort();
    pos += used;
    if (r == SMTPCMD_LINE) {
      check_line(in + linestart, pos - 1 - linestart);
      linestart = pos;
    }
  }
}

static void check(const uint8_t *data, size_t size)
{
  uint64_t seed = hash_bytes(data, size, 0);

  if (!liphost.s && !str_copys(&liphost, "local.host.example")) abort();
  for (enum feed_mode mode = FEED_WHOLE; mode < FEED_MODES; ++mode) run(data, size, mode, seed);

  /* The IP literal parser on slices of the input. */
  for (size_t i = 0; i < size && i < 256; ++i) {
    if (data[i] != '[') continue;
    for (size_t j = i + 1; j < size && j - i < 64; ++j)
      if (data[j] == ']') check_iplit((const char *)data + i, j - i + 1);
  }
}

/* Words that matter here, so that the fuzzer need not guess them: the
 * input is checked as it is, and again with each byte from 0xf0 up
 * replaced by one of these. */
static const char *const words[16] = {
  "MAIL FROM:<", "rcpt to:", "@[127.0.0.1]", "@[10.0.0.2]",
  "@[256.0.0.1]", ">", "\r\n", "\"",
  "\\", "<>", "@a,@b:", " ",
  "HELO ", "[10.9.8.1]", "\t", "x@y"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_as_is_and_with_words(data, size, words, SIZE_MAX, check);
  return 0;
}
