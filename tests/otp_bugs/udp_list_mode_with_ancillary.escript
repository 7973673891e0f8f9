#!/usr/bin/env escript
%% A gen_udp socket in list mode with recvttl (or recvtos): the socket
%% backend's recv returns the data as a binary.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}, list, {active, false}, {recvttl, true}]),
    {ok, P} = inet:port(S),
    {ok, C} = gen_udp:open(0, []),
    ok = gen_udp:send(C, {127, 0, 0, 1}, P, <<"ttl">>),
    {ok, {_, _, Anc, Data}} = gen_udp:recv(S, 0, 1000),
    {Anc, Data}.
