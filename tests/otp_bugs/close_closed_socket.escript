#!/usr/bin/env escript
%% gen_tcp:close/1 and gen_udp:close/1 are specified to return ok; on a
%% socket already closed the socket backend returns {error, closed}.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, T} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    {ok, U} = gen_udp:open(0, [{inet_backend, Backend}]),
    ok = gen_tcp:close(T),
    ok = gen_udp:close(U),
    {gen_tcp:close(T), gen_udp:close(U)}.
