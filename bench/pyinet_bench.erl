%% Workloads for `make bench`, each run on native gen_tcp and on pyinet in the
%% same node. bench/run.py calls run/1 with one workload and backend per call and
%% reads one line of Erlang terms back: {result, Name, Unit, Value}.
%%
%% The peer of the socket under test is always native and in this node, so the
%% difference between the two runs is the cost of the backend on one side.
-module(pyinet_bench).

-export([run/1, main/1, jobs/1, remote_client/3, dist_client/2, dist_stream/3, dist_echo/0,
         dist_sink/3]).

-define(TIMEOUT, 600000).

%% Command line: erl ... -eval 'pyinet_bench:main(["throughput", "pyinet", ...])'.
main([Workload, Backend | Args]) ->
    Result = run([list_to_atom(Workload), list_to_atom(Backend) | [to_term(A) || A <- Args]]),
    [io:format("~0p.~n", [R]) || R <- Result],
    halt(0).

%% Run the jobs listed in File ({Id, Args} terms), printing {Id, Results} for
%% each, so that one node serves a whole benchmark run.
jobs(File) ->
    {ok, Jobs} = file:consult(File),
    [io:format("~0p.~n", [{Id, run_isolated(Args)}]) || {Id, Args} <- Jobs],
    halt(0).

%% Each job in a process of its own: what one job leaves behind (tcp_closed and
%% 'EXIT' messages, linked helpers) must not slow the next; a mailbox of 30,000
%% stale messages made every later native send scan it.
run_isolated(Args) ->
    {Pid, MRef} = spawn_monitor(fun() ->
                                        exit({done, try run(Args) catch C:R -> [{failed, C, R}] end})
                                end),
    receive
        {'DOWN', MRef, process, Pid, {done, Results}} -> Results;
        {'DOWN', MRef, process, Pid, Reason} -> [{failed, exit, Reason}]
    end.

to_term(A) ->
    case string:to_integer(A) of
        {N, ""} -> N;
        _ -> list_to_atom(A)
    end.

opts(native, Opts) -> Opts;
opts(pyinet, Opts) -> [{tcp_module, pyinet_tcp} | Opts].

%% sctp: Count messages of Size bytes from one one-to-many socket to another,
%% both on the backend (native: gen_sctp on kernel SCTP; kernel and userland:
%% pyinet_sctp on that SCTP), round robin on five streams, received passively.
%% A send the stack cannot take now ({error, eagain}: gen_sctp never queues)
%% is tried again after a millisecond, at most 10,000 times in a row.
run([sctp, Backend, Size, Count]) ->
    {M, Extra} = case Backend of
                     native -> {gen_sctp, []};
                     _ -> {pyinet_sctp, [{sctp_backend, Backend}]}
                 end,
    Opts = [{ip, {127, 0, 0, 1}}, binary, {recbuf, 1 bsl 20}, {sndbuf, 1 bsl 20},
            {sctp_initmsg, {sctp_initmsg, 5, 5, 0, 0}} | Extra],
    {ok, Srv} = M:open(Opts),
    {ok, SP} = inet:port(Srv),
    ok = M:listen(Srv, true),
    {ok, Cli} = M:open(Opts),
    {ok, Assoc} = M:connect(Cli, {127, 0, 0, 1}, SP, [], 10000),
    Data = binary:copy(<<"s">>, Size),
    T0 = erlang:monotonic_time(microsecond),
    spawn_link(fun() -> sctp_send(M, Cli, Assoc, Data, 0, Count) end),
    Got = sctp_recv(M, Srv, Count, 0),
    T1 = erlang:monotonic_time(microsecond),
    M:close(Cli),
    M:close(Srv),
    Seconds = (T1 - T0) / 1.0e6,
    [{result, sctp_msgs, 'msg/s', Count / Seconds}, {result, sctp_mbps, 'MB/s', Got / Seconds / 1.0e6}];

%% throughput: Bytes streamed in Chunk-sized sends. Direction `out` sends from a
%% socket of the backend to a native reader; `in` sends from native to a reader on
%% the backend, receiving passively (recv 0) or with {active, once}.
run([throughput, Backend, Direction, Mode, Chunk, Bytes]) ->
    {ok, L} = gen_tcp:listen(0, opts(reader_backend(Backend, Direction),
                                     [binary, {active, false}, {recbuf, 1 bsl 20}])),
    {ok, Port} = inet:port(L),
    Self = self(),
    Reader = spawn_link(fun() ->
                                {ok, A} = gen_tcp:accept(L),
                                Self ! ready,
                                receive go -> ok end,
                                read(A, Mode, Bytes),
                                Self ! done
                        end),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                              opts(writer_backend(Backend, Direction),
                                   [binary, {active, false}, {sndbuf, 1 bsl 20}])),
    receive ready -> ok end,
    Data = binary:copy(<<"x">>, Chunk),
    T0 = erlang:monotonic_time(microsecond),
    Reader ! go,
    write(C, Data, Bytes),
    receive done -> ok after ?TIMEOUT -> exit(timeout) end,
    T1 = erlang:monotonic_time(microsecond),
    gen_tcp:close(C),
    gen_tcp:close(L),
    [{result, throughput, 'MB/s', Bytes / (T1 - T0)}];

%% ping-pong: 64-byte {packet, 4} messages to a native echo server, one at a time.
run([pingpong, Backend, Count]) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {packet, 4}, {nodelay, true}]),
    {ok, Port} = inet:port(L),
    spawn_link(fun() -> {ok, A} = gen_tcp:accept(L), echo(A) end),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                              opts(Backend, [binary, {active, false}, {packet, 4},
                                             {nodelay, true}])),
    Msg = binary:copy(<<"p">>, 64),
    [round_trip(C, Msg) || _ <- lists:seq(1, 200)],
    Times = [round_trip(C, Msg) || _ <- lists:seq(1, Count)],
    gen_tcp:close(C),
    gen_tcp:close(L),
    Sorted = lists:sort(Times),
    Total = lists:sum(Times),
    [{result, round_trips, 'rt/s', Count * 1.0e6 / Total},
     {result, rtt_p50, us, percentile(Sorted, 50)},
     {result, rtt_p99, us, percentile(Sorted, 99)}];

%% churn: connect, accept, one byte, close, both ends on the backend.
run([churn, Backend, Count]) ->
    {ok, L} = gen_tcp:listen(0, opts(Backend, [binary, {active, false}, {backlog, 128}])),
    {ok, Port} = inet:port(L),
    T0 = erlang:monotonic_time(microsecond),
    [begin
         {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, opts(Backend, [binary, {active, false}])),
         {ok, A} = gen_tcp:accept(L),
         ok = gen_tcp:send(C, <<"x">>),
         {ok, <<"x">>} = gen_tcp:recv(A, 1),
         ok = gen_tcp:close(C),
         ok = gen_tcp:close(A)
     end || _ <- lists:seq(1, Count)],
    T1 = erlang:monotonic_time(microsecond),
    gen_tcp:close(L),
    [{result, churn, 'conn/s', Count * 1.0e6 / (T1 - T0)}];

%% idle: Count connections from the backend to a plain Python listener, held open;
%% memory of the BEAM and of the port program per connection.
run([idle, Backend, Count]) ->
    %% The accepting ends live in another OS process: this node's descriptors
    %% (20,000 may be all it gets) and memory are then the connections measured.
    {Peer, Port} = peer_listener(),
    %% A fresh port program: one that served earlier workloads reuses freed
    %% memory, which would hide what connections cost.
    Backend =:= pyinet andalso begin application:stop(pyinet), ok = pyinet:start() end,
    garbage_collect(),
    Beam0 = erlang:memory(total),
    Py0 = python_rss(Backend),
    Cs = [begin
              {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, opts(Backend, [binary, {active, true}])),
              C
          end || _ <- lists:seq(1, Count)],
    timer:sleep(500),
    garbage_collect(),
    Beam1 = erlang:memory(total),
    Py1 = python_rss(Backend),
    [gen_tcp:close(C) || C <- Cs],
    port_close(Peer),
    [{result, idle_beam_memory, 'B/conn', (Beam1 - Beam0) / Count},
     {result, idle_python_memory, 'B/conn', (Py1 - Py0) / Count}];

%% echo: Count connections from the backend to native echo servers, each
%% exchanging Rounds 1 KiB messages ({packet, 4}) at the same time.
run([echo, Backend, Count, Rounds, Pool]) ->
    %% The same, with a pool of Pool port programs.
    Backend =:= pyinet andalso begin
                                   application:stop(pyinet),
                                   application:set_env(pyinet, routers, Pool),
                                   ok = pyinet:start()
                               end,
    try run([echo, Backend, Count, Rounds])
    after Backend =:= pyinet andalso application:unset_env(pyinet, routers)
    end;
run([echo, Backend, Count, Rounds]) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {packet, 4}, {backlog, 1024}]),
    {ok, Port} = inet:port(L),
    spawn_link(fun() -> echo_acceptor(L) end),
    Self = self(),
    Msg = binary:copy(<<"e">>, 1024),
    %% Each client connects its own socket: a process's sockets live in one
    %% port program, so that is what spreads them over a pool.
    Pids = [spawn_link(fun() ->
                               {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                                                         opts(Backend, [binary, {active, false},
                                                                        {packet, 4}])),
                               Self ! {ready, self()},
                               receive go -> ok end,
                               [round_trip(C, Msg) || _ <- lists:seq(1, Rounds)],
                               Self ! {done, self()},
                               receive stop -> gen_tcp:close(C) end
                       end) || _ <- lists:seq(1, Count)],
    [receive {ready, P} -> ok after ?TIMEOUT -> exit(connect_timeout) end || P <- Pids],
    T0 = erlang:monotonic_time(microsecond),
    [P ! go || P <- Pids],
    [receive {done, P} -> ok after ?TIMEOUT -> exit(echo_timeout) end || P <- Pids],
    T1 = erlang:monotonic_time(microsecond),
    [P ! stop || P <- Pids],
    gen_tcp:close(L),
    [{result, echo, 'msg/s', Count * Rounds * 1.0e6 / (T1 - T0)}];

%% remote: ping-pong by a process on another node. On pyinet its socket is
%% hosted by this node's port programs (bridge_node); natively it is a socket of
%% its own node, the only way native gen_tcp can serve such a process.
run([remote, Backend, Count]) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {packet, 4}, {nodelay, true}]),
    {ok, Port} = inet:port(L),
    spawn_link(fun() -> {ok, A} = gen_tcp:accept(L), echo(A) end),
    Peer = bench_peer(),
    case Backend of
        pyinet -> ok = erpc:call(Peer, application, set_env, [pyinet, bridge_node, node()]);
        native -> ok
    end,
    Times = erpc:call(Peer, ?MODULE, remote_client, [Backend, Port, Count], ?TIMEOUT),
    gen_tcp:close(L),
    Sorted = lists:sort(Times),
    [{result, rtt_p50, us, percentile(Sorted, 50)},
     {result, round_trips, 'rt/s', Count * 1.0e6 / lists:sum(Times)}];

%% dist: Erlang distribution between two peer nodes, over pyinet_dist
%% (-proto_dist pyinet) or the default inet_tcp_dist: a message round trip
%% between processes on the two nodes, and 64 KiB messages streamed one way.
run([dist, Backend, Count, Bytes]) ->
    {PA, A} = dist_peer(Backend),
    {PB, B} = dist_peer(Backend),
    try
        Times = erpc:call(A, ?MODULE, dist_client, [B, Count], ?TIMEOUT),
        MBs = erpc:call(A, ?MODULE, dist_stream, [B, 65536, Bytes], ?TIMEOUT),
        Sorted = lists:sort(Times),
        [{result, rtt_p50, us, percentile(Sorted, 50)},
         {result, dist_throughput, 'MB/s', MBs}]
    after
        peer:stop(PA),
        peer:stop(PB)
    end.

%% On the peer node.
remote_client(Backend, Port, Count) ->
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                              opts(Backend, [binary, {active, false}, {packet, 4},
                                             {nodelay, true}])),
    Msg = binary:copy(<<"p">>, 64),
    [round_trip(C, Msg) || _ <- lists:seq(1, 100)],
    Times = [round_trip(C, Msg) || _ <- lists:seq(1, Count)],
    gen_tcp:close(C),
    Times.

%% On node A: round trips to an echo process on B.
dist_client(B, Count) ->
    Echo = spawn(B, ?MODULE, dist_echo, []),
    Msg = binary:copy(<<"p">>, 64),
    RoundTrip = fun() ->
                        T0 = erlang:monotonic_time(microsecond),
                        Echo ! {self(), Msg},
                        receive {Echo, _} -> ok end,
                        erlang:monotonic_time(microsecond) - T0
                end,
    [RoundTrip() || _ <- lists:seq(1, 100)],
    Times = [RoundTrip() || _ <- lists:seq(1, Count)],
    Echo ! stop,
    Times.

dist_echo() ->
    receive
        {From, Msg} -> From ! {self(), Msg}, dist_echo();
        stop -> ok
    end.

%% On node A: Bytes in Chunk-sized messages to a sink on B, at most 32 in
%% flight (the sink acknowledges every 16th); MB/s.
dist_stream(B, Chunk, Bytes) ->
    N = Bytes div Chunk,
    Sink = spawn(B, ?MODULE, dist_sink, [self(), N, 0]),
    Data = binary:copy(<<"s">>, Chunk),
    T0 = erlang:monotonic_time(microsecond),
    stream(Sink, Data, N, 0),
    receive {Sink, done} -> ok end,
    T = erlang:monotonic_time(microsecond) - T0,
    N * Chunk / T.

stream(_Sink, _Data, 0, _InFlight) ->
    ok;
stream(Sink, Data, N, InFlight) when InFlight >= 32 ->
    receive {Sink, acked} -> stream(Sink, Data, N, InFlight - 16) end;
stream(Sink, Data, N, InFlight) ->
    Sink ! {data, Data},
    stream(Sink, Data, N - 1, InFlight + 1).

dist_sink(From, N, N) ->
    From ! {self(), done};
dist_sink(From, N, Got) ->
    receive
        {data, _} ->
            (Got + 1) rem 16 =:= 0 andalso (From ! {self(), acked}),
            dist_sink(From, N, Got + 1)
    end.

dist_peer(Backend) ->
    Ebin = filename:dirname(code:which(pyinet_tcp)),
    Here = filename:dirname(code:which(?MODULE)),
    Proto = case Backend of
                pyinet -> ["-proto_dist", "pyinet"];
                native -> []
            end,
    {ok, Pid, Node} = peer:start(#{name => peer:random_name(pyinet_dist_bench),
                                   args => ["-pa", Ebin, "-pa", Here | Proto]}),
    {Pid, Node}.

bench_peer() ->
    case get(bench_peer) of
        undefined ->
            Ebin = filename:dirname(code:which(pyinet_tcp)),
            Here = filename:dirname(code:which(?MODULE)),
            {ok, _Pid, Node} = peer:start(#{name => peer:random_name(pyinet_bench),
                                            args => ["-pa", Ebin, "-pa", Here]}),
            put(bench_peer, Node),
            Node;
        Node ->
            Node
    end.

%%% Internal.

reader_backend(Backend, in) -> Backend;
reader_backend(_, out) -> native.

writer_backend(Backend, out) -> Backend;
writer_backend(_, in) -> native.

write(_C, _Data, Left) when Left =< 0 -> ok;
write(C, Data, Left) ->
    ok = gen_tcp:send(C, Data),
    write(C, Data, Left - byte_size(Data)).

read(_A, _Mode, Left) when Left =< 0 -> ok;
read(A, passive, Left) ->
    {ok, B} = gen_tcp:recv(A, 0),
    read(A, passive, Left - byte_size(B));
read(A, once, Left) ->
    ok = inet:setopts(A, [{active, once}]),
    receive
        {tcp, A, B} -> read(A, once, Left - byte_size(B));
        {tcp_closed, A} -> exit(closed)
    end.

round_trip(C, Msg) ->
    T0 = erlang:monotonic_time(nanosecond),
    ok = gen_tcp:send(C, Msg),
    {ok, _} = gen_tcp:recv(C, 0),
    (erlang:monotonic_time(nanosecond) - T0) / 1000.

echo(A) ->
    case gen_tcp:recv(A, 0) of
        {ok, D} -> ok = gen_tcp:send(A, D), echo(A);
        {error, _} -> ok
    end.

echo_acceptor(L) ->
    case gen_tcp:accept(L) of
        {ok, A} ->
            P = spawn(fun() -> receive go -> echo(A) end end),
            ok = gen_tcp:controlling_process(A, P),
            P ! go,
            echo_acceptor(L);
        {error, _} ->
            ok
    end.

%% A Python process that accepts and holds connections until its stdin closes;
%% {Port, TcpPort}.
peer_listener() ->
    Code = "import selectors, socket, sys\n"
           "l = socket.create_server(('127.0.0.1', 0), backlog=4096)\n"
           "print(l.getsockname()[1], flush=True)\n"
           "sel = selectors.DefaultSelector()\n"
           "sel.register(l, selectors.EVENT_READ)\n"
           "sel.register(sys.stdin, selectors.EVENT_READ)\n"
           "held = []\n"
           "while all(key.fileobj is l for key, _ in sel.select()):\n"
           "    held.append(l.accept()[0])\n",
    Python = os:getenv("PYINET_PYTHON", "python3"),
    P = open_port({spawn_executable, os:find_executable(Python)},
                  [{args, ["-c", Code]}, {line, 64}, use_stdio]),
    receive
        {P, {data, {eol, Line}}} -> {P, list_to_integer(Line)}
    after ?TIMEOUT -> exit(peer_listener_timeout)
    end.

percentile(Sorted, P) ->
    lists:nth(max(1, round(length(Sorted) * P / 100)), Sorted).

python_rss(native) ->
    0;
python_rss(pyinet) ->
    ok = pyinet:start(),
    lists:sum([rss_of(OsPid) || #{os_pid := OsPid} <- pyinet:info()]).

rss_of(OsPid) ->
    {ok, Status} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb | _] = string:lexemes(binary_to_list(Line), " \t"),
    list_to_integer(Kb) * 1024.

sctp_send(_M, _S, _A, _Data, Count, Count) ->
    ok;
sctp_send(M, S, A, Data, N, Count) ->
    sctp_send_one(M, S, A, N rem 5, Data, 10000),
    sctp_send(M, S, A, Data, N + 1, Count).

sctp_send_one(M, S, A, Stream, Data, Tries) ->
    case M:send(S, A, Stream, Data) of
        ok -> ok;
        {error, eagain} when Tries > 0 ->
            timer:sleep(1),
            sctp_send_one(M, S, A, Stream, Data, Tries - 1)
    end.

%% Bytes of Count data messages (events skipped).
sctp_recv(_M, _S, 0, Bytes) ->
    Bytes;
sctp_recv(M, S, Count, Bytes) ->
    case M:recv(S, ?TIMEOUT) of
        {ok, {_, _, [_ | _], Data}} when is_binary(Data) -> sctp_recv(M, S, Count - 1, Bytes + byte_size(Data));
        {ok, _Event} -> sctp_recv(M, S, Count, Bytes)
    end.
