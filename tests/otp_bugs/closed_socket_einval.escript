#!/usr/bin/env escript
%% gen_tcp(3): recv/2,3 indicates a closed socket by {error, closed}, and
%% accept/1,2 returns {error, closed} if the listen socket is closed. On a
%% socket closed locally the socket backend of OTP 27 answers
%% {error, einval} (OTP 25's answers closed, as inet_drv).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, {active, false}]),
    ok = gen_tcp:close(C),
    ok = gen_tcp:close(L),
    {gen_tcp:recv(C, 0, 100), gen_tcp:accept(L, 100)}.
