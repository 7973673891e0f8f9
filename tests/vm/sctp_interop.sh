#!/usr/bin/env bash
# Interoperation on the wire, where the kernel has SCTP (the VM): native
# gen_sctp on kernel SCTP with UDP encapsulation on (RFC 6951:
# net.sctp.udp_port 9899, the port the kernel listens on; net.sctp.encap_port,
# the port it sends to when it starts an association, set to the pyinet
# server's), against pyinet's userland SCTP (sctp_backend userland,
# sctp_encap_port 9899: associations pyinet starts go to the kernel's UDP
# port). pyinet_conformance_sctp_interop runs the checks; its last line is
# "sctp-interop: N passed, N failed". The sysctls are put back at the end.
#   INTEROP_DWR=N   Diameter watchdog exchanges (default 10000)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
EBIN=_build/default/lib/pyinet/ebin
CONFORMANCE_EBIN=_build/pyinet_conformance/ebin
PYINET_PORT=39868
./tests/vm/has-sctp.sh || { echo "sctp-interop: no kernel SCTP here"; exit 2; }
old_udp=$(cat /proc/sys/net/sctp/udp_port 2>/dev/null) || {
    echo "sctp-interop: this kernel has no net.sctp.udp_port (UDP encapsulation needs 5.11+)"; exit 2; }
old_encap=$(cat /proc/sys/net/sctp/encap_port)
restore() { echo "$old_udp" > /proc/sys/net/sctp/udp_port; echo "$old_encap" > /proc/sys/net/sctp/encap_port; }
trap restore EXIT
echo 9899 > /proc/sys/net/sctp/udp_port || exit 2
echo "$PYINET_PORT" > /proc/sys/net/sctp/encap_port || exit 2
t0=$SECONDS
erl -noshell -pa "$EBIN" -pa "$CONFORMANCE_EBIN" \
    -pyinet sctp_backend userland -pyinet sctp_encap_port 9899 \
    -eval "pyinet_conformance_sctp_interop:main([\"$PYINET_PORT\", \"${INTEROP_DWR:-10000}\"])" 2>&1
rc=$?
echo "# interop took $((SECONDS - t0)) s"
exit $rc
