#!/usr/bin/env bash
# Exit 0 when the running kernel (the host's, or the VM's) can open SCTP
# sockets, 1 when it cannot. -v prints which. Opening the socket is the real
# test: it also autoloads the sctp module where the kernel has it as one.
#   tests/vm/has-sctp.sh [-v]
py=$(command -v python3 || true)
if [ -n "$py" ]; then
    "$py" - <<'PY' 2>/dev/null
import socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_SEQPACKET, socket.IPPROTO_SCTP).close()
except OSError:
    sys.exit(1)
PY
    ok=$?
else
    modprobe -q sctp 2>/dev/null
    [ -d /proc/net/sctp ]; ok=$?
fi
if [ "${1:-}" = -v ]; then
    if [ "$ok" = 0 ]; then echo "kernel $(uname -r): SCTP available"
    else echo "kernel $(uname -r): no SCTP"; fi
fi
exit "$ok"
