/* fuzz_pwfiles.c: libFuzzer target for qmail-getpw's fast path
 * (pwfiles.h). The input, as it is and with bytes 0xf0 and up standing
 * for words of the two formats, is taken
 * 1. as an nsswitch.conf: pwfiles_nsswitch agrees with a model written
 *    apart from it (lines split first, action items cut at their first
 *    ']' and their insides split into words): PWFILES_UNSURE for a NUL,
 *    a line that is not blank or a comment and has a byte outside
 *    printable ASCII and white space, an empty name or one with '[', an
 *    action item other than "[!STATUS=ACTION ...]" with known words, an
 *    unterminated last line that says something, or no passwd line; else
 *    the last passwd line's verdict: files alone, files first, or unsure
 *    for anything else (an action item in it, another first source);
 * 2. as a passwd file: every line, against its own name, "joe", and a
 *    prefix of its name, gets from pwfiles_line what a model says (0 for
 *    empty, '#', '+' and '-' lines and other names, unsure for white
 *    space first, a NUL, missing fields, ids that are not 1 to 10 digits
 *    below 4294967295; else the fields, in place, the name and home
 *    ended by NULs); and pwfiles_find, reading it from a file, agrees
 *    with the model's first line that is not 0 (a line longer than
 *    PWFILES_LINE_MAX, newline included, being unsure), for names from
 *    the input, asked twice in a row.
 * Build: make B=build-fuzz fuzz (see the Makefile); by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o fuzz_pwfiles \
 *     tests/fuzz/fuzz_pwfiles.c src/pwfiles.c src/io.c src/str.c
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pwfiles.h"
#include "fuzz_common.h"

#define NAMES_MAX 8 /* pwfiles_find lookups per input */
#define NAME_SIZE 64 /* room for a name taken from the input */

static const char *const words[16] = {
  "passwd", "files", "passwd: files\n", "[NOTFOUND=return]", "[!success=MERGE]", "systemd",
  "joe", "0000000", "joe:x:", "1001:100::/home/joe:/bin/sh\n", "4294967295", "tryagain=continue",
  "UNAVAIL", "compat", "# comment\n", ":x:1:1::/h:/s\n",
};

static int model_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* ---- nsswitch.conf ---- */

static int one_of(const char *s, size_t n, const char *const *list)
{
  for (; *list; ++list) {
    size_t k = 0;
    if (strlen(*list) != n) continue;
    while (k < n && ascii_lower(s[k]) == (*list)[k]) ++k;
    if (k == n) return 1;
  }
  return 0;
}

/* The words between '[' and ']' (n bytes at s): 1 if there is at least
 * one and each is [!]status=action. */
static int model_item(const char *s, size_t n)
{
  static const char *const statuses[] = { "success", "notfound", "unavail", "tryagain", 0 };
  static const char *const actions[] = { "return", "continue", "merge", 0 };
  size_t i = 0, count = 0;

  while (i < n) {
    size_t start, eq;
    const char *w;
    if (model_space((unsigned char)s[i])) {
      ++i;
      continue;
    }
    start = i;
    while (i < n && !model_space((unsigned char)s[i])) ++i;
    w = s + start;
    if (*w == '!') ++w;
    eq = 0;
    while (w + eq < s + i && w[eq] != '=') ++eq;
    if (w + eq == s + i) return 0;
    if (!one_of(w, eq, statuses) || !one_of(w + eq + 1, (size_t)(s + i - w) - eq - 1, actions)) return 0;
    ++count;
  }
  return count > 0;
}

static int model_nsswitch(const char *buf, size_t len)
{
  int verdict = PWFILES_UNSURE;
  size_t start = 0;

  if (!len || memchr(buf, 0, len)) return PWFILES_UNSURE;
  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - buf) : len, i = start, nstart, nend;
    size_t sources = 0, first_start = 0, first_len = 0;
    int actions = 0, items = 0;

    while (i < end && model_space((unsigned char)buf[i])) ++i;
    if (i < end && buf[i] != '#') {
      if (!nl) return PWFILES_UNSURE;
      for (size_t j = i; j < end; ++j) {
        unsigned char c = (unsigned char)buf[j];
        if (c > 126 || (c < 32 && !model_space(c))) return PWFILES_UNSURE;
      }
      nstart = i;
      while (i < end && !model_space((unsigned char)buf[i]) && buf[i] != ':') ++i;
      nend = i;
      if (nend == nstart || memchr(buf + nstart, '[', nend - nstart)) return PWFILES_UNSURE;
      while (i < end && (model_space((unsigned char)buf[i]) || buf[i] == ':')) ++i;
      while (i < end) {
        if (model_space((unsigned char)buf[i])) {
          ++i;
        } else if (buf[i] == '[') {
          const char *close = memchr(buf + i, ']', end - i);
          if (!close || !model_item(buf + i + 1, (size_t)(close - buf) - i - 1)) return PWFILES_UNSURE;
          ++items;
          actions = 1;
          i = (size_t)(close - buf) + 1;
        } else {
          size_t s = i;
          while (i < end && !model_space((unsigned char)buf[i]) && buf[i] != '[') ++i;
          if (!items++) {
            first_start = s;
            first_len = i - s;
          }
          ++sources;
        }
      }
      if (nend - nstart == 6 && !memcmp(buf + nstart, "passwd", 6)) {
        if (actions || first_len != 5 || memcmp(buf + first_start, "files", 5)) verdict = PWFILES_UNSURE;
        else verdict = sources == 1 ? PWFILES_FILES_ONLY : PWFILES_FILES_FIRST;
      }
    }
    start = end + 1;
  }
  return verdict;
}

/* ---- passwd lines ---- */

struct model_entry {
  unsigned long long uid, gid;
  size_t home, home_len; /* offset and length of the home field */
};

static int model_id(const char *s, size_t n, unsigned long long *v)
{
  if (n < 1 || n > 10) return 0;
  *v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
    *v = *v * 10 + (unsigned)(s[i] - '0');
  }
  return *v < 4294967295ULL;
}

static int model_line(const char *s, size_t n, const char *name, struct model_entry *m)
{
  size_t f[8], nf = 0, namelen = strlen(name);

  if (n == 0 || s[0] == '#') return 0;
  if (model_space((unsigned char)s[0])) return PWFILES_UNSURE;
  if (memchr(s, 0, n)) return PWFILES_UNSURE;
  if (s[0] == '+' || s[0] == '-') return 0;
  /* Field starts, at most seven fields (the seventh runs to the end). */
  f[nf++] = 0;
  for (size_t i = 0; i < n && nf < 7; ++i)
    if (s[i] == ':') f[nf++] = i + 1;
  f[nf] = n + 1;
  if (nf == 1) return n == namelen && !memcmp(s, name, n) ? PWFILES_UNSURE : 0;
  if (f[1] - 1 != namelen || memcmp(s, name, namelen)) return 0;
  if (nf < 7) return PWFILES_UNSURE;
  if (!model_id(s + f[2], f[3] - f[2] - 1, &m->uid) || !model_id(s + f[3], f[4] - f[3] - 1, &m->gid))
    return PWFILES_UNSURE;
  m->home = f[5];
  m->home_len = f[6] - f[5] - 1;
  return 1;
}

static void check_line(const char *s, size_t n, const char *name)
{
  struct model_entry m;
  struct getpw_account a;
  char *copy = malloc(n ? n : 1);
  int want = model_line(s, n, name, &m), got;

  if (!copy) abort();
  if (n) memcpy(copy, s, n);
  got = pwfiles_line(copy, n, name, &a);
  if (got != want) abort();
  if (got == 1) {
    size_t namelen = strlen(name);
    if (a.name != copy || copy[namelen] || strcmp(a.name, name)) abort();
    if (a.uid != (uid_t)m.uid || a.gid != (gid_t)m.gid) abort();
    if (a.home != copy + m.home || a.home[m.home_len] || memcmp(a.home, s + m.home, m.home_len)) abort();
    /* Only the two NULs were written. */
    for (size_t i = 0; i < n; ++i)
      if (copy[i] != s[i] && i != namelen && i != m.home + m.home_len) abort();
  } else if (n && memcmp(copy, s, n)) {
    abort();
  }
  free(copy);
}

/* The model's pwfiles_find over the buffer; on 1, *line_start and *len
 * give the line. */
static int model_find(const char *buf, size_t len, const char *name, size_t *line_start, size_t *line_len)
{
  size_t start = 0;

  while (start < len) {
    const char *nl = memchr(buf + start, '\n', len - start);
    size_t end = nl ? (size_t)(nl - buf) : len;
    struct model_entry m;
    int r;
    /* With its newline (or, last, as if it had one). */
    if (end - start + 1 > PWFILES_LINE_MAX) return PWFILES_UNSURE;
    r = model_line(buf + start, end - start, name, &m);
    if (r == 1) {
      *line_start = start;
      *line_len = end - start;
    }
    if (r != 0) return r;
    start = end + 1;
  }
  return 0;
}

static void check_find(int fd, const char *buf, size_t len, const char *name)
{
  static str line = STR_INIT;
  struct getpw_account a;
  size_t ls = 0, ll = 0;
  int want = model_find(buf, len, name, &ls, &ll);

  for (int round = 0; round < 2; ++round) {
    int got = pwfiles_find(fd, name, &line, &a);
    if (got != want) abort();
    if (got == 1) {
      if (line.len != ll || a.name != line.s || strcmp(a.name, name)) abort();
      for (size_t i = strlen(name) + 1; i < ll; ++i)
        if (line.s[i] != buf[ls + i] && line.s[i]) abort();
    }
  }
}

static void check(const uint8_t *data, size_t size)
{
  const char *buf = (const char *)data;
  char names[NAMES_MAX][NAME_SIZE];
  size_t nnames = 0, start = 0;
  int fd;

  if (pwfiles_nsswitch(buf, size) != model_nsswitch(buf, size)) abort();

  strcpy(names[nnames++], "joe");
  while (start < size) {
    const char *nl = memchr(buf + start, '\n', size - start);
    size_t end = nl ? (size_t)(nl - buf) : size, n = end - start;
    const char *colon = memchr(buf + start, ':', n);
    size_t nlen = colon ? (size_t)(colon - buf) - start : n;
    char own[NAME_SIZE];

    /* The line's own name (up to a NUL), and a prefix of it. */
    if (nlen >= sizeof own) nlen = sizeof own - 1;
    memcpy(own, buf + start, nlen);
    own[nlen] = 0;
    if (n <= 2 * PWFILES_LINE_MAX) {
      check_line(buf + start, n, own);
      check_line(buf + start, n, "joe");
      if (nlen > 1) {
        char shorter[NAME_SIZE];
        memcpy(shorter, own, nlen - 1);
        shorter[nlen - 1] = 0;
        check_line(buf + start, n, shorter);
      }
    }
    if (*own && nnames < NAMES_MAX) strcpy(names[nnames++], own);
    start = end + 1;
  }

  fd = scratch_fd();
  if (fd == -1) abort();
  if (size && write(fd, buf, size) != (ssize_t)size) abort();
  for (size_t i = 0; i < nnames; ++i) check_find(fd, buf, size, names[i]);
  close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  check_as_is_and_with_words(data, size, words, 4 * PWFILES_LINE_MAX, check);
  return 0;
}
