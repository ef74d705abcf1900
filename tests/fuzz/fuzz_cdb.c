/* fuzz_cdb.c: libFuzzer target for the cdb reader and writer (cdb.h).
 * 1. The input is taken as a database and looked up (fixed keys and keys
 *    cut from the input), through the mapping or through pread: any
 *    result is fine as long as nothing reads out of range or hangs.
 * 2. The input is cut into records (klen byte, dlen byte, key, data),
 *    written with cdb_make and read back: every record must be found.
 * Build: `make fuzz` (tests/run does, with B=build-fuzz), or by hand:
 *   clang -g -O1 -fsanitize=fuzzer,address -Isrc -o fuzz_cdb \
 *     tests/fuzz/fuzz_cdb.c src/cdb.c src/cdbmake.c src/io.c src/str.c src/num.c
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cdb.h"
#include "fuzz_common.h"

static int put_all(int fd, const uint8_t *p, size_t len)
{
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w <= 0) return -1;
    p += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Every record found for key (bounded), its data read in full. */
static void look(struct cdb *c, const void *key, size_t len)
{
  int i, r = cdb_find(c, key, len);
  for (i = 0; i < 64 && r == 1; i++) {
    uint32_t dlen = cdb_datalen(c);
    char *buf = malloc(dlen ? dlen : 1);
    if (!buf) abort();
    /* findnext checked that the data lies inside the file. */
    if (cdb_read(c, buf, dlen, cdb_datapos(c)) == -1) abort();
    free(buf);
    r = cdb_findnext(c, key, len);
  }
}

static void as_database(const uint8_t *data, size_t size, int use_pread)
{
  static const char *const keys[] = { "", "one", "127.0.0.1", "a", "root", "localhost" };
  struct cdb c;
  size_t i;
  int fd = scratch_fd();

  if (fd == -1) return;
  if (put_all(fd, data, size) == -1 || cdb_init(&c, fd) == -1) {
    close(fd);
    return;
  }
  if (use_pread && c.map) {
    munmap((void *)c.map, c.size);
    c.map = 0;
  }
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) look(&c, keys[i], strlen(keys[i]));
  /* Keys cut from the input itself, so tables can be aimed at. */
  for (i = 0; i + 1 < size && i < 4096; i += 1 + data[i] % 64) {
    size_t n = data[i] % 16;
    if (n > size - i - 1) n = size - i - 1;
    look(&c, data + i + 1, n);
  }
  cdb_free(&c);
  close(fd);
}

/* 1 if some record for key has exactly this data. */
static int has(struct cdb *c, const uint8_t *key, size_t klen, const uint8_t *d, size_t dlen)
{
  int r = cdb_find(c, key, klen);
  while (r == 1) {
    if (cdb_datalen(c) == dlen) {
      char *buf = malloc(dlen ? dlen : 1);
      int same;
      if (!buf) abort();
      if (cdb_read(c, buf, dlen, cdb_datapos(c)) == -1) abort();
      same = !dlen || !memcmp(buf, d, dlen);
      free(buf);
      if (same) return 1;
    }
    r = cdb_findnext(c, key, klen);
  }
  if (r == -1) abort(); /* our own database must never look corrupt */
  return 0;
}

static void round_trip(const uint8_t *data, size_t size)
{
  struct cdb_make m;
  struct cdb c;
  size_t i;
  int fd = scratch_fd();

  if (fd == -1) return;
  if (cdb_make_start(&m, fd) == -1) abort();
  for (i = 0; i + 2 <= size;) {
    size_t klen = data[i], dlen = data[i + 1];
    if (klen + dlen > size - i - 2) break;
    if (cdb_make_add(&m, data + i + 2, klen, data + i + 2 + klen, dlen) == -1) abort();
    i += 2 + klen + dlen;
  }
  if (cdb_make_finish(&m) == -1) abort();
  if (cdb_init(&c, fd) == -1) abort();
  for (i = 0; i + 2 <= size;) {
    size_t klen = data[i], dlen = data[i + 1];
    if (klen + dlen > size - i - 2) break;
    if (!has(&c, data + i + 2, klen, data + i + 2 + klen, dlen)) abort();
    i += 2 + klen + dlen;
  }
  cdb_free(&c);
  close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  as_database(data, size, size && (data[size - 1] & 1));
  round_trip(data, size);
  return 0;
}
