#!/usr/bin/env escript
%% {reuseaddr, true} on two gen_udp sockets opened on one port: inet_drv
%% opens the second, OTP 27's socket backend fails with eaddrinuse (OTP 25's
%% opens it).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}, {reuseaddr, true}]),
    {ok, P} = inet:port(S),
    case gen_udp:open(P, [{inet_backend, Backend}, {reuseaddr, true}]) of
        {ok, S2} -> gen_udp:close(S2), opened;
        Error -> Error
    end.
