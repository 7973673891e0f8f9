#!/usr/bin/env escript
%% Data that came in with one packet type and was not delivered yet is not
%% framed anew after inet:setopts/2 changes the type: the socket backend
%% never delivers it (passive) or delivers an empty packet (active).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, false}, {packet, line}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(A, <<"a\n", 0, 2, "bc">>),
    timer:sleep(50),
    {ok, <<"a\n">>} = gen_tcp:recv(C, 0, 1000),
    ok = inet:setopts(C, [{packet, 2}]),
    gen_tcp:recv(C, 0, 1000).
