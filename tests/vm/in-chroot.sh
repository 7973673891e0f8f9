#!/usr/bin/env bash
# Guest side of record-in-chroot.sh: run CMD in the chroot DIR's copy of the
# repository (/work/pyinet), with /proc, /sys and /dev, and the VM's shared
# output directory as the chroot's $PYINET_VM_OUT. vng lays an empty /var over
# the host's: a chroot under /var is reached through a bind of the host's
# root, read-only, with /tmp and /root in guest memory.
#   tests/vm/in-chroot.sh DIR CMD...
set -eu
DIR=$1; shift
if [ ! -d "$DIR/proc" ]; then
    mkdir -p /tmp/host-root
    mount --bind / /tmp/host-root
    DIR=/tmp/host-root$DIR
fi
mount -t tmpfs tmpfs "$DIR/tmp"
mount -t tmpfs tmpfs "$DIR/root"
mount -t proc proc "$DIR/proc"
mount --rbind /sys "$DIR/sys"
mount --rbind /dev "$DIR/dev"
mkdir -p "$DIR/tmp/vm-out"
mount --bind "${PYINET_VM_OUT:?}" "$DIR/tmp/vm-out"
exec chroot "$DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYINET_VM_OUT=/tmp/vm-out PYINET_PYTHON=/work/pyinet/.venv/bin/python \
    /bin/bash -c "cd /work/pyinet && $*"
