/* smtpcmd.c: SMTP command lines and envelope addresses (see smtpcmd.h).
 * Everything here works on bytes a client sent; nothing trusts them. */
#include <limits.h>
#include <string.h>
#include <strings.h>
#include "cmdline.h"
#include "num.h"
#include "smtpcmd.h"

void smtpcmd_init(struct smtpcmd *c)
{
  c->len = 0;
  c->overlong = 0;
  c->complete = 0;
}

int smtpcmd_feed(struct smtpcmd *c, const char *buf, size_t len, size_t *used)
{
  return cmdline_take(c->line, SMTPCMD_LINE_MAX, &c->len, &c->overlong, &c->complete,
                      buf, len, used) ? SMTPCMD_LINE : SMTPCMD_MORE;
}

static const struct {
  const char *name;
  enum smtpcmd_verb verb;
} verbs[] = {
  { "rcpt", SMTPCMD_RCPT }, { "mail", SMTPCMD_MAIL }, { "data", SMTPCMD_DATA },
  { "quit", SMTPCMD_QUIT }, { "helo", SMTPCMD_HELO }, { "ehlo", SMTPCMD_EHLO },
  { "rset", SMTPCMD_RSET }, { "help", SMTPCMD_HELP }, { "noop", SMTPCMD_NOOP },
  { "vrfy", SMTPCMD_VRFY },
};

int smtpcmd_overlong(const struct smtpcmd *c) { return c->overlong; }

enum smtpcmd_verb smtpcmd_verb(struct smtpcmd *c, const char **arg)
{
  const char *a;
  size_t n;

  /* An overlong line keeps its first bytes: enough for the verb. */
  c->line[c->len] = 0;
  n = strcspn(c->line, " "); /* stops at the first NUL too */
  for (a = c->line + n; *a == ' '; ++a) continue;
  *arg = c->overlong ? "" : a;
  for (size_t i = 0; i < sizeof verbs / sizeof *verbs; ++i)
    if (strlen(verbs[i].name) == n && !strncasecmp(verbs[i].name, c->line, n))
      return verbs[i].verb;
  return SMTPCMD_UNKNOWN;
}

int smtpcmd_iplit(const char *host, size_t len, struct ipaddr *a)
{
  unsigned char ip[4];
  size_t i = 1;

  if (len < 2 || host[0] != '[' || host[len - 1] != ']') return 0;
  if (len > 7 && !strncasecmp(host + 1, "IPv6:", 5)) return ipaddr_literal(host, len, 1, a);
  for (int part = 0; part < 4; ++part) {
    unsigned long long v;
    size_t digits;
    if (part) {
      if (i >= len - 1 || host[i] != '.') return 0;
      ++i;
    }
    digits = num_scan(host + i, len - 1 - i, &v);
    if (!digits || v > 255) return 0;
    ip[part] = (unsigned char)v;
    i += digits;
  }
  if (i != len - 1) return 0;
  ipaddr_v4(a, ip);
  return 1;
}

/* Where the address in a MAIL or RCPT argument starts, as qmail-1.03
 * finds it, and in *terminator what ends it (see smtpcmd.h). */
static const char *addr_start(const char *arg, char *terminator)
{
  const char *p = strchr(arg, '<');

  *terminator = '>';
  if (p) {
    arg = p + 1;
  } else {
    /* No brackets: the first word after the colon. */
    *terminator = ' ';
    p = strchr(arg, ':');
    arg = p ? p + 1 : arg + strlen(arg);
    while (*arg == ' ') ++arg;
  }
  if (*arg == '@') { /* a source route, @a,@b: */
    p = strchr(arg, ':');
    arg = p ? p + 1 : arg + strlen(arg);
  }
  return arg;
}

/* The address from arg (where addr_start left it) up to its terminator,
 * unquoted into out (room for strlen(arg) bytes and a NUL reserved) when
 * out is not 0; returns where it ends (at the terminator or the NUL). */
static const char *addr_scan(const char *arg, char terminator, str *out)
{
  int quoted = 0, escaped = 0;

  for (; *arg; ++arg) {
    char ch = *arg;
    if (escaped) {
      escaped = 0;
    } else {
      if (!quoted && ch == terminator) break;
      if (ch == '\\') {
        escaped = 1;
        continue;
      }
      if (ch == '"') {
        quoted = !quoted;
        continue;
      }
    }
    if (out) out->s[out->len++] = ch;
  }
  if (out) out->s[out->len] = 0;
  return arg;
}

int smtpcmd_addr(const char *arg, str *addr, const str *liphost, smtpcmd_islocal islocal)
{
  char terminator;
  size_t n;
  char *at;

  arg = addr_start(arg, &terminator);
  /* The unquoted address is never longer than what is left of arg. */
  if (!str_copy(addr, "", 0) || !str_reserve(addr, strlen(arg))) return -1;
  addr_scan(arg, terminator, addr);
  n = addr->len;

  at = strrchr(addr->s, '@'); /* arg was a C string: no NUL inside */
  if (liphost && at) {
    struct ipaddr ip;
    size_t hostlen = n - (size_t)(at + 1 - addr->s);
    if (smtpcmd_iplit(at + 1, hostlen, &ip) && islocal(&ip)) {
      str_truncate(addr, (size_t)(at + 1 - addr->s));
      if (!str_catstr(addr, liphost)) return -1;
    }
  }
  return addr->len <= SMTPCMD_ADDR_MAX;
}

int smtpcmd_size(const char *arg, unsigned long long *size)
{
  char terminator;

  /* past the address, by the rules that delimit it */
  arg = addr_start(arg, &terminator);
  arg = addr_scan(arg, terminator, 0);
  if (*arg) ++arg;
  while (*arg) {
    const char *word, *d;
    unsigned long long v = 0;
    while (*arg == ' ') ++arg;
    word = arg;
    while (*arg && *arg != ' ') ++arg;
    /* a parameter follows a space (RFC 1870): not "<a@b>SIZE=5" */
    if (word[-1] != ' ') continue;
    if (arg - word <= 5 || strncasecmp(word, "SIZE=", 5)) continue;
    for (d = word + 5; d < arg && *d >= '0' && *d <= '9'; ++d)
      v = v > (ULLONG_MAX - 9) / 10 ? ULLONG_MAX : v * 10 + (unsigned long long)(*d - '0');
    if (d < arg) continue; /* not a number: ignored, as any parameter */
    *size = v;
    return 1;
  }
  return 0;
}
