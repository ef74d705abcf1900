/* maildir.c: scanning a maildir (see maildir.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "env.h"
#include "err.h"
#include "maildir.h"
#include "safemath.h"

/* err = a b c, then ": " and the text of errnum. */
static int fail(str *err, int errnum, const char *a, const char *b, const char *c)
{
  err->len = 0;
  if (str_cats(err, a) && str_cats(err, b) && str_cats(err, c) && str_cats(err, ": "))
    str_cats(err, err_str(errnum));
  return -1;
}

int maildir_chdir(str *err)
{
  const char *dir = env_get("MAILDIR");
  if (!dir) {
    str_copys(err, "MAILDIR not set");
    return -1;
  }
  if (chdir(dir) == -1) return fail(err, errno, "unable to chdir to ", dir, "");
  return 0;
}

void maildir_clean(time_t now)
{
  DIR *d = opendir("tmp");
  struct dirent *de;
  str fn = STR_INIT;

  if (!d) return;
  while ((de = readdir(d))) {
    struct stat st;
    if (de->d_name[0] == '.') continue;
    fn.len = 0;
    if (!str_cats(&fn, "tmp/") || !str_cats(&fn, de->d_name)) break;
    if (lstat(fn.s, &st) == 0 && now - st.st_atime > MAILDIR_STALE) unlink(fn.s);
  }
  closedir(d);
  str_free(&fn);
}

static int add(maildir_list *l, time_t mtime, size_t name)
{
  if (l->len == l->cap) {
    size_t cap, bytes;
    struct maildir_entry *more;
    if (!size_add(l->cap, l->cap / 2 + 16, &cap) || !size_mul(cap, sizeof *l->e, &bytes)) {
      errno = ENOMEM;
      return 0;
    }
    more = realloc(l->e, bytes);
    if (!more) return 0;
    l->e = more;
    l->cap = cap;
  }
  l->e[l->len].mtime = mtime;
  l->e[l->len].name = name;
  ++l->len;
  return 1;
}

static int append(maildir_list *l, const char *subdir, time_t now, str *err)
{
  DIR *d = opendir(subdir);
  struct dirent *de;

  if (!d) return fail(err, errno, "unable to scan $MAILDIR/", subdir, "");
  for (;;) {
    size_t pos = l->names.len;
    struct stat st;

    errno = 0;
    de = readdir(d);
    if (!de) break;
    if (de->d_name[0] == '.') continue;
    if (!str_cats(&l->names, subdir) || !str_putc(&l->names, '/') ||
        !str_cats(&l->names, de->d_name) || !str_putc(&l->names, 0))
      break;
    if (stat(l->names.s + pos, &st) == -1 || !S_ISREG(st.st_mode) || st.st_mtime >= now) {
      str_truncate(&l->names, pos);
      continue;
    }
    if (!add(l, st.st_mtime, pos)) break;
  }
  if (de || errno) {
    int saved = errno ? errno : ENOMEM;
    closedir(d);
    return fail(err, saved, "unable to read $MAILDIR/", subdir, "");
  }
  closedir(d);
  return 0;
}

/* For qsort: oldest first, then by name (the names live in sort_names). */
static const char *sort_names;

static int by_age(const void *a, const void *b)
{
  const struct maildir_entry *x = a, *y = b;
  if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1;
  return strcmp(sort_names + x->name, sort_names + y->name);
}

int maildir_scan(maildir_list *l, int flagnew, int flagcur, time_t now, str *err)
{
  l->names.len = 0;
  l->len = 0;
  if (flagnew && append(l, "new", now, err) == -1) return -1;
  if (flagcur && append(l, "cur", now, err) == -1) return -1;
  if (l->len) {
    sort_names = l->names.s;
    qsort(l->e, l->len, sizeof *l->e, by_age);
  }
  return 0;
}

const char *maildir_name(const maildir_list *l, size_t i) { return l->names.s + l->e[i].name; }

void maildir_free(maildir_list *l)
{
  str_free(&l->names);
  free(l->e);
  l->e = 0;
  l->len = l->cap = 0;
}
