%% socket(3) scenarios for the conformance harness: the functions of OTP's
%% `socket` module on stream sockets (TCP over IPv4 and IPv6, Unix domain
%% stream sockets), in their blocking and `nowait` forms, with the select and
%% abort messages, cancel/2, the error reasons and info/1's counters. Each runs on
%% OTP's socket and on pyinet_socket (pyinet_conformance:socket/1 names the
%% module); datagram sockets and options are in pyinet_conformance_socket_dgram.
%%
%% What is timing-dependent is recorded by its shape only: how much of a large
%% send the kernel took, a file descriptor number.
-module(pyinet_conformance_socket).

-export([scenarios/0]).
-export([pair/2, pair/3, listener/2, path/1]).

%% Scenarios.
-export([manual_example/1, manual_example_44404/1,
         open_forms/1, open_errors/1, open_bad_args/1,
         bind_forms/1, bind_errors/1, bind_in_use/1, bind_reuseaddr/1, bind_closed/1,
         sockname_unbound/1, peername_unconnected/1,
         connect_refused/1, connect_nowait/1, connect_nowait_refused/1, connect_handle/1,
         connect_twice/1, connect_already/1, connect_errors/1, connect_nowait_cancel/1,
         listen_forms/1, accept_timeout/1, accept_zero/1, accept_nowait/1,
         accept_nowait_cancel/1, accept_queue/1, accept_close_while_waiting/1,
         accept_not_listening/1, accept_while_reading/1,
         recv_available/1, recv_exact/1, recv_exact_timeout/1, recv_timeout/1, recv_zero/1,
         recv_nowait/1, recv_nowait_partial/1, recv_nowait_cancel/1, recv_handle/1,
         recv_peer_closed/1, recv_peer_reset/1, recv_closed_while_waiting/1,
         recv_queue/1, recv_locked_out/1, reader_exit_next/1, acceptor_exit_next/1, recv_peek/1, recv_flags_errors/1, recv_otp_rcvbuf/1,
         recv_forms/1, recv_bad_args/1, recvfrom_stream/1,
         send_forms/1, send_errors/1, send_nowait_small/1, send_fill_nowait/1,
         send_fill_timeout/1, send_after_peer_close/1, send_closed/1,
         shutdown_forms/1, shutdown_errors/1, close_twice/1, closed_ops/1,
         close_aborts_waiters/1, owner_exit_closes/1, controlling_process/1,
         info_counters/1, info_closed/1, counters_accept/1,
         ipv6_stream/1, ipv6_mapped/1, local_stream/1, local_abstract/1, local_errors/1,
         cancel_errors/1, timeout_errors/1, socket_term/1, monitor_close/1,
         which_sockets/1]).

-import(pyinet_conformance, [r/1, r/2, t/1, msgs/0, msgs/1, spawn_proc/2, known_port/1,
                             sleep/1]).

-define(LO, {127, 0, 0, 1}).
-define(LO6, {0, 0, 0, 0, 0, 0, 0, 1}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports),
          not lists:member(F, [pair, listener, path, module_info])].

%%% Helpers.

sock(B) -> pyinet_conformance:socket(B).

%% A listening socket on loopback of Domain, and its address (port renamed).
listener(B, Domain) ->
    M = sock(B),
    {ok, L} = M:open(Domain, stream, tcp),
    ok = M:bind(L, loopback),
    ok = M:listen(L),
    {ok, #{port := P} = Addr} = M:sockname(L),
    known_port(P),
    {L, Addr}.

%% A connected pair {Client, Accepted}; the listening socket is closed.
pair(B, Domain) ->
    {L, C, A} = pair(B, Domain, keep),
    ok = (sock(B)):close(L),
    {C, A}.

pair(B, Domain, keep) ->
    M = sock(B),
    {L, Addr} = listener(B, Domain),
    {ok, C} = M:open(Domain, stream, tcp),
    ok = M:connect(C, Addr),
    {ok, A} = M:accept(L),
    {L, C, A}.

%% A Unix socket path, the same for both backends of one run.
path(Name) ->
    P = "/tmp/pyinet-sock-" ++ os:getpid() ++ "-" ++ Name,
    _ = file:delete(P),
    list_to_binary(P).

%% A port nobody listens on.
dead_addr(B) ->
    {L, Addr} = listener(B, inet),
    ok = (sock(B)):close(L),
    Addr.

%% Fill the peer's receive queue and our send queue: returns what the last
%% nowait send left over.
fill(M, C) ->
    ok = M:setopt(C, {socket, sndbuf}, 4096),
    fill(M, C, binary:copy(<<"x">>, 65536), 0).

fill(M, C, Data, N) when N < 1000 ->
    case M:send(C, Data, nowait) of
        ok -> fill(M, C, Data, N + 1);
        Other -> Other
    end.

shape({select, {{select_info, Tag, _}, Rest}}) when is_binary(Rest) ->
    {select, Tag, partial, byte_size(Rest) > 0};
shape({select, {select_info, Tag, _}}) -> {select, Tag};
shape({ok, Rest}) when is_binary(Rest) -> {ok, partial};
shape({error, {Reason, Rest}}) when is_binary(Rest) -> {error, {Reason, partial}};
shape(Other) -> Other.

%% info/1 without the counters that depend on timing.
info(M, S) ->
    maps:without([counters], M:info(S)).

%%% The examples of the reference manual.

%% socket(3)'s Examples section, client and server, as written.
manual_example(B) ->
    M = sock(B),
    Self = self(),
    spawn_proc(server, fun() ->
                               {ok, LSock} = M:open(inet, stream, tcp),
                               ok = M:bind(LSock, #{family => inet, port => 0,
                                                   addr => {127, 0, 0, 1}}),
                               ok = M:listen(LSock),
                               {ok, #{port := Port}} = M:sockname(LSock),
                               Self ! {port, known_port(Port)},
                               {ok, Sock} = M:accept(LSock),
                               {ok, Msg} = r(M:recv(Sock)),
                               ok = M:send(Sock, Msg),
                               ok = M:close(Sock),
                               r(M:close(LSock)),
                               Self ! done
                       end),
    Port = receive {port, P} -> P end,
    {ok, Sock} = M:open(inet, stream, tcp),
    ok = r(M:connect(Sock, #{family => inet, addr => {127, 0, 0, 1}, port => Port})),
    Msg = <<"hello">>,
    ok = r(M:send(Sock, Msg)),
    ok = r(M:shutdown(Sock, write)),
    {ok, Msg} = r(M:recv(Sock)),
    r(M:close(Sock)),
    receive done -> ok end.

%% The listen/connect/option calls of the reference on port 44404.
manual_example_44404(B) ->
    M = sock(B),
    {ok, LSock} = r(M:open(inet, stream, tcp)),
    ok = r(M:setopt(LSock, {socket, reuseaddr}, true)),
    ok = r(M:bind(LSock, #{family => inet, port => 44404, addr => any})),
    ok = r(M:listen(LSock)),
    {ok, CSock} = r(M:open(inet, stream, tcp)),
    ok = r(M:connect(CSock, #{family => inet, port => 44404, addr => loopback})),
    {ok, ASock} = r(M:accept(LSock)),
    r(M:setopt(CSock, {socket, linger}, #{onoff => true, linger => 10})),
    r(M:getopt(CSock, {socket, linger})),
    r(M:getopt(CSock, {socket, reuseaddr})),
    r(M:getopt(LSock, {socket, reuseaddr})),
    r(M:getopt(CSock, {socket, type})),
    r(M:getopt(LSock, {socket, acceptconn})),
    r(M:sockname(ASock)),
    r(M:send(CSock, <<"hello">>)),
    r(M:recv(ASock, 5)),
    %% The client closes first, so that the TIME_WAIT is not on port 44404.
    r(M:close(CSock)),
    r(M:recv(ASock, 0, 1000)),
    [r(M:close(S)) || S <- [ASock, LSock]].

%%% Open.

open_forms(B) ->
    M = sock(B),
    Forms = [{inet, stream}, {inet, stream, tcp}, {inet, dgram}, {inet, dgram, udp},
             {inet, stream, default}, {inet, dgram, 0}, {inet6, stream}, {inet6, dgram, udp},
             {local, stream}, {local, dgram}, {local, seqpacket}, {inet, stream, 'TCP'},
             {inet, stream, #{}}, {inet, dgram, udp, #{debug => false}}],
    [case r(apply(M, open, tuple_to_list(F))) of
         {ok, S} -> r(info(M, S)), r(M:close(S));
         _ -> ok
     end || F <- Forms].

open_errors(B) ->
    M = sock(B),
    r(M:open(foo, stream)),
    r(M:open(inet, foo)),
    r(M:open(inet, stream, foo)),
    r(M:open(inet, stream, udp)),
    r(M:open(inet, dgram, tcp)),
    r(M:open(local, stream, tcp)),
    r(M:open(1234, stream)),
    r(M:open(inet, 1234)),
    r(M:open(inet, stream, 9999)),
    t(fun() -> M:open(inet, dgram, "x") end),
    t(fun() -> M:open(inet, dgram, udp, not_a_map) end).

open_bad_args(B) ->
    M = sock(B),
    t(fun() -> M:open(foo) end),
    t(fun() -> M:open(foo, #{}) end),
    t(fun() -> M:open(inet, stream, tcp, [debug]) end).

%%% Bind, sockname, peername.

bind_forms(B) ->
    M = sock(B),
    {ok, S1} = M:open(inet, dgram),
    r(M:bind(S1, any)),
    r(M:sockname(S1)),
    {ok, S2} = M:open(inet, dgram),
    r(M:bind(S2, loopback)),
    r(M:sockname(S2)),
    {ok, S3} = M:open(inet, stream),
    r(M:bind(S3, #{family => inet})),
    r(M:sockname(S3)),
    {ok, S4} = M:open(inet6, dgram),
    r(M:bind(S4, loopback)),
    r(M:sockname(S4)),
    {ok, S5} = M:open(inet6, stream),
    r(M:bind(S5, #{family => inet6, addr => ?LO6, port => 0})),
    r(M:sockname(S5)),
    {ok, S6} = M:open(inet, dgram),
    r(M:bind(S6, #{family => inet, addr => ?LO, port => 0})),
    r(M:sockname(S6)),
    r(info(M, S6)),
    [M:close(S) || S <- [S1, S2, S3, S4, S5, S6]].

bind_errors(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    r(M:bind(S, foo)),
    r(M:bind(S, #{family => inet, foo => 1})),
    r(M:bind(S, #{family => inet, addr => {1, 2, 3}})),
    r(M:bind(S, #{family => inet, addr => {300, 0, 0, 1}})),
    r(M:bind(S, #{family => inet, addr => foo})),
    r(M:bind(S, #{family => inet, port => foo})),
    r(M:bind(S, #{family => foo})),
    r(M:bind(S, #{addr => any})),
    r(M:bind(S, #{family => inet6, addr => ?LO6})),
    r(M:bind(S, #{family => local, path => <<"/tmp/x">>})),
    r(M:bind(S, #{family => local})),
    r(M:bind(S, broadcast)),
    r(M:bind(S, #{family => inet, addr => {10, 255, 255, 254}})),
    t(fun() -> M:bind(S, "127.0.0.1") end),
    t(fun() -> M:bind(not_a_socket, any) end),
    {ok, L} = M:open(local, dgram),
    r(M:bind(L, any)),
    r(M:bind(L, loopback)),
    {ok, S6} = M:open(inet6, dgram),
    r(M:bind(S6, #{family => inet, addr => ?LO})),
    r(M:bind(S6, broadcast)),
    r(M:bind(S, loopback)),
    r(M:bind(S, loopback)),
    [M:close(X) || X <- [S, L, S6]].

bind_in_use(B) ->
    M = sock(B),
    {ok, S1} = M:open(inet, stream),
    ok = M:bind(S1, loopback),
    {ok, Addr} = M:sockname(S1),
    known_port(maps:get(port, Addr)),
    ok = M:listen(S1),
    {ok, S2} = M:open(inet, stream),
    r(M:bind(S2, Addr)),
    [M:close(X) || X <- [S1, S2]].

bind_reuseaddr(B) ->
    M = sock(B),
    {ok, S1} = M:open(inet, dgram),
    r(M:setopt(S1, {socket, reuseaddr}, true)),
    ok = M:bind(S1, loopback),
    {ok, Addr} = M:sockname(S1),
    known_port(maps:get(port, Addr)),
    {ok, S2} = M:open(inet, dgram),
    r(M:setopt(S2, {socket, reuseaddr}, true)),
    r(M:bind(S2, Addr)),
    [M:close(X) || X <- [S1, S2]].

bind_closed(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    ok = M:close(S),
    r(M:bind(S, loopback)),
    r(M:bind(S, #{family => inet, foo => 1})),
    r(M:bind(S, #{family => inet, addr => foo})).

sockname_unbound(B) ->
    M = sock(B),
    [begin {ok, S} = M:open(D, T), r(M:sockname(S)), M:close(S) end
     || {D, T} <- [{inet, stream}, {inet, dgram}, {inet6, stream}, {local, stream},
                   {local, dgram}]].

peername_unconnected(B) ->
    M = sock(B),
    [begin {ok, S} = M:open(D, T), r(M:peername(S)), M:close(S) end
     || {D, T} <- [{inet, stream}, {inet, dgram}, {local, stream}]],
    {L, _} = listener(B, inet),
    r(M:peername(L)),
    M:close(L).

%%% Connect.

connect_refused(B) ->
    M = sock(B),
    Addr = dead_addr(B),
    {ok, C} = M:open(inet, stream),
    r(M:connect(C, Addr)),
    r(info(M, C)),
    r(M:connect(C, Addr)),
    M:close(C).

connect_nowait(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    {ok, C} = M:open(inet, stream),
    case r(M:connect(C, Addr, nowait)) of
        {select, {select_info, connect, H}} ->
            receive {'$socket', C, select, H} -> r(select_message) after 2000 -> r(none) end,
            r(info(M, C)),
            r(M:connect(C));
        ok ->
            ok
    end,
    r(info(M, C)),
    {ok, A} = r(M:accept(L)),
    r(M:peername(C)),
    r(msgs()),
    [M:close(X) || X <- [A, C, L]].

connect_nowait_refused(B) ->
    M = sock(B),
    Addr = dead_addr(B),
    {ok, C} = M:open(inet, stream),
    case r(M:connect(C, Addr, nowait)) of
        {select, {select_info, connect, H}} ->
            receive {'$socket', C, select, H} -> r(select_message) after 2000 -> r(none) end,
            r(M:connect(C));
        _ ->
            ok
    end,
    t(fun() -> M:connect(C) end),
    M:close(C).

connect_handle(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet6),
    {ok, C} = M:open(inet6, stream),
    H = make_ref(),
    case r(M:connect(C, Addr, H)) of
        {select, {select_info, connect, H}} ->
            receive {'$socket', C, select, H} -> r(M:connect(C)) after 2000 -> r(none) end;
        _ ->
            ok
    end,
    r(M:peername(C)),
    [M:close(X) || X <- [C, L]].

connect_twice(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    {ok, C} = M:open(inet, stream),
    ok = M:connect(C, Addr),
    r(M:connect(C, Addr)),
    r(M:connect(C, Addr, nowait)),
    r(info(M, C)),
    [M:close(X) || X <- [C, L]].

%% A connect in progress: another process is told `already`; completing it
%% from there raises.
connect_already(B) ->
    M = sock(B),
    {ok, L} = M:open(inet, stream),
    ok = M:bind(L, loopback),
    ok = M:listen(L, 0),
    {ok, Addr} = M:sockname(L),
    known_port(maps:get(port, Addr)),
    %% Fill the backlog so that the next connect stays in progress.
    Fillers = [begin {ok, F} = M:open(inet, stream), _ = M:connect(F, Addr, nowait), F end
               || _ <- lists:seq(1, 3)],
    {ok, C} = M:open(inet, stream),
    case M:connect(C, Addr, nowait) of
        {select, _} ->
            Self = self(),
            spawn_proc(other, fun() ->
                                      r(M:connect(C, Addr, nowait)),
                                      t(fun() -> M:connect(C) end),
                                      Self ! done
                              end),
            receive done -> ok end,
            r(in_progress);
        Other ->
            r({no_select, Other})
    end,
    [M:close(X) || X <- [C, L | Fillers]].

connect_errors(B) ->
    M = sock(B),
    {ok, C} = M:open(inet, stream),
    r(M:connect(C, #{family => inet, addr => foo, port => 1})),
    r(M:connect(C, #{family => inet, bar => 1})),
    t(fun() -> M:connect(C, not_a_map) end),
    t(fun() -> M:connect(C, #{family => inet, addr => ?LO, port => 1}, -5) end),
    t(fun() -> M:connect(C, #{family => inet, addr => ?LO, port => 1}, foo) end),
    t(fun() -> M:connect(C) end),
    r(M:connect(C, #{family => inet6, addr => ?LO6, port => 1})),
    r(M:connect(C, #{family => local, path => <<"/nonexistent">>})),
    {ok, U} = M:open(local, stream),
    r(M:connect(U, #{family => local, path => <<"/nonexistent/sock">>})),
    [M:close(X) || X <- [C, U]].

connect_nowait_cancel(B) ->
    M = sock(B),
    {ok, L} = M:open(inet, stream),
    ok = M:bind(L, loopback),
    ok = M:listen(L, 0),
    {ok, Addr} = M:sockname(L),
    known_port(maps:get(port, Addr)),
    Fillers = [begin {ok, F} = M:open(inet, stream), _ = M:connect(F, Addr, nowait), F end
               || _ <- lists:seq(1, 3)],
    {ok, C} = M:open(inet, stream),
    case M:connect(C, Addr, nowait) of
        {select, SI} ->
            r(M:cancel(C, SI)),
            r(M:cancel(C, SI)),
            r(lists:member(connecting, maps:get(wstates, M:info(C))));
        Other ->
            r({no_select, Other})
    end,
    [M:close(X) || X <- [C, L | Fillers]].

%%% Listen and accept.

listen_forms(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    ok = M:bind(S, loopback),
    r(M:listen(S)),
    r(M:listen(S, 10)),
    r(info(M, S)),
    t(fun() -> M:listen(S, foo) end),
    {ok, D} = M:open(inet, dgram),
    r(M:listen(D)),
    ok = M:close(S),
    r(M:listen(S)),
    {ok, U} = M:open(inet, stream),
    r(M:listen(U)),
    r(M:sockname(U)),
    [M:close(X) || X <- [D, U]].

accept_timeout(B) ->
    M = sock(B),
    {L, _} = listener(B, inet),
    r(M:accept(L, 50)),
    r(M:info(L)),
    M:close(L).

accept_zero(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    r(M:accept(L, 0)),
    {ok, C} = M:open(inet, stream),
    ok = M:connect(C, Addr),
    sleep(50),
    {ok, A} = r(M:accept(L, 0)),
    r(info(M, L)),
    [M:close(X) || X <- [A, C, L]].

accept_nowait(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    {select, {select_info, accept, H}} = r(M:accept(L, nowait)),
    r(info(M, L)),
    {ok, C} = M:open(inet, stream),
    ok = M:connect(C, Addr),
    receive {'$socket', L, select, H} -> r(select_message) after 2000 -> r(none) end,
    {ok, A} = r(M:accept(L, nowait)),
    r(info(M, L)),
    r(info(M, A)),
    r(M:accept(L, nowait)),
    r(msgs()),
    [M:close(X) || X <- [A, C, L]].

accept_nowait_cancel(B) ->
    M = sock(B),
    {L, _} = listener(B, inet),
    {select, SI} = r(M:accept(L, nowait)),
    r(M:cancel(L, SI)),
    r(info(M, L)),
    r(M:cancel(L, SI)),
    H = make_ref(),
    {select, SI2} = r(M:accept(L, H)),
    r(M:cancel(L, {select_info, accept, make_ref()})),
    r(M:cancel(L, {select_info, recv, H})),
    r(M:cancel(L, SI2)),
    r(msgs()),
    M:close(L).

%% Two acceptors: the second waits its turn and gets the second connection.
accept_queue(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    {select, {select_info, accept, H}} = r(M:accept(L, nowait)),
    Self = self(),
    spawn_proc(second, fun() ->
                               Self ! queued,
                               {ok, A2} = r(M:accept(L, 2000)),
                               r(info(M, A2)),
                               Self ! done
                       end),
    receive queued -> ok end,
    sleep(50),
    r(maps:get(num_acceptors, M:info(L))),
    {ok, C1} = M:open(inet, stream),
    ok = M:connect(C1, Addr),
    receive {'$socket', L, select, H} -> ok after 2000 -> r(none) end,
    {ok, A1} = r(M:accept(L, nowait)),
    {ok, C2} = M:open(inet, stream),
    ok = M:connect(C2, Addr),
    receive done -> ok after 3000 -> r(no_done) end,
    r(info(M, L)),
    r(msgs()),
    [M:close(X) || X <- [A1, C1, C2, L]].

accept_close_while_waiting(B) ->
    M = sock(B),
    {L, _} = listener(B, inet),
    Self = self(),
    spawn_proc(blocked, fun() -> Self ! waiting, r(M:accept(L)), Self ! done end),
    Queued = spawn_proc(queued, fun() ->
                                        receive go -> ok end,
                                        r(M:accept(L, nowait)),
                                        Self ! waiting,
                                        r(msgs(300)),
                                        Self ! done
                                end),
    receive waiting -> ok end,
    sleep(50),
    Queued ! go,
    receive waiting -> ok after 1000 -> ok end,
    sleep(50),
    r(M:close(L)),
    [receive done -> ok after 2000 -> r(not_done) end || _ <- [blocked, queued]],
    r(info(M, L)).

accept_not_listening(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    r(M:accept(S, 100)),
    r(M:accept(S, nowait)),
    {ok, D} = M:open(inet, dgram),
    r(M:accept(D, 100)),
    ok = M:close(S),
    r(M:accept(S)),
    r(M:accept(S, nowait)),
    M:close(D).

accept_while_reading(B) ->
    M = sock(B),
    {L, C, A} = pair(B, inet, keep),
    {select, SI} = r(M:recv(A, 0, nowait)),
    r(M:recv(L, 0, nowait)),
    {select, LSI} = r(M:accept(L, nowait)),
    r(M:recv(L, 0, 10)),
    r(M:cancel(L, LSI)),
    r(M:cancel(A, SI)),
    [M:close(X) || X <- [A, C, L]].

%%% Receive on stream sockets.

recv_available(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"hello">>),
    sleep(20),
    r(M:recv(A)),
    ok = M:send(C, <<"again">>),
    r(M:recv(A, 0)),
    ok = M:send(C, <<"more">>),
    r(M:recv(A, 0, 1000)),
    [M:close(X) || X <- [A, C]].

recv_exact(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Self = self(),
    Writer = spawn_proc(writer, fun() ->
                                        receive go -> ok end,
                                        ok = M:send(C, <<"abc">>),
                                        sleep(30),
                                        ok = M:send(C, <<"defgh">>),
                                        Self ! sent
                                end),
    Writer ! go,
    r(M:recv(A, 6)),
    receive sent -> ok end,
    r(M:recv(A, 2, 1000)),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_exact_timeout(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"abc">>),
    r(M:recv(A, 10, 100)),
    ok = M:send(C, <<"defghijklm">>),
    r(M:recv(A, 10, 100)),
    r(M:recv(A, 10, 100)),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_timeout(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:recv(A, 0, 50)),
    r(M:recv(A, 5, 50)),
    ok = M:send(C, <<"late">>),
    r(M:recv(A, 0, 1000)),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_zero(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:recv(A, 0, 0)),
    r(M:recv(A, 4, 0)),
    ok = M:send(C, <<"ab">>),
    sleep(20),
    r(M:recv(A, 4, 0)),
    ok = M:send(C, <<"cd">>),
    sleep(20),
    r(M:recv(A, 0, 0)),
    r(M:recvfrom(A, 0, [], 0)),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_nowait(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    {select, {select_info, recv, H}} = r(M:recv(A, 0, nowait)),
    r(info(M, A)),
    ok = M:send(C, <<"hello">>),
    receive {'$socket', A, select, H} -> r(select_message) after 2000 -> r(none) end,
    r(M:recv(A, 0, nowait)),
    r(M:recv(A, 0, nowait)),
    ok = M:send(C, <<"x">>),
    sleep(20),
    r(M:recv(A, 0, nowait)),
    r(msgs()),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_nowait_partial(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"abc">>),
    sleep(20),
    {select, {{select_info, recv, H}, _}} = r(M:recv(A, 10, nowait)),
    ok = M:send(C, <<"defghijklmno">>),
    receive {'$socket', A, select, H} -> r(select_message) after 2000 -> r(none) end,
    r(M:recv(A, 7, nowait)),
    r(M:recv(A, 0, nowait)),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_nowait_cancel(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    {select, SI} = r(M:recv(A, 0, nowait)),
    r(M:cancel(A, SI)),
    r(M:cancel(A, SI)),
    {select, SI2} = M:recv(A, 0, nowait),
    ok = M:send(C, <<"data">>),
    sleep(50),
    r(M:cancel(A, SI2)),
    r(msgs()),
    r(M:recv(A, 0, 100)),
    r(M:cancel(A, {select_info, recvfrom, make_ref()})),
    t(fun() -> M:cancel(A, {select_info, foo, make_ref()}) end),
    r(info(M, A)),
    [M:close(X) || X <- [A, C]].

recv_handle(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    H = make_ref(),
    r(M:recv(A, 0, H)),
    ok = M:send(C, <<"hi">>),
    receive {'$socket', A, select, H} -> r(got_handle) after 2000 -> r(none) end,
    r(M:recv(A, 0, H)),
    r(M:recv(A, [], H)),
    r(M:cancel(A, {select_info, recv, H})),
    [M:close(X) || X <- [A, C]].

recv_peer_closed(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"last words">>),
    ok = M:close(C),
    sleep(20),
    r(M:recv(A, 4)),
    r(M:recv(A, 100)),
    r(M:recv(A, 0)),
    r(M:recv(A, 0, nowait)),
    r(M:recvfrom(A)),
    r(M:info(A)),
    M:close(A).

recv_peer_reset(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:setopt(C, {socket, linger}, abort),
    ok = M:send(A, <<"unread">>),
    sleep(20),
    ok = M:close(C),
    sleep(20),
    r(M:recv(A, 0, 1000)),
    r(M:recv(A, 0, 1000)),
    r(M:send(A, <<"x">>)),
    r(M:info(A)),
    M:close(A).

recv_closed_while_waiting(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Self = self(),
    spawn_proc(reader, fun() -> Self ! waiting, r(M:recv(A, 0)), Self ! done end),
    receive waiting -> ok end,
    sleep(50),
    r(M:close(A)),
    receive done -> ok after 2000 -> r(not_done) end,
    M:close(C).

%% A second reader waits until the first is done.
recv_queue(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    {select, {select_info, recv, H}} = r(M:recv(A, 0, nowait)),
    Self = self(),
    spawn_proc(second, fun() ->
                               r(M:recv(A, 0, nowait)),
                               r(pyinet_conformance:caught(fun() -> M:recv(A, 0, nowait) end)),
                               Self ! queued,
                               r(msgs(300)),
                               r(M:recv(A, 0, nowait)),
                               Self ! done
                       end),
    receive queued -> ok end,
    r(maps:get(num_readers, M:info(A))),
    ok = M:send(C, <<"one">>),
    receive {'$socket', A, select, H} -> ok after 2000 -> r(none) end,
    r(M:recv(A, 0, nowait)),
    ok = M:send(C, <<"two">>),
    receive done -> ok after 3000 -> r(not_done) end,
    r(maps:get(num_readers, M:info(A))),
    [M:close(X) || X <- [A, C]].

%% The current reader exits: the queued one becomes current and gets the
%% select message.
reader_exit_next(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Self = self(),
    First = spawn_proc(first, fun() ->
                                      r(M:recv(A, 0, nowait)),
                                      Self ! ready,
                                      receive stop -> exit(stopped) end
                              end),
    receive ready -> ok end,
    spawn_proc(second, fun() ->
                               r(M:recv(A, 0, nowait)),
                               Self ! ready,
                               r(msgs(400)),
                               r(M:recv(A, 0, nowait)),
                               Self ! done
                       end),
    receive ready -> ok end,
    unlink(First),
    exit(First, kill),
    sleep(100),
    r(maps:get(num_readers, M:info(A))),
    ok = M:send(C, <<"for the second">>),
    receive done -> ok after 3000 -> r(not_done) end,
    r(maps:get(num_readers, M:info(A))),
    [M:close(X) || X <- [A, C]].

acceptor_exit_next(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet6),
    Self = self(),
    First = spawn_proc(first, fun() ->
                                      r(M:accept(L, nowait)),
                                      Self ! ready,
                                      receive stop -> ok end
                              end),
    receive ready -> ok end,
    spawn_proc(second, fun() ->
                               Self ! ready,
                               {ok, A} = r(M:accept(L, 2000)),
                               M:close(A),
                               Self ! done
                       end),
    receive ready -> ok end,
    sleep(50),
    unlink(First),
    exit(First, kill),
    sleep(100),
    r(maps:get(num_acceptors, M:info(L))),
    {ok, C} = M:open(inet6, stream),
    r(M:connect(C, Addr)),
    receive done -> ok after 3000 -> r(not_done) end,
    r(info(M, L)),
    [M:close(X) || X <- [C, L]].

%% A blocking recv of another process waits behind the current reader and
%% times out there.
recv_locked_out(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    {select, SI} = r(M:recv(A, 0, nowait)),
    Self = self(),
    spawn_proc(other, fun() -> r(M:recv(A, 0, 100)), r(M:recv(A, 0, 0)), Self ! done end),
    receive done -> ok end,
    ok = M:send(C, <<"data">>),
    sleep(20),
    r(msgs()),
    r(M:recv(A, 0, nowait)),
    r(M:cancel(A, SI)),
    [M:close(X) || X <- [A, C]].

recv_peek(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"peekaboo">>),
    sleep(20),
    r(M:recv(A, 4, [peek])),
    r(M:recv(A, 0, [peek], 100)),
    r(M:recv(A, [])),
    r(M:recv(A, 0, [peek], 50)),
    ok = M:send(C, <<"oob">>, [oob]),
    sleep(20),
    r(M:recv(A, 0, [oob], 100)),
    [M:close(X) || X <- [A, C]].

recv_flags_errors(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:recv(A, 0, [foo], 10)),
    r(M:recv(A, 0, [peek, bar], nowait)),
    t(fun() -> M:recv(A, 0, [peek, "x"], 10) end),
    t(fun() -> M:recv(A, 0, [-1], 10) end),
    r(M:recv(A, 0, [16#40], 10)),
    ok = M:close(A),
    r(M:recv(A, 0, [foo], 10)),
    M:close(C).

recv_otp_rcvbuf(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:setopt(A, {otp, rcvbuf}, 4)),
    r(M:getopt(A, {otp, rcvbuf})),
    ok = M:send(C, <<"abcdefghij">>),
    sleep(20),
    r(M:recv(A, 0, 100)),
    r(M:recv(A, 0, nowait)),
    r(M:setopt(A, {otp, rcvbuf}, {2, 2})),
    r(M:getopt(A, {otp, rcvbuf})),
    r(M:recv(A, 0, 100)),
    ok = M:send(C, <<"0123456789">>),
    sleep(20),
    r(M:recv(A, 0, nowait)),
    r(M:recv(A, 0, 100)),
    r(M:setopt(A, {otp, rcvbuf}, default)),
    r(M:getopt(A, {otp, rcvbuf})),
    [r(M:setopt(A, {otp, rcvbuf}, V)) || V <- [0, -1, {0, 10}, {2, 0}, foo, {1, default}]],
    r(M:getopt(A, {otp, rcvbuf})),
    r(M:info(A)),
    [M:close(X) || X <- [A, C]].

recv_forms(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    [begin ok = M:send(C, <<"data">>), sleep(20), r(F()) end
     || F <- [fun() -> M:recv(A) end,
              fun() -> M:recv(A, []) end,
              fun() -> M:recv(A, 4) end,
              fun() -> M:recv(A, [], 100) end,
              fun() -> M:recv(A, 2, []) end,
              fun() -> M:recv(A, 2, 100) end,
              fun() -> M:recv(A, 0, [], infinity) end]],
    [M:close(X) || X <- [A, C]].

recv_bad_args(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    t(fun() -> M:recv(A, -1) end),
    t(fun() -> M:recv(A, foo) end),
    t(fun() -> M:recv(A, 0, -1) end),
    t(fun() -> M:recv(A, 0, foo) end),
    t(fun() -> M:recv(A, 0, [], 1.5) end),
    t(fun() -> M:recv(not_a_socket, 0) end),
    t(fun() -> M:recv(A, 0, not_a_list, 10) end),
    [M:close(X) || X <- [A, C]].

recvfrom_stream(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"hello">>),
    r(M:recvfrom(A, 0, 1000)),
    ok = M:send(C, <<"again">>),
    r(M:recvfrom(A, 3, 1000)),
    r(M:recvfrom(A, 0, nowait)),
    r(msgs()),
    [M:close(X) || X <- [A, C]].

%%% Send.

send_forms(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:send(C, <<"a">>)),
    r(M:send(C, [<<"b">>])),
    r(M:send(C, [<<"c">>, "d", [$e]])),
    r(M:send(C, <<"f">>, [])),
    r(M:send(C, <<"g">>, 1000)),
    r(M:send(C, <<"h">>, [], infinity)),
    r(M:send(C, <<"i">>, nowait)),
    r(M:send(C, <<"j">>, make_ref())),
    r(M:send(C, <<>>)),
    r(M:send(C, <<"k">>, [nosignal])),
    sleep(20),
    r(M:recv(A, 11, 1000)),
    r(M:info(C)),
    [M:close(X) || X <- [A, C]].

send_errors(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    t(fun() -> M:send(C, [foo]) end),
    t(fun() -> M:send(C, foo) end),
    t(fun() -> M:send(C, <<"x">>, -1) end),
    t(fun() -> M:send(C, <<"x">>, [], foo) end),
    r(M:send(C, <<"x">>, [foo])),
    t(fun() -> M:send(C, <<"x">>, ["x"]) end),
    r(M:send(C, <<"x">>, {select_info, recv, make_ref()})),
    r(M:send(C, <<"x">>, {select_info, {recv, 0}, make_ref()})),
    {ok, U} = M:open(inet, stream),
    r(M:send(U, <<"x">>)),
    r(M:send(U, <<"x">>, nowait)),
    r(M:info(U)),
    [M:close(X) || X <- [A, C, U]].

send_nowait_small(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:send(C, <<"small">>, nowait)),
    r(M:recv(A, 5, 1000)),
    r(msgs()),
    [M:close(X) || X <- [A, C]].

%% The peer does not read: a nowait send stops part way, the select message
%% comes once the peer reads, and the rest goes with the continuation.
send_fill_nowait(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Result = fill(M, C),
    r(shape(Result)),
    case Result of
        {select, {{select_info, {send, _}, H} = SI, Rest}} ->
            r(M:send(C, <<"more">>, nowait)),
            drain(M, A, 300),
            receive {'$socket', C, select, H} -> r(select_message) after 3000 -> r(none) end,
            r(shape(M:send(C, Rest, SI, nowait))),
            r(M:cancel(C, SI));
        {select, {select_info, {send, _}, _} = SI} ->
            r(M:cancel(C, SI));
        _ ->
            ok
    end,
    [M:close(X) || X <- [A, C]].

drain(M, A, Ms) ->
    case M:recv(A, 0, Ms) of
        {ok, _} -> drain(M, A, Ms);
        _ -> ok
    end.

send_fill_timeout(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:setopt(C, {socket, sndbuf}, 4096),
    Big = binary:copy(<<"y">>, 4 * 1024 * 1024),
    r(shape(M:send(C, Big, 100))),
    r(shape(M:send(C, <<"z">>, 0))),
    [M:close(X) || X <- [A, C]].

send_after_peer_close(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:close(A),
    sleep(20),
    r(M:send(C, <<"first">>)),
    sleep(20),
    r(M:send(C, <<"second">>)),
    r(M:send(C, <<"third">>)),
    r(M:recv(C, 0, 100)),
    r(M:info(C)),
    M:close(C).

send_closed(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:close(C),
    r(M:send(C, <<"x">>)),
    r(M:send(C, <<"x">>, nowait)),
    r(M:send(C, <<"x">>, [foo])),
    r(M:sendto(C, <<"x">>, #{family => inet, addr => foo})),
    M:close(A).

%%% Shutdown and close.

shutdown_forms(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:shutdown(C, write)),
    r(M:recv(A, 0, 1000)),
    r(M:send(C, <<"x">>)),
    r(M:send(A, <<"still">>)),
    r(M:recv(C, 0, 1000)),
    r(M:shutdown(A, read)),
    r(M:shutdown(A, read_write)),
    r(M:recv(A, 0, 100)),
    [M:close(X) || X <- [A, C]].

shutdown_errors(B) ->
    M = sock(B),
    {ok, U} = M:open(inet, stream),
    r(M:shutdown(U, write)),
    t(fun() -> M:shutdown(U, foo) end),
    t(fun() -> M:shutdown(foo, write) end),
    ok = M:close(U),
    r(M:shutdown(U, read)),
    t(fun() -> M:shutdown(U, foo) end).

close_twice(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    r(M:close(S)),
    r(M:close(S)),
    t(fun() -> M:close(foo) end).

closed_ops(B) ->
    M = sock(B),
    {L, C, A} = pair(B, inet, keep),
    [ok = M:close(X) || X <- [L, C, A]],
    r(M:recv(A)),
    r(M:recv(A, 0, nowait)),
    r(M:recvfrom(A, 0, 0)),
    r(M:send(A, <<"x">>)),
    r(M:accept(L)),
    r(M:accept(L, nowait)),
    r(M:connect(C, #{family => inet, addr => ?LO, port => 1})),
    r(M:connect(C, #{family => inet, addr => ?LO, port => 1}, nowait)),
    t(fun() -> M:connect(C) end),
    r(M:listen(L)),
    r(M:sockname(A)),
    r(M:peername(A)),
    r(M:getopt(A, {socket, type})),
    r(M:getopt(A, {otp, domain})),
    r(M:getopt(A, {otp, use_registry})),
    r(M:getopt(A, {socket, foo})),
    r(M:setopt(A, {socket, keepalive}, true)),
    r(M:setopt(A, {socket, keepalive}, foo)),
    r(M:setopt(A, {otp, rcvbuf}, 100)),
    r(M:cancel(A, {select_info, recv, make_ref()})),
    r(M:cancel(A, {select_info, foo, make_ref()})),
    r(M:shutdown(A, write)).

close_aborts_waiters(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Self = self(),
    spawn_proc(current, fun() ->
                                {select, {select_info, recv, H}} = M:recv(A, 0, nowait),
                                Self ! {ready, H},
                                r(msgs(300)),
                                Self ! done
                        end),
    H = receive {ready, H0} -> H0 end,
    spawn_proc(waiting, fun() ->
                                r(M:recv(A, 0, nowait)),
                                Self ! ready,
                                r(msgs(300)),
                                Self ! done
                        end),
    receive ready -> ok end,
    r(M:close(A)),
    r(is_reference(H)),
    [receive done -> ok after 3000 -> r(not_done) end || _ <- [current, waiting]],
    M:close(C).

owner_exit_closes(B) ->
    M = sock(B),
    Self = self(),
    {L, Addr} = listener(B, inet),
    Pid = spawn_proc(owner, fun() ->
                                    {ok, C} = M:open(inet, stream),
                                    ok = M:connect(C, Addr),
                                    Self ! {socket, C},
                                    receive stop -> ok end
                            end),
    C = receive {socket, S} -> S end,
    {ok, A} = M:accept(L),
    {select, SI} = r(M:recv(C, 0, nowait)),
    Pid ! stop,
    sleep(100),
    r(msgs()),
    r(M:recv(A, 0, 1000)),
    r(M:send(C, <<"x">>)),
    r(maps:with([owner, rstates, wstates], M:info(C))),
    r(M:cancel(C, SI)),
    [M:close(X) || X <- [A, L]].

controlling_process(B) ->
    M = sock(B),
    Self = self(),
    {ok, S} = M:open(inet, dgram),
    r(M:getopt(S, {otp, controlling_process}) =:= {ok, Self}),
    Other = spawn_proc(other, fun() ->
                                      r(M:setopt(S, {otp, controlling_process}, self())),
                                      r(M:setopt(S, {otp, meta}, other)),
                                      Self ! tried,
                                      receive stop -> ok end
                              end),
    receive tried -> ok end,
    r(M:setopt(S, {otp, controlling_process}, Other)),
    r(M:getopt(S, {otp, controlling_process}) =:= {ok, Other}),
    r(M:setopt(S, {otp, controlling_process}, Self)),
    r(M:setopt(S, {otp, meta}, mine)),
    r(M:setopt(S, {otp, controlling_process}, foo)),
    Dead = spawn(fun() -> ok end),
    sleep(20),
    {ok, S2} = M:open(inet, dgram),
    r(M:setopt(S2, {otp, controlling_process}, Dead)),
    sleep(50),
    r(M:sockname(S2)),
    Other ! stop,
    sleep(50),
    r(M:sockname(S)),
    r(maps:get(owner, M:info(S)) =:= undefined).

%%% info/1.

info_counters(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    [ok = M:send(C, binary:copy(<<"z">>, N)) || N <- [10, 20, 30]],
    sleep(20),
    r(M:recv(A, 5)),
    r(M:recv(A, 0)),
    r(M:recv(A, 0, 10)),
    r(M:info(A)),
    r(M:info(C)),
    [M:close(X) || X <- [A, C]].

info_closed(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    ok = M:send(C, <<"abc">>),
    r(M:recv(A, 3)),
    ok = M:close(A),
    r(M:info(A)),
    r(M:info(C)),
    t(fun() -> M:info(foo) end),
    M:close(C).

counters_accept(B) ->
    M = sock(B),
    {L, Addr} = listener(B, inet),
    r(M:accept(L, 0)),
    r(M:accept(L, 20)),
    {ok, C} = M:open(inet, stream),
    ok = M:connect(C, Addr),
    {ok, A} = M:accept(L),
    r(M:info(L)),
    [M:close(X) || X <- [A, C, L]].

%%% IPv6 and Unix domain stream sockets.

ipv6_stream(B) ->
    M = sock(B),
    {L, C, A} = pair(B, inet6, keep),
    r(M:sockname(L)),
    r(M:peername(C)),
    r(M:send(C, <<"six">>)),
    r(M:recv(A, 3, 1000)),
    r(M:recvfrom(A, 0, 10)),
    r(M:getopt(C, {ipv6, v6only})),
    r(info(M, A)),
    [M:close(X) || X <- [A, C, L]].

ipv6_mapped(B) ->
    M = sock(B),
    {ok, L} = M:open(inet6, stream),
    ok = M:setopt(L, {ipv6, v6only}, false),
    ok = r(M:bind(L, #{family => inet6, addr => any, port => 0})),
    ok = M:listen(L),
    {ok, #{port := P}} = M:sockname(L),
    known_port(P),
    {ok, C} = M:open(inet, stream),
    r(M:connect(C, #{family => inet, addr => ?LO, port => P})),
    {ok, A} = M:accept(L),
    r(M:peername(A)),
    r(M:sockname(A)),
    [M:close(X) || X <- [A, C, L]].

local_stream(B) ->
    M = sock(B),
    Path = path("stream"),
    {ok, L} = M:open(local, stream),
    r(M:bind(L, #{family => local, path => Path})),
    r(M:listen(L)),
    r(M:sockname(L)),
    {ok, C} = M:open(local, stream),
    r(M:connect(C, #{family => local, path => binary_to_list(Path)})),
    {ok, A} = r(M:accept(L, 1000)),
    r(M:sockname(C)),
    r(M:peername(C)),
    r(M:peername(A)),
    r(M:send(C, <<"over unix">>)),
    r(M:recv(A, 0, 1000)),
    r(M:recvfrom(A, 0, 10)),
    r(M:send(A, <<"back">>)),
    r(M:recvfrom(C, 0, 1000)),
    r(M:getopt(A, {socket, protocol})),
    r(M:getopt(A, {socket, domain})),
    r(info(M, A)),
    ok = M:close(A),
    r(M:recv(C, 0, 1000)),
    r(M:send(C, <<"x">>)),
    [M:close(X) || X <- [C, L]],
    file:delete(Path).

local_abstract(B) ->
    M = sock(B),
    Path = <<0, (path("abstract"))/binary>>,
    {ok, L} = M:open(local, stream),
    r(M:bind(L, #{family => local, path => Path})),
    ok = M:listen(L),
    r(M:sockname(L)),
    {ok, C} = M:open(local, stream),
    r(M:connect(C, #{family => local, path => Path})),
    {ok, A} = M:accept(L),
    r(M:peername(C)),
    r(M:send(C, <<"abstract">>)),
    r(M:recv(A, 0, 1000)),
    [M:close(X) || X <- [A, C, L]].

local_errors(B) ->
    M = sock(B),
    Path = path("errors"),
    {ok, S} = M:open(local, stream),
    r(M:connect(S, #{family => local, path => Path})),
    r(M:bind(S, #{family => local, path => binary:copy(<<"p">>, 200)})),
    r(M:bind(S, #{family => local, path => binary:copy(<<"p">>, 300)})),
    r(M:bind(S, #{family => local, path => 42})),
    r(M:bind(S, #{family => local, path => Path, port => 1})),
    r(M:bind(S, #{family => inet, addr => ?LO})),
    ok = M:bind(S, #{family => local, path => Path}),
    {ok, S2} = M:open(local, stream),
    r(M:bind(S2, #{family => local, path => Path})),
    r(M:connect(S2, #{family => local, path => Path})),
    [M:close(X) || X <- [S, S2]],
    file:delete(Path).

%%% Cancel, timeouts, the socket term, monitors.

cancel_errors(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    r(M:cancel(S, {select_info, recv, make_ref()})),
    r(M:cancel(S, {select_info, {send, 0}, make_ref()})),
    r(M:cancel(S, {select_info, accept, make_ref()})),
    r(M:cancel(S, {select_info, connect, make_ref()})),
    t(fun() -> M:cancel(S, {select_info, recv, not_a_ref}) end),
    t(fun() -> M:cancel(S, {select_info, "recv", make_ref()}) end),
    t(fun() -> M:cancel(S, foo) end),
    t(fun() -> M:cancel(foo, {select_info, recv, make_ref()}) end),
    t(fun() -> M:cancel(S, {select_info, bar, make_ref()}) end),
    M:close(S).

timeout_errors(B) ->
    M = sock(B),
    {L, C, A} = pair(B, inet, keep),
    [t(fun() -> F(T) end)
     || T <- [-1, foo, 1.0, {1}],
        F <- [fun(X) -> M:recv(A, 0, X) end, fun(X) -> M:accept(L, X) end,
              fun(X) -> M:send(C, <<"x">>, X) end, fun(X) -> M:recvfrom(A, 0, X) end]],
    [M:close(X) || X <- [A, C, L]].

%% What users do with a socket term: match it, compare it, pass it on.
socket_term(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(case C of {'$socket', _} -> matches; _ -> no_match end),
    r({C =:= C, C =:= A, C == C}),
    Self = self(),
    spawn_proc(user, fun() ->
                             r(M:send(C, <<"from another process">>)),
                             Self ! done
                     end),
    receive done -> ok end,
    r(M:recv(A, 0, 1000)),
    r(lists:prefix("#Socket", M:to_list(C))),
    r(length(lists:usort([C, A, C]))),
    [M:close(X) || X <- [A, C]].

monitor_close(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    MRef = M:monitor(S),
    r(is_reference(MRef)),
    ok = M:close(S),
    r(msgs()),
    MRef2 = M:monitor(S),
    r(msgs()),
    r(M:cancel_monitor(MRef2)),
    {ok, S2} = M:open(inet, dgram),
    MRef3 = M:monitor(S2),
    r(M:cancel_monitor(MRef3)),
    ok = M:close(S2),
    r(msgs()).

which_sockets(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    r(lists:member(S, M:which_sockets())),
    r(lists:member(S, M:which_sockets(self()))),
    r(lists:member(S, M:which_sockets(dgram))),
    r(lists:member(S, M:which_sockets(stream))),
    r(lists:member(S, M:which_sockets(inet))),
    r(lists:member(S, M:which_sockets(udp))),
    r(M:number_of() >= 1),
    ok = M:close(S),
    r(lists:member(S, M:which_sockets())),
    t(fun() -> M:which_sockets(foo) end).
