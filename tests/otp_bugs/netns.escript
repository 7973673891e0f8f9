#!/usr/bin/env escript
%% {netns, Namespace} (gen_tcp(3), gen_udp(3)): the socket backend's
%% inet:getopts/2 does not know it ({error, einval} where inet_drv answers
%% [] for a socket opened without one), and listen/2 with it refuses the
%% namespace of the running process.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    Getopts = inet:getopts(L, [netns]),
    Listen = case gen_tcp:listen(0, [{inet_backend, Backend}, {netns, "/proc/self/ns/net"}]) of
                 {ok, L2} -> gen_tcp:close(L2), ok;
                 Error -> Error
             end,
    {Getopts, Listen}.
