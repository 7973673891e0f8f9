#!/usr/bin/env bash
# The SCTP tests, run where the kernel has SCTP (make test-sctp runs this
# through tests/vm/with-sctp.sh: directly on such a host, else in the VM):
#   1. the gen_sctp conformance scenarios, each on real gen_sctp and on
#      pyinet_sctp, compared by pyinet_conformance;
#   2. the Python tests that need kernel SCTP (tests/test_sctp_kernel.py, run
#      by its own small runner: pytest takes minutes to start in the VM);
#   3. the same scenarios with pyinet on its userland SCTP (usrsctp over UDP)
#      against native gen_sctp, whose traces are recorded on the way
#      (tests/vm/sctp_userland.sh; make test-sctp-userland compares with the
#      copy kept in tests/sctp_native/);
#   4. interoperation on the wire: native gen_sctp on kernel SCTP with UDP
#      encapsulation against the userland backend (tests/vm/sctp_interop.sh).
# Build first on the host (make build): nothing is compiled here.
#
# Prints the reports, then "sctp: N scenarios (N identical, N documented,
# N differ), N python tests (N passed, N failed); userland: N scenarios (...);
# interop: N passed, N failed"; exits 1 on any difference
# or failure, 2 when a part did not finish or when native gen_sctp cannot open
# a socket here (a set-up error: its cause is printed, nothing is compared).
#
#   SCTP_ONLY="name1 name2"   run only these scenarios (all: every one), print
#                             both traces of any that differ, and stop there
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
PY=${PYINET_PYTHON:-.venv/bin/python}
EBIN=_build/default/lib/pyinet/ebin
CONFORMANCE_EBIN=_build/pyinet_conformance/ebin
MODULES="[pyinet_conformance_sctp, pyinet_conformance_sctp_opts]"
OUT=${PYINET_VM_OUT:-/tmp}
log=$(mktemp "$OUT/sctp-conformance.XXXXXX")
trap 'rm -f "$log"' EXIT

if [ ! -f "$EBIN/pyinet_sctp.beam" ]; then
    echo "sctp: $EBIN/pyinet_sctp.beam missing: run make build on the host first"
    exit 2
fi
./tests/vm/has-sctp.sh -v || exit 2

t0=$SECONDS
if [ -n "${SCTP_ONLY:-}" ]; then
    if [ "$SCTP_ONLY" = all ]; then only=all
    else only=$(printf "'%s'," $SCTP_ONLY); only="[${only%,}]"; fi
    erl -noshell -pa "$EBIN" -pa "$CONFORMANCE_EBIN" -eval "
        Rs = pyinet_conformance:run($MODULES, #{only => $only, verbose => true}),
        [pyinet_conformance:show(M, N) || {M, N, {differs, _, _}} <- Rs],
        io:format(\"~ts\", [pyinet_conformance:format_report(Rs)]),
        halt()." 2>&1 | tee "$log"
    exit 0
else
    erl -noshell -pa "$EBIN" -pa "$CONFORMANCE_EBIN" -eval "pyinet_conformance:main($MODULES)" 2>&1 | tee "$log"
fi
conf=$(grep -E '^conformance: [0-9]+ scenarios' "$log" | tail -n 1)
if grep -q '^conformance: set-up error' "$log"; then
    # The reference (native gen_sctp) cannot run: a set-up error, not a result.
    echo "sctp: set-up error, nothing compared: $(grep '^conformance: set-up error' "$log" | sed 's/^conformance: set-up error: //')"
    exit 2
fi
t1=$SECONDS
echo "# conformance took $((t1 - t0)) s"

"$PY" -u tests/test_sctp_kernel.py 2>&1 | tee -a "$log"
pyline=$(grep -E '^sctp-python: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
echo "# python tests took $((SECONDS - t1)) s"

userland_log=$(mktemp "$OUT/sctp-userland.XXXXXX")
./tests/vm/sctp_userland.sh 2>&1 | grep -v '^INET-DRV-DBG' | tee "$userland_log"
uconf=$(grep -E '^conformance: [0-9]+ scenarios' "$userland_log" | tail -n 1)
./tests/vm/sctp_interop.sh 2>&1 | tee -a "$userland_log"
interop=$(grep -E '^sctp-interop: [0-9]+ passed, [0-9]+ failed$' "$userland_log" | tail -n 1)
rm -f "$userland_log"

rc=0
if [ -z "$conf" ]; then
    echo "sctp: the conformance run stopped before its summary"; rc=2
fi
if [ -z "$pyline" ]; then
    echo "sctp: the python tests stopped before their summary"; rc=2
fi
if [ -z "$uconf" ]; then
    echo "sctp: the userland conformance run stopped before its summary"; rc=2
fi
if [ -z "$interop" ]; then
    echo "sctp: the interoperation test stopped before its summary"; rc=2
fi
[ "$rc" = 0 ] || exit "$rc"
read -r n ident differ documented < <(echo "$conf" |
    sed -E 's/conformance: ([0-9]+) scenarios, ([0-9]+) identical, ([0-9]+) differ, ([0-9]+) documented/\1 \2 \3 \4/')
read -r passed failed < <(echo "$pyline" | sed -E 's/sctp-python: ([0-9]+) passed, ([0-9]+) failed/\1 \2/')
read -r un uident udiffer udocumented < <(echo "$uconf" |
    sed -E 's/conformance: ([0-9]+) scenarios, ([0-9]+) identical, ([0-9]+) differ, ([0-9]+) documented/\1 \2 \3 \4/')
read -r ipassed ifailed < <(echo "$interop" | sed -E 's/sctp-interop: ([0-9]+) passed, ([0-9]+) failed/\1 \2/')
echo "sctp: $n scenarios ($ident identical, $documented documented, $differ differ)," \
     "$((passed + failed)) python tests ($passed passed, $failed failed);" \
     "userland: $un scenarios ($uident identical, $udocumented documented, $udiffer differ);" \
     "interop: $ipassed passed, $ifailed failed"
[ "$differ" = 0 ] && [ "$failed" = 0 ] && [ "$udiffer" = 0 ] && [ "$ifailed" = 0 ]
