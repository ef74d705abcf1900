/* qreceipt: answer a request for a delivery notice (qreceipt(1)):
 *   |qreceipt youraddress
 * When youraddress is one of the addresses in a
 * Notice-Requested-Upon-Delivery-To field of the message on stdin, a
 * "success notice" goes back to the envelope sender ($SENDER), from the
 * empty sender, quoting the message's Message-ID field if it has one. No
 * notice for bounces (sender empty or #@[]). Exit 0 (also when no notice
 * was due), 100 on a field it cannot parse or a permanent qmail-queue
 * failure, 111 on temporary trouble.
 * Runs as the user qmail-local runs it as, with no privileges of its own.
 * Untrusted: the message header (read through headerbody's bounded
 * fields; the notice fields parsed by token822, which bounds its input)
 * and $SENDER. Touches no files: it only starts qmail-queue. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "env.h"
#include "headerbody.h"
#include "io.h"
#include "qq.h"
#include "sig.h"
#include "str.h"
#include "token822.h"

static const char *target;
static const char *returnpath;
static int flagreceipt;
static str messageid = STR_INIT; /* the last Message-ID field, whole */
static int havemessageid;

static void die_msg(int code, const char *s, size_t n)
{
  char space[256];
  iobuf b;
  io_init(&b, io_write, 2, space, sizeof space);
  io_putflush(&b, s, n);
  _exit(code);
}

static void die(int code, const char *s) { die_msg(code, s, strlen(s)); }
static void die_nomem(void) { die(111, "qreceipt: fatal: out of memory\n"); }
static void die_usage(void) { die(100, "qreceipt: usage: qreceipt deliveryaddress\n"); }

/* Act on a parsing result r for the field s: 1 goes on, -1 (out of
 * memory) exits 111, 0 (it does not parse) shows it and exits 100. */
static void doordie(const char *s, size_t n, int r)
{
  str text = STR_INIT;
  if (r == 1) return;
  if (r == -1) die_nomem();
  if (!str_copys(&text, "qreceipt: fatal: unable to parse this: ") || !str_cat(&text, s, n))
    die_nomem();
  if (text.s[text.len - 1] != '\n' && !str_putc(&text, '\n')) die_nomem();
  die_msg(100, text.s, text.len);
}

static int match_target(token822_list *addr, void *ctx)
{
  str *unquoted = ctx;
  if (!token822_unquote(unquoted, addr)) return 0;
  if (unquoted->len == strlen(target) && !memcmp(unquoted->s, target, unquoted->len))
    flagreceipt = 1;
  return 1;
}

static void field(void *ctx, const char *s, size_t n, int whole)
{
  static token822_list in = TOKEN822_LIST_INIT, out = TOKEN822_LIST_INIT;
  static str text = STR_INIT, unquoted = STR_INIT;
  (void)ctx;

  if (headerbody_is(s, n, "message-id")) {
    if (!str_copy(&messageid, s, n)) die_nomem();
    havemessageid = 1;
  } else if (headerbody_is(s, n, "notice-requested-upon-delivery-to")) {
    /* A cut list might end in a cut address that happens to match. */
    doordie(s, n, whole ? token822_parse(&in, &text, s, n) : 0);
    doordie(s, n, token822_addrlist(&out, &in, 2, match_target, &unquoted));
  }
}

static void send_notice(void)
{
  qq q;
  str quoted = STR_INIT;
  const char *text;

  if (!token822_quote_addr(&quoted, returnpath)) die_nomem();
  if (qq_open(&q) == -1) die(111, "qreceipt: fatal: unable to fork\n");
  qq_puts(&q, "From: DELIVERY NOTICE SYSTEM <");
  qq_put(&q, quoted.s, quoted.len);
  qq_puts(&q, ">\nTo: <");
  qq_put(&q, quoted.s, quoted.len);
  qq_puts(&q, ">\nSubject: success notice\n\n"
              "Hi! This is the qreceipt program. Your message was delivered to the\n"
              "following address: ");
  qq_puts(&q, target);
  qq_puts(&q, ". Thanks for asking.\n");
  if (havemessageid) {
    qq_puts(&q, "Your ");
    qq_put(&q, messageid.s, messageid.len);
  }
  qq_from(&q, "");
  qq_to(&q, returnpath);
  text = qq_close(&q);
  if (*text == 'D') die(100, "qreceipt: fatal: permanent qmail-queue error\n");
  if (*text) die(111, "qreceipt: fatal: temporary qmail-queue error\n");
}

/* Only the header matters. */
static int body(void *ctx, const char *s, size_t n)
{
  (void)ctx;
  (void)s;
  (void)n;
  return 0;
}

int main(int argc, char **argv)
{
  static char inspace[IO_INSIZE];
  struct headerbody h = { field, body, 0 };
  iobuf in;

  sig_ignore(SIGPIPE);
  if (argc < 2 || !(target = argv[1])) die_usage();
  if (!(returnpath = env_get("SENDER"))) die_usage();
  io_init(&in, io_read, 0, inspace, sizeof inspace);
  if (headerbody(&in, &h) == -1) {
    if (errno == ENOMEM) die_nomem();
    die(111, "qreceipt: fatal: read error\n");
  }
  if (flagreceipt && strcmp(returnpath, "") && strcmp(returnpath, "#@[]")) send_notice();
  return 0;
}
