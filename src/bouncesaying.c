/* bouncesaying: bounce the message with a given text, always or when a
 * program says so (bouncesaying(1)):
 *   |bouncesaying error [ program [ arg ... ] ]
 * Without a program, or when the program (reading the message on stdin)
 * exits 0, prints error and exits 100: qmail-local bounces the message
 * with that text. Program exit 111 means try later (111); anything else,
 * or a program that cannot be run, means carry on with .qmail (0).
 * Runs as the user qmail-local runs it as, with no privileges of its own;
 * reads no input itself and touches no files. */
#include "child.h"
#include "err.h"

#define FATAL "bouncesaying: fatal: "

int main(int argc, char **argv)
{
  if (argc < 2 || !argv[1])
    err_die(100, "bouncesaying: usage: bouncesaying error [ program [ arg ... ] ]", (char *)0);
  if (argc > 2 && argv[2]) {
    switch (child_run(argv + 2, FATAL)) {
    case 0: break;
    case 111: err_die(111, FATAL, "temporary child error", (char *)0);
    default: return 0;
    }
  }
  err_die(100, argv[1], (char *)0);
}
