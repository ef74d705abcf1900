/* checkpassword: check a login name and password against the system's
 * password database and, if they are good, run a program as that user
 * (D. J. Bernstein's checkpassword interface; checkpassword(8)).
 * Usage: checkpassword prog [args...]; runs as root (under qmail-popup).
 * Untrusted input: fd 3, read to end of file, at most 512 bytes: a login
 * name, a password and a timestamp, each ending in a NUL byte (the
 * timestamp is not used). Accounts are looked up with getpwnam, their
 * password hashes with getspnam (falling back to the passwd entry), and
 * the password is hashed with crypt() from libcrypt.so.1, which is loaded
 * with dlopen so that the program links with the C library alone. The
 * hashes are compared in constant time, and an unknown name, a locked or
 * empty hash cost the same crypt() call as a good one.
 * Touches: no files. On success: sets USER, HOME and SHELL, takes the
 * user's gid (as its only group) and uid, changes to HOME and runs prog.
 * Exits 1 for a bad login, 2 when misused, 111 for a temporary problem. */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INPUT_MAX 512

/* A yescrypt setting (the default method of Debian's libcrypt and
 * pam_unix) for hashing when there is no usable hash to compare with. */
static const char dummy_setting[] = "$y$j9T$ZqBOoeBlNJEkWeHWAHcQ5.";

typedef char *(*crypt_fn)(const char *key, const char *setting);

static crypt_fn load_crypt(void)
{
  void *lib = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
  void *sym;
  crypt_fn fn;

  if (!lib) _exit(111);
  sym = dlsym(lib, "crypt");
  if (!sym) _exit(111);
  memcpy(&fn, &sym, sizeof fn); /* object pointer to function pointer */
  return fn;
}

/* 1 if errno after a failed getpwnam/getspnam says the lookup itself
 * failed (rather than that there is no such entry). */
static int lookup_failed(void)
{
  switch (errno) {
  case EIO: case EINTR: case ENOMEM: case EMFILE: case ENFILE: case EAGAIN: case ERANGE:
    return 1;
  default:
    return 0;
  }
}

/* 1 if the C strings a and b are equal; the time taken depends on their
 * lengths only, not on where they differ. */
static int same(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  size_t n = la < lb ? la : lb;
  unsigned char diff = la != lb;
  for (size_t i = 0; i < n; ++i) diff |= (unsigned char)(a[i] ^ b[i]);
  return !diff;
}

int main(int argc, char **argv)
{
  static char input[INPUT_MAX + 1];
  size_t len = 0;
  const char *name, *password, *stored = 0, *hash;
  char *end;
  struct passwd *pw;
  crypt_fn crypt_;
  int good;

  if (argc < 2) _exit(2);

  /* The login: read to end of file, one byte past the limit at most. */
  for (;;) {
    ssize_t r = read(3, input + len, sizeof input - len);
    if (r == -1 && errno == EINTR) continue;
    if (r == -1) _exit(errno == EBADF ? 2 : 111);
    if (r == 0) break;
    len += (size_t)r;
    if (len > INPUT_MAX) _exit(2);
  }
  close(3);
  name = input;
  end = memchr(input, 0, len);
  if (!end) _exit(2);
  password = end + 1;
  end = memchr(password, 0, len - (size_t)(password - input));
  if (!end || !memchr(end + 1, 0, len - (size_t)(end + 1 - input))) _exit(2); /* timestamp */

  crypt_ = load_crypt();
  errno = 0;
  pw = getpwnam(name);
  if (!pw && lookup_failed()) _exit(111);
  if (pw) {
    struct spwd *sp;
    errno = 0;
    sp = getspnam(name);
    if (!sp && lookup_failed()) _exit(111);
    stored = sp ? sp->sp_pwdp : pw->pw_passwd;
    if (!stored || !*stored) stored = 0; /* no password: never a login */
  }
  hash = crypt_(password, stored ? stored : dummy_setting);
  good = stored && hash && hash[0] != '*' && same(hash, stored);
  explicit_bzero(input, sizeof input);
  if (!good) _exit(1);

  if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
    _exit(111);
  if (chdir(pw->pw_dir) == -1) _exit(111);
  if (setenv("USER", pw->pw_name, 1) == -1 || setenv("HOME", pw->pw_dir, 1) == -1 ||
      setenv("SHELL", pw->pw_shell, 1) == -1)
    _exit(111);
  execvp(argv[1], argv + 1);
  _exit(111);
}
