#!/usr/bin/env bash
# The gen_sctp scenarios with pyinet on its userland SCTP (usrsctp over UDP,
# {sctp_backend, userland}) against native gen_sctp on kernel SCTP, where the
# kernel has SCTP (the VM): the native traces are recorded into
# $PYINET_VM_OUT/sctp-native-otpR.traces (the file tests/sctp_native/ keeps,
# which make test compares the userland backend with on a host without
# SCTP), then the pyinet side runs with the userland backend and is compared
# with them. Prints the table and "conformance: N scenarios, ...".
#   SCTP_ONLY="name1 name2"   only these scenarios
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
EBIN=_build/default/lib/pyinet/ebin
CONFORMANCE_EBIN=_build/pyinet_conformance/ebin
MODULES="[pyinet_conformance_sctp, pyinet_conformance_sctp_opts]"
OUT=${PYINET_VM_OUT:-/tmp}
release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')
traces="$OUT/sctp-native-otp$release.traces"
only=all
if [ -n "${SCTP_ONLY:-}" ]; then only=$(printf "'%s'," $SCTP_ONLY); only="[${only%,}]"; fi
./tests/vm/has-sctp.sh -v || exit 2
t0=$SECONDS
erl -noshell -pa "$EBIN" -pa "$CONFORMANCE_EBIN" -eval "
    ok = pyinet_conformance:record($MODULES, \"$traces.tmp\"),
    application:set_env(pyinet, sctp_backend, userland),
    pyinet_conformance:replay_main($MODULES, #{recording => \"$traces.tmp\", only => $only,
        deviations => fun pyinet_conformance_deviations:userland/2})." 2>&1
rc=$?
mv -f "$traces.tmp" "$traces"
echo "# userland conformance took $((SECONDS - t0)) s; native traces in $traces"
exit $rc
