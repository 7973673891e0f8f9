"""The option table against inet_drv's rules (inet_set_opts, inet_fill_opts,
setopt_prio_tos_trick), and the receive buffer's http state for httph. Each
case was first seen to differ in a conformance scenario
(apps/pyinet_conformance/src/pyinet_conformance_tcp_packet.erl)."""

from __future__ import annotations

import socket

import pytest

from bridge import packet as packets
from bridge.errors import RequestError
from bridge.etf.terms import atom
from bridge.inet import options as opt
from bridge.tcp.receiver import ReceiveBuffer

INT_MAX = (1 << 31) - 1


def setopt(sock, opts, name, value):
    return opt.apply(sock, opts, (atom(name), value))


@pytest.fixture
def tcp():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    yield s
    s.close()


@pytest.mark.parametrize("value, seen", [
    (5, 5), (-1, -1), (1 << 31, -(1 << 31)), (1 << 32, 0), ((1 << 40) + 7, 7),
])
def test_integers_are_what_32_bits_leave(value, seen):
    assert opt.driver_int(value) == seen


def test_buffer_of_a_huge_value_wraps_to_the_minimum():
    o = opt.InetOptions()
    setopt(None, o, "buffer", 1 << 40)  # inet:setopts(S, [{buffer, 1 bsl 40}]) -> ok
    assert o.buffer == 1


def test_packet_size_is_kept_unsigned():
    o = opt.InetOptions()
    setopt(None, o, "packet_size", 0xFFFFFFFF)
    assert opt.LOCAL_OPTIONS["packet_size"][1](o) == 0xFFFFFFFF


def test_msgq_watermarks_drag_each_other():
    o = opt.InetOptions()
    get = {n: opt.LOCAL_OPTIONS[n][1] for n in ("high_msgq_watermark", "low_msgq_watermark")}
    setopt(None, o, "high_msgq_watermark", 100)
    assert (get["high_msgq_watermark"](o), get["low_msgq_watermark"](o)) == (100, 100)
    setopt(None, o, "low_msgq_watermark", 200)
    assert (get["high_msgq_watermark"](o), get["low_msgq_watermark"](o)) == (200, 200)
    # A negative int is a huge ErlDrvSizeT, reported as INT_MAX.
    setopt(None, o, "low_msgq_watermark", -3)
    assert (get["high_msgq_watermark"](o), get["low_msgq_watermark"](o)) == (INT_MAX, INT_MAX)


@pytest.mark.parametrize("value", [0, -1])
def test_msgq_watermark_out_of_range(value):
    with pytest.raises(RequestError):
        setopt(None, opt.InetOptions(), "high_msgq_watermark", value)


def test_tos_keeps_the_priority(tcp):
    o = opt.InetOptions()
    setopt(tcp, o, "priority", 5)
    setopt(tcp, o, "tos", 0xB8)  # Linux alone would make the priority 4
    assert opt.get_socket_option(tcp, "priority") == 5
    assert opt.get_socket_option(tcp, "tos") == 0xB8


def test_raw_failure_is_not_propagated(tcp):
    setopt(tcp, opt.InetOptions(), "raw", (socket.IPPROTO_TCP, 9999, b"\x01\x00\x00\x00"))


def test_raw_get_of_zero_bytes(tcp):
    assert opt.get_raw(tcp, socket.IPPROTO_TCP, socket.TCP_NODELAY, 0) == b""


def test_closed_socket_fails_only_propagated_options():
    o = opt.InetOptions()
    setopt(None, o, "nodelay", True)
    setopt(None, o, "raw", (socket.IPPROTO_TCP, socket.TCP_NODELAY, b"\x01\x00\x00\x00"))
    with pytest.raises(RequestError):
        setopt(None, o, "tos", 8)
    assert opt.get_socket_option(None, "nodelay") is None


def test_httph_reads_every_line_as_a_header():
    rb = ReceiveBuffer(packets.PACKET_TYPES["httph"])
    rb.plan()
    assert rb.feed(b"Accept: */*\r\n\r\n")
    term, state = packets.parse_http(rb.take(), rb.http_state, False)
    assert term[0] == "http_header" and state == 1
