#!/usr/bin/env bash
# Run CMD... where the kernel has SCTP: directly when this one has it,
# otherwise inside the VM (tests/vm/run-in-vm.sh). Exits with CMD's status.
#   tests/vm/with-sctp.sh CMD [ARG...]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if "$HERE/has-sctp.sh"; then
    cd "$HERE/../.." && exec "$@"
fi
exec "$HERE/run-in-vm.sh" "$@"
