%% The ceiling of pyinet's BEAM-receiving throughput: 1 GiB from a native
%% gen_tcp sender in 64 KiB sends, read by a Python program that does nothing
%% else (recv_into 1 MiB, then one writev of a {packet, 4} frame to its
%% stdout, a 1 MiB pipe), counted by the port's owner. What any port program
%% can give a BEAM reader, with no protocol at all.
%%
%%   erlc -o /tmp bench/recv_ceiling.erl && erl -noshell -pa /tmp -s recv_ceiling
-module(recv_ceiling).
-export([start/0]).
-define(PY,
"import os, socket, struct, sys\n"
"import fcntl; fcntl.fcntl(1, 1031, 1 << 20)\n"
"s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
"buf = bytearray(1 << 20); view = memoryview(buf)\n"
"while True:\n"
"    n = s.recv_into(buf)\n"
"    if not n: break\n"
"    os.writev(1, [struct.pack('>I', n), view[:n]])\n").
start() ->
    Python = os:getenv("PYINET_PYTHON", "python3"),
    Rates = [run(Python) || _ <- lists:seq(1, 5)],
    io:format("receive ceiling, TCP to Python to BEAM: ~w MB/s (median ~w)~n",
              [[round(R) || R <- Rates], round(lists:nth(3, lists:sort(Rates)))]),
    halt().
run(Python) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {sndbuf, 1 bsl 20}]),
    {ok, Port} = inet:port(L),
    P = open_port({spawn_executable, os:find_executable(Python)},
                  [{args, ["-c", ?PY, integer_to_list(Port)]}, {packet, 4}, binary]),
    {ok, A} = gen_tcp:accept(L),
    Total = 1024 bsl 20,
    Chunk = binary:copy(<<"x">>, 65536),
    T0 = erlang:monotonic_time(microsecond),
    spawn_link(fun() -> [ok = gen_tcp:send(A, Chunk) || _ <- lists:seq(1, Total div 65536)] end),
    count(P, Total),
    T1 = erlang:monotonic_time(microsecond),
    gen_tcp:close(A), port_close(P), gen_tcp:close(L),
    Total / (T1 - T0).
count(_P, N) when N =< 0 -> ok;
count(P, N) -> receive {P, {data, B}} -> count(P, N - byte_size(B)) end.
