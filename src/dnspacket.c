/* dnspacket.c: DNS message builder and bounds-checked parser (see
 * dnspacket.h). Every offset is checked against the message length
 * before the byte under it is read. */
#include <stdlib.h>
#include <string.h>
#include "dnspacket.h"

static unsigned int get16(const unsigned char *p)
{
  return (unsigned int)p[0] << 8 | p[1];
}

static unsigned long get32(const unsigned char *p)
{
  return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
         (unsigned long)p[2] << 8 | p[3];
}

static void put16(unsigned char *p, unsigned int v)
{
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

static unsigned char lower(unsigned char c)
{
  return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* ---- names ---- */

int dnsp_name_fromtext(unsigned char out[DNSP_NAMEMAX], const char *s, size_t len)
{
  size_t i = 0, o = 0;

  if (len == 1 && s[0] == '.') len = 0;
  while (i < len) {
    size_t at = o, lab = 0;
    /* Room is needed for the length byte here and the final 0. */
    if (o >= DNSP_NAMEMAX - 1) return DNSP_BAD;
    ++o;
    while (i < len && s[i] != '.') {
      unsigned char c = (unsigned char)s[i++];
      if (c == '\\') {
        if (i >= len) return DNSP_BAD;
        if (s[i] >= '0' && s[i] <= '9') {
          unsigned int v = 0;
          if (len - i < 3) return DNSP_BAD;
          for (size_t k = 0; k < 3; ++k) {
            if (s[i + k] < '0' || s[i + k] > '9') return DNSP_BAD;
            v = v * 10 + (unsigned int)(s[i + k] - '0');
          }
          if (v > 255) return DNSP_BAD;
          c = (unsigned char)v;
          i += 3;
        } else {
          c = (unsigned char)s[i++];
        }
      }
      if (lab == 63 || o >= DNSP_NAMEMAX - 1) return DNSP_BAD;
      out[o++] = c;
      ++lab;
    }
    if (!lab) return DNSP_BAD;
    out[at] = (unsigned char)lab;
    if (i < len) ++i; /* the dot; a final one ends the name */
  }
  out[o] = 0;
  return DNSP_OK;
}

int dnsp_name_totext(str *out, const unsigned char *name)
{
  size_t i = 0;

  if (!name[0]) return str_putc(out, '.');
  while (name[i]) {
    size_t n = name[i++];
    if (i > 1 && !str_putc(out, '.')) return 0;
    for (size_t k = 0; k < n; ++k) {
      unsigned char c = name[i + k];
      if (c <= 32 || c >= 127) {
        char esc[4] = { '\\', (char)('0' + c / 100), (char)('0' + c / 10 % 10), (char)('0' + c % 10) };
        if (!str_cat(out, esc, sizeof esc)) return 0;
        continue;
      }
      if (strchr(".\\\"();@$", c) && !str_putc(out, '\\')) return 0;
      if (!str_putc(out, (char)c)) return 0;
    }
    i += n;
  }
  return 1;
}

size_t dnsp_name_len(const unsigned char *name)
{
  size_t i = 0;
  while (name[i]) i += (size_t)name[i] + 1;
  return i + 1;
}

int dnsp_name_equal(const unsigned char *a, const unsigned char *b)
{
  /* Length bytes are 1..63, below 'A', so lowering every byte leaves
   * them alone. */
  size_t n = dnsp_name_len(a);
  if (n != dnsp_name_len(b)) return 0;
  for (size_t i = 0; i < n; ++i)
    if (lower(a[i]) != lower(b[i])) return 0;
  return 1;
}

/* ---- building ---- */

int dnsp_query(str *out, unsigned int id, const unsigned char *qname,
               unsigned int qtype, unsigned int edns_size)
{
  unsigned char h[DNSP_HEADER], tail[4], opt[11];

  memset(h, 0, sizeof h);
  put16(h, id);
  put16(h + 2, DNSP_F_RD);
  put16(h + 4, 1);
  put16(h + 10, edns_size ? 1 : 0);
  put16(tail, qtype);
  put16(tail + 2, DNSP_C_IN);
  if (!str_cat(out, h, sizeof h) || !str_cat(out, qname, dnsp_name_len(qname)) ||
      !str_cat(out, tail, sizeof tail))
    return 0;
  if (!edns_size) return 1;
  /* Root owner, type OPT, the payload size as class, TTL 0 (extended
   * rcode, version 0, no flags), no options. */
  memset(opt, 0, sizeof opt);
  put16(opt + 1, DNSP_T_OPT);
  put16(opt + 3, edns_size);
  return str_cat(out, opt, sizeof opt);
}

/* ---- parsing ---- */

int dnsp_header(const unsigned char *msg, size_t len, struct dnsp_header *h)
{
  if (len < DNSP_HEADER) return DNSP_BAD;
  h->id = get16(msg);
  h->flags = get16(msg + 2);
  h->qdcount = get16(msg + 4);
  h->ancount = get16(msg + 6);
  h->nscount = get16(msg + 8);
  h->arcount = get16(msg + 10);
  return DNSP_OK;
}

int dnsp_getname(const unsigned char *msg, size_t len, size_t *pos,
                 unsigned char out[DNSP_NAMEMAX])
{
  size_t p = *pos, o = 0, end = 0, hops = 0;
  int jumped = 0;

  for (;;) {
    unsigned int c;
    if (p >= len) return DNSP_BAD;
    c = msg[p];
    if ((c & 0xc0) == 0xc0) {
      size_t target;
      if (len - p < 2) return DNSP_BAD;
      target = (size_t)(c & 0x3f) << 8 | msg[p + 1];
      if (!jumped) end = p + 2;
      jumped = 1;
      /* Only backwards, and not forever: a pointer chain strictly
       * descends, and labels between pointers fill the name up. */
      if (target >= p || ++hops > DNSP_MAXHOPS) return DNSP_BAD;
      p = target;
      continue;
    }
    if (c & 0xc0) return DNSP_BAD;
    if (!c) break;
    /* A label of c bytes at p+1; it and the final 0 must fit in out. */
    if (c > len - p - 1 || o + 1 + c > DNSP_NAMEMAX - 1) return DNSP_BAD;
    out[o++] = (unsigned char)c;
    memcpy(out + o, msg + p + 1, c);
    o += c;
    p += 1 + c;
  }
  out[o] = 0;
  *pos = jumped ? end : p + 1;
  return DNSP_OK;
}

int dnsp_getquestion(const unsigned char *msg, size_t len, size_t *pos,
                     unsigned char name[DNSP_NAMEMAX], unsigned int *type,
                     unsigned int *class)
{
  size_t p = *pos;
  if (dnsp_getname(msg, len, &p, name) != DNSP_OK || len - p < 4) return DNSP_BAD;
  *type = get16(msg + p);
  *class = get16(msg + p + 2);
  *pos = p + 4;
  return DNSP_OK;
}

/* Framing of one record at *pos (see dnsp_parse). */
static int getrr(const unsigned char *msg, size_t len, size_t *pos, struct dnsp_rr *rr)
{
  unsigned char name[DNSP_NAMEMAX];
  size_t p = *pos;

  rr->owner = p;
  if (dnsp_getname(msg, len, &p, name) != DNSP_OK || len - p < 10) return DNSP_BAD;
  rr->type = get16(msg + p);
  rr->class = get16(msg + p + 2);
  rr->ttl = get32(msg + p + 4);
  rr->rdlen = get16(msg + p + 8);
  p += 10;
  if (rr->rdlen > len - p) return DNSP_BAD;
  rr->rdata = p;
  *pos = p + rr->rdlen;
  return DNSP_OK;
}

int dnsp_parse(struct dnsp_msg *m, const unsigned char *buf, size_t len)
{
  unsigned char name[DNSP_NAMEMAX];
  size_t pos = DNSP_HEADER, total;

  memset(m, 0, sizeof *m);
  m->buf = buf;
  m->len = len;
  if (dnsp_header(buf, len, &m->h) != DNSP_OK) return DNSP_BAD;
  for (unsigned int q = 0; q < m->h.qdcount; ++q) {
    unsigned int type, class;
    if (dnsp_getquestion(buf, len, &pos, q ? name : m->qname, &type, &class) != DNSP_OK)
      return DNSP_BAD;
    if (!q) {
      m->qtype = type;
      m->qclass = class;
    }
  }
  /* At most 3 * 65535, so no overflow; a record takes 11 bytes or more
   * (a root owner and the fixed fields), so counts that claim more than
   * the rest of the message can hold are lies. */
  total = (size_t)m->h.ancount + m->h.nscount + m->h.arcount;
  if (total > (len - pos) / 11) return DNSP_BAD;
  if (!total) return DNSP_OK;
  m->rr = calloc(total, sizeof *m->rr);
  if (!m->rr) return DNSP_NOMEM;
  for (size_t i = 0; i < total; ++i) {
    struct dnsp_rr *rr = &m->rr[i];
    if (getrr(buf, len, &pos, rr) != DNSP_OK) {
      dnsp_free(m);
      return DNSP_BAD;
    }
    rr->section = i < m->h.ancount ? DNSP_S_ANSWER
                : i < (size_t)m->h.ancount + m->h.nscount ? DNSP_S_AUTHORITY
                : DNSP_S_ADDITIONAL;
  }
  m->nrr = total;
  return DNSP_OK;
}

void dnsp_free(struct dnsp_msg *m)
{
  free(m->rr);
  m->rr = 0;
  m->nrr = 0;
}

int dnsp_find(const struct dnsp_msg *m, size_t *i, const unsigned char *name, unsigned int type)
{
  for (size_t j = *i; j < m->nrr; ++j) {
    const struct dnsp_rr *rr = &m->rr[j];
    unsigned char owner[DNSP_NAMEMAX];
    size_t p = rr->owner;
    if (rr->section != DNSP_S_ANSWER || rr->type != type || rr->class != DNSP_C_IN) continue;
    if (dnsp_getname(m->buf, m->len, &p, owner) != DNSP_OK) continue;
    if (!dnsp_name_equal(owner, name)) continue;
    *i = j;
    return 1;
  }
  return 0;
}

int dnsp_rr_a(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned char ip[4])
{
  if (rr->rdlen != 4) return DNSP_BAD;
  memcpy(ip, m->buf + rr->rdata, 4);
  return DNSP_OK;
}

int dnsp_rr_aaaa(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned char ip[16])
{
  if (rr->rdlen != 16) return DNSP_BAD;
  memcpy(ip, m->buf + rr->rdata, 16);
  return DNSP_OK;
}

/* The name at data offset skip, which must end where the data ends. */
static int rdata_name(const struct dnsp_msg *m, const struct dnsp_rr *rr, size_t skip,
                      unsigned char name[DNSP_NAMEMAX])
{
  size_t p = rr->rdata + skip;
  if (rr->rdlen <= skip) return DNSP_BAD;
  if (dnsp_getname(m->buf, m->len, &p, name) != DNSP_OK) return DNSP_BAD;
  return p == rr->rdata + rr->rdlen ? DNSP_OK : DNSP_BAD;
}

int dnsp_rr_mx(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned int *pref,
               unsigned char name[DNSP_NAMEMAX])
{
  if (rdata_name(m, rr, 2, name) != DNSP_OK) return DNSP_BAD;
  *pref = get16(m->buf + rr->rdata);
  return DNSP_OK;
}

int dnsp_rr_name(const struct dnsp_msg *m, const struct dnsp_rr *rr,
                 unsigned char name[DNSP_NAMEMAX])
{
  return rdata_name(m, rr, 0, name);
}

int dnsp_chase(const struct dnsp_msg *m, const unsigned char *name, unsigned int type,
               unsigned char final[DNSP_NAMEMAX], size_t *hops)
{
  unsigned char cur[DNSP_NAMEMAX];
  size_t n;

  memcpy(cur, name, dnsp_name_len(name));
  for (n = 0;; ++n) {
    size_t i = 0;
    if (dnsp_find(m, &i, cur, type)) break;
    if (!dnsp_find(m, &i, cur, DNSP_T_CNAME)) break;
    if (n == DNSP_MAXCHAIN) return DNSP_LOOP;
    if (dnsp_rr_name(m, &m->rr[i], cur) != DNSP_OK) return DNSP_BAD;
  }
  memcpy(final, cur, dnsp_name_len(cur));
  *hops = n;
  return DNSP_OK;
}
