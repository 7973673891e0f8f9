#!/usr/bin/env escript
%% {ifaddr, SockAddrMap} (documented for connect, listen and gen_udp:open
%% since OTP 24.3) is refused by the socket backend: it wraps the map in
%% another map's addr field and finds that invalid.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    SA = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
    [case Open() of
         {ok, S} -> inet:close(S), ok;
         Error -> Error
     end || Open <- [fun() -> gen_tcp:listen(0, [{inet_backend, Backend}, {ifaddr, SA}]) end,
                     fun() -> gen_udp:open(0, [{inet_backend, Backend}, {ifaddr, SA}]) end]].
