#!/usr/bin/env bash
# Run CMD... inside a qemu VM booting Debian's stock kernel (which has SCTP as a
# module) on this machine's own filesystem, with the repository as the working
# directory. Prints the guest's stdout/stderr; exits with CMD's exit status.
#
#   tests/vm/run-in-vm.sh CMD [ARG...]
#
# Installs what it needs the first time (Debian packages, virtme-ng in
# tests/vm/.venv); later runs only check. See tests/vm/README.md.
#
# Environment (all optional):
#   PYINET_VM_TIMEOUT  seconds for the whole VM, boot included (default 600)
#   PYINET_VM_MEMORY   guest memory (default 2G)
#   PYINET_VM_CPUS     guest CPUs (default 2)
#   PYINET_VM_KERNEL   kernel image (default: newest /boot/vmlinuz-* with sctp.ko)
#   PYINET_VM_REPO_RW  1: guest writes to the repo reach the host (default:
#                      copy-on-write, discarded at exit)
#   PYINET_VM_VERBOSE  1: show the kernel console and vng's commands
#   PYINET_VM_ENV      extra host variable names to pass into the guest
# Inside the guest: PYINET_IN_VM=1, and PYINET_VM_OUT is a directory shared
# read-write with the host (tests/vm/cache/out) for logs and results.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=$HERE/.venv
CACHE=$HERE/cache
VNG_VERSION=1.42                      # virtme-ng, pinned
# file: virtme-ng runs it to check that busybox is static (a minimal Debian
# has none).
APT_PACKAGES="linux-image-amd64 qemu-system-x86 busybox-static kmod iproute2 util-linux file"

TIMEOUT=${PYINET_VM_TIMEOUT:-600}
MEMORY=${PYINET_VM_MEMORY:-2G}
CPUS=${PYINET_VM_CPUS:-2}

say() { echo "run-in-vm: $*" >&2; }

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARG...]" >&2
    exit 2
fi

# Already inside the guest: nothing to boot.
if [ "${PYINET_IN_VM:-}" = 1 ]; then
    cd "$REPO"
    exec "$@"
fi

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# --- 1. Debian packages (dpkg -s is quick; apt only when something is missing)
missing=
for p in $APT_PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing (once, 1-2 min)"
    $SUDO apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# --- 2. virtme-ng in its own venv (vng runs its sibling virtme-run: bin/ on PATH)
if [ "$(cat "$VENV/.pyinet-vng" 2>/dev/null)" != "$VNG_VERSION" ]; then
    say "installing virtme-ng $VNG_VERSION into $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "virtme-ng==$VNG_VERSION" 2>&1 \
        | { grep -v '^WARNING: Location .* is ignored' >&2 || true; }
    echo "$VNG_VERSION" > "$VENV/.pyinet-vng"
fi
export PATH="$VENV/bin:$PATH"

# --- 3. The kernel: newest installed one that ships sctp.ko
KERNEL=${PYINET_VM_KERNEL:-}
if [ -z "$KERNEL" ]; then
    for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V -r); do
        v=${k#/boot/vmlinuz-}
        if ls /lib/modules/"$v"/kernel/net/sctp/sctp.ko* >/dev/null 2>&1; then
            KERNEL=$k
            break
        fi
    done
fi
if [ -z "$KERNEL" ] || [ ! -e "$KERNEL" ]; then
    say "no kernel image with net/sctp/sctp.ko under /boot and /lib/modules"
    exit 125
fi
if [ ! -r "$KERNEL" ]; then         # Ubuntu ships vmlinuz mode 0600
    mkdir -p "$CACHE"
    copy=$CACHE/$(basename "$KERNEL")
    [ -r "$copy" ] || { $SUDO cp "$KERNEL" "$copy"; $SUDO chmod 644 "$copy"; }
    KERNEL=$copy
fi

# --- 4. The run directory, shared read-write with the guest
mkdir -p "$CACHE/out"
RUN=$(mktemp -d "$CACHE/run.XXXXXX")
PIPES=$(mktemp -d "${TMPDIR:-/tmp}/pyinet-vm.XXXXXX")
VMPID=
cleanup() {
    if [ -n "$VMPID" ] && kill -0 "$VMPID" 2>/dev/null; then
        kill -TERM "$VMPID" 2>/dev/null || true   # timeout passes it on to qemu
        wait "$VMPID" 2>/dev/null || true
    fi
    rm -rf "$RUN" "$PIPES"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%q ' "$@" > "$RUN/argv"
{
    # The host's PATH first, so erl, escript, python3 are the host's own.
    for v in PATH LANG LC_ALL CI PYINET_PYTHON ${PYINET_VM_ENV:-}; do
        if [ -n "${!v+x}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
    done
    printf 'export HOME=%q\n' "$HOME"
    printf 'export PYINET_IN_VM=1 PYINET_VM_OUT=%q\n' "$CACHE/out"
} > "$RUN/env"

# Writable places: /etc /home /opt /srv /usr /var /tmp are vng's own overlays
# (copy-on-write, in guest RAM). Add the repo (copy-on-write unless
# PYINET_VM_REPO_RW=1) and $HOME (erl needs HOME; rebar3 writes ~/.cache),
# then share tests/vm/cache read-write so results reach the host.
# --disable-kvm: /dev/kvm is there but a KVM guest dies (MSR 0x10a assertion)
# or hangs. --force-9p: vng would first wait ~3 s for a virtiofsd that Debian
# 12 does not have (qemu's C one is rejected), then use 9p anyway.
args=(--run "$KERNEL" --disable-kvm --force-9p --memory "$MEMORY" --cpus "$CPUS" --cwd "$REPO")
if [ "${PYINET_VM_REPO_RW:-}" = 1 ]; then
    args+=(--rwdir "$REPO")
else
    args+=(--overlay-rwdir "$REPO")
fi
case "$HOME" in
    /home|/home/*|/tmp|/tmp/*|"$REPO"|"$REPO"/*) ;;
    *) [ -d "$HOME" ] && args+=(--overlay-rwdir "$HOME") ;;
esac
args+=(--rwdir "$CACHE")
[ "${PYINET_VM_VERBOSE:-}" = 1 ] && args+=(--verbose)
args+=(--exec "bash $(printf %q "$HERE/guest.sh") $(printf %q "$RUN")")
[ "${PYINET_VM_VERBOSE:-}" = 1 ] && say "vng ${args[*]}"

# One VM at a time on this machine (2 cores): wait for any other one.
exec 9>"$CACHE/vm.lock"
if ! flock -n 9; then
    say "waiting for another VM of this repository to finish"
    flock 9
fi

say "booting $(basename "$KERNEL") (no KVM, ~30 s), timeout ${TIMEOUT}s: $*"
start=$(date +%s)
# qemu reopens /proc/self/fd/1 and /2 (O_TRUNC, offset 0) for the guest's
# output, which clobbers a file the caller redirected us to: give it FIFOs.
# Run in the background so that a signal to this script runs the cleanup;
# timeout signals its whole process group, qemu included.
mkfifo "$PIPES/out" "$PIPES/err"
cat "$PIPES/out" & c1=$!
cat "$PIPES/err" >&2 & c2=$!
timeout --kill-after=15 "$TIMEOUT" vng "${args[@]}" </dev/null >"$PIPES/out" 2>"$PIPES/err" &
VMPID=$!
rc_vm=0
wait "$VMPID" || rc_vm=$?
VMPID=
wait "$c1" "$c2" || true
# The status the guest recorded is CMD's; vng's own is the fallback.
if [ -s "$RUN/status" ]; then
    rc=$(cat "$RUN/status")
else
    rc=$rc_vm; [ "$rc" != 0 ] || rc=125
    say "the guest did not finish CMD, vng status $rc_vm (timeout after ${TIMEOUT}s, or boot failure; PYINET_VM_VERBOSE=1 shows the console)"
fi
say "VM done in $(( $(date +%s) - start )) s, exit status $rc"
exit "$rc"
