#!/usr/bin/env escript
%% A bug of inet_drv, not of the socket backend: gen_tcp(3) says that with
%% {fd, Fd} "If {ip, Address} and/or {port, port_number()} is combined with
%% this option, the fd is bound to the specified interface and port before
%% connecting" (gen_udp(3) says so of a Port other than 0), but inet:open_fd/8
%% asserts 0 = Port when no ip is given: {port, P} alone raises badmatch. The
%% socket backend binds the descriptor to the port and connects.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}]),
    {ok, LPort} = inet:port(L),
    {ok, Free} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(Free),
    ok = gen_tcp:close(Free),
    {ok, N} = socket:open(inet, stream, tcp),
    {ok, Fd} = socket:getopt(N, otp, fd),
    Result = try gen_tcp:connect({127, 0, 0, 1}, LPort,
                                 [{inet_backend, Backend}, {fd, Fd}, {port, Port}], 1000) of
                 {ok, S} ->
                     {ok, {_, Local}} = inet:sockname(S),
                     gen_tcp:close(S),
                     {connected, {bound_to_port, Local =:= Port}};
                 Other -> Other
             catch Class:{{badmatch, Port}, _} -> {Class, {badmatch, port}};
                   Class:Reason -> {Class, Reason}
             end,
    socket:close(N),
    gen_tcp:close(L),
    Result.
