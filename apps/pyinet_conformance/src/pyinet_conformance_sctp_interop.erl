%% Interoperation on the wire: pyinet's userland SCTP (usrsctp over UDP, RFC
%% 6951) against native gen_sctp on Linux kernel SCTP with UDP encapsulation
%% on, in one node that runs both (tests/vm/sctp_interop.sh sets the kernel's
%% net.sctp.udp_port and encap_port and this node's pyinet keys). Every check
%% is a pattern match on what arrived; the last line is
%% "sctp-interop: N passed, N failed".
%%
%% - one-to-many: a pyinet client associates with a native server and sends
%%   on five streams with ppids, some unordered; the server checks each and
%%   sends it back the same way; the client checks what comes back;
%% - one-to-one: a native one-to-one client associates with a pyinet server
%%   (the kernel initiates: its encap_port is the pyinet server's port) and
%%   the same exchange runs the other way round;
%% - Diameter: OTP's diameter application serves on kernel SCTP
%%   (diameter_sctp); a pyinet client does the capabilities exchange (CER/CEA)
%%   and then Count device watchdog requests (DWR/DWA), ten in flight, every
%%   answer checked (command code, hop-by-hop id, Result-Code 2001).
-module(pyinet_conformance_sctp_interop).

-export([main/1, streams/2, diameter/3]).

-include_lib("kernel/include/inet_sctp.hrl").

-define(LO, {127, 0, 0, 1}).
-define(WAIT, 20000).

%% Args: [PyinetServerPort, DiameterCount].
-spec main([string()]) -> no_return().
main([PyinetPort, Count]) ->
    ok = pyinet:start(),
    Checks = [{one_to_many, fun() -> streams(one_to_many, 0) end},
              {one_to_one, fun() -> streams(one_to_one, list_to_integer(PyinetPort)) end},
              {diameter, fun() -> diameter(list_to_integer(Count), 10, ?WAIT) end}],
    Results = [run(Name, F) || {Name, F} <- Checks],
    Passed = length([ok || ok <- Results]),
    io:format("sctp-interop: ~b passed, ~b failed~n", [Passed, length(Results) - Passed]),
    halt(case Passed =:= length(Results) of true -> 0; false -> 1 end).

run(Name, Fun) ->
    T0 = erlang:monotonic_time(millisecond),
    Result = try Fun() of
                 Info -> io:format("~p: ok ~p~n", [Name, Info]), ok
             catch Class:Reason:Stack ->
                 io:format("~p: FAILED ~p:~p~n  ~p~n", [Name, Class, Reason, Stack]), failed
             end,
    io:format("# ~p took ~b ms~n", [Name, erlang:monotonic_time(millisecond) - T0]),
    Result.

%%% Streams, ppids, unordered.

%% The messages: {Stream, Ppid, Flags, Data}.
messages() ->
    [{S, 16#01020304 + S, case S rem 2 of 1 -> [unordered]; 0 -> [] end,
      <<"message on stream ", (S + $0)>>} || S <- lists:seq(0, 4)].

streams(one_to_many, _) ->
    {ok, Srv} = gen_sctp:open([{ip, ?LO}, binary]),
    {ok, SP} = inet:port(Srv),
    ok = gen_sctp:listen(Srv, true),
    {ok, Cli} = pyinet_sctp:open([{ip, ?LO}, binary, {sctp_backend, userland}]),
    exchange(pyinet_sctp, Cli, gen_sctp, Srv, SP),
    ok = pyinet_sctp:close(Cli),
    ok = gen_sctp:close(Srv),
    #{server_port => SP};
streams(one_to_one, Port) ->
    {ok, Srv} = pyinet_sctp:open([{ip, ?LO}, {port, Port}, binary, {sctp_backend, userland}]),
    ok = pyinet_sctp:listen(Srv, true),
    {ok, Cli} = gen_sctp:open([{ip, ?LO}, {type, stream}, binary]),
    exchange(gen_sctp, Cli, pyinet_sctp, Srv, Port),
    ok = gen_sctp:close(Cli),
    ok = pyinet_sctp:close(Srv),
    #{server_port => Port}.

%% CM's Cli associates with SM's Srv at port SP; each message goes there and
%% comes back on the same stream with the same ppid and flags.
exchange(CM, Cli, SM, Srv, SP) ->
    InitMsg = #sctp_initmsg{num_ostreams = 5, max_instreams = 5},
    {ok, #sctp_assoc_change{state = comm_up, outbound_streams = 5} = CA} =
        CM:connect(Cli, ?LO, SP, [{sctp_initmsg, InitMsg}], ?WAIT),
    SA = server_assoc(SM, Srv),
    [begin
         ok = CM:send(Cli, #sctp_sndrcvinfo{assoc_id = CA#sctp_assoc_change.assoc_id,
                                            stream = S, ppid = P, flags = F}, D),
         {ok, {_, _, [#sctp_sndrcvinfo{stream = S, ppid = P, assoc_id = SId} = Info], D}} =
             recv_data(SM, Srv),
         SId = SA#sctp_assoc_change.assoc_id,
         F = [unordered || lists:member(unordered, Info#sctp_sndrcvinfo.flags)],
         ok = SM:send(Srv, #sctp_sndrcvinfo{assoc_id = SId, stream = S, ppid = P, flags = F},
                      <<D/binary, " back">>),
         {ok, {_, _, [#sctp_sndrcvinfo{stream = S, ppid = P}], <<D:(byte_size(D))/binary,
                                                                 " back">>}} =
             recv_data(CM, Cli)
     end || {S, P, F, D} <- messages()],
    ok.

server_assoc(M, S) ->
    case M:recv(S, ?WAIT) of
        {ok, {_, _, _, #sctp_assoc_change{state = comm_up} = A}} -> A;
        {ok, {_, _, _, #sctp_paddr_change{}}} -> server_assoc(M, S);
        Other -> error({no_comm_up, Other})
    end.

recv_data(M, S) ->
    case M:recv(S, ?WAIT) of
        {ok, {_, _, _, #sctp_paddr_change{}}} -> recv_data(M, S);
        {ok, {_, _, [#sctp_sndrcvinfo{} | _], _}} = Data -> Data;
        Other -> error({no_data, Other})
    end.

%%% Diameter: a native diameter service, a pyinet peer.

-define(CER, 257).
-define(DWR, 280).
-define(RESULT_CODE, 268).

diameter(Count, Window, Wait) ->
    ok = diameter:start(),
    Svc = pyinet_interop,
    ok = diameter:start_service(Svc, [{'Origin-Host', "native.example.org"},
                                      {'Origin-Realm', "example.org"},
                                      {'Vendor-Id', 0},
                                      {'Product-Name', "native"},
                                      {'Auth-Application-Id', [0]},
                                      {application, [{alias, base},
                                                     {dictionary, diameter_gen_base_rfc6733},
                                                     {module, diameter_callback}]}]),
    {ok, _} = diameter:add_transport(Svc, {listen, [{transport_module, diameter_sctp},
                                                    {transport_config, [{ip, ?LO}, {port, 0}]}]}),
    DPort = listening_port(Svc, 50),
    {ok, S} = pyinet_sctp:open([{ip, ?LO}, binary, {sctp_backend, userland}]),
    {ok, A} = pyinet_sctp:connect(S, ?LO, DPort, [], Wait),
    ok = pyinet_sctp:send(S, A, 0, request(?CER, 1, cer_avps())),
    {?CER, 1, 2001} = answer(S, Wait),
    T0 = erlang:monotonic_time(microsecond),
    ok = watchdogs(S, A, Count, Window, 0, 0, Wait),
    T1 = erlang:monotonic_time(microsecond),
    ok = pyinet_sctp:close(S),
    ok = diameter:stop_service(Svc),
    Seconds = (T1 - T0) / 1.0e6,
    #{diameter_port => DPort, dwr_dwa => Count, seconds => Seconds,
      per_second => round(Count / Seconds)}.

listening_port(Svc, 0) -> error({no_listener, Svc});
listening_port(Svc, N) ->
    case sctp_ports(Svc) of
        [P | _] -> P;
        [] -> timer:sleep(100), listening_port(Svc, N - 1)
    end.

%% The listening port of the service's SCTP transport, through the sockets
%% diameter_sctp opened (inet's list of the node's ports).
sctp_ports(_Svc) ->
    [P || Port <- erlang:ports(), {name, "sctp_inet"} <- [erlang:port_info(Port, name)],
          {ok, {_, P}} <- [inet:sockname(Port)], P =/= 0].

watchdogs(_S, _A, 0, _Window, 0, _Next, _Wait) ->
    ok;
watchdogs(S, A, Left, Window, InFlight, Next, Wait) when Left > InFlight, InFlight < Window ->
    Id = 1000 + Next,
    ok = pyinet_sctp:send(S, A, 0, request(?DWR, Id, origin())),
    watchdogs(S, A, Left, Window, InFlight + 1, Next + 1, Wait);
watchdogs(S, A, Left, Window, InFlight, Next, Wait) ->
    {?DWR, _Id, 2001} = answer(S, Wait),
    watchdogs(S, A, Left - 1, Window, InFlight - 1, Next, Wait).

%% The next answer: {Command, HopByHop, ResultCode}. A request from the
%% server (its own watchdog) is answered and skipped.
answer(S, Wait) ->
    case pyinet_sctp:recv(S, Wait) of
        {ok, {_, _, _, <<1, _Len:24, Flags, Code:24, _App:32, Hop:32, _E2e:32, Avps/binary>>}}
          when Flags band 16#80 =:= 0 ->
            {Code, Hop, result_code(Avps)};
        {ok, {_, _, [#sctp_sndrcvinfo{assoc_id = A} | _],
              <<1, _:24, _Flags, ?DWR:24, _:32, Hop:32, E2e:32, _/binary>>}} ->
            ok = pyinet_sctp:send(S, A, 0, message(0, ?DWR, Hop, E2e,
                                                     [avp(?RESULT_CODE, <<2001:32>>) | origin()])),
            answer(S, Wait);
        {ok, {_, _, _, #sctp_paddr_change{}}} ->
            answer(S, Wait);
        Other ->
            error({no_answer, Other})
    end.

result_code(<<Code:32, _Flags, Len:24, Rest/binary>>) ->
    DataLen = Len - 8,
    Pad = (4 - (Len rem 4)) rem 4,
    <<Data:DataLen/binary, _:Pad/binary, More/binary>> = Rest,
    case Code of
        ?RESULT_CODE -> binary:decode_unsigned(Data);
        _ -> result_code(More)
    end;
result_code(<<>>) ->
    none.

request(Code, Hop, Avps) ->
    message(16#80, Code, Hop, Hop, Avps).

message(Flags, Code, Hop, E2e, Avps) ->
    Body = iolist_to_binary(Avps),
    <<1, (20 + byte_size(Body)):24, Flags, Code:24, 0:32, Hop:32, E2e:32, Body/binary>>.

origin() ->
    [avp(264, <<"pyinet.example.org">>), avp(296, <<"example.org">>)].

cer_avps() ->
    origin() ++ [avp(257, <<1:16, 127, 0, 0, 1>>), avp(266, <<0:32>>),
                 avp(269, <<"pyinet">>), avp(258, <<0:32>>)].

avp(Code, Data) ->
    Len = 8 + byte_size(Data),
    Pad = (4 - (Len rem 4)) rem 4,
    <<Code:32, 16#40, Len:24, Data/binary, 0:(Pad * 8)>>.
