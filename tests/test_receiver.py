"""ReceiveBuffer: how much inet_drv reads next, and where its packets end."""

from __future__ import annotations

import pytest

from bridge import packet as packets
from bridge.tcp.receiver import PacketError, ReceiveBuffer


def rb(ptype=0, packet_size=0, bufsz=1460, delimiter=10):
    return ReceiveBuffer(packets.packet_type(ptype), packet_size, bufsz, delimiter)


def test_raw_reads_a_buffer_at_a_time_and_delivers_what_came():
    r = rb()
    assert r.plan(0) == 1460
    assert r.feed(b"abc") is True
    assert r.take() == b"abc"
    assert r.buffered == 0


def test_raw_with_length_reads_exactly_what_is_missing():
    r = rb()
    assert r.plan(10) == 10
    assert r.feed(b"0123") is False
    assert r.plan(10) == 6
    assert r.feed(b"456789") is True
    assert r.take() == b"0123456789"


def test_length_satisfied_from_the_buffer_without_reading():
    r = rb()
    r.plan(0)
    r.feed(b"0123456789")
    r.take()
    r.push_front(b"abcdef")
    assert r.plan(4) == 0
    assert r.take() == b"abcd"
    assert r.plan(2) == 0
    assert r.take() == b"ef"


@pytest.mark.parametrize("step", [1, 2, 3, 100])
def test_packet_2_in_any_split(step):
    data = b"\x00\x03abc\x00\x00\x00\x05hello"
    r = rb(2)
    got = []
    pos = 0
    while pos < len(data):
        nread = r.plan(0)
        chunk = data[pos:pos + min(step, nread)]
        pos += len(chunk)
        if r.feed(chunk):
            got.append(r.take())
            while r.ready():
                got.append(r.take())
    assert got == [b"\x00\x03abc", b"\x00\x00", b"\x00\x05hello"]


def test_packet_larger_than_packet_size_is_an_error():
    r = rb(2, packet_size=4)
    r.plan(0)
    with pytest.raises(PacketError):
        r.feed(b"\x00\x05hello")


def test_known_length_reads_exactly_the_rest_of_the_packet():
    r = rb(4)
    r.plan(0)
    assert r.feed(b"\x00\x00\x10\x00ab") is False  # 4096-byte body announced
    assert r.plan(0) == 4096 - 2
    assert r.size >= 4100  # the virtual buffer grew to hold it


def test_line_longer_than_the_buffer_comes_in_buffer_sized_pieces():
    r = rb("line", bufsz=8)
    assert r.plan(0) == 8
    assert r.feed(b"0123456789\n") is True
    assert r.take() == b"01234567"
    assert r.ready() is True
    assert r.take() == b"89\n"


def test_httph_reads_header_lines():
    r = rb("httph_bin")
    r.plan(0)
    assert r.feed(b"Host: x\r\n\r\n") is True
    assert r.http_state == 1


# {read_ahead, false} (OTP 27): a packet of unknown length is read a header at a
# time, so what follows the packet stays in the kernel.

def no_read_ahead(ptype, **kw):
    r = rb(ptype, **kw)
    r.configure(r.ptype, r.packet_size, r.bufsz, r.delimiter, read_ahead=False)
    return r


@pytest.mark.parametrize("ptype, header", [(1, 1), (2, 2), (4, 4), ("asn1", 2),
                                           ("sunrm", 4), ("cdr", 12), ("fcgi", 8),
                                           ("tpkt", 4), ("ssl_tls", 5)])
def test_without_read_ahead_the_header_is_read_first(ptype, header):
    assert no_read_ahead(ptype).plan(0) == header


def test_without_read_ahead_the_body_is_read_exactly():
    r = no_read_ahead(4)
    assert r.plan(0) == 4
    assert r.feed(b"\x00\x00") is False
    assert r.plan(0) == 2  # the rest of the header
    assert r.feed(b"\x00\x03") is False
    assert r.plan(0) == 3
    assert r.feed(b"abc") is True
    assert r.take() == b"\x00\x00\x00\x03abc"
    assert r.buffered == 0


def test_without_read_ahead_lines_and_raw_data():
    line = no_read_ahead("line")
    assert line.plan(0) == 1
    assert line.feed(b"a") is False
    assert line.plan(0) == 1
    assert line.feed(b"\n") is True
    raw = no_read_ahead(0)
    assert raw.plan(0) == 1460  # raw data has no header: it reads ahead anyway
