%% The ceiling a pipe puts on pyinet's BEAM-sending throughput: 1 GiB in 64 KiB
%% {packet, 4} frames from the BEAM to a Python port program that only reads
%% (a 1 MiB pipe, as the port program asks for). pyinet cannot send faster than
%% this, whatever the Python side does.
%%
%%   erlc -o /tmp bench/pipe_ceiling.erl && erl -noshell -pa /tmp -s pipe_ceiling
-module(pipe_ceiling).
-export([start/0, run/1]).

%% Reads the number of bytes it is given, then answers one frame.
-define(READER,
        "import fcntl, os, sys\n"
        "fcntl.fcntl(0, 1031, 1 << 20)\n"  % F_SETPIPE_SZ
        "buf, left = bytearray(1 << 20), int(sys.argv[1])\n"
        "while left > 0:\n"
        "    left -= os.readv(0, [buf])\n"
        "os.write(1, b'\\0\\0\\0\\1x')\n").

start() ->
    Python = os:getenv("PYINET_PYTHON", "python3"),
    Rates = [run(Python) || _ <- lists:seq(1, 5)],
    io:format("pipe ceiling, BEAM to Python, 64 KiB frames: ~.1f MB/s (median of 5; ~w)~n",
              [lists:nth(3, lists:sort(Rates)), [round(R) || R <- Rates]]),
    halt().

run(Python) ->
    Frame = binary:copy(<<"x">>, 65536),
    Count = 16384,
    Total = Count * (4 + byte_size(Frame)),
    P = open_port({spawn_executable, os:find_executable(Python)},
                  [{args, ["-c", ?READER, integer_to_list(Total)]}, {packet, 4}, binary]),
    T0 = erlang:monotonic_time(microsecond),
    [port_command(P, Frame) || _ <- lists:seq(1, Count)],
    receive {P, {data, <<"x">>}} -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    port_close(P),
    Count * 65536 / (T1 - T0).
