#!/usr/bin/env bash
# Run CMD in a Debian RELEASE (bookworm, trixie, sid ...) made with debootstrap
# from Debian's archive, on a copy of this repository (its tracked and
# untracked-but-not-ignored files, and its .git), as root, with the host's network.
#
#   tests/chroot/run.sh [--new] RELEASE CMD [ARG...]
#
# CMD and its ARGs are joined into one shell command, as ssh does: write
# `run.sh trixie 'CI=true make test'`.
# The chroot holds only Debian's minimal base (debootstrap --variant=minbase)
# and make: everything else must come from the project's own files, which is
# the point. It is kept in $PYINET_CHROOT_ROOT/RELEASE (default
# /var/cache/pyinet/chroot) and made when absent, so that later runs only
# install what the Makefile asks for; --new makes a throw-away one instead (a
# fresh machine). The copy of the repository is made anew on each run, in
# /work/pyinet inside; its .venv, .make and _build stay from one run to the
# next in a kept chroot.
#
# The command runs in its own mount and PID namespaces: the mounts made for it
# (/proc, /sys, /dev, /run) and every process it leaves behind (epmd) end with it.
# Exits with CMD's status.
set -euo pipefail

NEW=
if [ "${1:-}" = --new ]; then NEW=1; shift; fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [--new] RELEASE CMD [ARG...]" >&2
    exit 2
fi
RELEASE=$1; shift
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROOT=${PYINET_CHROOT_ROOT:-/var/cache/pyinet/chroot}
MIRROR=${PYINET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

say() { echo "chroot $RELEASE: $*" >&2; }

if [ -n "$NEW" ]; then
    mkdir -p "$ROOT"
    DIR=$(mktemp -d "$ROOT/$RELEASE.new.XXXXXX")
    # Nothing is mounted outside the namespace below, so removing is safe.
    trap '$SUDO rm -rf --one-file-system "$DIR"' EXIT
else
    DIR=$ROOT/$RELEASE
fi

if [ ! -x "$DIR/usr/bin/make" ]; then
    if ! command -v debootstrap >/dev/null; then
        say "installing debootstrap"
        $SUDO apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends debootstrap >/dev/null
    fi
    say "debootstrap $RELEASE from $MIRROR (about a minute)"
    tmp=$DIR.partial
    $SUDO rm -rf --one-file-system "$tmp"
    $SUDO mkdir -p "$tmp"
    $SUDO debootstrap --variant=minbase --include=make "$RELEASE" "$tmp" "$MIRROR" >"$ROOT/$RELEASE.debootstrap.log" 2>&1 \
        || { tail -n 20 "$ROOT/$RELEASE.debootstrap.log" >&2; exit 1; }
    if [ -n "$NEW" ]; then rmdir "$DIR"; fi
    $SUDO mv "$tmp" "$DIR"
fi

# The copy of the repository.
$SUDO rm -rf --one-file-system "$DIR/work/pyinet.src"
$SUDO mkdir -p "$DIR/work/pyinet.src" "$DIR/work/pyinet"
(cd "$REPO" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) \
    | $SUDO tar -xf - -C "$DIR/work/pyinet.src"
# And its history, for what tests it as a git dependency (tests/dependency).
$SUDO cp -a "$REPO/.git" "$DIR/work/pyinet.src/.git"
# Keep the chroot's own build state, replace everything else.
for keep in .venv .make _build; do
    if [ -e "$DIR/work/pyinet/$keep" ]; then $SUDO mv "$DIR/work/pyinet/$keep" "$DIR/work/pyinet.src/"; fi
done
$SUDO rm -rf --one-file-system "$DIR/work/pyinet"
$SUDO mv "$DIR/work/pyinet.src" "$DIR/work/pyinet"
# The host's network, as a fresh machine of its kind has it: the resolver,
# and the certificate authorities its HTTPS egress is signed with (a machine
# here may reach PyPI only through a proxy with its own CA), for OpenSSL and,
# in /etc/pip.conf, for pip, which otherwise trusts only its own bundle.
$SUDO cp /etc/resolv.conf "$DIR/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
    $SUDO mkdir -p "$DIR/usr/local/share/ca-certificates"
    $SUDO cp -a /usr/local/share/ca-certificates/. "$DIR/usr/local/share/ca-certificates/"
fi
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    $SUDO mkdir -p "$DIR/etc/ssl/certs"
    $SUDO cp /etc/ssl/certs/ca-certificates.crt "$DIR/etc/ssl/certs/"
fi
if [ -f /etc/pip.conf ]; then $SUDO cp /etc/pip.conf "$DIR/etc/pip.conf"; fi
# unstable's Release file is valid for a week only, and the archive a machine
# here reaches may be a snapshot older than that: apt would refuse it.
if [ "$RELEASE" = sid ] || [ "$RELEASE" = unstable ]; then
    echo 'Acquire::Check-Valid-Until "false";' | $SUDO tee "$DIR/etc/apt/apt.conf.d/99pyinet-valid-until" >/dev/null
fi

say "$*"
# PATH inside is Debian's own; the variables tests and make look at pass through.
inner="$*"
$SUDO unshare --mount --pid --fork --propagation private -- /bin/bash -c '
    set -e
    R=$1; shift
    mount -t proc proc "$R/proc"
    mount --rbind /sys "$R/sys"
    mount --rbind /dev "$R/dev"
    mount -t tmpfs tmpfs "$R/run"
    mount -t tmpfs tmpfs "$R/tmp"
    exec chroot "$R" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        CI="${CI:-}" QUICK="${QUICK:-}" \
        /bin/bash -c "cd /work/pyinet && $*"
' chroot-run "$DIR" "$inner"
