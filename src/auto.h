/* auto.h: build-time configuration, generated from the conf-* files by
 * src/mkauto (see the Makefile). */
#ifndef AUTO_H
#define AUTO_H

#include <sys/types.h>

extern const char auto_qmail[];       /* conf-qmail: QMAILHOME */
extern const unsigned long auto_split; /* conf-split */
extern const unsigned long auto_spawn; /* conf-spawn */
extern const char auto_break[];       /* conf-break */
extern const unsigned long auto_patrn; /* conf-patrn, octal */

/* conf-users, in its order, and conf-groups (their ids looked up when
 * the programs were built, as qmail does: nothing reads /etc/passwd for
 * them at run time). */
extern const char *const auto_user_names[8];
extern const char *const auto_group_names[2];
extern const uid_t auto_uida, auto_uidd, auto_uidl, auto_uido;
extern const uid_t auto_uidp, auto_uidq, auto_uidr, auto_uids;
extern const gid_t auto_gidq, auto_gidn;

#endif
