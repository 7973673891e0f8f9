"""Framing (get_length) and decode_packet for the non-http packet types,
checked against erlang:decode_packet/3 running in OTP."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.etf.terms import atom
from bridge.packet import PACKET_TYPES, decode_packet, get_length, packet_body, packet_type
from packet import corpus
from packet.oracle import BADARG, decode_packet_mismatches, ours
from packet.strategies import framing_case

A = atom
OK, MORE, ERROR = A("ok"), A("more"), A("error")

GROUPS = {
    "raw": corpus.complete_raw,
    "1-2-4": corpus.complete_length_prefixed,
    "sunrm": corpus.complete_sunrm,
    "asn1": corpus.complete_asn1,
    "cdr": corpus.complete_cdr,
    "fcgi": corpus.complete_fcgi,
    "tpkt": corpus.complete_tpkt,
    "ssl_tls": corpus.complete_ssl_tls,
    "line": corpus.complete_line,
}

BOUNDED = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("group", list(GROUPS))
def test_corpus_matches_otp(group):
    # Whole packets, every truncation of them, and each followed by more data.
    failures = decode_packet_mismatches(corpus.expand(GROUPS[group]()))
    assert not failures, "\n".join(failures[:10])


def test_badarg_matches_otp():
    failures = decode_packet_mismatches(corpus.badarg_cases())
    assert not failures, "\n".join(failures)


@given(st.lists(framing_case(), min_size=25, max_size=25))
@BOUNDED
def test_generated_inputs_match_otp(cases):
    failures = decode_packet_mismatches(cases)
    assert not failures, "\n".join(failures[:5])


def _options(options):
    named = dict(options)
    return named.get("packet_size", 0), named.get("line_length", 0), named.get("line_delimiter", 10)


def _agrees(ptype, data, options):
    """decode_packet is get_length plus packet_body; the socket reader uses
    the same two, so they must agree on every input."""
    result = ours(ptype, data, options)
    if result is BADARG:
        return
    packet_size, trunc_len, delimiter = _options(options)
    row = packet_type(ptype)
    state = 1 if row.headers_only else 0
    size = get_length(ptype, data, 0, len(data), packet_size, trunc_len, delimiter, state)
    if size < 0:
        assert result == (ERROR, A("invalid"))
    elif size == 0:
        assert result == (MORE, A("undefined"))
    elif size > len(data):
        assert result == (MORE, size)
    else:
        assert result[0] == OK and result[2] == data[size:]
        if not row.parsed:
            assert result[1] == packet_body(ptype, data, 0, size)
    # Bytes outside buf[start:end] must not matter.
    prefix = b"\n\x03GIOP\x01"
    padded = prefix + data + b"\n\x00\x00\x00\x01GIOP"
    start, end = len(prefix), len(prefix) + len(data)
    for buf in (padded, bytearray(padded)):
        assert get_length(ptype, buf, start, end, packet_size, trunc_len, delimiter,
                          state) == size


def test_get_length_agrees_with_decode_packet_on_corpus():
    for case in corpus.all_framing_cases() + corpus.all_http_cases():
        _agrees(*case)


@given(framing_case())
@settings(max_examples=400, derandomize=True, deadline=None, database=None)
def test_get_length_agrees_with_decode_packet_on_generated_inputs(case):
    _agrees(*case)


# Readable examples; the results are OTP's (the corpus tests check them too).
@pytest.mark.parametrize("ptype, data, options, expected", [
    (4, b"\0\0\0\x05hello!", [], (OK, b"hello", b"!")),
    (4, b"\0\0\0\x05hel", [], (MORE, 9)),
    (4, b"\0\0", [], (MORE, A("undefined"))),
    (4, b"\0\0\0\x06hello!", [(A("packet_size"), 5)], (ERROR, A("invalid"))),
    # 4 + 0x7FFFFFFC does not fit a C int: invalid, not {more, 2147483648}.
    (4, b"\x7f\xff\xff\xfc", [], (ERROR, A("invalid"))),
    (2, b"\0\0rest", [], (OK, b"", b"rest")),
    (A("raw"), b"", [], (MORE, A("undefined"))),
    (A("line"), b"abc\ndef", [], (OK, b"abc\n", b"def")),
    (A("line"), b"abcdef\n", [(A("line_length"), 4)], (OK, b"abcd", b"ef\n")),
    (A("line"), b"abcd", [(A("line_length"), 4)], (OK, b"abcd", b"")),
    (A("line"), b"abcd", [(A("packet_size"), 3)], (ERROR, A("invalid"))),
    (A("line"), b"ab;cd", [(A("line_delimiter"), ord(";"))], (OK, b"ab;", b"cd")),
    # fcgi delivers the header but drops the padding.
    (A("fcgi"), b"\x01\x01\x00\x01\x00\x02\x03\x00abxyzR", [],
     (OK, b"\x01\x01\x00\x01\x00\x02\x03\x00ab", b"R")),
    # tpkt's length includes its header; below 4 it wraps around.
    (A("tpkt"), b"\x03\x00\x00\x05xR", [], (OK, b"\x03\x00\x00\x05x", b"R")),
    (A("tpkt"), b"\x03\x00\x00\x03x", [], (ERROR, A("invalid"))),
    # A BER length of length 5 is invalid, but only once its bytes are there.
    (A("asn1"), b"\x30\x85\x00", [], (MORE, A("undefined"))),
    (A("asn1"), b"\x30\x85\x00\x00\x00\x00\x01", [], (ERROR, A("invalid"))),
    (A("asn1"), b"\x30\x80ab", [], (OK, b"\x30\x80", b"ab")),
    (A("sunrm"), b"\x80\x00\x00\x01xR", [], (OK, b"\x80\x00\x00\x01x", b"R")),
    (A("ssl_tls"), b"\x16\x03\x01\x00\x02abR", [],
     (OK, (A("ssl_tls"), [], 22, (3, 1), b"ab"), b"R")),
])
def test_examples(ptype, data, options, expected):
    assert decode_packet(ptype, data, options) == expected


def test_table_spellings():
    assert packet_type(0) is packet_type("raw") is packet_type(A("raw"))
    assert packet_type("ssl") is packet_type("ssl_tls")
    assert {row.code for row in PACKET_TYPES.values()} == set(range(15))
    for bad in (3, True, "Line", b"line", None):
        with pytest.raises(ValueError):
            packet_type(bad)
