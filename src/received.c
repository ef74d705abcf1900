/* received.c: the network servers' Received line (see received.h). */
#include <string.h>
#include "date822.h"
#include "ipaddr.h"
#include "received.h"

static int safecat(str *sa, const char *s)
{
  static const char safe[] = ".@%+/=:-[]";
  for (; *s; ++s) {
    char c = *s;
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             strchr(safe, c);
    if (!str_putc(sa, ok ? c : '?')) return 0;
  }
  return 1;
}

/* An IPv6 address as RFC 5321 writes it in an address literal, with
 * "IPv6:" in front (canonical, RFC 5952); anything else as safecat. */
static int ipcat(str *sa, const char *s)
{
  struct ipaddr a;
  char buf[IPADDR_FMT];
  if (ipaddr_scan(s, strlen(s), 1, &a) && a.family == IPADDR_V6)
    return str_cat(sa, buf, ipaddr_fmt_tagged(buf, &a));
  return safecat(sa, s);
}

int received_line(str *out, const char *proto, const char *local, const char *remoteip,
                  const char *remotehost, const char *remoteinfo, const char *helo, time_t when)
{
  out->len = 0;
  if (!str_cats(out, "Received: from ") || !safecat(out, remotehost)) return 0;
  if (helo && !(str_cats(out, " (HELO ") && safecat(out, helo) && str_putc(out, ')'))) return 0;
  if (!str_cats(out, " (")) return 0;
  if (remoteinfo && !(safecat(out, remoteinfo) && str_putc(out, '@'))) return 0;
  return ipcat(out, remoteip) && str_cats(out, ")\n  by ") && ipcat(out, local) &&
         str_cats(out, " with ") && str_cats(out, proto) && str_cats(out, "; ") &&
         date822_cat(out, when) && str_putc(out, '\n');
}
