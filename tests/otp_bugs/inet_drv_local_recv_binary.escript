#!/usr/bin/env escript
%% A bug of inet_drv, not of the socket backend: a passive gen_udp:recv in
%% binary mode on a Unix domain socket, from a sender bound to a path,
%% crashes (function_clause in prim_inet); the socket backend returns the
%% datagram.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    Path = "/tmp/otp-bug-local-recv-" ++ atom_to_list(Backend),
    _ = file:delete(Path),
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}, {ifaddr, {local, Path}}, binary,
                               {active, false}]),
    Sender = Path ++ "-sender",
    _ = file:delete(Sender),
    {ok, C} = gen_udp:open(0, [{ifaddr, {local, Sender}}]),
    ok = gen_udp:send(C, {local, Path}, 0, <<"binary">>),
    Result = try gen_udp:recv(S, 0, 1000) of
                 {ok, {_From, _Port, Data}} -> {ok, Data};
                 Other -> Other
             catch Class:Reason -> {Class, Reason}
             end,
    [gen_udp:close(X) || X <- [S, C]],
    [file:delete(X) || X <- [Path, Sender]],
    Result.
