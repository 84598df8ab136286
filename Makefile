# mntsnap - snapshot, replay and compare Linux mount namespaces
#
#   make          build ./mntsnap
#   make check    install test deps if missing, build, run every test
#   make demo     install deps if missing, build, run the main job end to end
#   make bench    benchmarks against baselines (bench/README.md)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/mntsnap
INSTALL ?= install
PKG_CONFIG ?= pkg-config
CC ?= cc

WARN := -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-missing-field-initializers
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE -I. $(WARN) $(CFLAGS) -MMD -MP \
	$(shell $(PKG_CONFIG) --cflags jansson mount 2>/dev/null)
LIBS := $(shell $(PKG_CONFIG) --libs mount 2>/dev/null || echo -lmount)
# jansson only in the unit tests: an independent parser of what our JSON
# writer produced (the program itself reads and writes JSON on its own)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

# lib/ is layered, lowest first (lib/README.md): each folder is a module.
LIB_DIRS := core json kernel spec capture compare report replay check
SRCS := mntsnap.c $(sort $(wildcard cmd/*.c)) $(foreach d,$(LIB_DIRS),$(sort $(wildcard lib/$(d)/*.c)))
OBJS := $(SRCS:.c=.o)

# Debian packages the build, the tests and the demo need.
DEB_DEPS := build-essential pkgconf libjansson-dev libmount-dev util-linux jq \
	bats bats-support bats-assert python3 python3-jsonschema man-db groff-base

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
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
LIB_SRCS := $(filter lib/%,$(SRCS))

.PHONY: all deps check test demo unit fuzz bench bench-quick install uninstall clean format format-check

all: mntsnap

mntsnap: $(OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJS) $(LDFLAGS) $(LIBS)

%.o: %.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d) tests/fuzz/replay.d

unit: $(UNIT_BINS) tests/fuzz/replay

tests/unit/%_test: tests/unit/%_test.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LIBS) $(JANSSON_LIBS)

tests/fuzz/replay: tests/fuzz/replay.c tests/fuzz/reader_fuzz.c $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/reader_fuzz.c $(LIB_OBJS) \
		$(LDFLAGS) $(LIBS)

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "installing: clang"; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; }
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-std=gnu11 -D_GNU_SOURCE -I. $(shell $(PKG_CONFIG) --cflags jansson mount 2>/dev/null) \
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

install: mntsnap
	$(INSTALL) -Dm755 mntsnap $(DESTDIR)$(BINDIR)/mntsnap
	$(INSTALL) -Dm644 man/mntsnap.8 $(DESTDIR)$(MANDIR)/man8/mntsnap.8
	$(INSTALL) -Dm644 spec/mntsnap.schema.json $(DESTDIR)$(DATADIR)/mntsnap.schema.json

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mntsnap $(DESTDIR)$(MANDIR)/man8/mntsnap.8 \
		$(DESTDIR)$(DATADIR)/mntsnap.schema.json

clean:
	rm -f mntsnap $(OBJS) $(OBJS:.o=.d) $(UNIT_BINS) $(UNIT_BINS:=.d) tests/fuzz/replay \
		tests/fuzz/replay.d tests/fuzz/reader_fuzz
	-$(MAKE) -C bench clean 2>/dev/null

format:
	clang-format -i $(SRCS) $(wildcard cmd/*.h lib/*.h lib/*/*.h)

format-check:
	clang-format --dry-run --Werror $(SRCS) $(wildcard cmd/*.h lib/*.h lib/*/*.h)
