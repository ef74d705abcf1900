/* rewrite.h: how qmail-send classifies and rewrites an envelope
 * recipient (control/locals, virtualdomains, percenthack, envnoathost),
 * and the per-recipient sender of a VERP message. Pure functions on
 * tables built from control-file contents, so they can be unit-tested;
 * rewrite_read fills the tables from the files themselves, for qmail-send
 * and qmail-rcptcheck, which must agree.
 *
 * A recipient is rewritten in this order:
 *  1. no '@' at all: "@envnoathost" is appended;
 *  2. while the domain (after the last '@') is listed in percenthack and
 *     the local part holds a '%', "user%host@domain" becomes "user@host"
 *     (the last '%' wins, so the hack may apply again);
 *  3. a domain listed in locals: local delivery, address unchanged;
 *  4. virtualdomains lines "key:prefix" are looked up with, in order, the
 *     whole address ("user@domain" lines), the domain, each suffix of the
 *     domain that starts at a dot, longest first (".domain" lines), and
 *     the empty key (a ":prefix" line catches everything). The first key
 *     found decides: an empty prefix means "not virtual" (remote); else
 *     the recipient becomes local "prefix-address";
 *  5. anything else is remote, unchanged.
 * Every lookup ignores ASCII case. In a table, a later line for the same
 * key replaces an earlier one; virtualdomains lines without ':' are
 * ignored. */
#ifndef REWRITE_H
#define REWRITE_H

#include <stddef.h>
#include "str.h"

struct rewrite_entry {
  const char *key;   /* points into the table's copy of the lines */
  size_t keylen;
  const char *value; /* after the ':' (NUL-terminated); 0 in plain lists */
  size_t line;       /* position in the file, for "later line wins" */
};

struct rewrite_table {
  str data;          /* the lines, NUL-terminated, as control_readfile gives */
  struct rewrite_entry *e; /* sorted by key, case ignored; keys unique */
  size_t n;
};

struct rewrite {
  struct rewrite_table locals;
  struct rewrite_table percenthack;
  struct rewrite_table vdoms;
  str envnoathost;
};

#define REWRITE_INIT { { STR_INIT, 0, 0 }, { STR_INIT, 0, 0 }, { STR_INIT, 0, 0 }, STR_INIT }

enum { REWRITE_LOCAL = 1, REWRITE_REMOTE = 2 };

/* Build rw from the control files' contents (each a series of NUL-ended
 * lines, as control_readfile gives them) and the envnoathost value.
 * 1, or 0 out of memory (rw is then unchanged). */
int rewrite_set(struct rewrite *rw, const str *locals, const str *percenthack,
                const str *vdoms, const str *envnoathost);
void rewrite_free(struct rewrite *rw);

/* Build rw (zeroed, or freed, by the caller) from control/locals (default:
 * control/me), control/percenthack, control/virtualdomains and
 * control/envnoathost (default: control/me, else "envnoathost"), read
 * from the current directory after control_init. 1, or 0 if a file could
 * not be read or memory ran out. */
int rewrite_read(struct rewrite *rw);

/* Rewrite the recipient addr (len bytes) into out (replacing its
 * contents). REWRITE_LOCAL or REWRITE_REMOTE, or 0 out of memory. */
int rewrite_recipient(const struct rewrite *rw, const char *addr, size_t len, str *out);

/* 1 if sender asks for VERP: it ends in "-@[]". */
int rewrite_isverp(const char *sender, size_t len);
/* The sender to use when delivering to recip: for a VERP sender
 * "prefix-@host-@[]" and recipient "box@dom", "prefix-box=dom@host";
 * any other sender unchanged. Replaces out's contents; 1, or 0 out of
 * memory. */
int rewrite_sender(str *out, const char *sender, size_t slen, const char *recip, size_t rlen);

#endif
