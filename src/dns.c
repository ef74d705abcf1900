/* dns.c: the stub resolver (see dns.h and doc/DNS.md). Queries go by UDP
 * from a fresh socket on a random port with a random identifier; a reply
 * counts only if it comes from the server asked (the socket is connected,
 * so the kernel drops datagrams from anywhere else) and carries the same
 * identifier and question. A truncated reply is asked again over TCP. The
 * messages themselves are taken apart by dnspacket. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "dns.h"
#include "err.h"
#include "io.h"
#include "dnspacket.h"
#include "num.h"
#include "open.h"
#include "safemath.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define CONF_MAX 65536      /* a longer resolv.conf is not one */
#define EDNS_SIZE 4096      /* UDP payload announced with options edns0 */

/* ---- address lists and dotted quads ---- */

int dns_iplist_add(struct dns_iplist *l, const struct ipaddr *a, unsigned int pref)
{
  if (l->len == l->cap) {
    size_t cap, bytes;
    struct dns_ipmx *more;
    if (!size_add(l->cap, l->cap / 2 + 8, &cap) || !size_mul(cap, sizeof *l->ix, &bytes))
      return 0;
    more = realloc(l->ix, bytes);
    if (!more) return 0;
    l->ix = more;
    l->cap = cap;
  }
  l->ix[l->len].addr = *a;
  l->ix[l->len].pref = pref;
  l->len++;
  return 1;
}

void dns_iplist_free(struct dns_iplist *l)
{
  free(l->ix);
  l->ix = 0;
  l->len = l->cap = 0;
}

/* 1 if s is exactly an address (IPv6 only when want says so), bare or
 * as a literal in brackets, stored in a. */
static int literal_ip(const str *s, int want, struct ipaddr *a)
{
  int v6 = (want & DNS_WANT_V6) != 0;
  if (!ipaddr_scan(s->s, s->len, v6, a) && !ipaddr_literal(s->s, s->len, v6, a)) return 0;
  return a->family == IPADDR_V6 || (want & DNS_WANT_V4) || !v6;
}

/* ---- configuration ---- */

/* A server to ask: its address (IPv4 or IPv6) and port 53. */
struct nameserver {
  struct sockaddr_storage sa;
  socklen_t len;
};

/* ns's address a, port 53. */
static void nameserver_set(struct nameserver *ns, const struct ipaddr *a)
{
  ns->len = ipaddr_sockaddr(&ns->sa, a, 53);
}

static struct {
  struct nameserver ns[DNS_MAXNS];
  size_t nns;
  unsigned int timeout, attempts, ndots;
  int edns;
  unsigned char search[DNS_MAXSEARCH][DNSP_NAMEMAX];
  size_t nsearch;
  int flagsearch, ready;
} conf;

static int space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* The next word of line[*i..len) into *w, *wl; 0 at the end. */
static int word(const char *line, size_t len, size_t *i, const char **w, size_t *wl)
{
  while (*i < len && space(line[*i])) ++*i;
  if (*i >= len) return 0;
  *w = line + *i;
  while (*i < len && !space(line[*i])) ++*i;
  *wl = (size_t)(line + *i - *w);
  return 1;
}

static int word_is(const char *w, size_t wl, const char *s)
{
  return wl == strlen(s) && !memcmp(w, s, wl);
}

/* "name:N" with N clamped to lo..hi into *v; 1 if w was that option. */
static int option_num(const char *w, size_t wl, const char *name, unsigned int lo,
                      unsigned int hi, unsigned int *v)
{
  size_t nl = strlen(name);
  unsigned long long n;
  if (wl <= nl || memcmp(w, name, nl)) return 0;
  if (num_scan(w + nl, wl - nl, &n) != wl - nl) return 1;
  *v = n < lo ? lo : n > hi ? hi : (unsigned int)n;
  return 1;
}

static void add_search(const char *w, size_t wl)
{
  if (conf.nsearch < DNS_MAXSEARCH &&
      dnsp_name_fromtext(conf.search[conf.nsearch], w, wl) == DNSP_OK &&
      conf.search[conf.nsearch][0])
    conf.nsearch++;
}

/* One line of resolv.conf; *domains notes a domain or search line. */
static void conf_line(const char *line, size_t len, int *domains)
{
  const char *w;
  size_t wl, i = 0;

  if (!word(line, len, &i, &w, &wl) || w[0] == '#' || w[0] == ';') return;
  if (word_is(w, wl, "nameserver")) {
    struct ipaddr a;
    if (conf.nns == DNS_MAXNS || !word(line, len, &i, &w, &wl)) return;
    /* a dotted quad or an IPv6 address; not a link-local one with a
     * zone ("fe80::1%eth0") */
    if (!ipaddr_scan(w, wl, 1, &a)) return;
    nameserver_set(&conf.ns[conf.nns++], &a);
  } else if (word_is(w, wl, "domain") || word_is(w, wl, "search")) {
    /* The last of these lines counts, as with glibc. */
    int one = word_is(w, wl, "domain");
    *domains = 1;
    conf.nsearch = 0;
    while (word(line, len, &i, &w, &wl)) {
      add_search(w, wl);
      if (one) break;
    }
  } else if (word_is(w, wl, "options")) {
    while (word(line, len, &i, &w, &wl)) {
      if (option_num(w, wl, "timeout:", 1, 30, &conf.timeout)) continue;
      if (option_num(w, wl, "attempts:", 1, 5, &conf.attempts)) continue;
      if (option_num(w, wl, "ndots:", 0, 15, &conf.ndots)) continue;
      if (word_is(w, wl, "edns0")) conf.edns = 1;
    }
  }
}

int dns_init(int flagsearch)
{
  str text = STR_INIT;
  int fd, domains = 0;

  memset(&conf, 0, sizeof conf);
  conf.timeout = 5;
  conf.attempts = 2;
  conf.ndots = 1;
  conf.flagsearch = flagsearch;
  fd = open_read(RESOLV_CONF);
  if (fd == -1 && errno != ENOENT) return DNS_SOFT;
  if (fd != -1) {
    int r = io_readall(fd, &text, CONF_MAX);
    int e = errno;
    close(fd);
    if (r == -1) {
      str_free(&text);
      return e == ENOMEM ? DNS_MEM : DNS_SOFT;
    }
    for (size_t i = 0; i < text.len;) {
      size_t j = i;
      while (j < text.len && text.s[j] != '\n') ++j;
      conf_line(text.s + i, j - i, &domains);
      i = j + 1;
    }
    str_free(&text);
  }
  if (!conf.nns) {
    static const unsigned char loopback[4] = { 127, 0, 0, 1 };
    struct ipaddr a;
    ipaddr_v4(&a, loopback);
    nameserver_set(&conf.ns[0], &a);
    conf.nns = 1;
  }
  if (!domains) {
    /* As glibc: the local domain is what follows the host name's first
     * dot. */
    char host[256];
    const char *dot;
    if (gethostname(host, sizeof host) == 0) {
      host[sizeof host - 1] = 0;
      dot = strchr(host, '.');
      if (dot && dot[1]) add_search(dot + 1, strlen(dot + 1));
    }
  }
  conf.ready = 1;
  return 0;
}

static int ready(void)
{
  return conf.ready ? 0 : dns_init(0);
}

/* ---- randomness for identifiers, ports and exchanger order ---- */

static uint64_t mix64(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static unsigned int random16(void)
{
  static unsigned char pool[256];
  static size_t left;
  static uint64_t fallback;

  if (left < 2) {
    if (getrandom(pool, sizeof pool, GRND_NONBLOCK) != (ssize_t)sizeof pool) {
      /* No kernel randomness yet: the clock and pid, well mixed. */
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      fallback = mix64(fallback ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^
                       (uint64_t)getpid() << 16);
      for (size_t i = 0; i < sizeof pool; i += 8) {
        uint64_t v = mix64(fallback + i);
        memcpy(pool + i, &v, 8);
      }
    }
    left = sizeof pool;
  }
  left -= 2;
  return (unsigned int)pool[left] << 8 | pool[left + 1];
}

/* ---- talking to one server ---- */

/* Internal results beside 0, DNS_HARD and DNS_MEM. */
#define TRY_TIMEOUT 1 /* nothing in time: ask the server again later */
#define TRY_BADNS 2   /* the server failed: not again for this lookup */

static unsigned char udpbuf[DNSP_MAXMSG + 1];

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
  for (;;) {
    struct pollfd p;
    long long left = deadline - now_ms();
    int r;
    if (left <= 0) return 0;
    p.fd = fd;
    p.events = events;
    p.revents = 0;
    r = poll(&p, 1, (int)left);
    if (r == -1 && errno == EINTR) continue;
    if (r <= 0) return r;
    return 1;
  }
}

/* A reply worth looking at for the query with identifier id about qname,
 * qtype: a response to a standard query with the same identifier and the
 * same question (case ignored), or an error response with no question. */
static int matches(const unsigned char *msg, size_t len, unsigned int id,
                   const unsigned char *qname, unsigned int qtype)
{
  struct dnsp_header h;
  unsigned char name[DNSP_NAMEMAX];
  unsigned int type, class;
  size_t pos = DNSP_HEADER;

  if (dnsp_header(msg, len, &h) != DNSP_OK || h.id != id) return 0;
  if (!(h.flags & DNSP_F_QR) || (h.flags & DNSP_F_OPCODE)) return 0;
  if (h.qdcount == 0)
    return DNSP_RCODE(h.flags) != DNSP_R_NOERROR && DNSP_RCODE(h.flags) != DNSP_R_NXDOMAIN;
  if (h.qdcount != 1) return 0;
  if (dnsp_getquestion(msg, len, &pos, name, &type, &class) != DNSP_OK) return 0;
  return type == qtype && class == DNSP_C_IN && dnsp_name_equal(name, qname);
}

/* A UDP socket bound to a random port (or, if none of a few is free,
 * one the kernel picks) and connected to ns; -1 on error. */
static int udp_socket(const struct nameserver *ns)
{
  struct sockaddr_storage me;
  int family = ns->sa.ss_family;
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd == -1) return -1;
  for (int tries = 0; tries < 10; ++tries) {
    uint16_t port = htons((uint16_t)(1024 + random16() % (65536 - 1024)));
    memset(&me, 0, sizeof me);
    me.ss_family = (sa_family_t)family;
    if (family == AF_INET6) ((struct sockaddr_in6 *)&me)->sin6_port = port;
    else ((struct sockaddr_in *)&me)->sin_port = port;
    if (bind(fd, (struct sockaddr *)&me, ns->len) == 0) break;
  }
  if (connect(fd, (const struct sockaddr *)&ns->sa, ns->len) == -1) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Send q to ns by UDP and wait up to the timeout for a matching reply,
 * which goes into reply. */
static int udp_try(const struct nameserver *ns, const str *q, unsigned int id,
                   const unsigned char *qname, unsigned int qtype, str *reply)
{
  long long deadline;
  int fd = udp_socket(ns);

  if (fd == -1) return TRY_BADNS;
  if (send(fd, q->s, q->len, 0) != (ssize_t)q->len) {
    close(fd);
    return TRY_BADNS;
  }
  deadline = now_ms() + (long long)conf.timeout * 1000;
  for (;;) {
    ssize_t n;
    int r = wait_fd(fd, POLLIN, deadline);
    if (r <= 0) {
      close(fd);
      return r == 0 ? TRY_TIMEOUT : TRY_BADNS;
    }
    n = recv(fd, udpbuf, sizeof udpbuf, 0);
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n == -1) { /* ECONNREFUSED: nothing listens there */
      close(fd);
      return TRY_BADNS;
    }
    if (!matches(udpbuf, (size_t)n, id, qname, qtype)) continue;
    close(fd);
    return str_copy(reply, udpbuf, (size_t)n) ? 0 : DNS_MEM;
  }
}

/* Write or read all len bytes of buf on the non-blocking fd by deadline:
 * 0, TRY_TIMEOUT, or TRY_BADNS (error, or end of stream first). */
static int tcp_io(int fd, int out, unsigned char *buf, size_t len, long long deadline)
{
  while (len) {
    ssize_t n;
    int r = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
    if (r <= 0) return r == 0 ? TRY_TIMEOUT : TRY_BADNS;
    n = out ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return TRY_BADNS;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* The same query over TCP, each message led by its 2-byte length; the
 * whole exchange gets one timeout. */
static int tcp_try(const struct nameserver *ns, const str *q, unsigned int id,
                   const unsigned char *qname, unsigned int qtype, str *reply)
{
  unsigned char prefix[2];
  size_t want;
  long long deadline = now_ms() + (long long)conf.timeout * 1000;
  int r, fd = socket(ns->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

  if (fd == -1) return TRY_BADNS;
  if (connect(fd, (const struct sockaddr *)&ns->sa, ns->len) == -1) {
    int err = 0;
    socklen_t el = sizeof err;
    if (errno != EINPROGRESS) r = TRY_BADNS;
    else if ((r = wait_fd(fd, POLLOUT, deadline)) <= 0) r = r == 0 ? TRY_TIMEOUT : TRY_BADNS;
    else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err) r = TRY_BADNS;
    else r = 0;
    if (r) {
      close(fd);
      return r;
    }
  }
  prefix[0] = (unsigned char)(q->len >> 8);
  prefix[1] = (unsigned char)q->len;
  r = tcp_io(fd, 1, prefix, 2, deadline);
  if (!r) r = tcp_io(fd, 1, (unsigned char *)q->s, q->len, deadline);
  if (!r) r = tcp_io(fd, 0, prefix, 2, deadline);
  if (!r) {
    want = (size_t)prefix[0] << 8 | prefix[1];
    reply->len = 0;
    if (!str_reserve(reply, want)) r = DNS_MEM;
    else if (!(r = tcp_io(fd, 0, (unsigned char *)reply->s, want, deadline))) reply->len = want;
  }
  close(fd);
  if (r) return r;
  return matches((unsigned char *)reply->s, reply->len, id, qname, qtype) ? 0 : TRY_BADNS;
}

/* ---- one lookup ---- */

struct answer {
  str bytes;
  struct dnsp_msg msg;
  unsigned char qname[DNSP_NAMEMAX]; /* the question the answer is to */
};
#define ANSWER_INIT { STR_INIT, { 0 }, { 0 } }

static void answer_free(struct answer *a)
{
  dnsp_free(&a->msg);
  str_free(&a->bytes);
}

/* The header of a reply that matches() accepted, so has one. */
static int head(const str *reply, struct dnsp_header *h)
{
  return dnsp_header((const unsigned char *)reply->s, reply->len, h) == DNSP_OK;
}

/* Ask ns about a->qname, qtype: 0 with a->msg holding the answer,
 * DNS_HARD, DNS_MEM, TRY_TIMEOUT or TRY_BADNS. *edns is cleared when the
 * server does not understand EDNS0. */
static int exchange(const struct nameserver *ns, struct answer *a, unsigned int qtype, int *edns)
{
  str q = STR_INIT;
  struct dnsp_header h;
  unsigned int rcode;
  int r;

  for (;;) {
    unsigned int id = random16();
    q.len = 0;
    if (!dnsp_query(&q, id, a->qname, qtype, *edns ? EDNS_SIZE : 0)) {
      str_free(&q);
      return DNS_MEM;
    }
    r = udp_try(ns, &q, id, a->qname, qtype, &a->bytes);
    if (!r && head(&a->bytes, &h) && (h.flags & DNSP_F_TC)) {
      r = tcp_try(ns, &q, id, a->qname, qtype, &a->bytes);
      /* Cut short even over TCP: no use. */
      if (!r && head(&a->bytes, &h) && (h.flags & DNSP_F_TC)) r = TRY_BADNS;
    }
    if (r) break;
    rcode = DNSP_RCODE(h.flags);
    if (rcode == DNSP_R_FORMERR && *edns) {
      *edns = 0; /* an old server: ask again without the OPT record */
      continue;
    }
    if (rcode == DNSP_R_SERVFAIL || rcode == DNSP_R_NOTIMP || rcode == DNSP_R_REFUSED)
      r = TRY_BADNS;
    else if (rcode != DNSP_R_NOERROR || !h.ancount)
      r = DNS_HARD; /* NXDOMAIN, no data, FORMERR and the rest */
    else {
      r = dnsp_parse(&a->msg, (unsigned char *)a->bytes.s, a->bytes.len);
      r = r == DNSP_OK ? 0 : r == DNSP_NOMEM ? DNS_MEM : TRY_BADNS;
    }
    break;
  }
  str_free(&q);
  return r;
}

/* Look qname up, asking each server in turn, conf.attempts rounds; a
 * server that failed is not asked again. 0 (a->msg holds the answer),
 * DNS_HARD, DNS_SOFT, DNS_MEM. */
static int resolve(struct answer *a, const unsigned char *qname, unsigned int qtype)
{
  int bad[DNS_MAXNS] = { 0 };
  size_t nbad = 0;
  int edns = conf.edns;

  dnsp_free(&a->msg);
  memmove(a->qname, qname, dnsp_name_len(qname));
  for (unsigned int round = 0; round < conf.attempts && nbad < conf.nns; ++round)
    for (size_t i = 0; i < conf.nns; ++i) {
      int r;
      if (bad[i]) continue;
      r = exchange(&conf.ns[i], a, qtype, &edns);
      if (r == TRY_TIMEOUT) continue;
      if (r == TRY_BADNS) {
        bad[i] = 1;
        ++nbad;
        continue;
      }
      return r;
    }
  return DNS_SOFT;
}

static size_t labels(const unsigned char *name)
{
  size_t n = 0;
  for (size_t i = 0; name[i]; i += (size_t)name[i] + 1) ++n;
  return n;
}

/* Look up a name given as text. With flagsearch, a name without a final
 * dot is also tried with each search domain: after itself when it has
 * ndots dots or more, else before. The first answer wins; when none
 * comes, DNS_SOFT if any try failed temporarily, else DNS_HARD. */
static int resolve_text(struct answer *a, const str *text, unsigned int qtype)
{
  unsigned char name[DNSP_NAMEMAX], cand[DNSP_NAMEMAX];
  size_t base;
  int soft = 0, asis_first;

  if (dnsp_name_fromtext(name, text->s, text->len) != DNSP_OK) return DNS_HARD;
  if (!conf.flagsearch || !conf.nsearch || !text->len ||
      (text->s[text->len - 1] == '.' && (text->len < 2 || text->s[text->len - 2] != '\\')))
    return resolve(a, name, qtype);
  asis_first = labels(name) > conf.ndots; /* dots = labels - 1 */
  base = dnsp_name_len(name) - 1;
  for (size_t k = 0; k <= conf.nsearch + 1; ++k) {
    int r;
    if ((k == 0 && !asis_first) || (k == conf.nsearch + 1 && asis_first)) continue;
    if (k == 0 || k == conf.nsearch + 1) {
      r = resolve(a, name, qtype);
    } else {
      const unsigned char *dom = conf.search[k - 1];
      size_t dl = dnsp_name_len(dom);
      if (base + dl > DNSP_NAMEMAX) continue;
      memcpy(cand, name, base);
      memcpy(cand + base, dom, dl);
      r = resolve(a, cand, qtype);
    }
    if (r == DNS_SOFT) soft = 1;
    else if (r != DNS_HARD) return r;
  }
  return soft ? DNS_SOFT : DNS_HARD;
}

/* a holds the answer to a->qname, type qtype. Follow CNAMEs, in the
 * answer and then by asking about the end of the chain when the answer
 * stops there, DNSP_MAXCHAIN in all. On 0, owner is the name whose
 * records of qtype a->msg holds, and *have says whether there are any (an
 * alias of a name that does not exist has none). DNS_HARD for a loop. */
static int chase(struct answer *a, unsigned int qtype, unsigned char owner[DNSP_NAMEMAX], int *have)
{
  size_t total = 0;

  for (;;) {
    size_t hops, i = 0;
    int r = dnsp_chase(&a->msg, a->qname, qtype, owner, &hops);
    if (r == DNSP_BAD) return DNS_SOFT;
    if (r == DNSP_LOOP || (total += hops) > DNSP_MAXCHAIN) return DNS_HARD;
    *have = dnsp_find(&a->msg, &i, owner, qtype);
    if (*have || !hops) return 0;
    r = resolve(a, owner, qtype);
    if (r == DNS_HARD) return 0;
    if (r) return r;
  }
}

/* The A or AAAA records (qtype) of the answer in a, with preference
 * pref, onto ia. */
static int take_ips(struct dns_iplist *ia, struct answer *a, unsigned int qtype, unsigned int pref)
{
  unsigned char owner[DNSP_NAMEMAX], ip[16];
  int have = 0, r = chase(a, qtype, owner, &have);

  if (r || !have) return r;
  for (size_t i = 0; dnsp_find(&a->msg, &i, owner, qtype); ++i) {
    struct ipaddr addr;
    if (qtype == DNSP_T_AAAA) {
      if (dnsp_rr_aaaa(&a->msg, &a->msg.rr[i], ip) != DNSP_OK) return DNS_SOFT;
      ipaddr_v6(&addr, ip);
    } else {
      if (dnsp_rr_a(&a->msg, &a->msg.rr[i], ip) != DNSP_OK) return DNS_SOFT;
      ipaddr_v4(&addr, ip);
    }
    if (!dns_iplist_add(ia, &addr, pref)) return DNS_MEM;
  }
  return 0;
}

/* The record types to ask for, in order: *n of them into qtype. */
static void families(int want, unsigned int qtype[2], size_t *n)
{
  *n = 0;
  if ((want & DNS_WANT_V6) && (want & DNS_V6_FIRST)) qtype[(*n)++] = DNSP_T_AAAA;
  if (want & DNS_WANT_V4 || !(want & DNS_WANT_V6)) qtype[(*n)++] = DNSP_T_A;
  if ((want & DNS_WANT_V6) && !(want & DNS_V6_FIRST)) qtype[(*n)++] = DNSP_T_AAAA;
}

/* The addresses of one name, each family as want says, with preference
 * pref, onto ia: the name as text when text is not 0, else qname. With
 * one family, that lookup's result (0 with no addresses for an alias of a
 * name that has none, as in qmail). With two: 0 when some family gave
 * addresses, and *partial set if the other failed temporarily; else
 * DNS_SOFT if one did, else 0 if one answered without addresses, else
 * DNS_HARD. */
static int name_ips(struct dns_iplist *ia, struct answer *a, const str *text,
                    const unsigned char *qname, int want, unsigned int pref, int *partial)
{
  unsigned int qtype[2];
  size_t n, before = ia->len;
  int soft = 0, answered = 0;

  families(want, qtype, &n);
  for (size_t k = 0; k < n; ++k) {
    int r = text ? resolve_text(a, text, qtype[k]) : resolve(a, qname, qtype[k]);
    if (!r) r = take_ips(ia, a, qtype[k], pref);
    if (r == DNS_MEM) return r;
    if (r == DNS_SOFT) soft = 1;
    if (r == 0) answered = 1;
  }
  if (ia->len > before) {
    *partial = soft;
    return 0;
  }
  return soft ? DNS_SOFT : answered ? 0 : DNS_HARD;
}

/* The addresses of a name given as text (or a literal), preference 0. */
static int ips_text(struct dns_iplist *ia, const str *name, int want, int *partial)
{
  struct answer a = ANSWER_INIT;
  struct ipaddr lit;
  int r;

  *partial = 0;
  if (literal_ip(name, want, &lit)) return dns_iplist_add(ia, &lit, 0) ? 0 : DNS_MEM;
  r = name_ips(ia, &a, name, 0, want, 0, partial);
  answer_free(&a);
  return r;
}

int dns_ip(struct dns_iplist *ia, const str *name, int want)
{
  int partial, r = ready();
  ia->len = 0;
  return r ? r : ips_text(ia, name, want, &partial);
}

struct mx {
  unsigned int pref;
  uint64_t key;
  unsigned char name[DNSP_NAMEMAX];
};

static int mx_order(const void *x, const void *y)
{
  const struct mx *a = x, *b = y;
  if (a->pref != b->pref) return a->pref < b->pref ? -1 : 1;
  return a->key < b->key ? -1 : a->key > b->key;
}

/* The exchangers of the MX answer in a, sorted, into *mx and *n; with
 * *n == 0 there are none. */
static int take_mx(struct answer *a, unsigned long random, struct mx **mx, size_t *n)
{
  unsigned char owner[DNSP_NAMEMAX];
  size_t count = 0;
  int have = 0, r = chase(a, DNSP_T_MX, owner, &have);

  *n = 0;
  if (r == DNS_HARD) return 0; /* a CNAME loop: no exchangers */
  if (r || !have) return r;
  for (size_t i = 0; dnsp_find(&a->msg, &i, owner, DNSP_T_MX); ++i) ++count;
  *mx = calloc(count, sizeof **mx);
  if (!*mx) return DNS_MEM;
  for (size_t i = 0, k = 0; dnsp_find(&a->msg, &i, owner, DNSP_T_MX); ++i, ++k) {
    struct mx *e = &(*mx)[k];
    if (dnsp_rr_mx(&a->msg, &a->msg.rr[i], &e->pref, e->name) != DNSP_OK) {
      free(*mx);
      *mx = 0;
      return DNS_SOFT;
    }
    e->key = mix64((uint64_t)random ^ mix64(k));
  }
  qsort(*mx, count, sizeof **mx, mx_order);
  *n = count;
  return 0;
}

int dns_mxip(struct dns_iplist *ia, const str *name, unsigned long random, int want)
{
  struct answer a = ANSWER_INIT;
  struct mx *mx = 0;
  struct ipaddr lit;
  size_t n = 0;
  int r = ready(), flagsoft = 0;

  ia->len = 0;
  if (r) return r;
  if (name->len && name->s[0] == '[' && literal_ip(name, want, &lit))
    return dns_iplist_add(ia, &lit, 0) ? 0 : DNS_MEM;
  r = resolve_text(&a, name, DNSP_T_MX);
  if (!r) r = take_mx(&a, random, &mx, &n);
  if (r == DNS_HARD || (!r && !n)) {
    answer_free(&a);
    r = ips_text(ia, name, want, &flagsoft);
    return r ? r : flagsoft;
  }
  /* The list is sorted by preference: a hostile answer with thousands of
   * exchangers costs at most DNS_MXMAX address lookups, best ones first. */
  for (size_t i = 0; !r && i < n && i < DNS_MXMAX && ia->len < DNS_MXMAX; ++i) {
    int partial = 0, s = name_ips(ia, &a, 0, mx[i].name, want, mx[i].pref, &partial);
    if (s == DNS_SOFT || s == DNS_MEM || partial) flagsoft = 1;
  }
  free(mx);
  answer_free(&a);
  return r ? r : flagsoft;
}

int dns_cname(str *name)
{
  struct answer a = ANSWER_INIT;
  unsigned char target[DNSP_NAMEMAX];
  int loop, r = ready();

  if (r) return r;
  for (loop = 0; loop < DNS_CNAME_LOOPS; ++loop) {
    size_t i = 0;
    if (!name->len || name->s[name->len - 1] == ']') break;
    if (name->s[name->len - 1] == '.') {
      str_truncate(name, name->len - 1);
      continue;
    }
    /* qmail asked for ANY and looked for a CNAME in the answer, which
     * can be huge; asking for the CNAME itself gives the same result. */
    r = resolve_text(&a, name, DNSP_T_CNAME);
    if (r == DNS_HARD) break;
    if (r) goto done;
    if (!dnsp_find(&a.msg, &i, a.qname, DNSP_T_CNAME)) break;
    if (dnsp_rr_name(&a.msg, &a.msg.rr[i], target) != DNSP_OK) {
      r = DNS_SOFT;
      goto done;
    }
    name->len = 0;
    if (!dnsp_name_totext(name, target)) {
      r = DNS_MEM;
      goto done;
    }
  }
  r = loop == DNS_CNAME_LOOPS ? DNS_HARD : loop;
done:
  answer_free(&a);
  return r;
}

int dns_ptr(str *name, const struct ipaddr *ip)
{
  static const char hex[] = "0123456789abcdef";
  struct answer a = ANSWER_INIT;
  unsigned char qname[DNSP_NAMEMAX], owner[DNSP_NAMEMAX], target[DNSP_NAMEMAX];
  size_t o = 0, i = 0;
  int have = 0, r = ready();

  if (r) return r;
  if (ip->family == IPADDR_V6) {
    /* the 32 nibbles, last first, under ip6.arpa (RFC 3596) */
    for (int k = 15; k >= 0; --k) {
      qname[o++] = 1;
      qname[o++] = (unsigned char)hex[ip->ip[k] & 15];
      qname[o++] = 1;
      qname[o++] = (unsigned char)hex[ip->ip[k] >> 4];
    }
    memcpy(qname + o, "\3ip6\4arpa", 10);
  } else {
    /* d.c.b.a.in-addr.arpa */
    for (int k = 3; k >= 0; --k) {
      unsigned char len = (unsigned char)num_fmt((char *)qname + o + 1, ip->ip[k]);
      qname[o] = len;
      o += 1 + (size_t)len;
    }
    memcpy(qname + o, "\7in-addr\4arpa", 14);
  }
  r = resolve(&a, qname, DNSP_T_PTR);
  if (!r) r = chase(&a, DNSP_T_PTR, owner, &have);
  if (!r && !have) r = DNS_HARD;
  if (!r && dnsp_find(&a.msg, &i, owner, DNSP_T_PTR)) {
    if (dnsp_rr_name(&a.msg, &a.msg.rr[i], target) != DNSP_OK) r = DNS_SOFT;
    else {
      name->len = 0;
      if (!dnsp_name_totext(name, target)) r = DNS_MEM;
    }
  }
  answer_free(&a);
  return r;
}

void dns_doe(int r)
{
  if (r == DNS_HARD) err_die(100, "hard error", (char *)0);
  if (r == DNS_SOFT) err_die(111, "soft error", (char *)0);
  if (r == DNS_MEM) err_die(111, "out of memory", (char *)0);
}

int dns_printips(int argc, char **argv, int want)
{
  char space[IO_OUTSIZE], ip[IPADDR_FMT];
  iobuf out;
  static str name = STR_INIT;
  static struct dns_iplist ia = DNS_IPLIST_INIT;

  if (argc < 2) return 100;
  if (!str_copys(&name, argv[1])) err_die(111, "out of memory", (char *)0);
  dns_doe(dns_init(0));
  dns_doe(dns_ip(&ia, &name, want));
  io_init(&out, io_write, 1, space, sizeof space);
  for (size_t i = 0; i < ia.len; ++i) {
    io_put(&out, ip, ipaddr_fmt(ip, &ia.ix[i].addr));
    io_puts(&out, "\n");
  }
  io_flush(&out);
  return 0;
}
