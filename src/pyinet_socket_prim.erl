%% The prim_socket layer of pyinet_socket: what OTP's prim_socket does in Erlang
%% (encoding sockaddr maps and option names, turning the NIF's `{invalid, What}`
%% into the error socket users see), with the NIF calls replaced by requests to
%% the port program (PROTOCOL.md, "socket requests"). The port program answers
%% as the NIF does, and `{raise, Reason}` where the NIF raises.
%%
%% pyinet_socket is socket.erl over this module, as socket.erl is over
%% prim_socket; the functions here have prim_socket's names and results.
-module(pyinet_socket_prim).

%% API.
-export([open/2, open/4, bind/2, bind/3, connect/3, connect/1, listen/2, accept/2,
         send/4, sendto/4, sendto/5, sendmsg/4, sendmsg/5, sendfile/4, sendfile/5,
         recv/4, recvfrom/4, recvmsg/5, ioctl/3, close/1, shutdown/2,
         setopt/3, getopt/2, setopt_native/3, getopt_native/3, sockname/1, peername/1, cancel/3, info/1,
         enc_sockaddr/1, router/1]).

-define(SOCKET(Router, Port, Id), {'$socket', {pyinet_socket, Router, Port, Id}}).

-define(IN_DEFAULTS, #{family => inet, port => 0, addr => any}).
-define(IN6_DEFAULTS, #{family => inet6, port => 0, addr => any, flowinfo => 0, scope_id => 0}).
-define(LOCAL_DEFAULTS, #{family => local, path => <<"">>}).
-define(UNSPEC_DEFAULTS, #{family => unspec, addr => <<>>}).
-define(NATIVE_DEFAULTS, #{family => 0, addr => <<>>}).

%% API.

%% prim_socket:open/2: a socket on a descriptor of this BEAM, handed to the
%% port program first (pyinet_fd). A descriptor that cannot be handed over is
%% one whose domain the NIF cannot find.
-spec open(integer(), map()) -> {ok, pyinet_socket:socket()} | {error, term()}.
open(FD, Opts) ->
    case pyinet_pool:pick() of
        {ok, {Router, Port}} ->
            Name = case pyinet_fd:pass(Router, Port, FD) of
                       {ok, N} -> N;
                       {error, _} -> <<>>
                   end,
            case result(pyinet_request:call(Router, Port, {sock_open_fd, Name, FD, Opts})) of
                {invalid, Reason} -> {error, {invalid, {options, Reason, Opts}}};
                Result -> Result
            end;
        {error, _} = Error ->
            Error
    end.

-spec open(term(), term(), term(), map()) -> {ok, pyinet_socket:socket()} | {error, term()}.
open(Domain, Type, Protocol, Opts) ->
    try
        case Opts of
            #{netns := Path} when is_list(Path) -> Opts#{netns := enc_path(Path)};
            _ -> Opts
        end
    of
        EOpts ->
            case pyinet_pool:pick() of
                {ok, {Router, Port}} ->
                    result(pyinet_request:call(Router, Port,
                                               {sock_open, Domain, Type, Protocol, EOpts}));
                {error, _} = Error ->
                    Error
            end
    catch throw:Reason ->
            {error, Reason}
    end.

-spec bind(pyinet_socket:socket(), term()) -> ok | {error, term()}.
bind(S, Addr) ->
    with_sockaddr(Addr, fun(EAddr) -> call(S, {sock_bind, id(S), EAddr}) end).

%% prim_socket:bind/3: every address encoded first; one the NIF cannot use
%% is named.
-spec bind(pyinet_socket:socket(), [term()], add | remove) -> ok | {error, term()}.
bind(S, Addrs, Action) ->
    try [enc_sockaddr(A) || A <- Addrs] of
        EAddrs ->
            case call(S, {sock_bindx, id(S), EAddrs, Action}) of
                {invalid, {sockaddr = Cause, N}} ->
                    {error, {invalid, {Cause, lists:nth(N, Addrs)}}};
                Result ->
                    Result
            end
    catch throw:Reason ->
            {error, Reason}
    end.

-spec connect(pyinet_socket:socket(), reference(), term()) -> term().
connect(S, Ref, SockAddr) ->
    with_sockaddr(SockAddr, fun(EAddr) -> call(S, {sock_connect, id(S), Ref, EAddr}) end).

%% Completes a connect after its select message.
-spec connect(pyinet_socket:socket()) -> ok | {error, term()}.
connect(S) ->
    call(S, {sock_connect, id(S), undefined, undefined}).

-spec listen(pyinet_socket:socket(), integer()) -> term().
listen(S, Backlog) ->
    call(S, {sock_listen, id(S), Backlog}).

-spec accept(pyinet_socket:socket(), reference()) -> term().
accept(S, Ref) ->
    call(S, {sock_accept, id(S), Ref}).

%% Flags is a list on the first call, the encoded flags (the continuation)
%% after a select.
-spec send(pyinet_socket:socket(), binary(), list() | integer(), reference()) -> term().
send(S, Bin, Flags, Ref) ->
    sent(Bin, call(S, {sock_send, id(S), Bin, Flags, Ref}), fun(EFlags) -> EFlags end).

%% Continuation after a select: Cont is {To, ETo, EFlags}.
-spec sendto(pyinet_socket:socket(), binary(), tuple(), reference()) -> term().
sendto(S, Bin, {To, ETo, EFlags} = Cont, Ref) ->
    case call(S, {sock_sendto, id(S), Bin, ETo, EFlags, Ref}) of
        {invalid, sockaddr = Cause} -> {error, {invalid, {Cause, To}}};
        Result -> sent(Bin, Result, fun(_) -> Cont end)
    end.

-spec sendto(pyinet_socket:socket(), binary(), term(), list(), reference()) -> term().
sendto(S, Bin, To, Flags, Ref) ->
    try enc_sockaddr(To) of
        ETo ->
            case call(S, {sock_sendto, id(S), Bin, ETo, Flags, Ref}) of
                {invalid, sockaddr = Cause} -> {error, {invalid, {Cause, To}}};
                Result -> sent(Bin, Result, fun(EFlags) -> {To, ETo, EFlags} end)
            end
    catch throw:Reason ->
            {error, Reason}
    end.

%% prim_socket:sendmsg/5, the first call: Msg's address encoded here (its
%% control messages' levels by the port program, which answers
%% {select, [Written,] EMsg, EFlags} with what it encoded, for the
%% continuation {Msg, EMsg, EFlags} that socket.erl keeps).
-spec sendmsg(pyinet_socket:socket(), map(), list(), reference(), list()) -> term().
sendmsg(S, Msg, Flags, Ref, IOV) ->
    try enc_msg(Msg) of
        EMsg -> sendmsg_result(S, IOV, Msg, Ref, false,
                               call(S, {sock_sendmsg, id(S), EMsg, Flags, Ref, IOV}))
    catch throw:Reason ->
            {error, Reason}
    end.

%% prim_socket:sendmsg/4: the continuation after a select.
-spec sendmsg(pyinet_socket:socket(), list(), tuple(), reference()) -> term().
sendmsg(S, RestIOV, {Msg, EMsg, EFlags}, Ref) ->
    sendmsg_result(S, RestIOV, Msg, Ref, false,
                   call(S, {sock_sendmsg, id(S), EMsg, EFlags, Ref, RestIOV})).

%% prim_socket:sendmsg_result/6, with the continuation from the reply.
sendmsg_result(S, IOV, Msg, Ref, HasWritten, Result) ->
    case Result of
        ok ->
            ok;
        {ok, Written} ->
            {ok, rest_iov(Written, IOV)};
        {invalid, Cause} ->
            Reason = {invalid, sendmsg_invalid(IOV, Msg, Cause)},
            case HasWritten of
                true -> {error, {Reason, IOV}};
                false -> {error, Reason}
            end;
        {iov, Written, EMsg, EFlags} ->
            RestIOV = rest_iov(Written, IOV),
            sendmsg_result(S, RestIOV, Msg, Ref, true,
                           call(S, {sock_sendmsg, id(S), EMsg, EFlags, Ref, RestIOV}));
        {select, EMsg, EFlags} when HasWritten ->
            {select, IOV, {Msg, EMsg, EFlags}};
        {select, EMsg, EFlags} ->
            {select, {Msg, EMsg, EFlags}};
        {select, Written, EMsg, EFlags} ->
            {select, rest_iov(Written, IOV), {Msg, EMsg, EFlags}};
        {error, Reason} when HasWritten ->
            {error, {Reason, IOV}};
        {error, _} = Error ->
            Error
    end.

sendmsg_invalid(IOV, Msg, Cause) ->
    if
        Cause =:= addr; Cause =:= ctrl -> {msg, Cause, maps:with([Cause], Msg)};
        Cause =:= iov -> {iov, invalid_iov(IOV, 0)}
    end.

rest_iov(0, []) -> [];
rest_iov(Written, [B | IOV]) when Written >= byte_size(B) -> rest_iov(Written - byte_size(B), IOV);
rest_iov(Written, [B | IOV]) ->
    <<_:Written/binary, Rest/binary>> = B,
    [Rest | IOV].

invalid_iov([], N) -> {list, N};
invalid_iov([H | IOV], N) when is_binary(H) -> invalid_iov(IOV, N + 1);
invalid_iov([_ | _], N) -> {element_not_binary, N + 1};
invalid_iov(_, N) -> {improper_list, N}.

%% prim_socket:enc_msg/1: the address with its family's defaults.
enc_msg(#{ctrl := []} = M) ->
    enc_msg(maps:remove(ctrl, M));
enc_msg(#{} = M) ->
    maps:map(fun(addr, Addr) -> enc_sockaddr(Addr);
                (_, V) -> V
             end, M);
enc_msg(M) ->
    erlang:error({invalid, {msg, M}}).

%% prim_socket:sendfile/5 (the first call, FRef the file's prim_file
%% resource) and /4 (the continuation): the port program gets the file's
%% descriptor (pyinet_fd), and a continuation uses it still.
-spec sendfile(pyinet_socket:socket(), reference(), integer(), non_neg_integer(), reference()) ->
          term().
sendfile(S, FRef, Offset, Count, Ref) ->
    Name = case file_fd(FRef) of
               {ok, Fd} ->
                   case pyinet_fd:pass(router(S), port(S), Fd) of
                       {ok, N} -> N;
                       {error, _} -> <<>>
                   end;
               error ->
                   <<>>
           end,
    call(S, {sock_sendfile, id(S), Name, Offset, Count, Ref}).

-spec sendfile(pyinet_socket:socket(), integer(), non_neg_integer(), reference()) -> term().
sendfile(S, Offset, Count, Ref) ->
    call(S, {sock_sendfile, id(S), undefined, Offset, Count, Ref}).

%% The descriptor of the file whose prim_file resource is FRef (what the NIF
%% dups with a dynamic call into prim_file's NIF): prim_file:get_handle/1 of
%% a descriptor record around it, which must be this process's own.
file_fd(FRef) ->
    try pyinet_fd:file_descriptor({file_descriptor, prim_file,
                                   #{handle => FRef, owner => self(), r_ahead_size => 0,
                                     r_buffer => undefined}})
    catch error:_ -> error
    end.

-spec recv(pyinet_socket:socket(), non_neg_integer(), list(), reference() | zero) -> term().
recv(S, Length, Flags, Ref) ->
    call(S, {sock_recv, id(S), Length, Flags, Ref}).

-spec recvfrom(pyinet_socket:socket(), non_neg_integer(), list(), reference() | zero) -> term().
recvfrom(S, Length, Flags, Ref) ->
    call(S, {sock_recvfrom, id(S), Length, Flags, Ref}).

-spec recvmsg(pyinet_socket:socket(), non_neg_integer(), non_neg_integer(), list(),
              reference() | zero) -> term().
recvmsg(S, BufSz, CtrlSz, Flags, Ref) ->
    call(S, {sock_recvmsg, id(S), BufSz, CtrlSz, Flags, Ref}).

%% prim_socket:ioctl/2,3,4 (Args: the request's arguments).
-spec ioctl(pyinet_socket:socket(), atom(), list()) -> term().
ioctl(S, Request, Args) ->
    call(S, {sock_ioctl, id(S), Request, Args}).

-spec close(pyinet_socket:socket()) -> ok | {error, term()}.
close(S) ->
    call(S, {sock_close, id(S)}).

-spec shutdown(pyinet_socket:socket(), term()) -> ok | {error, term()}.
shutdown(S, How) ->
    call(S, {sock_shutdown, id(S), How}).

%% An option that is not {Level, Opt} atoms escapes as a throw, as from
%% prim_socket:enc_sockopt/2 (socket:setopt/3 does not catch it).
-spec setopt(pyinet_socket:socket(), term(), term()) -> ok | {error, term()}.
setopt(S, {Level, Opt}, Value) when is_atom(Level), is_atom(Opt) ->
    call(S, {sock_setopt, id(S), Level, Opt, Value});
setopt(_S, Option, _Value) ->
    throw({invalid, {socket_option, Option}}).

-spec getopt(pyinet_socket:socket(), term()) -> {ok, term()} | {error, term()}.
getopt(S, {Level, Opt}) when is_atom(Level), is_atom(Opt) ->
    call(S, {sock_getopt, id(S), Level, Opt});
getopt(_S, Option) ->
    throw({invalid, {socket_option, Option}}).

%% Native options: numbers, or names resolved to numbers, and a raw value.
-spec setopt_native(pyinet_socket:socket(), term(), term()) -> ok | {error, term()}.
setopt_native(S, {Level, Opt}, Value)
  when is_integer(Level), is_integer(Opt);
       is_atom(Level), is_integer(Opt);
       is_atom(Level), is_atom(Opt) ->
    call(S, {sock_setopt_native, id(S), Level, Opt, Value});
setopt_native(_S, Option, _Value) ->
    throw({invalid, {socket_option, Option}}).

-spec getopt_native(pyinet_socket:socket(), term(), term()) -> {ok, term()} | {error, term()}.
getopt_native(S, {Level, Opt}, ValueSpec)
  when is_integer(Level), is_integer(Opt);
       is_atom(Level), is_integer(Opt);
       is_atom(Level), is_atom(Opt) ->
    call(S, {sock_getopt_native, id(S), Level, Opt, ValueSpec});
getopt_native(_S, Option, _ValueSpec) ->
    {error, {invalid, {socket_option, Option}}}.

-spec sockname(pyinet_socket:socket()) -> {ok, map()} | {error, term()}.
sockname(S) ->
    call(S, {sock_sockname, id(S)}).

-spec peername(pyinet_socket:socket()) -> {ok, map()} | {error, term()}.
peername(S) ->
    call(S, {sock_peername, id(S)}).

-spec cancel(pyinet_socket:socket(), atom(), reference()) -> term().
cancel(S, Op, Ref) ->
    call(S, {sock_cancel, id(S), Op, Ref}).

-spec info(pyinet_socket:socket()) -> map().
info(S) ->
    call(S, {sock_info, id(S)}).

%% The router of a socket: the process whose death means the socket is gone.
-spec router(pyinet_socket:socket()) -> pid().
router(?SOCKET(Router, _, _)) -> Router.

%% prim_socket:enc_sockaddr/1: the map with its family's defaults merged in;
%% a key the family does not have is thrown as invalid, a non-map raised.
-spec enc_sockaddr(term()) -> map().
enc_sockaddr(#{family := inet} = SockAddr) ->
    merge_sockaddr(?IN_DEFAULTS, SockAddr);
enc_sockaddr(#{family := inet6} = SockAddr) ->
    merge_sockaddr(?IN6_DEFAULTS, SockAddr);
enc_sockaddr(#{family := local, path := Path} = SockAddr) ->
    if
        is_list(Path), 0 =< length(Path), length(Path) =< 255 ->
            enc_sockaddr(SockAddr#{path => enc_path(Path)});
        is_binary(Path), 0 =< byte_size(Path), byte_size(Path) =< 255 ->
            merge_sockaddr(?LOCAL_DEFAULTS, SockAddr);
        true ->
            throw({invalid, {sockaddr, path, SockAddr}})
    end;
enc_sockaddr(#{family := local} = SockAddr) ->
    throw({invalid, {sockaddr, path, SockAddr}});
enc_sockaddr(#{family := unspec} = SockAddr) ->
    merge_sockaddr(?UNSPEC_DEFAULTS, SockAddr);
enc_sockaddr(#{family := Native} = SockAddr) when is_integer(Native) ->
    merge_sockaddr(?NATIVE_DEFAULTS, SockAddr);
enc_sockaddr(#{family := _} = SockAddr) ->
    SockAddr;
enc_sockaddr(#{} = SockAddr) ->
    throw({invalid, {sockaddr, family, SockAddr}});
enc_sockaddr(SockAddr) ->
    erlang:error({invalid, {sockaddr, SockAddr}}).

%% Internal.

id(?SOCKET(_, _, Id)) -> Id.

port(?SOCKET(_, Port, _)) -> Port.

call(?SOCKET(Router, Port, _), Request) ->
    result(pyinet_request:call(Router, Port, Request)).

result({raise, Reason}) -> erlang:error(Reason);
result(Result) -> Result.

with_sockaddr(Addr, Fun) ->
    try enc_sockaddr(Addr) of
        EAddr ->
            case Fun(EAddr) of
                {invalid, sockaddr = Cause} -> {error, {invalid, {Cause, Addr}}};
                Result -> Result
            end
    catch throw:Reason ->
            {error, Reason}
    end.

%% The number written becomes the rest of the binary, and the encoded flags
%% the continuation, as prim_socket:send/4 and sendto/5 return them.
sent(_Bin, ok, _Cont) -> ok;
sent(Bin, {ok, Written}, _Cont) ->
    <<_:Written/binary, Rest/binary>> = Bin,
    {ok, Rest};
sent(_Bin, {select, EFlags}, Cont) -> {select, Cont(EFlags)};
sent(Bin, {select, Written, EFlags}, Cont) ->
    <<_:Written/binary, Rest/binary>> = Bin,
    {select, Rest, Cont(EFlags)};
sent(_Bin, Result, _Cont) -> Result.

merge_sockaddr(Default, SockAddr) ->
    case maps:fold(fun(Key, _, Acc) ->
                           case is_map_key(Key, Default) of
                               true -> Acc;
                               false -> [Key | Acc]
                           end
                   end, [], SockAddr) of
        [] -> maps:merge(Default, SockAddr);
        InvalidKeys -> throw({invalid, {sockaddr, {keys, InvalidKeys}, SockAddr}})
    end.

enc_path(Path) ->
    case unicode:characters_to_binary(Path, file:native_name_encoding()) of
        {error, _Bin, _Rest} -> throw({invalid, {path, Path}});
        {incomplete, _Bin1, _Bin2} -> throw({invalid, {path, Path}});
        BinPath when is_binary(BinPath) -> BinPath
    end.
