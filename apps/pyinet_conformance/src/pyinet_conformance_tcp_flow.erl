%% gen_tcp scenarios for the hard parts of the data path: flow control (a
%% peer that does not read, watermarks, send_timeout), closing with output
%% queued, half-close and resets, timeouts, several processes on one socket,
%% controlling_process chains, the examples of the gen_tcp(3) manual page, and
%% inet:monitor/getstat/socknames/info. Each runs on native gen_tcp and on
%% pyinet_tcp; see pyinet_conformance.
%%
%% Making a sender block on loopback: the connecting side C gets a small
%% sndbuf and the accepted side A a small recbuf, A does not read, and C sends
%% ?BIG bytes. That first send returns ok (a send into an empty queue never
%% blocks) and leaves most of the data queued in the socket, so the next send
%% reaches high_watermark. How much the kernel took is never recorded.
-module(pyinet_conformance_tcp_flow).

-export([scenarios/0]).

%% Flow control.
-export([send_blocks_at_high_watermark/1, send_timeout_blocked/1, send_timeout_close/1,
         send_timeout_close_active/1, send_timeout_zero/1, send_timeout_set_while_queued/1,
         high_watermark_raised/1, watermarks_changed_while_blocked/1, senders_blocked/1,
         senders_send_timeout/1, senders_send_timeout_close/1,
         close_waits_for_output/1, close_while_sender_blocked/1,
         close_linger_zero_while_senders_blocked/1, close_output_linger_zero/1,
         close_output_linger_timeout/1, close_output_owner_killed/1, shutdown_write_output_queued_send/1,
         shutdown_write_output_drains/1, shutdown_write_send_show_econnreset/1]).

%% Half-close, resets, the peer gone.
-export([half_close_passive_no_exit/1, half_close_passive_exit/1, half_close_active_no_exit/1,
         half_close_active_once_no_exit/1, half_close_active_n_exit/1, half_close_both_ways/1,
         reset_while_receiving/1, reset_while_receiving_show_econnreset/1,
         reset_active_no_show/1, reset_active_once_later/1, reset_active_n/1,
         reset_while_sending/1, reset_while_sending_show_econnreset/1,
         reset_while_sending_active/1, reset_while_senders_wait/1,
         reset_while_senders_wait_passive/1, send_after_peer_close_show_econnreset/1,
         send_after_peer_close_active/1, send_after_peer_close_active_no_exit/1]).

%% Timeouts.
-export([recv_timeout_zero/1, recv_timeout_small_data_after/1, recv_infinity_data_later/1,
         recv_timeout_then_peer_close/1, accept_timeouts/1, connect_timeout_full_backlog/1]).

%% Several processes.
-export([acceptors_in_order/1, acceptor_killed_next_gets_it/1, acceptor_killed_only/1,
         recv_from_non_owner/1, recv_non_owner_then_owner/1, owner_killed/1,
         owner_exits_normally/1, owner_gone_after_handover/1,
         controlling_process_chain_active_true/1, controlling_process_chain_active_once/1,
         controlling_process_chain_active_n/1, controlling_process_after_peer_close/1,
         controlling_process_after_peer_close_no_exit/1, controlling_process_dead_active/1,
         controlling_process_non_pid/1, controlling_process_non_owner_to_owner/1]).

%% The examples of gen_tcp(3).
-export([manual_client_server/1, manual_worker_pool/1, manual_send_timeout_loop/1]).

%% inet.
-export([monitor_owner_killed/1, monitor_peer_close_active/1, monitor_peer_close_passive/1,
         monitor_cancel/1, monitor_listen_socket/1, getstat_after_blocked_sends/1,
         getstat_all_keys/1, socknames/1, info_states/1, info_closed/1]).

-import(pyinet_conformance, [r/1, r/2, t/1, msgs/0, opts/2, sleep/1, spawn_proc/2, known_port/1]).
-import(pyinet_conformance_tcp, [listen/2, pair/3]).

-define(BIG, 262144).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

big() ->
    binary:copy(<<"0123456789abcdef">>, ?BIG div 16).

%% A pair whose connecting side C cannot get rid of its output while A does not read.
slow_pair(B, COpts) ->
    slow_pair(B, COpts, 4096).

slow_pair(B, COpts, RecBuf) ->
    pair(B, [binary, {active, false}, {sndbuf, 4096}] ++ COpts,
         [binary, {active, false}, {recbuf, RecBuf}]).

%% Send ?BIG bytes on C: ok, and most of it stays queued.
fill(C) ->
    fill(C, big()).

fill(C, Data) ->
    r(fill, gen_tcp:send(C, Data)),
    {ok, [{send_pend, N}]} = inet:getstat(C, [send_pend]),
    r(queued, N > 0).

%% A process that sends Data on S, records the result and reports it.
sender(Label, S, Data) ->
    Self = self(),
    spawn_proc(Label, fun() -> Self ! {Label, r(gen_tcp:send(S, Data))} end).

%% Whether the sender Label has returned within Ms.
await(Label, Ms) ->
    receive {Label, Result} -> {returned, Result}
    after Ms -> blocked
    end.

%% Read from S until Want bytes came, or an error or a quiet second.
drain(S, Want) ->
    drain(S, Want, []).

drain(_S, Want, Acc) when Want =< 0 ->
    {ok, iolist_to_binary(lists:reverse(Acc))};
drain(S, Want, Acc) ->
    case gen_tcp:recv(S, 0, 1000) of
        {ok, D} -> drain(S, Want - byte_size(D), [D | Acc]);
        Error -> {Error, iolist_to_binary(lists:reverse(Acc))}
    end.

%% Read from S until it fails; the error and how many bytes came.
drain_to_end(S) ->
    drain_to_end(S, 0).

drain_to_end(S, N) ->
    case gen_tcp:recv(S, 0, 1000) of
        {ok, D} -> drain_to_end(S, N + byte_size(D));
        Error -> {Error, N}
    end.

%% The size of what came and its last bytes (what the blocked senders added).
summary({Result, Data}, TailSize) ->
    Size = byte_size(Data),
    {Result, Size, binary:part(Data, Size, -min(Size, TailSize))}.

elapsed(Fun) ->
    T0 = erlang:monotonic_time(millisecond),
    Result = Fun(),
    {Result, erlang:monotonic_time(millisecond) - T0}.

close_all(Sockets) ->
    [gen_tcp:close(S) || S <- Sockets],
    ok.

%%% Flow control.

send_blocks_at_high_watermark(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"tail">>),
    r(await(s1, 200)),
    r(summary(drain(A, ?BIG + 4), 4)),
    r(await(s1, 1000)),
    r(inet:getstat(C, [send_pend])),
    close_all([C, A]).

send_timeout_blocked(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 100}]),
    fill(C),
    {R1, T1} = elapsed(fun() -> gen_tcp:send(C, <<"a">>) end),
    r({R1, T1 >= 90}),
    r(gen_tcp:send(C, <<"b">>)),
    r(inet:getopts(C, [send_timeout, send_timeout_close])),
    %% What the timed-out sends queued still goes out.
    r(summary(drain(A, ?BIG + 2), 2)),
    r(gen_tcp:send(C, <<"c">>)),
    r(gen_tcp:recv(A, 1, 1000)),
    close_all([C, A]).

send_timeout_close(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 100}, {send_timeout_close, true}]),
    fill(C),
    r(gen_tcp:send(C, <<"a">>)),
    r(gen_tcp:send(C, <<"b">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:shutdown(C, write)),
    r(inet:getopts(C, [active])),
    r(inet:peername(C)),
    r(inet:sockname(C)),
    r(inet:getstat(C, [send_pend])),
    r(element(1, drain_to_end(A))),
    msgs(),
    r(gen_tcp:close(C)),
    r(gen_tcp:send(C, <<"c">>)),
    gen_tcp:close(A).

send_timeout_close_active(B) ->
    {C, A} = slow_pair(B, [{active, true}, {send_timeout, 100}, {send_timeout_close, true}]),
    fill(C),
    r(gen_tcp:send(C, <<"a">>)),
    gen_tcp:close(A),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(gen_tcp:close(C)).

send_timeout_zero(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 0}]),
    fill(C),
    {R1, T1} = elapsed(fun() -> gen_tcp:send(C, <<"a">>) end),
    r({R1, T1 < 50}),
    r(gen_tcp:send(C, <<"b">>)),
    r(inet:getstat(C, [send_cnt, send_oct])),
    r(summary(drain(A, ?BIG + 2), 2)),
    close_all([C, A]).

send_timeout_set_while_queued(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    r(inet:setopts(C, [{send_timeout, 50}])),
    r(gen_tcp:send(C, <<"a">>)),
    r(inet:setopts(C, [{send_timeout, infinity}])),
    sender(s1, C, <<"b">>),
    r(await(s1, 150)),
    r(summary(drain(A, ?BIG + 2), 2)),
    r(await(s1, 1000)),
    close_all([C, A]).

high_watermark_raised(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    r(inet:setopts(C, [{high_watermark, 4 * ?BIG}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(gen_tcp:send(C, <<"a">>)),
    r(inet:setopts(C, [{low_watermark, 8 * ?BIG}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{high_watermark, 100}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(summary(drain(A, ?BIG + 1), 1)),
    close_all([C, A]).

watermarks_changed_while_blocked(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"1">>),
    r(await(s1, 100)),
    %% The busy state ends only when output drains, not when the marks move.
    r(inet:setopts(C, [{high_watermark, 4 * ?BIG}, {low_watermark, 2 * ?BIG}])),
    r(await(s1, 100)),
    sender(s2, C, <<"2">>),
    r(await(s2, 100)),
    r(summary(drain(A, ?BIG + 2), 2)),
    r(await(s1, 1000)),
    r(await(s2, 1000)),
    close_all([C, A]).

senders_blocked(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    sleep(20),
    sender(s3, C, <<"3">>),
    r([await(L, 100) || L <- [s1, s2, s3]]),
    {Result, Size, Tail} = summary(drain(A, ?BIG + 3), 3),
    r({Result, Size, lists:sort(binary_to_list(Tail))}),
    r([await(L, 1000) || L <- [s1, s2, s3]]),
    close_all([C, A]).

senders_send_timeout(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 100}]),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    r(await(s1, 500)),
    r(await(s2, 500)),
    r(gen_tcp:send(C, <<"3">>)),
    {Result, Size, Tail} = summary(drain(A, ?BIG + 3), 3),
    r({Result, Size, lists:sort(binary_to_list(Tail))}),
    close_all([C, A]).

senders_send_timeout_close(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 100}, {send_timeout_close, true}]),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    r(await(s1, 500)),
    r(await(s2, 500)),
    r(gen_tcp:send(C, <<"3">>)),
    r(element(1, drain_to_end(A))),
    close_all([C, A]).

close_waits_for_output(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    spawn_proc(reader, fun() ->
                               sleep(200),
                               {Result, N} = drain_to_end(A),
                               r({Result, N =:= ?BIG})
                       end),
    {R, T} = elapsed(fun() -> gen_tcp:close(C) end),
    r({R, T >= 150}),
    r(gen_tcp:send(C, <<"x">>)),
    sleep(100).

close_while_sender_blocked(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"1">>),
    r(await(s1, 100)),
    spawn_proc(reader, fun() ->
                               sleep(100),
                               {Result, N} = drain_to_end(A),
                               r({Result, N =:= ?BIG + 1})
                       end),
    r(gen_tcp:close(C)),
    r(await(s1, 1000)),
    sleep(100).

%% The port is gone at once; the busy sender is never answered by it (it gives
%% up seconds later), the one suspended behind it fails as soon as it resumes.
close_linger_zero_while_senders_blocked(B) ->
    {C, A} = slow_pair(B, [{linger, {true, 0}}]),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    r(await(s1, 100)),
    r(gen_tcp:close(C)),
    r(await(s2, 300)),
    r(await(s1, 300)),
    r(element(1, drain_to_end(A))).

close_output_linger_zero(B) ->
    {C, A} = slow_pair(B, [{linger, {true, 0}}]),
    fill(C),
    {R, T} = elapsed(fun() -> gen_tcp:close(C) end),
    r({R, T < 100}),
    {Result, N} = drain_to_end(A),
    r({Result, N < ?BIG}),
    gen_tcp:close(A).

%% A larger receive buffer on A here: native OTP closes the descriptor with
%% SO_LINGER set once the queue is out, which blocks until the peer has the
%% data, so a small window would make this scenario slow.
close_output_linger_timeout(B) ->
    {C, A} = slow_pair(B, [{linger, {true, 1}}], 65536),
    fill(C, binary:copy(big(), 4)),
    {R, T} = elapsed(fun() -> gen_tcp:close(C) end),
    r({R, T >= 900}),
    r(gen_tcp:send(C, <<"x">>)),
    %% Output still queued when close returns is sent all the same.
    {Result, N} = drain_to_end(A),
    r({Result, N =:= 4 * ?BIG}),
    gen_tcp:close(A).

close_output_owner_killed(B) ->
    {C, A} = slow_pair(B, []),
    Self = self(),
    Owner = spawn_proc(owner, fun() ->
                                      receive go -> ok end,
                                      fill(C),
                                      Self ! filled,
                                      receive never -> ok end
                              end),
    r(gen_tcp:controlling_process(C, Owner)),
    Owner ! go,
    receive filled -> ok end,
    unlink(Owner),
    exit(Owner, kill),
    sleep(50),
    r(gen_tcp:send(C, <<"x">>)),
    {Result, N} = drain_to_end(A),
    r({Result, N =:= ?BIG}),
    gen_tcp:close(A).

shutdown_write_output_queued_send(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    r(gen_tcp:shutdown(C, write)),
    %% A send while the shutdown waits for the queue closes the socket.
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    {Result, N} = drain_to_end(A),
    r({Result, N < ?BIG}),
    close_all([C, A]).

shutdown_write_output_drains(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    r(gen_tcp:shutdown(C, write)),
    r(gen_tcp:shutdown(C, write)),
    {Result, N} = drain_to_end(A),
    r({Result, N =:= ?BIG}),
    r(gen_tcp:send(A, <<"back">>)),
    r(gen_tcp:recv(C, 4, 1000)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:recv(C, 0, 100)),
    close_all([C, A]).

shutdown_write_send_show_econnreset(B) ->
    {C, A} = pair(B, [binary, {active, false}, {show_econnreset, true}],
                  [binary, {active, false}]),
    r(gen_tcp:shutdown(C, write)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(A, 0, 1000)),
    close_all([C, A]).

%%% Half-close, resets, the peer gone.

half_close_passive_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, false}, {exit_on_close, false}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    r(gen_tcp:shutdown(A, write)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"reply">>)),
    r(gen_tcp:recv(A, 5, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(inet:peername(C) =:= inet:sockname(A)),
    r(gen_tcp:close(C)),
    r(gen_tcp:recv(A, 0, 1000)),
    gen_tcp:close(A).

half_close_passive_exit(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    r(gen_tcp:shutdown(A, write)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"reply">>)),
    r(gen_tcp:send(C, <<"reply">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(A, 0, 1000)),
    close_all([C, A]).

half_close_active_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, true}, {exit_on_close, false}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    r(gen_tcp:shutdown(A, write)),
    msgs(),
    r(gen_tcp:send(C, <<"reply">>)),
    r(gen_tcp:recv(A, 5, 1000)),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(inet:getopts(C, [active])),
    r(gen_tcp:close(C)),
    r(gen_tcp:recv(A, 0, 1000)),
    gen_tcp:close(A).

half_close_active_once_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, once}, {exit_on_close, false}, {packet, 1}],
                  [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"one">>),
    ok = gen_tcp:send(A, <<"two">>),
    r(gen_tcp:shutdown(A, write)),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(gen_tcp:send(C, <<"reply">>)),
    r(gen_tcp:recv(A, 0, 1000)),
    close_all([C, A]).

half_close_active_n_exit(B) ->
    {C, A} = pair(B, [binary, {active, 5}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"one">>),
    ok = gen_tcp:send(A, <<"two">>),
    r(gen_tcp:shutdown(A, write)),
    msgs(),
    r(gen_tcp:send(C, <<"reply">>)),
    r(inet:getopts(C, [active])),
    r(gen_tcp:recv(A, 0, 1000)),
    close_all([C, A]).

half_close_both_ways(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}, {exit_on_close, false}]),
    r(gen_tcp:send(C, <<"question">>)),
    r(gen_tcp:shutdown(C, write)),
    r(gen_tcp:recv(A, 8, 1000)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:send(A, <<"answer">>)),
    r(gen_tcp:shutdown(A, write)),
    r(gen_tcp:recv(C, 6, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

reset_while_receiving(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Self = self(),
    spawn_proc(reader, fun() -> Self ! waiting, r(gen_tcp:recv(C, 0)), Self ! done end),
    receive waiting -> ok end,
    sleep(50),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    receive done -> ok after 1000 -> r(no_reply) end,
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

reset_while_receiving_show_econnreset(B) ->
    {C, A} = pair(B, [binary, {active, false}, {show_econnreset, true}], [binary, {active, false}]),
    Self = self(),
    spawn_proc(reader, fun() -> Self ! waiting, r(gen_tcp:recv(C, 0)), Self ! done end),
    receive waiting -> ok end,
    sleep(50),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    receive done -> ok after 1000 -> r(no_reply) end,
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

reset_active_no_show(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

reset_active_once_later(B) ->
    {C, A} = pair(B, [binary, {active, once}, {show_econnreset, true}, {packet, 1}],
                  [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"one">>),
    msgs(),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    sleep(50),
    %% The reset is seen only when the socket reads again.
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(gen_tcp:close(C)).

reset_active_n(B) ->
    {C, A} = pair(B, [binary, {active, 2}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"one">>),
    msgs(),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

reset_while_sending(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"x">>),
    r(await(s1, 100)),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    r(await(s1, 1000)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

reset_while_sending_show_econnreset(B) ->
    {C, A} = slow_pair(B, [{show_econnreset, true}]),
    fill(C),
    sender(s1, C, <<"x">>),
    r(await(s1, 100)),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    r(await(s1, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

reset_while_sending_active(B) ->
    {C, A} = slow_pair(B, [{active, true}, {show_econnreset, true}]),
    fill(C),
    sender(s1, C, <<"x">>),
    r(await(s1, 100)),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    r(await(s1, 1000)),
    msgs(),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

%% The senders suspended behind the busy one: the socket exits in active mode
%% (einval, from the port gone) and stays in passive mode (enotconn).
reset_while_senders_wait(B) ->
    {C, A} = slow_pair(B, [{active, true}, {show_econnreset, true}]),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    r(await(s1, 100)),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    r(await(s1, 1000)),
    r(await(s2, 1000)),
    msgs().

reset_while_senders_wait_passive(B) ->
    {C, A} = slow_pair(B, []),
    fill(C),
    sender(s1, C, <<"1">>),
    sleep(20),
    sender(s2, C, <<"2">>),
    r(await(s1, 100)),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    r(await(s1, 1000)),
    r(await(s2, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

send_after_peer_close_show_econnreset(B) ->
    {C, A} = pair(B, [binary, {active, false}, {show_econnreset, true}], [binary, {active, false}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:send(C, <<"one">>)),
    sleep(50),
    r(gen_tcp:send(C, <<"two">>)),
    r(gen_tcp:send(C, <<"three">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:close(C)).

send_after_peer_close_active(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:send(C, <<"one">>)),
    r(gen_tcp:send(C, <<"two">>)),
    r(gen_tcp:close(C)).

send_after_peer_close_active_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, true}, {exit_on_close, false}], [binary, {active, false}]),
    gen_tcp:close(A),
    msgs(),
    r(gen_tcp:send(C, <<"one">>)),
    sleep(50),
    r(gen_tcp:send(C, <<"two">>)),
    msgs(),
    r(gen_tcp:send(C, <<"three">>)),
    r(inet:getopts(C, [active])),
    r(gen_tcp:close(C)).

%%% Timeouts.

recv_timeout_zero(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    r(gen_tcp:recv(C, 0, 0)),
    ok = gen_tcp:send(A, <<"ab">>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 0)),
    ok = gen_tcp:send(A, <<"cd">>),
    sleep(30),
    r(gen_tcp:recv(C, 3, 0)),
    r(gen_tcp:recv(C, 2, 0)),
    r(gen_tcp:recv(C, 0, 0)),
    ok = gen_tcp:send(A, <<"ef">>),
    sleep(30),
    %% A Length recv that timed out at once leaves its count behind.
    r(gen_tcp:recv(C, 3, 0)),
    r(gen_tcp:recv(C, 0, 0)),
    r(gen_tcp:recv(C, 0, 50)),
    r(gen_tcp:recv(C, 0, 0)),
    close_all([C, A]).

recv_timeout_small_data_after(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    {R1, T1} = elapsed(fun() -> gen_tcp:recv(C, 0, 30) end),
    r({R1, T1 >= 25}),
    spawn_proc(peer, fun() -> sleep(50), r(gen_tcp:send(A, <<"late">>)) end),
    r(gen_tcp:recv(C, 0, 20)),
    r(gen_tcp:recv(C, 0, 1000)),
    sleep(20),
    close_all([C, A]).

recv_infinity_data_later(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    spawn_proc(peer, fun() ->
                             sleep(100),
                             r(gen_tcp:send(A, <<"a">>)),
                             sleep(50),
                             r(gen_tcp:send(A, <<"bc">>))
                     end),
    r(gen_tcp:recv(C, 3, infinity)),
    r(gen_tcp:recv(C, 0, 50)),
    close_all([C, A]).

recv_timeout_then_peer_close(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    r(gen_tcp:recv(C, 0, 50)),
    spawn_proc(peer, fun() -> sleep(50), r(gen_tcp:close(A)) end),
    r(gen_tcp:recv(C, 0, infinity)),
    r(gen_tcp:recv(C, 0, infinity)),
    gen_tcp:close(C).

accept_timeouts(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    r(gen_tcp:accept(L, 0)),
    {R1, T1} = elapsed(fun() -> gen_tcp:accept(L, 50) end),
    r({R1, T1 >= 45}),
    {ok, C1} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
    sleep(30),
    {ok, A1} = r(gen_tcp:accept(L, 0)),
    Self = self(),
    spawn_proc(acceptor, fun() -> Self ! {accepted, r(gen_tcp:accept(L))} end),
    sleep(50),
    {ok, C2} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
    A2 = receive {accepted, {ok, S}} -> S after 1000 -> r(no_accept) end,
    ok = gen_tcp:send(C2, <<"2">>),
    r(gen_tcp:recv(A2, 1, 1000)),
    close_all([C1, A1, C2, A2, L]).

%% A listen socket with backlog 0 that nobody accepts from holds one
%% connection; Linux drops the SYN of the next one, so its connect times out.
connect_timeout_full_backlog(B) ->
    {L, P} = listen(B, [{backlog, 0}]),
    {ok, C1} = r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, []), 1000)),
    {R2, T2} = elapsed(fun() -> gen_tcp:connect({127, 0, 0, 1}, P, opts(B, []), 200) end),
    r({R2, T2 >= 190}),
    {ok, A1} = r(gen_tcp:accept(L, 1000)),
    close_all([C1, A1, L]).

%%% Several processes.

acceptors_in_order(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    Self = self(),
    [begin
         spawn_proc(Name, fun() ->
                                  {ok, S} = gen_tcp:accept(L, 2000),
                                  r(gen_tcp:recv(S, 1, 2000)),
                                  Self ! {accepted, Name},
                                  receive stop -> gen_tcp:close(S) end
                          end),
         sleep(20)
     end || Name <- [acceptor1, acceptor2, acceptor3]],
    Cs = [begin
              {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
              ok = gen_tcp:send(C, <<N>>),
              r(receive {accepted, Name} -> Name after 1000 -> timeout end),
              C
          end || N <- [$a, $b, $c]],
    close_all([L | Cs]).

acceptor_killed_next_gets_it(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    Self = self(),
    First = spawn(fun() -> Self ! {accepted, first, gen_tcp:accept(L)} end),
    sleep(20),
    spawn_proc(second, fun() ->
                               {ok, S} = r(gen_tcp:accept(L, 1000)),
                               r(gen_tcp:recv(S, 2, 1000)),
                               Self ! done
                       end),
    sleep(20),
    exit(First, kill),
    sleep(20),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
    ok = gen_tcp:send(C, <<"hi">>),
    r(receive done -> done after 1000 -> timeout end),
    msgs(),
    close_all([C, L]).

acceptor_killed_only(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    Self = self(),
    Acceptor = spawn(fun() -> Self ! {accepted, gen_tcp:accept(L)} end),
    sleep(20),
    exit(Acceptor, kill),
    sleep(20),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
    ok = gen_tcp:send(C, <<"hi">>),
    {ok, A} = r(gen_tcp:accept(L, 1000)),
    r(gen_tcp:recv(A, 2, 1000)),
    msgs(),
    close_all([C, A, L]).

recv_from_non_owner(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Self = self(),
    spawn_proc(other, fun() -> r(gen_tcp:recv(C, 5, 1000)), Self ! done end),
    ok = gen_tcp:send(A, <<"hello">>),
    receive done -> ok end,
    msgs(),
    close_all([C, A]).

recv_non_owner_then_owner(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Self = self(),
    spawn_proc(other, fun() -> Self ! waiting, r(gen_tcp:recv(C, 0, 1000)), Self ! done end),
    receive waiting -> ok end,
    sleep(30),
    r(gen_tcp:recv(C, 0, 100)),
    ok = gen_tcp:send(A, <<"data">>),
    receive done -> ok end,
    r(gen_tcp:recv(C, 0, 50)),
    close_all([C, A]).

owner_killed(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    Self = self(),
    Owner = spawn_proc(owner, fun() -> Self ! ready, receive never -> ok end end),
    receive ready -> ok end,
    r(gen_tcp:controlling_process(C, Owner)),
    unlink(Owner),
    exit(Owner, kill),
    sleep(50),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:send(C, <<"x">>)),
    r(inet:getopts(C, [active])),
    msgs(),
    gen_tcp:close(A).

owner_exits_normally(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Owner = spawn_proc(owner, fun() -> receive go -> r(gen_tcp:send(C, <<"bye">>)) end end),
    r(gen_tcp:controlling_process(C, Owner)),
    MRef = erlang:monitor(process, Owner),
    Owner ! go,
    receive {'DOWN', MRef, _, _, _} -> ok end,
    sleep(50),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    msgs(),
    gen_tcp:close(A).

owner_gone_after_handover(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    Self = self(),
    Second = spawn_proc(second, fun() ->
                                        receive go -> ok end,
                                        msgs(),
                                        r(gen_tcp:recv(A, 0, 1000)),
                                        Self ! done
                                end),
    First = spawn(fun() ->
                          receive {socket, S} -> ok end,
                          ok = gen_tcp:controlling_process(S, Second),
                          exit(kill)
                  end),
    r(gen_tcp:controlling_process(C, First)),
    First ! {socket, C},
    sleep(50),
    ok = gen_tcp:send(A, <<"still">>),
    sleep(50),
    r(gen_tcp:send(C, <<"open">>)),
    Second ! go,
    receive done -> ok end,
    close_all([C, A]).

%% Active data waiting in each owner's mailbox moves along with the socket.
chain(B, Active, Packets, Later) ->
    {C, A} = pair(B, [binary, {active, Active}, {packet, 1}], [binary, {active, false}, {packet, 1}]),
    [ok = gen_tcp:send(A, P) || P <- Packets],
    sleep(50),
    Self = self(),
    Third = spawn_proc(third, fun() ->
                                      receive go -> ok end,
                                      msgs(),
                                      r(inet:getopts(C, [active])),
                                      r(inet:setopts(C, [{active, once}])),
                                      msgs(),
                                      Self ! done
                              end),
    Second = spawn_proc(second, fun() ->
                                        receive go -> ok end,
                                        r(gen_tcp:controlling_process(C, Third)),
                                        Third ! go
                                end),
    r(gen_tcp:controlling_process(C, Second)),
    [ok = gen_tcp:send(A, P) || P <- Later],
    sleep(50),
    Second ! go,
    receive done -> ok end,
    msgs(),
    close_all([C, A]).

controlling_process_chain_active_true(B) ->
    chain(B, true, [<<"one">>, <<"two">>], [<<"three">>]).

controlling_process_chain_active_once(B) ->
    chain(B, once, [<<"one">>, <<"two">>], [<<"three">>]).

controlling_process_chain_active_n(B) ->
    chain(B, 2, [<<"one">>, <<"two">>, <<"three">>], [<<"four">>]).

controlling_process_after_peer_close(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    gen_tcp:close(A),
    sleep(50),
    Self = self(),
    New = spawn_proc(new, fun() -> receive go -> msgs(), Self ! done end end),
    r(gen_tcp:controlling_process(C, New)),
    New ! go,
    receive done -> ok end,
    msgs(),
    gen_tcp:close(C).

controlling_process_after_peer_close_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, true}, {exit_on_close, false}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    gen_tcp:close(A),
    sleep(50),
    Self = self(),
    New = spawn_proc(new, fun() ->
                                  receive go -> ok end,
                                  msgs(),
                                  %% tcp_closed moved: the handover stopped there.
                                  r(gen_tcp:controlling_process(C, self())),
                                  Self ! done
                          end),
    r(gen_tcp:controlling_process(C, New)),
    r(inet:getopts(C, [active])),
    New ! go,
    receive done -> ok end,
    msgs(),
    r(gen_tcp:close(C)).

controlling_process_dead_active(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    Dead = spawn(fun() -> ok end),
    sleep(20),
    r(gen_tcp:controlling_process(C, Dead)),
    r(inet:getopts(C, [active])),
    ok = gen_tcp:send(A, <<"x">>),
    msgs(),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

controlling_process_non_pid(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    t(fun() -> gen_tcp:controlling_process(C, foo) end),
    t(fun() -> gen_tcp:controlling_process(C, make_ref()) end),
    r(inet:getopts(C, [active])),
    close_all([C, A]).

controlling_process_non_owner_to_owner(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Self = self(),
    spawn_proc(other, fun() ->
                              r(gen_tcp:controlling_process(C, self())),
                              r(gen_tcp:controlling_process(C, Self)),
                              Self ! done
                      end),
    receive done -> ok end,
    close_all([C, A]).

%%% The examples of the gen_tcp(3) manual page (OTP 25), as written there but
%%% for ephemeral ports, and records in place of io:format.

manual_client_server(B) ->
    Self = self(),
    spawn_proc(server, fun() ->
                               {ok, LSock} = gen_tcp:listen(0, opts(B, [binary, {packet, 0},
                                                                         {active, false}])),
                               {ok, Port} = inet:port(LSock),
                               Self ! {port, known_port(Port)},
                               {ok, Sock} = gen_tcp:accept(LSock),
                               {ok, Bin} = manual_do_recv(Sock, []),
                               ok = gen_tcp:close(Sock),
                               ok = gen_tcp:close(LSock),
                               r(Bin),
                               Self ! done
                       end),
    Port = receive {port, P} -> P end,
    SomeHostInNet = "localhost",
    {ok, Sock} = gen_tcp:connect(SomeHostInNet, Port, opts(B, [binary, {packet, 0}])),
    r(gen_tcp:send(Sock, "Some Data")),
    r(gen_tcp:close(Sock)),
    receive done -> ok after 1000 -> r(no_server) end.

manual_do_recv(Sock, Bs) ->
    case gen_tcp:recv(Sock, 0) of
        {ok, B} ->
            manual_do_recv(Sock, [Bs, B]);
        {error, closed} ->
            {ok, list_to_binary(Bs)}
    end.

manual_worker_pool(B) ->
    {ok, ListenSock} = gen_tcp:listen(0, opts(B, [{active, false}, {packet, 2}])),
    [begin
         spawn_proc(Name, fun() -> manual_server(ListenSock) end),
         sleep(20)
     end || Name <- [worker1, worker2, worker3]],
    {ok, Port} = inet:port(ListenSock),
    known_port(Port),
    [r(manual_client(B, Port, Message)) || Message <- ["one", "two", "three", "four"]],
    sleep(50),
    gen_tcp:close(ListenSock),
    sleep(50).

manual_server(LS) ->
    case gen_tcp:accept(LS) of
        {ok, S} ->
            manual_loop(S),
            manual_server(LS);
        Other ->
            r({accept_returned, Other}),
            ok
    end.

manual_loop(S) ->
    inet:setopts(S, [{active, once}]),
    receive
        {tcp, S, Data} ->
            Answer = lists:reverse(Data),
            r({served, Data}),
            gen_tcp:send(S, Answer),
            manual_loop(S);
        {tcp_closed, S} ->
            r(socket_closed),
            ok
    end.

manual_client(B, PortNo, Message) ->
    {ok, Sock} = gen_tcp:connect("localhost", PortNo, opts(B, [{active, false}, {packet, 2}])),
    gen_tcp:send(Sock, Message),
    A = gen_tcp:recv(Sock, 0),
    gen_tcp:close(Sock),
    sleep(20),
    A.

%% The send_timeout example with a server that stops reading, then wakes up:
%% the loop's close waits for what is queued until the server drains it.
%% Small buffers (not in the manual) make the stall show at once.
manual_send_timeout_loop(B) ->
    {LSock, Port} = listen(B, [binary, {active, false}, {packet, 2}, {recbuf, 4096}]),
    Self = self(),
    Server = spawn_proc(server, fun() ->
                               {ok, S} = gen_tcp:accept(LSock),
                               Self ! accepted,
                               receive wake_up -> ok end,
                               r(drain_packets(S, 0))
                       end),
    HostAddress = {127, 0, 0, 1},
    {ok, Sock} = gen_tcp:connect(HostAddress, Port,
                                 opts(B, [{active, false}, {send_timeout, 200}, {packet, 2},
                                          {sndbuf, 4096}])),
    receive accepted -> ok end,
    Loop = spawn_proc(loop, fun() -> receive go -> ok end, manual_send_loop(Sock) end),
    r(gen_tcp:controlling_process(Sock, Loop)),
    Loop ! go,
    Data = binary:copy(<<"z">>, 60000),
    r(send_until_error(Loop, Data, [])),
    r(gen_tcp:close(LSock)),
    Server ! wake_up,
    sleep(200).

send_until_error(Loop, Binary, Acc) ->
    Loop ! {self(), send_data, Binary},
    receive
        {Loop, data_sent} -> send_until_error(Loop, Binary, [data_sent | Acc]);
        {Loop, Error} -> lists:reverse([Error | Acc])
    after 1000 -> lists:reverse([no_reply | Acc])
    end.

manual_send_loop(Sock) ->
    receive
        {Client, send_data, Binary} ->
            case gen_tcp:send(Sock, [Binary]) of
                {error, timeout} ->
                    r(send_timeout_closing),
                    Client ! {self(), {error_sending, timeout}},
                    %% The manual closes here; that waits for the queue.
                    r(gen_tcp:close(Sock));
                {error, OtherSendError} ->
                    Client ! {self(), {error_sending, OtherSendError}},
                    gen_tcp:close(Sock);
                ok ->
                    Client ! {self(), data_sent},
                    manual_send_loop(Sock)
            end
    end.

drain_packets(S, N) ->
    case gen_tcp:recv(S, 0, 1000) of
        {ok, _} -> drain_packets(S, N + 1);
        Error -> {Error, N}
    end.

%%% inet.

monitor_owner_killed(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    Owner = spawn(fun() -> receive never -> ok end end),
    r(gen_tcp:controlling_process(C, Owner)),
    MRef = inet:monitor(C),
    exit(Owner, kill),
    receive {'DOWN', MRef, Type, Object, Info} -> r({'DOWN', MRef, Type, Object =:= C, Info})
    after 1000 -> r(no_down)
    end,
    msgs(),
    r(inet:cancel_monitor(MRef)),
    gen_tcp:close(A).

monitor_peer_close_active(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    MRef = inet:monitor(C),
    r(is_reference(MRef)),
    gen_tcp:close(A),
    msgs(),
    r(inet:cancel_monitor(MRef)),
    r(gen_tcp:close(C)).

monitor_peer_close_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    _ = inet:monitor(C),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    msgs(),
    r(gen_tcp:close(C)),
    msgs().

monitor_cancel(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    M1 = inet:monitor(C),
    M2 = inet:monitor(C),
    r(inet:cancel_monitor(M1)),
    r(inet:cancel_monitor(M1)),
    Self = self(),
    spawn_proc(other, fun() ->
                              M3 = inet:monitor(C),
                              Self ! monitoring,
                              receive {'DOWN', M3, _, _, Info} -> r({down, Info})
                              after 1000 -> r(no_down)
                              end
                      end),
    receive monitoring -> ok end,
    gen_tcp:close(C),
    msgs(),
    r(inet:cancel_monitor(M2)),
    t(fun() -> inet:cancel_monitor(not_a_ref) end),
    gen_tcp:close(A).

monitor_listen_socket(B) ->
    {L, _} = listen(B, []),
    MRef = inet:monitor(L),
    Self = self(),
    spawn_proc(acceptor, fun() -> Self ! waiting, r(gen_tcp:accept(L)) end),
    receive waiting -> ok end,
    sleep(30),
    r(gen_tcp:close(L)),
    msgs(),
    r(inet:cancel_monitor(MRef)),
    _ = inet:monitor(L),
    msgs().

getstat_after_blocked_sends(B) ->
    {C, A} = slow_pair(B, [{send_timeout, 50}]),
    fill(C),
    r(gen_tcp:send(C, <<"abc">>)),
    r(gen_tcp:send(C, <<"de">>)),
    r(inet:getstat(C, [send_cnt, send_oct, send_max, send_avg])),
    {ok, [{send_pend, N}]} = inet:getstat(C, [send_pend]),
    r(N > 0),
    r(summary(drain(A, ?BIG + 5), 5)),
    r(inet:getstat(A, [recv_oct])),
    sleep(50),
    r(inet:getstat(C, [send_pend])),
    close_all([C, A]).

getstat_all_keys(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}], [binary, {active, false}, {packet, 2}]),
    ok = gen_tcp:send(C, <<"ping">>),
    {ok, _} = gen_tcp:recv(A, 0, 1000),
    {ok, Stats} = inet:getstat(C),
    r([K || {K, _} <- Stats]),
    r(lists:keyfind(send_cnt, 1, Stats)),
    {ok, AStats} = inet:getstat(A),
    r(lists:keyfind(recv_oct, 1, AStats)),
    r(inet:getstat(C, [])),
    close_all([C, A]).

socknames(B) ->
    {L, _} = listen(B, [{ip, {127, 0, 0, 1}}]),
    r(inet:socknames(L)),
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    {ok, [Name]} = r(inet:socknames(C)),
    r(inet:sockname(C) =:= {ok, Name}),
    close_all([C, A]),
    r(inet:socknames(C)),
    gen_tcp:close(L),
    r(inet:socknames(L)).

%% The parts of inet:info/1 that are the socket's: owner, state flags and
%% counter names (the rest describes the Erlang port).
info(S) ->
    I = inet:info(S),
    {maps:get(owner, I, none) =:= self(), maps:get(states, I, none),
     lists:sort(maps:keys(maps:get(counters, I, #{})))}.

info_states(B) ->
    {L, P} = listen(B, [binary, {active, false}]),
    r(info(L)),
    spawn_proc(acceptor, fun() -> gen_tcp:accept(L, 1000) end),
    sleep(30),
    r(info(L)),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false}])),
    sleep(30),
    r(info(C)),
    close_all([C, L]).

info_closed(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    %% The peer closed it: the socket is closed, the handle still open.
    r(info(C)),
    gen_tcp:close(C),
    r(inet:info(C)).
