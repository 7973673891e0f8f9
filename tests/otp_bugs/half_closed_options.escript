#!/usr/bin/env escript
%% With {exit_on_close, false} a socket stays open after the peer closed
%% (to go on sending). On the socket backend it still sends, but
%% inet:getopts/2 and inet:setopts/2 on it return {error, einval}.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, {active, false},
                                                 {exit_on_close, false}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:close(A),
    {error, closed} = gen_tcp:recv(C, 0, 1000),
    {gen_tcp:send(C, <<"x">>), inet:getopts(C, [active]), inet:setopts(C, [{active, once}])}.
