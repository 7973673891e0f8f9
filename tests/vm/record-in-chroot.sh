#!/usr/bin/env bash
# Record the native gen_sctp traces of another Debian release's OTP (which
# make test-sctp-userland compares the userland backend with there): build
# the repository in that release's chroot (tests/chroot/run.sh, the one make
# test-other-release keeps), then boot the VM, whose kernel has SCTP, and run
# tests/vm/sctp_userland.sh inside the chroot. The traces land in
# tests/vm/cache/out/sctp-native-otpR.traces; copy them to tests/sctp_native/.
#   tests/vm/record-in-chroot.sh [trixie]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RELEASE=${1:-trixie}
ROOT=${PYINET_CHROOT_ROOT:-/var/cache/pyinet/chroot}
"$REPO/tests/chroot/run.sh" "$RELEASE" 'make build'
PYINET_VM_TIMEOUT=${PYINET_VM_TIMEOUT:-1500} \
    "$HERE/run-in-vm.sh" tests/vm/in-chroot.sh "$ROOT/$RELEASE" tests/vm/sctp_userland.sh
