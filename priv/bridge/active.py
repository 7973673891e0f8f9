"""The active-mode machine of an inet socket, sans-I/O.

A socket is passive (`{active, false}`), active (`true`), active for one message
(`once`), or active for a countdown of N messages (`{active, N}`). The rules are
inet_drv's (inet_set_opts, INET_LOPT_ACTIVE, and INET_CHECK_ACTIVE_TO_PASSIVE):

- `once` turns passive after one delivered message, silently.
- `{active, N}` adds N to the countdown when the socket already counts, and starts
  a new countdown from N otherwise. The sum must stay within a signed 16-bit
  integer (else einval, nothing changed). A countdown at or below 0 turns the
  socket passive and sends `{Proto_passive, S}`; so does delivering its last message.
- `true` and `false` reset the countdown.
"""

from __future__ import annotations

from .etf.terms import Atom, atom

PASSIVE, ACTIVE, ONCE, MULTI = 0, 1, 2, 3
_INT16_MIN, _INT16_MAX = -32768, 32767
_ONCE = atom("once")


class ActiveMode:
    __slots__ = ("mode", "count")

    def __init__(self, mode: int = ACTIVE, count: int = 0):
        self.mode = mode
        self.count = count

    @property
    def active(self) -> bool:
        return self.mode != PASSIVE

    def set(self, value) -> bool:
        """Apply a setopts value (False, True, 'once' or an int). Returns True when
        the socket turned passive by this and a passive message is due. Raises
        ValueError (einval) for a value out of range, changing nothing."""
        if value is True:
            self.mode, self.count = ACTIVE, 0
        elif value is False:
            self.mode, self.count = PASSIVE, 0
        elif value == _ONCE and isinstance(value, Atom):
            self.mode, self.count = ONCE, 0
        elif type(value) is int:
            base = self.count if self.mode == MULTI else 0
            total = base + value
            if not _INT16_MIN <= total <= _INT16_MAX or not _INT16_MIN <= value <= _INT16_MAX:
                raise ValueError("active count out of range")
            self.mode = MULTI
            self.count = max(total, 0)
            if self.count == 0:
                self.mode = PASSIVE
                return True
        else:
            raise ValueError(f"bad active value {value!r}")
        return False

    def delivered(self) -> bool:
        """One message was delivered. Returns True when a passive message is due."""
        mode = self.mode
        if mode == ONCE:
            self.mode = PASSIVE
        elif mode == MULTI:
            self.count -= 1
            if self.count == 0:
                self.mode = PASSIVE
                return True
        return False

    def term(self):
        """The value getopts reports: false, true, once, or the remaining count."""
        mode = self.mode
        if mode == PASSIVE:
            return False
        if mode == ACTIVE:
            return True
        if mode == ONCE:
            return _ONCE
        return self.count

    def __repr__(self) -> str:
        return f"<ActiveMode {self.term()!r}>"
