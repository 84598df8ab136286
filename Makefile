# mntsnap - snapshot, replay and compare Linux mount namespaces
#
#   make          build ./mntsnap
#   make check    install test deps if missing, build, run every test
#   make demo     install deps if missing, build, run the main job end to end
#   make bench    benchmarks against baselines (bench/README.md)
#   make install  PREFIX (/usr/local), DESTDIR; NOSTRIP=1 keeps the symbols
#   make deb      a Debian package (debian/), built in a copy of the tree

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/mntsnap
DOCDIR ?= $(PREFIX)/share/doc/mntsnap
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
PKG_CONFIG ?= pkg-config
CC ?= cc

WARN := -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(CPPFLAGS) $(CFLAGS) -MMD -MP \
	$(shell $(PKG_CONFIG) --cflags jansson mount blkid 2>/dev/null)
LIBS := $(shell $(PKG_CONFIG) --libs mount blkid 2>/dev/null || echo -lmount -lblkid)
# jansson only in the unit tests: an independent parser of what our JSON
# writer produced (the program itself reads and writes JSON on its own)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

# lib/ is layered, lowest first (lib/README.md): each folder is a module.
LIB_DIRS := core json kernel spec capture compare report replay check
SRCS := mntsnap.c $(sort $(wildcard cmd/*.c)) $(foreach d,$(LIB_DIRS),$(sort $(wildcard lib/$(d)/*.c)))
OBJS := $(SRCS:.c=.o)

# Debian packages the build, the tests and the demo need.
DEB_DEPS := build-essential pkgconf libjansson-dev libmount-dev libblkid-dev util-linux jq \
	bats bats-support bats-assert python3 python3-jsonschema man-db groff-base \
	debhelper dpkg-dev lintian

# C unit tests (tests/unit/): one program per NAME_test.c, linked with the
# library objects; tests/run runs them.
UNIT_SRCS := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BINS := $(UNIT_SRCS:.c=)
LIB_OBJS := $(filter lib/%,$(OBJS))

# The fuzz harness (tests/fuzz/reader_fuzz.c): `make check` replays the seed
# corpus through it (tests/fuzz/replay, no libFuzzer); `make fuzz` runs
# libFuzzer with ASan and UBSan for FUZZ_SECONDS, new inputs and crashes in
# tests/fuzz/out/.
FUZZ_SEEDS := tests/fuzz/corpus/* spec/examples spec/invalid
# the spec parser's harness (tests/fuzz/spec_fuzz.c) likewise: `make check`
# replays tests/fuzz/spec_corpus/ (tests/fuzz/spec_replay), `make fuzz-spec`
# runs libFuzzer (new inputs and crashes in tests/fuzz/out-spec/)
SPEC_FUZZ_SEEDS := tests/fuzz/spec_corpus/*
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
LIB_SRCS := $(filter lib/%,$(SRCS))

.PHONY: all deps check test demo unit fuzz fuzz-spec bench bench-quick install uninstall deb clean \
	format format-check

all: mntsnap

mntsnap: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LIBS)

%.o: %.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d) tests/fuzz/replay.d tests/fuzz/spec_replay.d

unit: $(UNIT_BINS) tests/fuzz/replay tests/fuzz/spec_replay

tests/unit/%_test: tests/unit/%_test.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LIBS) $(JANSSON_LIBS)

tests/fuzz/replay: tests/fuzz/replay.c tests/fuzz/reader_fuzz.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/reader_fuzz.c $(LIB_OBJS) \
		$(LDFLAGS) $(LIBS)

tests/fuzz/spec_replay: tests/fuzz/replay.c tests/fuzz/spec_fuzz.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/spec_fuzz.c $(LIB_OBJS) \
		$(LDFLAGS) $(LIBS)

fuzz-spec:
	@command -v $(FUZZ_CC) >/dev/null || { echo "installing: clang"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -I. $(shell $(PKG_CONFIG) --cflags mount 2>/dev/null) \
		-o tests/fuzz/spec_fuzz tests/fuzz/spec_fuzz.c $(LIB_SRCS) $(LDFLAGS) $(LIBS)
	mkdir -p tests/fuzz/out-spec/corpus
	./tests/fuzz/spec_fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/out-spec/ \
		-dict=tests/fuzz/spec.dict tests/fuzz/out-spec/corpus $(SPEC_FUZZ_SEEDS)

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "installing: clang"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -I. $(shell $(PKG_CONFIG) --cflags jansson mount blkid 2>/dev/null) \
		-o tests/fuzz/reader_fuzz tests/fuzz/reader_fuzz.c $(LIB_SRCS) $(LDFLAGS) $(LIBS)
	mkdir -p tests/fuzz/out/corpus
	./tests/fuzz/reader_fuzz -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=tests/fuzz/out/ \
		tests/fuzz/out/corpus $(FUZZ_SEEDS)

# Installs only what is missing, so a second run is quick and offline.
deps:
	@missing=""; for p in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

check: deps
	$(MAKE) all unit
	./tests/run

test: all unit
	./tests/run

demo: deps
	$(MAKE) all
	./tests/demo.sh

bench: deps
	$(MAKE) all
	$(MAKE) -C bench run

bench-quick: deps
	$(MAKE) all
	$(MAKE) -C bench quick

# The specifications (FORMAT.md, DIFF-JSON.md, SPEC.md, ...) go to DOCDIR,
# the schemas to DATADIR; the man page names them where they are installed
# (its source says /usr/local, the default PREFIX).
DOCS := $(wildcard spec/*.md)
SCHEMAS := $(wildcard spec/*.schema.json)
INSTALL_STRIP := $(if $(NOSTRIP),,-s)

install: mntsnap
	$(INSTALL) -Dm755 $(INSTALL_STRIP) mntsnap $(DESTDIR)$(BINDIR)/mntsnap
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) $(DESTDIR)$(DATADIR)
	sed -e 's|/usr/local/share/doc/mntsnap|$(DOCDIR)|g' -e 's|/usr/local/share/mntsnap|$(DATADIR)|g' \
		-e 's|/usr/local/share/bash-completion/completions|$(BASHCOMPDIR)|g' \
		man/mntsnap.8 >$(DESTDIR)$(MANDIR)/man8/mntsnap.8
	chmod 644 $(DESTDIR)$(MANDIR)/man8/mntsnap.8
	$(foreach f,$(SCHEMAS),$(INSTALL) -m644 $(f) $(DESTDIR)$(DATADIR)/$(notdir $(f));)
	$(foreach f,$(DOCS),$(INSTALL) -m644 $(f) $(DESTDIR)$(DOCDIR)/$(notdir $(f));)
	$(INSTALL) -Dm644 completion/mntsnap $(DESTDIR)$(BASHCOMPDIR)/mntsnap
	$(INSTALL) -Dm644 share/mntsnap/bats/mntsnap.bash $(DESTDIR)$(DATADIR)/bats/mntsnap.bash

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mntsnap $(DESTDIR)$(MANDIR)/man8/mntsnap.8 \
		$(addprefix $(DESTDIR)$(DATADIR)/,$(notdir $(SCHEMAS))) \
		$(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS))) \
		$(DESTDIR)$(BASHCOMPDIR)/mntsnap $(DESTDIR)$(DATADIR)/bats/mntsnap.bash
	-rmdir $(DESTDIR)$(DATADIR)/bats $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

# dpkg-buildpackage in a copy of the tree (the worktree stays clean: no
# debian/ build files, no objects); the .deb lands in dist/.
deb:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	mkdir "$$tmp/mntsnap" && \
	tar -cf - --exclude-vcs --exclude=./dist --exclude=./bench/out --exclude=./tests/tmp \
		--exclude=./tests/fuzz/out . | tar -xf - -C "$$tmp/mntsnap" && \
	(cd "$$tmp/mntsnap" && $(MAKE) -s clean >/dev/null 2>&1; \
	 dpkg-buildpackage -us -uc -b >"$$tmp/build.log" 2>&1) || \
	  { tail -n 30 "$$tmp/build.log"; exit 1; }; \
	mkdir -p dist && cp "$$tmp"/*.deb dist/ && ls dist/*.deb

clean:
	rm -f mntsnap $(OBJS) $(OBJS:.o=.d) $(UNIT_BINS) $(UNIT_BINS:=.d) tests/fuzz/replay \
		tests/fuzz/replay.d tests/fuzz/reader_fuzz tests/fuzz/spec_replay tests/fuzz/spec_replay.d \
		tests/fuzz/spec_fuzz
	-$(MAKE) -C bench clean 2>/dev/null

format:
	clang-format -i $(SRCS) $(wildcard cmd/*.h lib/*.h lib/*/*.h)

format-check:
	clang-format --dry-run --Werror $(SRCS) $(wildcard cmd/*.h lib/*.h lib/*/*.h)
