/* err.h: error texts, the temporary/permanent split, and exits that
 * print a message first. */
#ifndef ERR_H
#define ERR_H

/* qmail's text for errnum ("file does not exist", "access denied"...),
 * strerror()'s for codes qmail had none for. */
const char *err_str(int errnum);

/* 1 if errnum describes a condition that may clear by itself (out of
 * memory, timeouts, I/O errors, interrupted calls, busy resources), so
 * the caller should defer and retry instead of failing for good. */
int err_temp(int errnum);

/* Write the strings (a 0 ends the list) to fd 2 and exit with code.
 * err_die_sys appends ": " and the text of the current errno. */
void err_die(int code, const char *s, ...) __attribute__((noreturn, sentinel));
void err_die_sys(int code, const char *s, ...) __attribute__((noreturn, sentinel));
/* The same without exiting. */
void err_warn(const char *s, ...) __attribute__((sentinel));

#endif
