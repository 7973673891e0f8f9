#!/usr/bin/env bash
# The three columns of `run.sh --table`: OTP's gen_tcp suites natively on
# inet_drv, natively on OTP's socket backend, and on pyinet.
#
#   tests/otp_suites/table.sh OUT SUITE...
#
# OUT is run.sh's output directory: MODE.counts ("SUITE PASSED FAILED
# SKIPPED") and MODE.SUITE.cases ("case result") for MODE native, socket and
# pyinet. Prints passed/failed/skipped per suite and column, then each case
# whose result is not the same in all three ("-": the case did not run in
# that column). A case run more than once (in several groups) shows its
# results joined with "+".
set -euo pipefail
out=$1; shift
modes=(native socket pyinet)

cell() {  # MODE SUITE -> "passed/failed/skipped"
    awk -v s="$2" '$1 == s { printf "%s/%s/%s", $2, $3, $4 }' "$out/$1.counts"
}

echo
echo "OTP's gen_tcp suites, passed/failed/skipped:"
printf '  %-22s %-18s %-22s %s\n' suite "native inet_drv" "native socket backend" pyinet
for suite in "$@"; do
    printf '  %-22s %-18s %-22s %s\n' "$suite" "$(cell native "$suite")" \
        "$(cell socket "$suite")" "$(cell pyinet "$suite")"
done

echo
echo "Cases whose result differs between the columns:"
printf '  %-58s %-16s %-22s %s\n' case "native inet_drv" "native socket backend" pyinet
for suite in "$@"; do
    # One line per case: its results in each column, in the order of the
    # native run's cases, then cases only the others ran.
    awk -v suite="$suite" '
        {
            # The column from the file name: an empty file has no first line.
            m = (FILENAME ~ /\/native\./ ? 1 : (FILENAME ~ /\/socket\./ ? 2 : 3))
            c = $1
            if (!(c in seen)) { seen[c] = 1; order[++n] = c }
            r[m, c] = (r[m, c] == "" ? $2 : r[m, c] "+" $2)
        }
        END {
            for (i = 1; i <= n; i++) {
                c = order[i]
                a = (r[1, c] == "" ? "-" : r[1, c])
                b = (r[2, c] == "" ? "-" : r[2, c])
                p = (r[3, c] == "" ? "-" : r[3, c])
                if (a != b || b != p)
                    printf "  %-58s %-16s %-22s %s\n", suite ":" c, a, b, p
            }
        }' "$out/native.$suite.cases" "$out/socket.$suite.cases" "$out/pyinet.$suite.cases"
done
