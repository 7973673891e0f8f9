#!/usr/bin/env escript
%% With {exit_on_close, true} (the default) a socket is closed once the peer
%% has closed: "the only reason to set it to false is if you want to
%% continue sending data to the socket after a close is detected". After
%% {tcp_closed, S} the socket backend's socket still sends.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, {active, true}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:close(A),
    receive {tcp_closed, C} -> ok after 1000 -> exit(no_tcp_closed) end,
    gen_tcp:send(C, <<"after tcp_closed">>).
