# Makefile for qmail, again.
#   make              build every program into build/
#   make users        create the qmail users and groups (root; idempotent)
#   make setup check  install under conf-qmail, then verify the installation
#   make test         run the whole test suite (root; see README.md)
# Build variables: B (build directory), EXTRA_CFLAGS, EXTRA_LDFLAGS, STATIC.

SHELL = /bin/sh
B = build
EXTRA_CFLAGS =
EXTRA_LDFLAGS =
# The first word of conf-cc and of conf-ld names the compiler driver; the
# rest of the line is its options. A driver that is not installed is
# replaced by cc, with a note: conf-cc names musl-gcc (Debian's
# musl-tools), whose programs start ten times faster than glibc's, and a
# machine without it still builds. `make DRIVER=cc` forces the system's
# compiler for both (the sanitizer build does).
driver = $(or $(DRIVER),$(if $(shell command -v $(1) 2>/dev/null),$(1),$(info $(2) names $(1), which is not installed: using cc (apt-get install musl-tools))cc))
CC_LINE := $(shell head -n 1 conf-cc)
LD_LINE := $(shell head -n 1 conf-ld)
CC_DRIVER := $(call driver,$(firstword $(CC_LINE)),conf-cc)
LD_DRIVER := $(call driver,$(firstword $(LD_LINE)),conf-ld)
CC1 = $(CC_DRIVER) $(wordlist 2,999,$(CC_LINE)) -Isrc -I$(B) $(EXTRA_CFLAGS)
LD1 = $(LD_DRIVER) $(wordlist 2,999,$(LD_LINE)) $(EXTRA_LDFLAGS)
# Programs that need the system's own C library (SYSLIBC_PROGS below) are
# compiled with cc and the same options, into $(SYSB) when that differs.
SYSCC1 = cc $(wordlist 2,999,$(CC_LINE)) -Isrc -I$(B) $(EXTRA_CFLAGS)
SYSLD1 = cc $(wordlist 2,999,$(LD_LINE)) $(EXTRA_LDFLAGS)
SYSB = $(if $(filter cc,$(CC_DRIVER)),$(B),$(B)/sys)

# Every src/NAME.c that defines main() is a program; the others form the
# shared library (one small module per file). Installed programs are
# those not listed in TOOLS, which serve the build and installation only.
MAINS = $(patsubst src/%.c,%,$(shell grep -l '^int main[^a-z_0-9]' src/*.c))
TOOLS = install instcheck
PROGS = $(filter-out $(TOOLS),$(MAINS))
LIBMODS = $(filter-out $(MAINS),$(patsubst src/%.c,%,$(wildcard src/*.c)))
# Shell scripts, src/NAME.sh with @QMAILHOME@ filled in, and the boot
# scripts src/boot/NAME, installed into QMAILHOME/boot.
SCRIPTS = $(patsubst src/%.sh,%,$(wildcard src/*.sh))
BOOT = $(patsubst src/boot/%,%,$(wildcard src/boot/*))

HEADERS = $(wildcard src/*.h)
UNIT_TESTS = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))

.PHONY: all lib up users setup check unit fuzz test clean FORCE
.SECONDARY:

all: $(MAINS:%=$(B)/%) $(SCRIPTS:%=$(B)/%) $(BOOT:%=$(B)/boot/%)

lib: $(B)/libqmail.a

$(B)/.dir:
	mkdir -p $(B)/tests
	touch $@

# Everything built depends on the commands that build it: a change of
# conf-cc or conf-ld, or musl-gcc installed since, rebuilds everything.
$(B)/commands: FORCE | $(B)/.dir
	@echo '$(CC1) / $(LD1) / $(SYSB)' | cmp -s - $@ || echo '$(CC1) / $(LD1) / $(SYSB)' > $@

$(B)/%.o: src/%.c $(HEADERS) $(B)/commands
	$(CC1) -c -o $@ $<

$(B)/auto_paths.c: src/mkauto conf-qmail conf-split conf-spawn conf-break conf-patrn | $(B)/.dir
	src/mkauto paths . > $@.tmp && mv $@.tmp $@

$(B)/auto_uids.c: src/mkauto conf-users conf-groups | $(B)/.dir
	src/mkauto uids . > $@.tmp && mv $@.tmp $@

$(B)/auto_%.o: $(B)/auto_%.c src/auto.h $(B)/commands
	$(CC1) -c -o $@ $<

$(B)/libqmail.a: $(LIBMODS:%=$(B)/%.o) $(B)/auto_paths.o
	rm -f $@
	ar rcs $@ $^

$(B)/sys/.dir:
	mkdir -p $(B)/sys
	touch $@

$(B)/sys/%.o: src/%.c $(HEADERS) $(B)/commands | $(B)/sys/.dir
	$(SYSCC1) -c -o $@ $<

$(B)/sys/auto_%.o: $(B)/auto_%.c src/auto.h $(B)/commands | $(B)/sys/.dir
	$(SYSCC1) -c -o $@ $<

$(B)/sys/libqmail.a: $(LIBMODS:%=$(B)/sys/%.o) $(B)/sys/auto_paths.o
	rm -f $@
	ar rcs $@ $^

# Every program carries the account ids compiled in, as qmail does.
# Programs are linked statically: a message costs several process starts
# (qmail-smtpd, qmail-queue, qmail-local...), and a static program starts
# without the dynamic loader's work, in fewer pages. `make STATIC=` links
# every program dynamically.
# SYSLIBC_PROGS use what only the system's C library provides: accounts
# through its NSS modules and password hashes through libcrypt
# (qmail-getpw-nss, checkpassword: linked dynamically, as NSS modules are
# loaded at run time), the utmp database (qbiff) and syslog's message
# format (splogger). They start a few times per delivery at most.
# qmail-getpw itself is built like every other program: it answers from
# /etc/passwd when glibc's NSS certainly would too, and execs
# qmail-getpw-nss otherwise (qmail-getpw(8)).
STATIC = -static
NSS_PROGS = qmail-getpw-nss checkpassword
SYSLIBC_PROGS = $(NSS_PROGS) qbiff splogger
$(B)/%: $(B)/%.o $(B)/auto_uids.o $(B)/libqmail.a $(B)/commands
	$(LD1) $(STATIC) -o $@ $< $(B)/auto_uids.o $(B)/libqmail.a

$(SYSLIBC_PROGS:%=$(B)/%): $(B)/%: $(SYSB)/%.o $(SYSB)/auto_uids.o $(SYSB)/libqmail.a $(B)/commands
	$(SYSLD1) $(if $(filter $(NSS_PROGS),$*),,$(STATIC)) -o $@ $< $(SYSB)/auto_uids.o $(SYSB)/libqmail.a

$(B)/%: src/%.sh conf-qmail | $(B)/.dir
	sed "s|@QMAILHOME@|$$(head -n 1 conf-qmail)|g" $< > $@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@

$(B)/boot/%: src/boot/% conf-qmail | $(B)/.dir
	mkdir -p $(B)/boot
	sed "s|@QMAILHOME@|$$(head -n 1 conf-qmail)|g" $< > $@.tmp
	chmod 755 $@.tmp
	mv $@.tmp $@

# Bring up a running MTA on this machine (see README.md and src/bringup).
up:
	src/bringup

users:
	src/mkusers "$$(head -n 1 conf-qmail)" $$(head -n 8 conf-users) $$(head -n 2 conf-groups)

setup: all
	$(B)/install

check: $(B)/instcheck
	$(B)/instcheck

# Unit tests link the library only: they need no qmail accounts.
$(B)/tests/%.o: tests/unit/%.c tests/unit/check.h $(HEADERS) $(B)/commands
	$(CC1) -Itests/unit -c -o $@ $<

$(B)/tests/%: $(B)/tests/%.o $(B)/libqmail.a
	$(LD1) -o $@ $< $(B)/libqmail.a

unit: $(UNIT_TESTS:%=$(B)/tests/%)

# Fuzz targets: every tests/fuzz/fuzz_NAME.c is a libFuzzer target built
# into $(B)/fuzz/fuzz_NAME with clang, against a library whose sources are
# compiled again with clang and the sanitizers (into $(B)/fuzz/lib, not the
# gcc-built objects). tests/run builds them with B=build-fuzz and runs each
# for a bounded time; by hand: $(B)/fuzz/fuzz_NAME -max_total_time=60
FUZZ_CC = clang -g -O1 -fsanitize=fuzzer,address,undefined
FUZZ_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 \
  -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Isrc -I$(B)
FUZZERS = $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz: $(FUZZERS:%=$(B)/fuzz/%)

$(B)/fuzz/.dir:
	mkdir -p $(B)/fuzz/lib
	touch $@

$(B)/fuzz/lib/%.o: src/%.c $(HEADERS) | $(B)/fuzz/.dir
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(B)/fuzz/lib/auto_paths.o: $(B)/auto_paths.c src/auto.h | $(B)/fuzz/.dir
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

# An archive, so that a target takes only the modules it uses.
$(B)/fuzz/libqmail.a: $(LIBMODS:%=$(B)/fuzz/lib/%.o) $(B)/fuzz/lib/auto_paths.o
	rm -f $@
	ar rcs $@ $^

$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(HEADERS) $(B)/fuzz/libqmail.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(B)/fuzz/libqmail.a

test:
	tests/run

clean:
	rm -rf build build-*
