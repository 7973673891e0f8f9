#!/usr/bin/env escript
%% gen_udp:connect/3 takes an inet:socket_address() or inet:hostname(); the
%% socket backend exits with badarg for a host name, for loopback and for a
%% {local, Path} address.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    [try gen_udp:connect(S, Host, 9) catch C:R -> {C, R} end
     || Host <- ["localhost", localhost, loopback]].
