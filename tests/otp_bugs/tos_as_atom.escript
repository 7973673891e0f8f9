#!/usr/bin/env escript
%% {tos, Integer} (inet(3)): the socket backend's inet:getopts/2 answers an
%% atom (lowdelay for 16) instead of the integer set; so does the tos of
%% gen_udp's ancillary data.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, {tos, 16}]),
    inet:getopts(L, [tos]).
