%% Descriptors of the BEAM given to a socket: {fd, N} for gen_tcp:connect/3,
%% gen_tcp:listen/2 and gen_udp:open/2, gen_tcp:fdopen/2, gen_udp:fdopen/2 and
%% socket:open/1,2. The descriptors come from sockets of OTP's socket module
%% ({otp, fd}), as an inherited descriptor would: on pyinet the port program
%% gets a copy of each (pyinet_fd). Each runs natively and on pyinet; see
%% pyinet_conformance.
-module(pyinet_conformance_fd).

-export([scenarios/0]).

%% Scenarios.
-export([tcp_listen_fd/1, tcp_listen_fd_ip/1, tcp_connect_fd/1, tcp_connect_fd_port/1,
         tcp_fd_bad/1, tcp_fd_family/1, tcp_fd_close_keeps_descriptor/1,
         tcp_fdopen_connected/1, tcp_fdopen_unconnected/1, tcp_fdopen_listening/1,
         tcp_fdopen_errors/1,
         udp_open_fd/1, udp_open_fd_ip/1, udp_open_fd_port/1, udp_fd_bad/1, udp_fdopen/1,
         getopts_fd/1,
         socket_open_fd_listen/1, socket_open_fd_connected/1, socket_open_fd_dgram/1,
         socket_open_fd_errors/1]).

-import(pyinet_conformance, [r/1, t/1, msgs/0, opts/2, udp_opts/2, known_port/1]).

-define(LO, {127, 0, 0, 1}).
-define(LO_MAP, #{family => inet, addr => loopback, port => 0}).
%% A descriptor number no process here has open (above any ulimit -n here).
-define(NO_FD, 60000).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers: the descriptors, from sockets of OTP's socket module.

fd(S) ->
    {ok, Fd} = socket:getopt(S, otp, fd),
    Fd.

%% A listening socket of the socket module on loopback, and its (renamed) port.
nif_listener() ->
    {ok, S} = socket:open(inet, stream, tcp),
    ok = socket:bind(S, ?LO_MAP),
    ok = socket:listen(S),
    {ok, #{port := P}} = socket:sockname(S),
    {S, known_port(P)}.

%% A connected pair of the socket module: {Client, Accepted}.
nif_pair() ->
    {L, P} = nif_listener(),
    {ok, C} = socket:open(inet, stream, tcp),
    ok = socket:connect(C, #{family => inet, addr => loopback, port => P}),
    {ok, A} = socket:accept(L, 1000),
    ok = socket:close(L),
    {C, A}.

close_all(Sockets) ->
    [case S of
         {'$socket', _} -> socket:close(S);
         _ -> inet:close(S)
     end || S <- Sockets],
    ok.

%%% gen_tcp with {fd, N}.

%% A listening descriptor: gen_tcp listens on it (again) and accepts from it.
tcp_listen_fd(B) ->
    {NL, P} = nif_listener(),
    {ok, L} = r(gen_tcp:listen(0, opts(B, [{fd, fd(NL)}, binary, {active, false}]))),
    r(inet:sockname(L)),
    r(maps:get(states, inet:info(L))),
    {ok, C} = gen_tcp:connect(?LO, P, [binary, {active, false}]),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(C, <<"to the fd">>)),
    r(gen_tcp:recv(A, 9, 1000)),
    r(gen_tcp:send(A, <<"back">>)),
    r(gen_tcp:recv(C, 4, 1000)),
    close_all([A, C, L, NL]).

%% With {ip, _} inet:open_fd/8 binds the descriptor it was given.
tcp_listen_fd_ip(B) ->
    {ok, NS} = socket:open(inet, stream, tcp),
    {ok, L} = r(gen_tcp:listen(0, opts(B, [{fd, fd(NS)}, {ip, ?LO}]))),
    {ok, {IP, P}} = inet:sockname(L),
    known_port(P),
    r(IP),
    r(socket:sockname(NS)),
    {ok, C} = r(gen_tcp:connect(?LO, P, [], 1000)),
    close_all([C, L, NS]).

%% An unconnected descriptor: gen_tcp connects it.
tcp_connect_fd(B) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, P} = inet:port(L),
    known_port(P),
    {ok, NC} = socket:open(inet, stream, tcp),
    {ok, C} = r(gen_tcp:connect(?LO, P, opts(B, [{fd, fd(NC)}, binary, {active, false}]), 1000)),
    {ok, A} = gen_tcp:accept(L, 1000),
    r(inet:peername(C)),
    {ok, Local} = inet:sockname(C),
    r(inet:peername(A) =:= {ok, Local}),
    %% The socket module sees the same socket, connected.
    r(socket:peername(NC)),
    r(gen_tcp:send(C, <<"via fd">>)),
    r(gen_tcp:recv(A, 6, 1000)),
    close_all([C, A, L, NC]).

%% inet:open_fd/8 asserts that no port comes without an address.
tcp_connect_fd_port(B) ->
    {ok, NC} = socket:open(inet, stream, tcp),
    t(fun() -> gen_tcp:connect(?LO, 1, opts(B, [{fd, fd(NC)}, {port, 5555}])) end),
    t(fun() -> gen_tcp:listen(0, opts(B, [{fd, fd(NC)}, {port, 5555}])) end),
    close_all([NC]).

tcp_fd_bad(B) ->
    r(gen_tcp:connect(?LO, 1, opts(B, [{fd, ?NO_FD}]))),
    r(gen_tcp:listen(0, opts(B, [{fd, ?NO_FD}]))),
    t(fun() -> gen_tcp:listen(0, opts(B, [{fd, -2}])) end),
    t(fun() -> gen_tcp:listen(0, opts(B, [{fd, x}])) end).

%% A descriptor of the other family: inet_drv refuses one it is not to bind.
tcp_fd_family(B) ->
    {ok, N6} = socket:open(inet6, stream, tcp),
    r(gen_tcp:listen(0, opts(B, [{fd, fd(N6)}]))),
    r(gen_tcp:connect(?LO, 1, opts(B, [{fd, fd(N6)}]))),
    close_all([N6]).

%% inet_drv does not close a descriptor it was given: after gen_tcp:close/1
%% the socket listens still, through the descriptor the BEAM keeps.
tcp_fd_close_keeps_descriptor(B) ->
    {NL, P} = nif_listener(),
    {ok, L} = gen_tcp:listen(0, opts(B, [{fd, fd(NL)}])),
    r(gen_tcp:close(L)),
    r(socket:getopt(NL, socket, acceptconn)),
    {ok, C} = r(gen_tcp:connect(?LO, P, [], 1000)),
    close_all([C, NL]).

%%% gen_tcp:fdopen/2.

tcp_fdopen_connected(B) ->
    {NC, NA} = nif_pair(),
    {ok, S} = r(gen_tcp:fdopen(fd(NC), opts(B, [binary, {active, true}]))),
    r(maps:get(states, inet:info(S))),
    r(inet:getopts(S, [active, mode])),
    r(inet:sockname(S) =:= sockname(NC)),
    ok = socket:send(NA, <<"hello fd">>),
    msgs(),
    r(gen_tcp:send(S, <<"back">>)),
    r(socket:recv(NA, 4, 1000)),
    r(gen_tcp:close(S)),
    close_all([NC, NA]).

sockname(NS) ->
    {ok, #{addr := IP, port := P}} = socket:sockname(NS),
    {ok, {IP, P}}.

%% A descriptor that is not connected: the socket is open, and no more.
tcp_fdopen_unconnected(B) ->
    {ok, NS} = socket:open(inet, stream, tcp),
    {ok, S} = r(gen_tcp:fdopen(fd(NS), opts(B, [binary, {active, false}]))),
    r(maps:get(states, inet:info(S))),
    r(gen_tcp:send(S, <<"x">>)),
    r(gen_tcp:recv(S, 0, 10)),
    r(inet:peername(S)),
    r(gen_tcp:close(S)),
    close_all([NS]).

%% inet_drv makes no listen socket of a listening descriptor.
tcp_fdopen_listening(B) ->
    {NL, _P} = nif_listener(),
    {ok, S} = r(gen_tcp:fdopen(fd(NL), opts(B, [binary]))),
    r(maps:get(states, inet:info(S))),
    r(gen_tcp:accept(S, 10)),
    r(gen_tcp:close(S)),
    close_all([NL]).

tcp_fdopen_errors(B) ->
    {ok, N6} = socket:open(inet6, stream, tcp),
    r(gen_tcp:fdopen(fd(N6), opts(B, []))),
    r(gen_tcp:fdopen(?NO_FD, opts(B, []))),
    {ok, N} = socket:open(inet, stream, tcp),
    r(gen_tcp:fdopen(fd(N), opts(B, [{active, maybe_not}]))),
    t(fun() -> gen_tcp:fdopen(-1, opts(B, [])) end),
    close_all([N6, N]).

%%% gen_udp with {fd, N}.

udp_open_fd(B) ->
    {ok, NU} = socket:open(inet, dgram, udp),
    ok = socket:bind(NU, ?LO_MAP),
    {ok, U} = r(gen_udp:open(0, udp_opts(B, [{fd, fd(NU)}, binary, {active, false}]))),
    {ok, {IP, P}} = inet:sockname(U),
    known_port(P),
    r(IP),
    r(socket:sockname(NU)),
    {ok, Peer} = gen_udp:open(0, [binary, {ip, ?LO}]),
    r(gen_udp:send(Peer, ?LO, P, <<"dgram">>)),
    r(gen_udp:recv(U, 0, 1000) =:= {ok, {?LO, element(2, inet:port(Peer)), <<"dgram">>}}),
    close_all([U, Peer, NU]).

%% Bound only when told where; an unbound descriptor stays so.
udp_open_fd_ip(B) ->
    {ok, N1} = socket:open(inet, dgram, udp),
    {ok, U1} = r(gen_udp:open(0, udp_opts(B, [{fd, fd(N1)}]))),
    r(inet:sockname(U1)),
    {ok, N2} = socket:open(inet, dgram, udp),
    {ok, U2} = r(gen_udp:open(0, udp_opts(B, [{fd, fd(N2)}, {ip, ?LO}]))),
    {ok, {IP, P}} = inet:sockname(U2),
    known_port(P),
    r(IP),
    close_all([U1, U2, N1, N2]).

udp_open_fd_port(B) ->
    {ok, N} = socket:open(inet, dgram, udp),
    t(fun() -> gen_udp:open(5555, udp_opts(B, [{fd, fd(N)}])) end),
    close_all([N]).

udp_fd_bad(B) ->
    r(gen_udp:open(0, udp_opts(B, [{fd, ?NO_FD}]))),
    {ok, N6} = socket:open(inet6, dgram, udp),
    r(gen_udp:open(0, udp_opts(B, [{fd, fd(N6)}]))),
    close_all([N6]).

udp_fdopen(B) ->
    {ok, NU} = socket:open(inet, dgram, udp),
    ok = socket:bind(NU, ?LO_MAP),
    {ok, U} = r(gen_udp:fdopen(fd(NU), udp_opts(B, [binary, {active, true},
                                                    {active, false}]))),
    r(inet:getopts(U, [active, mode])),
    {ok, {_, P}} = inet:sockname(U),
    known_port(P),
    {ok, Peer} = gen_udp:open(0, [binary, {ip, ?LO}]),
    ok = gen_udp:send(Peer, ?LO, P, <<"fdopen">>),
    {ok, {_, _, Data}} = gen_udp:recv(U, 0, 1000),
    r(Data),
    r(gen_udp:fdopen(?NO_FD, udp_opts(B, []))),
    close_all([U, Peer, NU]).

%% inet:getopts/2 knows no fd option for inet_drv's sockets.
getopts_fd(B) ->
    {ok, U} = gen_udp:open(0, udp_opts(B, [])),
    r(inet:getopts(U, [fd])),
    {ok, L} = gen_tcp:listen(0, opts(B, [])),
    r(inet:getopts(L, [fd])),
    close_all([U, L]).

%%% socket:open/1,2 with a descriptor.

sock(B) -> pyinet_conformance:socket(B).

info(M, S) ->
    maps:without([counters, ctype], M:info(S)).

socket_open_fd_listen(B) ->
    M = sock(B),
    {NL, P} = nif_listener(),
    {ok, S} = M:open(fd(NL)),
    r(info(M, S)),
    r(maps:get(ctype, M:info(S)) =:= {fromfd, fd(NL)}),
    {ok, C} = gen_tcp:connect(?LO, P, [binary, {active, false}]),
    {ok, A} = r(M:accept(S, 1000)),
    r(M:send(A, <<"accepted">>)),
    r(gen_tcp:recv(C, 8, 1000)),
    r(M:close(S)),
    r(socket:getopt(NL, socket, acceptconn)),
    close_all([C, NL]),
    M:close(A).

socket_open_fd_connected(B) ->
    M = sock(B),
    {NC, NA} = nif_pair(),
    {ok, S} = M:open(fd(NC), #{}),
    r(info(M, S)),
    r(M:send(S, <<"fd">>)),
    r(socket:recv(NA, 2, 1000)),
    r(M:close(S)),
    close_all([NC, NA]).

socket_open_fd_dgram(B) ->
    M = sock(B),
    {ok, NU} = socket:open(inet, dgram, udp),
    ok = socket:bind(NU, ?LO_MAP),
    {ok, #{port := P}} = socket:sockname(NU),
    known_port(P),
    {ok, S} = M:open(fd(NU), #{domain => inet, type => dgram, protocol => udp}),
    r(info(M, S)),
    {ok, Peer} = gen_udp:open(0, [binary, {ip, ?LO}]),
    ok = gen_udp:send(Peer, ?LO, P, <<"d">>),
    {ok, {_, Data}} = r(M:recvfrom(S, 0, 1000)),
    r(Data),
    r(M:close(S)),
    close_all([Peer, NU]).

socket_open_fd_errors(B) ->
    M = sock(B),
    r(M:open(?NO_FD)),
    r(M:open(?NO_FD, #{domain => inet})),
    r(M:open(?NO_FD, #{type => stream})),
    r(M:open(?NO_FD, #{domain => inet, type => stream})),
    {ok, F} = file:open("/dev/null", [read, raw]),
    {ok, FileFd} = pyinet_fd:file_descriptor(F),
    r(M:open(FileFd)),
    ok = file:close(F),
    t(fun() -> M:open(-1) end),
    t(fun() -> M:open(x, #{}) end),
    t(fun() -> M:open(1, [x]) end).
