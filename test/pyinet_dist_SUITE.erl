%% pyinet_dist: Erlang distribution over pyinet sockets (-proto_dist pyinet),
%% and partitions between nodes made with one call, no root, no iptables.
%%
%% The peers run with -proto_dist pyinet and are driven over their standard
%% I/O (peer's alternative connection), so that this node is not part of the
%% cluster it partitions. Nothing here asserts how fast a node goes down; the
%% case logs when each nodedown came, next to net_ticktime.
-module(pyinet_dist_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_testcase/2, end_per_testcase/2]).
-export([two_nodes/1, mixed_with_inet_tcp_dist/1, five_node_partition/1, partition_reset/1]).
-export([watch_nodes/1]).

-define(TICKTIME, 4).
%% Bounds on waiting for the cluster to change: ticks take up to 1.25
%% net_ticktime; the rest is for a slow machine.
-define(WAIT_MS, 60000).

all() ->
    [two_nodes, mixed_with_inet_tcp_dist, five_node_partition, partition_reset].

init_per_testcase(_Case, Config) ->
    Config.

%% Peers are linked to the case's process: a failed case takes them down.
end_per_testcase(_Case, _Config) ->
    ok.

%% Two nodes connect over pyinet sockets: calls both ways, large messages,
%% and each distribution connection is a pyinet socket.
two_nodes(_Config) ->
    [{P1, N1}, {P2, N2}] = start_peers([d1, d2], pyinet),
    true = call(P1, net_kernel, connect_node, [N2]),
    [N2] = call(P1, erlang, nodes, []),
    N2 = call(P1, erpc, call, [N2, erlang, node, []]),
    Big = binary:copy(<<"b">>, 4 bsl 20),
    4194304 = call(P1, erpc, call, [N2, erlang, byte_size, [Big]]),
    [#{kind := tcp}] = [S || #{kind := tcp} = S <- call(P1, pyinet, sockets, [])],
    [#{kind := tcp}] = [S || #{kind := tcp} = S <- call(P2, pyinet, sockets, [])],
    stop([P1, P2]).

%% The wire is inet_tcp_dist's: a pyinet_dist node and a default one connect.
mixed_with_inet_tcp_dist(_Config) ->
    [{P1, _N1}] = start_peers([m1], pyinet),
    [{P2, N2}] = start_peers([m2], inet_tcp),
    true = call(P1, net_kernel, connect_node, [N2]),
    N2 = call(P1, erpc, call, [N2, erlang, node, []]),
    stop([P1, P2]).

%% Five nodes, fully connected; {1,2} cut from {3,4,5} by one call: each side
%% sees the other go down (after net_ticktime) and keeps its own; a connect
%% across fails; healed, the cluster connects again.
five_node_partition(Config) ->
    Peers = start_peers([p1, p2, p3, p4, p5], pyinet),
    Nodes = [N || {_, N} <- Peers],
    [{P1, N1}, {_, N2} | _] = Peers,
    GroupA = [N1, N2],
    GroupB = Nodes -- GroupA,
    mesh(Peers),
    [call(P, ?MODULE, watch_nodes, [self_on(P)]) || {P, _} <- Peers],
    T0 = os:system_time(millisecond),
    ok = call(P1, pyinet_fault, partition, [GroupA, GroupB]),
    Split = [{N, lists:sort((case lists:member(N, GroupA) of true -> GroupA; false -> GroupB end)
                            -- [N])} || N <- Nodes],
    wait_until(fun() -> [{N, lists:sort(call(P, erlang, nodes, []))} || {P, N} <- Peers] =:= Split end),
    Downs = [{N, call(P, ?MODULE, watch_nodes, [report])} || {P, N} <- Peers],
    [begin
         Other = case lists:member(N, GroupA) of true -> GroupB; false -> GroupA end,
         ?assertEqual(lists:sort(Other), lists:usort([D || {D, _} <- Seen]))
     end || {N, Seen} <- Downs],
    ct:log("net_ticktime ~p s; nodedown seen at (ms after the partition call): ~p",
           [?TICKTIME, [{N, [{D, T - T0} || {D, T} <- Seen]} || {N, Seen} <- Downs]]),
    %% Across the cut no connection comes up; on each side nothing changed.
    false = call(P1, net_kernel, connect_node, [hd(GroupB)], 30000),
    ok = call(P1, pyinet_fault, heal, []),
    %% Healed: everyone connects to everyone again (a connect may have to be
    %% tried again while global settles what the partition left).
    mesh(Peers),
    stop([P || {P, _} <- Peers]),
    Config.

%% Reset instead of blackhole: the connections between the groups go down at
%% once (a reset is seen without waiting for ticks).
partition_reset(_Config) ->
    [{P1, N1}, {P2, N2}] = start_peers([r1, r2], pyinet),
    true = call(P1, net_kernel, connect_node, [N2]),
    call(P1, ?MODULE, watch_nodes, [self_on(P1)]),
    ok = call(P1, pyinet_fault, partition, [[N1], [N2], reset]),
    wait_until(fun() -> call(P1, erlang, nodes, []) =:= [] end),
    [{N2, _}] = call(P1, ?MODULE, watch_nodes, [report]),
    ok = call(P1, pyinet_fault, heal, []),
    true = call(P1, net_kernel, connect_node, [N2], 30000),
    stop([P1, P2]).

%%% On the peers.

%% Keep the nodedowns this node sees, with their times, in a registered process.
watch_nodes(report) ->
    watcher ! {report, self()},
    receive {watcher, Seen} -> Seen end;
watch_nodes(_) ->
    Pid = spawn(fun() ->
                        ok = net_kernel:monitor_nodes(true),
                        watch_loop([])
                end),
    register(watcher, Pid),
    ok.

watch_loop(Seen) ->
    receive
        {nodedown, N} -> watch_loop([{N, os:system_time(millisecond)} | Seen]);
        {nodeup, _} -> watch_loop(Seen);
        {report, From} -> From ! {watcher, lists:reverse(Seen)}, watch_loop(Seen)
    end.

%%% Helpers.

start_peers(Names, Proto) ->
    Ebin = filename:dirname(code:which(pyinet)),
    Here = filename:dirname(code:which(?MODULE)),
    Args = ["-pa", Ebin, "-pa", Here, "-kernel", "net_ticktime", integer_to_list(?TICKTIME),
            "-kernel", "net_setuptime", "3", "-pyinet", "routers", "1"]
        ++ case Proto of
               pyinet -> ["-proto_dist", "pyinet"];
               inet_tcp -> []
           end,
    Peers = [begin
                 {ok, P, N} = peer:start_link(#{name => peer_name(Name), args => Args,
                                                 connection => standard_io,
                                                 wait_boot => 30000}),
                 {P, N}
             end || Name <- Names],
    Peers.

peer_name(Name) ->
    atom_to_list(Name) ++ "_" ++ integer_to_list(erlang:unique_integer([positive])).

stop(Peers) ->
    [peer:stop(P) || P <- Peers],
    ok.

%% Everyone connected to everyone: what is missing is connected (again).
mesh(Peers) ->
    Nodes = [N || {_, N} <- Peers],
    wait_until(fun() ->
                       Missing = [{P, M} || {P, N} <- Peers,
                                            M <- Nodes -- [N | call(P, erlang, nodes, [])]],
                       [call(P, net_kernel, connect_node, [M], 30000) || {P, M} <- Missing],
                       Missing =:= []
               end).

self_on(_P) -> start.

call(P, M, F, A) -> call(P, M, F, A, 15000).
call(P, M, F, A, Timeout) -> peer:call(P, M, F, A, Timeout).

wait_until(Fun) ->
    wait_until(Fun, erlang:monotonic_time(millisecond) + ?WAIT_MS).

wait_until(Fun, Deadline) ->
    case Fun() of
        true ->
            ok;
        false ->
            case erlang:monotonic_time(millisecond) < Deadline of
                true -> timer:sleep(200), wait_until(Fun, Deadline);
                false -> ct:fail(cluster_did_not_settle)
            end
    end.
