"""Issue 9 from the Python side: the BEAM dies, hostile frames, and what the port
program may touch."""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bridge.etf import encode
from bridge.etf.terms import Atom, Pid, atom

from bridge_client import CALLER, ROOT, BridgeProcess, error
from needs import erl_available, needs

EBIN = ROOT / "_build" / "default" / "lib" / "pyinet" / "ebin"
needs_erl = needs(erl_available() and EBIN.exists(),
                  "needs Erlang and the built application (make build)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@needs_erl
def test_beam_killed_port_program_exits_within_a_second():
    script = ("{ok, L} = gen_tcp:listen(0, [{tcp_module, pyinet_tcp}]), "
              "io:format(\"~w~n\", [[P || #{os_pid := P} <- pyinet:info()]]), "
              "receive after infinity -> ok end.")
    beam = subprocess.Popen(["erl", "-noshell", "-pa", str(EBIN), "-eval", script],
                            stdout=subprocess.PIPE, text=True)
    try:
        bridge_pids = [int(p) for p in beam.stdout.readline().strip()[1:-1].split(",")]
        assert bridge_pids and all(_alive(p) for p in bridge_pids)
        beam.send_signal(signal.SIGKILL)
        beam.wait()
        started = time.monotonic()
        while any(_alive(p) for p in bridge_pids) and time.monotonic() - started < 5:
            time.sleep(0.01)
        assert not any(_alive(p) for p in bridge_pids), "orphan port program"
        assert time.monotonic() - started < 1.0
    finally:
        if beam.poll() is None:
            beam.kill()


def _libffi_descriptor(pid: int, fd: int, target: str) -> bool:
    """Whether fd is libffi's hold on its own shared object: libffi 3.4+ with
    static trampolines (Debian unstable's libffi8 3.5, which Python 3.14's
    ctypes loads) opens the file it was loaded from, read-only and
    close-on-exec, to map its trampoline pages; once per process, when ctypes
    is imported (sctp/kernel.py imports it)."""
    with open(f"/proc/{pid}/maps") as f:
        mapped = {line.split()[-1] for line in f if "/libffi.so" in line}
    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
        flags = int(next(line for line in f if line.startswith("flags:")).split()[1], 8)
    return (target in mapped and flags & os.O_ACCMODE == os.O_RDONLY
            and bool(flags & os.O_CLOEXEC))


def test_no_descriptor_but_the_ones_asked_for():
    """No control channel of its own: stdin, stdout, stderr, its epoll, and the
    sockets it was asked to open; and the one libffi may hold on itself, which
    no child inherits (see _libffi_descriptor)."""
    b = BridgeProcess()
    try:
        def fds():
            out = {}
            for fd in os.listdir(f"/proc/{b.proc.pid}/fd"):
                try:
                    out[int(fd)] = os.readlink(f"/proc/{b.proc.pid}/fd/{fd}")
                except FileNotFoundError:
                    pass
            return out
        idle = fds()
        assert sorted(idle)[:3] == [0, 1, 2]
        libffi = [fd for fd, t in idle.items()
                  if fd > 2 and "/libffi.so" in t and _libffi_descriptor(b.proc.pid, fd, t)]
        assert len(libffi) <= 1, libffi
        others = [t for fd, t in idle.items() if fd > 2 and fd not in libffi]
        assert others == ["anon_inode:[eventpoll]"], others
        b.call((atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, []))
        after = fds()
        sockets = [t for fd, t in after.items() if t.startswith("socket:")]
        assert len(sockets) == 1
        assert len(after) == len(idle) + 1, after
    finally:
        b.close()


# -- fuzzing: random and mutated frames ---------------------------------------------

def _valid_requests() -> list[bytes]:
    ref = atom("r")
    reqs = [
        (atom("tcp_listen"), atom("inet"), (127, 0, 0, 1), 0, 5, [(atom("active"), False)]),
        (atom("tcp_connect"), atom("inet"), (127, 0, 0, 1), 1, atom("undefined"), 0, [], 100),
        (atom("tcp_recv"), 1, 0, 0), (atom("tcp_send"), 1, b"data"), (atom("inet_setopts"), 1, [(atom("packet"), 2)]),
        (atom("inet_getopts"), 1, [atom("active")]), (atom("tcp_accept"), 1, 0), (atom("tcp_close"), 2),
        (atom("inet_getstat"), 1, [atom("recv_oct")]), (atom("program_stats"),), (atom("program_sockets"),),
    ]
    frames = [encode((ref, CALLER, r)) for r in reqs]
    frames.append(encode((atom("pyinet"), (atom("down"), CALLER))))
    return frames


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if op < 0.4 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op < 0.6 and data:
            del data[rng.randrange(len(data)):][:rng.randint(1, 8)]
        elif op < 0.8:
            pos = rng.randrange(len(data) + 1)
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            data = data[:rng.randrange(len(data) + 1)]
    return bytes(data)


def _check_frames_are_protocol(bridge: BridgeProcess) -> int:
    """Every frame the program wrote is {Pid, Msg} or {pyinet, Msg}."""
    count = 0
    while True:
        frame = bridge.read_frame(timeout=0.2)
        if frame is None:
            return count
        assert type(frame) is tuple and len(frame) == 2, frame
        assert isinstance(frame[0], Pid) or frame[0] == atom("pyinet"), frame
        count += 1


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_frames_never_kill_it(seed):
    rng = random.Random(seed)
    frames = _valid_requests()
    b = BridgeProcess()
    try:
        for _ in range(60):
            choice = rng.random()
            if choice < 0.2:
                payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
            elif choice < 0.3:
                payload = rng.choice(frames)
            else:
                payload = _mutate(rng, rng.choice(frames))
            b.write_frame(payload)
        b.others.clear()
        assert b.call((atom("inet_getopts"), 10**6, [])) == (error, atom("einval"))
        for frame in b.others:
            assert type(frame) is tuple and len(frame) == 2
            assert isinstance(frame[0], Pid) or frame[0] == atom("pyinet")
        _check_frames_are_protocol(b)
        assert b.proc.poll() is None
    finally:
        assert b.close() == 0
    assert "Traceback" not in b.stderr()
