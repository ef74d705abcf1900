/* rcpthosts.c: the relay check (see rcpthosts.h). */
#include <errno.h>
#include "cdb.h"
#include "control.h"
#include "ctlset.h"
#include "fd.h"
#include "open.h"
#include "rcpthosts.h"
#include "str.h"

static str lines = STR_INIT;
static struct ctlset set;
static int have_rcpthosts;
static int mrhfd = -1;
static struct cdb mrh;

int rcpthosts_init(void)
{
  have_rcpthosts = control_readfile(&lines, "control/rcpthosts", 0);
  if (have_rcpthosts == -1) return -1;
  if (!have_rcpthosts) return 0;
  if (!ctlset_load(&set, &lines)) return -1;
  mrhfd = open_read("control/morercpthosts.cdb");
  if (mrhfd == -1) return errno == ENOENT ? 0 : -1;
  if (fd_cloexec(mrhfd, 1) == -1 || cdb_init(&mrh, mrhfd) == -1) return -1;
  return 0;
}

int rcpthosts_ok(const char *addr, size_t len)
{
  static str host = STR_INIT;
  const char *at = 0;

  if (!have_rcpthosts) return 1;
  for (size_t i = 0; i < len; ++i)
    if (addr[i] == '@') at = addr + i;
  if (!at) return 1;
  if (!str_copy(&host, at + 1, len - (size_t)(at + 1 - addr))) return -1;
  ctlset_lower(host.s, host.len);
  /* The whole host, then each suffix that starts at a dot (".example.com"
   * lines cover every subdomain). */
  for (size_t j = 0; j < host.len; ++j)
    if ((!j || host.s[j] == '.') && ctlset_has(&set, host.s + j, host.len - j)) return 1;
  if (mrhfd != -1)
    for (size_t j = 0; j < host.len; ++j)
      if (!j || host.s[j] == '.') {
        int r = cdb_find(&mrh, host.s + j, host.len - j);
        if (r) return r;
      }
  return 0;
}
