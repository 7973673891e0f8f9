"""The OTP release whose semantics the port program reproduces.

pyinet answers as the OTP release that runs the node would, and some answers
changed between releases. The Erlang side names its release when it starts
the program (PYINET_OTP_RELEASE, from erlang:system_info(otp_release)); the
hello echoes it back as `otp_release`. Without it (the program run by hand)
the oldest release we support is assumed.

Each difference is one named property here, so that the code that branches on
it says what it is, not which number. Releases checked by running them: 25
(Debian 12) and 27 (Debian 13). Debian has no 26: every change seen between
25 and 27 is taken to start with 26, which no run here has checked.
"""

from __future__ import annotations

import os

OLDEST = 25


def follow_release(release: "Release") -> None:
    """Make the sans-I/O cores that hold no program (the codec, packet
    parsing, the inet option table) answer as that release does; a program
    follows one release, chosen at its start."""
    from . import etf, packet
    from .inet import options
    etf.follow_release(release.otp)
    packet.follow_release(release.otp)
    options.follow_release(release)


class Release:
    """What differs, by the release number."""

    __slots__ = ("otp",)

    def __init__(self, otp: int = OLDEST):
        self.otp = otp

    @classmethod
    def from_environment(cls, environ=os.environ) -> "Release":
        value = environ.get("PYINET_OTP_RELEASE", "")
        try:
            otp = int(value)
        except ValueError:
            otp = OLDEST
        return cls(max(otp, OLDEST))

    def __repr__(self) -> str:
        return f"Release({self.otp})"

    # -- the socket NIF ------------------------------------------------------------------

    @property
    def accept_marks_accepted(self) -> bool:
        """An accepted socket's write states say `connected` (OTP 27's
        essio_accept_accepted); OTP 25 set the flag on the listening socket."""
        return self.otp >= 26

    @property
    def stream_recv_buffers(self) -> bool:
        """A stream recv of N bytes that gets fewer keeps them in the socket's
        read buffer, for the next call (OTP 27's essio_recv, readBuf), instead
        of returning them with `select` or `timeout`; and a recv or recvfrom
        polled with `zero` that finds nothing answers `timeout` (OTP 25: `ok`)."""
        return self.otp >= 26

    @property
    def cancel_connect_is_error(self) -> bool:
        """cancel/2 of a connect that is not current: the NIF says
        `{error, not_found}` (essio_cancel_connect), which socket:cancel/2
        returns as is; OTP 25's bare `not_found` became `{invalid, Info}`."""
        return self.otp >= 26

    @property
    def tcp_keepalive_options(self) -> bool:
        """`{tcp, keepcnt | keepidle | keepintvl}` are socket options."""
        return self.otp >= 26

    # -- inet_drv ------------------------------------------------------------------------

    @property
    def tcp_recv_reads_again(self) -> bool:
        """tcp_recv reads again at once when a read of unknown length left the
        packet incomplete (OTP 27's loop, until the packet is complete or the
        read would block); OTP 25 read once per readable event. It came with
        read_ahead."""
        return self.otp >= 26

    @property
    def packet_change_forgets_remain(self) -> bool:
        """A packet type change on an active socket forgets how much of the
        buffered packet was still missing under the old type (inet_set_opts
        sets i_remain to 0), so that what is buffered is framed anew; OTP 25
        kept waiting for the old type's length."""
        return self.otp >= 26

    @property
    def tcp_read_ahead_option(self) -> bool:
        """`{read_ahead, Boolean}` is an option of TCP sockets: false reads a
        packet's header before its body (TCP_ADDF_NO_READ_AHEAD)."""
        return self.otp >= 26

    @property
    def inet_reuseport_options(self) -> bool:
        """reuseport, reuseport_lb and exclusiveaddruse are inet options
        (OTP 26.0)."""
        return self.otp >= 26

    @property
    def send_monitors_port(self) -> bool:
        """prim_inet:send/3 monitors the port before the command, so a sender
        blocked on a port that closes gets `{error, closed}` at once; OTP 25
        monitored it only after ?INET_CLOSE_TIMEOUT (5 s) without a reply."""
        return self.otp >= 26

    # -- the external term format --------------------------------------------------------

    @property
    def always_v4_ports(self) -> bool:
        """term_to_binary writes every port as V4_PORT_EXT."""
        return self.otp >= 26
