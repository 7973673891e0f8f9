"""erlang:decode_packet/3 (decode_packet_3 in erl_bif_port.c, OTP 25.2.3).

    decode_packet(Type, Bin, Options) ->
        {ok, Packet, Rest} | {more, Length | undefined} | {error, invalid}

Options are a list of 2-tuples: {packet_size, N} (limits the body, and http
lines), {line_length, N} (truncates lines; limits http lines when packet_size
is 0) and {line_delimiter, Byte} (line only). Where OTP raises badarg, this
raises ValueError. Unlike a socket, decode_packet has no http state to carry:
http starts at the request/response line, httph at a header.
"""

from __future__ import annotations

from ..etf.terms import String, atom
from .http import parse_http
from .length import UINT_MAX
from .table import DECODE_PACKET_SPELLINGS, PACKET_TYPES, parse_ssl_tls

__all__ = ["decode_packet"]

_OK = atom("ok")
_MORE = atom("more")
_ERROR = atom("error")
_INVALID = atom("invalid")
_UNDEFINED = atom("undefined")


def _badarg(what: str) -> ValueError:
    return ValueError(f"decode_packet: badarg: {what}")


def _is_uint(value) -> bool:
    return type(value) is int and 0 <= value <= UINT_MAX


def _options(options, is_line: bool) -> tuple[int, int, int]:
    # C walks the list and stops at the first bad element, but every outcome
    # is badarg, so the order does not matter here.
    if not isinstance(options, list):
        raise _badarg("options is not a list")
    max_plen, trunc_len, delimiter = 0, 0, 10
    for option in options:
        if not (type(option) is tuple and len(option) == 2 and _is_uint(option[1])
                and isinstance(option[0], str)):
            raise _badarg(f"bad option {option!r}")
        name, value = option
        if name == "packet_size":
            max_plen = value
        elif name == "line_length":
            trunc_len = value
        elif name == "line_delimiter" and is_line and value <= 255:
            delimiter = value
        else:
            raise _badarg(f"bad option {option!r}")
    return max_plen, trunc_len, delimiter


def decode_packet(ptype, data, options=None):
    """Mirror of erlang:decode_packet/3. `ptype` is spelled as in Erlang
    (raw, 0, 1, 2, 4, asn1, ..., ssl_tls), `data` is bytes-like, `options` a
    list of (name, value) tuples. Binaries in the result are bytes."""
    if options is None:
        options = []
    row = None
    if (isinstance(ptype, (int, str)) and not isinstance(ptype, bool)
            and ptype in DECODE_PACKET_SPELLINGS):
        row = PACKET_TYPES[ptype]
    if row is None:
        raise _badarg(f"bad packet type {ptype!r}")
    # A String is a charlist in Erlang, not a binary.
    if not isinstance(data, (bytes, bytearray, memoryview)) or isinstance(data, String):
        raise _badarg("not a binary")
    max_plen, trunc_len, delimiter = _options(options, row.name == "line")
    buf = bytes(data)
    http_state = 1 if row.headers_only else 0
    size = row.length(buf, 0, len(buf), max_plen, trunc_len, delimiter, http_state)
    if size < 0:
        return (_ERROR, _INVALID)
    if size == 0:
        return (_MORE, _UNDEFINED)
    if size > len(buf):
        return (_MORE, size)
    if row.http:
        packet = parse_http(buf[:size], http_state, row.as_binary)[0]
    elif row.ssl_tls:
        packet = parse_ssl_tls(buf[:size])
    else:
        packet = buf[row.header_size:size - row.trailer_size(buf, 0)]
    return (_OK, packet, buf[size:])
