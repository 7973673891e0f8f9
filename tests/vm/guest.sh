#!/usr/bin/env bash
# Runs inside the VM (started by tests/vm/run-in-vm.sh as vng --exec):
#   bash tests/vm/guest.sh RUNDIR
# RUNDIR (shared with the host) holds env (exports), argv (the command, quoted)
# and receives status (the command's exit status).
RUN=$1
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GUEST_PATH=$PATH
# shellcheck disable=SC1091
. "$RUN/env"
export PATH="$PATH:$GUEST_PATH"

# SCTP: explicit modprobe (socket() would autoload it too, unless a distro
# blacklists the alias, as Fedora does).
modprobe sctp 2>/dev/null || echo "guest: modprobe sctp failed" >&2
# Loopback: virtme-ng-init brings lo up with 127.0.0.1 and ::1; make sure.
ip link set lo up 2>/dev/null || true
if ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
    ip -6 addr add ::1/128 dev lo 2>/dev/null || true
fi

echo "guest: $(uname -r) up $(cut -d' ' -f1 /proc/uptime) s, SCTP $([ -d /proc/net/sctp ] && echo loaded || echo MISSING)" >&2

cd "$REPO" || exit 125
eval "set -- $(cat "$RUN/argv")"
"$@"
rc=$?
echo "$rc" > "$RUN/status"
sync
exit "$rc"
