/* ipme.c: this host's IPv4 addresses (see ipme.h), from the SIOCGIFCONF
 * and SIOCGIFFLAGS ioctls: qmail-smtpd builds the list at every start,
 * and these ask for addresses and flags only, where getifaddrs would
 * fetch every interface's statistics too. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ipme.h"
#include "safemath.h"
#include "str.h"

#define IFCONF_MAX (1024 * 1024) /* bytes of interface list: 26214 entries */

static struct dns_iplist me = DNS_IPLIST_INIT;
static int ok;

static int has(const unsigned char ip[4])
{
  for (size_t i = 0; i < me.len; ++i)
    if (!memcmp(me.ix[i].ip, ip, 4)) return 1;
  return 0;
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
  static const unsigned char any[4] = { 0, 0, 0, 0 }, loopback[4] = { 127, 0, 0, 1 };
  str buf = STR_INIT;
  size_t len = 0;
  int s, r;

  if (ok) return 1;
  me.len = 0;
  if (!dns_iplist_add(&me, any, 0)) return 0;
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
      if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) r = -1;
      else if ((ifr.ifr_flags & IFF_UP) && !dns_iplist_add(&me, ip, 0)) r = 0;
    }
  }
  close(s);
  str_free(&buf);
  if (r == 1 && !has(loopback) && !dns_iplist_add(&me, loopback, 0)) r = 0;
  ok = r == 1;
  return r;
}

const struct dns_iplist *ipme_list(void) { return &me; }

int ipme_is(const unsigned char ip[4])
{
  int r = ipme_init();
  if (r != 1) return -1;
  return has(ip);
}
