"""PacketReader: what a socket receiver sees. Checked against decode_packet
(itself checked against OTP), against itself under every chunking, and
against real gen_tcp sockets over loopback in OTP (inet_drv)."""

import pytest

from bridge.etf.terms import String, atom
from bridge.packet import (NEED_DATA, EMSGSIZE, NeedData, Packet, PacketError, PacketReader,
                           packet_type)
from packet import corpus
from packet.oracle import BADARG, oracle, ours

A = atom
OK, MORE, ERROR = A("ok"), A("more"), A("error")


def _reader_for(ptype, options):
    named = dict(options)
    return PacketReader(ptype, packet_size=named.get("packet_size", 0),
                        trunc_len=named.get("line_length", 0),
                        delimiter=named.get("line_delimiter", 10))


def test_fresh_reader_agrees_with_decode_packet():
    for ptype, data, options in corpus.all_framing_cases() + corpus.all_http_cases():
        if ours(ptype, data, options) is BADARG:
            continue
        reader = _reader_for(ptype, options)
        # The reader sees at most trunc_len bytes of a raw or line packet.
        window = data
        if packet_type(ptype).buffer_bound and reader.trunc_len:
            window = data[:reader.trunc_len]
        expected = ours(ptype, window, options)
        padded = bytearray(b"GIOP\n" + data + b"\n\x00")
        got = reader.next_packet(padded, 5, 5 + len(data))
        if expected[0] == OK:
            assert got == Packet(expected[1], len(window) - len(expected[2])), (ptype, data, options)
        elif expected[0] == ERROR:
            assert got == EMSGSIZE, (ptype, data, options)
        elif expected[1] == A("undefined"):
            assert got is NEED_DATA, (ptype, data, options)
        else:
            assert got == NeedData(expected[1], expected[1] - len(data)), (ptype, data, options)


def receive(reader, chunks):
    """A receiver: append each chunk, take every whole packet, compact the
    buffer now and then. Returns (packets, bytes left over)."""
    buf = bytearray()
    start = 0
    packets = []
    for chunk in chunks:
        buf += chunk
        while True:
            result = reader.next_packet(buf, start, len(buf))
            if isinstance(result, Packet):
                assert result.size > 0
                packets.append(result.data)
                start += result.size
            elif isinstance(result, PacketError):
                packets.append(result)
                return packets, bytes(buf[start:])
            else:
                assert isinstance(result, NeedData)
                if result.length:
                    assert result.missing == result.length - (len(buf) - start) > 0
                break
        if start > 64:
            del buf[:start]
            start = 0
    return packets, bytes(buf[start:])


GIOP_BE = b"GIOP\x01\x02\x00\x00\x00\x00\x00\x03abc"
GIOP_LE = b"GIOP\x01\x02\x01\x00\x02\x00\x00\x00hi"
STREAMS = {
    1: [b"\x03abc", b"\x00", b"\x05hello", b"\xff" + b"x" * 255],
    2: [b"\x00\x03abc", b"\x00\x00", b"\x01\x00" + b"y" * 256],
    4: [b"\x00\x00\x00\x03abc", b"\x00\x00\x00\x00", b"\x00\x00\x01\x00" + b"z" * 256],
    "asn1": [b"\x30\x03abc", b"\x04\x81\x02hi", b"\x1f\x81\x01\x01z", b"\x30\x80",
             b"\x04\x82\x01\x00" + b"q" * 256],
    "cdr": [GIOP_BE, GIOP_LE],
    "sunrm": [b"\x00\x00\x00\x02ab", b"\x80\x00\x00\x01c"],
    "fcgi": [b"\x01\x01\x00\x01\x00\x02\x03\x00abxyz", b"\x01\x05\x00\x01\x00\x00\x00\x00"],
    "tpkt": [b"\x03\x00\x00\x07abc", b"\x03\x00\x00\x04"],
    "ssl_tls": [b"\x16\x03\x01\x00\x02ab", b"\x80\x03\x01\x03\x00", b"\x17\x03\x03\x00\x00"],
    "line": [b"abc\n", b"\n", b"xyz\n", b"q" * 40 + b"\n"],
    "http": [b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"X: a\r\n b\r\n", b"bad\r\n", b"\r\n",
             b"HTTP/1.0 200 OK\n", b"Content-Length: 0\n", b"\n", b"junk\r\n"],
    "http_bin": [b"POST http://h:1/p HTTP/1.0\r\n", b"Accept: */*\r\n", b"\r\n"],
    "httph": [b"Host: x\r\n", b"X: a\r\n\tb\r\n", b"\r\n", b"GET / HTTP/1.1\r\n", b"\r\n"],
    "httph_bin": [b"Host: x\r\n", b"\r\n"],
}
SETTINGS = [(0, 0), (0, 16), (300, 0), (5, 0)]  # (packet_size, trunc_len)


@pytest.mark.parametrize("ptype", list(STREAMS))
@pytest.mark.parametrize("packet_size, trunc_len", SETTINGS)
def test_stream_whole_bytewise_and_with_trailing_data(ptype, packet_size, trunc_len):
    stream = b"".join(STREAMS[ptype])

    def read(chunks):
        return receive(PacketReader(ptype, packet_size, trunc_len), chunks)

    whole, left = read([stream])
    failed = bool(whole) and isinstance(whole[-1], PacketError)
    for size in (1, 7):
        packets, rest = read([stream[i:i + size] for i in range(0, len(stream), size)])
        assert packets == whole
        # After an error what is left depends on when it was noticed.
        assert failed or rest == left
    if not failed:
        assert left == b""
        first = STREAMS[ptype][0]
        partial = first[:max(len(first) // 2, 1)]
        assert read([stream + partial]) == (whole, partial)
    if (packet_size, trunc_len) == (0, 0):
        # Each packet on its own is what decode_packet makes of it; for http
        # that holds with the type the reader switched to.
        reader = PacketReader(ptype)
        for packet, data in zip(STREAMS[ptype], whole):
            kind = reader.effective_type.name
            result = reader.next_packet(packet + b"\r\n")
            assert result.data == data == ours(kind, packet + b"\r\n", [])[1]


def test_raw_takes_what_is_buffered_up_to_trunc_len():
    assert PacketReader("raw").next_packet(b"") is NEED_DATA
    assert PacketReader(0).next_packet(b"abc", 1) == Packet(b"bc", 2)
    assert PacketReader("raw", trunc_len=4).next_packet(b"abcdefg") == Packet(b"abcd", 4)
    assert PacketReader("raw", trunc_len=4).next_packet(bytearray(b"abcdefg"), 5) == Packet(b"fg", 2)


def test_need_data_says_how_much_is_missing():
    reader = PacketReader(4)
    assert reader.next_packet(b"\x00\x00") is NEED_DATA
    assert reader.next_packet(b"\x00\x00\x00\x05ab") == NeedData(9, 3)
    assert reader.next_packet(b"\x00\x00\x00\x05abcde") == Packet(b"abcde", 9)
    reader.packet_size = 4
    assert reader.next_packet(b"\x00\x00\x00\x05ab") == EMSGSIZE
    assert EMSGSIZE.reason == A("emsgsize")


def test_http_switches_to_headers_and_back():
    reader = PacketReader("http")
    assert reader.effective_type is packet_type("http") and reader.http_state == 0
    data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n"
    request = reader.next_packet(data)
    assert request.data[0] == A("http_request")
    assert reader.http_state == 1 and reader.effective_type is packet_type("httph")
    assert reader.ptype is packet_type("http")  # what getopts still reports
    header = reader.next_packet(data, request.size)
    assert header.data == (A("http_header"), 14, A("Host"), String(b"Host"), String(b"x"))
    eoh = reader.next_packet(data, request.size + header.size)
    assert eoh.data == A("http_eoh") and reader.http_state == 0
    again = reader.next_packet(data, request.size + header.size + eoh.size)
    assert again.data[0] == A("http_request") and reader.http_state == 1

    binary = PacketReader("http_bin")
    binary.next_packet(b"HTTP/1.1 200 OK\r\n")
    assert binary.effective_type is packet_type("httph_bin")


def test_http_state_survives_a_change_of_packet_type():
    # As in inet_drv, setopts does not reset the http state: a socket that
    # read a request line with http, a line with {packet, line}, and is set
    # back to http still expects headers.
    reader = PacketReader("http")
    reader.next_packet(b"GET / HTTP/1.1\r\n")
    reader.ptype = "line"
    assert reader.next_packet(b"Host: x\r\n") == Packet(b"Host: x\r\n", 9)
    reader.ptype = "http"
    assert reader.next_packet(b"Accept: */*\r\nX")[0][0] == A("http_header")
    # httph forces header state, and it stays after switching back to http.
    reader = PacketReader("httph")
    reader.next_packet(b"Host: x\r\nY")
    reader.ptype = "http"
    assert reader.next_packet(b"Host: x\r\nY")[0][0] == A("http_header")


# ---- the same scenarios through inet_drv ----

RECV = A("recv")


def _socket_options(**options):
    return [A("binary")] + [(A(k), A(v) if isinstance(v, str) else v) for k, v in options.items()]


def _setopts(**options):
    return (A("setopts"), _socket_options(**options)[1:])


def simulate(socket_options, data, steps):
    """What PacketReader makes of a socket that received `data` and then saw
    the peer close, in the form gen_tcp:recv returns."""
    named = dict(socket_options[1:])
    reader = PacketReader(named.get("packet", "raw"), named.get("packet_size", 0),
                          named.get("buffer", 0), named.get("line_delimiter", 10))
    start = 0
    results = []
    for step in steps:
        if step == RECV:
            result = reader.next_packet(data, start, len(data))
            if isinstance(result, Packet):
                if reader.ptype.ssl_tls:
                    # The driver puts the socket where decode_packet has [].
                    result = result._replace(data=result.data[:1] + (A("socket"),) + result.data[2:])
                results.append((OK, result.data))
                start += result.size
            elif isinstance(result, PacketError):
                return results + [(ERROR, result.reason)]
            else:
                return results + [(ERROR, A("closed"))]
        else:
            for name, value in step[1]:
                if name == "packet":
                    reader.ptype = value
                elif name == "packet_size":
                    reader.packet_size = value
    return results


HTTP_REQUESTS = (b"GET /a HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n b\r\n\r\n"
                 b"POST http://h:8/p HTTP/1.0\r\ncontent-length: 3\r\n\r\n")
DRIVER_CASES = [
    (_socket_options(packet="http", buffer=1460), HTTP_REQUESTS, [RECV] * 9),
    (_socket_options(packet="http_bin", buffer=1460), HTTP_REQUESTS, [RECV] * 9),
    (_socket_options(packet="http", buffer=1460),
     b"HTTP/1.1 200 OK\r\nServer: y\r\n\r\nHTTP/1.1 404\r\n\r\n", [RECV] * 6),
    # An http_error is consumed like any line and changes no state.
    (_socket_options(packet="http", buffer=1460),
     b"BAD\r\nGET / HTTP/1.1\r\nbad header\r\nHost: x\r\n\r\n", [RECV] * 6),
    # httph reads every line as a header, a request line included.
    (_socket_options(packet="httph", buffer=1460),
     b"Host: x\r\n\r\nGET / HTTP/1.1\r\n\r\n", [RECV] * 5),
    # A lone header line at the end stays buffered: it might be continued.
    (_socket_options(packet="httph", buffer=1460), b"Host: x\r\n", [RECV]),
    # Body as a line, then http again: the state after http_eoh is 0.
    (_socket_options(packet="http", buffer=1460),
     b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody\nGET /2 HTTP/1.1\r\nHost: y\r\n\r\n",
     [RECV, RECV, RECV, _setopts(packet="line"), RECV, _setopts(packet="http"), RECV, RECV,
      RECV, RECV]),
    # Switching mid-headers keeps the header state.
    (_socket_options(packet="http", buffer=1460),
     b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
     [RECV, _setopts(packet="line"), RECV, _setopts(packet="http"), RECV, RECV, RECV]),
    (_socket_options(packet="httph", buffer=1460), b"Host: x\r\nAccept: */*\r\n\r\n",
     [RECV, _setopts(packet="http"), RECV, RECV, RECV]),
    # With packet_size 0 the buffer size limits http lines; a larger
    # packet_size grows the buffer.
    (_socket_options(packet="http", buffer=32), b"GET /" + b"x" * 40 + b" HTTP/1.1\r\n\r\n", [RECV]),
    (_socket_options(packet="http", buffer=32, packet_size=100),
     b"GET /" + b"x" * 40 + b" HTTP/1.1\r\nHost: x\r\n\r\n", [RECV] * 4),
    (_socket_options(packet="http", buffer=1460, packet_size=20),
     b"GET / HTTP/1.1\r\nHost: " + b"h" * 20 + b"\r\n\r\n", [RECV] * 3),
    # Lines longer than the buffer come in buffer-sized pieces, even when the
    # whole line would exceed packet_size.
    (_socket_options(packet="line", buffer=16),
     b"0123456789\n0123456789abcdefghij\n" + b"x" * 40 + b"\nend", [RECV] * 8),
    (_socket_options(packet="line", buffer=16, packet_size=20),
     b"0123456789abcdefghijklmn\n0123456789abcdefg\n", [RECV] * 5),
    (_socket_options(packet="line", buffer=16, packet_size=14), b"0123456789abcdefg\n", [RECV]),
    (_socket_options(packet="line", buffer=1460, line_delimiter=ord(";")), b"ab;cd;\n;e", [RECV] * 5),
    (_socket_options(packet=1, buffer=1460), b"".join(STREAMS[1]), [RECV] * 5),
    (_socket_options(packet=2, buffer=16), b"".join(STREAMS[2]), [RECV] * 4),
    (_socket_options(packet=4, buffer=1460, packet_size=255), b"".join(STREAMS[4]), [RECV] * 4),
    (_socket_options(packet=4, buffer=1460), b"\x00\x00\x00\x05ab", [RECV]),
]
DRIVER_CASES += [(_socket_options(packet=ptype, buffer=1460), b"".join(STREAMS[ptype]),
                  [RECV] * (len(STREAMS[ptype]) + 1))
                 for ptype in ("asn1", "cdr", "sunrm", "fcgi", "tpkt", "ssl_tls")]
DRIVER_CASES += [(_socket_options(packet=ptype, buffer=1460), data, [RECV, RECV])
                 for ptype, data in (("cdr", b"GIOQ" + bytes(8)), ("fcgi", bytes(8)),
                                     ("tpkt", b"\x03\x00\x00\x02"), ("asn1", b"\x30\x86" + bytes(6)))]


def test_reader_matches_gen_tcp_recv():
    cases = [(options, data, steps, simulate(options, data, steps))
             for options, data, steps in DRIVER_CASES]
    failures = [f"{cases[index][:2]}\n    gen_tcp: {got}\n    reader:  {cases[index][3]}"
                for index, got in oracle().driver_mismatches(cases)]
    assert not failures, "\n".join(failures)
