/* sesslog.c: the session log of the receiving programs (see sesslog.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "num.h"
#include "sesslog.h"

void sesslog_init(struct sesslog *l, int on)
{
  l->on = on;
  l->pid[num_fmt(l->pid, (unsigned long long)getpid())] = 0;
  l->len = 0;
  l->cut = 0;
}

/* Append n bytes, as far as they fit (room is kept for "...\n"). */
static void put(struct sesslog *l, const char *s, size_t n)
{
  size_t room = SESSLOG_MAX - 4 - l->len;
  if (n > room) {
    n = room;
    l->cut = 1;
  }
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

void sesslog_begin(struct sesslog *l, const char *word)
{
  l->len = 0;
  l->cut = 0;
  if (!l->on) return;
  put(l, l->pid, strlen(l->pid));
  sesslog_word(l, word);
}

void sesslog_word(struct sesslog *l, const char *s) { sesslog_wordn(l, s, strlen(s)); }

void sesslog_wordn(struct sesslog *l, const char *s, size_t n)
{
  if (!l->on) return;
  put(l, " ", 1);
  put(l, s, n);
}

void sesslog_num(struct sesslog *l, unsigned long long n)
{
  char digits[NUM_ULL_DIGITS];
  if (!l->on) return;
  put(l, " ", 1);
  put(l, digits, num_fmt(digits, n));
}

void sesslog_client(struct sesslog *l, const char *before, const char *s, size_t n,
                    const char *after)
{
  static const char hex[] = "0123456789abcdef";
  if (!l->on) return;
  put(l, " ", 1);
  put(l, before, strlen(before));
  while (n && !l->cut) {
    size_t plain = 0;
    /* a run of bytes that stand for themselves, then one escaped */
    while (plain < n && s[plain] > ' ' && s[plain] < 127 && s[plain] != '\\') ++plain;
    put(l, s, plain);
    s += plain;
    n -= plain;
    if (n) {
      char esc[4] = { '\\', 'x', hex[(unsigned char)*s >> 4], hex[(unsigned char)*s & 15] };
      put(l, esc, sizeof esc);
      ++s;
      --n;
    }
  }
  put(l, after, strlen(after));
}

void sesslog_end(struct sesslog *l)
{
  ssize_t w;
  if (!l->on) return;
  if (l->cut) {
    memcpy(l->buf + l->len, "...", 3);
    l->len += 3;
  }
  l->buf[l->len++] = '\n';
  do w = write(2, l->buf, l->len); while (w == -1 && errno == EINTR);
  l->len = 0;
  l->cut = 0;
}

void sesslog_connect(struct sesslog *l, const char *proto, const char *ip, const char *host,
                     const char *info)
{
  sesslog_begin(l, proto);
  sesslog_word(l, "from");
  sesslog_client(l, "", ip, strlen(ip), "");
  sesslog_word(l, "host");
  sesslog_client(l, "", host, strlen(host), "");
  if (info) {
    sesslog_word(l, "info");
    sesslog_client(l, "", info, strlen(info), "");
  }
  sesslog_end(l);
}

void sesslog_queued(struct sesslog *l, unsigned long long qp, unsigned long long bytes,
                    const char *from, size_t fromlen, unsigned long long rcpts)
{
  sesslog_begin(l, "queued qp");
  sesslog_num(l, qp);
  sesslog_word(l, "bytes");
  sesslog_num(l, bytes);
  sesslog_word(l, "from");
  sesslog_client(l, "<", from, fromlen, ">");
  sesslog_word(l, "rcpts");
  sesslog_num(l, rcpts);
  sesslog_end(l);
}

void sesslog_refused(struct sesslog *l, const char *from, size_t fromlen, const char *response)
{
  sesslog_begin(l, "message");
  sesslog_client(l, "<", from, fromlen, ">");
  sesslog_word(l, "refused");
  sesslog_word(l, response);
  sesslog_end(l);
}
