/* pwfiles.c: the nsswitch.conf passwd entry and the passwd file, read
 * the way glibc reads them, but only as far as that is certain (see
 * pwfiles.h for what glibc does and what is taken from it).
 *
 * The passwd file is read by this bounded parser of its own, not with
 * fgetpwent or getpwnam: getpwnam in musl also asks nscd, and in glibc
 * is the NSS that qmail-getpw avoids; fgetpwent in both libraries reads
 * lines of any length and quietly accepts or skips malformed ones by
 * rules of its own, while deciding whether glibc's answer is certain
 * needs to know exactly which lines were plain and which were not. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "io.h"
#include "pwfiles.h"

/* White space as glibc sees it in nsswitch.conf and passwd (isspace in
 * the C locale). */
static int space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int letter(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The n bytes at s are word (lower case), in any case. */
static int word_is(const char *s, size_t n, const char *word)
{
  if (n != strlen(word)) return 0;
  for (size_t i = 0; i < n; ++i)
    if ((s[i] | 0x20) != word[i]) return 0;
  return 1;
}

/* A run of letters at s[*i..n) that is one of words (lower case, 0
 * ended); *i moves past it. */
static int known_word(const char *s, size_t n, size_t *i, const char *const *words)
{
  size_t start = *i;

  while (*i < n && letter(s[*i])) ++*i;
  for (; *words; ++words)
    if (word_is(s + start, *i - start, *words)) return 1;
  return 0;
}

/* An action item at s (n bytes, s[0] == '['): its length in bytes, or 0
 * if it is not of the strict form that glibc is known to accept. */
static size_t action_item(const char *s, size_t n)
{
  static const char *const statuses[] = { "success", "notfound", "unavail", "tryagain", 0 };
  static const char *const actions[] = { "return", "continue", "merge", 0 };
  size_t i = 1, pairs = 0;

  for (;;) {
    while (i < n && space(s[i])) ++i;
    if (i < n && s[i] == ']') return pairs ? i + 1 : 0;
    if (i < n && s[i] == '!') ++i;
    if (!known_word(s, n, &i, statuses)) return 0;
    if (i >= n || s[i] != '=') return 0;
    ++i;
    if (!known_word(s, n, &i, actions)) return 0;
    if (i >= n || (s[i] != ']' && !space(s[i]))) return 0;
    ++pairs;
  }
}

/* The list after a database name (n bytes at s): its number of sources
 * in *sources, its first item in *first (*firstlen bytes; 0 for an empty
 * list), whether it has an action item in *actions. 0, or -1 for an
 * action item not of the strict form. */
static int source_list(const char *s, size_t n, size_t *sources, const char **first, size_t *firstlen,
                       int *actions)
{
  size_t i = 0;

  *sources = 0;
  *first = s;
  *firstlen = 0;
  *actions = 0;
  for (;;) {
    size_t start;
    while (i < n && space(s[i])) ++i;
    if (i == n) return 0;
    start = i;
    if (s[i] == '[') {
      size_t len = action_item(s + i, n - i);
      if (!len) return -1;
      *actions = 1;
      i += len;
    } else {
      while (i < n && !space(s[i]) && s[i] != '[') ++i;
      ++*sources;
    }
    if (!*firstlen) {
      *first = s + start;
      *firstlen = i - start;
    }
  }
}

int pwfiles_nsswitch(const char *buf, size_t len)
{
  int verdict = PWFILES_UNSURE; /* until a passwd line says otherwise */
  size_t pos = 0;

  if (!len || memchr(buf, 0, len)) return PWFILES_UNSURE;
  while (pos < len) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    const char *s = buf + pos, *first;
    size_t n = (nl ? (size_t)(nl - buf) : len) - pos, i = 0, name, firstlen, sources;
    int actions, is_passwd;

    pos += n + 1;
    while (i < n && space(s[i])) ++i;
    if (i == n || s[i] == '#') continue; /* blank, or names no database */
    /* glibc 2.36 ignores a last line without a newline; older versions
     * may not have: not certain either way. */
    if (!nl) return PWFILES_UNSURE;
    for (size_t j = i; j < n; ++j) {
      unsigned char c = (unsigned char)s[j];
      if (c >= 0x7f || (c < 0x20 && !space((char)c))) return PWFILES_UNSURE;
    }
    name = i;
    while (i < n && !space(s[i]) && s[i] != ':') {
      if (s[i] == '[') return PWFILES_UNSURE;
      ++i;
    }
    if (i == name) return PWFILES_UNSURE;
    is_passwd = i - name == 6 && !memcmp(s + name, "passwd", 6);
    while (i < n && (space(s[i]) || s[i] == ':')) ++i;
    if (source_list(s + i, n - i, &sources, &first, &firstlen, &actions) == -1) return PWFILES_UNSURE;
    if (!is_passwd) continue;
    if (actions || firstlen != 5 || memcmp(first, "files", 5)) verdict = PWFILES_UNSURE;
    else verdict = sources == 1 ? PWFILES_FILES_ONLY : PWFILES_FILES_FIRST;
  }
  return verdict;
}

int pwfiles_nsswitch_file(const char *path)
{
  char buf[4096];
  str conf = STR_INIT;
  int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC), verdict = PWFILES_UNSURE;

  if (fd == -1) return PWFILES_UNSURE;
  for (;;) {
    ssize_t r = io_read(fd, buf, sizeof buf);
    if (r < 0) goto done;
    if (r == 0) break;
    if ((size_t)r > PWFILES_CONF_MAX - conf.len || !str_cat(&conf, buf, (size_t)r)) goto done;
  }
  verdict = pwfiles_nsswitch(conf.s, conf.len);
done:
  close(fd);
  str_free(&conf);
  return verdict;
}

/* A uid or gid field (n bytes at s): 1 to 10 digits, value below max. */
static int id_field(const char *s, size_t n, unsigned long long max, unsigned long long *v)
{
  if (!n || n > 10) return 0;
  *v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return 0;
    *v = *v * 10 + (unsigned)(s[i] - '0');
  }
  return *v < max;
}

int pwfiles_line(char *line, size_t len, const char *name, struct getpw_account *a)
{
  size_t namelen = strlen(name), colon[6], colons = 0;
  unsigned long long uid, gid;

  if (!len || line[0] == '#') return 0;
  if (space(line[0]) || memchr(line, 0, len)) return PWFILES_UNSURE;
  if (line[0] == '+' || line[0] == '-') return 0;
  for (size_t i = 0; i < len && colons < 6; ++i)
    if (line[i] == ':') colon[colons++] = i;
  /* No colon: glibc's name would be the whole line. */
  if (!colons) return len == namelen && !memcmp(line, name, len) ? PWFILES_UNSURE : 0;
  if (colon[0] != namelen || memcmp(line, name, namelen)) return 0;
  if (colons < 6) return PWFILES_UNSURE;
  if (!id_field(line + colon[1] + 1, colon[2] - colon[1] - 1, (uid_t)-1, &uid) ||
      !id_field(line + colon[2] + 1, colon[3] - colon[2] - 1, (gid_t)-1, &gid))
    return PWFILES_UNSURE;
  line[colon[0]] = 0;
  line[colon[5]] = 0;
  a->name = line;
  a->uid = (uid_t)uid;
  a->gid = (gid_t)gid;
  a->home = line + colon[4] + 1;
  return 1;
}

int pwfiles_find(int fd, const char *name, str *line, struct getpw_account *a)
{
  char buf[IO_INSIZE];
  iobuf in;

  if (lseek(fd, 0, SEEK_SET) == -1) return PWFILES_UNSURE;
  io_init(&in, io_read, fd, buf, sizeof buf);
  for (;;) {
    int r, got;
    line->len = 0;
    got = io_getline(&in, line, '\n', PWFILES_LINE_MAX);
    if (got == IO_ERR || got == IO_TOOLONG) return PWFILES_UNSURE;
    if (got == IO_EOF && !line->len) return 0;
    if (got == IO_LINE) str_truncate(line, line->len - 1);
    r = pwfiles_line(line->s, line->len, name, a);
    if (r != 0) return r;
    if (got == IO_EOF) return 0;
  }
}
