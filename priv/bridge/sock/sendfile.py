"""sendfile of a `socket` API socket, as the NIF does it (esock_sendfile_start,
esock_sendfile_cont): the file is a descriptor the BEAM passed (passfd.py),
kept by the socket while its sendfile goes on (the NIF's dup'ed
sendfileHandle) and closed when it ends, fails or the socket closes.

A mixin of SockSocket (ops.py), sharing its writer queue and select. Counted
as the NIF counts, in counters that info/1 shows from the first sendfile on:
`sendfile` per system call, `sendfile_pkg` and `sendfile_byte` per call that
moved bytes, `sendfile_max` the most one sendfile (start and continuations)
moved, `sendfile_pkg_max` the most one call of the NIF moved, `sendfile_tries`
per start, `sendfile_waits` per select, `sendfile_fails` per failure.
"""

from __future__ import annotations

import errno
import os

from ..errors import posix_atom
from .descriptor import CLOSED, INVALID, OK, SELECT, STATE, Raise, error, invalid

_CHUNK = 0x7FFFF000  # the most Linux's sendfile moves in one call
SENDFILE_COUNTERS = ("sendfile", "sendfile_byte", "sendfile_fails", "sendfile_max",
                     "sendfile_pkg", "sendfile_pkg_max", "sendfile_tries", "sendfile_waits")


class Sendfile:
    """sendfile (see the module docstring)."""

    __slots__ = ()

    def sendfile(self, caller, ref, fd: int | None, offset: int, count: int):
        """Start (with the file `fd`) or continue (fd None, after a select) a
        sendfile of `count` bytes (0: to the end of the file) from `offset`."""
        if not self.write_open:
            _close(fd)
            return error(CLOSED)
        if self.connector is not None:
            _close(fd)
            return invalid(STATE)
        if fd is None:
            if self.writer is None or self.sendfile_fd is None or self.writer.pid != caller:
                raise Raise((INVALID, STATE))
        else:
            if self.writer is not None and self.writer.pid != caller:
                # Queued (or refused): the file comes again with its turn.
                _close(fd)
                return self.transmit(caller, ref, 0, None)
            if self.sendfile_fd is not None:
                _close(fd)
                return invalid(STATE)
            self.sendfile_fd = fd
            counters = self._sendfile_counters()
            counters["sendfile_tries"] += 1
            self.sendfile_max_cnt = 0
        return self._sendfile(caller, ref, offset, count)

    def _sendfile_counters(self) -> dict:
        if self.sendfile_cnt is None:
            self.sendfile_cnt = dict.fromkeys(SENDFILE_COUNTERS, 0)
        return self.sendfile_cnt

    def _sendfile(self, caller, ref, offset: int, count: int):
        c = self.sendfile_cnt
        moved = 0
        while True:
            chunk = _CHUNK if count == 0 or count > _CHUNK else count
            err = 0
            try:
                n = os.sendfile(self.fd, self.sendfile_fd, offset, chunk)
            except InterruptedError:
                c["sendfile"] += 1
                continue
            except OSError as exc:
                n, err = 0, exc.errno or errno.EIO
            c["sendfile"] += 1
            if n:
                moved += n
                offset += n
                c["sendfile_pkg"] += 1
                c["sendfile_byte"] += n
                c["sendfile_pkg_max"] = max(c["sendfile_pkg_max"], moved)
                self.sendfile_max_cnt += n
                c["sendfile_max"] = max(c["sendfile_max"], self.sendfile_max_cnt)
            if count > 0:
                count -= n
                if count == 0:
                    return self._sendfile_ok(moved)
            if err in (errno.EAGAIN, errno.EWOULDBLOCK):
                return self._sendfile_select(caller, ref, moved)
            if err:
                return self._sendfile_error(posix_atom(err))
            if n == 0:
                return self._sendfile_ok(moved)

    def _sendfile_ok(self, moved: int):
        self.close_sendfile()
        self.next_writer()
        self.write_pkg_max_cnt = 0
        return (OK, moved)

    def _sendfile_select(self, caller, ref, moved: int):
        if self.writer is None:
            self.writer = self.new_requestor(caller, ref)
        else:
            self.writer.ref = ref
        self.select_write(caller, ref)
        self.sendfile_cnt["sendfile_waits"] += 1
        return (SELECT, moved)

    def _sendfile_error(self, reason):
        self.close_sendfile()
        self._sendfile_counters()["sendfile_fails"] += 1
        if self.writer is not None:
            self.release(self.writer)
            self.abort_queue(self.writers, reason)
            self.writer = None
        return error(reason)

    def close_sendfile(self) -> None:
        """The file of a sendfile that ended (or the socket's close)."""
        if self.sendfile_fd is not None:
            _close(self.sendfile_fd)
            self.sendfile_fd = None


def _close(fd) -> None:
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
