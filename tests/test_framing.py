"""FrameReader: {packet, 4} framing of stdin, whole, byte by byte, in any split."""

from __future__ import annotations

import random
import struct

from hypothesis import given, settings, strategies as st

from bridge.framing import FrameReader, OversizedFrame


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def feed(reader: FrameReader, data: bytes, step: int) -> list:
    out = []
    pos = 0
    while pos < len(data):
        buf = reader.get_buffer()
        n = min(step, len(buf), len(data) - pos)
        buf[:n] = data[pos:pos + n]
        reader.buffer_updated(n)
        pos += n
        out.extend(bytes(f) if not isinstance(f, OversizedFrame) else f for f in reader.frames())
    return out


def payload_of(size: int) -> bytes:
    return random.Random(size).randbytes(size)


# Small frames are copied out of the shared buffer, large ones get their own:
# sizes on both sides of direct_threshold (1024 below).
payloads = st.lists(st.integers(0, 300) | st.integers(900, 1100) | st.integers(20_000, 70_000),
                    max_size=8).map(lambda sizes: [payload_of(n) for n in sizes])


@settings(max_examples=60, deadline=None)
@given(payloads, st.integers(min_value=1, max_value=100_000))
def test_any_split_gives_the_same_frames(items, step):
    reader = FrameReader(buffer_size=4096, direct_threshold=1024)
    data = b"".join(frame(p) for p in items)
    assert feed(reader, data, step) == items
    assert reader.buffered == 0


def test_one_byte_at_a_time():
    items = [b"", b"a", b"hello" * 100, bytes(3000)]
    reader = FrameReader(buffer_size=1024, direct_threshold=512)
    assert feed(reader, b"".join(frame(p) for p in items), 1) == items


def test_trailing_partial_frame_is_kept():
    reader = FrameReader()
    data = frame(b"one") + frame(b"two")[:5]
    assert feed(reader, data, len(data)) == [b"one"]
    assert reader.buffered == 5
    assert feed(reader, frame(b"two")[5:], 100) == [b"two"]


def test_large_frame_is_read_into_its_own_buffer():
    reader = FrameReader(buffer_size=4096, direct_threshold=1024)
    payload = bytes(range(256)) * 40
    data = frame(payload)
    buf = reader.get_buffer()
    buf[:100] = data[:100]
    reader.buffer_updated(100)
    direct = reader.get_buffer()
    assert len(direct) == len(payload) - 96  # exactly what is missing of it
    direct[:] = data[100:]
    reader.buffer_updated(len(direct))
    [got] = list(reader.frames())
    assert isinstance(got, memoryview) and got == payload


def test_began_is_when_the_first_bytes_of_a_frame_came():
    reader = FrameReader(buffer_size=4096, direct_threshold=1024)
    big = frame(b"x" * 10_000)
    reads = [(frame(b"a") + big[:100], 1.0), (big[100:5000], 2.0), (big[5000:], 3.0),
             (frame(b"b"), 4.0)]
    seen = []
    for data, now in reads:
        buf = reader.get_buffer()
        buf[:len(data)] = data
        reader.buffer_updated(len(data), now)
        seen.extend((len(f), reader.began) for f in reader.frames())
    # The large frame began with the first read, though it took three.
    assert seen == [(1, 1.0), (10_000, 1.0), (1, 4.0)]


def test_oversized_frame_is_skipped_in_step():
    reader = FrameReader(max_frame=10)
    data = frame(b"x" * 50) + frame(b"ok")
    got = feed(reader, data, 7)
    assert got == [OversizedFrame(50), b"ok"]


def _read(reader: FrameReader, data: bytes) -> list:
    """One read as the edge does it: the view it was given released after."""
    buf = reader.get_buffer()
    buf[:len(data)] = data
    buf.release()
    reader.buffer_updated(len(data))
    return list(reader.frames())


def test_large_frames_read_whole_are_views_of_the_shared_buffer():
    reader = FrameReader(buffer_size=8192, direct_threshold=1024)
    first, second = b"a" * 2000, b"b" * 2000
    got = _read(reader, frame(first) + frame(b"small") + frame(second))
    assert [bytes(f) for f in got] == [first, b"small", second]
    assert isinstance(got[0], memoryview) and type(got[1]) is bytes
    shared = reader._buf
    del got
    # Nobody kept them: the next read reuses the same buffer.
    assert [bytes(f) for f in _read(reader, frame(b"c" * 2000))] == [b"c" * 2000]
    assert reader._buf is shared


def test_a_large_frame_kept_keeps_its_bytes():
    reader = FrameReader(buffer_size=8192, direct_threshold=1024)
    [kept] = _read(reader, frame(b"a" * 2000))  # as a queued send keeps it
    shared = reader._buf
    # The next read would land where the kept frame is: it gets another buffer.
    assert [bytes(f) for f in _read(reader, frame(b"z" * 3000))] == [b"z" * 3000]
    assert reader._buf is not shared
    assert kept == b"a" * 2000
    # What a read left of an unfinished frame moves to the new buffer with it.
    kept = _read(reader, frame(b"a" * 2000) + frame(b"b" * 10)[:7])
    rest = frame(b"b" * 10)[7:] + frame(b"y" * 3000)
    assert [bytes(f) for f in _read(reader, rest)] == [b"b" * 10, b"y" * 3000]
    assert bytes(kept[0]) == b"a" * 2000


def test_kept_copies_a_view_of_a_larger_buffer_only():
    from bridge.framing import kept
    shared = bytearray(b"x" * 1000)
    view = memoryview(shared)[10:20]
    assert type(kept(view)) is bytes and kept(view) == b"x" * 10
    whole = memoryview(bytearray(b"y" * 100))
    assert kept(whole) is whole  # a frame's own buffer: nothing to gain
    assert kept(b"abc") == b"abc"


def test_a_queued_send_does_not_keep_the_shared_buffer():
    from bridge.tcp.sendqueue import SendQueue
    reader = FrameReader(buffer_size=8192, direct_threshold=1024)
    [frame_] = _read(reader, frame(b"q" * 2000))
    queue = SendQueue()
    queue.append(frame_)
    shared = reader._buf
    del frame_
    _read(reader, frame(b"r" * 10))
    assert reader._buf is shared  # the queue holds a copy, not the buffer
    assert bytes(queue.iov()[0]) == b"q" * 2000
