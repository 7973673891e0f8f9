#!/usr/bin/env escript
%% A bug of inet_drv, not of the socket backend: line_delimiter can be set
%% (inet(3) documents it) but inet:getopts/2 answers {error, einval} for it;
%% the socket backend answers the value.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    {inet:setopts(L, [{packet, line}, {line_delimiter, $,}]), inet:getopts(L, [line_delimiter])}.
