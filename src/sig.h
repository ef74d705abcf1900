/* sig.h: signal handling without surprises: handlers are installed with
 * sigaction and no SA_RESTART, so a blocking call returns EINTR. */
#ifndef SIG_H
#define SIG_H

void sig_catch(int sig, void (*handler)(int));
/* 1 if sig has a handler installed by sig_catch. */
int sig_caught(int sig);
void sig_ignore(int sig);
void sig_default(int sig);
void sig_block(int sig);
void sig_unblock(int sig);
/* Wait for any signal that is not blocked (sigsuspend with the mask
 * that was in force before the last sig_block of each signal). */
void sig_pause(void);

#endif
