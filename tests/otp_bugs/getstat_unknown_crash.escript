#!/usr/bin/env escript
%% inet:getstat/2 with a name it does not know crashes the socket's
%% gen_tcp_socket process (case_clause in getstat_what/3): the caller exits
%% and the socket is gone. inet_drv answers {error, einval}.
main(_) ->
    logger:set_primary_config(level, none),
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    Getstat = try inet:getstat(L, [bogus]) catch C:R -> {C, element(1, element(1, R))} end,
    {Getstat, case inet:port(L) of {ok, _} -> open; Error -> Error end}.
