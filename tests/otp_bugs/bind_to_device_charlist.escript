#!/usr/bin/env escript
%% {bind_to_device, Ifname :: binary()} (inet(3)): the socket backend's
%% inet:getopts/2 answers a character list with the C string's NUL
%% ("lo\0") instead of <<"lo">>. Needs permission to bind to a device (root
%% or CAP_NET_RAW).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    case gen_tcp:listen(0, [{inet_backend, Backend}, {bind_to_device, <<"lo">>}]) of
        {ok, L} -> inet:getopts(L, [bind_to_device]);
        Error -> Error
    end.
