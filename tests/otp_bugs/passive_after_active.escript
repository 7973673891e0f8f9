#!/usr/bin/env escript
%% A socket with a packet type, set {active, true} and then {active, false}
%% before data comes: on the socket backend the next passive recv times out
%% although a whole packet is there, and once more data comes, recv returns
%% bytes of both packets as one, their {packet, 2} headers included.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, false}, {packet, 2}]),
    {ok, A} = gen_tcp:accept(L),
    ok = inet:setopts(C, [{active, true}]),
    ok = inet:setopts(C, [{active, false}]),
    ok = gen_tcp:send(A, <<0, 3, "abc">>),
    timer:sleep(50),
    First = gen_tcp:recv(C, 0, 1000),
    ok = gen_tcp:send(A, <<0, 3, "def">>),
    {First, gen_tcp:recv(C, 0, 1000)}.
