/* floor-spawn.c: what one start of a program costs, for bench/process-floor
 * (its programs mode). Run as
 *   floor-spawn RUNS CODE NOFILE BASELINE PROGRAM [ARG...]
 * it starts PROGRAM with posix_spawn RUNS times, one after the other,
 * with fds 0, 1 and 2 on /dev/null and PATH=/usr/bin:/bin as the whole
 * environment, and times each start from just before posix_spawn to the
 * return of waitpid (CLOCK_MONOTONIC). A BASELINE other than "-" (a
 * program that exits 0 at once, run without arguments) is started and
 * timed the same way before each start of PROGRAM, so that both see the
 * same load on a busy machine. A NOFILE other than 0 becomes the soft
 * RLIMIT_NOFILE of this process, which the programs inherit (with 3
 * PROGRAM's first open fails). Every start of PROGRAM must exit with
 * status CODE, and of BASELINE with 0: else it says so on fd 2 and exits
 * 1. Twenty untimed rounds come first. Prints one line on fd 1: PROGRAM's
 * median, 10th and 90th percentiles and fastest start, then BASELINE's
 * median if there is one, in microseconds. Not installed. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 20

static posix_spawn_file_actions_t fa;
static char *envp[] = { "PATH=/usr/bin:/bin", 0 };

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Start argv[0] once and wait for it; the microseconds it took. */
static double start(char **argv, long code)
{
  pid_t pid;
  int status, r;
  double t0 = now_us(), t;

  r = posix_spawn(&pid, argv[0], &fa, 0, argv, envp);
  if (r != 0) {
    fprintf(stderr, "floor-spawn: cannot start %s: %s\n", argv[0], strerror(r));
    exit(1);
  }
  if (waitpid(pid, &status, 0) != pid) {
    perror("floor-spawn: waitpid");
    exit(1);
  }
  t = now_us() - t0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
    fprintf(stderr, "floor-spawn: %s ended with wait status 0x%x, not exit %ld\n", argv[0],
            (unsigned)status, code);
    exit(1);
  }
  return t;
}

int main(int argc, char **argv)
{
  long runs, code, nofile;
  char *base[2] = { 0, 0 };
  int with_base;
  double *us, *base_us;
  int devnull;

  if (argc < 6) {
    fputs("usage: floor-spawn RUNS CODE NOFILE BASELINE PROGRAM [ARG...]\n", stderr);
    return 100;
  }
  runs = strtol(argv[1], 0, 10);
  code = strtol(argv[2], 0, 10);
  nofile = strtol(argv[3], 0, 10);
  with_base = strcmp(argv[4], "-") != 0;
  base[0] = argv[4];
  us = calloc(runs > 0 ? (size_t)runs : 1, sizeof *us);
  base_us = calloc(runs > 0 ? (size_t)runs : 1, sizeof *base_us);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (runs <= 0 || !us || !base_us || devnull == -1) {
    fputs("floor-spawn: bad RUNS, or no memory, or no /dev/null\n", stderr);
    return 1;
  }
  posix_spawn_file_actions_init(&fa);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_adddup2(&fa, devnull, fd);
  if (nofile > 0) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == -1) return 1;
    rl.rlim_cur = (rlim_t)nofile;
    if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
      perror("floor-spawn: setrlimit");
      return 1;
    }
  }

  for (long i = -WARMUP; i < runs; ++i) {
    double b = with_base ? start(base, 0) : 0, t = start(argv + 5, code);
    if (i >= 0) {
      base_us[i] = b;
      us[i] = t;
    }
  }
  qsort(us, (size_t)runs, sizeof *us, cmp_double);
  qsort(base_us, (size_t)runs, sizeof *base_us, cmp_double);
  printf("%.2f %.2f %.2f %.2f", us[runs / 2], us[runs / 10], us[runs * 9 / 10], us[0]);
  if (with_base) printf(" %.2f", base_us[runs / 2]);
  putchar('\n');
  return 0;
}
