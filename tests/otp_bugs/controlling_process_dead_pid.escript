#!/usr/bin/env escript
%% gen_tcp:controlling_process/2 to a pid that is not alive: gen_tcp(3) says
%% {error, badarg}. The socket backend returns ok and the socket closes (its
%% new owner is dead).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    Dead = spawn(fun() -> ok end),
    timer:sleep(50),
    Result = gen_tcp:controlling_process(L, Dead),
    timer:sleep(50),
    {Result, case inet:port(L) of {ok, _} -> open; Error -> Error end}.
