# pyinet: every target installs what a fresh Debian machine lacks, and is quick
# the second time (stamps in .make/ remember what was installed; the package step
# checks the packages again when this file changes).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV   := .venv
PY     := $(VENV)/bin/python
STAMPS := .make
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EBIN   := _build/default/lib/pyinet/ebin
# The conformance scenarios are an application of their own, not part of the
# runtime that users load. make builds it (erlc), not rebar3: a second project
# application in rebar3's view breaks `rebar3 bare compile`, which is how mix
# builds pyinet as a dependency (rebar.config says so too).
CONFORMANCE_EBIN := _build/pyinet_conformance/ebin
CONFORMANCE_SRC := $(wildcard apps/pyinet_conformance/src/*.erl)
CONFORMANCE_TEST := apps/pyinet_conformance/test
# The Erlang suites of both applications; not the conformance table's suite,
# which is `make conformance`'s table again (for projects whose runner is ct).
CT_SUITES := $(basename $(wildcard test/*_SUITE.erl) examples/fault_example_SUITE.erl \
	$(filter-out %_table_SUITE.erl,$(wildcard $(CONFORMANCE_TEST)/*_SUITE.erl)))
EXAMPLES_EBIN := _build/examples
# What a fresh Debian 12 or 13 machine lacks. libsctp1: OTP's inet driver loads
# libsctp.so.1 at run time for native gen_sctp, the reference of the SCTP
# scenarios (without it gen_sctp:open/1 says eprotonosupport). netbase:
# /etc/protocols and /etc/services, which the socket NIF and inet's service
# names read, and so does the port program to give the same answers.
# python3-dev: Python.h for the C codec. elixir and git: tests/dependency (mix,
# rebar3 git dependencies). libusrsctp2: the userland SCTP stack the port
# program loads with ctypes where the kernel has no SCTP (no headers needed:
# nothing is compiled against it). erlang-inets, curl, postgresql and
# erlang-p1-pgsql: test/pyinet_takeover_SUITE (inets' httpd and httpc, and the
# PostgreSQL client against a server the suite starts, on a node taken over by
# pyinet).
APT_PACKAGES := erlang-nox erlang-dev erlang-src erlang-common-test erlang-proper erlang-proper-dev \
	rebar3 iproute2 gcc libsctp1 netbase python3 python3-venv python3-dev elixir git libusrsctp2 \
	erlang-inets curl postgresql erlang-p1-pgsql
# Where the port program finds its Python (the venv has the optional packages).
export PYINET_PYTHON := $(CURDIR)/$(VENV)/bin/python
ERL := erl -noshell -pa $(EBIN) -pa $(CONFORMANCE_EBIN) -pa $(EXAMPLES_EBIN)
QUICK ?=

.PHONY: all build conformance-app demo test test-python test-erlang conformance otp-suites bench clean distclean sctp-vm-smoke test-sctp test-sctp-userland test-dependency test-other-release otp-suites-check

all: build

# Again whenever the Makefile (its package list) changes.
$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@missing=""; for p in $(APT_PACKAGES); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    $(SUDO) apt-get update -q >/dev/null; \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

$(STAMPS)/venv: pyproject.toml | $(STAMPS)/apt
	@mkdir -p $(STAMPS)
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	@# setuptools builds the C codec in place (build below); a Python 3.12+
	@# venv no longer comes with it.
	$(VENV)/bin/pip install -q 'setuptools>=61'
	$(VENV)/bin/pip install -q -e '.[test,bench]'
	@touch $@

build: $(STAMPS)/apt $(STAMPS)/venv
	@# The ETF codec's C accelerator, in place. It is optional for users (pip
	@# installs without a compiler and the pure-Python codec serves), but here
	@# the compiler and headers are installed, so a failure is a failure.
	@PYINET_CODEC_REQUIRED=1 $(PY) -W ignore setup.py -q build_ext --inplace
	@# rebar3 links src/, include/ and priv/ into _build but keeps stale links
	@# (the application lived in erl/ until 2026-12): drop the dangling ones.
	@[ ! -d _build/default/lib/pyinet ] || find _build/default/lib/pyinet -maxdepth 1 -xtype l -delete
	@rebar3 compile | grep -v '^\(===> Verifying\|===> Analyzing\)' || true
	@test -f $(EBIN)/pyinet_tcp.beam
	@$(MAKE) --no-print-directory conformance-app
	@mkdir -p $(EXAMPLES_EBIN)
	@erlc -o $(EXAMPLES_EBIN) examples/*.erl

# erl code: args Src Out Modules...; writes Out, Src with its modules listed.
define APP_FILE
[Src, Out | Files] = init:get_plain_arguments(),
{ok, [{application, A, P}]} = file:consult(Src),
Ms = [list_to_atom(filename:basename(F, ".erl")) || F <- Files],
ok = file:write_file(Out, io_lib:format("~p.~n", [{application, A, lists:keystore(modules, 1, P, {modules, Ms})}])),
halt().
endef
export APP_FILE

conformance-app: $(CONFORMANCE_EBIN)/pyinet_conformance.app \
	$(patsubst apps/pyinet_conformance/src/%.erl,$(CONFORMANCE_EBIN)/%.beam,$(CONFORMANCE_SRC))
	@true

$(CONFORMANCE_EBIN)/%.beam: apps/pyinet_conformance/src/%.erl $(EBIN)/pyinet_tcp.beam
	@mkdir -p $(CONFORMANCE_EBIN)
	@erlc +debug_info +warnings_as_errors -pa $(EBIN) -o $(CONFORMANCE_EBIN) $<

# The .app file: the .app.src with its modules listed, as rebar3 would write it.
$(CONFORMANCE_EBIN)/pyinet_conformance.app: apps/pyinet_conformance/src/pyinet_conformance.app.src $(CONFORMANCE_SRC)
	@mkdir -p $(CONFORMANCE_EBIN)
	@erl -noshell -eval "$$APP_FILE" -- $< $@ $(CONFORMANCE_SRC)

# The main job: the client/server example of gen_tcp(3), unchanged, on
# Python-hosted sockets (an inetrc line sends all of gen_tcp to pyinet).
demo: build
	@$(ERL) -kernel inetrc '"examples/pyinet.inetrc"' -eval 'demo:main(), halt().'

test: build test-python test-erlang conformance test-sctp-userland otp-suites-check test-sctp test-dependency

# PYINET_SETUP_STRICT: a test whose reference cannot run here (no Erlang, no C
# codec) fails as a set-up error instead of being skipped (tests/needs.py).
test-python: build
	PYINET_SETUP_STRICT=1 $(PY) -m pytest -q tests

test-erlang: build
	@rm -rf logs && mkdir -p logs
	ct_run -noshell -pa $(CURDIR)/$(EBIN) -pa $(CURDIR)/$(CONFORMANCE_EBIN) \
	    -suite $(CT_SUITES) -logdir logs > logs/ct.out 2>&1 \
	    || { tail -n 40 logs/ct.out; exit 1; }
	@grep -E "TEST COMPLETE" logs/ct.out

# The table of scenarios on native OTP and on pyinet (its exit status), then
# OTP's socket backend against inet_drv on the gen_tcp and gen_udp scenarios
# and 100 random sequences, with the OTP bugs' reproductions of tests/otp_bugs
# run: docs/divergences.md. About 6 minutes.
conformance: build
	@$(ERL) -eval 'pyinet_conformance:main(#{divergences => "docs/divergences.md", sequences => 100, reproductions => "tests/otp_bugs"}).'

# OTP's own gen_tcp suites (gen_tcp_echo/api/misc_SUITE from OTP 25.2.3's
# kernel tests, committed in tests/otp_suites/otp) natively on inet_drv,
# natively on OTP's socket backend (the suites' own inet_backend_socket
# groups) and on pyinet through an inetrc, then the three columns side by
# side. Fails if pyinet passes fewer cases than native inet_drv here, less the
# documented deviations: the numbers are in tests/otp_suites/baseline, the
# reasons in tests/otp_suites/deviations, open and slow. About 20 minutes (5
# of them pyinet's, 10 the socket backend's); OTP_SUITES_ALL=1 also runs the
# slow cases on pyinet (about 15 minutes more).
otp-suites: build
	@tests/otp_suites/run.sh --table --check $(if $(OTP_SUITES_ALL),--all,)

# What `make test` runs of it: the suites on pyinet and the gate against
# native inet_drv's committed baseline (5 minutes); the two native columns
# change only with the OTP release, and `make otp-suites` measures them.
otp-suites-check: build
	@tests/otp_suites/run.sh --check $(if $(OTP_SUITES_ALL),--all,)

bench: build
	$(PY) bench/run.py $(if $(QUICK),--quick,)

# SCTP smoke test (real gen_sctp, pysctp, ppid byte order) where the kernel has
# SCTP: directly if this one does, else in a qemu VM (tests/vm/README.md).
sctp-vm-smoke: $(STAMPS)/venv
	@tests/vm/with-sctp.sh tests/vm/smoke.sh

# The gen_sctp scenarios with pyinet on its userland SCTP (usrsctp over UDP,
# no kernel SCTP needed), each compared with the native gen_sctp trace
# recorded for this OTP release in the VM (tests/sctp_native/, written by
# tests/vm/sctp_userland.sh): pyinet against pyinet on this host, judged by
# real OTP. Fails on any difference; a release with no recording is a set-up
# error (exit 2), not a pass.
test-sctp-userland: build
	@$(ERL) -eval 'pyinet_conformance_sctp:userland_main("tests/sctp_native").'

# gen_sctp scenarios on real gen_sctp and on pyinet_sctp, and the port
# program's kernel SCTP tests, where the kernel has SCTP: directly if this one
# does, else in the qemu VM, bounded by PYINET_VM_TIMEOUT seconds. Fails on
# any difference or failure; its last line counts both.
test-sctp: build
	@PYINET_VM_TIMEOUT=$${PYINET_VM_TIMEOUT:-900} tests/vm/with-sctp.sh tests/vm/sctp_conformance.sh

# The Python and Erlang tests, the conformance table and pyinet as a
# dependency under the other Debian release (12 and 13: OTP 25 and 27, Python
# 3.11 and 3.13), in a chroot that tests/chroot/run.sh makes with debootstrap
# when it is absent (kept in /var/cache/pyinet/chroot; the first time takes
# about 5 minutes more), and the gen_sctp scenarios on the userland backend
# against that release's recorded native traces. About 10 minutes.
# OTHER_DEBIAN=sid (OTP 29) works too, but has no recorded SCTP traces.
OTHER_DEBIAN ?= $(shell . /etc/os-release 2>/dev/null; [ "$${VERSION_CODENAME:-}" = trixie ] && echo bookworm || echo trixie)
test-other-release:
	@tests/chroot/run.sh $(OTHER_DEBIAN) 'make test-python test-erlang conformance test-sctp-userland test-dependency'

# pyinet as a rebar3 git dependency (and the release made of it), as a mix
# dependency, and pip-installed: tests/dependency/run.sh. About a minute.
test-dependency: build
	@tests/dependency/run.sh

clean:
	rm -rf _build logs build priv/bridge/etf/*.so $(STAMPS)/venv

distclean: clean
	rm -rf $(VENV) $(STAMPS)
