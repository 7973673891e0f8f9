#!/usr/bin/env escript
%% high_msgq_watermark and low_msgq_watermark are gen_udp options
%% (gen_udp(3), option()); the socket backend answers {error, einval} to
%% inet:getopts/2 for them, and so to any list that names one.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    {inet:getopts(S, [high_msgq_watermark]), inet:getopts(S, [active, low_msgq_watermark])}.
