#!/usr/bin/env escript
%%! -noinput
%% The reference for the packet tests: answers requests from Python with what
%% OTP itself does. Requests and replies are external terms framed with a
%% 4-byte length, on the pipe descriptors named by the two arguments (stdin
%% and stdout stay free, so a stray report cannot corrupt the stream). Exits
%% at eof.
%%
%%   {check, [{Type, Bin, Options, Expected}]} -> [{Index, Actual}]
%%       Actual = erlang:decode_packet(Type, Bin, Options), or badarg; only
%%       the cases where Actual =/= Expected are returned (0-based index).
%%   {decode, [{Type, Bin, Options}]} -> [Actual]
%%   {driver, [{SocketOptions, Data, Steps}]} -> [[Result]]
%%       A loopback connection whose peer sends Data and closes; Steps are
%%       recv (gen_tcp:recv(S, 0)) or {setopts, Options}. Results are the
%%       recv results, up to and including the first error. The socket in
%%       an ssl_tls packet is replaced by the atom socket.
%%   {driver_check, [{SocketOptions, Data, Steps, Expected}]} -> [{Index, Actual}]
-mode(compile).

main([In, Out]) ->
    Port = open_port({fd, list_to_integer(In), list_to_integer(Out)},
                     [{packet, 4}, binary, eof]),
    loop(Port).

loop(Port) ->
    receive
        {Port, {data, Request}} ->
            Reply = handle(binary_to_term(Request)),
            Port ! {self(), {command, term_to_binary(Reply)}},
            loop(Port);
        {Port, eof} ->
            halt(0)
    end.

handle({check, Cases}) ->
    check(Cases, 0, []);
handle({decode, Cases}) ->
    [decode(Type, Bin, Options) || {Type, Bin, Options} <- Cases];
handle({driver, Cases}) ->
    [driver(Case) || Case <- Cases];
handle({driver_check, Cases}) ->
    Indexed = lists:zip(lists:seq(0, length(Cases) - 1), Cases),
    [{Index, Actual} || {Index, {Options, Data, Steps, Expected}} <- Indexed,
                        (Actual = driver({Options, Data, Steps})) =/= Expected].

%% OTP 27.3.4 overflows on a 4-byte length header of 2^32-4 or more that
%% {packet_size, N} allows: the length plus the header wraps around, and it
%% answers {more, undefined} or a packet of 2^61 bytes reaching past the input,
%% which kills this process when the input is a refc binary (OTP 25:
%% {error, invalid}). Such a case is not run; it is reported as
%% {otp_bug, header_overflow}, and the right answer there is OTP 25's, which
%% pyinet gives.
decode(4, <<Length:32, _/binary>> = Bin, Options) when Length >= 16#FFFFFFFC ->
    case proplists:get_value(packet_size, Options, 0) of
        Max when is_integer(Max), Max >= Length -> {otp_bug, header_overflow};
        _ -> decode_packet(4, Bin, Options)
    end;
decode(Type, Bin, Options) ->
    decode_packet(Type, Bin, Options).

decode_packet(Type, Bin, Options) ->
    try erlang:decode_packet(Type, Bin, Options)
    catch error:badarg -> badarg
    end.

check([], _, Mismatches) ->
    lists:reverse(Mismatches);
check([{Type, Bin, Options, Expected} | Cases], Index, Mismatches) ->
    Actual = decode(Type, Bin, Options),
    case Actual =:= Expected orelse
        (Actual =:= {otp_bug, header_overflow} andalso Expected =:= {error, invalid}) of
        true -> check(Cases, Index + 1, Mismatches);
        false -> check(Cases, Index + 1, [{Index, Actual} | Mismatches])
    end.

driver({Options, Data, Steps}) ->
    {ok, Listen} = gen_tcp:listen(0, [binary, {active, false}, {ip, {127, 0, 0, 1}}]),
    {ok, PortNumber} = inet:port(Listen),
    {ok, Client} = gen_tcp:connect({127, 0, 0, 1}, PortNumber, [{active, false} | Options]),
    {ok, Server} = gen_tcp:accept(Listen),
    ok = gen_tcp:close(Listen),
    ok = gen_tcp:send(Server, Data),
    ok = gen_tcp:close(Server),
    Results = run(Client, Steps),
    gen_tcp:close(Client),
    Results.

run(_, []) ->
    [];
run(Socket, [recv | Steps]) ->
    case gen_tcp:recv(Socket, 0, 2000) of
        {ok, {ssl_tls, Socket, Type, Version, Bin}} ->
            [{ok, {ssl_tls, socket, Type, Version, Bin}} | run(Socket, Steps)];
        {ok, Packet} -> [{ok, Packet} | run(Socket, Steps)];
        Error -> [Error]
    end;
run(Socket, [{setopts, Options} | Steps]) ->
    ok = inet:setopts(Socket, Options),
    run(Socket, Steps).
