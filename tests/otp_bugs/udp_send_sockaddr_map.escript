#!/usr/bin/env escript
%% gen_udp:send/3 to a sockaddr map (documented since OTP 24) exits with
%% badarg on the socket backend.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, A} = gen_udp:open(0, [binary, {active, false}]),
    {ok, P} = inet:port(A),
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}]),
    try gen_udp:send(S, #{family => inet, addr => {127, 0, 0, 1}, port => P}, <<"map">>) of
        ok -> {ok, {_, _, Data}} = gen_udp:recv(A, 0, 1000), {sent, Data};
        Error -> Error
    catch C:R -> {C, R}
    end.
