#!/usr/bin/env escript
%% A connected, active gen_udp socket whose peer answers with ICMP port
%% unreachable: the socket backend sends the owner {udp_closed, S} after
%% {udp_error, S, econnrefused} and turns passive, while the socket stays
%% open and usable.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, D} = gen_udp:open(0, []),
    {ok, Dead} = inet:port(D),
    ok = gen_udp:close(D),
    {ok, S} = gen_udp:open(0, [{inet_backend, Backend}, {active, true}]),
    ok = gen_udp:connect(S, {127, 0, 0, 1}, Dead),
    ok = gen_udp:send(S, <<"x">>),
    timer:sleep(100),
    Msgs = flush(S),
    {Msgs, inet:getopts(S, [active]), gen_udp:send(S, <<"y">>)}.

flush(S) ->
    receive
        {udp_error, S, R} -> [{udp_error, R} | flush(S)];
        {udp_closed, S} -> [udp_closed | flush(S)]
    after 100 -> []
    end.
