%% gen_tcp scenarios for the conformance harness: the functions of gen_tcp and
%% inet on TCP sockets, and the error rows of shared/DESIGN.md. Each runs on
%% native gen_tcp and on pyinet_tcp; see pyinet_conformance.
-module(pyinet_conformance_tcp).

-export([scenarios/0]).
-export([listen/2, pair/1, pair/3]).

%% Scenarios.
-export([connect_accept_send_recv/1, connect_refused/1, connect_nxdomain/1,
         connect_bad_option/1, connect_bad_port/1, listen_bad_option/1,
         connect_sockaddr_map/1, connect_ipv6/1, connect_ipv6_inferred/1, connect_localhost/1,
         recv_closed_local/1, send_closed_local/1, accept_closed_local/1,
         controlling_process_closed_local/1, setopts_closed_local/1, peername_closed_local/1,
         port_closed_local/1, close_twice/1,
         passive_recv_after_peer_close/1, passive_recv_after_peer_close_no_exit/1,
         active_peer_close/1, active_peer_close_show_econnreset/1,
         recv_while_active/1, recv_length_not_raw/1, recv_concurrent/1, recv_timeout_keeps_data/1,
         recv_length_exact/1, recv_length_zero/1, recv_partial_then_close/1,
         controlling_process_not_owner/1, controlling_process_dead_pid/1,
         controlling_process_moves_messages/1, controlling_process_self/1,
         accept_timeout/1, accept_pending_when_closed/1, concurrent_acceptors/1,
         active_once/1, active_n/1, active_n_add/1, active_n_too_big/1, active_n_zero/1,
         active_n_negative/1,
         send_after_peer_close/1, shutdown_write/1, shutdown_read/1, shutdown_read_write/1,
         shutdown_closed/1, unrecv_passive/1, unrecv_active/1,
         getopts_defaults/1, getopts_unknown/1, setopts_unknown/1, setopts_bad_value/1,
         setopts_not_list/1, sockname_peername/1, getstat_counts/1,
         list_mode/1, header_option/1, deliver_port/1, exit_on_close_false_send/1,
         monitor_close/1, monitor_closed/1, peer_reset_passive/1, peer_reset_active/1,
         peer_reset_show_econnreset_passive/1, netns_listen_connect/1, netns_missing/1]).

-import(pyinet_conformance, [r/1, r/2, t/1, msgs/0, msgs/1, opts/2, sleep/1, spawn_proc/2,
                             known_port/1]).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports),
          not lists:member(F, [listen, pair, module_info])].

%%% Helpers.

listen(B, Opts) ->
    {ok, L} = gen_tcp:listen(0, opts(B, Opts)),
    {ok, P} = inet:port(L),
    {L, known_port(P)}.

pair(B) ->
    pair(B, [binary, {active, false}], [binary, {active, false}]).

%% A connected pair: C the connecting side with COpts, A the accepted side
%% from a listen socket with AOpts.
pair(B, COpts, AOpts) ->
    {L, P} = listen(B, AOpts),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, COpts), 5000),
    {ok, A} = gen_tcp:accept(L, 5000),
    ok = gen_tcp:close(L),
    {C, A}.

%%% Connect, listen, accept.

connect_accept_send_recv(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    {ok, C} = r(gen_tcp:connect("localhost", P, opts(B, [binary, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L)),
    r(gen_tcp:send(C, <<"ping">>)),
    r(gen_tcp:recv(A, 4, 1000)),
    r(gen_tcp:send(A, [<<"po">>, "n", [$g]])),
    r(gen_tcp:recv(C, 4, 1000)),
    r(gen_tcp:close(C)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:close(A)),
    r(gen_tcp:close(L)).

connect_refused(B) ->
    {L, P} = listen(B, []),
    gen_tcp:close(L),
    r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, []), 2000)).

connect_nxdomain(B) ->
    r(gen_tcp:connect("no-such-host.invalid", 80, opts(B, []), 2000)).

connect_bad_option(B) ->
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, 1, opts(B, [{packet, bogus}])) end),
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, 1, opts(B, [bogus])) end),
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, 1, opts(B, [{active, 40000}])) end).

connect_bad_port(B) ->
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, 70000, opts(B, [])) end),
    t(fun() -> gen_tcp:connect({127, 0, 0, 1}, -1, opts(B, [])) end).

listen_bad_option(B) ->
    t(fun() -> gen_tcp:listen(0, opts(B, [{packet, bogus}])) end),
    t(fun() -> gen_tcp:listen(0, opts(B, [{backlog, x}])) end),
    t(fun() -> gen_tcp:listen(70000, opts(B, [])) end).

connect_sockaddr_map(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    {ok, C} = r(gen_tcp:connect(#{family => inet, addr => {127, 0, 0, 1}, port => P},
                                opts(B, [binary, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(C, <<"map">>)),
    r(gen_tcp:recv(A, 3, 1000)),
    r(inet:peername(A)),
    [gen_tcp:close(S) || S <- [C, A, L]].

connect_ipv6(B) ->
    {ok, L} = r(gen_tcp:listen(0, opts(B, [binary, {active, false}, {ip, {0, 0, 0, 0, 0, 0, 0, 1}}]))),
    {ok, P} = inet:port(L),
    known_port(P),
    r(inet:sockname(L)),
    {ok, C} = r(gen_tcp:connect({0, 0, 0, 0, 0, 0, 0, 1}, P, opts(B, [binary, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(C, <<"six">>)),
    r(gen_tcp:recv(A, 3, 1000)),
    r(inet:peername(C)),
    [gen_tcp:close(S) || S <- [C, A, L]].

%% IPv6 from the address alone: {ifaddr, IPv6} to listen and {ip, IPv6} to
%% connect from, no inet6.
connect_ipv6_inferred(B) ->
    {ok, L} = r(gen_tcp:listen(0, opts(B, [binary, {active, false},
                                           {ifaddr, {0, 0, 0, 0, 0, 0, 0, 1}}]))),
    {ok, P} = inet:port(L),
    known_port(P),
    r(inet:sockname(L)),
    {ok, C} = r(gen_tcp:connect({0, 0, 0, 0, 0, 0, 0, 1}, P,
                                opts(B, [binary, {active, false}, {ip, {0, 0, 0, 0, 0, 0, 0, 1}}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:send(C, <<"six">>)),
    r(gen_tcp:recv(A, 3, 1000)),
    r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [{ip, {0, 0, 0, 0, 0, 0, 0, 1}}]))),
    [gen_tcp:close(S) || S <- [C, A, L]].

connect_localhost(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    {ok, C} = r(gen_tcp:connect(localhost, P, opts(B, [binary, {active, false}]))),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(inet:peername(C)),
    [gen_tcp:close(S) || S <- [C, A, L]].

%%% Operations on a socket closed locally.

recv_closed_local(B) ->
    {C, A} = pair(B),
    r(gen_tcp:close(C)),
    r(gen_tcp:recv(C, 0, 100)),
    gen_tcp:close(A).

send_closed_local(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(gen_tcp:send(C, <<"x">>)),
    gen_tcp:close(A).

accept_closed_local(B) ->
    {L, _} = listen(B, []),
    gen_tcp:close(L),
    r(gen_tcp:accept(L, 100)).

controlling_process_closed_local(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(gen_tcp:controlling_process(C, self())),
    gen_tcp:close(A).

setopts_closed_local(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(inet:setopts(C, [{active, true}])),
    r(inet:getopts(C, [active])),
    gen_tcp:close(A).

peername_closed_local(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(inet:peername(C)),
    r(inet:sockname(C)),
    gen_tcp:close(A).

port_closed_local(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(inet:port(C)),
    r(inet:getstat(C)),
    gen_tcp:close(A).

close_twice(B) ->
    {C, A} = pair(B),
    r(gen_tcp:close(C)),
    r(gen_tcp:close(C)),
    gen_tcp:close(A).

%%% The peer closes.

passive_recv_after_peer_close(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"hello">>),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:send(C, <<"x">>)),
    r(inet:setopts(C, [{active, true}])),
    r(inet:getopts(C, [active])),
    r(inet:peername(C)),
    r(gen_tcp:close(C)),
    msgs().

passive_recv_after_peer_close_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, false}, {exit_on_close, false}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"hello">>),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(inet:setopts(C, [{active, true}])),
    msgs(),
    r(inet:getopts(C, [active])),
    r(gen_tcp:close(C)).

active_peer_close(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"hello">>),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(inet:setopts(C, [{active, true}])),
    r(inet:peername(C)),
    r(gen_tcp:close(C)).

active_peer_close_show_econnreset(B) ->
    {C, A} = pair(B, [binary, {active, true}, {show_econnreset, true}],
                  [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"hello">>),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:close(C)).

peer_reset_passive(B) ->
    {C, A} = pair(B),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

peer_reset_show_econnreset_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {show_econnreset, true}],
                  [binary, {active, false}]),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

peer_reset_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {show_econnreset, true}],
                  [binary, {active, false}]),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:close(C)).

send_after_peer_close(B) ->
    {C, A} = pair(B),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:send(C, <<"one">>)),
    sleep(50),
    r(gen_tcp:send(C, <<"two">>)),
    r(gen_tcp:send(C, <<"three">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

%%% recv.

recv_while_active(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    r(gen_tcp:recv(C, 0, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

recv_length_not_raw(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}], [binary, {active, false}]),
    r(gen_tcp:recv(C, 5, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

recv_concurrent(B) ->
    {C, A} = pair(B),
    Self = self(),
    spawn_proc(first, fun() -> Self ! started, r(gen_tcp:recv(C, 0, 500)) end),
    receive started -> ok end,
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    sleep(600),
    [gen_tcp:close(S) || S <- [C, A]].

recv_timeout_keeps_data(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"abc">>),
    sleep(30),
    r(gen_tcp:recv(C, 5, 100)),
    ok = gen_tcp:send(A, <<"de">>),
    r(gen_tcp:recv(C, 5, 1000)),
    [gen_tcp:close(S) || S <- [C, A]].

recv_length_exact(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"0123456789">>),
    r(gen_tcp:recv(C, 3, 1000)),
    r(gen_tcp:recv(C, 4, 1000)),
    r(gen_tcp:recv(C, 3, 1000)),
    r(gen_tcp:recv(C, 1, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

recv_length_zero(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"0123456789">>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

recv_partial_then_close(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"hel">>),
    sleep(20),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 5, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

%%% controlling_process.

controlling_process_not_owner(B) ->
    {C, A} = pair(B),
    Self = self(),
    spawn_proc(other, fun() -> r(gen_tcp:controlling_process(C, self())), Self ! done end),
    receive done -> ok end,
    [gen_tcp:close(S) || S <- [C, A]].

controlling_process_dead_pid(B) ->
    {C, A} = pair(B),
    Dead = spawn(fun() -> ok end),
    sleep(20),
    r(gen_tcp:controlling_process(C, Dead)),
    r(inet:getopts(C, [active])),
    [gen_tcp:close(S) || S <- [C, A]].

controlling_process_self(B) ->
    {C, A} = pair(B),
    r(gen_tcp:controlling_process(C, self())),
    [gen_tcp:close(S) || S <- [C, A]].

controlling_process_moves_messages(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 2}], [binary, {active, false}, {packet, 2}]),
    ok = gen_tcp:send(A, <<"one">>),
    ok = gen_tcp:send(A, <<"two">>),
    sleep(50),
    Self = self(),
    New = spawn_proc(new_owner, fun() ->
                                        receive go -> ok end,
                                        msgs(),
                                        r(inet:getopts(C, [active])),
                                        Self ! done
                                end),
    r(gen_tcp:controlling_process(C, New)),
    ok = gen_tcp:send(A, <<"three">>),
    sleep(50),
    New ! go,
    receive done -> ok end,
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

%%% accept.

accept_timeout(B) ->
    {L, _} = listen(B, []),
    r(gen_tcp:accept(L, 50)),
    r(gen_tcp:accept(L, 0)),
    gen_tcp:close(L).

accept_pending_when_closed(B) ->
    {L, _} = listen(B, []),
    Self = self(),
    spawn_proc(acceptor, fun() -> Self ! waiting, r(gen_tcp:accept(L)), Self ! done end),
    receive waiting -> ok end,
    sleep(50),
    r(gen_tcp:close(L)),
    receive done -> ok after 2000 -> r(no_reply) end.

concurrent_acceptors(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    Self = self(),
    [spawn_proc(Name, fun() ->
                              {ok, S} = gen_tcp:accept(L, 2000),
                              {ok, Data} = gen_tcp:recv(S, 1, 2000),
                              Self ! {accepted, Data},
                              receive stop -> gen_tcp:close(S) end
                      end) || Name <- [acceptor1, acceptor2, acceptor3]],
    sleep(50),
    Cs = [begin
              {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
              ok = gen_tcp:send(C, <<N>>),
              C
          end || N <- [$a, $b, $c]],
    Got = [receive {accepted, D} -> D after 2000 -> timeout end || _ <- Cs],
    r(lists:sort(Got)),
    [gen_tcp:close(S) || S <- [L | Cs]].

%%% Active modes.

active_once(B) ->
    {C, A} = pair(B, [binary, {active, once}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    [ok = gen_tcp:send(A, X) || X <- [<<"a">>, <<"b">>, <<"c">>]],
    sleep(50),
    msgs(),
    r(inet:getopts(C, [active])),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(gen_tcp:recv(C, 0, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

active_n(B) ->
    {C, A} = pair(B, [binary, {active, 2}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    [ok = gen_tcp:send(A, X) || X <- [<<"a">>, <<"b">>, <<"c">>]],
    sleep(50),
    msgs(),
    r(inet:getopts(C, [active])),
    r(gen_tcp:recv(C, 0, 100)),
    [gen_tcp:close(S) || S <- [C, A]].

active_n_add(B) ->
    {C, A} = pair(B, [binary, {active, 3}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    r(inet:setopts(C, [{active, 5}])),
    r(inet:getopts(C, [active])),
    r(inet:setopts(C, [{active, -6}])),
    r(inet:getopts(C, [active])),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

active_n_too_big(B) ->
    {C, A} = pair(B, [binary, {active, 30000}], [binary, {active, false}]),
    r(inet:setopts(C, [{active, 3000}])),
    r(inet:getopts(C, [active])),
    r(inet:setopts(C, [{active, 32768}])),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

active_n_zero(B) ->
    {C, A} = pair(B),
    r(inet:setopts(C, [{active, 0}])),
    msgs(),
    r(inet:getopts(C, [active])),
    [gen_tcp:close(S) || S <- [C, A]].

active_n_negative(B) ->
    {C, A} = pair(B, [binary, {active, 2}], [binary, {active, false}]),
    r(inet:setopts(C, [{active, -5}])),
    msgs(),
    r(inet:getopts(C, [active])),
    [gen_tcp:close(S) || S <- [C, A]].

%%% shutdown.

shutdown_write(B) ->
    {C, A} = pair(B),
    r(gen_tcp:shutdown(C, write)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:send(A, <<"still">>)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"no">>)),
    [gen_tcp:close(S) || S <- [C, A]].

shutdown_read(B) ->
    {C, A} = pair(B),
    r(gen_tcp:shutdown(C, read)),
    r(gen_tcp:send(C, <<"out">>)),
    r(gen_tcp:recv(A, 3, 1000)),
    [gen_tcp:close(S) || S <- [C, A]].

shutdown_read_write(B) ->
    {C, A} = pair(B),
    r(gen_tcp:shutdown(C, read_write)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:send(C, <<"no">>)),
    [gen_tcp:close(S) || S <- [C, A]].

shutdown_closed(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    r(gen_tcp:shutdown(C, write)),
    gen_tcp:close(A).

%%% unrecv.

unrecv_passive(B) ->
    {C, A} = pair(B),
    ok = gen_tcp:send(A, <<"world">>),
    r(gen_tcp:unrecv(C, <<"hello ">>)),
    r(gen_tcp:recv(C, 11, 1000)),
    [gen_tcp:close(S) || S <- [C, A]].

unrecv_active(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 1}], [binary, {active, false}]),
    r(gen_tcp:unrecv(C, <<3, "abc", 2, "de">>)),
    r(inet:setopts(C, [{active, true}])),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

%%% Options.

getopts_defaults(B) ->
    {C, A} = pair(B, [], []),
    r(inet:getopts(C, [active, mode, packet, packet_size, header, buffer, deliver,
                       exit_on_close, send_timeout, send_timeout_close, high_watermark,
                       low_watermark, delay_send, show_econnreset, line_delimiter, nodelay,
                       keepalive, reuseaddr, linger])),
    r(inet:getopts(A, [active, mode, packet, buffer])),
    [gen_tcp:close(S) || S <- [C, A]].

getopts_unknown(B) ->
    {C, A} = pair(B),
    r(inet:getopts(C, [foo])),
    r(inet:getopts(C, [active, foo])),
    r(inet:getopts(C, [{active, true}])),
    [gen_tcp:close(S) || S <- [C, A]].

setopts_unknown(B) ->
    {C, A} = pair(B),
    r(inet:setopts(C, [{foo, 1}])),
    r(inet:setopts(C, [foo])),
    r(inet:setopts(C, [{mode, list}, {foo, 1}])),
    r(inet:getopts(C, [mode])),
    [gen_tcp:close(S) || S <- [C, A]].

setopts_bad_value(B) ->
    {C, A} = pair(B),
    r(inet:setopts(C, [{packet, bogus}])),
    r(inet:setopts(C, [{active, 'maybe'}])),
    r(inet:setopts(C, [{nodelay, 1}])),
    r(inet:setopts(C, [{buffer, -1}])),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{packet_size, -1}])),
    [gen_tcp:close(S) || S <- [C, A]].

setopts_not_list(B) ->
    {C, A} = pair(B),
    t(fun() -> inet:setopts(C, {active, true}) end),
    [gen_tcp:close(S) || S <- [C, A]].

sockname_peername(B) ->
    {C, A} = pair(B),
    {ok, {_, CP}} = r(inet:sockname(C)),
    r(inet:peername(A)),
    r(inet:port(C) =:= {ok, CP}),
    [gen_tcp:close(S) || S <- [C, A]].

getstat_counts(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}], [binary, {active, false}, {packet, 2}]),
    ok = gen_tcp:send(C, <<"12345">>),
    ok = gen_tcp:send(C, <<"123">>),
    {ok, _} = gen_tcp:recv(A, 0, 1000),
    {ok, _} = gen_tcp:recv(A, 0, 1000),
    r(inet:getstat(C, [send_oct, send_cnt, send_max, send_avg])),
    r(inet:getstat(A, [recv_oct, recv_cnt, recv_max, recv_avg, recv_dvi])),
    r(inet:getstat(C, [bogus])),
    [gen_tcp:close(S) || S <- [C, A]].

list_mode(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, line}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"line one\nline two\n">>),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

header_option(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 1}, {header, 2}], [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"abcdef">>),
    sleep(30),
    ok = gen_tcp:send(A, <<"x">>),
    sleep(30),
    ok = gen_tcp:send(A, <<"yz">>),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

deliver_port(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 1}, {deliver, port}], [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"abc">>),
    msgs(),
    [gen_tcp:close(S) || S <- [C, A]].

exit_on_close_false_send(B) ->
    {C, A} = pair(B, [binary, {active, true}, {exit_on_close, false}], [binary, {active, false}]),
    r(gen_tcp:shutdown(A, write)),
    msgs(),
    r(gen_tcp:send(C, <<"after">>)),
    r(gen_tcp:recv(A, 0, 1000)),
    [gen_tcp:close(S) || S <- [C, A]].

%%% inet:monitor.

monitor_close(B) ->
    {C, A} = pair(B),
    MRef = inet:monitor(C),
    r(is_reference(MRef)),
    gen_tcp:close(C),
    msgs(),
    gen_tcp:close(A).

monitor_closed(B) ->
    {C, A} = pair(B),
    gen_tcp:close(C),
    _ = inet:monitor(C),
    msgs(),
    gen_tcp:close(A).

%%% Network namespaces ({netns, Path}): sockets created in another namespace.

netns_listen_connect(B) ->
    NS = test_netns(),
    {ok, L} = r(gen_tcp:listen(0, opts(B, [binary, {active, false}, {netns, NS}]))),
    r(inet:getopts(L, [netns])),
    {ok, {_, P}} = inet:sockname(L),
    known_port(P),
    %% A new namespace has its own loopback, down: nothing from here reaches it.
    r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary]), 500)),
    r(gen_tcp:listen(0, opts(B, [{netns, NS}, {ip, {127, 0, 0, 1}}]))),
    gen_tcp:close(L).

netns_missing(B) ->
    r(gen_tcp:listen(0, opts(B, [{netns, "/var/run/netns/pyinet_no_such_ns"}]))),
    r(gen_tcp:connect({127, 0, 0, 1}, 1, opts(B, [{netns, "/var/run/netns/pyinet_no_such_ns"}]))).

%% A namespace of our own (needs root and ip(8); without them both backends see
%% the same failure, which is then what is compared).
test_netns() ->
    Path = "/var/run/netns/pyinet_conformance",
    case filelib:is_file(Path) of
        true -> ok;
        false -> os:cmd("ip netns add pyinet_conformance 2>/dev/null")
    end,
    Path.
