/* dnspacket.h: DNS messages (RFC 1035) built and taken apart without
 * trusting a byte of them. The parser knows nothing of sockets, so it can
 * be tested and fuzzed on its own; every read is checked against the
 * message length, sizes are size_t with checked sums, and a message may be
 * any size up to 65535 bytes (a TCP answer, or a UDP one past 512).
 *
 * Names are kept in wire form: labels of 1..63 bytes, each led by its
 * length, then a 0 byte; DNSP_NAMEMAX bytes at most. Comparisons ignore
 * ASCII case, as RFC 1035 says. */
#ifndef DNSPACKET_H
#define DNSPACKET_H

#include <stddef.h>
#include "str.h"

#define DNSP_MAXMSG 65535  /* largest message: a TCP length prefix's limit */
#define DNSP_HEADER 12     /* bytes in the fixed header */
#define DNSP_NAMEMAX 255   /* longest name in wire form, final 0 included */
#define DNSP_MAXHOPS 64    /* compression pointers followed in one name */
#define DNSP_MAXCHAIN 16   /* CNAMEs followed inside one answer */

/* Record types and the class this resolver uses. */
enum {
  DNSP_T_A = 1, DNSP_T_CNAME = 5, DNSP_T_PTR = 12, DNSP_T_MX = 15,
  DNSP_T_AAAA = 28, DNSP_T_OPT = 41
};
#define DNSP_C_IN 1

/* Header flag bits and response codes. */
#define DNSP_F_QR 0x8000u
#define DNSP_F_OPCODE 0x7800u
#define DNSP_F_TC 0x0200u
#define DNSP_F_RD 0x0100u
#define DNSP_RCODE(flags) ((flags) & 15u)
enum {
  DNSP_R_NOERROR = 0, DNSP_R_FORMERR = 1, DNSP_R_SERVFAIL = 2,
  DNSP_R_NXDOMAIN = 3, DNSP_R_NOTIMP = 4, DNSP_R_REFUSED = 5
};

/* Results of the parsing functions. */
enum { DNSP_OK = 1, DNSP_BAD = 0, DNSP_NOMEM = -1, DNSP_LOOP = -2 };

/* ---- names ---- */

/* Text to wire form. Dots separate labels; a final dot is allowed; "" and
 * "." are the root. "\X" stands for the byte X, "\DDD" for the byte with
 * that decimal value. DNSP_OK, or DNSP_BAD for an empty or over-long
 * label, a name over DNSP_NAMEMAX, or a broken escape. */
int dnsp_name_fromtext(unsigned char out[DNSP_NAMEMAX], const char *s, size_t len);
/* Append the text form (no final dot; the root is "."), escaping '.',
 * '\\' and the other characters special in master files with '\\', and
 * bytes outside printable ASCII as \DDD. 1, or 0 when out of memory. */
int dnsp_name_totext(str *out, const unsigned char *name);
/* Bytes of a wire-form name made by this module, final 0 included. */
size_t dnsp_name_len(const unsigned char *name);
/* 1 if the names are equal, ASCII case ignored. */
int dnsp_name_equal(const unsigned char *a, const unsigned char *b);

/* ---- building ---- */

/* Append a standard query (recursion desired) for qname, type qtype,
 * class IN, with identifier id to out. With edns_size > 0 an EDNS0 OPT
 * record announces that many bytes of UDP payload. 1, or 0 when out of
 * memory. */
int dnsp_query(str *out, unsigned int id, const unsigned char *qname,
               unsigned int qtype, unsigned int edns_size);

/* ---- parsing ---- */

struct dnsp_header {
  unsigned int id, flags;
  unsigned int qdcount, ancount, nscount, arcount;
};

/* Read the fixed header. DNSP_OK, or DNSP_BAD if len is too short. */
int dnsp_header(const unsigned char *msg, size_t len, struct dnsp_header *h);

/* Expand the possibly compressed name at *pos into out and move *pos past
 * its bytes there. A pointer must point to an earlier byte than itself (a
 * "prior occurrence", RFC 1035 4.1.4) and at most DNSP_MAXHOPS are taken;
 * labels 0x40 and 0x80 (extended types) are refused. DNSP_OK, or DNSP_BAD
 * when the name runs past len, loops, or grows over DNSP_NAMEMAX. */
int dnsp_getname(const unsigned char *msg, size_t len, size_t *pos,
                 unsigned char out[DNSP_NAMEMAX]);

/* Read the question at *pos: name, type and class; *pos moves past it. */
int dnsp_getquestion(const unsigned char *msg, size_t len, size_t *pos,
                     unsigned char name[DNSP_NAMEMAX], unsigned int *type,
                     unsigned int *class);

enum { DNSP_S_ANSWER = 1, DNSP_S_AUTHORITY = 2, DNSP_S_ADDITIONAL = 3 };

/* One resource record: its owner name starts at offset owner, its data
 * is msg[rdata .. rdata + rdlen), which lies inside the message. */
struct dnsp_rr {
  size_t owner;
  unsigned int type, class;
  unsigned long ttl;
  size_t rdata, rdlen;
  int section;
};

/* A parsed message. qname/qtype/qclass hold the first question (all
 * questions are checked). rr holds every record of the answer, authority
 * and additional sections in order; it points into buf, which the caller
 * keeps alive while the message is used. */
struct dnsp_msg {
  const unsigned char *buf;
  size_t len;
  struct dnsp_header h;
  unsigned char qname[DNSP_NAMEMAX];
  unsigned int qtype, qclass;
  struct dnsp_rr *rr;
  size_t nrr;
};

/* Check and index the whole message: header, every question, every
 * record's framing (owner name, fixed fields, rdlength inside the
 * message); bytes after the last record are ignored. The counts cannot
 * make it allocate more than the message can hold. DNSP_OK (free with
 * dnsp_free), DNSP_BAD, or DNSP_NOMEM; on failure nothing needs freeing. */
int dnsp_parse(struct dnsp_msg *m, const unsigned char *buf, size_t len);
void dnsp_free(struct dnsp_msg *m);

/* Find the next answer-section record at index >= *i of type type and
 * class IN whose owner is name; *i is set to its index. 1 when one is
 * found, 0 when there is none. */
int dnsp_find(const struct dnsp_msg *m, size_t *i, const unsigned char *name, unsigned int type);

/* Record data, checked: each gives DNSP_OK, or DNSP_BAD when the data is
 * not what the type requires (an A is exactly 4 bytes, an AAAA 16; a
 * name must end exactly at the end of the data). */
int dnsp_rr_a(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned char ip[4]);
int dnsp_rr_aaaa(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned char ip[16]);
int dnsp_rr_mx(const struct dnsp_msg *m, const struct dnsp_rr *rr, unsigned int *pref,
               unsigned char name[DNSP_NAMEMAX]);
/* The name in a CNAME or PTR record. */
int dnsp_rr_name(const struct dnsp_msg *m, const struct dnsp_rr *rr,
                 unsigned char name[DNSP_NAMEMAX]);

/* Follow the answer section's CNAMEs from name until a name that owns a
 * record of type type or owns no CNAME; copy that name to final and the
 * number of CNAMEs followed to *hops. DNSP_OK, DNSP_LOOP when more than
 * DNSP_MAXCHAIN would be needed, or DNSP_BAD for a broken CNAME. */
int dnsp_chase(const struct dnsp_msg *m, const unsigned char *name, unsigned int type,
               unsigned char final[DNSP_NAMEMAX], size_t *hops);

#endif
