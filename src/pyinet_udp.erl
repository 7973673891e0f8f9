%% gen_udp on Python-hosted sockets: a udp_module for gen_udp, and the inet
%% functions gen_udp and inet dispatch to for {'$inet', pyinet_udp, Handle}.
%%
%% Use it as gen_udp:open(Port, [{udp_module, pyinet_udp} | Opts]), or node-wide
%% with an inetrc line {udp, pyinet_udp}. Options are validated by OTP's own
%% inet:udp_options/2; what they mean is carried out by the port program.
%%
%% gen_udp hands a module socket's calls over as they come (send/3,4,5 with
%% whatever destination, recv/2,3, connect/3), where for a port it first finds
%% the socket's family module (inet_udp, inet6_udp or local_udp) and calls that.
%% This module does what gen_udp and that family module would do: it carries
%% the family in the handle, so it resolves names and matches destinations as
%% the family module does, and, since gen_udp looks the socket up before
%% anything else, a socket that is closed answers {error, closed} whatever
%% else is wrong with the call.
%%
%% gen_udp strips the family atoms (inet, inet6, local) along with udp_module,
%% so the family comes from the last {ip, _} or {ifaddr, _} option: an 8-tuple
%% is IPv6, {local, Path} a Unix domain socket, anything else IPv4. (With an
%% inetrc, gen_udp:open(P, [inet6]) picks inet6_udp, OTP's own, by the atom.)
%%
%% Where OTP 25.2.3 itself misbehaves, pyinet does what was meant:
%% - a passive recv in binary mode on a Unix domain socket raises
%%   function_clause in prim_inet:split/3 there; here it returns the datagram;
%% - getopts(multicast_if) answers bytes inet_drv never wrote (different on
%%   every run); here it is the kernel's value, an address for IPv4 and an
%%   interface index for IPv6;
%% - a connected socket with recvtos, recvttl or recvtclass makes inet_drv read
%%   an uninitialised msghdr (it has crashed the emulator here); here its
%%   datagrams come with [] as their ancillary data, which is what OTP shows
%%   when it does not crash.
%% And gen_udp:connect/2 (a sockaddr map) takes ports only, so it cannot reach
%% this module; pyinet_udp:connect/2 is there to be called directly.
-module(pyinet_udp).

%% gen_udp udp_module callbacks.
-export([getserv/1, getaddr/1, getaddr/2, translate_ip/1, family/0,
         open/1, open/2, send/2, send/3, send/4, send/5, recv/2, recv/3, connect/2, connect/3,
         close/1, controlling_process/2, fdopen/2]).

%% open/2 and fdopen/2 of a given family (pyinet_takeover's inet6_udp).
-export([open_as/3, fdopen_as/3]).

%% inet dispatch for module sockets.
-export([setopts/2, getopts/2, sockname/1, peername/1, socknames/1, getstat/2,
         monitor/1, cancel_monitor/1, info/1, socket_to_list/1]).

-include("pyinet_inet.hrl").

%% inet_int.hrl's record of what inet:udp_options/2 returns (see pyinet_inet.hrl).
-record(udp_opts,
        {ifaddr,
         port   = 0,
         fd     = -1,
         opts   = [{active, true}]}).

-define(SOCKET(Router, Port, Id, Family), {'$inet', ?MODULE, {Router, Port, Id, Family}}).
-define(RECBUF, (8 * 1024)).

-type family() :: inet | inet6 | local.
-type socket() :: {'$inet', ?MODULE, {pid(), port(), pos_integer(), family()}}.
-export_type([socket/0]).

%%% Name resolution, as the family modules of OTP do it.

-spec getserv(atom() | inet:port_number()) -> {ok, inet:port_number()} | {error, term()}.
getserv(Port) when is_integer(Port) -> {ok, Port};
getserv(Name) when is_atom(Name) -> inet:getservbyname(Name, udp).

getaddr(Address) -> (family_module(Address)):getaddr(Address).
getaddr(Address, Timer) -> (family_module(Address)):getaddr(Address, Timer).

translate_ip(IP) -> inet:translate_ip(IP, inet).

family() -> inet.

family_module(Address) -> options_module(pyinet_inet_opts:family_of(Address)).

options_module(inet) -> inet_udp;
options_module(inet6) -> inet6_udp;
options_module(local) -> local_udp.

%%% Open.

-spec open(inet:port_number()) -> {ok, socket()} | {error, term()}.
open(Port) ->
    open(Port, []).

-spec open(inet:port_number(), [term()]) -> {ok, socket()} | {error, term()}.
open(Port, Opts) ->
    open_as(pyinet_inet_opts:option_family(Opts, inet), Port, Opts).

%% As the family's own module (inet_udp, inet6_udp, local_udp) opens.
-spec open_as(family(), inet:port_number(), [term()]) -> {ok, socket()} | {error, term()}.
open_as(Family, Port, Opts) ->
    %% local_udp:getserv/1 and open/2 take port 0 only.
    Family =:= local andalso Port =/= 0 andalso error(function_clause),
    Prefix = case Family =:= inet andalso inet_udp_asks_recbuf() of
                 true -> [{port, Port}, {recbuf, ?RECBUF}];
                 false -> [{port, Port}]
             end,
    case inet:udp_options(Prefix ++ Opts, options_module(Family)) of
        {error, Reason} ->
            exit(Reason);
        {ok, #udp_opts{fd = Fd, ifaddr = BAddr, port = BPort} = UdpOpts}
          when is_integer(Fd), Fd >= 0 ->
            %% A descriptor of this BEAM, handed to the port program
            %% (pyinet_fd): inet:open_fd/8 binds it only when told where.
            valid_bind(Family, BAddr, BPort) orelse exit(badarg),
            open_bound(Family, UdpOpts);
        {ok, #udp_opts{ifaddr = BAddr, port = -1} = UdpOpts}
          when Family =/= local, not is_map(BAddr) ->
            %% Port -1: a random port, where this kernel has them (see
            %% random_port/0); else the badarg of every other bad port.
            valid_bind(Family, BAddr, 0) andalso random_port() =/= false
                orelse exit(badarg),
            open_random(Family, UdpOpts, 3);
        {ok, #udp_opts{ifaddr = BAddr, port = BPort} = UdpOpts} ->
            valid_bind(Family, BAddr, BPort) orelse exit(badarg),
            open_bound(Family, UdpOpts)
    end.

open_bound(Family, #udp_opts{ifaddr = BAddr, port = BPort, opts = SockOpts, fd = Fd}) ->
    with_router(fun(Router, RPort) ->
                        case pyinet_inet_opts:open_options(Router, RPort, Fd, BAddr, BPort,
                                                           SockOpts) of
                            {ok, Opts} ->
                                pyinet_request:call(Router, RPort,
                                                    {udp_open, Family, BAddr, BPort, Opts});
                            Error ->
                                Error
                        end
                end).

%% inet:bind_random/2: three random ports, then whatever port the OS gives.
open_random(Family, UdpOpts, 0) ->
    open_bound(Family, UdpOpts#udp_opts{port = 0});
open_random(Family, UdpOpts, Tries) ->
    case random_port() of
        0 ->
            open_bound(Family, UdpOpts#udp_opts{port = 0});
        Port ->
            case open_bound(Family, UdpOpts#udp_opts{port = Port}) of
                {ok, _} = Ok -> Ok;
                {error, _} -> open_random(Family, UdpOpts, Tries - 1)
            end
    end.

%% A port for gen_udp:open(-1), as inet_db:res_option(random_port) chooses it
%% (0: let the OS choose), or false where the kernel has no such option. OTP
%% 25 has none; Debian 13's OTP 27.3.4.1 (1:27.3.4.1+dfsg-1+deb13u4) has it,
%% from a security fix to the resolver's source ports that lets inet_udp and
%% inet6_udp take port -1 (kernel's inet_udp.erl, inet:bind_random/2), which
%% upstream 27.3.4.1 does not: the release that runs decides, not its number.
random_port() ->
    try inet_db:res_option(random_port) of
        Port when is_integer(Port) -> Port;
        _ -> false
    catch error:_ -> false
    end.

%% Whether inet_udp:open/2 asks for an 8 KiB receive buffer: OTP 25's and 27's
%% do ([{port, Port}, {recbuf, ?RECBUF} | Opts]), 29.1.2's does not (kernel
%% 11.0.4's inet_udp.erl; taken to start with 28, as the larger default buffer
%% it came with: bridge/release.py, inet_default_buffer). inet6_udp and
%% local_udp never do.
inet_udp_asks_recbuf() ->
    list_to_integer(erlang:system_info(otp_release)) < 28.

%% The guards of inet_udp:open/2, inet6_udp:open/2 and local_udp:open/2.
valid_bind(_, BAddr, _) when is_map(BAddr) -> true;
valid_bind(inet, BAddr, BPort) ->
    is_port_number(BPort) andalso (BAddr =:= undefined orelse is_ip4(BAddr));
valid_bind(inet6, BAddr, BPort) ->
    is_port_number(BPort) andalso (BAddr =:= undefined orelse is_ip6(BAddr));
valid_bind(local, undefined, 0) -> true;
valid_bind(local, {local, _}, 0) -> true;
valid_bind(local, _, _) -> false.

is_port_number(P) -> is_integer(P) andalso ?port(P).

is_ip4({A, B, C, D}) when is_integer(A), is_integer(B), is_integer(C), is_integer(D) ->
    ?ip(A, B, C, D);
is_ip4(_) -> false.

is_ip6({A, B, C, D, E, F, G, H})
  when is_integer(A), is_integer(B), is_integer(C), is_integer(D), is_integer(E),
       is_integer(F), is_integer(G), is_integer(H) ->
    ?ip6(A, B, C, D, E, F, G, H);
is_ip6(_) -> false.

with_router(Fun) ->
    case pyinet_pool:pick() of
        {ok, {Router, Port}} -> Fun(Router, Port);
        {error, _} = Error -> Error
    end.

%%% Send, as gen_udp's clauses for a port and then the family module's.

-spec send(socket(), iodata()) -> ok | {error, term()}.
send(?SOCKET(_, _, _, Family) = S, Packet) ->
    family_layer(S, fun() -> sendto(S, default_destination(Family), [], Packet) end).

%% inet_udp, inet6_udp and local_udp:send/2: a connected socket ignores it.
default_destination(local) -> {local, <<>>};
default_destination(_) -> {any, 0}.

-spec send(socket(), term(), iodata()) -> ok | {error, term()}.
send(S, Destination, Packet) ->
    send(S, Destination, [], Packet).

-spec send(socket(), term(), term(), iodata()) -> ok | {error, term()}.
send(S, #{family := Fam} = Destination, AncData, Packet)
  when (Fam =:= inet orelse Fam =:= inet6) andalso is_list(AncData) ->
    family_layer(S, fun() -> family_send(S, inet:ensure_sockaddr(Destination), AncData, Packet) end);
send(S, {_, _} = Destination, PortZero = AncData, Packet) ->
    %% Destination is complete, so PortZero is redundant and must be 0.
    if
        PortZero =:= 0 ->
            family_layer(S, fun() -> family_send(S, Destination, [], Packet) end);
        is_integer(PortZero) ->
            {error, einval};
        is_list(AncData) ->
            family_layer(S, fun() -> family_send(S, Destination, AncData, Packet) end)
    end;
send(S, Host, Port, Packet) ->
    send(S, Host, Port, [], Packet).

-spec send(socket(), term(), term(), inet:ancillary_data(), iodata()) -> ok | {error, term()}.
send(S, Host, Port, AncData, Packet) when is_list(AncData) ->
    family_layer(
      S, fun() ->
                 Mod = socket_module(S),
                 case Mod:getaddr(Host) of
                     {ok, IP} ->
                         case Mod:getserv(Port) of
                             {ok, P} -> family_send(S, {IP, P}, AncData, Packet);
                             {error, einval} -> exit(badarg);
                             Error -> Error
                         end;
                     {error, einval} -> exit(badarg);
                     Error -> Error
                 end
         end).

%% The send/4 clauses of the socket's family module.
family_send(?SOCKET(_, _, _, inet) = S, Arg2, Arg3, Data) -> inet_send(S, Arg2, Arg3, Data);
family_send(?SOCKET(_, _, _, inet6) = S, Arg2, Arg3, Data) -> inet6_send(S, Arg2, Arg3, Data);
family_send(?SOCKET(_, _, _, local) = S, Arg2, Arg3, Data) -> local_send(S, Arg2, Arg3, Data).

inet_send(S, {A, B, C, D} = IP, Port, Data) when ?ip(A, B, C, D), ?port(Port) ->
    sendto(S, {IP, Port}, [], Data);
inet_send(S, #{addr := {A, B, C, D}, port := Port} = SockAddr, AncData, Data)
  when ?ip(A, B, C, D), ?port(Port), is_list(AncData) ->
    sendto(S, SockAddr, AncData, Data);
inet_send(S, {{A, B, C, D}, Port} = Addr, AncData, Data)
  when ?ip(A, B, C, D), ?port(Port), is_list(AncData) ->
    sendto(S, Addr, AncData, Data);
inet_send(S, {inet, {{A, B, C, D}, Port}}, AncData, Data)
  when ?ip(A, B, C, D), ?port(Port), is_list(AncData) ->
    sendto(S, {{A, B, C, D}, Port}, AncData, Data);
inet_send(S, {inet, {loopback, Port}}, AncData, Data) when ?port(Port), is_list(AncData) ->
    sendto(S, {loopback, Port}, AncData, Data).

inet6_send(S, {A, B, C, D, E, F, G, H} = IP, Port, Data)
  when ?ip6(A, B, C, D, E, F, G, H), ?port(Port) ->
    sendto(S, {IP, Port}, [], Data);
inet6_send(S, #{addr := {A, B, C, D, E, F, G, H}, port := Port} = SockAddr, AncData, Data)
  when ?ip6(A, B, C, D, E, F, G, H), ?port(Port), is_list(AncData) ->
    sendto(S, SockAddr, AncData, Data);
inet6_send(S, {{A, B, C, D, E, F, G, H}, Port} = Addr, AncData, Data)
  when ?ip6(A, B, C, D, E, F, G, H), ?port(Port), is_list(AncData) ->
    sendto(S, Addr, AncData, Data);
inet6_send(S, {inet6, {{A, B, C, D, E, F, G, H}, Port}}, AncData, Data)
  when ?ip6(A, B, C, D, E, F, G, H), ?port(Port), is_list(AncData) ->
    sendto(S, {{A, B, C, D, E, F, G, H}, Port}, AncData, Data);
inet6_send(S, {inet6, {loopback, Port}}, AncData, Data) when ?port(Port), is_list(AncData) ->
    sendto(S, {loopback, Port}, AncData, Data).

local_send(S, {local, _} = Addr, 0, Data) ->
    sendto(S, Addr, [], Data);
local_send(S, {local, _} = Addr, AncData, Data) when is_list(AncData) ->
    sendto(S, Addr, AncData, Data).

%% prim_inet:sendto/4: a destination it can encode and iodata, else einval;
%% the ancillary data the port program checks as the driver does.
sendto(?SOCKET(R, P, Id, _), Address, AncData, Data) ->
    case destination(Address) of
        {ok, Addr, Port} ->
            try packet(Data) of
                Bin -> {reached, pyinet_request:call(R, P, {udp_sendto, Id, Addr, Port, AncData, Bin})}
            catch error:badarg ->
                    {error, einval}
            end;
        error ->
            {error, einval}
    end.

%% The datagram as port_command/2 takes iodata for the driver: on OTP 25 a
%% bitstring of less than a byte counts as nothing, any other is badarg; from
%% OTP 26 (seen on 27) every bitstring is badarg.
packet(Data) ->
    try iolist_to_binary(Data)
    catch error:badarg ->
            list_to_integer(erlang:system_info(otp_release)) < 26 orelse error(badarg),
            iolist_to_binary(drop_bits(Data))
    end.

drop_bits(B) when is_bitstring(B), bit_size(B) < 8 -> <<>>;
drop_bits([H | T]) -> [drop_bits(H) | drop_bits(T)];
drop_bits(Other) -> Other.

destination({local, Path}) ->
    case local_path(Path) of
        {ok, Bin} -> {ok, {local, Bin}, 0};
        error -> error
    end;
destination(#{} = SockAddr) -> {ok, SockAddr, 0};
destination({Addr, Port}) -> {ok, Addr, Port}.

%% As prim_inet encodes {local, Path}: a binary as it is, anything else as a
%% file name; at most 255 bytes.
local_path(Path) when is_binary(Path) ->
    case byte_size(Path) =< 255 of
        true -> {ok, Path};
        false -> error
    end;
local_path(Path) ->
    try unicode:characters_to_binary(Path, file:native_name_encoding()) of
        Bin when is_binary(Bin), byte_size(Bin) =< 255 -> {ok, Bin};
        _ -> error
    catch error:badarg -> error
    end.

%% What gen_udp does after it found a port's family module happens only for an
%% open socket: for a closed one it answers {error, closed} instead. Fun
%% returns {reached, Reply} when the call reached the port program, which
%% answers closed itself; any other outcome asks whether the socket is open.
family_layer(S, Fun) ->
    try Fun() of
        {reached, Reply} -> Reply;
        Other -> unless_closed(S, fun() -> Other end)
    catch Class:Reason:Stack ->
            unless_closed(S, fun() -> erlang:raise(Class, Reason, Stack) end)
    end.

unless_closed(?SOCKET(R, P, Id, _), Then) ->
    case pyinet_inet:owner(R, P, Id) of
        {ok, _} -> Then();
        _ -> {error, closed}
    end.

socket_module(?SOCKET(_, _, _, Family)) ->
    options_module(Family).

%%% Receive.

-spec recv(socket(), non_neg_integer()) -> {ok, term()} | {error, term()}.
recv(S, Length) ->
    recv(S, Length, infinity).

%% Length is checked (prim_inet:recvfrom/3 wants 32 bits of it) and ignored: a
%% recv returns one datagram, truncated to the socket's buffer.
-spec recv(socket(), non_neg_integer(), timeout()) -> {ok, term()} | {error, term()}.
recv(?SOCKET(R, P, Id, _), Length, Timeout) ->
    pyinet_request:call(R, P, {udp_recv, Id, Length, Timeout}).

%%% Connect.

-spec connect(socket(), term(), term()) -> ok | {error, term()}.
connect(S, Address, Port) ->
    family_layer(
      S, fun() ->
                 case (socket_module(S)):getaddr(Address) of
                     {ok, IP} -> family_connect(S, IP, Port);
                     Error -> Error
                 end
         end).

%% inet_udp:connect/2 and inet6_udp:connect/2 (gen_udp:connect/2 takes ports only).
-spec connect(socket(), socket:sockaddr_in() | socket:sockaddr_in6()) -> ok | {error, term()}.
connect(?SOCKET(_, _, _, Family) = S, #{family := Family} = SockAddr)
  when Family =:= inet; Family =:= inet6 ->
    family_layer(S, fun() ->
                            case destination(SockAddr) of
                                {ok, Addr, Port} -> connect_to(S, Addr, Port);
                                error -> {error, einval}
                            end
                    end).

family_connect(?SOCKET(_, _, _, inet) = S, {A, B, C, D} = IP, Port)
  when ?ip(A, B, C, D), ?port(Port) ->
    connect_to(S, IP, Port);
family_connect(?SOCKET(_, _, _, inet6) = S, {A, B, C, D, E, F, G, H} = IP, Port)
  when ?ip6(A, B, C, D, E, F, G, H), ?port(Port) ->
    connect_to(S, IP, Port);
family_connect(?SOCKET(_, _, _, local) = S, {local, Path}, 0) ->
    case local_path(Path) of
        {ok, Bin} -> connect_to(S, {local, Bin}, 0);
        error -> {error, einval}
    end.

connect_to(?SOCKET(R, P, Id, _), Addr, Port) ->
    {reached, pyinet_request:call(R, P, {udp_connect, Id, Addr, Port})}.

%%% Close and ownership.

-spec close(socket()) -> ok.
close(?SOCKET(R, P, Id, _) = S) ->
    %% As inet:udp_close/1.
    receive
        {udp_closed, S} -> ok
    after 0 ->
            _ = pyinet_request:call(R, P, {udp_close, Id}),
            receive {udp_closed, S} -> ok after 0 -> ok end
    end.

%% inet:udp_controlling_process/2.
-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process(?SOCKET(R, P, Id, _) = S, NewOwner) when is_pid(NewOwner) ->
    pyinet_inet:udp_controlling_process(S, R, P, Id, NewOwner).

%% inet_udp:fdopen/2: a socket on a descriptor of this BEAM with Opts (and
%% inet_udp's 8 KiB recbuf before them) as inet:setopts/2 takes them, unbound
%% as given. gen_udp has dropped inet and inet6 from Opts: the family is
%% inet_udp's.
-spec fdopen(integer(), [term()]) -> {ok, socket()} | {error, term()}.
fdopen(Fd, Opts) ->
    fdopen_as(inet, Fd, Opts).

%% inet6_udp:fdopen/2 takes Opts as they are.
-spec fdopen_as(inet | inet6, integer(), [term()]) -> {ok, socket()} | {error, term()}.
fdopen_as(Family, Fd, Opts) when is_integer(Fd), Fd >= 0, is_list(Opts) ->
    SetOpts = case Family =:= inet andalso inet_udp_asks_recbuf() of
                  true -> uniquify([{recbuf, ?RECBUF} | Opts]);
                  false when Family =:= inet -> uniquify(Opts);
                  false -> Opts
              end,
    case pyinet_inet_opts:setopts(SetOpts) of
        {ok, SockOpts} ->
            pyinet_fd:call(Fd, fun(Name) ->
                                       {udp_open, Family, undefined, 0, [{fd, Name} | SockOpts]}
                               end);
        Error ->
            Error
    end.

%% inet_udp's optuniquify/1: the last of each option, in the order of the list.
uniquify(Opts) ->
    uniquify(lists:reverse(Opts), []).

uniquify([], Seen) ->
    Seen;
uniquify([Opt | Rest], Seen) ->
    case lists:any(fun(S) -> same_option(S, Opt) end, Seen) of
        true -> uniquify(Rest, Seen);
        false -> uniquify(Rest, [Opt | Seen])
    end.

same_option(A, B) when is_tuple(A), is_tuple(B), tuple_size(A) =:= tuple_size(B) ->
    element(1, A) =:= element(1, B);
same_option(A, A) -> true;
same_option(_, _) -> false.

%%% inet.

-spec setopts(socket(), [term()]) -> ok | {error, term()}.
setopts(?SOCKET(R, P, Id, _), Opts) when is_list(Opts) ->
    pyinet_inet:setopts(R, P, Id, Opts);
setopts(_, Opts) ->
    %% inet:setopts/2 on a port walks Opts with a list comprehension.
    error({bad_generator, Opts}).

-spec getopts(socket(), [term()]) -> {ok, [term()]} | {error, term()}.
getopts(?SOCKET(R, P, Id, _), Opts) when is_list(Opts) ->
    pyinet_inet:getopts(R, P, Id, Opts).

-spec sockname(socket()) -> {ok, term()} | {error, term()}.
sockname(?SOCKET(R, P, Id, _)) ->
    pyinet_inet:sockname(R, P, Id).

-spec peername(socket()) -> {ok, term()} | {error, term()}.
peername(?SOCKET(R, P, Id, _)) ->
    pyinet_inet:peername(R, P, Id).

-spec socknames(socket()) -> {ok, [term()]} | {error, term()}.
socknames(?SOCKET(R, P, Id, _)) ->
    pyinet_inet:socknames(R, P, Id).

-spec getstat(socket(), [atom()]) -> {ok, [{atom(), integer()}]} | {error, term()}.
getstat(?SOCKET(R, P, Id, _), What) when is_list(What) ->
    pyinet_inet:getstat(R, P, Id, What).

-spec monitor(socket()) -> reference().
monitor(?SOCKET(R, _P, _Id, _) = S) ->
    pyinet_router:monitor_socket(R, S).

-spec cancel_monitor(reference()) -> boolean().
cancel_monitor(MRef) when is_reference(MRef) ->
    pyinet_inet:cancel_monitor(MRef).

%% As inet:info/1 on a port: the owner, the descriptor's state flags and the
%% counters; #{states => [closed]} once the socket is gone.
-spec info(socket()) -> map().
info(?SOCKET(R, P, Id, _) = S) ->
    pyinet_inet:info(R, P, Id, fun() -> getstat(S, inet:stats()) end).

-spec socket_to_list(socket()) -> string().
socket_to_list(?SOCKET(_R, _P, Id, _)) ->
    "#PyinetSocket<" ++ integer_to_list(Id) ++ ">".
