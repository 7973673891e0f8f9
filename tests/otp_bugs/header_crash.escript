#!/usr/bin/env escript
%% {header, N} with an active socket: a packet shorter than N bytes crashes
%% the socket's gen_tcp_socket process; the owner gets {tcp_closed, S}.
main(_) ->
    logger:set_primary_config(level, none),
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, true}, {header, 2}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(A, <<"x">>),
    receive
        {tcp, C, Data} -> {tcp, Data};
        {tcp_closed, C} -> tcp_closed
    after 1000 -> nothing
    end.
