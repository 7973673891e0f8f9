%% gen_tcp scenarios taken from OTP's own kernel suites (gen_tcp_api_SUITE,
%% gen_tcp_misc_SUITE; see tests/otp_suites): what a case there found wrong on
%% pyinet, pinned down so that it stays right. Each runs on native gen_tcp and
%% on pyinet_tcp; see pyinet_conformance.
-module(pyinet_conformance_tcp_otp).

-export([scenarios/0]).
-export([link_local6/0]).

%% Scenarios.
-export([listen_ifaddr_sockaddr/1, listen_ifaddr_sockaddr_port/1,
         listen_ifaddr_sockaddr_inet6/1, connect_ifaddr_sockaddr/1,
         connect_link_local_scope_id/1, shutdown_write_pending_output/1,
         accept_inherits_priority/1, accept_inherits_priority_tos/1,
         accept_inherits_tos_only/1, accept_inherits_priority_async/1,
         accept_inherits_tclass/1,
         linger_zero_pending_output/1, econnreset_after_async_send_active/1,
         econnreset_after_async_send_active_once/1,
         econnreset_after_async_send_passive/1,
         killing_acceptor_states/1, killing_multi_acceptors_states/1,
         accept_timeouts_mixed/1, send_timeout_resumes/1]).

-import(pyinet_conformance, [r/1, t/1, msgs/0, msgs/1, opts/2, known_port/1, sleep/1,
                             spawn_proc/2]).

-spec scenarios() -> [atom()].
scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% {ifaddr, SockAddrMap} (gen_tcp_api_SUITE:t_simple_*_sockaddr_*_send_recv).

%% prim_inet binds to the map as it is.
listen_ifaddr_sockaddr(B) ->
    SA = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
    {ok, L} = r(gen_tcp:listen(0, opts(B, [{ifaddr, SA}, {active, false}, binary]))),
    {ok, P} = inet:port(L),
    known_port(P),
    r(inet:sockname(L)),
    {ok, C} = r(gen_tcp:connect(SA#{port => P}, opts(B, [{ifaddr, SA}, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(C, "hej")),
    r(gen_tcp:recv(A, 3, 1000)),
    [gen_tcp:close(S) || S <- [C, A, L]].

%% The map's own port is the one bound to; a {port, P} after it changes the map.
listen_ifaddr_sockaddr_port(B) ->
    {ok, L0} = gen_tcp:listen(0, opts(B, [])),
    {ok, Busy} = inet:port(L0),
    known_port(Busy),
    SA = #{family => inet, addr => loopback, port => Busy},
    r(gen_tcp:listen(0, opts(B, [{ifaddr, SA}]))),
    {ok, L} = r(gen_tcp:listen(Busy, opts(B, [{ifaddr, SA#{port => 0}}]))),
    r(inet:port(L) =:= {ok, Busy}),
    r(gen_tcp:listen(0, opts(B, [{ifaddr, SA#{port => 0}}, {port, Busy}]))),
    [gen_tcp:close(S) || S <- [L, L0]].

listen_ifaddr_sockaddr_inet6(B) ->
    SA = #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 0},
    {ok, L} = r(gen_tcp:listen(0, opts(B, [{ifaddr, SA}, {active, false}, binary]))),
    {ok, P} = inet:port(L),
    known_port(P),
    r(inet:sockname(L)),
    {ok, C} = r(gen_tcp:connect(SA#{port => P}, opts(B, [{ifaddr, SA}, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(A, "hopp")),
    r(gen_tcp:recv(C, 4, 1000)),
    [gen_tcp:close(S) || S <- [C, A, L]].

%% A connecting socket bound to a map: inet_tcp takes one only when connecting
%% to a sockaddr map (connect/3), and exits badarg for an address tuple.
connect_ifaddr_sockaddr(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{active, false}])),
    {ok, P} = inet:port(L),
    known_port(P),
    SA = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [{ifaddr, SA}])) end),
    {ok, C} = r(gen_tcp:connect(SA#{port => P}, opts(B, [{ifaddr, SA}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    {ok, {CIP, CPort}} = inet:sockname(C),
    r({CIP, inet:peername(A) =:= {ok, {CIP, CPort}}}),
    [gen_tcp:close(S) || S <- [C, A, L]].

%% A link-local IPv6 address needs the map's scope_id to bind and connect.
connect_link_local_scope_id(B) ->
    case link_local6() of
        undefined ->
            r(no_link_local_address);
        SA ->
            {ok, L} = r(gen_tcp:listen(0, opts(B, [{ifaddr, SA}, {active, false}]))),
            {ok, P} = inet:port(L),
            known_port(P),
            {ok, C} = r(gen_tcp:connect(SA#{port => P}, opts(B, [{ifaddr, SA}, {active, false}]),
                                        2000)),
            {ok, A} = r(gen_tcp:accept(L, 1000)),
            r(gen_tcp:send(C, "hej")),
            r(gen_tcp:recv(A, 3, 1000)),
            [gen_tcp:close(S) || S <- [C, A, L]]
    end.

%% A link-local IPv6 address of this machine (a sockaddr map, port 0), or
%% undefined.
link_local6() ->
    case net:getifaddrs(#{family => inet6}) of
        {ok, Ifs} ->
            case [Addr || #{addr := #{addr := {16#fe80, _, _, _, _, _, _, _}} = Addr} <- Ifs] of
                [SA | _] -> SA#{port => 0};
                [] -> undefined
            end;
        _ ->
            undefined
    end.

%%% Shutdown (gen_tcp_api_SUITE:t_shutdown_async, the part a non-port can run:
%%% it also asserts on erlang:port_info(S, queue_size)).

%% shutdown(write) with output still queued sends it all before the FIN.
shutdown_write_pending_output(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{sndbuf, 4096}])),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect(localhost, P, opts(B, [{recbuf, 4096}, {active, false}])),
    {ok, S} = gen_tcp:accept(L),
    Size = 1024 * 1024,
    r(gen_tcp:send(S, lists:duplicate(Size, $.))),
    r(gen_tcp:shutdown(S, write)),
    {ok, Buf} = gen_tcp:recv(C, Size, 10000),
    r(length(Buf)),
    r(gen_tcp:recv(C, 0, 1000)),
    [gen_tcp:close(X) || X <- [C, S, L]].

%%% What an accepted socket gets from its listen socket: prim_inet:accept_opts/3
%%% copies priority and the family's options by getopts and setopts
%%% (gen_tcp_misc_SUITE:so_priority, test_prio_accept*).

accept_prio_pair(B, LOpts, COpts) ->
    Common = [binary, {packet, 0}, {active, false}, {reuseaddr, true}],
    {ok, L} = gen_tcp:listen(0, opts(B, Common ++ LOpts)),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect("localhost", P, opts(B, Common ++ COpts)),
    {ok, A} = gen_tcp:accept(L),
    {L, C, A}.

accept_inherits_priority(B) ->
    {L, C, A} = accept_prio_pair(B, [{priority, 4}], [{priority, 4}]),
    [r(inet:getopts(S, [priority])) || S <- [L, C, A]],
    [gen_tcp:close(S) || S <- [L, C, A]].

accept_inherits_priority_tos(B) ->
    {L, C, A} = accept_prio_pair(B, [{priority, 4}, {tos, 4 bsl 5}],
                                 [{priority, 4}, {tos, 3 bsl 5}]),
    [r(inet:getopts(S, [priority, tos])) || S <- [L, C, A]],
    [gen_tcp:close(S) || S <- [L, C, A]].

accept_inherits_tos_only(B) ->
    {L, C, A} = accept_prio_pair(B, [{tos, 4 bsl 5}], [{tos, 3 bsl 5}]),
    [r(inet:getopts(S, [priority, tos])) || S <- [L, C, A]],
    [gen_tcp:close(S) || S <- [L, C, A]].

%% The acceptor already waiting when the connection comes.
accept_inherits_priority_async(B) ->
    Common = [binary, {packet, 0}, {active, false}, {reuseaddr, true}],
    {ok, L} = gen_tcp:listen(0, opts(B, Common ++ [{priority, 4}, {tos, 4 bsl 5}])),
    {ok, P} = inet:port(L),
    Self = self(),
    spawn_proc(acceptor, fun() ->
                                 {ok, A} = gen_tcp:accept(L),
                                 r(inet:getopts(A, [priority, tos, ttl, recvtos, recvttl])),
                                 Self ! accepted,
                                 receive done -> gen_tcp:close(A) end
                         end),
    sleep(100),
    {ok, C} = gen_tcp:connect("localhost", P, opts(B, Common)),
    receive accepted -> ok after 2000 -> r(no_accept) end,
    r(inet:getopts(L, [priority, tos])),
    [gen_tcp:close(S) || S <- [L, C]].

accept_inherits_tclass(B) ->
    IP = {0, 0, 0, 0, 0, 0, 0, 1},
    {ok, L} = gen_tcp:listen(0, opts(B, [{ip, IP}, {active, false}, {priority, 2},
                                         {tclass, 32}, {recvtclass, true}])),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect(IP, P, opts(B, [])),
    {ok, A} = gen_tcp:accept(L),
    [r(inet:getopts(S, [priority, tclass, recvtclass])) || S <- [L, C, A]],
    [gen_tcp:close(S) || S <- [L, C, A]].

%%% The port branch of cases that branch on is_port/1 and run the socket
%%% backend's expectations (blocking send) for any other socket.

%% gen_tcp_misc_SUITE:linger_zero: {linger, {true, 0}} aborts the connection
%% also with output queued.
linger_zero_pending_output(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{active, false}, {recbuf, 4096},
                                         {show_econnreset, true}])),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect(localhost, P, opts(B, [{nodelay, true}, {active, false},
                                                     {sndbuf, 4096}])),
    {ok, S} = gen_tcp:accept(L),
    gen_tcp:close(L),
    r(gen_tcp:send(C, binary:copy(<<".">>, 1024 * 1024))),
    r(inet:setopts(C, [{linger, {true, 0}}])),
    r(gen_tcp:close(C)),
    sleep(20),
    r(gen_tcp:recv(S, 1024 * 1024, 2000)),
    gen_tcp:close(S).

%% gen_tcp_misc_SUITE:econnreset_after_async_send_*: the client's send is
%% queued (ok), the server sends something and aborts; the client sees the
%% data, then closed (or econnreset with show_econnreset).
craasa(B, Active, ShowEconnreset) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{active, false}, {recbuf, 4096}])),
    {ok, P} = inet:port(L),
    Show = case ShowEconnreset of default -> []; _ -> [{show_econnreset, ShowEconnreset}] end,
    {ok, C} = gen_tcp:connect(localhost, P, opts(B, [{sndbuf, 4096}, {active, Active}] ++ Show)),
    {ok, S} = gen_tcp:accept(L),
    gen_tcp:close(L),
    r(gen_tcp:send(C, binary:copy(<<".">>, 1024 * 1024))),
    r(gen_tcp:send(S, "Whatever")),
    sleep(20),
    r(inet:setopts(S, [{linger, {true, 0}}])),
    r(gen_tcp:close(S)),
    sleep(20),
    {C, S}.

econnreset_after_async_send_active(B) ->
    [begin
         {C, _} = craasa(B, true, Show),
         msgs(200),
         r(gen_tcp:send(C, "more")),
         gen_tcp:close(C)
     end || Show <- [default, true]].

econnreset_after_async_send_active_once(B) ->
    [begin
         {C, _} = craasa(B, once, Show),
         msgs(200),
         r(inet:setopts(C, [{active, once}])),
         msgs(200),
         gen_tcp:close(C)
     end || Show <- [default, true]].

econnreset_after_async_send_passive(B) ->
    [begin
         {C, _} = craasa(B, false, Show),
         r(gen_tcp:recv(C, 0, 1000)),
         r(gen_tcp:recv(C, 0, 1000)),
         r(gen_tcp:send(C, "more")),
         gen_tcp:close(C)
     end || Show <- [default, true]].

%% gen_tcp_misc_SUITE:killing_acceptor and killing_multi_acceptors: inet:info/1
%% shows the listen socket accepting while an acceptor waits, and no longer
%% once the acceptors are killed.
acceptor_states(LS) ->
    #{states := States} = inet:info(LS),
    r([S || S <- lists:sort(States), lists:member(S, [listen, accepting, connected])]).

killing_acceptor_states(B) ->
    {ok, LS} = gen_tcp:listen(0, opts(B, [])),
    acceptor_states(LS),
    Pid = spawn(fun() -> gen_tcp:accept(LS) end),
    sleep(100),
    acceptor_states(LS),
    exit(Pid, kill),
    sleep(100),
    acceptor_states(LS),
    gen_tcp:close(LS).

killing_multi_acceptors_states(B) ->
    {ok, LS} = gen_tcp:listen(0, opts(B, [])),
    {ok, P} = inet:port(LS),
    Self = self(),
    Pid = spawn(fun() -> gen_tcp:accept(LS) end),
    sleep(100),
    Pid2 = spawn(fun() -> Self ! {accepted, self(), gen_tcp:accept(LS)} end),
    sleep(100),
    acceptor_states(LS),
    exit(Pid, kill),
    sleep(100),
    acceptor_states(LS),
    {ok, C} = gen_tcp:connect(localhost, P, opts(B, [])),
    receive {accepted, Pid2, {ok, A}} -> r(accepted), gen_tcp:close(A)
    after 2000 -> r(no_accept)
    end,
    sleep(100),
    acceptor_states(LS),
    [gen_tcp:close(S) || S <- [C, LS]].

%% gen_tcp_misc_SUITE:accept_timeouts_mixed, with sleeps where the case looks
%% for the acceptor inside prim_inet:accept0/3 (process_info current_function).
accept_timeouts_mixed(B) ->
    {ok, LS} = gen_tcp:listen(0, opts(B, [])),
    {ok, P} = inet:port(LS),
    Self = self(),
    Acceptor = fun(T) -> fun() -> Self ! {self(), T, gen_tcp:accept(LS, T)} end end,
    Ps = [begin Pid = spawn(Acceptor(T)), sleep(50), Pid end || T <- [1000, 2000, 3000, 4000]],
    Expect = fun(Max) ->
                     receive {Pid, T, Res} -> r({index(Pid, Ps), T, element(1, Res)})
                     after Max -> r(none)
                     end
             end,
    Expect(1500),
    {ok, C1} = gen_tcp:connect("localhost", P, opts(B, [])),
    Expect(1000),
    Expect(3000),
    {ok, C2} = gen_tcp:connect("localhost", P, opts(B, [])),
    Expect(1000),
    [gen_tcp:close(S) || S <- [C1, C2, LS]].

index(X, L) -> length(lists:takewhile(fun(Y) -> Y =/= X end, L)) + 1.

%% gen_tcp_misc_SUITE:otp_7816: a send that times out has still queued all its
%% data (the classic driver's send_timeout), and sending goes on without loss
%% once the peer reads.
send_timeout_resumes(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [binary, {packet, 4}, {active, false}])),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect("localhost", P, opts(B, [binary, {active, false}, {packet, 4},
                                                       {send_timeout, 10}])),
    {ok, S} = gen_tcp:accept(L),
    gen_tcp:close(L),
    Data = lists:duplicate(18, <<1:(1000 * 8)>>),
    Loops = send_until_timeout(C, Data, 0),
    r(Loops > 0),
    r(drain(S, (Loops + 1) * 18 * 1000)),
    r(gen_tcp:send(C, <<"last">>)),
    r(gen_tcp:recv(S, 0, 1000)),
    [gen_tcp:close(X) || X <- [C, S]].

send_until_timeout(C, Data, N) ->
    case gen_tcp:send(C, Data) of
        ok -> send_until_timeout(C, Data, N + 1);
        {error, timeout} -> N
    end.

%% Receive exactly Bytes in packets of 18000 bytes: true, or what came instead.
drain(_S, 0) ->
    true;
drain(S, Bytes) when Bytes > 0 ->
    case gen_tcp:recv(S, 0, 2000) of
        {ok, <<_:18000/binary>>} -> drain(S, Bytes - 18000);
        Other -> {Bytes, Other}
    end.
