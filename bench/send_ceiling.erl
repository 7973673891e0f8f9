%% The ceiling of pyinet's BEAM-sending throughput through a socket: 1 GiB
%% in 64 KiB {packet, 4} frames from the BEAM to a Python program that writes
%% each to a TCP socket a native gen_tcp reader drains, with nothing else
%% (pipe_ceiling.erl is the pipe alone). MODES says how Python moves a frame:
%% readv (into one reused buffer, then sendall: what pyinet does) or fresh (a
%% new bytearray each); space-separated, each run twice.
%%
%%   erlc -o /tmp bench/send_ceiling.erl && MODES="readv fresh" erl -noshell -pa /tmp -s send_ceiling
-module(send_ceiling).
-export([start/0]).
-define(PY,
"import fcntl, os, socket, sys, struct\n"
"fcntl.fcntl(0, 1031, 1 << 20)\n"
"mode, port, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
"s = socket.create_connection(('127.0.0.1', port))\n"
"buf = bytearray(1 << 20); hdr = bytearray(4)\n"
"left = total\n"
"def readn(view):\n"
"    got = 0\n"
"    while got < len(view):\n"
"        got += os.readv(0, [view[got:]])\n"
"while left > 0:\n"
"    readn(memoryview(hdr)); n = struct.unpack('>I', hdr)[0]; left -= 4 + n\n"
"    if mode == 'fresh':\n"
"        b = bytearray(n); readn(memoryview(b)); s.sendall(b)\n"
"    else:\n"
"        v = memoryview(buf)[:n]; readn(v); s.sendall(v)\n"
"s.close()\n"
"os.write(1, b'\\0\\0\\0\\1x')\n").
start() ->
    Python = os:getenv("PYINET_PYTHON", "python3"),
    [begin
         R = run(Python, Mode),
         io:format("~s: ~w MB/s~n", [Mode, round(R)])
     end || Mode <- string:lexemes(os:getenv("MODES", "readv"), " "), _ <- [1, 2]],
    halt().
run(Python, Mode) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {recbuf, 1 bsl 20}]),
    {ok, Port} = inet:port(L),
    Frame = binary:copy(<<"x">>, 65536),
    Count = 16384,
    Total = Count * (4 + byte_size(Frame)),
    P = open_port({spawn_executable, os:find_executable(Python)},
                  [{args, ["-c", ?PY, Mode, integer_to_list(Port), integer_to_list(Total)]},
                   {packet, 4}, binary]),
    {ok, A} = gen_tcp:accept(L),
    Self = self(),
    spawn_link(fun() -> drain(A, Count * 65536), Self ! drained end),
    T0 = erlang:monotonic_time(microsecond),
    [port_command(P, Frame) || _ <- lists:seq(1, Count)],
    receive drained -> ok end,
    T1 = erlang:monotonic_time(microsecond),
    receive {P, {data, <<"x">>}} -> ok end,
    port_close(P), gen_tcp:close(L),
    Count * 65536 / (T1 - T0).
drain(_A, N) when N =< 0 -> ok;
drain(A, N) -> {ok, B} = gen_tcp:recv(A, 0), drain(A, N - byte_size(B)).
