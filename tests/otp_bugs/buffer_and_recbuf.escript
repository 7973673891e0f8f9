#!/usr/bin/env escript
%% inet(3), {buffer, Size}: "val(buffer) is automatically set to the above
%% maximum when recbuf is set". The socket backend's gen_tcp leaves buffer
%% as it was.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, [{inet_backend, Backend}]),
    ok = inet:setopts(L, [{recbuf, 100000}]),
    inet:getopts(L, [buffer]).
