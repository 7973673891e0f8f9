%% What inet and prim_inet do to socket options before a port sees them, done the
%% same way for pyinet's TCP and UDP sockets, so that a bad option fails exactly
%% where and how it fails with OTP's driver.
-module(pyinet_inet_opts).

%% API.
-export([setopts/1, is_getopt/1, reported/1, open_options/2, open_options/6, connect_options/2,
         listen_options/2, family_of/1, option_family/2]).

-include("pyinet_inet.hrl").

%% API.

%% The family an address names: a tuple of eight, a sockaddr map, {local, _}.
-spec family_of(term()) -> inet | inet6 | local.
family_of(IP) when tuple_size(IP) =:= 8 -> inet6;
family_of(#{family := inet6}) -> inet6;
family_of({local, _}) -> local;
family_of(#{family := local}) -> local;
family_of(_) -> inet.

%% The family the last {ip, _} or {ifaddr, _} names, as inet:tcp_module/2 and
%% inet:udp_module/1 find it; Default without either.
-spec option_family(list(), inet | inet6 | local) -> inet | inet6 | local.
option_family(Opts, Default) ->
    lists:foldl(fun({ip, IP}, _) -> family_of(IP);
                   ({ifaddr, A}, _) -> family_of(A);
                   (_, F) -> F
                end, Default, Opts).

%% The options of inet:setopts/2 as the port program takes them, or einval if
%% prim_inet would refuse any: the shapes encode_opt_val/1 accepts, each value of
%% its option's type; nothing is set when one is wrong. They come out last first,
%% the order in which prim_inet encodes them and the driver applies them (which
%% shows when two interact: a bad one stopping the rest, the watermarks dragging
%% each other).
-spec setopts(list()) -> {ok, list()} | {error, einval}.
setopts(Opts) ->
    setopts(Opts, []).

setopts([], Acc) ->
    {ok, Acc};
setopts([{active, N} = O | Opts], Acc) when is_integer(N), N < 32768, N >= -32768 ->
    setopts(Opts, [O | Acc]);
setopts([{raw, Level, Opt, Bin} | Opts], Acc) ->
    setopts([{raw, {Level, Opt, Bin}} | Opts], Acc);
setopts([binary | Opts], Acc) ->
    setopts(Opts, [{mode, binary} | Acc]);
setopts([list | Opts], Acc) ->
    setopts(Opts, [{mode, list} | Acc]);
setopts([{netns, NS} | Opts], Acc) when not is_binary(NS) ->
    %% inet:setopts/2 turns a file name into a binary before prim_inet sees it.
    setopts([{netns, filename_to_binary(NS)} | Opts], Acc);
setopts([{Name, Value} = O | Opts], Acc) when is_atom(Name) ->
    case is_sockopt_val(Name, Value) of
        true -> setopts(Opts, [O | Acc]);
        false -> {error, einval}
    end;
setopts(_, _) ->
    {error, einval}.

%% The option names inet:getopts/2 accepts (prim_inet encodes the same names
%% whatever the protocol; the driver leaves out what a socket lacks). Checked on
%% OTP 25: line_delimiter, for one, can be set but not read back. Later
%% releases (27 checked, taken to start with 26) added the reuseport options
%% and read_ahead.
-spec is_getopt(term()) -> boolean().
is_getopt({raw, L, O, Size}) ->
    is_integer(L) andalso is_integer(O) andalso is_integer(Size) andalso Size >= 0;
is_getopt(Name) when is_atom(Name) ->
    lists:member(Name, [active, mode, packet, packet_size, header, buffer, deliver,
                        exit_on_close, send_timeout, send_timeout_close, high_watermark,
                        low_watermark, high_msgq_watermark, low_msgq_watermark, delay_send,
                        show_econnreset, nodelay, keepalive, reuseaddr, linger, priority, tos,
                        tclass, ttl, recvtos, recvtclass, recvttl, dontroute, broadcast, sndbuf,
                        recbuf, nopush, ipv6_v6only, multicast_ttl, multicast_loop,
                        multicast_if, bind_to_device, netns, debug, read_packets, pktoptions])
        orelse (lists:member(Name, [reuseport, reuseport_lb, exclusiveaddruse, read_ahead])
                andalso otp_release() >= 26);
is_getopt(_) ->
    false.

%% An option value as inet:getopts/2 reports it for a port: netns as a file name.
-spec reported({atom(), term()} | tuple()) -> tuple().
reported({netns, Bin}) when is_binary(Bin) ->
    Name = case file:native_name_encoding() of
               latin1 -> binary_to_list(Bin);
               utf8 -> case unicode:characters_to_list(Bin) of
                           L when is_list(L) -> L;
                           _ -> Bin
                       end
           end,
    {netns, Name};
reported(Other) ->
    Other.

%% The options of a new socket from inet:connect_options/2, listen_options/2 or
%% udp_options/2: in the driver's order, and {netns, Path} (which those carry in
%% their fd field) first, where the port program looks for it to create the
%% socket in that namespace.
-spec open_options(term(), list()) -> list().
open_options([{netns, NS}], Opts) -> [{netns, NS} | lists:reverse(Opts)];
open_options(_Fd, Opts) -> lists:reverse(Opts).

%% The same for a new socket of the port program of Router, RPort, where Fd
%% may be a descriptor of this BEAM ({fd, N}): handed over first (pyinet_fd)
%% and named {fd, Name} at the front. As inet:open_fd/8, a descriptor comes
%% with a port only with an address to bind it to (a badmatch otherwise).
-spec open_options(pid(), port(), term(), term(), term(), list()) ->
          {ok, list()} | {error, term()}.
open_options(Router, RPort, Fd, BAddr, BPort, Opts) when is_integer(Fd), Fd >= 0 ->
    BAddr =:= undefined andalso (0 = BPort),
    case pyinet_fd:pass(Router, RPort, Fd) of
        {ok, Name} -> {ok, [{fd, Name} | lists:reverse(Opts)]};
        Error -> Error
    end;
open_options(_Router, _RPort, Fd, _BAddr, _BPort, Opts) ->
    {ok, open_options(Fd, Opts)}.

%% inet:connect_options/2 and listen_options/2, with the record in the layout
%% include/pyinet_inet.hrl has whatever the release (OTP 29 appended a field,
%% protocol: tcp | mptcp | undefined), and the protocol apart. A protocol other
%% than plain TCP goes first in the socket options, where the port program
%% takes it when it creates the socket (after netns: open_options/2).
-spec connect_options(list(), module()) -> {ok, #connect_opts{}} | {error, term()}.
connect_options(Opts, Mod) ->
    case inet:connect_options(Opts, Mod) of
        {ok, R} ->
            {ok, with_protocol(#connect_opts{ifaddr = element(2, R), port = element(3, R),
                                             fd = element(4, R), opts = element(5, R)},
                               #connect_opts.opts, protocol(R, #connect_opts.opts + 1))};
        Error ->
            Error
    end.

-spec listen_options(list(), module()) -> {ok, #listen_opts{}} | {error, term()}.
listen_options(Opts, Mod) ->
    case inet:listen_options(Opts, Mod) of
        {ok, R} ->
            {ok, with_protocol(#listen_opts{ifaddr = element(2, R), port = element(3, R),
                                            backlog = element(4, R), fd = element(5, R),
                                            opts = element(6, R)},
                               #listen_opts.opts, protocol(R, #listen_opts.opts + 1))};
        Error ->
            Error
    end.

%% Internal.

protocol(R, N) when tuple_size(R) >= N -> element(N, R);
protocol(_, _) -> undefined.

%% The options are in reverse order here (open_options/2 turns them round).
with_protocol(R, _Field, Protocol) when Protocol =:= undefined; Protocol =:= tcp ->
    R;
with_protocol(R, Field, Protocol) ->
    setelement(Field, R, element(Field, R) ++ [{protocol, Protocol}]).

otp_release() ->
    list_to_integer(erlang:system_info(otp_release)).

is_sockopt_val(Name, Value) ->
    try prim_inet:is_sockopt_val(Name, Value)
    catch _:_ -> false
    end.

filename_to_binary(Name) ->
    try unicode:characters_to_binary(Name, unicode, file:native_name_encoding()) of
        Bin when is_binary(Bin) -> Bin;
        _ -> Name
    catch error:_ -> Name
    end.
