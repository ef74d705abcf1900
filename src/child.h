/* child.h: running a program the way except, bouncesaying and
 * condredirect do: with their own stdin, found through PATH, and judged
 * by its exit code alone. */
#ifndef CHILD_H
#define CHILD_H

/* Run argv[0] (looked up in PATH) with argv and wait for it. Returns its
 * exit code; a program that cannot be run counts as exit 111 if the
 * reason may pass (err_temp) and 100 otherwise. Dies with exit 111 and
 * fatal (e.g. "except: fatal: ") followed by "unable to fork: ERR",
 * "wait failed" or "child crashed". */
int child_run(char *const *argv, const char *fatal);

#endif
