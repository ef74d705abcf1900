/* ipme.c: this host's addresses (see ipme.h): IPv4 from the SIOCGIFCONF
 * and SIOCGIFFLAGS ioctls, IPv6 from Linux's /proc/net/if_inet6 and the
 * same flags. These ask for addresses and flags only, where getifaddrs
 * would fetch every interface's statistics too. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "io.h"
#include "ipme.h"
#include "num.h"
#include "open.h"
#include "safemath.h"
#include "str.h"

#define IFCONF_MAX (1024 * 1024) /* bytes of interface list: 26214 entries */
#define INET6_FILE "/proc/net/if_inet6"
#define INET6_MAX (4 * 1024 * 1024) /* a longer one is an error: 73000 addresses */

static struct dns_iplist me = DNS_IPLIST_INIT;
static int ok;

static int has(const struct ipaddr *a)
{
  for (size_t i = 0; i < me.len; ++i)
    if (ipaddr_equal(&me.ix[i].addr, a)) return 1;
  return 0;
}

/* Add a unless it is there: 1, or 0 out of memory. */
static int add(const struct ipaddr *a) { return has(a) || dns_iplist_add(&me, a, 0); }

/* 1 if the interface called name is up, 0 if not, -1 on a failed ioctl. */
static int up(int s, const char *name, size_t len)
{
  struct ifreq ifr;
  if (len >= sizeof ifr.ifr_name) return 0;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) return errno == ENXIO || errno == ENODEV ? 0 : -1;
  return (ifr.ifr_flags & IFF_UP) != 0;
}

/* The IPv6 addresses of the interfaces that are up, from INET6_FILE
 * (lines of 32 hex digits, index, prefix length, scope, flags, name);
 * none when the system has no IPv6. 1, 0 out of memory, -1 on error. */
static int inet6(int s)
{
  str text = STR_INIT;
  int fd = open_read(INET6_FILE), r = 1;
  size_t at = 0;

  if (fd == -1) return errno == ENOENT ? 1 : -1;
  if (io_readall(fd, &text, INET6_MAX) == -1) r = errno == ENOMEM ? 0 : -1;
  close(fd);
  while (r == 1 && at < text.len) {
    const char *line = text.s + at, *nl = memchr(line, '\n', text.len - at);
    size_t len = nl ? (size_t)(nl - line) : text.len - at, name;
    unsigned char ip[16];
    struct ipaddr a;
    int ok = len > 32;

    at += len + 1;
    for (size_t k = 0; ok && k < 32; ++k) {
      int hi = num_hexdigit(line[k]);
      if (hi < 0) ok = 0;
      else if (k % 2) ip[k / 2] = (unsigned char)(ip[k / 2] << 4 | hi);
      else ip[k / 2] = (unsigned char)hi;
    }
    if (!ok) continue;
    /* the interface name is the last word */
    for (name = len; name > 32 && line[name - 1] != ' '; --name) continue;
    r = up(s, line + name, len - name);
    if (r == 1) {
      ipaddr_v6(&a, ip);
      if (!add(&a)) r = 0;
    } else if (r == 0) {
      r = 1;
    }
  }
  str_free(&text);
  return r;
}

/* The interface list into buf (*len bytes of struct ifreq): 1, 0 out of
 * memory (or a list beyond IFCONF_MAX), -1 on a failed ioctl. */
static int ifconf(int s, str *buf, size_t *len)
{
  size_t room = 64 * sizeof(struct ifreq);

  for (;;) {
    struct ifconf ifc;
    if (!str_reserve(buf, room)) return 0;
    ifc.ifc_len = (int)room;
    ifc.ifc_buf = buf->s;
    if (ioctl(s, SIOCGIFCONF, &ifc) == -1) return -1;
    /* a full buffer may have cut the list short: ask again with more */
    if ((size_t)ifc.ifc_len + sizeof(struct ifreq) <= room) {
      *len = (size_t)ifc.ifc_len;
      return 1;
    }
    if (room >= IFCONF_MAX || !size_mul(room, 2, &room)) return 0;
  }
}

int ipme_init(void)
{
  static const unsigned char any[16], loopback4[4] = { 127, 0, 0, 1 };
  static const unsigned char loopback6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  struct ipaddr a;
  str buf = STR_INIT;
  size_t len = 0;
  int s, r;

  if (ok) return 1;
  me.len = 0;
  ipaddr_v4(&a, any);
  if (!add(&a)) return 0;
  s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s == -1) return errno == ENOMEM || errno == ENOBUFS ? 0 : -1;
  r = ifconf(s, &buf, &len);
  for (size_t at = 0; r == 1 && at + sizeof(struct ifreq) <= len; at += sizeof(struct ifreq)) {
    struct ifreq ifr;
    memcpy(&ifr, buf.s + at, sizeof ifr);
    if (ifr.ifr_addr.sa_family != AF_INET) continue;
    {
      const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)&ifr.ifr_addr;
      unsigned char ip[4];
      memcpy(ip, &sin->sin_addr, 4);
      ipaddr_v4(&a, ip);
      if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) r = -1;
      else if ((ifr.ifr_flags & IFF_UP) && !dns_iplist_add(&me, &a, 0)) r = 0;
    }
  }
  ipaddr_v4(&a, loopback4);
  if (r == 1 && !add(&a)) r = 0;
  /* IPv6: "::" (this host, RFC 4291 2.5.2) first, ::1 last if missing */
  ipaddr_v6(&a, any);
  if (r == 1 && !add(&a)) r = 0;
  if (r == 1) r = inet6(s);
  ipaddr_v6(&a, loopback6);
  if (r == 1 && !add(&a)) r = 0;
  close(s);
  str_free(&buf);
  ok = r == 1;
  return r;
}

const struct dns_iplist *ipme_list(void) { return &me; }

int ipme_is(const struct ipaddr *a)
{
  int r = ipme_init();
  if (r != 1) return -1;
  return has(a);
}
