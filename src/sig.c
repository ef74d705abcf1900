/* sig.c: signal helpers (see sig.h). */
#include <signal.h>
#include <stddef.h>
#include "sig.h"

/* The signals that have a handler of ours (every handler is installed
 * here): what a child started with vfork must reset before exec. */
static sigset_t caught;

void sig_catch(int sig, void (*handler)(int))
{
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) == -1) return;
  if (handler == SIG_IGN || handler == SIG_DFL) sigdelset(&caught, sig);
  else sigaddset(&caught, sig);
}

int sig_caught(int sig) { return sigismember(&caught, sig) == 1; }

void sig_ignore(int sig) { sig_catch(sig, SIG_IGN); }
void sig_default(int sig) { sig_catch(sig, SIG_DFL); }

static void mask(int how, int sig)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(how, &set, NULL);
}

void sig_block(int sig) { mask(SIG_BLOCK, sig); }
void sig_unblock(int sig) { mask(SIG_UNBLOCK, sig); }

void sig_pause(void)
{
  sigset_t empty;
  sigemptyset(&empty);
  sigsuspend(&empty);
}
