"""Framing: how long is the next packet? A line-by-line port of
`packet_get_length` (erts/emulator/beam/packet_parser.c, OTP 25.2.3).

Every function here has the same signature and the same answer as the C code:

    length(buf, start, end, max_plen, trunc_len, delimiter, http_state) -> int

    > 0  total length of the next packet counted from `start`, header included;
         it may exceed `end - start`, and then says how much must be buffered
    = 0  more data is needed and the length is not known yet
    < 0  invalid packet, or larger than `max_plen` (the driver's emsgsize)

`buf` is bytes or bytearray (indexing gives ints, `find` takes an int); only
`buf[start:end]` is read. `max_plen` is the `packet_size` option, `trunc_len`
the `line_length` option of decode_packet or the receive buffer size in the
driver; 0 means no limit for both. The C code computes in 32-bit unsigned and
int arithmetic, and its overflow rules are kept: a length field that would make
the total exceed INT_MAX is an error, not a huge packet.
"""

from __future__ import annotations

import struct

__all__ = [
    "INT_MAX", "UINT_MAX", "remain",
    "length_raw", "length_1", "length_2", "length_4", "length_sunrm",
    "length_line", "length_asn1", "length_cdr", "length_fcgi", "length_tpkt",
    "length_http", "length_httph", "length_ssl_tls",
]

INT_MAX = 0x7FFFFFFF
UINT_MAX = 0xFFFFFFFF

_unpack_u16 = struct.Struct(">H").unpack_from
_unpack_u32 = struct.Struct(">I").unpack_from
_unpack_u32_le = struct.Struct("<I").unpack_from

_LF = 0x0A
_CR = 0x0D
_SP = 0x20
_HT = 0x09


def remain(hlen: int, plen: int, max_plen: int) -> int:
    """The `remain:` label: a header of `hlen` bytes announced a body of `plen`
    (an unsigned 32-bit value). packet_size limits the body, not the total; C
    adds the two as unsigned and rejects a sum that, read back as an int, is
    below `hlen`, which is every sum above INT_MAX."""
    if max_plen and plen > max_plen:
        return -1
    tlen = hlen + plen
    return tlen if tlen <= INT_MAX else -1


def length_raw(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # Whatever is buffered is a packet; nothing buffered means "need more".
    return end - start


def length_1(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    if end <= start:
        return 0
    plen = buf[start]
    if max_plen and plen > max_plen:
        return -1
    return plen + 1


def length_2(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    if end - start < 2:
        return 0
    plen = _unpack_u16(buf, start)[0]
    if max_plen and plen > max_plen:
        return -1
    return plen + 2


def length_4(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    if end - start < 4:
        return 0
    plen = _unpack_u32(buf, start)[0]
    if max_plen and plen > max_plen:
        return -1
    tlen = plen + 4
    return tlen if tlen <= INT_MAX else -1


def length_sunrm(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # Sun RPC record marking: the top bit flags the last fragment, the rest is
    # the length. Every fragment is a packet of its own.
    if end - start < 4:
        return 0
    return remain(4, _unpack_u32(buf, start)[0] & 0x7FFFFFFF, max_plen)


def length_line(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    n = end - start
    found = buf.find(delimiter, start, end)
    if found < 0:
        if max_plen and n > max_plen:
            return -1
        if trunc_len and n >= trunc_len:
            return trunc_len
        return 0
    length = found - start + 1
    if max_plen and length > max_plen:
        return -1
    if trunc_len and length > trunc_len:
        return trunc_len
    return length


def length_asn1(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # BER tag and length. `remaining` counts the bytes from `pos` to `end`,
    # as `nn` does in C, so no byte past `end` is ever read.
    if end - start < 2:
        return 0
    remaining = end - start - 1
    pos = start + 1
    if buf[start] & 0x1F == 0x1F:
        # High tag number: continuation bytes have their top bit set.
        while remaining and buf[pos] & 0x80:
            pos += 1
            remaining -= 1
        if remaining < 2:
            return 0
        pos += 1
        remaining -= 1
    first = buf[pos]
    size_bytes = first & 0x7F
    if first & 0x80:
        pos += 1
        remaining -= 1
        # C tests for missing bytes before rejecting a length of length > 4,
        # so 0x85 with too few bytes after it asks for more instead of failing.
        if remaining < size_bytes:
            return 0
        if size_bytes > 4:
            return -1
        # 0x80, the indefinite form, counts as a body of length 0.
        plen = int.from_bytes(buf[pos:pos + size_bytes], "big")
        pos += size_bytes
    else:
        pos += 1
        plen = size_bytes
    return remain(pos - start, plen, max_plen)


def length_cdr(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # GIOP header: "GIOP", major, minor, flags, message type, 4-byte size in the
    # byte order that bit 0 of flags names.
    if end - start < 12:
        return 0
    if buf[start:start + 4] != b"GIOP":
        return -1
    if buf[start + 6] & 0x01:
        plen = _unpack_u32_le(buf, start + 8)[0]
    else:
        plen = _unpack_u32(buf, start + 8)[0]
    return remain(12, plen, max_plen)


def length_fcgi(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # FastCGI record: version 1 only; content and padding both count.
    if end - start < 8:
        return 0
    if buf[start] != 1:
        return -1
    plen = _unpack_u16(buf, start + 4)[0] + buf[start + 6]
    return remain(8, plen, max_plen)


def length_tpkt(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # RFC 1006: version 3, reserved byte, 16-bit length including the header.
    # A length below 4 wraps around in unsigned arithmetic and is rejected.
    if end - start < 4:
        return 0
    if buf[start] != 3:
        return -1
    plen = (_unpack_u16(buf, start + 2)[0] - 4) & UINT_MAX
    return remain(4, plen, max_plen)


def length_ssl_tls(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    if end - start < 5:
        return 0
    if buf[start] & 0x80 and buf[start + 2] == 1:
        # SSLv2 client hello: <<1:1, Len:15, 1:8, Version:16>>, Len counts from
        # the message type byte.
        plen = ((_unpack_u16(buf, start)[0] & 0x7FFF) - 3) & UINT_MAX
    else:
        # <<ContentType:8, Version:16, Length:16>>
        plen = _unpack_u16(buf, start + 3)[0]
    return remain(5, plen, max_plen)


def length_http(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    """One http line; in header state (`http_state` 1) also the continuation
    lines that follow it, which start with a space or tab."""
    n = end - start
    if (n == 1 and buf[start] == _LF) or (n == 2 and buf[start] == _CR and buf[start + 1] == _LF):
        return n
    if not max_plen:
        # Old decode_packet users limit http lines with line_length.
        max_plen = trunc_len
    search_from = start
    while True:
        newline = buf.find(_LF, search_from, end)
        if newline < 0:
            # Note >=, not >: a buffer of exactly packet_size bytes without a
            # newline is already too long.
            if max_plen and n >= max_plen:
                return -1
            return 0
        plen = newline - start + 1
        if http_state == 0:
            if max_plen and plen > max_plen:
                return -1
            return plen
        if plen < n:
            if buf[newline + 1] in (_SP, _HT) and plen > 2:
                search_from = newline + 1
                continue
            if max_plen and plen > max_plen:
                return -1
            return plen
        # The header ends the buffer: the next byte may start a continuation
        # line, so a lone complete header line still needs more data.
        if max_plen and plen > max_plen:
            return -1
        return 0


def length_httph(buf, start, end, max_plen, trunc_len, delimiter, http_state):
    # httph and httph_bin set the state to "headers" before framing. C stores
    # it through statep; here the caller must (PacketReader does).
    return length_http(buf, start, end, max_plen, trunc_len, delimiter, 1)
