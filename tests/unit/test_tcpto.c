/* test_tcpto.c: unit tests for tcpto.c: the record format, qmail-1.03's
 * rules for when a host is skipped, how timeouts are counted and spaced,
 * which slot a new host takes, and the file functions on a scratch
 * QMAILHOME (short, long and missing files); the IPv6 records after
 * qmail-1.03's, in a file of either size. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "tcpto.h"

#define RECLEN 16 /* an IPv4 record */
#define K4 tcpto_kind(IPADDR_V4)
#define K6 tcpto_kind(IPADDR_V6)

static const unsigned char ip1[4] = { 192, 0, 2, 1 }, ip2[4] = { 192, 0, 2, 2 },
                           ip3[4] = { 198, 51, 100, 3 };
static const unsigned char ip6a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

static void put(unsigned char *buf, size_t i, const unsigned char ip[4], unsigned int count,
                unsigned long when)
{
  unsigned char *rec = buf + i * RECLEN;
  memcpy(rec, ip, 4);
  rec[4] = (unsigned char)count;
  for (int k = 0; k < 4; ++k) rec[8 + k] = (unsigned char)(when >> (8 * k));
}

static void test_format(void)
{
  unsigned char rec[RECLEN] = { 1, 2, 3, 4, 7, 0, 0, 0, 0x78, 0x56, 0x34, 0x12 };
  CHECK(tcpto_count(K4, rec) == 7);
  CHECK(tcpto_when(K4, rec) == 0x12345678UL);
  rec[11] = 0xff;
  CHECK(tcpto_when(K4, rec) == 0xff345678UL);
  CHECK(TCPTO_RECORDS == 64);
  CHECK(TCPTO_SIZE4 == 1024 && TCPTO_SIZE == 3072);
  CHECK(K4->start == 0 && K4->reclen == 16);
  CHECK(K6->start == 1024 && K6->reclen == 32 && K6->addrlen == 16);
  {
    unsigned char r6[32] = { 0 };
    memcpy(r6, ip6a, 16);
    r6[16] = 3;
    r6[20] = 0x78;
    r6[23] = 0x12;
    CHECK(tcpto_count(K6, r6) == 3 && tcpto_when(K6, r6) == 0x12000078UL);
    CHECK(tcpto_find(K6, r6, 1, ip6a) == 0);
  }
}

static void test_window(void)
{
  CHECK(tcpto_window(0) == 3840);
  CHECK(tcpto_window(1) == 3904);
  CHECK(tcpto_window(31) == 5824);
  CHECK(tcpto_window(32) == 3840);
  CHECK(tcpto_window(12345) == (60UL + (12345 & 31)) * 64);
}

static void test_find(void)
{
  unsigned char buf[TCPTO_SIZE] = { 0 };
  put(buf, 2, ip1, 1, 0);
  put(buf, 5, ip1, 3, 0);
  put(buf, 7, ip2, 0, 0);
  CHECK(tcpto_find(K4, buf, TCPTO_RECORDS, ip1) == 2);
  CHECK(tcpto_find(K4, buf, TCPTO_RECORDS, ip2) == 7); /* a record with count 0 is still found */
  CHECK(tcpto_find(K4, buf, TCPTO_RECORDS, ip3) == TCPTO_RECORDS);
  CHECK(tcpto_find(K4, buf, 2, ip1) == 2);
  CHECK(tcpto_find(K4, buf, 0, ip1) == 0);
}

static void test_isdown(void)
{
  unsigned char buf[TCPTO_SIZE] = { 0 };
  const unsigned long long t = 1700000000ULL;
  int known = -1;

  CHECK(!tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t, 3840, &known) && known == 0);
  put(buf, 0, ip1, 1, (unsigned long)t);
  CHECK(!tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t, 3840, &known) && known == 1);
  put(buf, 0, ip1, 2, (unsigned long)t);
  CHECK(tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t, 3840, &known) && known == 1);
  CHECK(tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t + 3839, 3840, &known));
  CHECK(!tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t + 3840, 3840, &known) && known == 1);
  CHECK(!tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t - 1, 3840, &known)); /* the future */
  put(buf, 0, ip1, 10, (unsigned long)t);
  CHECK(tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t + 5000, 5824, &known));
  /* Only the first record for an address counts. */
  put(buf, 0, ip1, 0, (unsigned long)t);
  put(buf, 1, ip1, 5, (unsigned long)t);
  CHECK(!tcpto_isdown(K4, buf, TCPTO_RECORDS, ip1, t, 3840, &known) && known == 1);
  /* Records past n do not exist. */
  put(buf, 9, ip3, 5, (unsigned long)t);
  CHECK(!tcpto_isdown(K4, buf, 9, ip3, t, 3840, &known) && known == 0);
  CHECK(tcpto_isdown(K4, buf, 10, ip3, t, 3840, &known) && known == 1);
}

static void test_update_existing(void)
{
  unsigned char buf[TCPTO_SIZE] = { 0 };
  const unsigned long long t = 1700000000ULL;
  size_t i = 99;

  put(buf, 3, ip1, 1, (unsigned long)t);
  buf[3 * RECLEN + 13] = 0x5a; /* unused bytes are kept */
  /* A timeout less than TCPTO_SPACING seconds after the last: no change. */
  CHECK(!tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + TCPTO_SPACING - 1, &i) && i == 99);
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == 1);
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + TCPTO_SPACING, &i) && i == 3);
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == 2);
  CHECK(tcpto_when(K4, buf + 3 * RECLEN) == t + TCPTO_SPACING);
  CHECK(buf[3 * RECLEN + 13] == 0x5a);
  /* A connection clears the count and keeps the time. */
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 0, t + 500, &i) && i == 3);
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == 0);
  CHECK(tcpto_when(K4, buf + 3 * RECLEN) == t + TCPTO_SPACING);
  /* With the count at 0 the next timeout counts at once, in place. */
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + TCPTO_SPACING + 1, &i) && i == 3);
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == 1);
  /* The count stops at TCPTO_COUNTMAX; the time still moves. */
  put(buf, 3, ip1, TCPTO_COUNTMAX, (unsigned long)t);
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + 1000, &i) && i == 3);
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == TCPTO_COUNTMAX);
  CHECK(tcpto_when(K4, buf + 3 * RECLEN) == t + 1000);
  put(buf, 3, ip1, 200, (unsigned long)t); /* a broken count */
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + 1000, &i));
  CHECK(tcpto_count(K4, buf + 3 * RECLEN) == TCPTO_COUNTMAX);
  /* A time after 2106 is kept modulo 2^32, as in the file format. */
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, (1ULL << 32) + 5000, &i));
  CHECK(tcpto_when(K4, buf + 3 * RECLEN) == 5000);
}

static void test_update_new(void)
{
  unsigned char buf[TCPTO_SIZE] = { 0 };
  const unsigned long long t = 1700000000ULL;
  size_t i = 99;

  /* A host that answers gets no record. */
  CHECK(!tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 0, t, &i) && i == 99);
  CHECK(!tcpto_update(K4, buf, 0, ip1, 1, t, &i) && i == 99);
  /* A timeout: the first free slot, count 1. */
  put(buf, 0, ip2, 1, (unsigned long)t);
  put(buf, 1, ip3, 0, 77);
  buf[1 * RECLEN + 6] = 0x33;
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t, &i) && i == 1);
  CHECK(!memcmp(buf + RECLEN, ip1, 4));
  CHECK(tcpto_count(K4, buf + RECLEN) == 1);
  CHECK(tcpto_when(K4, buf + RECLEN) == t);
  CHECK(buf[RECLEN + 6] == 0x33);
  CHECK(tcpto_find(K4, buf, TCPTO_RECORDS, ip3) == TCPTO_RECORDS);
}

static void test_eviction(void)
{
  unsigned char buf[TCPTO_SIZE] = { 0 };
  const unsigned long t = 1000000000UL;
  size_t i = 99;

  unsigned char ip[4] = { 10, 0, 0, 0 };

  for (size_t k = 0; k < TCPTO_RECORDS; ++k) {
    ip[3] = (unsigned char)k;
    put(buf, k, ip, 1, t + k * 10);
  }
  /* The least time plus 1024 seconds per timeout goes: slot 5, whose
   * time is 2000 seconds earlier but which counts two timeouts. */
  ip[3] = 5;
  put(buf, 5, ip, 2, t - 2000);
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip1, 1, t + 5000, &i) && i == 5);
  CHECK(!memcmp(buf + 5 * RECLEN, ip1, 4));
  CHECK(tcpto_count(K4, buf + 5 * RECLEN) == 1);
  /* Slot 5 is now the newest, slot 0 the oldest. */
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip2, 1, t + 6000, &i) && i == 0);
  /* Among equals, the first. */
  for (size_t k = 0; k < TCPTO_RECORDS; ++k) {
    ip[3] = (unsigned char)k;
    put(buf, k, ip, 3, t);
  }
  CHECK(tcpto_update(K4, buf, TCPTO_RECORDS, ip3, 1, t, &i) && i == 0);
  /* Only the first n records are candidates. */
  for (size_t k = 0; k < TCPTO_RECORDS; ++k) {
    ip[3] = (unsigned char)k;
    put(buf, k, ip, 1, t + 100 - k);
  }
  CHECK(tcpto_update(K4, buf, 10, ip1, 1, t, &i) && i == 9);
}

/* ---- the file, in a scratch QMAILHOME ---- */

static void writefile(const char *fn, const unsigned char *data, size_t len)
{
  int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd != -1);
  CHECK(write(fd, data, len) == (ssize_t)len);
  close(fd);
}

static size_t readfile(const char *fn, unsigned char *data, size_t max)
{
  int fd = open(fn, O_RDONLY);
  ssize_t r;
  CHECK(fd != -1);
  r = read(fd, data, max);
  close(fd);
  return r < 0 ? 0 : (size_t)r;
}

static void test_file(void)
{
  char dir[] = "/tmp/test_tcpto.XXXXXX";
  unsigned char buf[TCPTO_SIZE * 2] = { 0 }, got[TCPTO_SIZE];
  unsigned long long now = (unsigned long long)time(0);
  size_t n = 99, n6 = 99;
  int known = -1, fd;
  struct ipaddr a1, a2;

  ipaddr_v4(&a1, ip1);
  ipaddr_v4(&a2, ip2);
  CHECK(mkdtemp(dir) != 0);
  CHECK(chdir(dir) == 0);
  /* No file: nothing is known, nothing can be recorded. */
  CHECK(tcpto_skip(&a1, &known) == 0 && known == 0);
  CHECK(tcpto_result(&a1, 1, 0) == -1);
  CHECK(tcpto_open(TCPTO_FILE) == -1);
  CHECK(mkdir("queue", 0755) == 0 && mkdir("queue/lock", 0755) == 0);
  writefile(TCPTO_FILE, buf, TCPTO_SIZE);

  CHECK(tcpto_skip(&a1, &known) == 0 && known == 0);
  /* An answer from a host without a record does not touch the file. */
  CHECK(tcpto_result(&a1, 0, 0) == 0);
  CHECK(tcpto_result(&a1, 1, 0) == 0);
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == TCPTO_SIZE);
  CHECK(!memcmp(got, ip1, 4) && tcpto_count(K4, got) == 1);
  CHECK(tcpto_when(K4, got) + 5 >= now && tcpto_when(K4, got) <= now + 5);
  CHECK(tcpto_skip(&a1, &known) == 0 && known == 1);
  /* Two timeouts spaced out: skipped. */
  put(got, 0, ip1, 2, (unsigned long)now);
  writefile(TCPTO_FILE, got, TCPTO_SIZE);
  CHECK(tcpto_skip(&a1, &known) == 1 && known == 1);
  CHECK(tcpto_skip(&a2, &known) == 0 && known == 0);
  CHECK(tcpto_result(&a1, 0, 1) == 0);
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == TCPTO_SIZE && tcpto_count(K4, got) == 0);
  CHECK(tcpto_skip(&a1, &known) == 0 && known == 1);

  /* tcpto_load: whole records only, TCPTO_SIZE bytes at most. */
  writefile(TCPTO_FILE, buf, 40);
  fd = tcpto_open(TCPTO_FILE);
  CHECK(fd != -1);
  CHECK(tcpto_load(fd, got, &n, &n6) == 0 && n == 2 && n6 == 0);
  close(fd);
  writefile(TCPTO_FILE, buf, sizeof buf);
  fd = tcpto_open(TCPTO_FILE);
  CHECK(tcpto_load(fd, got, &n, &n6) == 0 && n == TCPTO_RECORDS && n6 == TCPTO_RECORDS);
  close(fd);
  writefile(TCPTO_FILE, buf, 0);
  CHECK(tcpto_result(&a1, 1, 0) == 0); /* an empty table has no slot */
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == 0);
  CHECK(tcpto_load(-1, got, &n, &n6) == -1);

  CHECK(unlink(TCPTO_FILE) == 0 && rmdir("queue/lock") == 0 && rmdir("queue") == 0);
  CHECK(chdir("/") == 0 && rmdir(dir) == 0);
}

/* IPv6 hosts: records after qmail-1.03's 1024 bytes, which stay as
 * they were; a file of qmail-1.03's size grows by the records written. */
static void test_ipv6_file(void)
{
  char dir[] = "/tmp/test_tcpto6.XXXXXX";
  unsigned char old[TCPTO_SIZE4], got[TCPTO_SIZE + 64];
  unsigned long long now = (unsigned long long)time(0);
  struct ipaddr a6, b6, a1;
  int known = -1;
  size_t n4, n6;
  int fd;

  ipaddr_v6(&a6, ip6a);
  b6 = a6;
  b6.ip[15] = 2;
  ipaddr_v4(&a1, ip1);
  memset(old, 0, sizeof old);
  put(old, 0, ip1, 1, 1000); /* a qmail-1.03 file with one record */
  CHECK(mkdtemp(dir) != 0);
  CHECK(chdir(dir) == 0);
  CHECK(mkdir("queue", 0755) == 0 && mkdir("queue/lock", 0755) == 0);
  writefile(TCPTO_FILE, old, sizeof old);

  CHECK(tcpto_skip(&a6, &known) == 0 && known == 0);
  CHECK(tcpto_result(&a6, 1, 0) == 0);
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == TCPTO_SIZE4 + 32);
  CHECK(!memcmp(got, old, sizeof old)); /* what qmail-1.03 reads is untouched */
  CHECK(!memcmp(got + TCPTO_SIZE4, ip6a, 16) && tcpto_count(K6, got + TCPTO_SIZE4) == 1);
  CHECK(tcpto_when(K6, got + TCPTO_SIZE4) + 5 >= now);
  CHECK(tcpto_skip(&a6, &known) == 0 && known == 1);
  CHECK(tcpto_skip(&b6, &known) == 0 && known == 0);
  /* the IPv4 host with the same leading bytes is another host */
  CHECK(tcpto_skip(&a1, &known) == 0 && known == 1);
  /* a second timeout, spaced out: skipped */
  got[TCPTO_SIZE4 + 16] = 2;
  writefile(TCPTO_FILE, got, TCPTO_SIZE4 + 32);
  CHECK(tcpto_skip(&a6, &known) == 1 && known == 1);
  CHECK(tcpto_result(&b6, 1, 0) == 0); /* the next free slot */
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == TCPTO_SIZE4 + 64);
  CHECK(!memcmp(got + TCPTO_SIZE4 + 32, b6.ip, 16));
  fd = tcpto_open(TCPTO_FILE);
  CHECK(fd != -1 && tcpto_load(fd, got, &n4, &n6) == 0 && n4 == TCPTO_RECORDS && n6 == 2);
  close(fd);
  CHECK(tcpto_result(&a6, 0, 1) == 0); /* answered: count 0 */
  CHECK(readfile(TCPTO_FILE, got, sizeof got) == TCPTO_SIZE4 + 64 &&
        tcpto_count(K6, got + TCPTO_SIZE4) == 0);
  CHECK(tcpto_skip(&a6, &known) == 0 && known == 1);

  CHECK(unlink(TCPTO_FILE) == 0 && rmdir("queue/lock") == 0 && rmdir("queue") == 0);
  CHECK(chdir("/") == 0 && rmdir(dir) == 0);
}

int main(void)
{
  RUN(test_format);
  RUN(test_window);
  RUN(test_find);
  RUN(test_isdown);
  RUN(test_update_existing);
  RUN(test_update_new);
  RUN(test_eviction);
  RUN(test_file);
  RUN(test_ipv6_file);
  return check_report();
}
