"""The OTP release whose semantics the port program reproduces.

pyinet answers as the OTP release that runs the node would, and some answers
changed between releases. The Erlang side names its release when it starts
the program (PYINET_OTP_RELEASE, from erlang:system_info(otp_release)); the
hello echoes it back as `otp_release`. Without it (the program run by hand)
the oldest release we support is assumed.

Each difference is one named property here, so that the code that branches on
it says what it is, not which number. Releases checked by running them: 25
(Debian 12), 27 (Debian 13) and 29 (Debian unstable). Debian has no 26 or 28:
every change seen between 25 and 27 is taken to start with 26, and every change
seen between 27 and 29 with 28, which no run here has checked.
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
        of returning them with `{select, Bin}` (OTP 25 and 29: socket:recv/3
        then answers `{error, {timeout, Bin}}` to a deadline that passes). Gone
        again on 29.1.2 (seen in pyinet_conformance_socket:recv_exact_timeout;
        erlang/otp's unix_socket_syncio.c with select_read reads into a fresh
        binary on every call)."""
        return 26 <= self.otp < 28

    @property
    def recv_poll_answers_timeout(self) -> bool:
        """A recv or recvfrom polled with `zero` that finds nothing answers
        `timeout` (OTP 25: `ok`), and a short stream read of N bytes polled so
        answers `{timeout, Bin}` (OTP 25: `{ok, Bin}`): recv_check_fail and
        recv_check_partial of 27 and 29."""
        return self.otp >= 26

    @property
    def recv_restarts_buffer_count(self) -> bool:
        """Every recv but one that fills the buffer of a read of any length
        counts the `{otp, rcvbuf}` buffers anew (rNumCnt = 0 in recv_check_fail,
        recv_check_partial and recv_check_full_done of 27 and 29), a poll that
        finds nothing too; OTP 25 started anew only where a read of any length
        ended, or waited."""
        return self.otp >= 26

    @property
    def poll_behind_current_reader_times_out(self) -> bool:
        """A recv or recvfrom polled with `zero` by a process that is not the
        current reader answers `timeout` without reading (recv_check_entry);
        OTP 27 read for it (recv_check_reader's `goto done_ok`). Seen on 29.1.2:
        with data waiting and another process selected for it."""
        return self.otp >= 28

    @property
    def read_pkg_max_counts_every_read(self) -> bool:
        """read_pkg_max counts what every read returns: a short stream read
        that selects for the rest (recv_check_partial) and every recvfrom too;
        OTP 25 and 27 counted it only where a package was done, and recvfrom
        never (erlang/otp's unix_socket_syncio.c with select_read; seen on
        29.1.2 in the counters of socket:info/1)."""
        return self.otp >= 28

    @property
    def recv_counts_last_buffer_twice(self) -> bool:
        """A read of any length on a stream socket that fills its buffer for
        the last time its `{otp, rcvbuf}` count allows adds that buffer to
        read_byte and read_pkg_max twice: recv_check_full_maybe_done counts
        it, then calls recv_check_full_done, which counts it again (erlang/otp's
        unix_socket_syncio.c with select_read; seen on 29.1.2: 30 bytes read
        for 20 received in pyinet_conformance_socket:recv_otp_rcvbuf)."""
        return self.otp >= 28

    @property
    def connect_undecodable_address_is_einval(self) -> bool:
        """socket:connect/2,3 with an address the NIF cannot decode (an `addr`
        or `port` of the wrong type, an unknown family) goes on as if it could:
        the state checks come first (closed, another writer, a connect in
        progress, which that call completes), then {error, einval}. Seen on
        29.1.2 with strace: its NIF calls connect(2) with the address half
        decoded and its length left uninitialised, which the kernel refuses
        (EINVAL) unless the stack happens to hold a small length (then a
        listening socket says eisconn, or an AF_UNSPEC address disconnects);
        pyinet gives the usual answer. OTP 27: {error, {invalid, {sockaddr,
        Addr}}} before any state check."""
        return self.otp >= 28

    @property
    def socket_option_levels_by_name_only(self) -> bool:
        """Option names take a level by its own name only (socket, ip, ipv6,
        tcp, udp, sctp): 29's prim_socket builds its option table from the
        NIF's levels, not from the protocol table with /etc/protocols'
        aliases, so `{'TCP', nodelay}` is an invalid option (prim_socket.erl
        options_table/1). Native options still name a level by any alias
        (enc_sockopt/2)."""
        return self.otp >= 28

    @property
    def ip_tos_three_readings(self) -> bool:
        """`{ip, tos}` reads as a map of its three readings: #{native => N,
        tos => #{tos => T, precedence => P}, dscp => D} (socket.erl's ip_tos()),
        and is set by a DSCP name or a #{precedence, tos} map too (iptos_value());
        OTP 27 read a TOS name or the integer. Seen on 29.1.2, every value."""
        return self.otp >= 28

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
    def inet_default_buffer(self) -> int:
        """The `buffer` a new inet_drv socket starts with (INET_DEF_BUFFER):
        9216 from OTP 28 (erlang/otp#9507 raised the default of TCP, UDP and
        SCTP for 28.0; 9216 seen on 29.1.2 for TCP and UDP), 1460 before.
        Setting recbuf still raises it only above it: after {recbuf, 4000} it
        stays 9216 (erlang/otp#9741)."""
        return 9216 if self.otp >= 28 else 1460

    @property
    def send_timeout_close_reports_closed(self) -> bool:
        """A send that times out on an active socket with send_timeout_close
        tells the owner {tcp_closed, S} at once and, with exit_on_close, ends
        the port (then inet:setopts/2 says einval and gen_tcp:send/2 closed),
        as a send error does; OTP 25 and 27 closed the socket without a word,
        and {tcp_closed, S} came when the socket was activated again. A passive
        socket is closed as before. Seen on 29.1.2."""
        return self.otp >= 28

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
    def sendfile_error_leaves_send_closed(self) -> bool:
        """After a sendfile that failed (the peer gone), the next send says
        `closed`, as after a send that failed with nobody waiting for it
        (TCP_ADDF_DELAYED_CLOSE_SEND); OTP 25 said `enotconn` there, as after
        a failed send whose caller waited. A second sendfile says enotconn
        on both. Seen on 27 (pyinet_conformance_sendfile:gen_tcp_peer_closed)."""
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
