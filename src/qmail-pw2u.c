/* qmail-pw2u: turn a passwd file into users/assign lines (qmail-pw2u(8)).
 * Run by the administrator, any uid: reads a V7 passwd file on fd 0 and
 * writes an assign file (ending with ".") on fd 1. Reads, in QMAILHOME,
 * users/include, exclude, mailnames (control files), users/subusers and
 * users/append; stats home directories. Input lines are bounded; a passwd
 * line with a NUL or too few fields is skipped. Writes no files.
 * Options: -o (default) skip accounts whose home is missing or not
 * theirs; -h stop when a home is missing; -H do not look at homes; -U
 * (default) skip names with upper-case letters, -u keep them; -cX use X
 * as the extension break, -C no extensions; -/ dash "-/" instead of "-".
 * Exit 0, 100 on a bad option, 111 on any other problem. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "err.h"
#include "io.h"
#include "num.h"
#include "open.h"
#include "str.h"

#define LINE_MAX_BYTES 65536 /* longest input line, newline included */
#define FATAL "qmail-pw2u: fatal: "

static char breakchar;
static const char *dash = "-";
static int noupper = 1;
static int homes = 2; /* 2 skip missing homes, 1 stop at them, 0 ignore homes */

static char outspace[8192];
static iobuf out;

static void __attribute__((noreturn)) die_nomem(void) { err_die(111, FATAL, "out of memory", (const char *)0); }
static void __attribute__((noreturn)) die_read(void) { err_die(111, FATAL, "unable to read input", (const char *)0); }
static void __attribute__((noreturn)) die_write(void) { err_die(111, FATAL, "unable to write output", (const char *)0); }
static void __attribute__((noreturn)) die_control(void) { err_die(111, FATAL, "unable to read controls", (const char *)0); }

static void put(const char *s, size_t len)
{
  if (io_put(&out, s, len) == -1) die_write();
}
static void puts_(const char *s) { put(s, strlen(s)); }

/* ---- name tables: key -> value, first entry wins ---- */

struct entry {
  size_t key, value, order; /* offsets into data; insertion order */
};

struct table {
  str data; /* "key\0value\0" for each entry */
  struct entry *e;
  size_t n, cap;
  int sorted;
};

static void table_add(struct table *t, const char *k, size_t klen, const char *v, size_t vlen)
{
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct entry *more;
    if (cap > (size_t)-1 / sizeof *more) die_nomem();
    more = realloc(t->e, cap * sizeof *more);
    if (!more) die_nomem();
    t->e = more;
    t->cap = cap;
  }
  t->e[t->n].key = t->data.len;
  if (!str_cat(&t->data, k, klen) || !str_putc(&t->data, 0)) die_nomem();
  t->e[t->n].value = t->data.len;
  if (!str_cat(&t->data, v, vlen) || !str_putc(&t->data, 0)) die_nomem();
  t->e[t->n].order = t->n;
  ++t->n;
  t->sorted = 0;
}

static const char *sort_base;

static int by_key(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  int c = strcmp(sort_base + x->key, sort_base + y->key);
  if (c) return c;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* The value for key (a C string), or 0. */
static const char *table_find(struct table *t, const char *key)
{
  size_t lo = 0, hi = t->n;
  if (!t->n) return 0;
  if (!t->sorted) {
    sort_base = t->data.s;
    qsort(t->e, t->n, sizeof *t->e, by_key);
    t->sorted = 1;
  }
  /* The first entry whose key is not below key. */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(t->data.s + t->e[mid].key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo < t->n && !strcmp(t->data.s + t->e[lo].key, key)) return t->data.s + t->e[lo].value;
  return 0;
}

/* Load a control file of names into t; with colon, each line is
 * "key:value" (lines without ':' are ignored), else the whole line is the
 * key. 1 if the file exists, 0 if not. */
static int table_load(struct table *t, const char *fn, int colon)
{
  str lines = STR_INIT;
  int r = control_readfile(&lines, fn, 0);
  if (r == -1) die_control();
  for (size_t i = 0; i < lines.len;) {
    const char *s = lines.s + i;
    size_t len = strlen(s);
    const char *c = colon ? memchr(s, ':', len) : 0;
    if (!colon) table_add(t, s, len, "", 0);
    else if (c) table_add(t, s, (size_t)(c - s), c + 1, len - (size_t)(c - s) - 1);
    i += len + 1;
  }
  str_free(&lines);
  return r;
}

static struct table incl, excl, mailnames, allusers;
static int have_incl, have_excl, have_mailnames, have_alias;

/* ---- input lines ---- */

/* The next line of in into line, its newline removed: 1, or 0 at the end. */
static int next_line(iobuf *in, str *line)
{
  int r;
  line->len = 0;
  r = io_getline(in, line, '\n', LINE_MAX_BYTES);
  if (r == IO_ERR) {
    if (errno == ENOMEM) die_nomem();
    die_read();
  }
  if (r == IO_TOOLONG) die_read();
  if (r == IO_EOF && !line->len) return 0;
  if (r == IO_LINE) --line->len;
  if (!str_reserve(line, 0)) die_nomem();
  line->s[line->len] = 0;
  return 1;
}

/* Split s (len bytes) at ':' into want fields, each ended by ':'. */
static int fields(const char *s, size_t len, size_t want, const char **f, size_t *flen)
{
  size_t start = 0, n = 0;
  for (size_t i = 0; i < len && n < want; ++i)
    if (s[i] == ':') {
      f[n] = s + start;
      flen[n++] = i - start;
      start = i + 1;
    }
  return n == want;
}

static void account(const str *line)
{
  const char *f[6];
  size_t fl[6];
  str user = STR_INIT, home = STR_INIT, uugh = STR_INIT;
  const char *names;
  unsigned long long uid;
  struct stat st;

  if (memchr(line->s, 0, line->len)) return;
  if (!fields(line->s, line->len, 6, f, fl)) return;
  num_scan(f[2], fl[2], &uid);
  if (!uid) return;
  if (!str_copy(&user, f[0], fl[0]) || !str_copy(&home, f[5], fl[5])) die_nomem();
  if (noupper)
    for (size_t i = 0; i < user.len; ++i)
      if (user.s[i] >= 'A' && user.s[i] <= 'Z') goto done;
  if (have_incl && !table_find(&incl, user.s)) goto done;
  if (have_excl && table_find(&excl, user.s)) goto done;
  if (homes) {
    if (stat(home.s, &st) == -1) {
      if (errno != ENOENT || homes == 1)
        err_die(111, FATAL, "unable to stat ", home.s, (const char *)0);
      goto done;
    }
    if ((unsigned long long)st.st_uid != uid) goto done;
  }

  /* ":user:uid:gid:home:", the part every line for this account shares. */
  if (!str_putc(&uugh, ':') || !str_catstr(&uugh, &user) || !str_putc(&uugh, ':') ||
      !str_cat(&uugh, f[2], fl[2]) || !str_putc(&uugh, ':') ||
      !str_cat(&uugh, f[3], fl[3]) || !str_putc(&uugh, ':') ||
      !str_catstr(&uugh, &home) || !str_putc(&uugh, ':'))
    die_nomem();
  table_add(&allusers, user.s, user.len, uugh.s, uugh.len);

  if (!strcmp(user.s, auto_user_names[0])) {
    puts_("+");
    put(uugh.s, uugh.len);
    puts_(dash);
    puts_("::\n");
    have_alias = 1;
  }

  names = have_mailnames ? table_find(&mailnames, user.s) : 0;
  if (!names) names = user.s;
  for (;;) {
    size_t n;
    while (*names == ':') ++names;
    if (!*names) break;
    n = strcspn(names, ":");
    puts_("=");
    put(names, n);
    put(uugh.s, uugh.len);
    puts_("::\n");
    if (breakchar) {
      puts_("+");
      put(names, n);
      put(&breakchar, 1);
      put(uugh.s, uugh.len);
      puts_(dash);
      puts_("::\n");
    }
    names += n;
  }
done:
  str_free(&user);
  str_free(&home);
  str_free(&uugh);
}

static void subuser(const str *line)
{
  const char *f[3];
  size_t fl[3];
  str user = STR_INIT;
  const char *uugh;

  if (memchr(line->s, 0, line->len)) return;
  if (!fields(line->s, line->len, 3, f, fl)) return;
  if (!str_copy(&user, f[1], fl[1])) die_nomem();
  uugh = table_find(&allusers, user.s);
  if (!uugh) err_die(111, FATAL, "unable to find ", user.s, " user for subuser", (const char *)0);
  puts_("=");
  put(f[0], fl[0]);
  puts_(uugh);
  puts_(dash);
  puts_(":");
  put(f[2], fl[2]);
  puts_(":\n");
  if (breakchar) {
    puts_("+");
    put(f[0], fl[0]);
    put(&breakchar, 1);
    puts_(uugh);
    puts_(dash);
    puts_(":");
    put(f[2], fl[2]);
    puts_("-:\n");
  }
  str_free(&user);
}

/* Open a users/ file for reading: an fd, or -1 if it does not exist. */
static int open_users(const char *fn)
{
  int fd = open_read(fn);
  if (fd == -1 && errno != ENOENT) die_control();
  return fd;
}

int main(int argc, char **argv)
{
  char inspace[8192];
  str line = STR_INIT;
  iobuf in;
  int opt, fd;

  breakchar = auto_break[0];
  while ((opt = getopt(argc, argv, "/ohHuUc:C")) != -1)
    switch (opt) {
    case '/': dash = "-/"; break;
    case 'o': homes = 2; break;
    case 'h': homes = 1; break;
    case 'H': homes = 0; break;
    case 'u': noupper = 0; break;
    case 'U': noupper = 1; break;
    case 'c': breakchar = optarg[0]; break;
    case 'C': breakchar = 0; break;
    default:
      err_die(100, "qmail-pw2u: usage: qmail-pw2u [ -/ohHuUC ] [ -cchar ]", (const char *)0);
    }

  if (chdir(auto_qmail) == -1) err_die(111, FATAL, "unable to chdir", (const char *)0);
  have_incl = table_load(&incl, "users/include", 0);
  have_excl = table_load(&excl, "users/exclude", 0);
  have_mailnames = table_load(&mailnames, "users/mailnames", 1);
  io_init(&out, io_write, 1, outspace, sizeof outspace);

  io_init(&in, io_read, 0, inspace, sizeof inspace);
  while (next_line(&in, &line)) account(&line);
  if (!have_alias)
    err_die(111, FATAL, "unable to find ", auto_user_names[0], " user", (const char *)0);

  fd = open_users("users/subusers");
  if (fd != -1) {
    io_init(&in, io_read, fd, inspace, sizeof inspace);
    while (next_line(&in, &line)) subuser(&line);
    close(fd);
  }

  fd = open_users("users/append");
  if (fd != -1) {
    io_init(&in, io_read, fd, inspace, sizeof inspace);
    switch (io_copy(&out, &in)) {
    case IO_COPY_RERR: die_read();
    case IO_COPY_WERR: die_write();
    default: break;
    }
    close(fd);
  }

  puts_(".\n");
  if (io_flush(&out) == -1) die_write();
  return 0;
}
