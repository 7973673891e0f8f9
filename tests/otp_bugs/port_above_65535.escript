#!/usr/bin/env escript
%% A port number above 65535 is not refused: the socket backend uses its low
%% 16 bits, so connect/3 reaches another port and listen/2 binds another.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(70000 band 16#ffff, [{reuseaddr, true}]),
    Connect = try gen_tcp:connect({127, 0, 0, 1}, 70000, [{inet_backend, Backend}], 1000) of
                  {ok, S} -> gen_tcp:close(S), connected_to_4464;
                  Error -> Error
              catch C:R -> {C, reason(R)}
              end,
    gen_tcp:close(L),
    Listen = try gen_tcp:listen(70000, [{inet_backend, Backend}]) of
                 {ok, S2} -> {ok, P} = inet:port(S2), gen_tcp:close(S2), {listening_on, P};
                 Error2 -> Error2
             catch C2:R2 -> {C2, reason(R2)}
             end,
    {Connect, Listen}.

reason({Reason, Stack}) when is_list(Stack) -> Reason;
reason(Reason) -> Reason.
