#!/usr/bin/env bash
# Guest side of record-in-chroot.sh: run CMD in the chroot DIR's copy of the
# repository (/work/pyinet), with /proc, /sys and /dev, and the VM's shared
# output directory as the chroot's $PYINET_VM_OUT. Writes inside the chroot
# stay in the guest's overlay.
#   tests/vm/in-chroot.sh DIR CMD...
set -eu
DIR=$1; shift
mount -t proc proc "$DIR/proc"
mount --rbind /sys "$DIR/sys"
mount --rbind /dev "$DIR/dev"
mkdir -p "$DIR/tmp/vm-out"
mount --bind "${PYINET_VM_OUT:?}" "$DIR/tmp/vm-out"
exec chroot "$DIR" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYINET_VM_OUT=/tmp/vm-out PYINET_PYTHON=/work/pyinet/.venv/bin/python \
    /bin/bash -c "cd /work/pyinet && $*"
