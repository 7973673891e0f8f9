%% file:sendfile/2,5 on gen_tcp sockets, and socket:sendfile/2..5: the file
%% goes out from its descriptor (on pyinet, the port program's copy of it,
%% with os.sendfile). Each runs natively and on pyinet; see pyinet_conformance.
-module(pyinet_conformance_sendfile).

-export([scenarios/0]).

%% Scenarios.
-export([gen_tcp_whole_file/1, gen_tcp_ranges/1, gen_tcp_between_sends/1,
         gen_tcp_large_slow_reader/1, gen_tcp_errors/1, gen_tcp_not_owner/1,
         gen_tcp_peer_closed/1, gen_tcp_packet_mode/1,
         socket_whole_file/1, socket_ranges/1, socket_errors/1, socket_nowait_full/1,
         socket_timeout/1]).

-import(pyinet_conformance, [r/1, t/1, caught/1, msgs/0, opts/2, known_port/1,
                             spawn_proc/2]).

-define(LO, {127, 0, 0, 1}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

%% A file of Size bytes (the same for both backends of one run).
file(Name, Size) ->
    Path = "/tmp/pyinet-sendfile-" ++ os:getpid() ++ "-" ++ Name,
    Bytes = << <<(I rem 251)>> || I <- lists:seq(1, Size) >>,
    ok = file:write_file(Path, Bytes),
    {Path, Bytes}.

%% A connected pair of this backend: {Client, Accepted}, passive, binary.
pair(B) ->
    pair(B, []).

pair(B, Extra) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [binary, {active, false} | Extra])),
    {ok, P} = inet:port(L),
    known_port(P),
    {ok, C} = gen_tcp:connect(?LO, P, opts(B, [binary, {active, false} | Extra]), 1000),
    {ok, A} = gen_tcp:accept(L, 1000),
    ok = gen_tcp:close(L),
    {C, A}.

recv_all(S, N) ->
    recv_all(S, N, []).

recv_all(_S, 0, Acc) ->
    iolist_to_binary(lists:reverse(Acc));
recv_all(S, N, Acc) ->
    case gen_tcp:recv(S, 0, 2000) of
        {ok, Data} when byte_size(Data) =< N -> recv_all(S, N - byte_size(Data), [Data | Acc]);
        {ok, Data} -> {too_much, iolist_to_binary(lists:reverse([Data | Acc]))};
        Error -> {Error, iolist_to_binary(lists:reverse(Acc))}
    end.

%%% file:sendfile on gen_tcp sockets.

gen_tcp_whole_file(B) ->
    {Path, Bytes} = file("whole", 100000),
    {C, A} = pair(B),
    r(file:sendfile(Path, C)),
    r(recv_all(A, 100000) =:= Bytes),
    %% inet_drv does not count a file in the socket's statistics.
    r(inet:getstat(C, [send_oct, send_cnt, send_pend])),
    [gen_tcp:close(S) || S <- [C, A]].

gen_tcp_ranges(B) ->
    {Path, Bytes} = file("ranges", 1000),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {C, A} = pair(B),
    r(file:sendfile(F, C, 10, 20, [])),
    r(recv_all(A, 20) =:= binary:part(Bytes, 10, 20)),
    r(file:sendfile(F, C, 990, 0, [])),
    r(recv_all(A, 10) =:= binary:part(Bytes, 990, 10)),
    r(file:sendfile(F, C, 995, 100, [])),
    r(recv_all(A, 5)),
    r(file:sendfile(F, C, 5000, 0, [])),
    r(file:sendfile(F, C, -1, 0, [])),
    r(file:sendfile(F, C, 0, -1, [])),
    r(file:sendfile(F, C, 0, 5, [{chunk_size, 2}])),
    r(recv_all(A, 5)),
    %% The file's position is not moved.
    r(file:position(F, cur)),
    r(file:read(F, 3)),
    ok = file:close(F),
    [gen_tcp:close(S) || S <- [C, A]].

%% The file goes after what was sent before it, and before what comes after.
gen_tcp_between_sends(B) ->
    {Path, Bytes} = file("between", 5000),
    {C, A} = pair(B, [{packet, 2}]),
    r(gen_tcp:send(C, <<"head">>)),
    r(file:sendfile(Path, C)),
    r(gen_tcp:send(C, <<"tail">>)),
    ok = inet:setopts(A, [{packet, raw}]),
    Got = recv_all(A, 2 + 4 + 5000 + 2 + 4),
    r(Got =:= <<4:16, "head", Bytes/binary, 4:16, "tail">>),
    [gen_tcp:close(S) || S <- [C, A]].

%% More than the kernel's buffers hold, to a reader that starts late: the
%% file goes out as the reader makes room.
gen_tcp_large_slow_reader(B) ->
    Size = 8 * 1024 * 1024,
    {Path, Bytes} = file("large", Size),
    {C, A} = pair(B, [{sndbuf, 65536}, {recbuf, 65536}]),
    Self = self(),
    Reader = spawn_proc(reader, fun() ->
                                        receive go -> ok end,
                                        r(recv_all(A, Size) =:= Bytes),
                                        Self ! done
                                end),
    ok = gen_tcp:controlling_process(A, Reader),
    Reader ! go,
    r(file:sendfile(Path, C)),
    receive done -> ok after 20000 -> r(reader_timeout) end,
    r(gen_tcp:send(C, <<"after">>)),
    gen_tcp:close(C).

gen_tcp_errors(B) ->
    {Path, _} = file("errors", 100),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {ok, L} = gen_tcp:listen(0, opts(B, [])),
    r(file:sendfile(F, L, 0, 5, [])),
    {C, A} = pair(B),
    r(file:sendfile(F, C, 0, 5, [{chunk_size, x}])),
    r(file:sendfile(x, C, 0, 5, [])),
    {ok, Cooked} = file:open(Path, [read, binary]),
    r(file:sendfile(Cooked, C, 0, 5, [])),
    r(file:sendfile("/tmp/pyinet-no-such-file", C)),
    ok = gen_tcp:close(C),
    r(file:sendfile(F, C, 0, 5, [])),
    ok = file:close(F),
    ok = file:close(Cooked),
    [gen_tcp:close(S) || S <- [A, L]].

%% Only the socket's owner may; the file must be the caller's own.
gen_tcp_not_owner(B) ->
    {Path, _} = file("not_owner", 100),
    {C, A} = pair(B),
    Parent = self(),
    spawn_proc(other, fun() ->
                              {ok, F} = file:open(Path, [read, raw, binary]),
                              r(file:sendfile(F, C, 0, 5, [])),
                              ok = file:close(F),
                              Parent ! done
                      end),
    receive done -> ok after 5000 -> r(other_timeout) end,
    {ok, F} = file:open(Path, [read, raw, binary]),
    spawn_proc(not_the_file_owner, fun() -> t(fun() -> file:sendfile(F, C, 0, 5, []) end),
                                            Parent ! done
                                   end),
    receive done -> ok after 5000 -> r(other_timeout) end,
    ok = file:close(F),
    [gen_tcp:close(S) || S <- [C, A]].

gen_tcp_peer_closed(B) ->
    {Path, _} = file("peer_closed", 300000),
    {C, A} = pair(B),
    ok = gen_tcp:close(A),
    timer:sleep(50),
    r(file:sendfile(Path, C)),
    r(file:sendfile(Path, C)),
    r(gen_tcp:send(C, <<"x">>)),
    {C2, A2} = pair(B),
    ok = inet:setopts(C2, [{active, true}]),
    ok = gen_tcp:close(A2),
    msgs(),
    r(file:sendfile(Path, C2)),
    {C3, A3} = pair(B, [{show_econnreset, true}]),
    ok = gen_tcp:close(A3),
    timer:sleep(50),
    r(file:sendfile(Path, C3)),
    r(gen_tcp:recv(C3, 0, 100)),
    [gen_tcp:close(S) || S <- [C, C2, C3]].

%% The file's bytes go out as they are: no packet header.
gen_tcp_packet_mode(B) ->
    {Path, Bytes} = file("packet", 300),
    {C, A} = pair(B, [{packet, 4}]),
    r(file:sendfile(Path, C)),
    ok = inet:setopts(A, [{packet, raw}]),
    r(recv_all(A, 300) =:= Bytes),
    [gen_tcp:close(S) || S <- [C, A]].

%%% socket:sendfile/2..5.

sock(B) -> pyinet_conformance:socket(B).

%% A connected pair of this backend's socket module: {Client, Accepted}.
sock_pair(B) ->
    pyinet_conformance_socket:pair(B, inet).

sock_recv_all(M, S, N) ->
    sock_recv_all(M, S, N, []).

sock_recv_all(_M, _S, 0, Acc) ->
    iolist_to_binary(lists:reverse(Acc));
sock_recv_all(M, S, N, Acc) ->
    case M:recv(S, 0, 2000) of
        {ok, Data} when byte_size(Data) =< N -> sock_recv_all(M, S, N - byte_size(Data), [Data | Acc]);
        {ok, Data} -> {too_much, iolist_to_binary(lists:reverse([Data | Acc]))};
        Error -> {Error, iolist_to_binary(lists:reverse(Acc))}
    end.

socket_whole_file(B) ->
    M = sock(B),
    {Path, Bytes} = file("sock_whole", 100000),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {C, S} = sock_pair(B),
    r(M:sendfile(C, F)),
    r(sock_recv_all(M, S, 100000) =:= Bytes),
    r(M:sendfile(C, F, 10, 20)),
    r(sock_recv_all(M, S, 20) =:= binary:part(Bytes, 10, 20)),
    r(M:sendfile(C, F, infinity)),
    r(sock_recv_all(M, S, 100000) =:= Bytes),
    r(maps:get(counters, M:info(C))),
    ok = file:close(F),
    [M:close(X) || X <- [C, S]].

socket_ranges(B) ->
    M = sock(B),
    {Path, Bytes} = file("sock_ranges", 1000),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {C, S} = sock_pair(B),
    r(M:sendfile(C, F, 990, 0)),
    r(sock_recv_all(M, S, 10) =:= binary:part(Bytes, 990, 10)),
    r(M:sendfile(C, F, 995, 100)),
    r(sock_recv_all(M, S, 5)),
    r(M:sendfile(C, F, 5000, 0)),
    r(M:sendfile(C, F, -1, 0)),
    r(M:sendfile(C, F, 0, 10, 1000)),
    r(sock_recv_all(M, S, 10)),
    r(file:position(F, cur)),
    r(maps:get(counters, M:info(C))),
    ok = file:close(F),
    [M:close(X) || X <- [C, S]].

socket_errors(B) ->
    M = sock(B),
    {Path, _} = file("sock_errors", 100),
    {ok, F} = file:open(Path, [read, raw, binary]),
    Cd = fun(Fun) -> r(caught(Fun)) end,
    {C, S} = sock_pair(B),
    Cd(fun() -> M:sendfile(C, F, 0, -1) end),
    Cd(fun() -> M:sendfile(C, x, 0, 0) end),
    Cd(fun() -> M:sendfile(C, F, x, 0) end),
    Cd(fun() -> M:sendfile(C, F, 0, 0, foo) end),
    Cd(fun() -> M:sendfile(C, {select_info, sendto, make_ref()}, 0, 0) end),
    Cd(fun() -> M:sendfile(x, F) end),
    {ok, Cooked} = file:open(Path, [read, binary]),
    Cd(fun() -> M:sendfile(C, Cooked) end),
    {ok, L} = M:open(inet, stream, tcp),
    ok = M:bind(L, #{family => inet, addr => loopback, port => 0}),
    ok = M:listen(L),
    Cd(fun() -> M:sendfile(L, F, 0, 10) end),
    {ok, U} = M:open(inet, dgram, udp),
    Cd(fun() -> M:sendfile(U, F, 0, 10) end),
    ok = M:close(C),
    Cd(fun() -> M:sendfile(C, F, 0, 10) end),
    r(maps:get(counters, M:info(L))),
    ok = file:close(F),
    ok = file:close(Cooked),
    [M:close(X) || X <- [S, L, U]].

%% A nowait sendfile to a small socket buffer selects with what it sent; each
%% continuation after the select message sends more, until all is sent.
socket_nowait_full(B) ->
    M = sock(B),
    Size = 256 * 1024,
    {Path, Bytes} = file("sock_nowait", Size),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {C, S} = sock_pair(B),
    ok = M:setopt(C, socket, sndbuf, 8192),
    ok = M:setopt(S, socket, rcvbuf, 8192),
    Self = self(),
    spawn_proc(reader, fun() -> Self ! {read, sock_recv_all(M, S, Size)} end),
    First = M:sendfile(C, F, 0, 0, nowait),
    r(element(1, First)),
    r(nowait_loop(M, C, First, 0, Size, 100000)),
    receive {read, Got} -> r(Got =:= Bytes) after 20000 -> r(no_read) end,
    Counters = maps:get(counters, M:info(C)),
    r(maps:with([sendfile_tries, sendfile_fails, sendfile_byte, sendfile_max], Counters)),
    ok = file:close(F),
    [M:close(X) || X <- [C, S]].

nowait_loop(_M, _C, _Result, _Sent, _Size, 0) ->
    too_many_rounds;
nowait_loop(_M, _C, {ok, N}, Sent, Size, _) ->
    {done, Sent + N =:= Size};
nowait_loop(M, C, {select, {{select_info, sendfile, Handle} = Info, N}}, Sent, Size, K) ->
    receive {'$socket', C, select, Handle} -> ok after 5000 -> exit(no_select) end,
    Sent1 = Sent + N,
    nowait_loop(M, C, M:sendfile(C, Info, Sent1, Size - Sent1, nowait), Sent1, Size, K - 1);
nowait_loop(_M, _C, Other, _Sent, _Size, _) ->
    {unexpected, Other}.

%% A timeout with part of the file sent says how much.
socket_timeout(B) ->
    M = sock(B),
    {Path, _} = file("sock_timeout", 1024 * 1024),
    {ok, F} = file:open(Path, [read, raw, binary]),
    {C, S} = sock_pair(B),
    ok = M:setopt(C, socket, sndbuf, 8192),
    ok = M:setopt(S, socket, rcvbuf, 8192),
    case M:sendfile(C, F, 0, 0, 200) of
        {error, {timeout, Sent}} when is_integer(Sent), Sent > 0 -> r(timeout_with_bytes);
        Other -> r({unexpected, Other})
    end,
    r(maps:get(num_writers, M:info(C))),
    ok = file:close(F),
    [M:close(X) || X <- [C, S]].
