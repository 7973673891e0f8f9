"""http, httph, http_bin and httph_bin: line framing and parsing, checked
against erlang:decode_packet/3 running in OTP."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.etf.terms import String, atom
from bridge.packet import HTTP_HEADERS, HTTP_METHODS, decode_packet, next_http_state, parse_http
from packet import corpus
from packet.oracle import decode_packet_mismatches
from packet.strategies import http_case

A = atom
OK, MORE = A("ok"), A("more")
S = String


def _check(cases):
    failures = decode_packet_mismatches(cases)
    assert not failures, "\n".join(failures[:10])


def _of_kind(cases, kinds):
    return [c for c in cases if c[0] in kinds]


def test_request_and_status_lines_match_otp():
    _check(corpus.expand(_of_kind(corpus.complete_http(), {"http", "http_bin"})))


def test_header_lines_match_otp():
    _check(corpus.expand(_of_kind(corpus.complete_http(), {"httph", "httph_bin"})))


def test_line_limits_match_otp():
    _check(corpus.http_limit_cases())


def test_every_method_and_header_in_otps_tables():
    # The tables must be exactly OTP's: each entry comes back as an atom with
    # its bit, and a name one letter off does not.
    cases = []
    for method in HTTP_METHODS:
        for variant in (method, method.lower(), method + b"X", method[:-1]):
            cases.append((A("http"), variant + b" / HTTP/1.1\r\n", []))
    for name in HTTP_HEADERS:
        for variant in (name, name.lower(), name.upper(), name + b"s", name[1:]):
            cases.append((A("httph"), variant + b": v\r\n\r\n", []))
            cases.append((A("httph_bin"), variant + b": v\r\n\r\n", []))
    _check(cases)


@given(st.lists(http_case(), min_size=25, max_size=25))
@settings(max_examples=80, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_generated_lines_match_otp(cases):
    _check(cases)


@given(st.lists(st.binary(min_size=1, max_size=12).map(
    lambda b: bytes(b"aZk-_1\x7f"[c % 7] for c in b)), min_size=40, max_size=40))
@settings(max_examples=25, derandomize=True, deadline=None, database=None)
def test_field_name_case_rule_matches_otp(names):
    _check([(A("httph_bin"), name + b": v\r\n\r\n", []) for name in names])


# Readable examples; the results are OTP's (the corpus tests check them too).
@pytest.mark.parametrize("ptype, data, expected", [
    (A("http"), b"GET /a?b HTTP/1.1\r\nHost: x\r\n",
     (OK, (A("http_request"), A("GET"), (A("abs_path"), S(b"/a?b")), (1, 1)), b"Host: x\r\n")),
    (A("http_bin"), b"PATCH * HTTP/1.0\r\n",
     (OK, (A("http_request"), b"PATCH", A("*"), (1, 0)), b"")),
    (A("http"), b"GET http://h:8080 HTTP/1.1\r\n",
     (OK, (A("http_request"), A("GET"),
           (A("absoluteURI"), A("http"), S(b"h"), 8080, S(b"/")), (1, 1)), b"")),
    (A("http"), b"GET https://h:x/p HTTP/1.1\r\n",
     (OK, (A("http_request"), A("GET"),
           (A("absoluteURI"), A("https"), S(b"h"), A("undefined"), S(b"/p")), (1, 1)), b"")),
    (A("http"), b"GET ftp://h/p HTTP/1.1\r\n",
     (OK, (A("http_request"), A("GET"), (A("scheme"), S(b"ftp"), S(b"//h/p")), (1, 1)), b"")),
    (A("http"), b"GET index.html HTTP/1.1\r\n",
     (OK, (A("http_request"), A("GET"), S(b"index.html"), (1, 1)), b"")),
    # No version: HTTP/0.9. Anything after the version is ignored.
    (A("http"), b"GET /\r\n", (OK, (A("http_request"), A("GET"), (A("abs_path"), S(b"/")), (0, 9)), b"")),
    (A("http"), b"GET / HTTP/1.1junk\r\n",
     (OK, (A("http_request"), A("GET"), (A("abs_path"), S(b"/")), (1, 1)), b"")),
    (A("http"), b"HTTP/1.1 404 Not Found\r\n",
     (OK, (A("http_response"), (1, 1), 404, S(b"Not Found")), b"")),
    (A("http"), b"HTTP/1.1 OK\r\n", (OK, (A("http_error"), S(b"HTTP/1.1 OK\r\n")), b"")),
    # Versions and ports are C ints: they wrap around at 32 bits.
    (A("http"), b"HTTP/99999999999.1 200 OK\r\n",
     (OK, (A("http_response"), (1215752191, 1), 200, S(b"OK")), b"")),
    (A("httph"), b"content-length: 3\r\n\r\n",
     (OK, (A("http_header"), 38, A("Content-Length"), S(b"content-length"), S(b"3")), b"\r\n")),
    (A("httph_bin"), b"x-my-header:  v \r\n\r\n",
     (OK, (A("http_header"), 0, b"X-My-Header", b"x-my-header", b"v "), b"\r\n")),
    # Continuation lines are part of the value, line breaks included.
    (A("httph"), b"X: a\r\n b\r\n\r\n",
     (OK, (A("http_header"), 0, S(b"X"), S(b"X"), S(b"a\r\n b")), b"\r\n")),
    # A header line that ends the data may still be continued: more.
    (A("httph"), b"Host: x\r\n", (MORE, A("undefined"))),
    (A("httph"), b"\r\n", (OK, A("http_eoh"), b"")),
    (A("httph"), b"Host : x\r\n\r\n", (OK, (A("http_error"), S(b"Host : x\r\n")), b"\r\n")),
    # After '-' the next letter is upper-cased, but not after "--".
    (A("httph"), b"a--b-c: v\r\n\r\n",
     (OK, (A("http_header"), 0, S(b"A--b-C"), S(b"a--b-c"), S(b"v")), b"\r\n")),
])
def test_examples(ptype, data, expected):
    assert decode_packet(ptype, data, []) == expected


def test_http_state_rule():
    request, state = parse_http(b"GET / HTTP/1.1\r\n", 0, False)
    assert state == 1 == next_http_state(request, 0)
    header, state = parse_http(b"Host: x\r\n", 1, False)
    assert state == 1 == next_http_state(header, 1)
    eoh, state = parse_http(b"\r\n", 1, False)
    assert eoh == A("http_eoh") and state == 0 == next_http_state(eoh, 1)
    response, state = parse_http(b"HTTP/1.0 200 OK\r\n", 0, True)
    assert state == 1 == next_http_state(response, 0)
    # An error leaves the state as it was.
    error, state = parse_http(b"nonsense\r\n", 0, False)
    assert error[0] == A("http_error") and state == 0 == next_http_state(error, 0)
    error, state = parse_http(b"nonsense\r\n", 1, False)
    assert state == 1 == next_http_state(error, 1)
