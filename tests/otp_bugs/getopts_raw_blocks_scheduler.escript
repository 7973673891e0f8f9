#!/usr/bin/env escript
%% inet:getopts(S, [{raw, 6, 1, -1}]) (a negative value size) on the socket
%% backend spends seconds inside a NIF call: it blocks a normal scheduler,
%% so other processes stop too (here a process that ticks every 10 ms). The
%% same from socket:getopt_native/3. inet_drv answers {error, einval} at
%% once.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    Self = self(),
    Tickers = [spawn(fun() -> tick(Self, erlang:monotonic_time(millisecond), 0) end)
               || _ <- lists:seq(1, 2 * erlang:system_info(schedulers))],
    timer:sleep(100),
    Result = inet:getopts(L, [{raw, 6, 1, -1}]),
    [T ! stop || T <- Tickers],
    Gap = lists:max([receive {gap, T, G} -> G end || T <- Tickers]),
    {Result, case Gap > 1000 of true -> scheduler_blocked_over_1s; false -> no_stall end}.

tick(Parent, Last, Max) ->
    receive stop -> Parent ! {gap, self(), Max}
    after 10 ->
        Now = erlang:monotonic_time(millisecond),
        tick(Parent, Now, max(Max, Now - Last))
    end.
