%% Where a connection's churn time goes: N times (default 2000) connect,
%% accept, send 1 byte, recv it, close both, each step timed, natively and on
%% pyinet (B="inet pyinet"); prints the mean microseconds of each step.
%%
%%   make build && erlc -o /tmp bench/churn_steps.erl && \
%%     erl -noshell -pa _build/default/lib/pyinet/ebin -pa /tmp -s churn_steps
-module(churn_steps).
-export([start/0]).
t(F) -> T0 = erlang:monotonic_time(nanosecond), R = F(), {erlang:monotonic_time(nanosecond) - T0, R}.
start() ->
    ok = pyinet:start(),
    [run(list_to_atom(B)) || B <- string:lexemes(os:getenv("B", "inet pyinet"), " ")],
    halt().
opts(inet, O) -> O;
opts(pyinet, O) -> [{tcp_module, pyinet_tcp} | O].
run(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [binary, {active, false}, {backlog, 128}])),
    {ok, Port} = inet:port(L),
    N = list_to_integer(os:getenv("N", "2000")),
    Acc = lists:foldl(fun(_, [Tc, Ta, Ts, Tr, Tcc, Tca]) ->
         {T1, {ok, C}} = t(fun() -> gen_tcp:connect({127, 0, 0, 1}, Port, opts(B, [binary, {active, false}])) end),
         {T2, {ok, A}} = t(fun() -> gen_tcp:accept(L) end),
         {T3, ok} = t(fun() -> gen_tcp:send(C, <<"x">>) end),
         {T4, {ok, <<"x">>}} = t(fun() -> gen_tcp:recv(A, 1) end),
         {T5, ok} = t(fun() -> gen_tcp:close(C) end),
         {T6, ok} = t(fun() -> gen_tcp:close(A) end),
         [Tc+T1, Ta+T2, Ts+T3, Tr+T4, Tcc+T5, Tca+T6]
      end, [0,0,0,0,0,0], lists:seq(1, N)),
    gen_tcp:close(L),
    io:format("~p: ~s total ~p us/iter~n", [B, [io_lib:format("~s=~p ", [K, V div N div 1000]) || {K, V} <- lists:zip([connect, accept, send, recv, closeC, closeA], Acc)], lists:sum(Acc) div N div 1000]).
