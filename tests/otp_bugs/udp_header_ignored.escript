#!/usr/bin/env escript
%% {header, Size} (a gen_udp option): the socket backend ignores it, the
%% datagram comes as one binary.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}, binary, {active, false}, {header, 2}]),
    {ok, P} = inet:port(S),
    {ok, C} = gen_udp:open(0, []),
    ok = gen_udp:send(C, {127, 0, 0, 1}, P, <<"hdr">>),
    {ok, {_, _, Data}} = gen_udp:recv(S, 0, 1000),
    Data.
