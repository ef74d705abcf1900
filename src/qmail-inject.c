/* qmail-inject.c: qmail-inject(8). Reads a message on fd 0, completes and
 * rewrites its header as qmail-header(5) describes, and queues it through
 * qmail-queue (or prints it with -n).
 *
 * Runs as the invoking user, with no privileges of its own. Nothing it is
 * given is trusted: the message, the arguments and the environment all
 * come from the user (or from a remote sender, when a .qmail file
 * forwards mail through it). Each header field is capped at FIELD_MAX
 * bytes and the whole header at HEADER_MAX; the body is streamed, never
 * held in memory.
 * Touches: reads QMAILHOME/control/{me,defaultdomain,defaulthost,idhost,
 * plusdomain} and the file named by $QMAILMFTFILE; runs
 * QMAILHOME/bin/qmail-queue and writes only to it, or to fd 1 with -n. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auto.h"
#include "control.h"
#include "date822.h"
#include "env.h"
#include "err.h"
#include "headers.h"
#include "io.h"
#include "qq.h"
#include "safemath.h"
#include "sig.h"
#include "str.h"
#include "token822.h"

#define FATAL "qmail-inject: fatal: "

#define FIELD_MAX (1024 * 1024)          /* one header field, as read */
#define HEADER_MAX (16 * 1024 * 1024)    /* the header fields kept */
#define REWRITE_MAX (16 * 1024 * 1024)   /* one field after rewriting: bytes */
#define REWRITE_TOKENS (4 * 1024 * 1024) /* and tokens */
#define RCPT_MAX (64 * 1024 * 1024)      /* all header addresses kept */
#define LINELEN 80                       /* where address lists fold */

static void die_nomem(void) { err_die(111, FATAL, "out of memory", (char *)0); }

static void die_read(void)
{
  if (errno == ENOMEM) die_nomem();
  err_die(111, FATAL, "read error", (char *)0);
}

static void die_write(void) { err_die_sys(111, FATAL, "unable to write output", (char *)0); }
static void die_field(void) { err_die(100, FATAL, "header field too long", (char *)0); }

static void die_usage(void)
{
  err_die(100, "qmail-inject: usage: qmail-inject [ -aAhHnN ] [ -fsender ] [ recip ... ]",
          (char *)0);
}

/* The line (which may hold any bytes) could not be read as addresses. */
static void die_parse(const char *s, size_t n)
{
  char space[512];
  iobuf b;
  io_init(&b, io_write, 2, space, sizeof space);
  io_puts(&b, FATAL "unable to parse this line:\n");
  io_put(&b, s, n);
  if (!n || s[n - 1] != '\n') io_puts(&b, "\n");
  io_flush(&b);
  _exit(100);
}

/* Act on the result of a token822 call made for the text in sa. */
static void doordie(const str *sa, int r)
{
  if (r == 1) return;
  if (r == 0) die_parse(sa->s, sa->len);
  if (errno == E2BIG) die_field();
  die_nomem();
}

/* ---- settings ---- */

static int flag_queue = 1;       /* -N (default) / -n */
static int flag_namecomment;     /* QMAILINJECT c */
static int flag_deletesender;    /* s */
static int flag_deletefrom;      /* f */
static int flag_deletemessid;    /* i */
static int flag_hackrecip;       /* r */
static int flag_hackmess;        /* m */
static int flag_rh;              /* header recipients are used */
static int flag_resent;

static time_t starttime;
static const char *mailuser, *mailhost, *fullname, *mailruser, *mailrhost;

static str idhost = STR_INIT;
static str host_text = STR_INIT, domain_text = STR_INIT, plus_text = STR_INIT;
static token822_list host_tokens = TOKEN822_LIST_INIT;
static token822_list domain_tokens = TOKEN822_LIST_INIT;
static token822_list plus_tokens = TOKEN822_LIST_INIT;
static const struct token822_defaults defaults = { &host_tokens, &domain_tokens, &plus_tokens };

/* Read a control value (the literal def when neither the file nor me
 * exists, or when there is no QMAILHOME), then let $var override it. */
static void get_control(str *value, int have_home, const char *fn, const char *def,
                        const char *var)
{
  const char *x = env_get(var);
  int r = have_home ? control_rldef(value, fn, 1, def) : (str_copys(value, def) ? 1 : -1);
  if (r != 1) die_read();
  if (x && !str_copys(value, x)) die_nomem();
}

/* prefix and the control value, as tokens to append to addresses. */
static void get_tokens(token822_list *tokens, str *text, int have_home, const char *prefix,
                       const char *fn, const char *def, const char *var)
{
  str value = STR_INIT, sa = STR_INIT;
  get_control(&value, have_home, fn, def, var);
  if (!str_copys(&sa, prefix) || !str_catstr(&sa, &value)) die_nomem();
  doordie(&sa, token822_parse(tokens, text, sa.s, sa.len));
  str_free(&value);
  str_free(&sa);
}

static void get_controls(void)
{
  int have_home = 1;
  /* Without QMAILHOME at all (nothing installed) every control has its
   * default; control files are never looked for anywhere else. */
  if (chdir(auto_qmail) == -1) {
    if (errno != ENOENT) err_die_sys(111, FATAL, "unable to chdir to ", auto_qmail, (char *)0);
    have_home = 0;
  } else if (control_init() == -1) die_read();
  get_tokens(&domain_tokens, &domain_text, have_home, ".", "control/defaultdomain",
             "defaultdomain", "QMAILDEFAULTDOMAIN");
  get_tokens(&host_tokens, &host_text, have_home, "@", "control/defaulthost", "defaulthost",
             "QMAILDEFAULTHOST");
  get_tokens(&plus_tokens, &plus_text, have_home, ".", "control/plusdomain", "plusdomain",
             "QMAILPLUSDOMAIN");
  get_control(&idhost, have_home, "control/idhost", "idhost", "QMAILIDHOST");
}

static const char *first_env(const char *a, const char *b, const char *c, const char *d)
{
  const char *x = env_get(a);
  if (!x && b) x = env_get(b);
  if (!x && c) x = env_get(c);
  if (!x && d) x = env_get(d);
  return x;
}

static void get_environment(void)
{
  const char *x = env_get("QMAILINJECT");
  for (; x && *x; ++x) {
    switch (*x) {
    case 'c': flag_namecomment = 1; break;
    case 's': flag_deletesender = 1; break;
    case 'f': flag_deletefrom = 1; break;
    case 'i': flag_deletemessid = 1; break;
    case 'r': flag_hackrecip = 1; break;
    case 'm': flag_hackmess = 1; break;
    default: break;
    }
  }
  mailhost = first_env("QMAILHOST", "MAILHOST", 0, 0);
  mailuser = first_env("QMAILUSER", "MAILUSER", "USER", "LOGNAME");
  if (!mailuser) mailuser = "anonymous";
  fullname = first_env("QMAILNAME", "MAILNAME", "NAME", 0);
  mailruser = env_get("QMAILSUSER");
  if (!mailruser) mailruser = mailuser;
  mailrhost = env_get("QMAILSHOST");
  if (!mailrhost) mailrhost = mailhost;
}

/* ---- output: qmail-queue, or fd 1 with -n ---- */

static qq queue;
static iobuf out;
static char outspace[IO_OUTSIZE];

static void put(const char *buf, size_t len)
{
  if (!len) return; /* buf may be 0 then (an empty str) */
  if (flag_queue) qq_put(&queue, buf, len);
  else if (io_put(&out, buf, len) == -1) die_write();
}

static void puts_(const char *s) { put(s, strlen(s)); }
static void putstr(const str *sa) { put(sa->s, sa->len); }

/* ---- addresses ---- */

static str sender = STR_INIT;   /* envelope sender, once sender_set */
static int sender_set;
static str args_rcpt = STR_INIT; /* each list: C strings, each ending in NUL */
static str hr = STR_INIT;        /* To Cc Bcc Apparently-To */
static str hrr = STR_INIT;       /* Resent-To Resent-Cc Resent-Bcc */
static str tocc = STR_INIT;      /* To Cc, for Mail-Followup-To */
static str unquoted = STR_INIT;

/* Add the address to a list (an address holding a NUL ends there, as
 * the envelope would cut it anyway). */
static int list_add(str *list, const token822_list *addr)
{
  if (!token822_unquote(&unquoted, addr)) return 0;
  if (hr.len + hrr.len + tocc.len + unquoted.len >= RCPT_MAX) {
    errno = E2BIG;
    return 0;
  }
  return str_cats(list, unquoted.s) && str_putc(list, 0);
}

enum rw_kind {
  RW_SENDER, /* rewrite only */
  RW_RETURN, /* Return-Path: the envelope sender */
  RW_HR,     /* header recipient */
  RW_TOCC,   /* header recipient, also for Mail-Followup-To */
  RW_HRR,    /* recipient of a resent message */
  RW_ARG     /* recipient given as an argument */
};

/* One field being rewritten: what its addresses are for, and how much
 * they have grown to (completing every address of a long list with a
 * long default host must not exhaust memory). */
struct rw_field {
  enum rw_kind kind;
  size_t tokens;
  size_t bytes;
};

static int rewrite_one(token822_list *addr, void *ctx)
{
  struct rw_field *f = ctx;
  size_t i;

  if (!token822_rewrite(addr, &defaults)) return 0;
  f->tokens += addr->len;
  for (i = 0; i < addr->len && f->bytes <= REWRITE_MAX; ++i) /* + a separator */
    if (!size_add(f->bytes, addr->t[i].len, &f->bytes) || !size_add(f->bytes, 1, &f->bytes))
      f->bytes = SIZE_MAX;
  if (f->tokens > REWRITE_TOKENS || f->bytes > REWRITE_MAX) {
    errno = E2BIG;
    return 0;
  }
  switch (f->kind) {
  case RW_RETURN:
    if (sender_set) return 1;
    if (!token822_unquote(&unquoted, addr) || !str_copys(&sender, unquoted.s)) return 0;
    sender_set = 1;
    return 1;
  case RW_HR: return list_add(&hr, addr);
  case RW_TOCC: return list_add(&hr, addr) && list_add(&tocc, addr);
  case RW_HRR: return list_add(&hrr, addr);
  case RW_ARG: return list_add(&args_rcpt, addr);
  default: return 1; /* RW_SENDER: rewriting is all */
  }
}

/* Rewrite an address list after keep tokens (a field name and its colon,
 * or nothing), collecting its addresses for kind; the result is left in
 * rewritten. */
static token822_list rewritten = TOKEN822_LIST_INIT;

static void rewrite_list(const str *text_in, size_t keep, enum rw_kind kind)
{
  static token822_list in = TOKEN822_LIST_INIT;
  static str text = STR_INIT;
  struct rw_field f = { kind, 0, 0 };

  doordie(text_in, token822_parse(&in, &text, text_in->s, text_in->len));
  doordie(text_in, token822_addrlist(&rewritten, &in, keep, rewrite_one, &f));
}

/* Replace the field (name, colon, address list) by its rewritten form. */
static void rewrite_field(str *field, enum rw_kind kind)
{
  rewrite_list(field, 2, kind);
  if (!token822_unparse(field, &rewritten, LINELEN)) die_nomem();
  if (field->len > REWRITE_MAX) die_field();
}

/* ---- the header ---- */

static int seen[HEADER_TYPES];
static str saved = STR_INIT; /* the fields kept, in order */

static void do_field(str *field)
{
  enum header_type type = header_known(field->s, field->len);

  if (flag_deletefrom && type == HEADER_FROM) return;
  if (flag_deletemessid && type == HEADER_MESSAGEID) return;
  if (flag_deletesender && type == HEADER_RETURNPATH) return;
  seen[type] = 1;

  switch (type) {
  case HEADER_TO: case HEADER_CC:
    rewrite_field(field, RW_TOCC);
    break;
  case HEADER_BCC: case HEADER_APPARENTLYTO:
    rewrite_field(field, RW_HR);
    break;
  case HEADER_R_TO: case HEADER_R_CC: case HEADER_R_BCC:
    rewrite_field(field, RW_HRR);
    break;
  case HEADER_RETURNPATH:
    rewrite_field(field, RW_RETURN);
    break;
  case HEADER_SENDER: case HEADER_FROM: case HEADER_REPLYTO:
  case HEADER_RETURNRECEIPTTO: case HEADER_ERRORSTO:
  case HEADER_R_SENDER: case HEADER_R_FROM: case HEADER_R_REPLYTO:
    rewrite_field(field, RW_SENDER);
    break;
  default:
    break;
  }

  switch (type) {
  case HEADER_BCC: case HEADER_R_BCC: case HEADER_RETURNPATH: case HEADER_CONTENTLENGTH:
    return; /* removed */
  default:
    break;
  }
  if (saved.len + field->len > HEADER_MAX)
    err_die(100, FATAL, "header too long", (char *)0);
  if (!str_catstr(&saved, field)) die_nomem();
}

static void append_token(token822_list *t, enum token822_type type, const char *s)
{
  struct token822 tok;
  tok.type = type;
  tok.s = s;
  tok.len = s ? strlen(s) : 0;
  if (!token822_append(t, &tok)) die_nomem();
}

/* The local part as one token, quoted if it needs to be. */
static void append_user(token822_list *t, const char *user)
{
  append_token(t, token822_quote_need(user, strlen(user)) ? TOKEN822_QUOTE : TOKEN822_ATOM, user);
}

/* The From field qmail-inject adds, named name ("From" or "Resent-From"):
 * written out from tokens, then read back and rewritten like any other
 * sender field (so a bare user gets the default host). */
static void make_from(str *field, const char *name)
{
  token822_list t = TOKEN822_LIST_INIT;
  int phrase = fullname && !flag_namecomment;

  append_token(&t, TOKEN822_ATOM, name);
  append_token(&t, TOKEN822_COLON, 0);
  if (phrase) {
    append_token(&t, TOKEN822_QUOTE, fullname);
    append_token(&t, TOKEN822_LEFT, 0);
  }
  append_user(&t, mailuser);
  if (mailhost) {
    append_token(&t, TOKEN822_AT, 0);
    append_token(&t, TOKEN822_ATOM, mailhost);
  }
  if (phrase) append_token(&t, TOKEN822_RIGHT, 0);
  if (fullname && flag_namecomment) append_token(&t, TOKEN822_COMMENT, fullname);
  if (!token822_unparse(field, &t, LINELEN)) die_nomem();
  token822_free(&t);
  rewrite_field(field, RW_SENDER);
}

/* The default envelope sender: QMAILSUSER@QMAILSHOST (or the From
 * user and host), rewritten like an address in the header; m adds
 * -TIME.PID to the user, r adds - to it and -@[] to the whole. */
static void make_sender(void)
{
  token822_list t = TOKEN822_LIST_INIT, parsed = TOKEN822_LIST_INIT;
  str user = STR_INIT, text = STR_INIT, tokens = STR_INIT;

  if (!str_copys(&user, mailruser)) die_nomem();
  if (flag_hackmess &&
      !(str_putc(&user, '-') && str_catnum(&user, (unsigned long long)starttime) &&
        str_putc(&user, '.') && str_catnum(&user, (unsigned long long)getpid())))
    die_nomem();
  if (flag_hackrecip && !str_putc(&user, '-')) die_nomem();
  append_user(&t, user.s);
  if (mailrhost) {
    append_token(&t, TOKEN822_AT, 0);
    append_token(&t, TOKEN822_ATOM, mailrhost);
  }
  if (!token822_unparse(&text, &t, 0)) die_nomem();
  doordie(&text, token822_parse(&parsed, &tokens, text.s, text.len));
  if (!token822_rewrite(&parsed, &defaults) || !token822_unquote(&sender, &parsed)) die_nomem();
  if (flag_hackrecip && !str_cats(&sender, "-@[]")) die_nomem();
  sender_set = 1;
  token822_free(&t);
  token822_free(&parsed);
  str_free(&user);
  str_free(&text);
  str_free(&tokens);
}

static void put_date(const char *prefix)
{
  str sa = STR_INIT;
  if (!str_copys(&sa, prefix) || !str_cats(&sa, "Date: ") || !date822_cat(&sa, starttime) ||
      !str_putc(&sa, '\n'))
    die_nomem();
  putstr(&sa);
  str_free(&sa);
}

/* Message-ID: <YYYYMMDDHHMMSS.PID.qmail@idhost>, the time in GMT. */
static void put_messageid(const char *prefix)
{
  str sa = STR_INIT;
  struct tm tm;
  if (!gmtime_r(&starttime, &tm)) die_nomem();
  if (!str_copys(&sa, prefix) || !str_cats(&sa, "Message-ID: <") ||
      !str_catnum(&sa, (unsigned long long)tm.tm_year + 1900) ||
      !str_catnum0(&sa, (unsigned)tm.tm_mon + 1, 2) || !str_catnum0(&sa, (unsigned)tm.tm_mday, 2) ||
      !str_catnum0(&sa, (unsigned)tm.tm_hour, 2) || !str_catnum0(&sa, (unsigned)tm.tm_min, 2) ||
      !str_catnum0(&sa, (unsigned)tm.tm_sec, 2) || !str_putc(&sa, '.') ||
      !str_catnum(&sa, (unsigned long long)getpid()) || !str_cats(&sa, ".qmail@") ||
      !str_catstr(&sa, &idhost) || !str_cats(&sa, ">\n"))
    die_nomem();
  putstr(&sa);
  str_free(&sa);
}

static int same_address(const char *a, const char *b)
{
  for (;; ++a, ++b) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return 0;
    if (!x) return 1;
  }
}

/* With $QMAILMFTFILE naming a list of mailing lists: when To or Cc
 * includes one, add Mail-Followup-To with every To and Cc address. */
static void put_mft(void)
{
  const char *fn = env_get("QMAILMFTFILE");
  str lists = STR_INIT, field = STR_INIT;
  size_t i, j, end;
  int found = 0, r;

  if (!fn || seen[HEADER_MAILFOLLOWUPTO] || !tocc.len) return;
  r = control_readfile(&lists, fn, 0);
  if (r == -1) die_read();
  for (i = 0; i < tocc.len && !found; i += strlen(tocc.s + i) + 1)
    for (j = 0; j < lists.len && !found; j += strlen(lists.s + j) + 1)
      found = same_address(tocc.s + i, lists.s + j);
  str_free(&lists);
  if (!found) return;
  /* The addresses were collected last first; list them first first. */
  if (!str_copys(&field, "Mail-Followup-To: ")) die_nomem();
  for (end = tocc.len; end;) {
    size_t start = end - 1;
    while (start && tocc.s[start - 1]) --start;
    if (end != tocc.len && !str_cats(&field, ",\n  ")) die_nomem();
    if (!token822_quote_addr(&field, tocc.s + start)) die_nomem();
    end = start;
  }
  if (!str_putc(&field, '\n')) die_nomem();
  putstr(&field);
  str_free(&field);
}

static void finish_header(void)
{
  const char *prefix;
  str field = STR_INIT;

  flag_resent = seen[HEADER_R_SENDER] || seen[HEADER_R_FROM] || seen[HEADER_R_REPLYTO] ||
                seen[HEADER_R_TO] || seen[HEADER_R_CC] || seen[HEADER_R_BCC] ||
                seen[HEADER_R_DATE] || seen[HEADER_R_MESSAGEID];
  prefix = flag_resent ? "Resent-" : "";

  /* -n shows the envelope sender first, as delivery would put it */
  if (!flag_queue) {
    if (!sender_set) make_sender();
    if (!str_copys(&field, "Return-Path: <") || !token822_quote_addr(&field, sender.s) ||
        !str_cats(&field, ">\n"))
      die_nomem();
    putstr(&field);
  }

  if (!seen[flag_resent ? HEADER_R_DATE : HEADER_DATE]) put_date(prefix);
  if (!seen[flag_resent ? HEADER_R_MESSAGEID : HEADER_MESSAGEID]) put_messageid(prefix);
  if (!seen[flag_resent ? HEADER_R_FROM : HEADER_FROM]) {
    make_from(&field, flag_resent ? "Resent-From" : "From");
    putstr(&field);
  }
  if (flag_resent ? !seen[HEADER_R_TO] && !seen[HEADER_R_CC] : !seen[HEADER_TO] && !seen[HEADER_CC]) {
    puts_(prefix);
    puts_("Cc: recipient list not shown: ;\n");
  }
  put_mft();
  putstr(&saved);
  str_free(&field);
  str_free(&saved);
}

/* ---- reading the message ---- */

/* Copy the rest of the input: first (already read), then everything
 * else. A last line without a newline gets one. */
static void copy_body(iobuf *in, const str *first)
{
  char last = '\n';
  ssize_t r;

  if (first->len) {
    putstr(first);
    last = first->s[first->len - 1];
  }
  while ((r = io_feed(in)) > 0) {
    put(io_peek(in), (size_t)r);
    last = io_peek(in)[r - 1];
    io_skip(in, (size_t)r);
  }
  if (r < 0) die_read();
  if (last != '\n') put("\n", 1);
}

/* The header ends at an empty line (which belongs to the body), at a
 * line that cannot start a field (which begins the body), or at the end
 * of the input. Lines starting with space or tab continue a field; an
 * mbox "From " line is kept as an MBOX-Line field. */
static void read_message(iobuf *in)
{
  str line = STR_INIT, field = STR_INIT;
  int have = 0;

  for (;;) {
    int r;
    line.len = 0;
    r = io_getline(in, &line, '\n', FIELD_MAX);
    if (r == IO_ERR) die_read();
    if (r == IO_EOF) {
      if (!line.len) break;
      if (!str_putc(&line, '\n')) die_nomem();
    }
    if (have && (line.s[0] == ' ' || line.s[0] == '\t')) {
      if (r == IO_TOOLONG || line.len > FIELD_MAX - field.len) die_field();
      if (!str_catstr(&field, &line)) die_nomem();
      continue;
    }
    if (have) do_field(&field);
    have = 0;
    if (str_starts(&line, "From ")) {
      if (r == IO_TOOLONG || line.len > FIELD_MAX - 11) die_field();
      if (!str_copys(&field, "MBOX-Line: ") || !str_catstr(&field, &line)) die_nomem();
      have = 1;
      continue;
    }
    if (!str_equals(&line, "\n") && header_valid(line.s, line.len)) {
      if (r == IO_TOOLONG) die_field();
      if (!str_copystr(&field, &line)) die_nomem();
      have = 1;
      continue;
    }
    finish_header();
    copy_body(in, &line);
    str_free(&line);
    str_free(&field);
    return;
  }
  if (have) do_field(&field);
  finish_header();
  str_free(&line);
  str_free(&field);
}

/* ---- the envelope ---- */

static void put_list(const str *list)
{
  size_t i;
  for (i = 0; i < list->len; i += strlen(list->s + i) + 1) qq_to(&queue, list->s + i);
}

static void queue_it(void)
{
  const char *result;

  if (!sender_set) make_sender();
  qq_from(&queue, sender.s);
  put_list(&args_rcpt);
  if (flag_rh) put_list(flag_resent ? &hrr : &hr);
  result = qq_close(&queue);
  if (*result) err_die(*result == 'D' ? 100 : 111, FATAL, result + 1, (char *)0);
}

enum recip_strategy { RECIP_DEFAULT, RECIP_ARGS, RECIP_HEADER, RECIP_AH };

int main(int argc, char **argv)
{
  enum recip_strategy strategy = RECIP_DEFAULT;
  char inspace[IO_INSIZE];
  iobuf in;
  int opt;

  sig_ignore(SIGPIPE);
  starttime = time(0);
  get_environment();
  get_controls();

  opterr = 0;
  while ((opt = getopt(argc, argv, "+aAhHnNf:")) != -1) {
    switch (opt) {
    case 'a': strategy = RECIP_ARGS; break;
    case 'A': strategy = RECIP_DEFAULT; break;
    case 'h': strategy = RECIP_HEADER; break;
    case 'H': strategy = RECIP_AH; break;
    case 'n': flag_queue = 0; break;
    case 'N': flag_queue = 1; break;
    case 'f':
      if (!str_copys(&sender, optarg)) die_nomem();
      sender_set = 1;
      break;
    default: die_usage();
    }
  }
  argv += optind;
  if (strategy == RECIP_DEFAULT) strategy = *argv ? RECIP_ARGS : RECIP_HEADER;
  /* Argument recipients are completed like header addresses
   * (defaulthost, defaultdomain, plusdomain). */
  if (strategy != RECIP_HEADER)
    for (; *argv; ++argv) {
      static str arg = STR_INIT;
      if (!str_copys(&arg, *argv)) die_nomem();
      rewrite_list(&arg, 0, RW_ARG);
    }
  flag_rh = strategy != RECIP_ARGS;

  if (flag_queue) {
    if (qq_open(&queue) == -1) err_die(111, FATAL, "unable to run qmail-queue", (char *)0);
  } else {
    io_init(&out, io_write, 1, outspace, sizeof outspace);
  }

  io_init(&in, io_read, 0, inspace, sizeof inspace);
  read_message(&in);

  if (!flag_queue) {
    if (io_flush(&out) == -1) die_write();
    return 0;
  }
  queue_it();
  return 0;
}
