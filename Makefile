# Builds and installs provision-journal the way a distribution packages it.
#
#   make                    the release binary (target/release/provision-journal)
#   make static             the same, linked statically against musl
#   make check              the tests (cargo test)
#   make man completions    regenerate the committed man/ and completions/
#   make install DESTDIR=… PREFIX=/usr [PROFILE=fcos] [STATIC=1] [STRIP=1]
#
# install runs one target per artifact: install-bin, install-man,
# install-dracut, install-config, install-completions, install-catalog,
# install-units. They only copy: install-bin installs the binary `make` (or
# `make static`) built, or the one BINARY=… names (a packaging macro's own
# build, such as target/rpm/provision-journal), and fails if there is none; the man pages and
# completions are the committed ones. Nothing is compiled or generated at
# install time (often as root). The dracut module,
# the configuration file and the binary's own paths assume PREFIX=/usr
# (dracut reads /usr/lib/dracut, the binary /usr/lib/provision-journal, the
# module installs /usr/bin/provision-journal into the initramfs).

DESTDIR ?=
PREFIX ?= /usr
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CONFDIR ?= $(PREFIX)/lib/provision-journal
DRACUTMODDIR ?= $(PREFIX)/lib/dracut/modules.d/50provision-journal
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CATALOGDIR ?= $(PREFIX)/lib/systemd/catalog
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# Where sos 4.x loads its report plugins from: the sos package of the
# Python that runs `sos` (its #! line; Debian:
# /usr/lib/python3/dist-packages/sos/report/plugins).
SOS_PYTHON ?= $(shell sed -n '1s/^#! *//p' "$$(command -v sos)" 2>/dev/null)
SOSPLUGINDIR ?= $(shell $(SOS_PYTHON) -c 'import os, sos.report.plugins as p; print(os.path.dirname(p.__file__))' 2>/dev/null)

# The configuration installed as $(CONFDIR)/provision-journal.conf: one of
# dist/profiles/ (fcos: Fedora CoreOS and RHCOS; flatcar: Flatcar-style).
PROFILE ?= fcos
# STATIC=1 installs the static musl build (make static) instead.
STATIC ?= 0
# The release build keeps its debug info (line tables) for a distribution's
# debuginfo package: packaging tools split it off and strip the binary.
# STRIP=1 strips the installed binary instead (install -s, with
# $(STRIPPROG)), for an installation no packaging tool strips.
STRIP ?= 0
STRIPPROG ?= strip

CARGO ?= cargo
CARGO_FLAGS ?= --locked
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
MUSL_TARGET ?= $(shell uname -m)-unknown-linux-musl

ifeq ($(STATIC),1)
BUILD := static
BINARY := $(TARGET_DIR)/$(MUSL_TARGET)/release/provision-journal
else
BUILD := all
BINARY := $(TARGET_DIR)/release/provision-journal
endif

# The generator of man pages and completions (the packaging feature): a
# debug build, it only runs here.
PACKAGING := $(CARGO) run $(CARGO_FLAGS) --quiet --features packaging --bin provision-journal-packaging --

.PHONY: all
all:
	$(CARGO) build $(CARGO_FLAGS) --release --bin provision-journal

# A static binary needs no libraries in the initramfs and starts faster
# (no dynamic loader): see benches/RESULTS.md. Needs the Rust target
# (rustup target add $(MUSL_TARGET)); no C toolchain for musl.
.PHONY: static
static:
	$(CARGO) build $(CARGO_FLAGS) --release --bin provision-journal --target $(MUSL_TARGET)

.PHONY: check
check:
	$(CARGO) test $(CARGO_FLAGS)

# Regenerates the committed man pages in man/ from the command line's clap
# definitions and the library's constants (a test fails while they differ).
.PHONY: man
man:
	rm -rf man
	$(PACKAGING) man man >/dev/null

# Regenerates the committed completions in completions/ from the command
# line's clap definitions (a test fails while they differ).
.PHONY: completions
completions:
	rm -rf completions
	$(PACKAGING) completions completions >/dev/null

.PHONY: install
install: install-bin install-man install-dracut install-config install-completions install-catalog install-units

.PHONY: install-bin
install-bin:
	@test -f $(BINARY) || { echo "no $(BINARY): run \`make $(BUILD)\` first (install targets never compile)" >&2; exit 1; }
	install -D -m 0755 $(if $(filter 1,$(STRIP)),-s --strip-program=$(STRIPPROG)) $(BINARY) $(DESTDIR)$(BINDIR)/provision-journal

.PHONY: install-man
install-man:
	install -d -m 0755 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

# The dracut module: module-setup.sh and everything in dist/systemd/ (units,
# drop-in directories, the helper scripts record-failure, keep-failure-log,
# relabel and umount-bracket), which module-setup.sh
# copies into the initramfs; executables keep their mode.
.PHONY: install-dracut
install-dracut:
	install -D -m 0755 dist/dracut/50provision-journal/module-setup.sh $(DESTDIR)$(DRACUTMODDIR)/module-setup.sh
	find dist/systemd -type f | sort | while read -r file; do \
	    if [ -x "$$file" ]; then mode=0755; else mode=0644; fi; \
	    install -D -m "$$mode" "$$file" "$(DESTDIR)$(DRACUTMODDIR)/$${file#dist/systemd/}" || exit 1; \
	done

.PHONY: install-config
install-config:
	@test -f dist/profiles/$(PROFILE).conf || { echo "no profile dist/profiles/$(PROFILE).conf (PROFILE=fcos or flatcar)" >&2; exit 1; }
	install -D -m 0644 dist/profiles/$(PROFILE).conf $(DESTDIR)$(CONFDIR)/provision-journal.conf

.PHONY: install-completions
install-completions:
	install -D -m 0644 completions/provision-journal.bash $(DESTDIR)$(BASHCOMPDIR)/provision-journal
	install -D -m 0644 completions/_provision-journal $(DESTDIR)$(ZSHCOMPDIR)/_provision-journal
	install -D -m 0644 completions/provision-journal.fish $(DESTDIR)$(FISHCOMPDIR)/provision-journal.fish

# The journald message catalog (`journalctl -x` explains our MESSAGE_IDs once
# `journalctl --update-catalog` has run, as a package's scriptlet does).
.PHONY: install-catalog
install-catalog:
	install -D -m 0644 dist/catalog/provision-journal.catalog $(DESTDIR)$(CATALOGDIR)/provision-journal.catalog

# The sos report plugin (not part of install: it goes into another
# package's directory, where sos is installed).
.PHONY: install-sos
install-sos:
	@test -n "$(SOSPLUGINDIR)" || { echo "cannot find where sos loads its plugins (is sos installed?): set SOSPLUGINDIR" >&2; exit 1; }
	install -D -m 0644 dist/sos/provision_journal.py $(DESTDIR)$(SOSPLUGINDIR)/provision_journal.py

# The real root's units (dist/real-root/): the metrics for node_exporter's
# textfile collector, written at boot and every 15 minutes. Not enabled:
# `systemctl enable --now provision-journal-metrics.timer`.
.PHONY: install-units
install-units:
	install -D -m 0644 -t $(DESTDIR)$(SYSTEMDUNITDIR) dist/real-root/provision-journal-metrics.service dist/real-root/provision-journal-metrics.timer
