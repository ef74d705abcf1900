/* maildirmake: create an empty maildir (maildirmake(1)):
 *   maildirmake dir
 * Makes dir and its tmp, new and cur subdirectories, each mode 0700.
 * Runs as its caller, with no privileges of its own; touches only the
 * directory it is told to create (which must not exist yet). */
#include <sys/stat.h>
#include <unistd.h>
#include "err.h"

#define FATAL "maildirmake: fatal: "

int main(int argc, char **argv)
{
  static const char *const subdirs[] = { "tmp", "new", "cur" };
  const char *dir;

  umask(077);
  if (argc < 2 || !argv[1]) err_die(100, "maildirmake: usage: maildirmake name", (char *)0);
  dir = argv[1];
  if (mkdir(dir, 0700) == -1) err_die_sys(111, FATAL, "unable to mkdir ", dir, (char *)0);
  if (chdir(dir) == -1) err_die_sys(111, FATAL, "unable to chdir to ", dir, (char *)0);
  for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; ++i)
    if (mkdir(subdirs[i], 0700) == -1)
      err_die_sys(111, FATAL, "unable to mkdir ", dir, "/", subdirs[i], (char *)0);
  return 0;
}
