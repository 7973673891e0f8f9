"""Fixed vectors for the ETF codec: bytes written by OTP 25.2.3 next to the
call that wrote them, and the errors that bad input must give. Each test runs
against both implementations (the `codec` fixture)."""

import os
import tracemalloc
import zlib

import pytest

from bridge.etf import (
    Atom, BitBinary, DecodeError, EncodeError, EtfError, Export, FrozenList, FrozenMap,
    ImproperList, Pid, Port, Reference, String, atom, follow_release, set_port_form,
)
from etf.convert import canon
from etf.implementations import codec  # noqa: F401 (a fixture)

A = atom


@pytest.fixture(autouse=True)
def otp_25_port_form():
    """The vectors are OTP 25's bytes: ports built in Python are written in its
    form here, whatever release the session follows (tests/conftest.py)."""
    set_port_form(False)
    yield
    follow_release(SESSION_RELEASE)


SESSION_RELEASE = int(os.environ.get("PYINET_OTP_RELEASE") or 25)

# Canonical forms: decode gives the term, and encode gives the bytes back.
ROUND_TRIP = [
    (b"\x83a\x01", 1),  # term_to_binary(1)
    (b"\x83a\x00", 0),  # term_to_binary(0)
    (b"\x83a\xff", 255),  # term_to_binary(255)
    (b"\x83b\x00\x00\x01\x00", 256),  # term_to_binary(256)
    (b"\x83b\xff\xff\xff\xff", -1),  # term_to_binary(-1)
    (b"\x83b\x7f\xff\xff\xff", 2147483647),  # term_to_binary(2147483647)
    (b"\x83b\x80\x00\x00\x00", -2147483648),  # term_to_binary(-2147483648)
    (b"\x83n\x04\x00\x00\x00\x00\x80", 2147483648),  # term_to_binary(2147483648)
    (b"\x83n\x04\x01\x01\x00\x00\x80", -2147483649),  # term_to_binary(-2147483649)
    (b"\x83n\t\x00" + bytes(8) + b"\x01", 1 << 64),  # term_to_binary(1 bsl 64)
    (b"\x83n\t\x01" + bytes(8) + b"\x01", -(1 << 64)),  # term_to_binary(-(1 bsl 64))
    (b"\x83o\x00\x00\x01\x00\x00" + bytes(255) + b"\x01", 1 << 2040),  # term_to_binary(1 bsl 2040)
    (b"\x83F?\xf8\x00\x00\x00\x00\x00\x00", 1.5),  # term_to_binary(1.5)
    (b"\x83F\x80\x00\x00\x00\x00\x00\x00\x00", -0.0),  # term_to_binary(-0.0)
    (b"\x83F\x00\x00\x00\x00\x00\x00\x00\x01", 5e-324),  # term_to_binary(5.0e-324)
    (b"\x83w\x02ok", A("ok")),  # term_to_binary(ok, [{minor_version, 2}])
    (b"\x83w\x04true", True),  # term_to_binary(true, [{minor_version, 2}])
    (b"\x83w\x05false", False),  # term_to_binary(false, [{minor_version, 2}])
    (b"\x83w\tundefined", A("undefined")),  # term_to_binary(undefined, [{minor_version, 2}])
    (b"\x83w\x07h\xc3\xa9ll\xc3\xb3", A("hélló")),  # term_to_binary('hélló', [{minor_version, 2}])
    (b"\x83v\x01," + "€".encode() * 100, A("€" * 100)),
    # term_to_binary(list_to_atom(lists:duplicate(100, 16#20AC)), [{minor_version, 2}])
    (b"\x83m\x00\x00\x00\x00", b""),  # term_to_binary(<<>>)
    (b"\x83m\x00\x00\x00\x03\x01\x02\x03", b"\x01\x02\x03"),  # term_to_binary(<<1,2,3>>)
    (b"\x83M\x00\x00\x00\x01\x03\xa0", BitBinary(b"\xa0", 3)),  # term_to_binary(<<5:3>>)
    (b"\x83M\x00\x00\x00\x02\x04\x01p", BitBinary(b"\x01\x70", 4)),  # term_to_binary(<<1, 7:4>>)
    (b"\x83j", []),  # term_to_binary([])
    (b"\x83k\x00\x03\x01\x02\x03", [1, 2, 3]),  # term_to_binary([1,2,3])
    (b"\x83k\x00\x03abc", [97, 98, 99]),  # term_to_binary("abc")
    (b"\x83l\x00\x00\x00\x01b\x00\x00\x01\x00j", [256]),  # term_to_binary([256])
    (b"\x83l\x00\x00\x00\x01F?\xf0\x00\x00\x00\x00\x00\x00j", [1.0]),  # term_to_binary([1.0])
    (b"\x83l\x00\x00\x00\x01b\x00\x01\xf6\x00j", [0x1F600]),  # term_to_binary([16#1F600])
    (b"\x83l\x00\x00\x00\x01a\x01a\x02", ImproperList([1], 2)),  # term_to_binary([1|2])
    (b"\x83l\x00\x00\x00\x02w\x01aw\x01bw\x01c", ImproperList([A("a"), A("b")], A("c"))),
    # term_to_binary([a, b | c], [{minor_version, 2}])
    (b"\x83h\x00", ()),  # term_to_binary({})
    (b"\x83h\x02w\x01aa\x01", (A("a"), 1)),  # term_to_binary({a, 1}, [{minor_version, 2}])
    (b"\x83i\x00\x00\x01\x00" + b"a\x00" * 256, (0,) * 256),
    # term_to_binary(list_to_tuple(lists:duplicate(256, 0)))
    (b"\x83t\x00\x00\x00\x00", {}),  # term_to_binary(#{})
    (b"\x83t\x00\x00\x00\x01w\x01aa\x01", {A("a"): 1}),  # term_to_binary(#{a => 1}, [{minor_version, 2}])
    (b"\x83t\x00\x00\x00\x02t\x00\x00\x00\x00w\x01yk\x00\x01\x01w\x01x",
     {FrozenMap({}): A("y"), FrozenList([1]): A("x")}),
    # term_to_binary(#{[1] => x, #{} => y}, [{minor_version, 2}])
    (b"\x83qw\x05listsw\x03mapa\x02", Export("lists", "map", 2)),
    # term_to_binary(fun lists:map/2, [{minor_version, 2}])
    (b"\x83h\x02w\x02okm\x00\x00\x00\x04data", (A("ok"), b"data")),
    # term_to_binary({ok, <<"data">>}, [{minor_version, 2}])
    (b"\x83Xw\x03a@b\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03", Pid("a@b", 1, 2, 3)),
    # term_to_binary(binary_to_term(<<131,88,119,3,97,64,98,0,0,0,1,0,0,0,2,0,0,0,3>>), [{minor_version, 2}])
    (b"\x83Z\x00\x03w\x03a@b\x00\x00\x00\x01\x00\x00\x00\x05\x00\x00\x00\x06\x00\x00\x00\x07",
     Reference("a@b", 1, (5, 6, 7))),
    # term_to_binary(binary_to_term(<<131,90,0,3,119,3,97,64,98,0,0,0,1,0,0,0,5,0,0,0,6,0,0,0,7>>), [{minor_version, 2}])
    (b"\x83Yw\x03a@b\x00\x00\x00\t\x00\x00\x00\x01", Port("a@b", 9, 1)),
    # term_to_binary(binary_to_term(<<131,89,119,3,97,64,98,0,0,0,9,0,0,0,1>>), [{minor_version, 2}])
    (b"\x83Yw\x03a@b\x01\x00\x00\t\x00\x00\x00\x01", Port("a@b", 0x01000009, 1)),
    # term_to_binary(binary_to_term(<<131,89,119,3,97,64,98,1,0,0,9,0,0,0,1>>), [{minor_version, 2}])
    (b"\x83xw\x03a@b\x00\x00\x01\x00\x00\x00\x00\t\x00\x00\x00\x01", Port("a@b", (1 << 40) + 9, 1)),
    # term_to_binary(binary_to_term(<<131,120,119,3,97,64,98,0,0,1,0,0,0,0,9,0,0,0,1>>), [{minor_version, 2}])
    (b"\x83P\x00\x00\x003x\x9c\xcba``\x10M$\x12$100\xbf\xc8\x02\x00\xaf\xd4\x11a",
     [97] * 20 + [1000]),  # term_to_binary(lists:duplicate(20, $a) ++ [1000], [compressed])
    (b"\x83P\x00\x00\x00ix\x9c\xcbe``Ha\xa0\x03\x00\x00T\x92\x00\xd2", bytes(100)),
    # term_to_binary(<<0:800>>, [compressed])
]

# Forms OTP writes (or wrote) that the encoder does not produce.
DECODE_ONLY = [
    (b"\x83c1.50000000000000000000e+00\x00\x00\x00\x00\x00", 1.5),
    # term_to_binary(1.5, [{minor_version, 0}])
    (b"\x83d\x00\x02ok", A("ok")),  # term_to_binary(ok, [{minor_version, 1}])
    (b"\x83d\x00\x05h\xe9ll\xf3", A("hélló")),  # term_to_binary('hélló', [{minor_version, 1}])
    # Older forms, written by hand; binary_to_term/1 of OTP 25 gives the term
    # on the right for each (checked with erl).
    (b"\x83s\x04true", True),  # SMALL_ATOM_EXT: true
    (b"\x83gw\x03a@b\x00\x00\x00\x01\x00\x00\x00\x02\x03", Pid("a@b", 1, 2, 3)),  # PID_EXT
    (b"\x83fw\x03a@b\x00\x00\x00\x01\x03", Port("a@b", 1, 3)),  # PORT_EXT
    (b"\x83r\x00\x02w\x03a@b\x02\x00\x00\x00\x01\x00\x00\x00\x02", Reference("a@b", 2, (1, 2))),
    # NEW_REFERENCE_EXT
    (b"\x83ew\x03a@b\x00\x00\x00\x63\x01", Reference("a@b", 1, (99,))),  # REFERENCE_EXT
    # Encodings OTP never writes but binary_to_term/1 accepts (checked with erl).
    (b"\x83l\x00\x00\x00\x01a\x01k\x00\x02\x02\x03", [1, 2, 3]),  # [1, 2, 3]: the tail is a string
    (b"\x83l\x00\x00\x00\x00a\x07", 7),  # 7: no elements, the list is its tail
    (b"\x83n\x03\x00\x05\x00\x00", 5),  # 5: leading zero digits
    (b"\x83n\x00\x01", 0),  # 0: a zero-width bignum
    (b"\x83M\x00\x00\x00\x01\x03\xff", BitBinary(b"\xe0", 3)),  # <<7:3>>: unused bits set
    (b"\x83M\x00\x00\x00\x01\x08\xff", b"\xff"),  # <<255>>: 8 bits in the last byte
    (b"\x83c1,5" + bytes(28), 1.5),  # 1.5: sys_chars_to_double takes either radix
]

# Python values whose encoding is not their own decoding.
ENCODE_ONLY = [
    (None, b"\x83w\tundefined"),  # term_to_binary(undefined, [{minor_version, 2}])
    ("abc", b"\x83k\x00\x03abc"),  # term_to_binary("abc")
    ("héllo", b"\x83k\x00\x05h\xe9llo"),  # term_to_binary("héllo")
    ("", b"\x83j"),  # term_to_binary("")
    ("\U0001F600", b"\x83l\x00\x00\x00\x01b\x00\x01\xf6\x00j"),  # term_to_binary([16#1F600])
    (String(b"abc"), b"\x83k\x00\x03abc"),  # term_to_binary("abc")
    (String(b""), b"\x83j"),  # term_to_binary("")
    (bytearray(b"\x01\x02\x03"), b"\x83m\x00\x00\x00\x03\x01\x02\x03"),  # term_to_binary(<<1,2,3>>)
    (memoryview(b"\x01\x02\x03"), b"\x83m\x00\x00\x00\x03\x01\x02\x03"),  # term_to_binary(<<1,2,3>>)
    (BitBinary(b"\xbf", 3), b"\x83M\x00\x00\x00\x01\x03\xa0"),  # term_to_binary(<<5:3>>)
    (FrozenList([1, 2]), b"\x83k\x00\x02\x01\x02"),  # term_to_binary([1,2])
    ([True, 1], b"\x83l\x00\x00\x00\x02w\x04truea\x01j"),  # term_to_binary([true, 1], [{minor_version, 2}])
    (Atom("true"), b"\x83w\x04true"),  # term_to_binary(true, [{minor_version, 2}])
    ("x" * 65536, b"\x83l\x00\x01\x00\x00" + b"ax" * 65536 + b"j"),
    # term_to_binary(lists:duplicate(65536, $x))
    (String(b"x" * 65536), b"\x83l\x00\x01\x00\x00" + b"ax" * 65536 + b"j"),
    # term_to_binary(lists:duplicate(65536, $x))
    ([120] * 65536, b"\x83l\x00\x01\x00\x00" + b"ax" * 65536 + b"j"),
    # term_to_binary(lists:duplicate(65536, $x))
    ([120] * 65535, b"\x83k\xff\xff" + b"x" * 65535),  # term_to_binary(lists:duplicate(65535, $x))
]


@pytest.mark.parametrize("data, term", ROUND_TRIP)
def test_decode(codec, data, term):
    assert canon(codec.decode(data), ext=False) == canon(term, ext=False)


@pytest.mark.parametrize("data, term", ROUND_TRIP)
def test_encode(codec, data, term):
    if data[1] == 80:  # compressed by OTP: the same zlib, so the same bytes
        assert codec.encode(term, compressed=True) == data
    else:
        assert codec.encode(term) == data


@pytest.mark.parametrize("data, term", DECODE_ONLY)
def test_decode_older_forms(codec, data, term):
    assert canon(codec.decode(data), ext=False) == canon(term, ext=False)


@pytest.mark.parametrize("term, data", ENCODE_ONLY)
def test_encode_python_values(codec, term, data):
    assert codec.encode(term) == data


def test_identifiers_keep_their_bytes(codec):
    for data in [b"\x83gw\x03a@b\x00\x00\x00\x01\x00\x00\x00\x02\x03",
                 b"\x83fw\x03a@b\x00\x00\x00\x01\x03",
                 b"\x83ew\x03a@b\x00\x00\x00\x63\x01",
                 b"\x83Xd\x00\x03a@b\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03"]:
        term = codec.decode(data)
        assert term.ext == data[1:]
        assert codec.encode(term) == data


def test_compression_only_when_smaller(codec):
    assert codec.encode(A("a"), compressed=True) == b"\x83w\x01a"  # term_to_binary(a, [compressed, {minor_version, 2}])
    assert codec.encode(bytes(100), compressed=0) == codec.encode(bytes(100))
    packed = codec.encode(bytes(100), compressed=9)
    assert packed[:2] == b"\x83P" and codec.decode(packed) == bytes(100)
    with pytest.raises(ValueError):
        codec.encode(1, compressed=10)


# Errors.

BAD_INPUT = [
    (b"", "no term at offset 0"),
    (b"\x84a\x01", "version byte 131 at offset 0"),
    (b"\x83", "nothing after the version byte"),
    (b"\x83a", "truncated SMALL_INTEGER_EXT at offset 1"),
    (b"\x83b\x00\x00", "truncated INTEGER_EXT at offset 1"),
    (b"\x83m\x00\x00\x00\x05ab", "truncated BINARY_EXT at offset 1"),
    (b"\x83h\x02a\x01m\x00\x00\x01\x00", "truncated BINARY_EXT at offset 5"),
    (b"\x83h\x03a\x01a\x02", "truncated SMALL_TUPLE_EXT at offset 1"),
    (b"\x83l\xff\xff\xff\xffjjjjj", "truncated LIST_EXT at offset 1"),
    (b"\x83t\xff\xff\xff\xffjjjjj", "truncated MAP_EXT at offset 1"),
    (b"\x83i\xff\xff\xff\xffjjjjj", "truncated LARGE_TUPLE_EXT at offset 1"),
    (b"\x83o\xff\xff\xff\xff\x00\x01", "truncated LARGE_BIG_EXT at offset 1"),
    (b"\x83k\x00\x09abc", "truncated STRING_EXT at offset 1"),
    (b"\x83Xw\x03a@b\x00\x00\x00\x01", "truncated NEW_PID_EXT at offset 1"),
    (b"\x83Z\x00\x03w\x03a@b\x00\x00\x00\x01", "truncated NEWER_REFERENCE_EXT at offset 1"),
    (b"\x83w\x05ab", "truncated SMALL_ATOM_UTF8_EXT at offset 1"),
    (b"\x83a\x01\x00", "trailing bytes at offset 3"),
    (b"\x83R\x00", "ATOM_CACHE_REF at offset 1"),
    (b"\x83D\x00", "DIST_HEADER at offset 1"),
    (b"\x83y\x00\x00\x00\x00w\x01a", "LOCAL_EXT at offset 1"),
    (b"\x83u\x00\x00\x00\x00", "FUN_EXT at offset 1"),
    (b"\x83\x00", "tag 0 at offset 1"),
    (b"\x83h\x01P\x00\x00\x00\x01", "compressed term can only be at the top level"),
    (b"\x83F\x7f\xf0\x00\x00\x00\x00\x00\x00", "NEW_FLOAT_EXT at offset 1 is not finite"),
    (b"\x83F\x7f\xf8\x00\x00\x00\x00\x00\x00", "NEW_FLOAT_EXT at offset 1 is not finite"),
    (b"\x83cinf" + bytes(28), "FLOAT_EXT at offset 1 is not a finite float"),
    (b"\x83c1_0.0" + bytes(26), "FLOAT_EXT at offset 1 is not a finite float"),
    (b"\x83c1.0e999" + bytes(24), "FLOAT_EXT at offset 1 is not a finite float"),
    (b"\x83w\x02\xff\xfe", "SMALL_ATOM_UTF8_EXT at offset 1 is not valid utf-8"),
    (b"\x83v\x01\x00" + b"a" * 256, "more than 255 characters"),
    (b"\x83M\x00\x00\x00\x01\x00\xff", "BIT_BINARY_EXT at offset 1 has 0 bits"),
    (b"\x83M\x00\x00\x00\x01\x09\xff", "BIT_BINARY_EXT at offset 1 has 9 bits"),
    (b"\x83M\x00\x00\x00\x00\x01", "BIT_BINARY_EXT at offset 1 has 1 bits in the last of 0"),
    (b"\x83Z\x00\x00w\x03a@b\x00\x00\x00\x01", "has 0 id words"),
    (b"\x83Z\x00\x06w\x03a@b" + bytes(28), "has 6 id words"),
    (b"\x83Xa\x01" + bytes(12), "expected an atom"),
    (b"\x83qw\x01mw\x01fb\x00\x00\x00\x01", "arity at offset 8 is not a SMALL_INTEGER_EXT"),
    (b"\x83t\x00\x00\x00\x02a\x01a\x01a\x01a\x02", "MAP_EXT at offset 1 has keys that are equal"),
    # binary_to_term/1 rejects the one above, but gives #{1 => 1, 1.0 => 2}
    # for this one, which a dict cannot hold (1 == 1.0, 1 == True in Python).
    (b"\x83t\x00\x00\x00\x02a\x01a\x01F?\xf0\x00\x00\x00\x00\x00\x00a\x02", "equal in Python"),
    (b"\x83t\x00\x00\x00\x02a\x01a\x01w\x04truea\x02", "equal in Python"),
    (b"\x83P\x00\x00\x00\x00", "declares 0 bytes"),
    (b"\x83P\x00\x00", "truncated COMPRESSED at offset 1"),
    (b"\x83P\x00\x00\x00\x09" + zlib.compress(b"a\x01"), "declares 9 bytes but holds 2"),
    (b"\x83P\x00\x00\x00\x01" + zlib.compress(b"a\x01"), "longer than the declared 1 bytes"),
    (b"\x83P\x00\x00\x00\x02" + zlib.compress(b"a\x01")[:-3], "cut short"),
    (b"\x83P\x00\x00\x00\x02" + zlib.compress(b"a\x01") + b"\x00", "trailing bytes at offset 16"),
    (b"\x83P\x00\x00\x00\x02xxxxxxx", "COMPRESSED at offset 1: Error"),
    (b"\x83P\x00\x00\x00\x03" + zlib.compress(b"a\x01\x00"), "in the compressed term at offset 1: trailing"),
    (b"\x83P\x00\x00\x00\x02" + zlib.compress(b"m\x00"), "in the compressed term at offset 1: truncated"),
    (b"\x83P\xff\xff\xff\xff" + zlib.compress(b"a\x01"), "not 1 to max_size"),
]


@pytest.mark.parametrize("data, message", BAD_INPUT)
def test_bad_input(codec, data, message):
    with pytest.raises(DecodeError) as info:
        codec.decode(data)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, EtfError)
    assert 0 <= info.value.offset <= len(data)


def test_error_offsets(codec):
    with pytest.raises(DecodeError) as info:
        codec.decode(b"\x83h\x02a\x01m\x00\x00\x01\x00")
    assert info.value.offset == 5


def test_nesting_is_bounded(codec):
    deep = b"\x83" + b"h\x01" * 50 + b"a\x01"
    assert codec.decode(deep, max_depth=50) is not None
    with pytest.raises(DecodeError, match="deeper than max_depth"):
        codec.decode(deep, max_depth=49)
    lists = b"\x83" + b"l\x00\x00\x00\x01" * 50_000 + b"j" * 50_001
    with pytest.raises(DecodeError, match="deeper than max_depth"):
        codec.decode(lists)
    # Containers are read without recursion, so only the limit bounds them.
    term, depth = codec.decode(lists, max_depth=50_000), 0
    while term:
        (term,), depth = term, depth + 1
    assert depth == 50_000


def test_nesting_beyond_pythons_stack(codec):
    # Funs are read recursively: a fun in a fun's free variables, 5000 deep
    # (the Size field is not checked, as by OTP).
    fun_around = (b"p\x00\x00\x00\x00\x00" + bytes(16) + b"\x00\x00\x00\x00\x00\x00\x00\x01"
                  b"w\x01ma\x00a\x00Xw\x03a@b" + bytes(12))
    nested = b"\x83" + fun_around * 5000 + b"a\x01"
    with pytest.raises(DecodeError, match="deeper than max_depth"):
        codec.decode(nested)
    with pytest.raises(DecodeError, match="too deeply for Python's stack"):
        codec.decode(nested, max_depth=10**6)
    assert codec.decode(b"\x83" + fun_around * 3 + b"a\x01").module == "m"


def test_max_size_bounds_decompression(codec):
    bomb = b"\x83P" + (2 * 1024 * 1024 + 5).to_bytes(4, "big") + zlib.compress(
        b"m\x00\x20\x00\x00" + bytes(2 * 1024 * 1024), 9)
    assert len(bomb) < 10_000
    assert len(codec.decode(bomb)) == 2 * 1024 * 1024
    with pytest.raises(DecodeError, match="max_size"):
        codec.decode(bomb, max_size=1024 * 1024)


def test_decode_rejects_other_types(codec):
    with pytest.raises(TypeError):
        codec.decode("\x83a\x01")
    with pytest.raises(TypeError, match="C-contiguous"):
        codec.decode(memoryview(b"\x83\x00a\x00\x01")[::2])


BAD_TERMS = [
    (float("nan"), "nan is not an Erlang float"),
    (float("inf"), "inf is not an Erlang float"),
    (object(), "cannot encode object"),
    ({1: {2}}, "cannot encode set"),
    (A("a" * 256), "atom of 256 characters"),
    (Atom("\ud800"), "not valid Unicode"),
    (Pid("a@b", 1 << 32, 0, 0), "out of range"),
    (Reference("a@b", 0, ()), "1 to 5 id words"),
    (Port("a@b", 1 << 64, 0), "out of range"),
    (Export("m", "f", 256), "arity is 0 to 255"),
]


@pytest.mark.parametrize("term, message", BAD_TERMS)
def test_bad_terms(codec, term, message):
    with pytest.raises(EncodeError, match=message) as info:
        codec.encode(term)
    assert isinstance(info.value, TypeError) and isinstance(info.value, EtfError)


def test_self_containing_list(codec):
    loop = []
    loop.append(loop)
    with pytest.raises(EncodeError, match="nested too deeply"):
        codec.encode(loop)


# Buffers.

def test_memoryview_binaries_are_views_of_the_input(codec):
    buffer = bytearray(codec.encode((A("tcp"), b"x" * 1000, [b"y"])))
    term = codec.decode(memoryview(buffer))
    payload = term[1]
    assert type(payload) is memoryview and payload.readonly and payload == b"x" * 1000
    assert type(term[2][0]) is memoryview
    buffer[buffer.index(b"x" * 1000)] = ord("z")  # no copy was made
    assert payload[0] == ord("z")


def _peak_allocation(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_binaries_are_copied_at_most_once(codec):
    payload = bytes(4 * 1024 * 1024)
    message = (A("tcp"), (A("$inet"), A("pyinet_tcp"), 7), payload)
    # Encoding: into the result only.
    assert _peak_allocation(lambda: codec.encode(message)) < 1.1 * len(payload)
    # Decoding from a memoryview: not at all.
    data = memoryview(bytearray(codec.encode(message)))
    assert _peak_allocation(lambda: codec.decode(data)) < 64 * 1024


def test_bytes_and_bytearray_give_bytes(codec):
    data = codec.encode((b"abc", {b"k": b"v"}))
    for given in (data, bytearray(data)):
        term = codec.decode(given)
        assert type(term[0]) is bytes and type(next(iter(term[1]))) is bytes


def test_memoryview_binaries_work_as_map_keys(codec):
    term = codec.decode(memoryview(codec.encode({b"key": 1, (b"k2",): 2})))
    assert term[b"key"] == 1 and term[(b"k2",)] == 2


def test_memoryview_of_other_formats(codec):
    data = codec.encode([1, b"abc"])
    words = memoryview(bytearray(data + bytes(len(data) % 2))).cast("H")
    term, end = codec.decode_prefix(words)
    assert term == [1, b"abc"] and type(term[1]) is memoryview and end == len(data)


def test_decode_prefix_walks_a_stream(codec):
    parts = [codec.encode(1), codec.encode(bytes(100), compressed=True),
             codec.encode([A("a"), "b"]), codec.encode(bytes(1000), compressed=True)]
    stream = b"".join(parts)
    offset, terms = 0, []
    while offset < len(stream):
        term, offset = codec.decode_prefix(stream, offset)
        terms.append(term)
    assert terms == [1, bytes(100), [A("a"), [98]], bytes(1000)]
    assert codec.decode_prefix(b"xx" + parts[0], 2) == (1, len(parts[0]) + 2)
    with pytest.raises(DecodeError, match="no term at offset 9"):
        codec.decode_prefix(parts[0], 9)


def test_map_keys_are_frozen(codec):
    term = codec.decode(codec.encode({FrozenList([1, FrozenMap({A("a"): FrozenList([2])})]): 1,
                                      (FrozenList([]),): 2}))
    (first, second) = term
    assert type(first) is FrozenList and type(first[1]) is FrozenMap
    assert type(dict(first[1].pairs)[A("a")]) is FrozenList
    assert type(second[0]) is FrozenList
    assert codec.decode(codec.encode({ImproperList([FrozenList([1])], 2): 3})) == {
        ImproperList([FrozenList([1])], 2): 3}


def test_atoms_are_shared(codec):
    assert codec.decode(b"\x83w\x02ok") is codec.decode(b"\x83d\x00\x02ok") is atom("ok")


def test_true_and_false_as_identifier_nodes(codec):
    pid = codec.decode(b"\x83Xw\x04true\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03")
    assert type(pid.node) is Atom and pid.node == "true"


def test_ports_in_the_form_of_otp_26_and_later(codec):
    """term_to_binary on OTP 27.3.4 writes V4_PORT_EXT for every port
    (binary_to_term(<<131,89,119,3,97,64,98,0,0,0,9,0,0,0,1>>) gives
    <<131,120,119,3,97,64,98,0,0,0,0,0,0,0,9,0,0,0,1>>); OTP 25 keeps
    NEW_PORT_EXT while the number fits in 28 bits."""
    follow_release(27)
    assert codec.encode(Port("a@b", 9, 1)) == b"\x83xw\x03a@b" + bytes(7) + b"\t\x00\x00\x00\x01"
    follow_release(25)
    assert codec.encode(Port("a@b", 9, 1)) == b"\x83Yw\x03a@b\x00\x00\x00\t\x00\x00\x00\x01"
