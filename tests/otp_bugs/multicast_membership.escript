#!/usr/bin/env escript
%% {add_membership, {MultiAddress, InterfaceAddress}} (gen_udp(3)) is refused
%% by the socket backend as an invalid socket option value, whether the
%% interface is an address or any.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    [inet:setopts(S, [{add_membership, {{239, 1, 1, 1}, If}}])
     || If <- [{127, 0, 0, 1}, any]].
