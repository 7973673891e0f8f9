#!/usr/bin/env bash
# Copy OTP's gen_tcp test suites and the helpers they use, unchanged, from an
# OTP source tree into tests/otp_suites/otp/, and record their checksums.
#
#   tests/otp_suites/import.sh DIR     DIR: an unpacked OTP source tree
#   tests/otp_suites/import.sh         fetch it with `apt-get source erlang`
#                                      (needs a deb-src line and dpkg-dev)
#
# The copies are committed (see run.sh for why); run this only to move to
# another OTP release, then re-measure the native baseline (run.sh --native).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
files="gen_tcp_echo_SUITE.erl gen_tcp_api_SUITE.erl gen_tcp_misc_SUITE.erl
       kernel_test_lib.erl kernel_test_lib.hrl
       kernel_test_global_sys_monitor.erl kernel_test_sys_monitor.erl
       gen_tcp_api_SUITE_data/gen_tcp_api_SUITE.c"

src=${1:-}
if [ -z "$src" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get source -q erlang >/dev/null)
    src=$(ls -d "$tmp"/erlang-*/)
fi
test=$src/lib/kernel/test
[ -f "$test/gen_tcp_misc_SUITE.erl" ] || { echo "no lib/kernel/test in $src" >&2; exit 1; }

mkdir -p "$here/otp/gen_tcp_api_SUITE_data"
for f in $files; do cp "$test/$f" "$here/otp/$f"; done
cp "$src/LICENSE.txt" "$here/otp/LICENSE.txt"
version=$(cat "$src/OTP_VERSION" 2>/dev/null || echo unknown)
{
    echo "# Copied unchanged from OTP $version, lib/kernel/test/ (Apache-2.0, LICENSE.txt)."
    (cd "$here/otp" && sha256sum $files LICENSE.txt)
} > "$here/otp/SHA256SUMS"
echo "imported OTP $version suites into $here/otp"
