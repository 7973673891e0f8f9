%% Reliability: faults and load must not lose, reorder or leak anything.
%% Figures (peak memory, descriptors) are written to the test log with ct:pal.
-module(pyinet_reliability_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([active_owner_not_reading/1, busy_owner_keeps_receiving/1, peer_not_reading/1, open_close_cycles/1,
         owner_crashes/1, integrity_parallel/1, killed_under_load/1]).

-define(PY, [{tcp_module, pyinet_tcp}]).
-define(GiB, (1 bsl 30)).

suite() ->
    [{timetrap, {minutes, 10}}].

all() ->
    [active_owner_not_reading, busy_owner_keeps_receiving, peer_not_reading, open_close_cycles, owner_crashes,
     integrity_parallel, killed_under_load].

init_per_suite(Config) ->
    %% One port program, so that "the" port program is well defined here
    %% (pyinet_pool_SUITE is about several).
    application:stop(pyinet),
    application:load(pyinet),
    application:set_env(pyinet, routers, 1),
    ok = pyinet:start(),
    Config.

end_per_suite(_Config) ->
    application:stop(pyinet).

%%% Backpressure.

%% 1 GiB offered to an {active, true} pyinet socket whose owner does not read for
%% a while: both processes stay small, then every byte arrives, in order.
active_owner_not_reading(_Config) ->
    {ok, L} = gen_tcp:listen(0, ?PY ++ [binary, {active, true}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    Sender = spawn_link(fun() -> Self ! {sent, send_stream(Port, ?GiB)} end),
    {ok, A} = gen_tcp:accept(L),
    %% Not reading: measure while the data piles up wherever it can.
    Peak = sample_memory(3000),
    ct:pal("owner not reading, 1 GiB offered: peak BEAM ~p MiB, Python ~p MiB",
           [element(1, Peak) div (1 bsl 20), element(2, Peak) div (1 bsl 20)]),
    ?assert(element(1, Peak) < 100 bsl 20),
    ?assert(element(2, Peak) < 100 bsl 20),
    Got = read_active(A, ?GiB, crypto:hash_init(sha256)),
    receive {sent, Digest} -> ?assertEqual(Digest, Got) end,
    unlink(Sender),
    [gen_tcp:close(S) || S <- [A, L]].

%% An owner whose mailbox stays long (3000 messages it leaves unread) while an
%% {active, true} socket streams to it: that socket is held back, but a passive
%% recv on its other socket is answered, and a selective receive of the stream
%% gets all of it (the holding back gives up when the mailbox does not shrink).
busy_owner_keeps_receiving(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {packet, 4}]),
    {ok, Port} = inet:port(L),
    Packets = 20000,
    Test = self(),
    Owner = spawn_link(
              fun() ->
                      Opts = ?PY ++ [binary, {packet, 4}],
                      {ok, X} = gen_tcp:connect({127, 0, 0, 1}, Port, [{active, true} | Opts]),
                      {ok, Y} = gen_tcp:connect({127, 0, 0, 1}, Port, [{active, false} | Opts]),
                      [self() ! {unread, I} || I <- lists:seq(1, 3000)],
                      Test ! {ready, self()},
                      receive go -> ok end,
                      Recv = gen_tcp:recv(Y, 0, 3000),
                      Stream = receive_stream(X, 1, Packets),
                      {message_queue_len, Unread} = process_info(self(), message_queue_len),
                      Test ! {done, Recv, Stream, Unread}
              end),
    {ok, XPeer} = gen_tcp:accept(L),
    {ok, YPeer} = gen_tcp:accept(L),
    receive {ready, Owner} -> ok end,
    Sender = spawn_link(fun() ->
                                [ok = gen_tcp:send(XPeer, <<I:32, (chunk(1000))/binary>>)
                                 || I <- lists:seq(1, Packets)]
                        end),
    timer:sleep(500),  % the stream is held back by now
    Owner ! go,
    timer:sleep(200),  % the recv is waiting, with Y not read from
    ok = gen_tcp:send(YPeer, <<"hello">>),
    receive
        {done, Recv, Stream, Unread} ->
            ?assertEqual({ok, <<"hello">>}, Recv),
            ?assertEqual(complete, Stream),
            ?assertEqual(3000, Unread)
    after 120000 ->
            ct:fail(owner_stuck)
    end,
    unlink(Sender),
    [gen_tcp:close(S) || S <- [XPeer, YPeer, L]].

receive_stream(_X, N, Last) when N > Last ->
    complete;
receive_stream(X, N, Last) ->
    receive
        {tcp, X, <<N:32, _/binary>>} -> receive_stream(X, N + 1, Last);
        {tcp, X, <<Other:32, _/binary>>} -> {out_of_order, N, Other};
        {tcp_closed, X} -> {closed_early, N}
    after 30000 -> {stalled, N}
    end.

%% A pyinet socket sending 1 GiB to a peer that does not read for a while: the
%% sender blocks at the high watermark; nothing grows.
peer_not_reading(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    spawn_link(fun() ->
                       {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?PY ++ [binary]),
                       Self ! {sent, send_all(C, ?GiB, crypto:hash_init(sha256))}
               end),
    {ok, A} = gen_tcp:accept(L),
    Peak = sample_memory(3000),
    ct:pal("peer not reading, 1 GiB offered: peak BEAM ~p MiB, Python ~p MiB",
           [element(1, Peak) div (1 bsl 20), element(2, Peak) div (1 bsl 20)]),
    ?assert(element(1, Peak) < 100 bsl 20),
    ?assert(element(2, Peak) < 100 bsl 20),
    Got = read_passive(A, ?GiB, crypto:hash_init(sha256)),
    receive {sent, Digest} -> ?assertEqual(Digest, Got) end,
    [gen_tcp:close(S) || S <- [A, L]].

%%% Leaks.

open_close_cycles(_Config) ->
    {ok, L} = gen_tcp:listen(0, ?PY ++ [binary, {active, false}, {backlog, 128}]),
    {ok, Port} = inet:port(L),
    cycle(L, Port, 200),  % warm up the allocator before the baseline
    Before = settled_resources(L),
    cycle(L, Port, 10000),
    After = settled_resources(L),
    ct:pal("10,000 open/close cycles: Python before ~p, after ~p", [Before, After]),
    ?assertEqual(fds(Before), fds(After)),
    ?assert(rss(After) - rss(Before) < 8 bsl 20),
    gen_tcp:close(L).

cycle(_L, _Port, 0) -> ok;
cycle(L, Port, N) ->
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?PY ++ [binary, {active, false}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(C, <<"x">>),
    {ok, <<"x">>} = gen_tcp:recv(A, 1),
    ok = gen_tcp:close(C),
    ok = gen_tcp:close(A),
    cycle(L, Port, N - 1).

owner_crashes(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {backlog, 1024}]),
    {ok, Port} = inet:port(L),
    %% Accept and hold every connection: only the owners' deaths close them.
    Holder = spawn_link(fun() -> hold(L, []) end),
    %% As many as are measured, first: 2,000 sockets at once take the
    %% allocator to a high-water mark that Python keeps (3.13 more than 3.11),
    %% which is not a leak; a leak grows again on the second round.
    crash_owners(Port, 1000),
    wait_for(fun() -> pyinet:sockets() =:= [] end),
    Before = python_resources(),
    crash_owners(Port, 1000),
    wait_for(fun() -> pyinet:sockets() =:= [] andalso fds(python_resources()) =:= fds(Before) end),
    After = python_resources(),
    ct:pal("1,000 owner crashes: Python before ~p, after ~p", [Before, After]),
    ?assert(rss(After) - rss(Before) < 8 bsl 20),
    unlink(Holder),
    exit(Holder, kill),
    gen_tcp:close(L).

hold(L, Held) ->
    case gen_tcp:accept(L) of
        {ok, A} -> hold(L, [A | Held]);
        {error, _} -> ok
    end.

crash_owners(Port, N) ->
    Self = self(),
    Pids = [spawn(fun() ->
                          {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?PY ++ [binary]),
                          {ok, L} = gen_tcp:listen(0, ?PY),
                          Self ! {up, self(), C, L},
                          receive never -> ok end
                  end) || _ <- lists:seq(1, N)],
    [receive {up, P, _, _} -> ok end || P <- Pids],
    [exit(P, crash) || P <- Pids],
    ok.

%%% Integrity.

%% 1,000 connections at once, half from pyinet to native and half the other way,
%% each with its own packet type, size (0 to 1 MiB) and fragmenting.
integrity_parallel(_Config) ->
    rand:seed(exsss, {1, 2, 3}),
    Specs = [{I rem 2 =:= 0, lists:nth(rand:uniform(5), [raw, 1, 2, 4, line]),
              size_sample(), rand:uniform(65536)} || I <- lists:seq(1, 1000)],
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {checked, self(), transfer(Spec)} end) || Spec <- Specs],
    Results = [receive {checked, P, R} -> R after 300000 -> timeout end || P <- Pids],
    Bytes = lists:sum([S || {_, _, S, _} <- Specs]),
    ct:pal("1,000 parallel transfers, ~p MiB, every byte checked", [Bytes div (1 bsl 20)]),
    ?assertEqual([], [R || R <- Results, R =/= ok]).

size_sample() ->
    trunc(math:pow(2, rand:uniform() * 20)) - 1.

transfer({PyinetSends, Packet, Size, MaxFrag}) ->
    {SOpts, ROpts} = case PyinetSends of
                         true -> {?PY, []};
                         false -> {[], ?PY}
                     end,
    {ok, L} = gen_tcp:listen(0, ROpts ++ [binary, {active, false}, {packet, Packet}]),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, SOpts ++ [binary, {packet, Packet}]),
    {ok, A} = gen_tcp:accept(L),
    gen_tcp:close(L),
    Messages = messages(Packet, Size, MaxFrag),
    Self = self(),
    spawn_link(fun() -> [ok = gen_tcp:send(C, M) || M <- Messages], Self ! sent end),
    Expected = iolist_to_binary(Messages),
    %% By bytes, not messages: a line longer than the receive buffer arrives in pieces.
    Got = iolist_to_binary(read_raw(A, byte_size(Expected))),
    receive sent -> ok end,
    [gen_tcp:close(S) || S <- [C, A]],
    case Got =:= Expected of
        true -> ok;
        false -> {mismatch, Packet, Size}
    end.

messages(line, Size, MaxFrag) ->
    [line(min(Size - Off, MaxFrag)) || Off <- offsets(Size, MaxFrag)];
messages(Packet, Size, MaxFrag) ->
    Max = case Packet of 1 -> 255; 2 -> 65535; _ -> MaxFrag end,
    [crypto:strong_rand_bytes(min(Size - Off, min(Max, MaxFrag))) || Off <- offsets(Size, min(Max, MaxFrag))].

%% A line of N bytes (at least the newline), no newline inside.
line(N) ->
    Body = << <<(B bor 16#80)>> || <<B>> <= crypto:strong_rand_bytes(max(N - 1, 0)) >>,
    <<Body/binary, $\n>>.

offsets(Size, Step) ->
    lists:seq(0, Size - 1, max(Step, 1)).

read_raw(_A, 0) -> [];
read_raw(A, Left) ->
    {ok, B} = gen_tcp:recv(A, 0, 60000),
    [B | read_raw(A, Left - byte_size(B))].

%%% The port program dies under load.

killed_under_load(_Config) ->
    [#{os_pid := OsPid}] = pyinet:info(),
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {backlog, 256}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    Owners = [spawn(fun() ->
                            {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                                                      ?PY ++ [binary, {active, Active}]),
                            Self ! {ready, self()},
                            Result = load(C, Active),
                            Self ! {outcome, self(), Active, Result}
                    end) || Active <- lists:append(lists:duplicate(50, [true, false]))],
    Accepted = [element(2, gen_tcp:accept(L)) || _ <- Owners],
    Feeders = [spawn(fun() -> feed(A) end) || A <- Accepted],
    [receive {ready, P} -> ok end || P <- Owners],
    timer:sleep(300),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    Outcomes = [receive {outcome, P, Active, R} -> {Active, R} after 10000 -> {P, hangs} end
                || P <- Owners],
    ct:pal("owners told: ~p", [lists:usort(Outcomes)]),
    ?assertEqual([{false, {error, closed}}, {true, tcp_closed}], lists:usort(Outcomes)),
    [exit(F, kill) || F <- Feeders],
    wait_for(fun() -> [#{os_pid := New}] = pyinet:info(), New =/= OsPid end),
    {ok, L2} = gen_tcp:listen(0, ?PY ++ [binary, {active, false}]),
    {ok, P2} = inet:port(L2),
    {ok, C2} = gen_tcp:connect({127, 0, 0, 1}, P2, ?PY ++ [binary, {active, false}]),
    {ok, A2} = gen_tcp:accept(L2),
    ok = gen_tcp:send(C2, <<"alive">>),
    ?assertEqual({ok, <<"alive">>}, gen_tcp:recv(A2, 5, 5000)),
    [gen_tcp:close(S) || S <- [C2, A2, L2, L | Accepted]].

%% Receive and send until the port program dies; what the socket said then.
load(C, true) ->
    receive
        {tcp, C, _} -> _ = gen_tcp:send(C, <<"ack">>), load(C, true);
        {tcp_closed, C} -> tcp_closed
    after 10000 -> no_message
    end;
load(C, false) ->
    case gen_tcp:recv(C, 0, 10000) of
        {ok, _} -> _ = gen_tcp:send(C, <<"ack">>), load(C, false);
        Error -> Error
    end.

feed(A) ->
    case gen_tcp:send(A, crypto:strong_rand_bytes(4096)) of
        ok -> timer:sleep(5), feed(A);
        _ -> ok
    end.

%%% Helpers.

send_stream(Port, Bytes) ->
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, [binary]),
    Digest = send_all(C, Bytes, crypto:hash_init(sha256)),
    gen_tcp:close(C),
    Digest.

send_all(C, Left, Hash) when Left =< 0 ->
    gen_tcp:close(C),
    crypto:hash_final(Hash);
send_all(C, Left, Hash) ->
    Chunk = chunk(min(Left, 65536)),
    ok = gen_tcp:send(C, Chunk),
    send_all(C, Left - byte_size(Chunk), crypto:hash_update(Hash, Chunk)).

%% Varying content, so that reordering would show in the digest.
chunk(N) ->
    Seed = erlang:unique_integer([positive]),
    binary:part(binary:copy(<<Seed:64>>, N div 8 + 1), 0, N).

read_active(_A, Left, Hash) when Left =< 0 ->
    crypto:hash_final(Hash);
read_active(A, Left, Hash) ->
    receive
        {tcp, A, Data} -> read_active(A, Left - byte_size(Data), crypto:hash_update(Hash, Data));
        {tcp_closed, A} -> {closed_early, Left}
    after 60000 -> {stalled, Left}
    end.

read_passive(_A, Left, Hash) when Left =< 0 ->
    crypto:hash_final(Hash);
read_passive(A, Left, Hash) ->
    case gen_tcp:recv(A, 0, 60000) of
        {ok, Data} -> read_passive(A, Left - byte_size(Data), crypto:hash_update(Hash, Data));
        Error -> {Error, Left}
    end.

%% Peak memory of the BEAM and the port program over Ms milliseconds.
sample_memory(Ms) ->
    sample_memory(erlang:monotonic_time(millisecond) + Ms, {0, 0}).

sample_memory(Until, {B, P}) ->
    Now = {erlang:memory(total), rss(python_resources())},
    Peak = {max(B, element(1, Now)), max(P, element(2, Now))},
    case erlang:monotonic_time(millisecond) >= Until of
        true -> Peak;
        false -> timer:sleep(100), sample_memory(Until, Peak)
    end.

%% The program's resources once it has handled what this process asked of it
%% through L's program: a close that is not waited for (pyinet_tcp:close/1)
%% has closed its descriptor when a later request is answered.
settled_resources(L) ->
    {ok, _} = inet:sockname(L),
    python_resources().

python_resources() ->
    [#{os_pid := OsPid}] = pyinet:info(),
    Dir = "/proc/" ++ integer_to_list(OsPid),
    {ok, Fds} = file:list_dir(Dir ++ "/fd"),
    {ok, Status} = file:read_file(Dir ++ "/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]),
                   binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Kb | _] = string:lexemes(binary_to_list(Line), " \t"),
    #{fds => length(Fds), rss => list_to_integer(Kb) * 1024}.

fds(#{fds := N}) -> N.
rss(#{rss := N}) -> N.

wait_for(Fun) -> wait_for(Fun, 200).
wait_for(Fun, 0) -> ?assert(Fun());
wait_for(Fun, N) ->
    case try Fun() catch _:_ -> false end of
        true -> ok;
        _ -> timer:sleep(50), wait_for(Fun, N - 1)
    end.
