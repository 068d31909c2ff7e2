# plainbounce - one non-recursive GNU Makefile for the whole suite.
#
# core/*.c          -> libplainbounce.a (all the meaning; no main, no I/O loop)
# cli/*.c           -> plainbounce (the command line tool)
# milter/ watcher/ responder/ *.c -> plainbounce-<dir> (thin daemons)
# tests/unit/check_NAME.c -> one Check runner; each file defines NAME_suite()
# tests/eval/*.c    -> evaluation programs run by `make eval`
# bench/*.c         -> benchmark programs run by `make bench` (never in CI)
# fuzz/fuzz_*.c     -> libFuzzer targets built by `make fuzz` (clang)
#
# SANITIZE=1 builds with ASan+UBSan into build/sanitize, apart from the
# normal build in build/default, so the two never mix objects.

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DATADIR   ?= $(PREFIX)/share/plainbounce
DESTDIR   ?=
SANITIZE  ?= 0
FUZZ_TIME ?= 300
EVAL_DIR  ?= $(CURDIR)/../shared/eval

CC       ?= cc
OPT      ?= -O2 -g
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
	    -Wmissing-prototypes -Wpointer-arith -Wvla -Werror
DEFS     := -D_GNU_SOURCE -DPB_DATADIR='"$(DATADIR)"' \
	    -DPB_SYSCONFDIR='"$(SYSCONFDIR)"'

ifeq ($(SANITIZE),1)
B        := build/sanitize
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
else
B        := build/default
SAN      :=
endif

PKGS     := milter libconfig sqlite3 jansson libcurl openssl check zlib \
	    libsystemd

all:

# bootstrap.sh installs missing packages before pkg-config is asked; make
# re-reads this Makefile once build/deps.mk exists.
ifeq ($(filter clean,$(MAKECMDGOALS)),)
include build/deps.mk
endif
build/deps.mk: mk/bootstrap.sh
	@sh mk/bootstrap.sh
	@mkdir -p build
	@cf=$$(pkg-config --cflags $(PKGS)) && lf=$$(pkg-config --libs $(PKGS)) \
	  && printf 'PKG_CFLAGS := %s\nPKG_LIBS := %s -lpthread -lm\n' "$$cf" "$$lf" > $@

CFLAGS   += $(OPT) $(WARN) $(SAN) $(DEFS) -Icore $(PKG_CFLAGS) -MMD -MP
LDFLAGS  += $(SAN) -Wl,--as-needed
LDLIBS   := $(PKG_LIBS)

CORE_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard core/*.c))
LIB      := $(B)/libplainbounce.a
DAEMONS  := $(foreach d,milter watcher responder,\
	      $(if $(wildcard $(d)/*.c),$(B)/plainbounce-$(d)))
PROGS    := $(B)/plainbounce $(DAEMONS)
UNIT_SRC := $(wildcard tests/unit/*.c)
SUITES   := $(patsubst tests/unit/check_%.c,%,$(wildcard tests/unit/check_*.c))
EVALS    := $(patsubst tests/eval/%.c,$(B)/eval/%,$(wildcard tests/eval/*.c))
BENCHES  := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))
FUZZERS  := $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))

.PHONY: FORCE all check check-unit check-e2e eval bench fuzz lint install clean demo
all: $(PROGS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/plainbounce: $(patsubst %.c,$(B)/%.o,$(wildcard cli/*.c)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

define daemon_rule
$(B)/plainbounce-$(1): $(patsubst %.c,$(B)/%.o,$(wildcard $(1)/*.c)) $(LIB)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,milter watcher responder,$(eval $(call daemon_rule,$(d))))

# The suite list is derived from the file names, so adding a test file is
# the only step needed to run it.
$(B)/tests/suites.inc: FORCE
	@mkdir -p $(dir $@)
	@printf 'SUITE(%s)\n' $(SUITES) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(patsubst %.c,$(B)/%.o,$(UNIT_SRC)): $(B)/tests/suites.inc
$(patsubst %.c,$(B)/%.o,$(UNIT_SRC)): CFLAGS += -I$(B)/tests -Itests/unit

$(B)/check_unit: $(patsubst %.c,$(B)/%.o,$(UNIT_SRC)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/eval/%: $(B)/tests/eval/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check-unit: $(B)/check_unit $(PROGS)
	PB_SRCDIR=$(CURDIR) PB_BUILDDIR=$(CURDIR)/$(B) $(B)/check_unit

# pb_send drives the notice transports in e2e tests (never installed).
$(B)/pb_send: $(B)/tests/e2e/pb_send.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check-e2e: $(PROGS) $(B)/pb_send
	PB_SRCDIR=$(CURDIR) PB_BUILDDIR=$(CURDIR)/$(B) sh tests/e2e/run.sh

check: check-unit check-e2e

eval: $(EVALS)
	@PB_SRCDIR=$(CURDIR) EVAL_DIR=$(EVAL_DIR) sh tests/eval/run.sh $(EVALS)

bench: $(PROGS) $(BENCHES)
	PB_SRCDIR=$(CURDIR) PB_BUILDDIR=$(CURDIR)/$(B) sh bench/run.sh

# libFuzzer targets link the core sources directly with clang.
build/fuzz/%: fuzz/%.c $(wildcard core/*.c) $(wildcard core/*.h) build/deps.mk
	@mkdir -p $(dir $@)
	clang -std=c11 -g -O1 $(DEFS) -Icore $(PKG_CFLAGS) \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -o $@ $< $(wildcard core/*.c) $(PKG_LIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); \
	  mkdir -p build/fuzz/corpus-$$n; \
	  echo "fuzz: $$n for $(FUZZ_TIME)s"; \
	  $$f -max_total_time=$(FUZZ_TIME) -max_len=4096 \
	    -artifact_prefix=build/fuzz/ build/fuzz/corpus-$$n fuzz/corpus/$$n \
	    || exit 1; done

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --std=c11 --inline-suppr -D_GNU_SOURCE -Icore \
	  core cli $(foreach d,milter watcher responder,$(wildcard $(d)))

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR) \
	  $(DESTDIR)$(SYSCONFDIR)/plainbounce
	install -m 755 $(B)/plainbounce $(DESTDIR)$(BINDIR)/
	$(if $(DAEMONS),install -m 755 $(DAEMONS) $(DESTDIR)$(SBINDIR)/)
	for m in man/*.[158]; do s=$${m##*.}; \
	  install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	cp -R templates $(DESTDIR)$(DATADIR)/
	$(if $(wildcard config/*.rules),install -m 644 config/*.rules $(DESTDIR)$(DATADIR)/)
	test -e $(DESTDIR)$(SYSCONFDIR)/plainbounce/plainbounce.conf || \
	  install -m 644 config/plainbounce.conf $(DESTDIR)$(SYSCONFDIR)/plainbounce/

demo: all
	PB_SRCDIR=$(CURDIR) PB_BUILDDIR=$(CURDIR)/$(B) sh tests/e2e/demo.sh

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(wildcard $(B)/cli/*.d $(B)/tests/*/*.d \
	$(B)/milter/*.d $(B)/watcher/*.d $(B)/responder/*.d $(B)/bench/*.d)
