#!/usr/bin/env escript
%% gen_tcp:connect/4 to a port nobody listens on: inet_drv (and OTP 25's
%% socket backend) answer {error, econnrefused}, the kernel's ECONNREFUSED;
%% OTP 27's socket backend answers {error, econnaborted} for a host name
%% that names more than one address (localhost: ::1, then 127.0.0.1).
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, L} = gen_tcp:listen(0, []),
    {ok, P} = inet:port(L),
    ok = gen_tcp:close(L),
    [gen_tcp:connect(Host, P, [{inet_backend, Backend}], 2000)
     || Host <- [{127, 0, 0, 1}, localhost]].
