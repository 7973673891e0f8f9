"""Properties of the ETF codec, with hypothesis: round trips through our own
decoder and through a real node, and decoding garbage only ever raising
DecodeError. Each test runs against both implementations (the `codec`
fixture); test_etf_differential.py compares them with each other."""

import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.etf import DecodeError, FrozenMap, ImproperList, Pid, Port, Reference
from etf.convert import canon
from etf.implementations import codec  # noqa: F401 (a fixture)
from etf.peer import peer
from needs import needs_erl
from etf.strategies import expected, terms

# Fixed examples and no example database: the same run every time. Terms
# can be large (bignums, long atoms), hence the health checks left out.
fixed = settings(derandomize=True, database=None, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Hypothesis warns when it builds the repr of the recursive term strategy,
# which is large; the warning says nothing about the codec.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@settings(fixed, max_examples=300)
@given(terms)
def test_round_trip(codec, term):
    assert canon(codec.decode(codec.encode(term)), ext=False) == canon(expected(term), ext=False)


@settings(fixed, max_examples=150)
@given(terms, st.sampled_from([True, 1, 9]))
def test_round_trip_compressed_and_from_memoryview(codec, term, level):
    data = codec.encode(term, compressed=level)
    for given_data in (data, memoryview(bytearray(data))):
        assert (canon(codec.decode(given_data), ext=False, binary_type=False)
                == canon(expected(term), ext=False, binary_type=False))


def _identifiers(term):
    if isinstance(term, (Pid, Port, Reference)):
        yield term
    elif isinstance(term, (list, tuple)):
        for item in term:
            yield from _identifiers(item)
    elif isinstance(term, (dict, FrozenMap)):
        for pair in (term.items() if isinstance(term, dict) else term.pairs):
            yield from _identifiers(pair)
    elif isinstance(term, ImproperList):
        yield from _identifiers(term.items + [term.tail])


@settings(fixed, max_examples=100)
@given(terms)
def test_identifiers_are_read_with_their_bytes(codec, term):
    """A pid, port or reference built in Python is encoded from its fields;
    read back, it keeps those bytes as `ext` and gives them again."""
    for ident in _identifiers(term):
        data = codec.encode(ident)
        back = codec.decode(data)
        assert back == ident and back.ext == data[1:] and codec.encode(back) == data


def _has_map_order(term) -> bool:
    """Whether the term holds a map of 2 or more keys, whose order OTP
    chooses (sorted, or hashed above 32 keys) and we keep as given."""
    if isinstance(term, dict):
        return len(term) > 1 or any(map(_has_map_order, term.keys())) \
            or any(map(_has_map_order, term.values()))
    if isinstance(term, FrozenMap):
        return len(term.pairs) > 1 or any(_has_map_order(k) or _has_map_order(v)
                                          for k, v in term.pairs)
    if isinstance(term, (list, tuple)):
        return any(map(_has_map_order, term))
    if isinstance(term, ImproperList):
        return any(map(_has_map_order, term.items)) or _has_map_order(term.tail)
    return False


@needs_erl
@settings(fixed, max_examples=200)
@given(terms)
def test_erlang_reads_and_rewrites_our_encoding(codec, term):
    """term_to_binary(binary_to_term(ours)) is our encoding again, map order
    aside."""
    ours = codec.encode(term)
    theirs = peer().reencode([ours])[0]
    assert isinstance(theirs, bytes), theirs
    if _has_map_order(term):
        assert (canon(codec.decode(theirs), map_order=False)
                == canon(codec.decode(ours), map_order=False))
    else:
        assert theirs == ours


# Garbage in: DecodeError out, and nothing else.

def _decode_or_refuse(codec, data: bytes) -> None:
    try:
        codec.decode(data)
    except DecodeError as exc:
        assert 0 <= exc.offset <= len(data)
    try:
        codec.decode_prefix(data)
    except DecodeError:
        pass


@settings(fixed, max_examples=1000)
@given(st.binary(max_size=64))
def test_random_bytes(codec, tail):
    _decode_or_refuse(codec, b"\x83" + tail)


@settings(fixed, max_examples=300)
@given(st.binary(max_size=300))
def test_random_compressed_bytes(codec, raw):
    _decode_or_refuse(codec, b"\x83P" + len(raw).to_bytes(4, "big") + zlib.compress(raw))


@settings(fixed, max_examples=400)
@given(terms, st.booleans(), st.data())
def test_mutated_encodings(codec, term, compressed, data):
    encoded = bytearray(codec.encode(term, compressed=compressed))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(encoded)))
        edit = data.draw(st.sampled_from(["flip", "cut", "insert", "delete", "truncate"]))
        if edit == "flip" and at < len(encoded):
            encoded[at] = data.draw(st.integers(0, 255))
        elif edit == "insert":
            encoded[at:at] = data.draw(st.binary(min_size=1, max_size=8))
        elif edit == "delete":
            del encoded[at:at + data.draw(st.integers(1, 8))]
        elif edit == "truncate":
            del encoded[at:]
        else:  # a length field claiming far more than there is
            encoded[at:at + 4] = b"\xff\xff\xff\xf0"
    _decode_or_refuse(codec, bytes(encoded))
