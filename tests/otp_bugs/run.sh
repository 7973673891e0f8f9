#!/usr/bin/env bash
# The reproductions of the OTP bugs that docs/divergences.md writes up, one
# escript each (`escript NAME.escript` prints one line per backend: inet_drv,
# then the socket backend). Runs them all on the OTP release here and prints
# "RELEASE NAME reproduces|same|failed" (reproduces: the two lines differ).
#
#   tests/otp_bugs/run.sh [--record]
#
# --record also keeps the lines in tests/otp_bugs/observed (replacing this
# release's), which the document quotes for the releases it was not
# generated on: run it under each release (for Debian 13's OTP 27:
# tests/chroot/run.sh trixie 'make build && tests/otp_bugs/run.sh', then copy
# the lines over). Needs `make build` (the conformance application's ebin).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
record=
[ "${1:-}" = --record ] && record=1

lines=$(cd "$root" && erl -noshell -pa _build/default/lib/pyinet/ebin -pa _build/pyinet_conformance/ebin -eval '
    Rel = pyinet_conformance_divergences_report:otp_version(),
    #{run := Run} = pyinet_conformance_divergences_report:reproductions("tests/otp_bugs"),
    [io:format("~s ~s ~s~n", [Rel, Name, Status]) || {Name, _, Status} <- Run],
    halt().')
echo "$lines"
if [ -n "$record" ]; then
    release=$(awk 'NR == 1 { print $1 }' <<< "$lines")
    observed=$here/observed
    [ -f "$observed" ] || printf '# RELEASE NAME STATUS, written by run.sh --record\n' > "$observed"
    { grep -v "^$release " "$observed" || true; echo "$lines"; } > "$observed.new"
    mv "$observed.new" "$observed"
fi
