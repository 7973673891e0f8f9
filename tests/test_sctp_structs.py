"""The sans-I/O half of SCTP: Linux structures to Erlang terms and back
(bridge/sctp/structs.py), the local options (bridge/sctp/options.py), and what
a host without SCTP answers. No SCTP socket is opened here: these run on any
kernel. The kernel half is tests/test_sctp_kernel.py (make test-sctp)."""

from __future__ import annotations

import socket
import struct

import pytest

from bridge.active import ONCE, PASSIVE
from bridge.capabilities import kernel_sctp, transports
from bridge.errors import RequestError
from bridge.etf.terms import atom
from bridge.release import Release
from bridge.sctp import options as sopt
from bridge.sctp import structs as st

from bridge_client import BridgeProcess, error

A = atom


def sockaddr_in(ip: str, port: int) -> bytes:
    raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(ip)
    return raw.ljust(128, b"\0")


def sockaddr_in6(ip: str, port: int) -> bytes:
    raw = (struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, 0)
           + socket.inet_pton(socket.AF_INET6, ip) + struct.pack("=I", 0))
    return raw.ljust(128, b"\0")


# -- addresses ------------------------------------------------------------------

def test_sockaddr_round_trip_v4_v6():
    packed = st.pack_sockaddr(socket.AF_INET, ((127, 0, 0, 1), 2006))
    assert packed == sockaddr_in("127.0.0.1", 2006)
    assert st.unpack_sockaddr(packed) == ((127, 0, 0, 1), 2006)
    six = st.pack_sockaddr(socket.AF_INET6, ((0, 0, 0, 0, 0, 0, 0, 1), 9))
    assert six == sockaddr_in6("::1", 9)
    assert st.unpack_sockaddr(six) == ((0, 0, 0, 0, 0, 0, 0, 1), 9)
    assert len(st.pack_sockaddr(socket.AF_INET6, ((0,) * 8, 9), exact=True)) == 28
    assert len(st.pack_sockaddr(socket.AF_INET, ((1, 2, 3, 4), 9), exact=True)) == 16


def test_any_and_loopback_take_the_socket_family():
    assert st.unpack_sockaddr(st.pack_sockaddr(socket.AF_INET, (A("any"), 0))) == ((0, 0, 0, 0), 0)
    assert st.unpack_sockaddr(st.pack_sockaddr(socket.AF_INET6, (A("loopback"), 5))) == \
        ((0, 0, 0, 0, 0, 0, 0, 1), 5)
    # An IPv4 address on an inet6 socket keeps its own family (inet_set_faddress).
    raw = st.pack_sockaddr(socket.AF_INET6, ((10, 0, 0, 1), 7))
    assert struct.unpack_from("=H", raw)[0] == socket.AF_INET


@pytest.mark.parametrize("bad", [((1, 2, 3), 1), ((1, 2, 3, 4), 70000), ((256, 0, 0, 1), 1),
                                 "x", ((1, 2, 3, 4),)])
def test_bad_addresses_are_refused(bad):
    with pytest.raises(st.StructError):
        st.pack_sockaddr(socket.AF_INET, bad)


def test_unknown_family_is_shown_as_the_driver_shows_it():
    assert st.unpack_sockaddr(bytes(128)) == ((A("unspec"), b""), 0)


def test_address_header_is_inet_get_address():
    assert st.address_header(((127, 0, 0, 1), 0x1234)) == [1, 0x12, 0x34, 127, 0, 0, 1]
    six = st.address_header(((0, 0, 0, 0, 0, 0, 0, 1), 1))
    assert six[:3] == [2, 0, 1] and six[3:] == [0] * 15 + [1]


# -- sndrcvinfo -------------------------------------------------------------------

def sri(**fields):
    base = dict(stream=0, ssn=A("undefined"), flags=0, ppid=0, context=0, timetolive=0,
                tsn=A("undefined"), cumtsn=A("undefined"), assoc_id=0)
    base.update(fields)
    return (A("sctp_sndrcvinfo"),) + tuple(base.values())


def test_ppid_goes_out_in_network_order_and_comes_back_in_host_order():
    raw = st.pack_sndrcvinfo(sri(ppid=0x01020304, stream=3, context=9, assoc_id=5))
    assert raw[8:12] == b"\x01\x02\x03\x04"  # sinfo_ppid as it is on the wire
    term = st.sndrcvinfo_term(raw)
    assert term[4] == 0x01020304 and term[1] == 3 and term[5] == 9 and term[9] == 5


def test_flags_erlang_bits_to_kernel_bits_and_back():
    # prim_inet ORs unordered (1), addr_over (2), abort (4), eof (8).
    raw = st.pack_sndrcvinfo(sri(flags=1 | 8))
    (kernel_flags,) = struct.unpack_from("=H", raw, 4)
    assert kernel_flags == st.SCTP_UNORDERED | st.SCTP_EOF
    assert st.sndrcvinfo_term(raw)[3] == [A("unordered"), A("eof")]
    assert st.sndrcvinfo_flags(4) == st.SCTP_ABORT


def test_assoc_id_is_32_bits_into_a_signed_field():
    raw = st.pack_sndrcvinfo(sri(assoc_id=0xFFFFFFFF))
    assert struct.unpack_from("=i", raw, 28)[0] == -1


def test_sndrcvinfo_of_the_wrong_shape():
    with pytest.raises(st.StructError):
        st.pack_sndrcvinfo((A("sctp_sndrcvinfo"), 1))
    with pytest.raises(st.StructError):
        st.pack_sndrcvinfo(sri(stream=A("x")))


# -- notifications ------------------------------------------------------------------

def test_assoc_change():
    data = struct.pack("=HHIHHHHi", st.ASSOC_CHANGE, 0, 20, 0, 0, 10, 5, 7)
    assert st.notification_term(data) == (False, (A("sctp_assoc_change"), A("comm_up"), 0,
                                                   10, 5, 7))
    lost = struct.pack("=HHIHHHHi", st.ASSOC_CHANGE, 0, 20, 1, 12, 0, 0, 7)
    assert st.notification_term(lost)[1][1:3] == (A("comm_lost"), 12)


def test_paddr_change():
    data = struct.pack("=HHI128siii", st.PEER_ADDR_CHANGE, 0, 148,
                       sockaddr_in("127.0.0.2", 99), 5, 0, 3)
    assert st.notification_term(data) == (False, (A("sctp_paddr_change"),
                                                  ((127, 0, 0, 2), 99),
                                                  A("addr_confirmed"), 0, 3))


def test_remote_error_is_an_error_with_its_cause_codes():
    # An ERROR chunk (type, flags, length) with two causes: 1 (stream) and 12 (abort).
    causes = struct.pack("!HH4s", 1, 8, b"\0\0\0\0") + struct.pack("!HH", 12, 4)
    chunk = struct.pack("!BBH", 9, 0, 4 + len(causes)) + causes
    data = struct.pack("=HHIH2xi", st.REMOTE_ERROR, 0, 16 + len(chunk), socket.htons(1), 4)
    assert st.notification_term(data + chunk) == (True, (A("sctp_remote_error"), 1, 4, [1, 12]))


def test_send_failed_carries_the_info_and_the_data():
    info = st.pack_sndrcvinfo(sri(stream=2, ppid=7, assoc_id=3))
    body = b"payload"
    data = struct.pack("=HHII32si", st.SEND_FAILED, 0, 48 + len(body), 0x13, info, 3) + body
    is_error, term = st.notification_term(data)
    assert is_error
    assert term[0] == A("sctp_send_failed") and term[1] is False and term[2] == 0x13
    assert term[3][1] == 2 and term[3][4] == 7
    assert term[4] == 3 and term[5] == body
    sent = struct.pack("=HHII32si", st.SEND_FAILED, 1, 48, 0, info, 3)
    assert st.notification_term(sent)[1][1] is True


def test_other_events():
    assert st.notification_term(struct.pack("=HHIi", st.SHUTDOWN_EVENT, 0, 12, 9)) == \
        (False, (A("sctp_shutdown_event"), 9))
    adapt = struct.pack("=HHIIi", st.ADAPTATION_INDICATION, 0, 16, socket.htonl(42), 9)
    assert st.notification_term(adapt) == (False, (A("sctp_adaptation_event"), 42, 9))
    pdapi = struct.pack("=HHIIi", st.PARTIAL_DELIVERY_EVENT, 0, 24, 0, 9) + bytes(8)
    assert st.notification_term(pdapi) == (True, (A("sctp_pdapi_event"),
                                                  A("partial_delivery_aborted"), 9))


def test_events_the_driver_has_no_clause_for_build_nothing():
    # SCTP_SENDER_DRY_EVENT, and what a partial delivery aborted becomes when
    # read onto the unfinished message: its bytes taken for a header.
    assert st.notification_term(struct.pack("=HHIi", 0x8009, 0, 12, 1)) == (False, None)
    assert st.notification_term(b"pppp" + bytes(20)) == (False, None)


# -- option structures ---------------------------------------------------------------

def test_paddrinfo_and_status():
    info = struct.pack("=i128siIIII", 4, sockaddr_in("127.0.0.1", 80), 2, 4380, 10, 200, 65535)
    assert st.paddrinfo_term(info) == (A("sctp_paddrinfo"), 4, ((127, 0, 0, 1), 80),
                                       A("active"), 4380, 10, 200, 65535)
    status = struct.pack("=iiIHHHHI", 4, 4, 1000, 0, 0, 10, 5, 1400) + info
    term = st.status_term(status)
    assert term[:9] == (A("sctp_status"), 4, A("established"), 1000, 0, 0, 10, 5, 1400)
    assert term[9][3] == A("active")
    odd = struct.pack("=i128siIIII", 4, sockaddr_in("127.0.0.1", 80), 1, 0, 0, 0, 0)
    assert st.paddrinfo_term(odd)[3] == A("undefined")  # SCTP_PF: the driver has no name


def test_paddr_flags():
    assert st.paddr_flag_bits(1 | 8) == 1 | 8
    for both in (1 | 2, 8 | 16, 32 | 64):
        with pytest.raises(st.StructError):
            st.paddr_flag_bits(both)
    assert st.paddr_flags_term(1 | 4 | 64) == [A("hb_enable"), A("hb_demand"),
                                              A("sackdelay_disable")]


def test_struct_sizes_are_the_uapi_ones():
    sizes = {st.SNDRCVINFO: 32, st.INITMSG_S: 8, st.RTOINFO_S: 16, st.ASSOCPARAMS_S: 20,
             st.PRIM_S: 132, st.PADDRPARAMS_S: 156, st.ASSOC_VALUE_S: 8, st.PADDRINFO_S: 152,
             st.STATUS_S: 176}
    for s, size in sizes.items():
        assert s.size == size, s.format


# -- local options (sctp_set_opts without a socket) ---------------------------------------

class NoSocket:
    """Fails any kernel option: only local options may reach it."""

    family = socket.AF_INET

    def setsockopt(self, *args):
        raise AssertionError("no setsockopt expected")

    getsockopt = setsockopt


def test_a_new_port_is_passive_in_list_mode():
    # With the default buffer of the release that runs (conftest follows it).
    o = sopt.SctpOptions()
    assert o.active.mode == PASSIVE and not o.binary
    assert o.buffer == Release.from_environment().inet_default_buffer


def test_local_options():
    o = sopt.SctpOptions()
    assert sopt.apply(NoSocket(), o, (A("mode"), A("binary"))) is False
    assert o.binary
    sopt.apply(NoSocket(), o, (A("buffer"), 0))
    assert o.buffer == 1  # INET_MIN_BUFFER
    sopt.apply(NoSocket(), o, (A("active"), A("once")))
    assert o.active.mode == ONCE
    assert sopt.apply(NoSocket(), o, (A("active"), 0)) is True  # a passive message is due
    sopt.apply(NoSocket(), o, (A("debug"), True))
    assert o.debug


@pytest.mark.parametrize("item", [(A("packet"), 2), (A("nodelay"), True),
                                  (A("high_msgq_watermark"), 10), (A("header"), 1),
                                  (A("mode"), A("x")), (A("active"), 40000), "bad"])
def test_options_the_driver_refuses_for_sctp(item):
    with pytest.raises(RequestError) as info:
        sopt.apply(NoSocket(), sopt.SctpOptions(), item)
    assert info.value.reason == A("einval")


# -- no SCTP in the kernel -----------------------------------------------------------------

def test_transports_name_sctp_when_a_backend_serves_it():
    from bridge.sctp import backends
    info = transports()
    userland = backends.userland_available()
    assert (A("sctp") in info[A("transports")]) == (kernel_sctp() or userland)
    assert info[A("sctp")] == (A("kernel") if kernel_sctp()
                               else A("userland") if userland else A("unavailable"))
    assert info[A("sctp_backends")] == ([A("kernel")] if kernel_sctp() else []) + \
        ([A("userland")] if userland else [])


@pytest.mark.skipif(kernel_sctp(), reason="this kernel has SCTP")
def test_open_without_kernel_sctp_is_what_otp_returns():
    # gen_sctp:open() on a kernel without SCTP: {error, esocktnosupport}
    # (seqpacket), {error, eprotonosupport} (stream).
    b = BridgeProcess()
    kernel = [(A("sctp_backend"), A("kernel"))]
    try:
        assert b.call((A("sctp_open"), A("inet"), A("seqpacket"), kernel)) == \
            (error, A("esocktnosupport"))
        assert b.call((A("sctp_open"), A("inet"), A("stream"), kernel)) == \
            (error, A("eprotonosupport"))
        assert b.call((A("sctp_open"), A("inet"), A("stream"),
                       [(A("sctp_backend"), A("other"))])) == (error, A("einval"))
        assert b.call((A("sctp_lookup"), 99)) == (error, A("closed"))
        assert b.call((A("inet_getopts"), 99, [])) == (error, A("einval"))
    finally:
        b.close()
