"""Sender: inet_drv's send policy for one TCP socket, with time passed in."""

from __future__ import annotations

from bridge import packet as packets
from bridge.inet.options import InetOptions
from bridge.tcp.sender import BUSY, DELAYED, EMPTY, QUEUED, TIMED_OUT, WRITE, Sender


def sender(header=0, high=100, low=50, send_timeout_ms=None, delay=False):
    opts = InetOptions()
    opts.ptype = packets.packet_type(header)
    opts.high_watermark, opts.low_watermark = high, low
    opts.send_timeout, opts.delay_send = send_timeout_ms, delay
    return Sender(opts)


def queued_bytes(s):
    return b"".join(bytes(b) for b in s.queue.iov())


def test_an_empty_queue_writes_at_once_and_the_credit_returns_when_all_went():
    s = sender()
    assert s.offer("c1", b"abcdef", 10, now=0.0) is WRITE
    assert s.offered_header == b""
    assert s.wrote_at_once(6) == 10
    assert not s.queue and not s.wants_write()


def test_what_the_kernel_did_not_take_is_queued_with_its_credit():
    s = sender(header=2)
    assert s.offer("c1", b"abcdef", 10, now=0.0) is WRITE
    assert s.offered_header == b"\x00\x06"
    assert s.wrote_at_once(1) == 0
    assert queued_bytes(s) == b"\x06abcdef"
    assert s.wants_write()
    assert s.wrote(3) == 0
    assert s.wrote(4) == 10
    assert not s.queue


def test_a_length_too_large_for_its_header_wraps_as_in_inet_drv():
    s = sender(header=1)
    assert s.offer("c1", b"x" * 258, 0, now=0.0) is WRITE
    assert s.offered_header == b"\x02"


def test_an_empty_send_without_header_has_nothing_to_write():
    s = sender()
    assert s.offer("c1", b"", 4, now=0.0) is EMPTY
    s = sender(header=4)
    assert s.offer("c1", b"", 4, now=0.0) is WRITE
    assert s.offered_header == b"\x00\x00\x00\x00"


def test_a_send_behind_queued_data_is_queued_until_high_watermark():
    s = sender(high=10, low=4)
    s.offer("c1", b"abc", 7, now=0.0)
    s.wrote_at_once(0)
    assert s.offer("c2", b"def", 7, now=1.0) is QUEUED
    assert s.busy is None and not s.must_wait
    assert s.offer("c3", b"ghij", 8, now=2.0) is BUSY
    assert s.busy == "c3" and s.busy_since == 2.0
    assert s.deadline is None  # send_timeout infinity
    assert s.must_wait


def test_the_busy_caller_is_released_at_low_watermark_and_not_before():
    s = sender(high=10, low=4)
    s.offer("c1", b"abcdef", 0, now=0.0)
    s.wrote_at_once(0)
    assert s.offer("c2", b"ghijk", 0, now=0.0) is BUSY
    s.wrote(6)
    assert s.queue.size == 5
    assert s.release() is None
    s.wrote(1)
    assert s.release() == "c2"
    assert s.busy is None and s.release() is None


def test_send_timeout_runs_from_the_busy_send_and_expires_only_after_it():
    s = sender(high=4, low=2, send_timeout_ms=250)
    s.offer("c1", b"abc", 0, now=10.0)
    s.wrote_at_once(0)
    assert s.offer("c2", b"def", 0, now=11.0) is BUSY
    assert s.deadline == 11.25
    assert s.expire(11.2) is None
    assert s.expire(11.25) == "c2"
    assert s.deadline is None and s.busy is None
    assert queued_bytes(s) == b"abcdef"  # a timed out send's data stays queued


def test_send_timeout_zero_answers_timeout_at_once_and_keeps_the_data():
    s = sender(high=4, low=2, send_timeout_ms=0)
    s.offer("c1", b"abc", 0, now=0.0)
    s.wrote_at_once(0)
    assert s.offer("c2", b"def", 0, now=0.0) is TIMED_OUT
    assert s.busy is None
    assert s.queue.size == 6


def test_later_senders_wait_behind_the_busy_one_in_order():
    s = sender(high=4, low=2)
    s.offer("c1", b"abcd", 0, now=0.0)
    s.wrote_at_once(0)
    s.offer("c2", b"e", 0, now=0.0)
    s.blocked.append(("c3", b"f"))
    s.blocked.append(("c4", b"g"))
    assert s.next_blocked() is None  # c2 is busy
    s.wrote(5)
    assert s.release() == "c2"
    assert s.next_blocked() == ("c3", b"f")
    assert s.next_blocked() == ("c4", b"g")
    assert s.next_blocked() is None


def test_delay_send_holds_the_queue_back_until_the_delayed_write():
    s = sender(delay=True)
    assert s.offer("c1", b"ab", 0, now=0.0) is DELAYED
    assert s.offer("c2", b"cd", 0, now=0.0) is QUEUED
    assert not s.wants_write()
    s.flush_delayed()
    assert s.wants_write()
    assert queued_bytes(s) == b"abcd"


def test_drop_forgets_the_queue_and_returns_its_credit():
    s = sender()
    s.offer("c1", b"abc", 7, now=0.0)
    s.wrote_at_once(0)
    s.offer("c2", b"de", 6, now=0.0)
    assert s.drop() == 13
    assert not s.queue and not s.wants_write()
