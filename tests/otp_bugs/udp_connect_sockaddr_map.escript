#!/usr/bin/env escript
%% gen_udp:connect/2 with a sockaddr map (documented since OTP 24) raises
%% function_clause for a socket of the socket backend: gen_udp's connect/2
%% takes a port only, with no clause that dispatches {'$inet', Mod, _} to
%% its module as connect/3 does.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    try gen_udp:connect(S, #{family => inet, addr => {127, 0, 0, 1}, port => 9})
    catch C:R -> {C, R}
    end.
