#!/usr/bin/env escript
%% inet:setopts/2 on a gen_udp socket with an atom that is no option crashes
%% the socket's gen_udp_socket process (case_clause): the caller exits and
%% the socket is gone. inet_drv answers {error, einval}.
main(_) ->
    logger:set_primary_config(level, none),
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    Setopts = try inet:setopts(S, [bogus]) catch C:R -> {C, element(1, element(1, R))} end,
    {Setopts, case inet:port(S) of {ok, _} -> open; Error -> Error end}.
