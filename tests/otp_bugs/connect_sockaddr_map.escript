#!/usr/bin/env escript
%% gen_tcp:connect/2 with a sockaddr map (documented since OTP 24.3) raises
%% undef with the socket backend: gen_tcp calls gen_tcp_socket:connect/3,
%% which OTP 25 does not export.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, []),
    {ok, P} = inet:port(L),
    try gen_tcp:connect(#{family => inet, addr => {127, 0, 0, 1}, port => P},
                        [{inet_backend, Backend}]) of
        {ok, S} -> gen_tcp:close(S), connected;
        Error -> Error
    catch C:R -> {C, R}
    end.
