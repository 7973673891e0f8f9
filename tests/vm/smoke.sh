#!/usr/bin/env bash
# The SCTP smoke test: real OTP gen_sctp (smoke_sctp.escript), then pysctp and
# the ppid byte order against OTP (smoke_sctp.py). Run it where the kernel has
# SCTP:  tests/vm/with-sctp.sh tests/vm/smoke.sh   (make sctp-vm-smoke).
# Last line: "sctp-smoke: N passed, N failed"; exit 1 on any failure.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
PY=${PYINET_PYTHON:-.venv/bin/python}
log=$(mktemp); trap 'rm -f "$log"' EXIT
t0=$SECONDS
echo "== (a) OTP gen_sctp"
escript tests/vm/smoke_sctp.escript | tee -a "$log"
t1=$SECONDS
echo "== (b, c) pysctp, and ppid byte order against OTP"
"$PY" tests/vm/smoke_sctp.py | tee -a "$log"
echo "# took $((t1 - t0)) s (gen_sctp) + $((SECONDS - t1)) s (pysctp)"
p=$(grep -c '^ok - ' "$log"); f=$(grep -c '^FAIL - ' "$log")
# Each script ends with its own "N passed, N failed"; none means it crashed.
n=$(grep -cE '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' "$log")
[ "$n" = 2 ] || { echo "FAIL - a smoke script stopped before its summary"; f=$((f + 1)); }
echo "sctp-smoke: $p passed, $f failed"
[ "$f" = 0 ]
