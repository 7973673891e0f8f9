%% gen_sctp on Python-hosted sockets: gen_sctp's API, function for function.
%%
%% OTP's gen_sctp accepts only ports, so this module is gen_sctp, inet_sctp and
%% the SCTP parts of prim_inet and inet:udp_controlling_process/2 over again,
%% in their structure and with their error terms, on sockets
%% {'$inet', pyinet_sctp, {Router, Port, Id}} (inet:setopts/getopts/sockname/
%% peername/socknames/getstat/close/monitor dispatch here for them). What the
%% driver does (sctp_inet in inet_drv) is done by the port program's SCTP
%% requests: one request per port control or command.
%%
%% Options and records are checked as prim_inet checks them
%% (pyinet_sctp_opts), with OTP's own inet:sctp_options/2 for open. One
%% option is pyinet's own: {sctp_backend, kernel | userland} in open's
%% options chooses the SCTP that serves the socket (the kernel's, or usrsctp's
%% inside the port program, for hosts without kernel SCTP); without it the
%% application key sctp_backend decides, else the kernel's where it has SCTP.
%%
%% Its length is gen_sctp's: one API, function for function, with the inet_sctp
%% and prim_inet internals each function calls in the order OTP has them.
-module(pyinet_sctp).

%% gen_sctp.
-export([open/0, open/1, open/2, close/1, listen/2, peeloff/2,
         connect/3, connect/4, connect/5, connect_init/3, connect_init/4, connect_init/5,
         connectx_init/3, connectx_init/4, connectx_init/5, eof/2, abort/2, send/3, send/4,
         recv/1, recv/2, error_string/1, controlling_process/2]).

%% inet dispatch for module sockets, and prim_inet's SCTP address lists.
-export([setopts/2, getopts/2, sockname/1, peername/1, socknames/1, socknames/2,
         peernames/1, peernames/2, getstat/2, monitor/1, cancel_monitor/1, info/1,
         socket_to_list/1]).

-include_lib("kernel/include/inet_sctp.hrl").

%% inet_int.hrl's #sctp_opts{}, what inet:sctp_options/2 returns.
-record(sctp_opts, {ifaddr, port = 0, fd = -1, type = seqpacket, opts = []}).

-define(SOCKET(Router, Port, Id), {'$inet', ?MODULE, {Router, Port, Id}}).
-define(is_socket(S), (is_tuple(S) andalso tuple_size(S) =:= 3
                       andalso element(1, S) =:= '$inet' andalso element(2, S) =:= ?MODULE)).
-define(LISTEN_BACKLOG, 5).

-type socket() :: {'$inet', ?MODULE, {pid(), port(), pos_integer()}}.
-export_type([socket/0]).

%%% gen_sctp.

-spec open() -> {ok, socket()} | {error, term()}.
open() ->
    open([]).

-spec open(inet:port_number() | list()) -> {ok, socket()} | {error, term()}.
open(Opts0) when is_list(Opts0) ->
    {Mod, Opts} = inet:sctp_module(Opts0),
    case do_open(Mod, Opts) of
        {error, badarg} -> erlang:error(badarg, [Opts]);
        {error, einval} -> erlang:error(badarg, [Opts]);
        Result -> Result
    end;
open(Port) when is_integer(Port) ->
    open([{port, Port}]);
open(X) ->
    erlang:error(badarg, [X]).

-spec open(inet:port_number(), list()) -> {ok, socket()} | {error, term()}.
open(Port, Opts) when is_integer(Port), is_list(Opts) ->
    open([{port, Port} | Opts]);
open(Port, Opts) ->
    erlang:error(badarg, [Port, Opts]).

-spec close(socket()) -> ok | {error, term()}.
close(?SOCKET(R, P, Id)) ->
    case call(R, P, {sctp_close, Id}) of
        {error, closed} -> ok;
        Result -> Result
    end;
close(S) ->
    erlang:error(badarg, [S]).

-spec listen(socket(), boolean() | integer()) -> ok | {error, term()}.
listen(?SOCKET(R, P, Id), Backlog) when is_boolean(Backlog); is_integer(Backlog) ->
    %% prim_inet:listen/2: true is ?LISTEN_BACKLOG, false 0, sent in 16 bits.
    N = case Backlog of
            true -> ?LISTEN_BACKLOG;
            false -> 0;
            _ -> Backlog
        end,
    call(R, P, {sctp_listen, Id, N band 16#ffff});
listen(S, Flag) ->
    erlang:error(badarg, [S, Flag]).

-spec peeloff(socket(), #sctp_assoc_change{} | integer()) -> {ok, socket()} | {error, term()}.
peeloff(S, #sctp_assoc_change{assoc_id = AssocId}) when ?is_socket(S) ->
    peeloff(S, AssocId);
peeloff(?SOCKET(R, P, Id), AssocId) when is_integer(AssocId) ->
    call(R, P, {sctp_peeloff, Id, AssocId}).

-spec connect(socket(), map(), list()) -> {ok, #sctp_assoc_change{}} | {error, term()}.
connect(S, SockAddr, Opts) ->
    connect(S, SockAddr, Opts, infinity).

-spec connect(socket(), term(), term(), term()) ->
          {ok, #sctp_assoc_change{}} | {error, term()}.
connect(S, SockAddr, Opts, Timeout) when is_map(SockAddr) andalso is_list(Opts) ->
    case do_connect(S, SockAddr, Opts, Timeout, true) of
        badarg -> erlang:error(badarg, [S, SockAddr, Opts, Timeout]);
        Result -> Result
    end;
connect(S, Addr, Port, Opts) ->
    connect(S, Addr, Port, Opts, infinity).

-spec connect(socket(), term(), term(), list(), timeout()) ->
          {ok, #sctp_assoc_change{}} | {error, term()}.
connect(S, Addr, Port, Opts, Timeout) ->
    case do_connect(S, Addr, Port, Opts, Timeout, true) of
        badarg -> erlang:error(badarg, [S, Addr, Port, Opts, Timeout]);
        Result -> Result
    end.

-spec connect_init(socket(), map(), list()) -> ok | {error, term()}.
connect_init(S, SockAddr, Opts) ->
    connect_init(S, SockAddr, Opts, infinity).

-spec connect_init(socket(), term(), term(), term()) -> ok | {error, term()}.
connect_init(S, SockAddr, Opts, Timeout) when is_map(SockAddr) andalso is_list(Opts) ->
    case do_connect(S, SockAddr, Opts, Timeout, false) of
        badarg -> erlang:error(badarg, [S, SockAddr, Opts, Timeout]);
        Result -> Result
    end;
connect_init(S, Addr, Port, Opts) ->
    connect_init(S, Addr, Port, Opts, infinity).

-spec connect_init(socket(), term(), term(), list(), timeout()) -> ok | {error, term()}.
connect_init(S, Addr, Port, Opts, Timeout) ->
    case do_connect(S, Addr, Port, Opts, Timeout, false) of
        badarg -> erlang:error(badarg, [S, Addr, Port, Opts, Timeout]);
        Result -> Result
    end.

-spec connectx_init(socket(), list(), list()) -> {ok, integer()} | {error, term()}.
connectx_init(S, SockAddrs, Opts) ->
    case do_connectx(S, SockAddrs, Opts) of
        badarg -> erlang:error(badarg, [S, SockAddrs, Opts]);
        Result -> Result
    end.

-spec connectx_init(socket(), list(), term(), list()) -> {ok, integer()} | {error, term()}.
connectx_init(S, Addrs, Port, Opts) ->
    connectx_init(S, Addrs, Port, Opts, infinity).

-spec connectx_init(socket(), list(), term(), list(), timeout()) ->
          {ok, integer()} | {error, term()}.
connectx_init(S, Addrs, Port, Opts, Timeout) ->
    case do_connectx(S, Addrs, Port, Opts, Timeout) of
        badarg -> erlang:error(badarg, [S, Addrs, Port, Opts, Timeout]);
        Result -> Result
    end.

-spec eof(socket(), #sctp_assoc_change{}) -> ok | {error, term()}.
eof(S, #sctp_assoc_change{assoc_id = AssocId}) when ?is_socket(S) ->
    sendmsg(S, #sctp_sndrcvinfo{assoc_id = AssocId, flags = [eof]}, <<>>);
eof(S, Assoc) ->
    erlang:error(badarg, [S, Assoc]).

-spec abort(socket(), #sctp_assoc_change{}) -> ok | {error, term()}.
abort(S, #sctp_assoc_change{assoc_id = AssocId}) when ?is_socket(S) ->
    sendmsg(S, #sctp_sndrcvinfo{assoc_id = AssocId, flags = [abort]}, <<>>);
abort(S, Assoc) ->
    erlang:error(badarg, [S, Assoc]).

-spec send(socket(), #sctp_sndrcvinfo{}, iodata()) -> ok | {error, term()}.
send(S, #sctp_sndrcvinfo{} = SRI, Data) when ?is_socket(S) ->
    sendmsg(S, SRI, Data);
send(S, SRI, Data) ->
    erlang:error(badarg, [S, SRI, Data]).

-spec send(socket(), #sctp_assoc_change{} | integer(), integer(), iodata()) ->
          ok | {error, term()}.
send(S, #sctp_assoc_change{assoc_id = AssocId}, Stream, Data)
  when ?is_socket(S), is_integer(Stream) ->
    send_stream(S, AssocId, Stream, Data);
send(S, AssocId, Stream, Data) when ?is_socket(S), is_integer(AssocId), is_integer(Stream) ->
    send_stream(S, AssocId, Stream, Data);
send(S, AssocChange, Stream, Data) ->
    erlang:error(badarg, [S, AssocChange, Stream, Data]).

-spec recv(socket()) -> {ok, {inet:ip_address(), inet:port_number(), list(), term()}}
                            | {error, term()}.
recv(S) ->
    recv(S, infinity).

-spec recv(socket(), timeout()) ->
          {ok, {inet:ip_address(), inet:port_number(), list(), term()}} | {error, term()}.
recv(?SOCKET(R, P, Id) = S, Timeout) ->
    %% prim_inet:recvfrom/3's timeout check, after gen_sctp's lookup.
    if
        Timeout =:= infinity ->
            call(R, P, {sctp_recv, Id, infinity});
        is_integer(Timeout), 0 =< Timeout, Timeout < 16#ffffffff ->
            call(R, P, {sctp_recv, Id, Timeout});
        true ->
            after_lookup(S, {error, einval})
    end;
recv(S, Timeout) ->
    erlang:error(badarg, [S, Timeout]).

-spec error_string(integer()) -> ok | string() | unknown_error.
error_string(0) -> ok;
error_string(1) -> "Invalid Stream Identifier";
error_string(2) -> "Missing Mandatory Parameter";
error_string(3) -> "Stale Cookie Error";
error_string(4) -> "Out of Resource";
error_string(5) -> "Unresolvable Address";
error_string(6) -> "Unrecognized Chunk Type";
error_string(7) -> "Invalid Mandatory Parameter";
error_string(8) -> "Unrecognized Parameters";
error_string(9) -> "No User Data";
error_string(10) -> "Cookie Received While Shutting Down";
error_string(11) -> "Restart of an Association with New Addresses";
error_string(12) -> "User Initiated Abort";
error_string(13) -> "Protocol Violation";
error_string(N) when is_integer(N) -> unknown_error;
error_string(X) -> erlang:error(badarg, [X]).

%% inet:udp_controlling_process/2, as gen_sctp calls it.
-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process(?SOCKET(R, P, Id) = S, NewOwner) when is_pid(NewOwner) ->
    pyinet_inet:udp_controlling_process(S, R, P, Id, NewOwner);
controlling_process(S, Pid) ->
    erlang:error(badarg, [S, Pid]).

%%% inet.

-spec setopts(socket(), list()) -> ok | {error, term()}.
setopts(?SOCKET(R, P, Id), Opts) when is_list(Opts) ->
    case pyinet_sctp_opts:setopts(Opts) of
        {ok, Checked} -> call(R, P, {inet_setopts, Id, Checked});
        Error -> Error
    end;
setopts(_, Opts) ->
    %% inet:setopts/2 on a port walks Opts with a list comprehension.
    error({bad_generator, Opts}).

-spec getopts(socket(), list()) -> {ok, list()} | {error, term()}.
getopts(?SOCKET(R, P, Id), Opts) when is_list(Opts) ->
    case pyinet_sctp_opts:getopts(Opts) of
        {ok, Checked} -> call(R, P, {inet_getopts, Id, Checked});
        Error -> Error
    end.

-spec sockname(socket()) -> {ok, {inet:ip_address(), inet:port_number()}} | {error, term()}.
sockname(?SOCKET(R, P, Id)) ->
    pyinet_inet:sockname(R, P, Id).

-spec peername(socket()) -> {ok, {inet:ip_address(), inet:port_number()}} | {error, term()}.
peername(?SOCKET(R, P, Id)) ->
    pyinet_inet:peername(R, P, Id).

-spec socknames(socket()) -> {ok, list()} | {error, term()}.
socknames(S) ->
    socknames(S, undefined).

%% prim_inet:socknames/2 and peernames/2 (inet's versions take only ports).
-spec socknames(socket(), #sctp_assoc_change{} | integer() | undefined) ->
          {ok, list()} | {error, term()}.
socknames(S, Assoc) ->
    addresses(sctp_socknames, S, Assoc).

-spec peernames(socket()) -> {ok, list()} | {error, term()}.
peernames(S) ->
    peernames(S, undefined).

-spec peernames(socket(), #sctp_assoc_change{} | integer() | undefined) ->
          {ok, list()} | {error, term()}.
peernames(S, Assoc) ->
    addresses(sctp_peernames, S, Assoc).

-spec getstat(socket(), [atom()]) -> {ok, [{atom(), integer()}]} | {error, term()}.
getstat(?SOCKET(R, P, Id), What) when is_list(What) ->
    pyinet_inet:getstat(R, P, Id, What).

-spec monitor(socket()) -> reference().
monitor(?SOCKET(R, _P, _Id) = S) ->
    pyinet_router:monitor_socket(R, S).

-spec cancel_monitor(reference()) -> boolean().
cancel_monitor(MRef) when is_reference(MRef) ->
    pyinet_inet:cancel_monitor(MRef).

-spec info(socket()) -> map().
info(?SOCKET(R, P, Id) = S) ->
    pyinet_inet:info(R, P, Id, fun() -> getstat(S, inet:stats()) end).

-spec socket_to_list(socket()) -> string().
socket_to_list(?SOCKET(_R, _P, Id)) ->
    "#PyinetSctpSocket<" ++ integer_to_list(Id) ++ ">".

%%% Internal: open (inet_sctp:open/1, inet:open_bind/8).

do_open(Mod, Opts0) ->
    Family = case Mod of
                 inet6_sctp -> inet6;
                 _ -> inet
             end,
    case backend_option(Opts0) of
        {ok, Backend, Opts} ->
            case inet:sctp_options(Opts, family_module(Family)) of
                {ok, #sctp_opts{fd = Fd, ifaddr = Addr, port = Port, type = Type, opts = SOs}} ->
                    open_bind(Fd, Addr, Port, SOs ++ Backend, Family, Type);
                Error ->
                    Error
            end;
        Error ->
            Error
    end.

%% pyinet's own open option, {sctp_backend, kernel | userland}: which SCTP
%% serves the socket (the port program's default otherwise: the application
%% key sctp_backend, else the kernel's where it has SCTP, else usrsctp's).
%% Taken out before inet:sctp_options/2, which knows no such option, and
%% given to the port program after the checked options.
backend_option(Opts) ->
    {Backends, Rest} = lists:partition(fun({sctp_backend, _}) -> true; (_) -> false end, Opts),
    case lists:all(fun({_, B}) -> B =:= kernel orelse B =:= userland end, Backends) of
        true -> {ok, lists:sublist(lists:reverse(Backends), 1), Rest};
        false -> {error, einval}
    end.

family_module(inet) -> inet_sctp;
family_module(inet6) -> inet6_sctp.

%% {fd, N} names a descriptor of the BEAM's own process, and {netns, NS} a
%% namespace to enter for the port program's whole thread: neither is
%% available here (documented deviations).
open_bind(Fd, _BAddr, _BPort, _Opts, _Family, _Type) when Fd =/= -1 ->
    {error, enotsup};
open_bind(_Fd, BAddr0, BPort, Opts, Family, Type) ->
    BAddr = case BAddr0 of
                undefined -> inet:translate_ip(any, Family);
                _ -> BAddr0
            end,
    {Backend, SOs} = lists:partition(fun({sctp_backend, _}) -> true; (_) -> false end, Opts),
    case pyinet_sctp_opts:setopts(SOs) of
        {ok, Checked} ->
            case with_router(fun(R, P) ->
                                     call(R, P, {sctp_open, Family, Type, Checked ++ Backend})
                             end) of
                {ok, S} ->
                    try bind(S, BAddr, BPort) of
                        {ok, _} ->
                            {ok, S};
                        Error ->
                            close(S),
                            Error
                    catch
                        Class:Reason:Stack ->
                            close(S),
                            erlang:raise(Class, Reason, Stack)
                    end;
                Error ->
                    Error
            end;
        Error ->
            Error
    end.

bind(S, Addrs, Port) when is_list(Addrs) ->
    bindx(S, Addrs, Port);
bind(S, Addr, Port) ->
    prim_bind(S, Addr, Port).

%% inet:bindx/3.
bindx(S, [Addr], Port0) ->
    {IP, Port} = set_bindx_port(Addr, Port0),
    prim_bind(S, IP, Port);
bindx(S, Addrs, Port0) ->
    [{IP, Port} | Rest] = [set_bindx_port(Addr, Port0) || Addr <- Addrs],
    case prim_bind(S, IP, Port) of
        {ok, AssignedPort} when Port =:= 0 ->
            Rest2 = [change_bindx_0_port(Addr, AssignedPort) || Addr <- Rest],
            prim_bind(S, add, Rest2);
        {ok, _} ->
            prim_bind(S, add, Rest);
        Error ->
            Error
    end.

set_bindx_port({_IP, _Port} = Addr, _OtherPort) -> Addr;
set_bindx_port(IP, Port) -> {IP, Port}.

change_bindx_0_port({IP, 0}, AssignedPort) -> {IP, AssignedPort};
change_bindx_0_port({_IP, _Port} = Addr, _AssignedPort) -> Addr.

%% prim_inet:bind/3.
prim_bind(?SOCKET(R, P, Id), add, Addrs) when is_list(Addrs) ->
    bindx_request(R, P, Id, add, Addrs);
prim_bind(?SOCKET(R, P, Id), remove, Addrs) when is_list(Addrs) ->
    bindx_request(R, P, Id, remove, Addrs);
prim_bind(?SOCKET(R, P, Id), Addr, _) when is_map(Addr); tuple_size(Addr) =:= 2 ->
    case pyinet_sctp_opts:is_addr(Addr) of
        true -> call(R, P, {sctp_bind, Id, canonical_addr(Addr)});
        false -> {error, einval}
    end;
prim_bind(S, IP, Port) ->
    prim_bind(S, {IP, Port}, 0).

bindx_request(R, P, Id, How, Addrs) ->
    case lists:all(fun pyinet_sctp_opts:is_addr/1, Addrs) of
        true ->
            case call(R, P, {sctp_bindx, Id, How, [canonical_addr(A) || A <- Addrs]}) of
                ok -> {ok, ?SOCKET(R, P, Id)};
                Error -> Error
            end;
        false ->
            {error, einval}
    end.

%% The shapes of prim_inet's addr type as one: {IP | any | loopback, Port}
%% or a sockaddr map.
canonical_addr({Family, {_, _} = Addr}) when Family =:= inet; Family =:= inet6 -> Addr;
canonical_addr(Addr) -> Addr.

with_router(Fun) ->
    case pyinet_pool:pick() of
        {ok, {Router, Port}} -> Fun(Router, Port);
        {error, _} = Error -> Error
    end.

%%% Internal: connect (gen_sctp:do_connect/5,6, inet_sctp:connect/4,5).

do_connect(?SOCKET(_, _, _) = S, SockAddr, Opts, Timeout, ConnWait) when is_list(Opts) ->
    case lookup(S) of
        {ok, _Mod} ->
            try inet:start_timer(Timeout) of
                Timer ->
                    ConnectTimer = if ConnWait == false -> nowait;
                                      true -> Timer
                                   end,
                    sockaddr_connect(S, inet:ensure_sockaddr(SockAddr), Opts, ConnectTimer)
            catch
                error:badarg -> badarg
            end;
        Error ->
            Error
    end;
do_connect(_S, _SockAddr, _Opts, _Timeout, _ConnWait) ->
    badarg.

do_connect(?SOCKET(_, _, _) = S, Addr, Service, Opts, Timeout, ConnWait) when is_list(Opts) ->
    case lookup(S) of
        {ok, Mod} ->
            case Mod:getserv(Service) of
                {ok, Port} ->
                    try inet:start_timer(Timeout) of
                        Timer ->
                            try Mod:getaddr(Addr, Timer) of
                                {ok, IP} ->
                                    ConnectTimer = if ConnWait == false -> nowait;
                                                      true -> Timer
                                                   end,
                                    addr_connect(S, IP, Port, Opts, ConnectTimer);
                                Error -> Error
                            after
                                _ = inet:stop_timer(Timer)
                            end
                    catch
                        error:badarg -> badarg
                    end;
                Error -> Error
            end;
        Error -> Error
    end;
do_connect(_S, _Addr, _Port, _Opts, _Timeout, _ConnWait) ->
    badarg.

sockaddr_connect(S, SockAddr, Opts, Timer) ->
    connect_with(S, Opts, Timer,
                 fun(Timeout) -> prim_connect(S, SockAddr, Timeout) end,
                 fun(Active) ->
                         #{addr := Addr, port := Port} = SockAddr,
                         connect_get_assoc(S, Addr, Port, Active, Timer)
                 end).

addr_connect(S, Addr, Port, Opts, Timer) ->
    connect_with(S, Opts, Timer,
                 fun(Timeout) -> prim_connect(S, {Addr, Port}, Timeout) end,
                 fun(Active) -> connect_get_assoc(S, Addr, Port, Active, Timer) end).

connect_with(S, Opts, Timer, Connect, GetAssoc) ->
    case chgopts(S, Opts) of
        ok ->
            case getopt(S, active) of
                {ok, Active} ->
                    Timeout = if Timer =:= nowait -> infinity;
                                 true -> inet:timeout(Timer)
                              end,
                    case Connect(Timeout) of
                        ok when Timer =/= nowait -> GetAssoc(Active);
                        OkOrErr1 -> OkOrErr1
                    end;
                Err2 -> Err2
            end;
        Err3 -> Err3
    end.

%% prim_inet:connect/3: the address checked, the association started.
prim_connect(?SOCKET(R, P, Id), Addr, Time) ->
    case pyinet_sctp_opts:is_addr(Addr) of
        true when Time =:= infinity; is_integer(Time) ->
            call(R, P, {sctp_connect, Id, canonical_addr(Addr)});
        false ->
            {error, einval}
    end.

connect_get_assoc(S, Addr, Port, false, Timer) ->
    case recv(S, inet:timeout(Timer)) of
        {ok, {Addr, Port, _, #sctp_assoc_change{state = St} = Ev}} ->
            if St =:= comm_up -> {ok, Ev};
               true -> {error, Ev}
            end;
        {ok, Msg} ->
            {error, Msg};
        {error, _} = Error ->
            Error
    end;
connect_get_assoc(S, Addr, Port, Active, Timer) ->
    Timeout = inet:timeout(Timer),
    receive
        {sctp, S, Addr, Port, {_, #sctp_assoc_change{state = St} = Ev}} ->
            SetOptRes = case Active of
                            once -> setopt(S, active, once);
                            _ -> ok
                        end,
            case {St, SetOptRes} of
                {comm_up, ok} -> {ok, Ev};
                {_, ok} -> {error, Ev};
                {_, Error} -> Error
            end
    after Timeout ->
            {error, timeout}
    end.

%%% Internal: connectx (gen_sctp:do_connectx/3,5, inet_sctp:connectx/3,4).

do_connectx(?SOCKET(_, _, _) = S, SockAddrs, Opts) when is_list(SockAddrs), is_list(Opts) ->
    case lookup(S) of
        {ok, _Mod} ->
            case ensure_sockaddrs(SockAddrs) of
                {SockAddrs_1, Port} ->
                    SockAddrs_2 = set_port(SockAddrs_1, Port),
                    connectx(S, SockAddrs_2, Opts);
                Error1 ->
                    Error1
            end;
        {error, _} = Error2 ->
            Error2
    end;
do_connectx(_S, _SockAddrs, _Opts) ->
    badarg.

do_connectx(?SOCKET(_, _, _) = S, Addrs, Service, Opts, Timeout)
  when is_list(Addrs), is_list(Opts) ->
    case lookup(S) of
        {ok, Mod} ->
            case Mod:getserv(Service) of
                {ok, Port} ->
                    try inet:start_timer(Timeout) of
                        Timer ->
                            try
                                case getaddrs(Mod, Addrs, Timer) of
                                    IPs when is_list(IPs) ->
                                        connectx(S, {IPs, Port}, Opts);
                                    Error1 ->
                                        Error1
                                end
                            after
                                _ = inet:stop_timer(Timer)
                            end
                    catch
                        error:badarg -> badarg
                    end;
                {error, _} = Error2 ->
                    Error2
            end;
        {error, _} = Error3 ->
            Error3
    end;
do_connectx(_S, _Addrs, _Port, _Opts, _Timeout) ->
    badarg.

ensure_sockaddrs(SockAddrs) ->
    ensure_sockaddrs(SockAddrs, 0, []).

ensure_sockaddrs([SockAddr | SockAddrs], Port, Acc) ->
    case SockAddr of
        {IP, P} when is_tuple(IP) ->
            ensure_sockaddrs(SockAddrs, Port, [SockAddr | Acc], P);
        {Family, {_, P}} when Family =:= inet; Family =:= inet6 ->
            ensure_sockaddrs(SockAddrs, Port, [SockAddr | Acc], P);
        #{family := Family} when Family =:= inet; Family =:= inet6 ->
            SockAddr_1 = inet:ensure_sockaddr(SockAddr),
            ensure_sockaddrs(SockAddrs, Port, [SockAddr_1 | Acc], maps:get(port, SockAddr_1, 0));
        _ ->
            badarg
    end;
ensure_sockaddrs([], 0, _) ->
    badarg;
ensure_sockaddrs([], Port, Acc) ->
    {lists:reverse(Acc), Port}.

ensure_sockaddrs(SockAddrs, Port, Acc, P) ->
    if
        is_integer(P) ->
            if
                0 < P -> ensure_sockaddrs(SockAddrs, P, Acc);
                P < 0 -> badarg;
                true -> ensure_sockaddrs(SockAddrs, Port, Acc)
            end;
        true ->
            badarg
    end.

set_port([SockAddr | SockAddrs], Port) ->
    case SockAddr of
        {IP, P} when is_tuple(IP) ->
            set_port(SockAddrs, Port, SockAddr, P, fun() -> {IP, Port} end);
        {Family, {Addr, P}} ->
            set_port(SockAddrs, Port, SockAddr, P, fun() -> {Family, {Addr, Port}} end);
        #{port := P} ->
            set_port(SockAddrs, Port, SockAddr, P, fun() -> SockAddr#{port := Port} end)
    end;
set_port([], _Port) ->
    [].

set_port(SockAddrs, Port, SockAddr, P, NewSockAddrFun) ->
    [case P of
         Port -> SockAddr;
         _ -> NewSockAddrFun()
     end | set_port(SockAddrs, Port)].

getaddrs(Mod, Addrs, Timer) ->
    getaddrs(Mod, Addrs, Timer, []).

getaddrs(Mod, [Addr | Addrs], Timer, Acc) ->
    case Mod:getaddr(Addr, Timer) of
        {ok, IP} -> getaddrs(Mod, Addrs, Timer, [IP | Acc]);
        {error, _} -> badarg
    end;
getaddrs(_Mod, [], _Timer, Acc) ->
    lists:reverse(Acc).

%% inet_sctp:connectx/3,4 and prim_inet:connectx/2: the addresses checked,
%% the association started, its id returned.
connectx(?SOCKET(R, P, Id) = S, AddrList, Opts) ->
    case chgopts(S, Opts) of
        ok ->
            case pyinet_sctp_opts:is_addr_list(AddrList) of
                true -> call(R, P, {sctp_connectx, Id, addr_list(AddrList)});
                false -> {error, einval}
            end;
        Error ->
            Error
    end.

addr_list({IPs, Port}) -> [{IP, Port} || IP <- IPs];
addr_list(SockAddrs) -> [canonical_addr(A) || A <- SockAddrs].

%%% Internal: sending.

%% prim_inet:sendmsg/3 (after gen_sctp's lookup).
sendmsg(?SOCKET(R, P, Id) = S, SRI, Data) ->
    case pyinet_sctp_opts:sndrcvinfo(SRI) of
        {ok, Checked} ->
            try iolist_to_binary(Data) of
                Bin -> call(R, P, {sctp_sendmsg, Id, Checked, Bin})
            catch
                error:badarg -> after_lookup(S, {error, einval})
            end;
        Error ->
            after_lookup(S, Error)
    end.

%% inet_sctp:send/4: the association's default send parameters with this
%% stream. When both checks pass, the port program reads the defaults and
%% sends in one request; otherwise the steps of inet_sctp, for their errors.
send_stream(?SOCKET(R, P, Id) = S, AssocId, Stream, Data) ->
    Template = {sctp_default_send_param, #sctp_sndrcvinfo{assoc_id = AssocId}},
    case {pyinet_sctp_opts:getopts([Template]),
          pyinet_sctp_opts:sndrcvinfo(#sctp_sndrcvinfo{assoc_id = AssocId, stream = Stream}),
          iolist_binary(Data)} of
        {{ok, _}, {ok, _}, {ok, Bin}} ->
            call(R, P, {sctp_send, Id, AssocId, Stream, Bin});
        _ ->
            case getopts(S, [Template]) of
                {ok, [{sctp_default_send_param,
                       #sctp_sndrcvinfo{flags = Flags, context = Context, ppid = PPID,
                                        timetolive = TTL}}]} ->
                    sendmsg(S, #sctp_sndrcvinfo{flags = Flags, context = Context, ppid = PPID,
                                                timetolive = TTL, assoc_id = AssocId,
                                                stream = Stream},
                            Data);
                _ ->
                    sendmsg(S, #sctp_sndrcvinfo{assoc_id = AssocId, stream = Stream}, Data)
            end
    end.

iolist_binary(Data) ->
    try {ok, iolist_to_binary(Data)}
    catch error:badarg -> error
    end.

%%% Internal: options.

%% prim_inet:chgopts/2: record values with undefined fields completed from
%% the socket's current values first.
chgopts(S, Opts) when is_list(Opts) ->
    case getopts(S, pyinet_sctp_opts:need_template(Opts)) of
        {ok, Templates} ->
            try pyinet_sctp_opts:merge_options(Opts, Templates) of
                NewOpts -> setopts(S, NewOpts)
            catch
                throw:Reason -> {error, Reason}
            end;
        Error ->
            Error
    end.

getopt(S, Opt) ->
    case getopts(S, [Opt]) of
        {ok, [{_, Value}]} -> {ok, Value};
        Error -> Error
    end.

setopt(S, Opt, Value) ->
    setopts(S, [{Opt, Value}]).

addresses(Request, ?SOCKET(R, P, Id), #sctp_assoc_change{assoc_id = AssocId}) ->
    addresses(Request, ?SOCKET(R, P, Id), AssocId);
addresses(Request, ?SOCKET(R, P, Id), AssocId)
  when is_integer(AssocId); AssocId =:= undefined ->
    A = case AssocId of undefined -> 0; _ -> AssocId end,
    case A band 16#ffffffff =:= A of
        true -> call(R, P, {Request, Id, A});
        false -> {error, einval}
    end.

%%% Internal: requests.

%% inet_db:lookup_socket/1: the family module, or {error, closed}.
lookup(?SOCKET(R, P, Id)) ->
    case call(R, P, {sctp_lookup, Id}) of
        {ok, inet} -> {ok, inet_sctp};
        {ok, inet6} -> {ok, inet6_sctp};
        Error -> Error
    end.

%% gen_sctp looks the socket up before prim_inet checks anything: a closed
%% socket is {error, closed} whatever else is wrong.
after_lookup(S, Error) ->
    case lookup(S) of
        {ok, _} -> Error;
        Closed -> Closed
    end.

call(R, P, Request) ->
    pyinet_request:call(R, P, Request).
