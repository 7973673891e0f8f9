%% Several port programs (a pool) and sockets used across Erlang nodes.
-module(pyinet_pool_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([sockets_spread/1, causal_order/1, one_port_program_dies/1, remote_owner/1,
         node_down_closes/1, remote_conformance/1]).

-define(PY, [{tcp_module, pyinet_tcp}]).

suite() ->
    [{timetrap, {minutes, 10}}].

all() ->
    [sockets_spread, causal_order, one_port_program_dies, remote_owner, node_down_closes,
     remote_conformance].

init_per_suite(Config) ->
    application:stop(pyinet),
    application:load(pyinet),
    application:set_env(pyinet, routers, 2),
    ok = pyinet:start(),
    Config.

end_per_suite(_Config) ->
    application:stop(pyinet),
    application:unset_env(pyinet, routers).

%% New sockets of a process go where its other sockets are; processes with none
%% go to the port program hosting the fewest.
sockets_spread(_Config) ->
    ?assertEqual(2, length(pyinet_pool:routers())),
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {backlog, 64}]),
    {ok, Port} = inet:port(L),
    %% One owner after the other, so that each sees the counts of the last.
    {Owners, Where} = lists:unzip([owner_with(Port, 3) || _ <- lists:seq(1, 10)]),
    ?assertEqual([1], lists:usort([length(Rs) || Rs <- Where])),   % each process in one
    Counts = [maps:get(sockets, S) || S <- pyinet:stats()],
    ct:pal("sockets per port program: ~w", [Counts]),
    ?assertEqual([15, 15], Counts),
    [P ! stop || P <- Owners],
    gen_tcp:close(L).

owner_with(Port, N) ->
    Self = self(),
    P = spawn_link(fun() ->
                           Cs = [element(2, gen_tcp:connect({127, 0, 0, 1}, Port,
                                                            ?PY ++ [binary, {active, false}]))
                                 || _ <- lists:seq(1, N)],
                           Self ! {connected, self(), Cs},
                           receive stop -> ok end
                   end),
    receive {connected, P, Cs} -> {P, lists:usort([R || {'$inet', _, {R, _, _}} <- Cs])} end.

%% Messages to one process keep the order of their causes, even between two
%% sockets of a connection (OTP's gen_tcp_misc_SUITE:otp_8102 found it).
causal_order(_Config) ->
    {ok, L} = gen_tcp:listen(0, ?PY),
    {ok, Port} = inet:port(L),
    Bad = [Got || Size <- lists:seq(-30, -1),
                  Got <- [begin
                              {ok, R} = gen_tcp:connect({127, 0, 0, 1}, Port,
                                                        ?PY ++ [binary, {packet, 4}, {active, true}]),
                              {ok, S} = gen_tcp:accept(L),
                              ok = gen_tcp:send(S, <<Size:32/big>>),
                              M = receive M0 -> M0 after 5000 -> timeout end,
                              gen_tcp:close(S),
                              gen_tcp:close(R),
                              flush(),
                              case M of
                                  {tcp_error, R, emsgsize} -> ok;
                                  Other -> Other
                              end
                          end],
                  Got =/= ok],
    gen_tcp:close(L),
    ?assertEqual([], Bad).

flush() ->
    receive _ -> flush() after 20 -> ok end.

%% Killing one port program closes its sockets only; the pool heals.
one_port_program_dies(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {backlog, 64}]),
    {ok, Port} = inet:port(L),
    %% Ten owners, one after the other: their sockets spread over both.
    Owned = [begin
                 Self = self(),
                 P = spawn_link(fun() ->
                                        {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port,
                                                                  ?PY ++ [binary, {active, false}]),
                                        Self ! {connected, self(), C},
                                        receive stop -> ok end
                                end),
                 receive {connected, P, C} -> {P, C} end
             end || _ <- lists:seq(1, 10)],
    %% Pair each connection with its accepted end by port number, while all live.
    Accepted = maps:from_list([begin
                                   {ok, A} = gen_tcp:accept(L),
                                   {ok, {_, PeerPort}} = inet:peername(A),
                                   {PeerPort, A}
                               end || _ <- Owned]),
    Pairs = [begin
                 {ok, {_, Local}} = inet:sockname(C),
                 {C, maps:get(Local, Accepted)}
             end || {_, C} <- Owned],
    [#{os_pid := Victim, router := Dead} | _] = pyinet:stats(),
    os:cmd("kill -9 " ++ integer_to_list(Victim)),
    wait_for(fun() -> not lists:keymember(Dead, 1, pyinet_pool:routers())
                          andalso length(pyinet_pool:routers()) =:= 2 end),
    Results = [begin
                   {'$inet', pyinet_tcp, {R, _, _}} = C,
                   {R =:= Dead, gen_tcp:send(C, <<"x">>), gen_tcp:recv(A, 1, 2000)}
               end || {C, A} <- Pairs],
    ct:pal("after killing one: ~p", [lists:usort(Results)]),
    ?assertEqual([{false, ok, {ok, <<"x">>}}, {true, {error, closed}, {error, closed}}],
                 lists:usort(Results)),
    [P ! stop || {P, _} <- Owned],
    [gen_tcp:close(S) || S <- [L | maps:values(Accepted)]].

%% A socket hosted by this node's port program, owned and used by a process on
%% another node: messages, calls and controlling_process through distribution.
remote_owner(Config) ->
    {ok, Peer, Node} = start_peer(Config),
    try
        {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
        {ok, Port} = inet:port(L),
        Self = self(),
        ok = erpc:call(Node, application, set_env, [pyinet, bridge_node, node()]),
        Remote = erpc:call(Node, erlang, spawn, [fun() -> remote_client(Self, Port) end]),
        {ok, A} = gen_tcp:accept(L, 5000),
        S = receive {socket, Sock} -> Sock after 5000 -> ct:fail(no_socket) end,
        {'$inet', pyinet_tcp, {Router, _, _}} = S,
        ?assertEqual(node(), node(Router)),          % hosted here
        ?assertEqual({ok, <<"from b">>}, gen_tcp:recv(A, 6, 5000)),
        ok = gen_tcp:send(A, <<"to b">>),
        ?assertEqual({got, <<"to b">>}, receive {got, _} = G -> G after 5000 -> timeout end),
        Remote ! close,
        ?assertEqual({error, closed}, gen_tcp:recv(A, 0, 5000)),
        gen_tcp:close(L)
    after
        peer:stop(Peer)
    end.

remote_client(Parent, Port) ->
    {ok, S} = gen_tcp:connect({127, 0, 0, 1}, Port, ?PY ++ [binary, {active, once}]),
    Parent ! {socket, S},
    ok = gen_tcp:send(S, <<"from b">>),
    receive {tcp, S, Data} -> Parent ! {got, Data} end,
    %% Hand the socket to another process on this node and back.
    Helper = spawn(fun() -> receive {give_back, To} -> ok = gen_tcp:controlling_process(S, To) end end),
    ok = gen_tcp:controlling_process(S, Helper),
    Helper ! {give_back, self()},
    receive close -> ok = gen_tcp:close(S) end.

%% A node going down closes the sockets its processes owned.
node_down_closes(Config) ->
    {ok, Peer, Node} = start_peer(Config),
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    ok = erpc:call(Node, application, set_env, [pyinet, bridge_node, node()]),
    Self = self(),
    _ = erpc:call(Node, erlang, spawn,
                  [fun() ->
                           {ok, S} = gen_tcp:connect({127, 0, 0, 1}, Port, ?PY ++ [binary]),
                           Self ! {connected, S},
                           receive never -> ok end
                   end]),
    receive {connected, _} -> ok after 5000 -> ct:fail(no_connect) end,
    {ok, A} = gen_tcp:accept(L, 5000),
    peer:stop(Peer),
    ?assertEqual({error, closed}, gen_tcp:recv(A, 0, 5000)),
    gen_tcp:close(L).

%% The gen_tcp conformance scenarios run on another node against sockets hosted
%% here. Scenarios that measure time with short sleeps are left out: a remote
%% owner adds a network hop to every call, which is the point of the exercise.
remote_conformance(Config) ->
    {ok, Peer, Node} = start_peer(Config),
    try
        ok = erpc:call(Node, application, set_env, [pyinet, bridge_node, node()]),
        Scenarios = [S || S <- pyinet_conformance_tcp:scenarios(), not lists:member(S, timing())],
        Before = lists:sum([maps:get(frames_in, S) || S <- pyinet:stats()]),
        Results = erpc:call(Node, pyinet_conformance, run,
                            [[pyinet_conformance_tcp], #{only => Scenarios}], 600000),
        Served = lists:sum([maps:get(frames_in, S) || S <- pyinet:stats()]) - Before,
        ct:pal("requests served here for the remote node: ~p", [Served]),
        ?assert(Served > 5 * length(Scenarios)),
        %% ... and none by the peer's own port programs (beyond their start).
        ?assertEqual([], [S || #{frames_in := F} = S <- erpc:call(Node, pyinet, stats, []),
                               F > 10]),
        Summary = lists:last(string:split(lists:flatten(pyinet_conformance:format_report(Results)),
                                          "\n", all) -- [""]),
        ct:pal("on a remote node: ~s", [Summary]),
        Differ = [{M, N, O} || {M, N, {differs, _, _} = O} <- Results],
        ?assertEqual([], Differ)
    after
        peer:stop(Peer)
    end.

%% Scenarios whose outcome depends on how fast a call returns.
timing() ->
    [].

start_peer(_Config) ->
    Ebin = filename:dirname(code:which(pyinet_tcp)),
    %% The scenarios that the peer runs are in the conformance application.
    Scenarios = filename:dirname(code:which(pyinet_conformance)),
    Here = filename:dirname(code:which(?MODULE)),
    {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(?MODULE),
                                         args => ["-pa", Ebin, "-pa", Scenarios, "-pa", Here]}),
    {ok, Peer, Node}.

wait_for(Fun) -> wait_for(Fun, 200).
wait_for(Fun, 0) -> ?assert(Fun());
wait_for(Fun, N) ->
    case try Fun() catch _:_ -> false end of
        true -> ok;
        _ -> timer:sleep(50), wait_for(Fun, N - 1)
    end.
