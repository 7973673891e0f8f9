%% inet:info/1 of every kind of inet socket in every state, whole: what inet
%% takes from erlang:port_info/1 (owner, links, input, output, memory,
%% monitors), the state flags and the counters. Each runs natively and on
%% pyinet; see pyinet_conformance.
-module(pyinet_conformance_info).

-export([scenarios/0]).

%% Scenarios.
-export([tcp_listen/1, tcp_listen_acceptors/1, tcp_connected/1, tcp_sends/1,
         tcp_active/1, tcp_controlling_process/1, tcp_peer_closed/1, tcp_exit_on_close_false/1,
         tcp_shutdown/1, tcp_closed/1,
         udp_open/1, udp_sends/1, udp_connected/1, udp_ipv6/1, udp_local/1, udp_closed/1]).

-import(pyinet_conformance, [r/1, opts/2, udp_opts/2, known_port/1, spawn_proc/2, sleep/1]).

-define(LO, {127, 0, 0, 1}).
-define(LO6, {0, 0, 0, 0, 0, 0, 0, 1}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

listen(B, Opts) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [binary, {active, false} | Opts])),
    {ok, P} = inet:port(L),
    {L, known_port(P)}.

pair(B, Opts) ->
    {L, P} = listen(B, Opts),
    {ok, C} = gen_tcp:connect(?LO, P, opts(B, [binary, {active, false} | Opts]), 1000),
    {ok, A} = gen_tcp:accept(L, 1000),
    ok = gen_tcp:close(L),
    {C, A}.

info(S) ->
    r(inet:info(S)).

%%% TCP.

tcp_listen(B) ->
    {L, _} = listen(B, []),
    info(L),
    gen_tcp:close(L).

%% inet_drv monitors the processes waiting in accept.
tcp_listen_acceptors(B) ->
    {L, P} = listen(B, []),
    Parent = self(),
    [spawn_proc(Name, fun() -> Parent ! {Name, gen_tcp:accept(L, 2000)} end)
     || Name <- [acceptor1, acceptor2]],
    sleep(50),
    info(L),
    {ok, C} = gen_tcp:connect(?LO, P, [], 1000),
    sleep(50),
    info(L),
    [gen_tcp:close(S) || S <- [C, L]],
    [receive {Name, _} -> ok after 3000 -> ok end || Name <- [acceptor1, acceptor2]].

tcp_connected(B) ->
    {C, A} = pair(B, []),
    info(C),
    info(A),
    [gen_tcp:close(S) || S <- [C, A]].

%% What is sent counts as written to the port; what is received does not.
tcp_sends(B) ->
    {C, A} = pair(B, [{packet, 2}]),
    ok = gen_tcp:send(C, <<"hello">>),
    ok = gen_tcp:send(C, [<<"io">>, "list", $!]),
    {ok, _} = gen_tcp:recv(A, 0, 1000),
    {ok, _} = gen_tcp:recv(A, 0, 1000),
    info(C),
    info(A),
    [gen_tcp:close(S) || S <- [C, A]],
    {L, _} = listen(B, []),
    r(gen_tcp:send(L, <<"not connected">>)),
    info(L),
    gen_tcp:close(L).

tcp_active(B) ->
    {C, A} = pair(B, []),
    ok = inet:setopts(A, [{active, true}]),
    ok = gen_tcp:send(C, <<"to an active one">>),
    receive {tcp, A, _} -> ok after 1000 -> r(no_data) end,
    info(A),
    [gen_tcp:close(S) || S <- [C, A]].

%% The port's link moves with it.
tcp_controlling_process(B) ->
    {C, A} = pair(B, []),
    Pid = spawn_proc(new_owner, fun() -> receive stop -> ok end end),
    ok = gen_tcp:controlling_process(A, Pid),
    info(A),
    Pid ! stop,
    sleep(50),
    r(inet:info(A)),
    gen_tcp:close(C).

tcp_peer_closed(B) ->
    {C, A} = pair(B, []),
    ok = gen_tcp:close(C),
    r(gen_tcp:recv(A, 0, 1000)),
    info(A),
    gen_tcp:close(A).

tcp_exit_on_close_false(B) ->
    {C, A} = pair(B, [{exit_on_close, false}]),
    ok = gen_tcp:close(C),
    r(gen_tcp:recv(A, 0, 1000)),
    info(A),
    r(gen_tcp:send(A, <<"x">>)),
    info(A),
    gen_tcp:close(A).

tcp_shutdown(B) ->
    {C, A} = pair(B, []),
    ok = gen_tcp:shutdown(C, write),
    info(C),
    [gen_tcp:close(S) || S <- [C, A]].

tcp_closed(B) ->
    {C, A} = pair(B, []),
    ok = gen_tcp:close(C),
    info(C),
    {L, _} = listen(B, []),
    ok = gen_tcp:close(L),
    info(L),
    gen_tcp:close(A).

%%% UDP.

udp_open(B) ->
    {ok, S} = gen_udp:open(0, udp_opts(B, [binary])),
    info(S),
    gen_udp:close(S).

%% prim_inet:sendto/4 puts the address (and the ancillary data) before the
%% datagram in what it writes to the port.
udp_sends(B) ->
    {ok, S} = gen_udp:open(0, udp_opts(B, [binary, {active, false}])),
    {ok, P} = inet:port(S),
    known_port(P),
    ok = gen_udp:send(S, ?LO, P, <<"abc">>),
    ok = gen_udp:send(S, {?LO, P}, <<"tuple">>),
    ok = gen_udp:send(S, #{family => inet, addr => ?LO, port => P}, <<"map">>),
    ok = gen_udp:send(S, ?LO, P, [{tos, 1}, {ttl, 3}], <<"anc">>),
    ok = gen_udp:send(S, {inet, {loopback, P}}, [], <<"tagged">>),
    [{ok, _} = gen_udp:recv(S, 0, 1000) || _ <- lists:seq(1, 5)],
    info(S),
    gen_udp:close(S).

udp_connected(B) ->
    {ok, S} = gen_udp:open(0, udp_opts(B, [binary, {active, false}])),
    {ok, P} = inet:port(S),
    known_port(P),
    ok = gen_udp:connect(S, ?LO, P),
    ok = gen_udp:send(S, <<"connected">>),
    {ok, _} = gen_udp:recv(S, 0, 1000),
    info(S),
    gen_udp:close(S).

udp_ipv6(B) ->
    {ok, S} = gen_udp:open(0, udp_opts(B, [binary, {active, false}, {ip, ?LO6}])),
    {ok, P} = inet:port(S),
    known_port(P),
    ok = gen_udp:send(S, ?LO6, P, <<"six">>),
    ok = gen_udp:send(S, #{family => inet6, addr => ?LO6, port => P}, <<"map">>),
    [{ok, _} = gen_udp:recv(S, 0, 1000) || _ <- [1, 2]],
    info(S),
    gen_udp:close(S).

udp_local(B) ->
    Path = "/tmp/pyinet-info-" ++ os:getpid(),
    _ = file:delete(Path),
    %% List mode: OTP 25 crashes on a passive recv in binary mode here.
    {ok, S} = gen_udp:open(0, udp_opts(B, [list, {active, false}, {ifaddr, {local, Path}}])),
    ok = gen_udp:send(S, {local, Path}, 0, <<"to myself">>),
    {ok, _} = gen_udp:recv(S, 0, 1000),
    info(S),
    gen_udp:close(S),
    file:delete(Path).

udp_closed(B) ->
    {ok, S} = gen_udp:open(0, udp_opts(B, [binary])),
    ok = gen_udp:close(S),
    info(S).
