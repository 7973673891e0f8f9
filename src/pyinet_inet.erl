%% What pyinet_tcp, pyinet_udp and pyinet_sctp share: the parts of inet's
%% functions that are the same for every inet socket hosted by a port program
%% (the inet_ requests of PROTOCOL.md). Each transport module keeps what its
%% OTP counterpart does differently.
-module(pyinet_inet).

%% API.
-export([owner/3, give/4, info/4]).

%% API.

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

%% inet:info/1 of a socket, as of a port: the owner, the descriptor's state
%% flags (prim_inet:getstatus/1) and the counters GetStat returns;
%% #{states => [closed]} once the socket is gone.
-spec info(pid(), port(), pos_integer(), fun(() -> {ok, [{atom(), integer()}]} | term())) -> map().
info(Router, Port, Id, GetStat) ->
    case pyinet_request:call(Router, Port, {inet_getstatus, Id}) of
        {ok, States} ->
            Info = case owner(Router, Port, Id) of
                       {ok, Pid} -> #{owner => Pid, states => States};
                       _ -> #{states => States}
                   end,
            case GetStat() of
                {ok, Stats} -> Info#{counters => maps:from_list(Stats)};
                _ -> Info
            end;
        _ ->
            #{states => [closed]}
    end.
