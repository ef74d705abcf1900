/* fuzz_dotqmail.c: libFuzzer target for the dot-qmail(5) rules
 * (dotqmail.h). The input is taken
 * 1. as a .qmail file, split with dotqmail_next. Invariants (abort() if
 *    not): *pos moves forward every call, to just past the line's LF (or
 *    the end); the lines come out exactly as the input's lines, trailing
 *    spaces and tabs removed, each classified as a model of the rules
 *    says (blank first or not, comment, +list, program, forward, mbox,
 *    maildir), its arg inside the line (the whole line, or after its '|'
 *    or '&'), never holding an LF; and 0 once the input is used up;
 * 2. as an address extension (up to its first NUL, at most 1024 bytes):
 *    dotqmail_safeext keeps the length, lowers ASCII capitals, turns every
 *    '.' into ':' and changes nothing else; with dash "" and "-", the
 *    candidates of dotqmail_search_next are exactly the model's: the exact
 *    name (with DEFAULT where it ends in "default"), then ".qmail" dash
 *    prefix "default" for each prefix that is empty or ends in '-',
 *    longest first, then nothing (0, and 0 again).
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_dotqmail \
 *     tests/fuzz/fuzz_dotqmail.c src/dotqmail.c src/str.c src/num.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dotqmail.h"
#include "fuzz_common.h"

#define EXT_MAX 1024

static void lines(const char *buf, size_t len)
{
  size_t pos = 0, start = 0;
  struct dotqmail_line l;
  int first = 1;

  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - buf) : len, strip = end, before = pos;
    const char *s = buf + start;
    size_t n;
    enum dotqmail_kind kind;

    while (strip > start && (buf[strip - 1] == ' ' || buf[strip - 1] == '\t')) --strip;
    n = strip - start;

    l.arg = 0;
    l.len = (size_t)-1;
    if (dotqmail_next(buf, len, &pos, &l) != 1) abort();
    if (pos <= before || pos != (nl ? end + 1 : len)) abort();

    if (!n) kind = first ? DOTQMAIL_BLANKFIRST : DOTQMAIL_BLANK;
    else if (s[0] == '#') kind = DOTQMAIL_COMMENT;
    else if (s[0] == '+') kind = n == 5 && !memcmp(s, "+list", 5) ? DOTQMAIL_LIST : DOTQMAIL_COMMENT;
    else if (s[0] == '|') kind = DOTQMAIL_PROGRAM;
    else if (s[0] == '.' || s[0] == '/') kind = s[n - 1] == '/' ? DOTQMAIL_MAILDIR : DOTQMAIL_MBOX;
    else kind = DOTQMAIL_FORWARD;
    if (l.kind != kind) abort();

    if (kind == DOTQMAIL_PROGRAM || (kind == DOTQMAIL_FORWARD && s[0] == '&')) {
      if (l.arg != s + 1 || l.len != n - 1) abort();
    } else if (kind != DOTQMAIL_BLANK && kind != DOTQMAIL_BLANKFIRST) {
      if (l.arg != s || l.len != n) abort();
    } else if (l.len) {
      abort();
    }
    if (l.len && memchr(l.arg, '\n', l.len)) abort();
    if (l.len && (l.arg < buf || l.arg + l.len > buf + len)) abort();

    first = 0;
    start = nl ? end + 1 : len;
  }
  if (pos != len) abort();
  if (dotqmail_next(buf, len, &pos, &l) != 0 || pos != len) abort();
}

/* The model's candidates, compared one by one with the search. */
static void search(const char *dash, const str *safeext)
{
  static str name = STR_INIT, want = STR_INIT;
  struct dotqmail_search s;
  size_t deflt = 0, ext = safeext->len, p;

  dotqmail_search_start(&s, dash, safeext);
  /* The exact name. */
  if (dotqmail_search_next(&s, &name, &deflt) != 1) abort();
  want.len = 0;
  if (!str_cats(&want, ".qmail") || !str_cats(&want, dash) || !str_cat(&want, safeext->s, ext)) abort();
  if (name.len != want.len || memcmp(name.s, want.s, want.len)) abort();
  if (ext >= 7 && !memcmp(safeext->s + ext - 7, "default", 7)) {
    if (deflt != ext - 7) abort();
  } else if (deflt != DOTQMAIL_NODEFAULT) {
    abort();
  }
  /* Every prefix that is empty or ends in '-', longest first. */
  for (p = ext + 1; p > 0; --p) {
    size_t pre = p - 1;
    if (pre && safeext->s[pre - 1] != '-') continue;
    deflt = (size_t)-2;
    if (dotqmail_search_next(&s, &name, &deflt) != 1) abort();
    if (deflt != pre) abort();
    want.len = 0;
    if (!str_cats(&want, ".qmail") || !str_cats(&want, dash) || !str_cat(&want, safeext->s, pre) ||
        !str_cats(&want, "default"))
      abort();
    if (name.len != want.len || memcmp(name.s, want.s, want.len)) abort();
  }
  if (dotqmail_search_next(&s, &name, &deflt) != 0) abort();
  if (dotqmail_search_next(&s, &name, &deflt) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static str safe = STR_INIT;
  char ext[EXT_MAX + 1];
  size_t n = 0;

  lines((const char *)data, size);

  while (n < size && n < EXT_MAX && data[n]) {
    ext[n] = (char)data[n];
    ++n;
  }
  ext[n] = 0;
  if (!dotqmail_safeext(&safe, ext)) abort();
  if (safe.len != n || safe.s[n]) abort();
  for (size_t i = 0; i < n; ++i) {
    char want = ext[i] == '.' ? ':' : ascii_lower(ext[i]);
    if (safe.s[i] != want) abort();
  }
  search("", &safe);
  search("-", &safe);
  return 0;
}
