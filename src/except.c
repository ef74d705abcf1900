/* except: run a program and turn its success into failure (except(1)):
 *   except program [ arg ... ]
 * Program exit 0 gives exit 100, exit 111 stays 111 (after "except:
 * fatal: temporary child error"), anything else (and a program that
 * cannot be run for good) gives 0. Runs as its caller, with no privileges
 * of its own; the program inherits stdin. Reads no input itself and
 * touches no files. */
#include "child.h"
#include "err.h"

#define FATAL "except: fatal: "

int main(int argc, char **argv)
{
  if (argc < 2 || !argv[1]) err_die(100, "except: usage: except program [ arg ... ]", (char *)0);
  switch (child_run(argv + 1, FATAL)) {
  case 0: return 100;
  case 111: err_die(111, FATAL, "temporary child error", (char *)0);
  default: return 0;
  }
}
