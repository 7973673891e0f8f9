#!/usr/bin/env escript
%% gen_udp(3), {fd, integer() >= 0}: "If Port is not set to 0 and/or
%% {ip, ip_address()} is combined with this option, the fd is bound to the
%% specified interface and port after it is being opened." The socket
%% backend never binds a descriptor it is given (gen_udp_socket's
%% default_any/3 drops the address when there is an fd): the socket stays
%% unbound, on no address.
main(_) ->
    [io:format("~-7s ~0p~n", [B, run(B)]) || B <- [inet, socket]].

run(Backend) ->
    {ok, N} = socket:open(inet, dgram, udp),
    {ok, Fd} = socket:getopt(N, otp, fd),
    {ok, U} = gen_udp:open(0, [{inet_backend, Backend}, {fd, Fd}, {ip, {127, 0, 0, 1}}]),
    {ok, {IP, Port}} = inet:sockname(U),
    gen_udp:close(U),
    socket:close(N),
    {IP, Port =/= 0}.
