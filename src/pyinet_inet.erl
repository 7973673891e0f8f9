%% What pyinet_tcp, pyinet_udp and pyinet_sctp share: the parts of inet's
%% functions that are the same for every inet socket hosted by a port program
%% (the inet_ requests of PROTOCOL.md). Each transport module keeps what its
%% OTP counterpart does differently.
-module(pyinet_inet).

%% API.
-export([setopts/4, getopts/4, sockname/3, peername/3, socknames/3, getstat/4, owner/3,
         give/4, udp_controlling_process/5, info/4, cancel_monitor/1]).

%% API.

%% inet:setopts/2: the options as prim_inet checks them (pyinet_inet_opts),
%% applied by the port program.
-spec setopts(pid(), port(), pos_integer(), list()) -> ok | {error, term()}.
setopts(Router, Port, Id, Opts) ->
    case pyinet_inet_opts:setopts(Opts) of
        {ok, Norm} -> pyinet_request:call(Router, Port, {inet_setopts, Id, Norm});
        Error -> Error
    end.

%% inet:getopts/2: the names inet takes on this release, the values as it
%% reports them for a port (netns as a file name).
-spec getopts(pid(), port(), pos_integer(), list()) -> {ok, [term()]} | {error, term()}.
getopts(Router, Port, Id, Opts) ->
    case lists:all(fun pyinet_inet_opts:is_getopt/1, Opts) of
        true ->
            case pyinet_request:call(Router, Port, {inet_getopts, Id, Opts}) of
                {ok, Values} -> {ok, [pyinet_inet_opts:reported(V) || V <- Values]};
                Error -> Error
            end;
        false -> {error, einval}
    end.

%% The socket's owner: {ok, Pid}, or the error a gone socket gives.
-spec owner(pid(), port(), pos_integer()) -> {ok, pid()} | {error, term()}.
owner(Router, Port, Id) ->
    pyinet_request:call(Router, Port, {inet_owner, Id}).

%% The last step of controlling_process/2, erlang:port_connect/2's part of it:
%% badarg for a dead local process, else the program's answer (not_owner).
-spec give(pid(), port(), pos_integer(), pid()) -> ok | {error, term()}.
give(Router, Port, Id, NewOwner) ->
    case node(NewOwner) =:= node() andalso not is_process_alive(NewOwner) of
        true -> {error, badarg};
        false -> pyinet_request:call(Router, Port, {inet_set_owner, Id, NewOwner})
    end.

%% inet:udp_controlling_process/2, gen_udp's and gen_sctp's, step by step, its
%% quirks included: on a closed socket it fails a match, and when the new
%% owner is dead it answers {error, badarg} with the socket left passive. The
%% options go through the socket's own module, which checks them its way.
-spec udp_controlling_process(inet:socket(), pid(), port(), pos_integer(), pid()) ->
          ok | {error, term()}.
udp_controlling_process({'$inet', Module, _} = S, Router, Port, Id, NewOwner) ->
    case owner(Router, Port, Id) of
        {ok, NewOwner} ->
            ok;
        {ok, Pid} when Pid =/= self() ->
            {error, not_owner};
        _ ->
            {ok, [{active, A0}]} = Module:getopts(S, [active]),
            ok = Module:setopts(S, [{active, false}]),
            udp_sync_input(S, NewOwner),
            case give(Router, Port, Id, NewOwner) of
                ok -> ok = Module:setopts(S, [{active, A0}]);
                Error -> Error
            end
    end.

%% inet:udp_sync_input/2 moves these and nothing else (a datagram with
%% ancillary data stays where it is).
udp_sync_input(S, Owner) ->
    receive
        {sctp, S, _, _, _} = Msg -> udp_sync_input(S, Owner, Msg);
        {udp, S, _, _, _} = Msg -> udp_sync_input(S, Owner, Msg);
        {udp_closed, S} = Msg -> udp_sync_input(S, Owner, Msg);
        {S, {data, _}} = Msg -> udp_sync_input(S, Owner, Msg);
        {inet_async, S, _, _} = Msg -> udp_sync_input(S, Owner, Msg);
        {inet_reply, S, _} = Msg -> udp_sync_input(S, Owner, Msg)
    after 0 ->
            ok
    end.

udp_sync_input(S, Owner, Msg) ->
    Owner ! Msg,
    udp_sync_input(S, Owner).

-spec sockname(pid(), port(), pos_integer()) -> {ok, term()} | {error, term()}.
sockname(Router, Port, Id) ->
    pyinet_request:call(Router, Port, {inet_sockname, Id}).

-spec peername(pid(), port(), pos_integer()) -> {ok, term()} | {error, term()}.
peername(Router, Port, Id) ->
    pyinet_request:call(Router, Port, {inet_peername, Id}).

%% inet:socknames/1 of a socket with one address.
-spec socknames(pid(), port(), pos_integer()) -> {ok, [term()]} | {error, term()}.
socknames(Router, Port, Id) ->
    case sockname(Router, Port, Id) of
        {ok, Addr} -> {ok, [Addr]};
        Error -> Error
    end.

-spec getstat(pid(), port(), pos_integer(), [atom()]) ->
          {ok, [{atom(), integer()}]} | {error, term()}.
getstat(Router, Port, Id, What) ->
    pyinet_request:call(Router, Port, {inet_getstat, Id, What}).

%% inet:cancel_monitor/1: the monitor may be any router's.
-spec cancel_monitor(reference()) -> boolean().
cancel_monitor(MRef) ->
    lists:any(fun({R, _}) -> pyinet_router:cancel_monitor(R, MRef) end, pyinet_pool:routers()).

%% inet:info/1 of a socket, as of a port: what inet takes from
%% erlang:port_info/1 (the owner, links, input, output, memory, monitors),
%% the descriptor's state flags (prim_inet:getstatus/1) and the counters
%% GetStat returns; #{states => [closed]} once the socket is gone.
-spec info(pid(), port(), pos_integer(), fun(() -> {ok, [{atom(), integer()}]} | term())) -> map().
info(Router, Port, Id, GetStat) ->
    case pyinet_request:call(Router, Port, {inet_port_info, Id}) of
        {ok, PortInfo} ->
            Info = port_info(maps:from_list(PortInfo), owner(Router, Port, Id)),
            Info1 = case pyinet_request:call(Router, Port, {inet_getstatus, Id}) of
                        {ok, States} -> Info#{states => States};
                        _ -> Info
                    end,
            case GetStat() of
                {ok, Stats} -> Info1#{counters => maps:from_list(Stats)};
                _ -> Info1
            end;
        _ ->
            #{states => [closed]}
    end.

%% A port is linked to its owner (port_connect moves the link); its memory
%% is the runtime's port structure, 40 bytes on OTP 25 and 48 on 27 (taken
%% to start with 26), 24 more while it monitors processes (the acceptors of
%% a listen socket). From 26 prim_inet writes each send's reply reference
%% before its data (<<Size:16, term_to_binary(Ref, [local])>>), which output
%% counts too.
port_info(#{monitors := Monitors, output := Output, commands := Commands} = PortInfo0, Owner) ->
    PortInfo = maps:remove(commands, PortInfo0),
    {Base, RefBytes} = case list_to_integer(erlang:system_info(otp_release)) >= 26 of
                           true -> {48, 2 + byte_size(term_to_binary(make_ref(), [local]))};
                           false -> {40, 0}
                       end,
    Memory = case Monitors of
                 [] -> Base;
                 _ -> Base + 24
             end,
    Info = PortInfo#{output := Output + Commands * RefBytes, memory => Memory},
    case Owner of
        {ok, Pid} -> Info#{owner => Pid, links => [Pid]};
        _ -> Info#{links => []}
    end.
