/* ipme.c: this host's IPv4 addresses (see ipme.h), from getifaddrs. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include "ipme.h"

static struct dns_iplist me = DNS_IPLIST_INIT;
static int ok;

static int has(const unsigned char ip[4])
{
  for (size_t i = 0; i < me.len; ++i)
    if (!memcmp(me.ix[i].ip, ip, 4)) return 1;
  return 0;
}

int ipme_init(void)
{
  static const unsigned char any[4] = { 0, 0, 0, 0 }, loopback[4] = { 127, 0, 0, 1 };
  struct ifaddrs *list, *ifa;
  int r = 1;

  if (ok) return 1;
  me.len = 0;
  if (!dns_iplist_add(&me, any, 0)) return 0;
  if (getifaddrs(&list) == -1) return errno == ENOMEM ? 0 : -1;
  for (ifa = list; r == 1 && ifa; ifa = ifa->ifa_next) {
    const struct sockaddr_in *sin;
    if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
    if (!(ifa->ifa_flags & IFF_UP)) continue;
    sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
    if (!dns_iplist_add(&me, (const unsigned char *)&sin->sin_addr, 0)) r = 0;
  }
  freeifaddrs(list);
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
