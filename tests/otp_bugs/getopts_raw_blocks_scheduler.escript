#!/usr/bin/env escript
%%! +S 1
%% inet:getopts(S, [{raw, 6, 1, -1}]) (a negative value size) on the socket
%% backend answers {ok, []} after a long NIF call on a normal scheduler: the
%% first such call of a node took 2 to 11 s here, later ones about 65 ms,
%% and with one scheduler (+S 1) every other process waits meanwhile (a
%% process that ticks every 10 ms shows the gap). The same from
%% socket:getopt_native/3. inet_drv answers {error, einval} at once.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    Self = self(),
    Ticker = spawn(fun() -> tick(Self, erlang:monotonic_time(millisecond), 0) end),
    timer:sleep(100),
    Result = inet:getopts(L, [{raw, 6, 1, -1}]),
    Ticker ! stop,
    Gap = receive {gap, G} -> G end,
    {Result, case Gap > 50 of true -> ticker_stopped_over_50ms; false -> no_stall end}.

tick(Parent, Last, Max) ->
    receive stop -> Parent ! {gap, Max}
    after 10 ->
        Now = erlang:monotonic_time(millisecond),
        tick(Parent, Now, max(Max, Now - Last))
    end.
