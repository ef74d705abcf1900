/* hier.c: the list of everything `make setup` installs (see hier.h and the
 * table in the spec's README: owners, groups and modes as qmail-1.03). */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include "auto.h"
#include "hier.h"
#include "tcpto.h"
#include "str.h"

/* Programs installed in bin/ with their owner and mode; everything not in
 * this list is not installed. Source: B/NAME. */
static const struct {
  const char *name;
  char owner; /* 'o' root, 'q' qmailq */
  mode_t mode;
  char group; /* 'q' qmail, 'n' nofiles */
} programs[] = {
  { "qmail-queue", 'q', 04711, 'q' },
  { "qmail-inject", 'o', 0755, 'q' },
  { "sendmail", 'o', 0755, 'q' },
  { "predate", 'o', 0755, 'q' },
  { "datemail", 'o', 0755, 'q' },
  { "mailsubj", 'o', 0755, 'q' },
  { "qmail-showctl", 'o', 0755, 'q' },
  { "qmail-smtpd", 'o', 0755, 'q' },
  { "qmail-qmtpd", 'o', 0755, 'q' },
  { "qmail-qmqpd", 'o', 0755, 'q' },
  { "qmail-qmqpc", 'o', 0755, 'q' },
  { "tcp-env", 'o', 0755, 'q' },
  { "qmail-newmrh", 'o', 0700, 'q' },
  { "qmail-local", 'o', 0711, 'q' },
  { "qmail-qread", 'o', 0755, 'q' },
  { "qmail-qstat", 'o', 0755, 'q' },
  { "qmail-tcpto", 'o', 0755, 'q' },
  { "qmail-tcpok", 'o', 0755, 'q' },
  { "splogger", 'o', 0711, 'q' },
  { "qmail-lspawn", 'o', 0700, 'q' },
  { "qmail-getpw", 'o', 0711, 'q' },
  { "qmail-getpw-nss", 'o', 0711, 'q' },
  /* setuid root for qmail-smtpd only: run by group nofiles, qmaild's */
  { "qmail-rcptcheck", 'o', 04510, 'n' },
  { "qmail-newu", 'o', 0700, 'q' },
  { "qmail-pw2u", 'o', 0711, 'q' },
  { "qmail-remote", 'o', 0711, 'q' },
  { "qmail-rspawn", 'o', 0711, 'q' },
  { "qmail-send", 'o', 0711, 'q' },
  { "qmail-clean", 'o', 0711, 'q' },
  { "qmail-start", 'o', 0700, 'q' },
  { "dnscname", 'o', 0755, 'q' },
  { "dnsptr", 'o', 0755, 'q' },
  { "dnsip", 'o', 0755, 'q' },
  { "dnsip6", 'o', 0755, 'q' },
  { "dnsmxip", 'o', 0755, 'q' },
  { "dnsfq", 'o', 0755, 'q' },
  { "hostname", 'o', 0755, 'q' },
  { "ipmeprint", 'o', 0755, 'q' },
  { "qmail-popup", 'o', 0711, 'q' },
  { "qmail-pop3d", 'o', 0755, 'q' },
  { "checkpassword", 'o', 0700, 'q' },
  { "forward", 'o', 0755, 'q' },
  { "condredirect", 'o', 0755, 'q' },
  { "bouncesaying", 'o', 0755, 'q' },
  { "except", 'o', 0755, 'q' },
  { "preline", 'o', 0755, 'q' },
  { "maildirmake", 'o', 0755, 'q' },
  { "maildir2mbox", 'o', 0755, 'q' },
  { "maildirwatch", 'o', 0755, 'q' },
  { "elq", 'o', 0755, 'q' },
  { "pinq", 'o', 0755, 'q' },
  { "qail", 'o', 0755, 'q' },
  { "qbiff", 'o', 0755, 'q' },
  { "qreceipt", 'o', 0755, 'q' },
};

/* Boot scripts, installed from B/boot/NAME into boot/NAME, mode 0755. */
static const char *const boot_scripts[] = {
  "home", "home+df", "proc", "proc+df", "binm1", "binm1+df",
  "binm2", "binm2+df", "binm3", "binm3+df"
};

static int emit_gid(int (*visit)(const struct hier_entry *), enum hier_kind kind,
                    const char *path, const char *from, uid_t uid, gid_t gid, mode_t mode,
                    unsigned long size)
{
  struct hier_entry e;
  e.kind = kind;
  e.path = path;
  e.from = from;
  e.uid = uid;
  e.gid = gid;
  e.mode = mode;
  e.size = size;
  return visit(&e);
}

/* An entry in group qmail, as nearly everything is. */
static int emit(int (*visit)(const struct hier_entry *), enum hier_kind kind,
                const char *path, const char *from, uid_t uid, mode_t mode,
                unsigned long size)
{
  return emit_gid(visit, kind, path, from, uid, auto_gidq, mode, size);
}

static int dir(int (*visit)(const struct hier_entry *), const char *path, uid_t uid, mode_t mode)
{
  return emit(visit, HIER_DIR, path, 0, uid, mode, 0);
}

/* The split subdirectories path/0 .. path/(conf-split - 1). */
static int split(int (*visit)(const struct hier_entry *), const char *path, uid_t uid, mode_t mode)
{
  str sub = STR_INIT;
  int r = dir(visit, path, uid, mode);
  for (unsigned long i = 0; r == 0 && i < auto_split; ++i) {
    sub.len = 0;
    if (!str_cats(&sub, path) || !str_putc(&sub, '/') || !str_catnum(&sub, i)) r = -1;
    else r = dir(visit, sub.s, uid, mode);
  }
  str_free(&sub);
  return r;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file in srcdir (sorted; dot files skipped) for which dest() gives
 * a target, installed there with mode 0644. */
static int files_of(int (*visit)(const struct hier_entry *), const char *srcdir,
                    const char *(*dest)(const char *name, str *out))
{
  DIR *d = opendir(srcdir);
  struct dirent *de;
  char **names = 0;
  size_t count = 0, cap = 0;
  str from = STR_INIT, to = STR_INIT;
  int r = 0;

  if (!d) return -1;
  while ((de = readdir(d))) {
    char *copy;
    if (de->d_name[0] == '.') continue;
    if (count == cap) {
      char **more;
      cap = cap ? cap * 2 : 64;
      more = realloc(names, cap * sizeof *names);
      if (!more) { r = -1; break; }
      names = more;
    }
    copy = strdup(de->d_name);
    if (!copy) { r = -1; break; }
    names[count++] = copy;
  }
  closedir(d);
  if (r == 0) qsort(names, count, sizeof *names, cmp_names);
  for (size_t i = 0; r == 0 && i < count; ++i) {
    const char *target;
    from.len = 0;
    if (!str_cats(&from, srcdir) || !str_putc(&from, '/') || !str_cats(&from, names[i])) {
      r = -1;
      break;
    }
    target = dest(names[i], &to);
    if (!target) continue;
    r = emit(visit, HIER_FILE, target, from.s, auto_uido, 0644, 0);
  }
  for (size_t i = 0; i < count; ++i) free(names[i]);
  free(names);
  str_free(&from);
  str_free(&to);
  return r;
}

/* man/NAME.S goes to man/manS/NAME.S for the sections qmail uses. */
static const char *man_dest(const char *name, str *out)
{
  const char *dot = strrchr(name, '.');
  if (!dot || strlen(dot) != 2 || !strchr("1578", dot[1])) return 0;
  out->len = 0;
  if (!str_cats(out, "man/man") || !str_putc(out, dot[1]) ||
      !str_putc(out, '/') || !str_cats(out, name))
    return 0;
  return out->s;
}

static const char *doc_dest(const char *name, str *out)
{
  out->len = 0;
  if (!str_cats(out, "doc/") || !str_cats(out, name)) return 0;
  return out->s;
}

int hier_walk(const char *builddir, int (*visit)(const struct hier_entry *))
{
  static const char *const topdirs[] = { "bin", "boot", "control", "doc", "man", "users" };
  static const char *const mandirs[] = {
    "man/man1", "man/man5", "man/man7", "man/man8",
    "man/cat1", "man/cat5", "man/cat7", "man/cat8"
  };
  str path = STR_INIT, from = STR_INIT;
  int r = 0;

#define STEP(call) do { if (r == 0) r = (call); } while (0)
  STEP(dir(visit, ".", auto_uido, 0755));
  STEP(dir(visit, "alias", auto_uida, 02755));
  for (size_t i = 0; i < sizeof topdirs / sizeof *topdirs; ++i)
    STEP(dir(visit, topdirs[i], auto_uido, 0755));
  for (size_t i = 0; i < sizeof mandirs / sizeof *mandirs; ++i)
    STEP(dir(visit, mandirs[i], auto_uido, 0755));

  STEP(dir(visit, "queue", auto_uidq, 0750));
  STEP(dir(visit, "queue/pid", auto_uidq, 0700));
  STEP(dir(visit, "queue/intd", auto_uidq, 0700));
  STEP(dir(visit, "queue/todo", auto_uidq, 0750));
  STEP(dir(visit, "queue/bounce", auto_uids, 0700));
  STEP(split(visit, "queue/mess", auto_uidq, 0750));
  STEP(split(visit, "queue/info", auto_uids, 0700));
  STEP(split(visit, "queue/local", auto_uids, 0700));
  STEP(split(visit, "queue/remote", auto_uids, 0700));
  STEP(dir(visit, "queue/lock", auto_uidq, 0750));
  STEP(emit(visit, HIER_ZERO, "queue/lock/tcpto", 0, auto_uidr, 0644, TCPTO_SIZE));
  STEP(emit(visit, HIER_ZERO, "queue/lock/sendmutex", 0, auto_uids, 0600, 0));
  STEP(emit(visit, HIER_FIFO, "queue/lock/trigger", 0, auto_uids, 0622, 0));

  for (size_t i = 0; r == 0 && i < sizeof programs / sizeof *programs; ++i) {
    path.len = from.len = 0;
    if (!str_cats(&path, "bin/") || !str_cats(&path, programs[i].name) ||
        !str_cats(&from, builddir) || !str_putc(&from, '/') || !str_cats(&from, programs[i].name)) {
      r = -1;
      break;
    }
    r = emit_gid(visit, HIER_FILE, path.s, from.s,
                 programs[i].owner == 'q' ? auto_uidq : auto_uido,
                 programs[i].group == 'n' ? auto_gidn : auto_gidq, programs[i].mode, 0);
  }
  for (size_t i = 0; r == 0 && i < sizeof boot_scripts / sizeof *boot_scripts; ++i) {
    path.len = from.len = 0;
    if (!str_cats(&path, "boot/") || !str_cats(&path, boot_scripts[i]) ||
        !str_cats(&from, builddir) || !str_cats(&from, "/boot/") || !str_cats(&from, boot_scripts[i])) {
      r = -1;
      break;
    }
    r = emit(visit, HIER_FILE, path.s, from.s, auto_uido, 0755, 0);
  }
  STEP(files_of(visit, "man", man_dest));
  STEP(files_of(visit, "doc", doc_dest));
#undef STEP
  str_free(&path);
  str_free(&from);
  return r;
}
