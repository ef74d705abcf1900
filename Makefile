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
CC1 = $(shell head -n 1 conf-cc) -Isrc -I$(B) $(EXTRA_CFLAGS)
LD1 = $(shell head -n 1 conf-ld) $(EXTRA_LDFLAGS)

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

.PHONY: all lib up users setup check unit fuzz test clean
.SECONDARY:

all: $(MAINS:%=$(B)/%) $(SCRIPTS:%=$(B)/%) $(BOOT:%=$(B)/boot/%)

lib: $(B)/libqmail.a

$(B)/.dir:
	mkdir -p $(B)/tests
	touch $@

$(B)/%.o: src/%.c $(HEADERS) | $(B)/.dir
	$(CC1) -c -o $@ $<

$(B)/auto_paths.c: src/mkauto conf-qmail conf-split conf-spawn conf-break conf-patrn | $(B)/.dir
	src/mkauto paths . > $@.tmp && mv $@.tmp $@

$(B)/auto_uids.c: src/mkauto conf-users conf-groups | $(B)/.dir
	src/mkauto uids . > $@.tmp && mv $@.tmp $@

$(B)/auto_%.o: $(B)/auto_%.c src/auto.h
	$(CC1) -c -o $@ $<

$(B)/libqmail.a: $(LIBMODS:%=$(B)/%.o) $(B)/auto_paths.o
	rm -f $@
	ar rcs $@ $^

# Every program carries the account ids compiled in, as qmail does.
# Programs are linked statically: a message costs several process starts
# (qmail-smtpd, qmail-queue, qmail-local...), and a static program starts
# without the dynamic loader's work, in fewer pages. The exceptions look
# accounts up through the system's NSS modules or load libcrypt, which
# only a dynamically linked program can do. `make STATIC=` links every
# program dynamically.
STATIC = -static
NSS_PROGS = qmail-getpw checkpassword
$(B)/%: $(B)/%.o $(B)/auto_uids.o $(B)/libqmail.a
	$(LD1) $(if $(filter $(NSS_PROGS),$*),,$(STATIC)) -o $@ $< $(B)/auto_uids.o $(B)/libqmail.a

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
$(B)/tests/%.o: tests/unit/%.c tests/unit/check.h $(HEADERS) | $(B)/.dir
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
