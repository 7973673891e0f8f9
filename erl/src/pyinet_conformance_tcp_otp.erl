%% gen_tcp scenarios taken from OTP's own kernel suites (gen_tcp_api_SUITE,
%% gen_tcp_misc_SUITE; see tests/otp_suites): what a case there found wrong on
%% pyinet, pinned down so that it stays right. Each runs on native gen_tcp and
%% on pyinet_tcp; see pyinet_conformance.
-module(pyinet_conformance_tcp_otp).

-export([scenarios/0]).

%% Scenarios.
-export([listen_ifaddr_sockaddr/1, listen_ifaddr_sockaddr_port/1,
         listen_ifaddr_sockaddr_inet6/1, connect_ifaddr_sockaddr/1,
         connect_link_local_scope_id/1, shutdown_write_pending_output/1]).

-import(pyinet_conformance, [r/1, t/1, opts/2, known_port/1]).

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
