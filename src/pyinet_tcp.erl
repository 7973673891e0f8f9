%% gen_tcp on Python-hosted sockets: a tcp_module for gen_tcp, and the inet
%% functions gen_tcp and inet dispatch to for {'$inet', pyinet_tcp, Handle}.
%%
%% Use it as gen_tcp:connect(Host, Port, [{tcp_module, pyinet_tcp} | Opts]) and
%% gen_tcp:listen(Port, [{tcp_module, pyinet_tcp} | Opts]), or node-wide with an
%% inetrc line {tcp, pyinet_tcp}. Options are validated by OTP's own
%% inet:connect_options/2 and inet:listen_options/2 and prim_inet's option types;
%% what they mean is carried out by the port program.
%%
%% gen_tcp strips the family atoms (inet, inet6, local) along with tcp_module, so
%% the family comes from the address: an 8-tuple is IPv6, {local, Path} a Unix
%% domain socket, anything else IPv4, as inet_tcp resolves names.
-module(pyinet_tcp).

%% gen_tcp tcp_module callbacks.
-export([getserv/1, getaddr/1, getaddr/2, getaddrs/1, getaddrs/2, translate_ip/1, family/0,
         connect/3, connect/4, listen/2, accept/1, accept/2, send/2, send/3, recv/2, recv/3,
         unrecv/2, shutdown/2, close/1, controlling_process/2, fdopen/2]).

%% file:sendfile/2,5 on a socket of this module.
-export([sendfile/4]).

%% For the router.
-export([router_send/5]).

%% listen/2 and fdopen/2 of a given family (pyinet_takeover's inet6_tcp).
-export([listen_as/3, fdopen_as/3]).

%% inet dispatch for module sockets.
-export([setopts/2, getopts/2, sockname/1, peername/1, socknames/1, getstat/2,
         monitor/1, cancel_monitor/1, info/1, socket_to_list/1]).

-include("pyinet_inet.hrl").

-define(SOCKET(Router, Port, Id), {'$inet', ?MODULE, {Router, Port, Id}}).
-define(is_timeout(T), (T =:= infinity orelse (is_integer(T) andalso T >= 0))).

-type socket() :: {'$inet', ?MODULE, {pid(), port(), pos_integer()}}.
-export_type([socket/0]).

%%% Name resolution, as the family modules of OTP do it.

-spec getserv(atom() | inet:port_number()) -> {ok, inet:port_number()} | {error, term()}.
getserv(Port) when is_integer(Port) -> {ok, Port};
getserv(Name) when is_atom(Name) -> inet:getservbyname(Name, tcp);
getserv(_) -> {error, einval}.

getaddr(Address) -> (family_module(Address)):getaddr(Address).
getaddr(Address, Timer) -> (family_module(Address)):getaddr(Address, Timer).
getaddrs(Address) -> (family_module(Address)):getaddrs(Address).
getaddrs(Address, Timer) -> (family_module(Address)):getaddrs(Address, Timer).

translate_ip(IP) -> inet:translate_ip(IP, inet).

family() -> inet.

family_module(Address) when tuple_size(Address) =:= 8 -> inet6_tcp;
family_module({local, _}) -> local_tcp;
family_module(_) -> inet_tcp.

%%% Connect and listen.

-spec connect(term(), term(), [term()]) -> {ok, socket()} | {error, term()}.
connect(Address, Port, Opts) when is_integer(Port), is_list(Opts) ->
    connect(Address, Port, Opts, infinity);
connect(#{} = SockAddr, Opts, Timeout) when is_list(Opts), ?is_timeout(Timeout) ->
    case SockAddr of
        #{family := local, path := Path} ->
            do_connect(local, {local, Path}, 0, Opts, Timeout);
        #{addr := Addr, port := Port} ->
            %% The map itself goes to the port program: an inet6 one carries
            %% the scope_id a link-local address needs.
            Family = pyinet_inet_opts:family_of(SockAddr),
            do_connect(Family, SockAddr#{addr := translate(Addr, Family)}, Port, Opts,
                       Timeout);
        _ ->
            exit(badarg)
    end.

-spec connect(term(), inet:port_number(), [term()], timeout()) ->
          {ok, socket()} | {error, term()}.
connect(Address, Port, Opts, Timeout) when is_list(Opts), ?is_timeout(Timeout) ->
    Family = pyinet_inet_opts:family_of(Address),
    case Family of
        local -> do_connect(local, Address, 0, Opts, Timeout);
        _ when is_integer(Port), ?port(Port) ->
            case pyinet_inet_opts:option_family(Opts, Family) of
                Family ->
                    do_connect(Family, Address, Port, Opts, Timeout);
                _ ->
                    %% gen_tcp takes the family module from the last {ip, _} or
                    %% {ifaddr, _}, and its getaddrs refuses an address of the
                    %% other family.
                    {error, eafnosupport}
            end;
        %% inet_tcp:do_connect/4 has no clause for a bad address or port.
        _ -> error(function_clause)
    end.

do_connect(Family, Address, Port, Opts, Timeout) ->
    case pyinet_inet_opts:connect_options(Opts, options_module(Family)) of
        {error, Reason} ->
            exit(Reason);
        {ok, #connect_opts{ifaddr = BAddr, port = BPort, opts = SockOpts0, fd = Fd}}
          when ?port(BPort) ->
            valid_address(Family, Address) orelse exit(badarg),
            valid_bind_address(Family, BAddr) orelse exit(badarg),
            %% inet_tcp and inet6_tcp take {ifaddr, SockAddrMap} only when
            %% connecting to a sockaddr map (connect/3), as their guards do.
            is_map(BAddr) andalso not is_map(Address) andalso exit(badarg),
            open(Fd, BAddr, BPort, SockOpts0,
                 fun(SockOpts) ->
                         {tcp_connect, Family, Address, Port, bind_addr(BAddr), BPort, SockOpts,
                          Timeout}
                 end);
        {ok, _} ->
            exit(badarg)
    end.

-spec listen(inet:port_number(), [term()]) -> {ok, socket()} | {error, term()}.
listen(Port, Opts) when is_list(Opts) ->
    listen_as(listen_family(Opts), Port, Opts).

%% As the family's own module (inet_tcp, inet6_tcp) listens.
-spec listen_as(inet | inet6 | local, inet:port_number(), [term()]) ->
          {ok, socket()} | {error, term()}.
listen_as(Family, Port, Opts) when is_list(Opts) ->
    case pyinet_inet_opts:listen_options([{port, Port} | Opts], options_module(Family)) of
        {error, Reason} ->
            exit(Reason);
        {ok, #listen_opts{backlog = Backlog}} when not is_integer(Backlog) ->
            %% prim_inet:listen/2 has no clause for it.
            error(function_clause);
        {ok, #listen_opts{ifaddr = BAddr, port = BPort, opts = SockOpts0, backlog = Backlog,
                          fd = Fd}}
          when ?port(BPort) ->
            valid_bind_address(Family, BAddr) orelse exit(badarg),
            open(Fd, BAddr, BPort, SockOpts0,
                 fun(SockOpts) ->
                         {tcp_listen, Family, bind_addr(BAddr), BPort, Backlog, SockOpts}
                 end);
        {ok, _} ->
            exit(badarg)
    end.

%% A new socket: Request(SockOpts) to a port program of the pool, with the
%% options as it takes them (pyinet_inet_opts:open_options/6).
open(Fd, BAddr, BPort, SockOpts0, Request) ->
    with_router(fun(Router, RPort) ->
                        case pyinet_inet_opts:open_options(Router, RPort, Fd, BAddr, BPort,
                                                           SockOpts0) of
                            {ok, SockOpts} ->
                                pyinet_request:call(Router, RPort, Request(SockOpts));
                            Error ->
                                Error
                        end
                end).

listen_family(Opts) ->
    pyinet_inet_opts:option_family(Opts, inet).

options_module(inet) -> inet_tcp;
options_module(inet6) -> inet6_tcp;
options_module(local) -> local_tcp.

translate(any, Family) -> inet:translate_ip(any, Family);
translate(loopback, Family) -> inet:translate_ip(loopback, Family);
translate(Addr, _) -> Addr.

bind_addr(undefined) -> undefined;
bind_addr(Addr) -> Addr.

valid_address(inet, {A, B, C, D}) -> ?ip(A, B, C, D);
valid_address(inet6, {A, B, C, D, E, F, G, H}) -> ?ip6(A, B, C, D, E, F, G, H);
valid_address(local, {local, _}) -> true;
valid_address(Family, #{family := Family, addr := Addr}) -> valid_address(Family, Addr);
valid_address(_, _) -> false.

%% As the guards of inet_tcp and inet6_tcp on the address to bind to.
valid_bind_address(_, undefined) -> true;
%% {ifaddr, SockAddrMap}, checked already by inet's option functions
%% (prim_socket:enc_sockaddr/1); bound to as it is, its own port included.
valid_bind_address(Family, #{family := Family}) -> true;
valid_bind_address(Family, Addr) -> valid_address(Family, Addr).

with_router(Fun) ->
    case pyinet_pool:pick() of
        {ok, {Router, Port}} -> Fun(Router, Port);
        {error, _} = Error -> Error
    end.

%%% The data path.

-spec accept(socket()) -> {ok, socket()} | {error, term()}.
accept(S) ->
    accept(S, infinity).

-spec accept(socket(), timeout()) -> {ok, socket()} | {error, term()}.
accept(?SOCKET(R, P, Id), Timeout) when ?is_timeout(Timeout) ->
    pyinet_request:call(R, P, {tcp_accept, Id, Timeout}).

-spec send(socket(), iodata()) -> ok | {error, term()}.
send(?SOCKET(R, P, Id), Data) ->
    try iolist_size(Data) of
        Size when node(P) =/= node() ->
            %% A socket of another node's port program: its router decides
            %% (router_send/5), so that a send it may pass on unwaited costs
            %% one message there and back, not also a request to the program.
            pyinet_request:send_remote(R, Id, Data, Size);
        Size ->
            case can_send_now(R, P, Id, Size) of
                true -> pyinet_request:send_no_reply(P, Id, Data, Size);
                false -> pyinet_request:send(R, P, Id, Data, Size)
            end
    catch error:badarg ->
            {error, einval}
    end.

%% In the router of a socket whose sender is on another node: the send as
%% send/2 would make it there, the answer to Caller as {MRef, Reply}.
-spec router_send(port(), pos_integer(), iodata(), non_neg_integer(), {reference(), pid()}) -> ok.
router_send(Port, Id, Data, Size, {MRef, Caller}) ->
    case can_send_now(self(), Port, Id, Size) of
        true ->
            Caller ! {MRef, pyinet_request:send_no_reply(Port, Id, Data, Size)},
            ok;
        false ->
            pyinet_request:send_for(Port, Id, Data, Size, MRef, Caller)
    end.

%% Whether inet_drv would certainly answer this send `ok` at once: the socket is
%% sendable (connected, no error, no end of input seen) and not busy, and the
%% send will find the queue empty (nothing is outstanding, or all that is
%% outstanding fits in the kernel's room as the port program last reported it)
%% or what is queued stays below the high watermark. Then the send is written
%% to the port and not waited for; the port program counts it down as it goes
%% out. Otherwise the send waits for the port program's answer, which follows
%% inet_drv's rules (busy, send_timeout, errors) exactly.
can_send_now(Router, Port, Id, Size) ->
    case sendable_table(Router, Port) of
        undefined ->
            false;
        {Table, {Margin, Overhead, Segment}} ->
            %% Each send counts as its size, the largest packet header the port
            %% program may add, and what the kernel may charge for it beyond
            %% its bytes (the hello's send_count).
            Count = Size + Margin + Overhead * (1 + Size div Segment),
            try ets:update_counter(Table, Id, [{2, Count}, {3, 0}, {4, 0}, {5, 0}]) of
                [Outstanding, High, Busy, Room] ->
                    %% Once busy, inet_drv holds every sender until the queue drains.
                    Busy =:= 0 andalso
                        (Outstanding =:= Count orelse Outstanding < High orelse Outstanding =< Room)
            catch error:badarg ->
                    false
            end
    end.

%% The router's table of sendable sockets, with how a send counts there
%% (pyinet_router), for a port of this node; a remote one's is not ours.
sendable_table(Router, Port) when node(Port) =:= node() ->
    persistent_term:get({pyinet_sendable, Router}, undefined);
sendable_table(_Router, _Port) ->
    undefined.

%% The socket may send its owner messages from now on (close/1 waits then);
%% whether it is sendable.
mark_active(Router, Port, Id) ->
    case sendable_table(Router, Port) of
        undefined -> false;
        {Table, _} -> ets:update_element(Table, Id, {6, 1})
    end.

send(S, Data, _Opts) ->
    send(S, Data).

%% file:sendfile/5 calls this for a module socket (with no headers or
%% trailers): prim_file:sendfile/8 and prim_inet:sendfile/4 for a port, in
%% their order. Only the owner may; the file is a raw one, whose descriptor is
%% handed to the port program (pyinet_fd), which sends it with os.sendfile
%% after what is queued (bridge/tcp/sendfile.py).
-spec sendfile(socket(), term(), integer(), integer()) ->
          {ok, non_neg_integer()} | {error, term()}.
sendfile(?SOCKET(R, P, Id), File, Offset, Length) when is_integer(Offset), is_integer(Length) ->
    case pyinet_fd:file_descriptor(File) of
        {ok, Fd} ->
            case pyinet_inet:owner(R, P, Id) of
                {ok, Owner} when Owner =:= self() -> sendfile_1(R, P, Id, Fd, Offset, Length);
                {ok, _} -> {error, not_owner};
                _ -> {error, einval}
            end;
        error ->
            {error, badarg}
    end;
sendfile(_S, _File, _Offset, _Length) ->
    {error, badarg}.

sendfile_1(R, P, Id, Fd, Offset, 0) ->
    sendfile_1(R, P, Id, Fd, Offset, (1 bsl 63) - 1);
sendfile_1(_R, _P, _Id, _Fd, Offset, Length)
  when Offset < 0; Offset > (1 bsl 63) - 1; Length < 0; Length > (1 bsl 63) - 1 ->
    {error, einval};
sendfile_1(R, P, Id, Fd, Offset, Length) ->
    case pyinet_fd:pass(R, P, Fd) of
        {ok, Name} -> pyinet_request:call(R, P, {tcp_sendfile, Id, Name, Offset, Length});
        Error -> Error
    end.

-spec recv(socket(), non_neg_integer()) -> {ok, term()} | {error, term()}.
recv(S, Length) ->
    recv(S, Length, infinity).

-spec recv(socket(), non_neg_integer(), timeout()) -> {ok, term()} | {error, term()}.
recv(?SOCKET(R, P, Id), Length, Timeout)
  when is_integer(Length), Length >= 0, ?is_timeout(Timeout) ->
    pyinet_request:call(R, P, {tcp_recv, Id, Length, Timeout}).

-spec unrecv(socket(), iodata()) -> ok | {error, term()}.
unrecv(?SOCKET(R, P, Id), Data) ->
    pyinet_request:call(R, P, {tcp_unrecv, Id, iolist_to_binary(Data)}).

-spec shutdown(socket(), read | write | read_write) -> ok | {error, term()}.
shutdown(?SOCKET(R, P, Id), How) when How =:= read; How =:= write; How =:= read_write ->
    pyinet_request:call(R, P, {tcp_shutdown, Id, How}).

-spec close(socket()) -> ok.
close(?SOCKET(R, P, Id) = S) ->
    case closes_at_once(R, P, Id) of
        true ->
            %% Nothing to wait for, nothing that can come after: not waited
            %% for. The router hears of it first (this process's later calls
            %% to it come after), so that the socket is gone for inet:monitor/1
            %% as a closed port is.
            R ! {closed, S},
            _ = erlang:port_command(P, term_to_binary({pyinet, {tcp_close, Id}})),
            ok;
        false ->
            _ = pyinet_request:call(R, P, {tcp_close, Id}),
            %% As inet:tcp_close/1: a close message already delivered is dropped.
            receive {tcp_closed, S} -> ok after 0 -> ok end
    end.

%% Whether the port program will close the socket at once and has never sent
%% its owner a message that could still be on its way: the socket is
%% sendable (open, no error, no end of input seen), nothing is outstanding
%% (nothing queued to wait for), it is not busy, and it has never been active.
%% The row goes now, so that later sends on the handle wait for their answer.
closes_at_once(Router, Port, Id) ->
    case sendable_table(Router, Port) of
        undefined ->
            false;
        {Table, _} ->
            case ets:lookup(Table, Id) of
                [{Id, 0, _High, 0, _Room, 0}] ->
                    ets:delete(Table, Id),
                    true;
                _ ->
                    false
            end
    end.

%% inet:tcp_controlling_process/2, step by step: only the owner may give the
%% socket away; input already delivered to the owner's mailbox moves with it,
%% in order, while the socket is held passive.
-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process(?SOCKET(R, P, Id) = S, NewOwner) when is_pid(NewOwner) ->
    case pyinet_inet:owner(R, P, Id) of
        {ok, NewOwner} ->
            ok;
        {ok, Pid} when Pid =/= self() ->
            {error, not_owner};
        {ok, _} ->
            case getopts(S, [active]) of
                {ok, [{active, A0}]} ->
                    SetOptRes = case A0 of
                                    false -> ok;
                                    _ -> setopts(S, [{active, false}])
                                end,
                    case {sync_input(S, NewOwner, false), SetOptRes} of
                        {true, _} ->
                            ok;
                        {false, ok} ->
                            case pyinet_inet:give(R, P, Id, NewOwner) of
                                ok when A0 =:= false -> ok;
                                ok -> setopts(S, [{active, A0}]);
                                Error -> Error
                            end;
                        {false, Error} ->
                            Error
                    end;
                {ok, _} ->
                    {error, einval};
                Error ->
                    Error
            end;
        {error, einval} ->
            {error, closed};
        Error ->
            Error
    end.


sync_input(S, Owner, Flag) ->
    receive
        {tcp, S, Data} ->
            Owner ! {tcp, S, Data},
            sync_input(S, Owner, Flag);
        {tcp_closed, S} ->
            Owner ! {tcp_closed, S},
            sync_input(S, Owner, true);
        {S, {data, Data}} ->
            Owner ! {S, {data, Data}},
            sync_input(S, Owner, Flag)
    after 0 ->
            Flag
    end.

%% inet_tcp:fdopen/2: a socket on a descriptor of this BEAM (handed to the
%% port program, pyinet_fd), set up with Opts as inet:setopts/2 takes them.
%% gen_tcp has dropped inet and inet6 from Opts, so the family is inet_tcp's
%% (fdopen_as/3 for another).
-spec fdopen(integer(), [term()]) -> {ok, socket()} | {error, term()}.
fdopen(Fd, Opts) ->
    fdopen_as(inet, Fd, Opts).

-spec fdopen_as(inet | inet6, integer(), [term()]) -> {ok, socket()} | {error, term()}.
fdopen_as(Family, Fd, Opts) when is_integer(Fd), Fd >= 0, is_list(Opts) ->
    case pyinet_inet_opts:setopts(Opts) of
        {ok, SockOpts} ->
            pyinet_fd:call(Fd, fun(Name) -> {tcp_fdopen, Family, [{fd, Name} | SockOpts]} end);
        Error ->
            Error
    end.

%%% inet.

-spec setopts(socket(), [term()]) -> ok | {error, term()}.
setopts(?SOCKET(R, P, Id), [{active, A}] = Opts) when A =:= once; A =:= true ->
    %% What an active socket's owner calls after every message: when the
    %% socket is sendable (connected, no error, no end of input seen) the
    %% answer can only be ok, so it is not waited for (the program applies
    %% it in order with everything else this process asks of it).
    case mark_active(R, P, Id) of
        true ->
            Frame = term_to_binary({pyinet, {inet_setopts, Id, Opts}}),
            try erlang:port_command(P, Frame) of
                true -> ok
            catch error:badarg -> {error, einval}
            end;
        false ->
            pyinet_inet:setopts(R, P, Id, Opts)
    end;
setopts(?SOCKET(R, P, Id), Opts) when is_list(Opts) ->
    [mark_active(R, P, Id) || {active, A} <- Opts, A =/= false],
    pyinet_inet:setopts(R, P, Id, Opts);
setopts(_, Opts) ->
    %% inet:setopts/2 on a port walks Opts with a list comprehension.
    error({bad_generator, Opts}).

-spec getopts(socket(), [term()]) -> {ok, [term()]} | {error, term()}.
getopts(?SOCKET(R, P, Id), Opts) when is_list(Opts) ->
    pyinet_inet:getopts(R, P, Id, Opts);
getopts(_, _) ->
    {error, einval}.

-spec sockname(socket()) -> {ok, term()} | {error, term()}.
sockname(?SOCKET(R, P, Id)) ->
    pyinet_inet:sockname(R, P, Id).

-spec peername(socket()) -> {ok, term()} | {error, term()}.
peername(?SOCKET(R, P, Id)) ->
    pyinet_inet:peername(R, P, Id).

-spec socknames(socket()) -> {ok, [term()]} | {error, term()}.
socknames(?SOCKET(R, P, Id)) ->
    pyinet_inet:socknames(R, P, Id).

-spec getstat(socket(), [atom()]) -> {ok, [{atom(), integer()}]} | {error, term()}.
getstat(?SOCKET(R, P, Id), What) when is_list(What) ->
    pyinet_inet:getstat(R, P, Id, What).

-spec monitor(socket()) -> reference().
monitor(?SOCKET(R, _P, _Id) = S) ->
    pyinet_router:monitor_socket(R, S).

-spec cancel_monitor(reference()) -> boolean().
cancel_monitor(MRef) when is_reference(MRef) ->
    pyinet_inet:cancel_monitor(MRef).

%% As inet:info/1 on a port: the owner, the descriptor's state flags
%% (prim_inet:getstatus/1) and the counters; #{states => [closed]} once the
%% socket is gone.
-spec info(socket()) -> map().
info(?SOCKET(R, P, Id) = S) ->
    pyinet_inet:info(R, P, Id, fun() -> getstat(S, inet:stats()) end).

-spec socket_to_list(socket()) -> string().
socket_to_list(?SOCKET(_R, _P, Id)) ->
    "#PyinetSocket<" ++ integer_to_list(Id) ++ ">".
