/* test_mbox.c: unit tests for mbox.c, the From-quoting writer: exact bytes
 * for a table of messages, the same output however the input is split
 * into pieces, and mbox_copy over a pipe. */
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "io.h"
#include "mbox.h"
#include "str.h"

static str got = STR_INIT;

static ssize_t to_got(int fd, void *buf, size_t len)
{
  (void)fd;
  return str_cat(&got, buf, len) ? (ssize_t)len : -1;
}

/* Quote in[0..len) fed chunk bytes at a time (0: all at once). */
static void quote(const char *in, size_t len, size_t chunk)
{
  char space[16]; /* small, so io_put's write-through path is used too */
  iobuf out;
  mbox_quoter m;

  got.len = 0;
  io_init(&out, to_got, -1, space, sizeof space);
  mbox_start(&m);
  if (!chunk) chunk = len ? len : 1;
  for (size_t i = 0; i < len; i += chunk)
    CHECK(mbox_put(&m, &out, in + i, len - i < chunk ? len - i : chunk) == 0);
  CHECK(mbox_end(&m, &out) == 0);
  CHECK(io_flush(&out) == 0);
}

static const struct {
  const char *in, *out;
} examples[] = {
  { "", "\n" },
  { "a\n", "a\n\n" },
  { "no newline", "no newline\n\n" },
  { "From x\n", ">From x\n\n" },
  { "From \n", ">From \n\n" },
  { "From\n", "From\n\n" },
  { "Fro", "Fro\n\n" },
  { ">From y\n>>From z\n", ">>From y\n>>>From z\n\n" },
  { ">\n>>>\n\n", ">\n>>>\n\n\n" },
  { " From x\nnot From\n", " From x\nnot From\n\n" },
  { ">F\n", ">F\n\n" },
  { "From", "From\n\n" },
  { ">>From ", ">>>From \n\n" },
  { "From From \nFrom ", ">From From \n>From \n\n" },
  { "x\nFrom a\n>From b\n", "x\n>From a\n>>From b\n\n" },
  { "FFrom \n", "FFrom \n\n" },
  { ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>From \n",
    ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>From \n\n" },
};

int main(void)
{
  for (size_t i = 0; i < sizeof examples / sizeof *examples; ++i) {
    size_t len = strlen(examples[i].in);
    for (size_t chunk = 0; chunk <= len + 1; ++chunk) {
      quote(examples[i].in, len, chunk);
      CHECK_BYTES(got.s, got.len, examples[i].out);
    }
  }

  /* mbox_copy through a pipe, with a NUL and a long line */
  {
    static char inspace[7], outspace[5];
    static const char msg[] = "From a\n\0x\n>From b";
    static const char want[] = ">From a\n\0x\n>>From b\n\n";
    iobuf in, out;
    int pi[2];
    CHECK(pipe(pi) == 0);
    CHECK(write(pi[1], msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1));
    close(pi[1]);
    got.len = 0;
    io_init(&in, io_read, pi[0], inspace, sizeof inspace);
    io_init(&out, to_got, -1, outspace, sizeof outspace);
    CHECK(mbox_copy(&out, &in) == 0);
    CHECK(io_flush(&out) == 0);
    CHECK(got.len == sizeof want - 1 && !memcmp(got.s, want, got.len));
    close(pi[0]);

    /* a read error */
    io_init(&in, io_read, -1, inspace, sizeof inspace);
    CHECK(mbox_copy(&out, &in) == IO_COPY_RERR);
  }

  /* a write error */
  {
    char inspace[8], outspace[4];
    iobuf in, out;
    int pi[2];
    CHECK(pipe(pi) == 0);
    CHECK(write(pi[1], "From 123456789\n", 15) == 15);
    close(pi[1]);
    io_init(&in, io_read, pi[0], inspace, sizeof inspace);
    io_init(&out, io_write, -1, outspace, sizeof outspace);
    CHECK(mbox_copy(&out, &in) == IO_COPY_WERR);
    close(pi[0]);
  }
  str_free(&got);
  return check_report();
}
