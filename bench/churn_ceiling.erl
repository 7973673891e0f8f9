%% The ceiling of pyinet's connection churn: the bench's loop (connect,
%% accept, send one byte, recv it, close both) with both ends hosted by a
%% Python program that does nothing else. Its requests are a byte and a few
%% integers, not terms; connect, accept and recv are waited for, send and
%% close are not, as on pyinet; it polls awake for 100 us after activity, as
%% pyinet's loop does (bridge/loop.py). The port's owner is the caller, where
%% pyinet's replies pass through its router. So any port program pays at
%% least this for a connection; native gen_tcp runs in the same node, in turn.
%%
%%   erlc -o /tmp bench/churn_ceiling.erl && erl -noshell -pa /tmp -s churn_ceiling
-module(churn_ceiling).
-export([start/0]).
-define(PY,
"import os, select, socket, struct, time\n"
"os.set_blocking(0, False)\n"
"ep = select.epoll(); ep.register(0, select.EPOLLIN)\n"
"socks = {}; buf = b''\n"
"def reply(b): os.write(1, struct.pack('>I', len(b)) + b)\n"
"def handle(f):\n"
"    op = f[0]\n"
"    if op == 6:\n"
"        s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(128)\n"
"        socks[s.fileno()] = s; reply(struct.pack('>IH', s.fileno(), s.getsockname()[1]))\n"
"    elif op == 1:\n"
"        s = socket.socket(); s.connect(('127.0.0.1', struct.unpack_from('>H', f, 1)[0]))\n"
"        s.setblocking(False); socks[s.fileno()] = s; reply(struct.pack('>I', s.fileno()))\n"
"    elif op == 2:\n"
"        c, _ = socks[struct.unpack_from('>I', f, 1)[0]].accept()\n"
"        c.setblocking(False); socks[c.fileno()] = c; reply(struct.pack('>I', c.fileno()))\n"
"    elif op == 3:\n"
"        socks[struct.unpack_from('>I', f, 1)[0]].send(f[5:])\n"
"    elif op == 4:\n"
"        s = socks[struct.unpack_from('>I', f, 1)[0]]\n"
"        while True:\n"
"            try: reply(s.recv(struct.unpack_from('>I', f, 5)[0])); break\n"
"            except BlockingIOError: select.select([s], [], [])\n"
"    elif op == 5:\n"
"        socks.pop(struct.unpack_from('>I', f, 1)[0]).close()\n"
"busy = False\n"
"while True:\n"
"    ev = []\n"
"    if busy:\n"
"        until = time.monotonic() + 0.0001\n"
"        while not ev and time.monotonic() < until: ev = ep.poll(0)\n"
"    if not ev: ev = ep.poll()\n"
"    busy = True\n"
"    try: data = os.read(0, 65536)\n"
"    except BlockingIOError: continue\n"
"    if not data: break\n"
"    buf += data\n"
"    while len(buf) >= 4 and len(buf) >= 4 + struct.unpack_from('>I', buf)[0]:\n"
"        n = struct.unpack_from('>I', buf)[0]; handle(buf[4:4 + n]); buf = buf[4 + n:]\n").
start() ->
    Python = os:getenv("PYINET_PYTHON", "python3"),
    N = list_to_integer(os:getenv("N", "5000")),
    Runs = [{native(N), ceiling(Python, N)} || _ <- lists:seq(1, 5)],
    io:format("churn, connections/s: native ~w, port program ceiling ~w "
              "(median ~w / ~w: ~.2f of native)~n",
              [[round(A) || {A, _} <- Runs], [round(B) || {_, B} <- Runs],
               round(median([A || {A, _} <- Runs])), round(median([B || {_, B} <- Runs])),
               median([B / A || {A, B} <- Runs])]),
    halt().
median(L) -> lists:nth(3, lists:sort(L)).
native(N) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {backlog, 128}]),
    {ok, Port} = inet:port(L),
    T0 = erlang:monotonic_time(microsecond),
    [begin
         {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, [binary, {active, false}]),
         {ok, A} = gen_tcp:accept(L),
         ok = gen_tcp:send(C, <<"x">>),
         {ok, <<"x">>} = gen_tcp:recv(A, 1),
         ok = gen_tcp:close(C),
         ok = gen_tcp:close(A)
     end || _ <- lists:seq(1, N)],
    T1 = erlang:monotonic_time(microsecond),
    gen_tcp:close(L),
    N * 1.0e6 / (T1 - T0).
ceiling(Python, N) ->
    P = open_port({spawn_executable, os:find_executable(Python)},
                  [{args, ["-c", ?PY]}, {packet, 4}, binary]),
    <<L:32, Port:16>> = call(P, <<6>>),
    T0 = erlang:monotonic_time(microsecond),
    [begin
         <<C:32>> = call(P, <<1, Port:16>>),
         <<A:32>> = call(P, <<2, L:32>>),
         true = port_command(P, <<3, C:32, "x">>),
         <<"x">> = call(P, <<4, A:32, 1:32>>),
         true = port_command(P, <<5, C:32>>),
         true = port_command(P, <<5, A:32>>)
     end || _ <- lists:seq(1, N)],
    T1 = erlang:monotonic_time(microsecond),
    port_close(P),
    N * 1.0e6 / (T1 - T0).
call(P, Request) ->
    true = port_command(P, Request),
    receive {P, {data, Reply}} -> Reply end.
