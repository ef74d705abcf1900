/* pop3cmd.c: POP3 command lines, message numbers and the RETR/TOP message
 * encoding (see pop3cmd.h). Everything here works on bytes a client sent
 * or a mailbox holds; nothing trusts them, and nothing here allocates. */
#include <string.h>
#include <strings.h>
#include "cmdline.h"
#include "num.h"
#include "pop3cmd.h"

void pop3cmd_init(struct pop3cmd *c)
{
  c->len = 0;
  c->overlong = 0;
  c->complete = 0;
}

int pop3cmd_feed(struct pop3cmd *c, const char *buf, size_t len, size_t *used)
{
  return cmdline_take(c->line, POP3CMD_LINE_MAX, &c->len, &c->overlong, &c->complete,
                      buf, len, used) ? POP3CMD_LINE : POP3CMD_MORE;
}

static const struct {
  const char *name;
  enum pop3cmd_verb verb;
} verbs[] = {
  { "user", POP3CMD_USER }, { "pass", POP3CMD_PASS }, { "apop", POP3CMD_APOP },
  { "quit", POP3CMD_QUIT }, { "noop", POP3CMD_NOOP }, { "stat", POP3CMD_STAT },
  { "list", POP3CMD_LIST }, { "uidl", POP3CMD_UIDL }, { "top", POP3CMD_TOP },
  { "retr", POP3CMD_RETR }, { "dele", POP3CMD_DELE }, { "rset", POP3CMD_RSET },
  { "last", POP3CMD_LAST },
};

int pop3cmd_overlong(const struct pop3cmd *c) { return c->overlong; }

enum pop3cmd_verb pop3cmd_verb(struct pop3cmd *c, char **arg)
{
  static char empty[1];
  char *a;
  size_t n;

  c->line[c->len] = 0;
  n = strcspn(c->line, " "); /* stops at the first NUL too */
  for (a = c->line + n; *a == ' '; ++a) continue;
  empty[0] = 0;
  *arg = c->overlong ? empty : a;
  for (size_t i = 0; i < sizeof verbs / sizeof *verbs; ++i)
    if (strlen(verbs[i].name) == n && !strncasecmp(verbs[i].name, c->line, n))
      return verbs[i].verb;
  return POP3CMD_UNKNOWN;
}

void pop3cmd_wipe(struct pop3cmd *c)
{
  /* explicit_bzero: the compiler may not drop it as a dead store. */
  explicit_bzero(c->line, sizeof c->line);
  c->len = 0;
}

int pop3cmd_msgno(const char *arg, size_t count, size_t *index)
{
  unsigned long long n;

  if (!num_scan(arg, strlen(arg), &n)) return POP3CMD_NUM_SYNTAX;
  if (!n) return POP3CMD_NUM_ZERO;
  if (n > count) return POP3CMD_NUM_TOOBIG;
  *index = (size_t)(n - 1);
  return POP3CMD_NUM_OK;
}

int pop3cmd_lines(const char *arg, unsigned long long *lines)
{
  unsigned long long skipped;
  size_t len = strlen(arg);
  size_t i = num_scan(arg, len, &skipped);

  while (i < len && arg[i] == ' ') ++i;
  return num_scan(arg + i, len - i, lines) > 0;
}

int pop3cmd_apop(char *arg, char **name, char **digest)
{
  char *space = strchr(arg, ' ');
  if (!space) return 0;
  *space = 0;
  *name = arg;
  *digest = space + 1;
  return 1;
}

/* ---- RETR and TOP ---- */

enum { MSG_BOL, MSG_INLINE, MSG_DONE };

void pop3msg_init(struct pop3msg *m, int limited, unsigned long long lines)
{
  m->state = MSG_BOL;
  m->inheader = 1;
  m->limited = limited;
  m->left = lines;
}

int pop3msg_done(const struct pop3msg *m) { return m->state == MSG_DONE; }

size_t pop3msg_encode(struct pop3msg *m, const char *in, size_t len, char *out)
{
  size_t i = 0, o = 0;

  while (i < len && m->state != MSG_DONE) {
    if (m->state == MSG_BOL) {
      /* A line starts with this byte: count it against the limit if it
       * is in the body (the empty line ending the header is not). */
      if (m->limited && !m->inheader) {
        if (!m->left) {
          m->state = MSG_DONE;
          break;
        }
        --m->left;
      }
      if (in[i] == '\n') {
        m->inheader = 0;
        out[o++] = '\r';
        out[o++] = '\n';
        ++i;
        continue;
      }
      if (in[i] == '.') out[o++] = '.';
      m->state = MSG_INLINE;
    }
    /* Inside a line: copy up to its LF in one go. */
    {
      const char *lf = memchr(in + i, '\n', len - i);
      size_t run = lf ? (size_t)(lf - (in + i)) : len - i;
      memcpy(out + o, in + i, run);
      o += run;
      i += run;
      if (lf) {
        out[o++] = '\r';
        out[o++] = '\n';
        ++i;
        m->state = MSG_BOL;
      }
    }
  }
  return o;
}

size_t pop3msg_finish(struct pop3msg *m, char *out)
{
  size_t o = 0;
  if (m->state == MSG_INLINE) {
    out[o++] = '\r';
    out[o++] = '\n';
  }
  memcpy(out + o, "\r\n.\r\n", 5);
  m->state = MSG_DONE;
  return o + 5;
}
