#!/usr/bin/env escript
%% A line_delimiter above 255 is accepted, but the first recv in {packet,
%% line} crashes the socket's gen_tcp_socket process (badarg in
%% erlang:decode_packet/3): the caller exits with it, the socket is gone.
main(_) ->
    logger:set_primary_config(level, none),
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}, binary, {active, false}]),
    {ok, P} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, [{inet_backend, Backend}, binary,
                                                 {active, false}, {packet, line},
                                                 {line_delimiter, 378}]),
    {ok, A} = gen_tcp:accept(L),
    ok = gen_tcp:send(A, <<"aza">>),
    Recv = try gen_tcp:recv(C, 0, 1000) catch Class:Reason -> {Class, reason(Reason)} end,
    {Recv, case inet:port(C) of {ok, _} -> open; Error -> Error end}.

%% badarg, out of {{badarg, Stack}, {gen_statem, call, Args}}.
reason({{Reason, _Stack}, _Call}) -> Reason;
reason(Reason) -> Reason.
