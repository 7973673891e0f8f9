"""The fault layer's sans-I/O cores: the fault terms, one direction of a
stream (StreamShaper) and of datagrams (DatagramShaper), driven with
invented times. No sockets, no clock."""

from __future__ import annotations

import errno
import random

import pytest
from hypothesis import given, settings, strategies as st

from bridge.etf.terms import atom
from bridge.fault import kinds as k
from bridge.fault.datagram import DatagramShaper
from bridge.fault.stream import EOF, End, StreamShaper

A = atom


def shaper(*faults, direction=k.RECV, now=0.0, capacity=1 << 20):
    log = []
    rngs = {}

    def rng_for(fault):
        return rngs.setdefault(id(fault), random.Random(f"test:{len(rngs)}"))

    s = StreamShaper(direction, lambda f, action, n: log.append((action, n)), rng_for, capacity)
    for f in faults:
        s.attach(k.parse(f), now)
    return s, log


def drain(s, now, max_len=1 << 20):
    out = []
    while True:
        piece = s.take(max_len, now)
        if piece is None or isinstance(piece, End):
            return out, piece
        out.append(piece)


# -- the terms ---------------------------------------------------------------------

@pytest.mark.parametrize("term", [
    (A("chunks"), [1, 2, 3]), (A("chunks"), A("send"), [4], 10), A("reset"), A("blackhole"),
    (A("latency"), A("both"), 5), (A("jitter"), A("recv"), 5), (A("bandwidth"), A("send"), 1000),
    (A("stall"), A("recv")), (A("half_close"), A("send")), (A("fail"), A("recv"), A("etimedout")),
    (A("truncate"), A("recv"), 0), (A("corrupt"), A("send"), 7), (A("drop"), A("recv"), 0.5),
    (A("duplicate"), A("send"), 1), (A("reorder"), A("recv"), 3), (A("reorder"), A("recv"), 3, 100),
    A("abort"), (A("drop_stream"), A("both"), 2), (A("blackhole"), A("recv")),
])
def test_every_kind_parses_and_keeps_its_term(term):
    assert k.parse(term).term == term


@pytest.mark.parametrize("term", [
    A("nonsense"), (A("chunks"), []), (A("chunks"), [0]), (A("chunks"), [1.5]),
    (A("chunks"), A("both"), [1]), (A("chunks"), A("recv"), [1], 5), (A("latency"), A("up"), 5),
    (A("latency"), A("recv"), -1), (A("latency"), A("recv"), 10 ** 9), (A("drop"), A("recv"), 2),
    (A("fail"), A("write"), A("eio")), (A("fail"), A("recv"), A("nxdomain")),
    (A("half_close"), A("both")), (A("reorder"), A("recv"), 0), (A("drop_stream"), A("recv"), 70000),
    (A("bandwidth"), A("recv"), 0), 42, b"reset", (A("truncate"), A("recv"), True),
])
def test_bad_terms_are_bad_faults(term):
    with pytest.raises(k.BadFault) as info:
        k.parse(term)
    assert info.value.term == term


def test_transports_a_kind_applies_to():
    assert k.parse((A("chunks"), [1])).applies_to(k.TCP)
    assert not k.parse((A("chunks"), [1])).applies_to(k.UDP)
    assert k.parse((A("drop"), A("recv"), 1)).applies_to(k.SCTP)
    assert not k.parse((A("drop"), A("recv"), 1)).applies_to(k.TCP)
    assert k.parse((A("fail"), A("accept"), A("emfile"))).applies_to(k.TCP_LISTEN)
    assert not k.parse((A("fail"), A("accept"), A("emfile"))).applies_to(k.TCP)
    assert k.parse((A("fail"), A("connect"), A("econnrefused"))).applies_to(k.CONNECT)
    assert k.parse((A("fail"), A("recv"), A("etimedout"))).errno == errno.ETIMEDOUT


# -- streams ------------------------------------------------------------------------

def test_chunks_come_out_in_exactly_those_pieces_then_as_they_come():
    s, log = shaper((A("chunks"), [1, 2, 3]))
    s.feed(b"abcdefgh", 0.0)
    assert drain(s, 0.0)[0] == [b"a", b"bc", b"def", b"gh"]
    assert [n for action, n in log if action == "piece"] == [1, 2, 3]


def test_chunks_fed_one_byte_at_a_time_wait_for_the_whole_piece():
    s, _ = shaper((A("chunks"), [3, 2]))
    got = []
    for i, byte in enumerate(b"abcde"):
        s.feed(bytes([byte]), float(i))
        got += drain(s, float(i))[0]
    assert got == [b"abc", b"de"]


def test_a_short_last_piece_comes_out_before_the_end():
    s, _ = shaper((A("chunks"), [4]))
    s.feed(b"ab", 0.0)
    assert s.take(100, 0.0) is None
    s.feed_end(EOF, 0.0)
    assert s.take(100, 0.0) == b"ab"
    assert s.take(100, 0.0) is EOF


def test_a_reader_asking_for_less_splits_the_piece():
    s, _ = shaper((A("chunks"), [4, 1]))
    s.feed(b"abcde", 0.0)
    assert s.take(3, 0.0) == b"abc"
    assert s.take(3, 0.0) == b"d"
    assert s.take(3, 0.0) == b"e"


def test_send_chunks_pause_between_pieces():
    s, _ = shaper((A("chunks"), A("send"), [2, 2], 100), direction=k.SEND)
    s.feed(b"abcdef", 0.0)
    assert s.take(100, 0.0) == b"ab"
    assert s.take(100, 0.05) is None
    assert s.next_time(0.05) == pytest.approx(0.1)
    assert s.take(100, 0.1) == b"cd"
    assert s.take(100, 0.15) is None
    assert s.take(100, 0.2) == b"ef"


def test_latency_holds_everything_and_keeps_order():
    s, _ = shaper((A("latency"), A("recv"), 100))
    s.feed(b"one", 0.0)
    s.feed(b"two", 0.05)
    assert s.take(100, 0.09) is None
    assert s.next_time(0.09) == pytest.approx(0.1)
    assert s.take(100, 0.1) == b"one"
    assert s.take(100, 0.12) is None
    assert s.take(100, 0.151) == b"two"


def test_jitter_never_reorders_a_stream_and_is_repeatable():
    def run():
        s, _ = shaper((A("jitter"), A("recv"), 50))
        for i in range(20):
            s.feed(bytes([i]), i * 0.001)
        times = []
        out = b""
        t = 0.0
        while len(out) < 20:
            at = s.next_time(t)
            t = max(t, at)
            piece = s.take(100, t)
            if piece:
                out += piece
                times.append(t)
        return out, times
    out, times = run()
    assert out == bytes(range(20))
    assert (out, times) == run()


def test_the_end_comes_after_the_bytes_once_then_eof_for_ever():
    s, _ = shaper((A("latency"), A("recv"), 10))
    s.feed(b"data", 0.0)
    s.feed_end(End(errno.ECONNRESET), 0.0)
    assert s.take(100, 0.01) == b"data"
    end = s.take(100, 0.01)
    assert isinstance(end, End) and end.errno == errno.ECONNRESET
    assert s.take(100, 0.01) is EOF
    assert s.take(100, 5.0) is EOF


def test_a_failure_comes_before_what_is_held():
    s, log = shaper()
    s.feed(b"unread", 0.0)
    s.fail_now(End(errno.ETIMEDOUT))
    assert s.take(100, 0.0).errno == errno.ETIMEDOUT
    assert s.take(100, 0.0) is EOF
    assert ("dropped_after_end", 6) in log


def test_bandwidth_lets_rate_bytes_through_a_second():
    s, _ = shaper((A("bandwidth"), A("recv"), 1000))
    s.feed(b"x" * 3000, 0.0)
    got = 0
    t = 0.0
    for _ in range(10_000):
        piece = s.take(10_000, t)
        if piece:
            got += len(piece)
        if got == 3000:
            break
        t = s.next_time(t)
    # 3,000 bytes, a burst of 100 at most ahead: at least 2.9 s.
    assert got == 3000 and t >= 2.9


def test_stall_holds_everything_until_it_goes():
    s, _ = shaper((A("stall"), A("recv")))
    s.feed(b"held", 0.0)
    assert s.stalled and s.take(100, 10.0) is None and s.next_time(10.0) is None
    s.detach(s.faults[0])
    assert s.take(100, 10.0) == b"held"


def test_blackhole_drops_and_logs_the_bytes():
    s, log = shaper(A("blackhole"))
    s.feed(b"gone", 0.0)
    assert s.take(100, 0.0) is None and s.size == 0
    assert log == [("blackholed", 4)]


def test_truncate_lets_n_bytes_through_then_ends_with_a_close():
    s, log = shaper((A("truncate"), A("recv"), 5))
    s.feed(b"abc", 0.0)
    s.feed(b"defgh", 0.0)
    s.feed(b"ignored", 0.0)
    out, end = drain(s, 0.0)
    assert b"".join(out) == b"abcde"
    assert end.errno == 0 and end.action == "shut_rdwr"
    assert ("truncated", 3) in log and ("dropped_after_end", 7) in log


def test_truncate_zero_ends_at_once():
    s, _ = shaper((A("truncate"), A("send"), 0), direction=k.SEND)
    assert s.take(100, 0.0).action == "shut_rdwr"


@given(st.lists(st.binary(min_size=1, max_size=7), min_size=1, max_size=8),
       st.integers(min_value=0, max_value=30))
def test_corrupt_inverts_exactly_the_byte_at_the_offset_however_fed(pieces, offset):
    s, _ = shaper((A("corrupt"), A("recv"), offset))
    for p in pieces:
        s.feed(p, 0.0)
    data = b"".join(pieces)
    out = b"".join(drain(s, 0.0)[0])
    expect = bytearray(data)
    if offset < len(data):
        expect[offset] ^= 0xFF
    assert out == bytes(expect)


def test_the_offset_counts_from_the_injection():
    s, _ = shaper()
    s.feed(b"before", 0.0)
    s.attach(k.parse((A("corrupt"), A("recv"), 0)), 0.0)
    s.feed(b"after", 0.0)
    assert b"".join(drain(s, 0.0)[0]) == b"before" + bytes([ord("a") ^ 0xFF]) + b"fter"


def test_capacity_bounds_what_is_held():
    s, _ = shaper((A("latency"), A("recv"), 1000), capacity=10)
    s.feed(b"x" * 10, 0.0)
    assert s.room == 0
    assert s.take(100, 1.0) == b"x" * 10
    assert s.room == 10


def test_what_a_removed_fault_held_comes_out_at_once():
    s, _ = shaper((A("latency"), A("recv"), 1000))
    s.feed(b"late", 0.0)
    assert s.take(100, 0.0) is None
    s.detach(s.faults[0])
    assert s.take(100, 0.0) == b"late"
    assert s.idle


@settings(max_examples=50)
@given(st.lists(st.binary(min_size=1, max_size=50), max_size=20), st.integers(1, 64))
def test_without_loss_faults_every_byte_comes_out_in_order(pieces, max_len):
    s, _ = shaper((A("chunks"), [3, 1, 4, 1, 5]), (A("latency"), A("recv"), 10),
                  (A("jitter"), A("recv"), 10))
    t = 0.0
    for p in pieces:
        s.feed(p, t)
        t += 0.001
    s.feed_end(EOF, t)
    out = b""
    for _ in range(10_000):
        piece = s.take(max_len, t)
        if piece is EOF:
            break
        if piece is None:
            t = s.next_time(t) or t + 0.001
            continue
        out += piece
    assert out == b"".join(pieces)


# -- datagrams ----------------------------------------------------------------------

def dshaper(*faults, seed="test", capacity=1024):
    log = []
    rngs = {}

    def rng_for(fault):
        return rngs.setdefault(id(fault), random.Random(f"{seed}:{len(rngs)}"))

    s = DatagramShaper(k.RECV, lambda f, action, n: log.append((action, n)), rng_for, capacity)
    for f in faults:
        s.attach(k.parse(f), 0.0)
    return s, log


def dtake_all(s, now):
    out = []
    while (item := s.take(now)) is not None:
        out.append(item.payload)
    return out


def test_drop_with_probability_is_repeatable_for_a_seed():
    def run(seed):
        s, _ = dshaper((A("drop"), A("recv"), 0.5), seed=seed)
        for i in range(200):
            s.feed(bytes([i]), None, 0.0)
        return dtake_all(s, 0.0)
    assert run("a") == run("a")
    assert run("a") != run("b")
    assert 50 < len(run("a")) < 150


def test_drop_all_and_drop_none():
    s, _ = dshaper((A("drop"), A("recv"), 1.0))
    s.feed(b"x", None, 0.0)
    assert dtake_all(s, 0.0) == []
    s, _ = dshaper((A("drop"), A("recv"), 0))
    s.feed(b"x", None, 0.0)
    assert dtake_all(s, 0.0) == [b"x"]


def test_duplicate_sends_a_copy_after_the_original():
    s, log = dshaper((A("duplicate"), A("recv"), 1.0))
    s.feed(b"a", None, 0.0)
    s.feed(b"b", None, 0.0)
    assert dtake_all(s, 0.0) == [b"a", b"a", b"b", b"b"]
    assert log.count(("duplicated", 1)) == 2


def test_reorder_waits_for_the_window_then_shuffles():
    s, _ = dshaper((A("reorder"), A("recv"), 4, 1000))
    for i in range(3):
        s.feed(bytes([i]), None, 0.0)
    assert dtake_all(s, 0.5) == []
    s.feed(bytes([3]), None, 0.5)
    out = dtake_all(s, 0.5)
    assert sorted(out) == [bytes([i]) for i in range(4)]


def test_reorder_lets_a_partial_window_go_after_the_hold():
    s, _ = dshaper((A("reorder"), A("recv"), 4, 100))
    s.feed(b"a", None, 0.0)
    s.feed(b"b", None, 0.01)
    assert s.next_time(0.02) == pytest.approx(0.1)
    assert sorted(dtake_all(s, 0.1)) == [b"a", b"b"]


def test_datagram_jitter_may_reorder_and_latency_delays():
    s, _ = dshaper((A("latency"), A("recv"), 100))
    s.feed(b"a", None, 0.0)
    assert dtake_all(s, 0.099) == []
    assert dtake_all(s, 0.1) == [b"a"]


def test_truncate_and_corrupt_each_datagram():
    s, _ = dshaper((A("truncate"), A("recv"), 3), (A("corrupt"), A("recv"), 1))
    s.feed(b"abcdef", None, 0.0)
    s.feed(b"xy", None, 0.0)
    assert dtake_all(s, 0.0) == [b"a" + bytes([ord("b") ^ 0xFF]) + b"c",
                                 b"x" + bytes([ord("y") ^ 0xFF])]


def test_drop_stream_drops_only_that_stream():
    s, _ = dshaper((A("drop_stream"), A("recv"), 2))
    s.feed(b"s1", None, 0.0, stream=1)
    s.feed(b"s2", None, 0.0, stream=2)
    assert dtake_all(s, 0.0) == [b"s1"]


def test_kernel_errors_keep_their_place():
    s, _ = dshaper((A("latency"), A("recv"), 10))
    s.feed(b"late", None, 0.0)
    s.feed_error(errno.ECONNREFUSED, None, 0.0)
    first = s.take(0.0)
    assert first.error == errno.ECONNREFUSED
    assert s.take(0.01).payload == b"late"


def test_datagram_bandwidth():
    s, _ = dshaper((A("bandwidth"), A("recv"), 1000))
    for _ in range(5):
        s.feed(b"x" * 100, None, 0.0)
    t = 0.0
    got = 0
    for _ in range(1000):
        got += len(dtake_all(s, t))
        if got == 5:
            break
        t = s.next_time(t)
    assert got == 5 and t >= 0.39


def test_capacity_counts_datagrams():
    s, _ = dshaper((A("latency"), A("recv"), 10), capacity=2)
    s.feed(b"1", None, 0.0)
    assert not s.full
    s.feed(b"2", None, 0.0)
    assert s.full
