#!/usr/bin/env escript
%% gen_tcp:accept(L, 0) with a connection waiting: the socket backend
%% returns {error, timeout} without taking it.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    {ok, P} = inet:port(L),
    {ok, _C} = gen_tcp:connect({127, 0, 0, 1}, P, []),
    timer:sleep(50),
    case gen_tcp:accept(L, 0) of
        {ok, _A} -> accepted;
        Other -> Other
    end.
