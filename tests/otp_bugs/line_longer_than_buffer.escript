#!/usr/bin/env escript
%% {packet, line}: "lines longer than the receive buffer are truncated"
%% (inet(3)); inet_drv delivers a long line in buffer-sized pieces, the
%% socket backend delivers it whole, whatever {buffer, N} says.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, false}, {packet, line},
                                                 {buffer, 5}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(A, <<"abcdefghijkl\n">>),
    timer:sleep(50),
    gen_tcp:recv(C, 0, 1000).
