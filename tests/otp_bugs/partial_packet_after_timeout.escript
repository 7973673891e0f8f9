#!/usr/bin/env escript
%% {packet, 4}: a recv that times out while only part of a packet has come
%% leaves the socket backend unable to deliver that packet once the rest
%% arrives.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, false}, {packet, 4}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(A, <<5:32, "de">>),
    {error, timeout} = gen_tcp:recv(C, 0, 100),
    ok = gen_tcp:send(A, <<"fgh">>),
    gen_tcp:recv(C, 0, 1000).
