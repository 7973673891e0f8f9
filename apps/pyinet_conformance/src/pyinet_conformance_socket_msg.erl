%% The socket module's sendmsg/2,3,4 and recvmsg/1..5: messages with their
%% addresses, control messages and flags, on datagram and stream sockets,
%% with their nowait forms and errors. Each runs on OTP's socket and on
%% pyinet_socket; see pyinet_conformance.
-module(pyinet_conformance_socket_msg).

-export([scenarios/0]).

%% Scenarios.
-export([dgram_sendmsg_recvmsg/1, dgram_control_messages/1, dgram_send_control/1,
         dgram_truncated/1, dgram_peek/1, dgram_recvmsg_forms/1, dgram_nowait/1,
         sendmsg_errors/1, recvmsg_errors/1, stream_sendmsg_recvmsg/1,
         stream_recvmsg_closed/1, stream_sendmsg_nowait_full/1, local_recvmsg/1,
         ipv6_control_messages/1, closed_ops/1, recvmsg_counters/1]).

-import(pyinet_conformance, [r/1, t/1, caught/1, msgs/0, known_port/1]).

-define(LO, #{family => inet, addr => loopback, port => 0}).
-define(LO6, #{family => inet6, addr => loopback, port => 0}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

sock(B) -> pyinet_conformance:socket(B).

%% A datagram socket of this backend bound to loopback, and its address
%% (port renamed).
dgram(B, Addr) ->
    M = sock(B),
    {ok, S} = M:open(maps:get(family, Addr), dgram, udp),
    ok = M:bind(S, Addr),
    {ok, #{port := P} = A} = M:sockname(S),
    known_port(P),
    {S, A}.

%% A connected stream pair of this backend: {Client, Accepted}.
pair(B) ->
    pyinet_conformance_socket:pair(B, inet).

%%% Datagrams.

dgram_sendmsg_recvmsg(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"ab">>, <<"cd">>]})),
    r(M:recvmsg(S2, 1000)),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"one">>], ctrl => []}, [])),
    r(M:recvmsg(S2, [], 1000)),
    r(M:sendmsg(S1, #{addr => A2, iov => []})),
    r(M:recvmsg(S2, 1000)),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"x">>]}, 1000)),
    r(M:recvmsg(S2, 0, 0, 1000)),
    [M:close(S) || S <- [S1, S2]].

%% What the kernel tells with each datagram when asked: the NIF's names and
%% values for them.
dgram_control_messages(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    [ok = M:setopt(S2, ip, Opt, true) || Opt <- [recvtos, recvttl, pktinfo]],
    ok = M:setopt(S1, ip, tos, 16#10),
    ok = M:setopt(S1, ip, ttl, 33),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"x">>]})),
    r(M:recvmsg(S2, 1000)),
    ok = M:setopt(S2, ip, recvtos, false),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"y">>]})),
    r(M:recvmsg(S2, 1000)),
    [M:close(S) || S <- [S1, S2]].

%% Control messages sent: by value, by data, with numeric levels and types.
dgram_send_control(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    [ok = M:setopt(S2, ip, Opt, true) || Opt <- [recvtos, recvttl]],
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"v">>],
                      ctrl => [#{level => ip, type => tos, value => throughput},
                               #{level => ip, type => ttl, value => 7}]})),
    r(M:recvmsg(S2, 1000)),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"d">>],
                      ctrl => [#{level => ip, type => ttl, data => <<9:32/native>>}]})),
    r(M:recvmsg(S2, 1000)),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"n">>],
                      ctrl => [#{level => 0, type => 2, data => <<11:32/native>>}]})),
    r(M:recvmsg(S2, 1000)),
    %% A map without a level is left out by prim_socket before the NIF.
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"l">>], ctrl => [#{type => ttl, value => 3}]})),
    r(M:recvmsg(S2, 1000)),
    [M:close(S) || S <- [S1, S2]].

dgram_truncated(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"hello world">>]})),
    r(M:recvmsg(S2, 4, 0, [], 1000)),
    ok = M:setopt(S2, ip, recvttl, true),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"ctrl">>]})),
    r(M:recvmsg(S2, 0, 4, [], 1000)),
    [M:close(S) || S <- [S1, S2]].

dgram_peek(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"peek">>]})),
    r(M:recvmsg(S2, 0, 0, [peek], 1000)),
    r(M:recvmsg(S2, [peek], 1000)),
    r(M:recvmsg(S2, 0, 0, [], 1000)),
    [M:close(S) || S <- [S1, S2]].

%% recvmsg/1..5's argument forms, and its timeouts.
dgram_recvmsg_forms(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    Send = fun(Data) -> ok = M:sendmsg(S1, #{addr => A2, iov => [Data]}) end,
    Send(<<"1">>), r(M:recvmsg(S2)),
    Send(<<"2">>), r(M:recvmsg(S2, [])),
    Send(<<"3">>), r(M:recvmsg(S2, 0, 0)),
    Send(<<"4">>), r(M:recvmsg(S2, [], infinity)),
    Send(<<"5">>), r(M:recvmsg(S2, 2, 0, infinity)),
    r(M:recvmsg(S2, 0)),
    r(M:recvmsg(S2, 50)),
    r(M:recvmsg(S2, [], 0)),
    [M:close(S) || S <- [S1, S2]].

dgram_nowait(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    {select, {select_info, recvmsg, Handle}} = r(M:recvmsg(S2, nowait)),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"wake">>]}, nowait)),
    receive {'$socket', S2, select, Handle} -> r(selected) after 2000 -> r(no_select) end,
    r(M:recvmsg(S2, nowait)),
    Ref = make_ref(),
    {select, {select_info, recvmsg, Ref}} = r(M:recvmsg(S2, 0, 0, [], Ref)),
    r(M:cancel(S2, {select_info, recvmsg, Ref})),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"h">>]}, make_ref())),
    r(M:recvmsg(S2, 1000)),
    msgs(),
    [M:close(S) || S <- [S1, S2]].

sendmsg_errors(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {_S2, A2} = dgram(B, ?LO),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:sendmsg(S1, #{addr => A2}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [x]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"a">>, x]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => <<"x">>}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"a">> | <<"b">>]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => foo, iov => [<<"x">>]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => #{family => inet, bad => 1}, iov => [<<"x">>]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>],
                               ctrl => [#{level => ip, type => foo, value => 1}]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>],
                               ctrl => [#{level => ip, type => tos, value => bad}]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>],
                               ctrl => [#{level => nosuchproto, type => tos, value => 1}]}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>], ctrl => foo}) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>]}, [foo]) end),
    C(fun() -> M:sendmsg(S1, #{addr => A2, iov => [<<"x">>]}, [], foo) end),
    C(fun() -> M:sendmsg(S1, #{iov => [<<"x">>]}) end),
    C(fun() -> M:sendmsg(S1, not_a_map) end),
    C(fun() -> M:sendmsg(S1, [<<"x">>], {select_info, sendto, make_ref()}) end),
    C(fun() -> M:sendmsg(S1, foo, {select_info, {sendmsg, cont}, make_ref()}) end),
    C(fun() -> M:sendmsg(x, #{iov => []}) end),
    M:close(S1).

recvmsg_errors(B) ->
    M = sock(B),
    {S, _} = dgram(B, ?LO),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:recvmsg(S, -1, 0, [], 10) end),
    C(fun() -> M:recvmsg(S, 0, -1, [], 10) end),
    C(fun() -> M:recvmsg(S, 0, 0, [foo], 10) end),
    C(fun() -> M:recvmsg(S, 0, 0, foo, 10) end),
    C(fun() -> M:recvmsg(S, 0, 0, [], foo) end),
    C(fun() -> M:recvmsg(S, x, y) end),
    C(fun() -> M:recvmsg(x) end),
    M:close(S).

%%% Streams.

stream_sendmsg_recvmsg(B) ->
    M = sock(B),
    {C, S} = pair(B),
    r(M:sendmsg(C, #{iov => [<<"abc">>, <<"def">>]})),
    r(M:recvmsg(S, 1000)),
    r(M:sendmsg(C, #{iov => [<<"abcdef">>]})),
    r(M:recvmsg(S, 4, 0, [], 1000)),
    r(M:recvmsg(S, 0, 0, [], 1000)),
    r(M:sendmsg(C, #{iov => [<<"ab">>]})),
    r(M:recvmsg(S, 10, 0, [], 1000)),
    r(M:recvmsg(S, 0, 0, [], 50)),
    %% More binaries than one sendmsg takes (iov_max): sent in rounds.
    Many = [<<I:16>> || I <- lists:seq(1, 1500)],
    r(M:sendmsg(C, #{iov => Many})),
    r(recv_n(M, S, 3000, <<>>) =:= iolist_to_binary(Many)),
    [M:close(X) || X <- [C, S]].

recv_n(_M, _S, 0, Acc) -> Acc;
recv_n(M, S, N, Acc) ->
    case M:recvmsg(S, N, 0, [], 1000) of
        {ok, #{iov := [Data]}} -> recv_n(M, S, N - byte_size(Data), <<Acc/binary, Data/binary>>);
        Other -> Other
    end.

stream_recvmsg_closed(B) ->
    M = sock(B),
    {C, S} = pair(B),
    r(M:sendmsg(C, #{iov => [<<"last">>]})),
    r(M:close(C)),
    r(M:recvmsg(S, 1000)),
    r(M:recvmsg(S, 1000)),
    r(M:info(S)),
    M:close(S).

%% A peer that does not read: nowait sends fill the socket, then select, and
%% the continuation takes what is left.
stream_sendmsg_nowait_full(B) ->
    M = sock(B),
    {C, S} = pair(B),
    ok = M:setopt(C, socket, sndbuf, 4096),
    ok = M:setopt(S, socket, rcvbuf, 4096),
    Chunk = binary:copy(<<"z">>, 65536),
    Result = fill(M, C, Chunk, 100),
    case Result of
        {select, {{select_info, {sendmsg, _}, Handle} = Info, Rest}} ->
            r(rest_is_list),
            r(is_list(Rest)),
            r(drained(M, S, 0) > 0),
            receive {'$socket', C, select, Handle} -> r(selected) after 5000 -> r(no_select) end,
            r(M:sendmsg(C, Rest, Info, 5000));
        {select, {select_info, {sendmsg, _}, Handle} = Info} ->
            r(all_left),
            r(drained(M, S, 0) > 0),
            receive {'$socket', C, select, Handle} -> r(selected) after 5000 -> r(no_select) end,
            r(M:sendmsg(C, [Chunk], Info, 5000));
        Other ->
            r({unexpected, Other})
    end,
    [M:close(X) || X <- [C, S]].

fill(_M, _C, _Chunk, 0) -> never_full;
fill(M, C, Chunk, N) ->
    case M:sendmsg(C, #{iov => [Chunk]}, nowait) of
        ok -> fill(M, C, Chunk, N - 1);
        Other -> Other
    end.

drained(M, S, N) ->
    case M:recv(S, 0, 200) of
        {ok, Data} -> drained(M, S, N + byte_size(Data));
        _ -> N
    end.

%%% Unix domain datagrams: an unnamed sender has no address.

local_recvmsg(B) ->
    M = sock(B),
    Path = <<"/tmp/pyinet-sockmsg-", (list_to_binary(os:getpid()))/binary>>,
    _ = file:delete(Path),
    {ok, S1} = M:open(local, dgram),
    {ok, S2} = M:open(local, dgram),
    ok = M:bind(S2, #{family => local, path => Path}),
    r(M:sendmsg(S1, #{addr => #{family => local, path => Path}, iov => [<<"anon">>]})),
    r(M:recvmsg(S2, 1000)),
    Path1 = <<Path/binary, "-1">>,
    _ = file:delete(Path1),
    ok = M:bind(S1, #{family => local, path => Path1}),
    r(M:sendmsg(S1, #{addr => #{family => local, path => Path}, iov => [<<"named">>]})),
    r(M:recvmsg(S2, 1000)),
    [M:close(S) || S <- [S1, S2]],
    [file:delete(P) || P <- [Path, Path1]].

ipv6_control_messages(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO6),
    {S2, A2} = dgram(B, ?LO6),
    [r(M:setopt(S2, ipv6, Opt, true)) || Opt <- [recvhoplimit, recvtclass, recvpktinfo]],
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"six">>],
                      ctrl => [#{level => ipv6, type => tclass, value => 8},
                               #{level => ipv6, type => hoplimit, value => 17}]})),
    r(M:recvmsg(S2, 1000)),
    [M:close(S) || S <- [S1, S2]].

closed_ops(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {_, A2} = dgram(B, ?LO),
    ok = M:close(S1),
    r(M:sendmsg(S1, #{addr => A2, iov => [<<"x">>]})),
    r(M:sendmsg(S1, #{addr => A2, iov => [x]})),
    r(M:recvmsg(S1, 0)),
    r(M:recvmsg(S1, nowait)).

recvmsg_counters(B) ->
    M = sock(B),
    {S1, _} = dgram(B, ?LO),
    {S2, A2} = dgram(B, ?LO),
    [ok = M:sendmsg(S1, #{addr => A2, iov => [binary:copy(<<"c">>, N)]}) || N <- [10, 30, 20]],
    [{ok, _} = M:recvmsg(S2, 1000) || _ <- [1, 2, 3]],
    {error, timeout} = M:recvmsg(S2, 0),
    r(maps:get(counters, M:info(S1))),
    r(maps:get(counters, M:info(S2))),
    [M:close(S) || S <- [S1, S2]].
