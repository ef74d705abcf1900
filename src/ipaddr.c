/* ipaddr.c: IPv4 and IPv6 addresses and their text forms (see ipaddr.h). */
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include "ipaddr.h"
#include "num.h"

static int digit(char c) { return c >= '0' && c <= '9'; }

size_t ip4_fmt(char buf[IP4_FMT], const unsigned char ip[4])
{
  size_t n = 0;
  for (int k = 0; k < 4; ++k) {
    if (k) buf[n++] = '.';
    n += num_fmt(buf + n, ip[k]);
  }
  return n;
}

size_t ip4_scan(const char *s, size_t len, unsigned char ip[4])
{
  size_t i = 0;
  for (int k = 0; k < 4; ++k) {
    unsigned int v = 0;
    size_t d = 0;
    if (k) {
      if (i >= len || s[i] != '.') return 0;
      ++i;
    }
    for (; i < len && d < 3 && digit(s[i]); ++i, ++d) v = v * 10 + (unsigned int)(s[i] - '0');
    if (!d || v > 255 || (i < len && digit(s[i]))) return 0;
    ip[k] = (unsigned char)v;
  }
  return i;
}

/* One group of 1 to 4 hex digits at s[*i]: its value, *i moved past it;
 * -1 (and *i unchanged) if there is none. */
static long group_at(const char *s, size_t len, size_t *i)
{
  long v = 0;
  size_t d = 0;
  int h;
  while (*i + d < len && d < 4 && (h = num_hexdigit(s[*i + d])) >= 0) {
    v = v * 16 + h;
    ++d;
  }
  if (!d) return -1;
  *i += d;
  return v;
}

size_t ip6_scan(const char *s, size_t len, unsigned char ip[16])
{
  unsigned int words[8];
  size_t n = 0, i = 0, used = 0;
  int gap = -1; /* where "::" stands, in groups */

  if (len >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = used = 2;
  }
  while (n < 8) {
    unsigned char quad[4];
    size_t q;
    long v;

    /* a dotted quad in place of the last two groups */
    if ((gap < 0 ? n == 6 : n <= 5) && (q = ip4_scan(s + i, len - i, quad)) != 0) {
      words[n++] = (unsigned int)quad[0] << 8 | quad[1];
      words[n++] = (unsigned int)quad[2] << 8 | quad[3];
      used = i + q;
      break;
    }
    if ((v = group_at(s, len, &i)) < 0) break;
    words[n++] = (unsigned int)v;
    used = i;
    if (n == 8 || (gap >= 0 && n == 7)) break;
    if (gap < 0 && i + 1 < len && s[i] == ':' && s[i + 1] == ':') {
      gap = (int)n;
      i += 2;
      used = i;
    } else if (i + 1 < len && s[i] == ':' && num_hexdigit(s[i + 1]) >= 0) {
      ++i; /* a single colon counts only with a group after it */
    } else {
      break;
    }
  }
  if (gap < 0 ? n != 8 : n > 7) return 0;
  memset(ip, 0, 16);
  for (size_t k = 0; k < n; ++k) {
    size_t at = gap >= 0 && k >= (size_t)gap ? k + 8 - n : k; /* after "::": right-aligned */
    ip[2 * at] = (unsigned char)(words[k] >> 8);
    ip[2 * at + 1] = (unsigned char)words[k];
  }
  return used;
}

size_t ip6_fmt(char buf[IP6_FMT], const unsigned char ip[16])
{
  static const char hex[] = "0123456789abcdef";
  static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  unsigned int g[8];
  int best = -1, bestlen = 1, groups = 8;
  size_t n = 0;

  for (int k = 0; k < 8; ++k) g[k] = (unsigned int)ip[2 * k] << 8 | ip[2 * k + 1];
  if (!memcmp(ip, mapped, 12)) groups = 6; /* ::ffff:d.d.d.d */
  for (int k = 0; k < groups;) { /* the longest run of zero groups, 2 or more */
    int run = 0;
    while (k + run < groups && !g[k + run]) ++run;
    if (run > bestlen) {
      best = k;
      bestlen = run;
    }
    k += run ? run : 1;
  }
  for (int k = 0; k < groups; ++k) {
    if (k == best) {
      buf[n++] = ':';
      buf[n++] = ':';
      k += bestlen - 1;
      continue;
    }
    if (k && k != best + bestlen) buf[n++] = ':';
    for (int shift = 12, started = 0; shift >= 0; shift -= 4) {
      unsigned int d = (g[k] >> shift) & 15;
      if (!started && !d && shift) continue; /* no leading zeros */
      started = 1;
      buf[n++] = hex[d];
    }
  }
  if (groups == 6) {
    if (best + bestlen != 6) buf[n++] = ':';
    n += ip4_fmt(buf + n, ip + 12);
  }
  return n;
}

void ipaddr_v4(struct ipaddr *a, const unsigned char ip[4])
{
  memset(a, 0, sizeof *a);
  a->family = IPADDR_V4;
  memcpy(a->ip, ip, 4);
}

void ipaddr_v6(struct ipaddr *a, const unsigned char ip[16])
{
  a->family = IPADDR_V6;
  memcpy(a->ip, ip, 16);
}

int ipaddr_equal(const struct ipaddr *a, const struct ipaddr *b)
{
  return a->family == b->family && !memcmp(a->ip, b->ip, a->family == IPADDR_V6 ? 16 : 4);
}

size_t ipaddr_fmt(char buf[IPADDR_FMT], const struct ipaddr *a)
{
  return a->family == IPADDR_V6 ? ip6_fmt(buf, a->ip) : ip4_fmt(buf, a->ip);
}

size_t ipaddr_fmt_tagged(char buf[IPADDR_FMT], const struct ipaddr *a)
{
  if (a->family != IPADDR_V6) return ip4_fmt(buf, a->ip);
  memcpy(buf, "IPv6:", 5);
  return 5 + ip6_fmt(buf + 5, a->ip);
}

int ipaddr_scan(const char *s, size_t len, int allow6, struct ipaddr *a)
{
  unsigned char ip[16];
  if (len && ip4_scan(s, len, ip) == len) {
    ipaddr_v4(a, ip);
    return 1;
  }
  if (allow6 && len && ip6_scan(s, len, ip) == len) {
    ipaddr_v6(a, ip);
    return 1;
  }
  return 0;
}

int ipaddr_literal(const char *s, size_t len, int allow6, struct ipaddr *a)
{
  unsigned char ip[16];
  if (len < 3 || s[0] != '[' || s[len - 1] != ']') return 0;
  if (ip4_scan(s + 1, len - 2, ip) == len - 2) {
    ipaddr_v4(a, ip);
    return 1;
  }
  if (allow6 && len > 7 && !strncasecmp(s + 1, "IPv6:", 5) && ip6_scan(s + 6, len - 7, ip) == len - 7) {
    ipaddr_v6(a, ip);
    return 1;
  }
  return 0;
}

socklen_t ipaddr_sockaddr(struct sockaddr_storage *ss, const struct ipaddr *a, unsigned int port)
{
  memset(ss, 0, sizeof *ss);
  if (a->family == IPADDR_V6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((unsigned short)port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    return sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((unsigned short)port);
    memcpy(&s4->sin_addr.s_addr, a->ip, 4);
    return sizeof *s4;
  }
}
