%% OTP's `socket` API on Python-hosted sockets: the exports, arguments, results,
%% error reasons and messages of socket(3) in OTP 25, on sockets that live in
%% the port program.
%%
%% This module is socket.erl's logic (argument checks, the Timeout forms:
%% `infinity`, milliseconds, `nowait` and a select handle, the loops that wait
%% for select messages, partial sends and receives) over pyinet_socket_prim,
%% which stands where prim_socket and the NIF stand in OTP. The port program
%% keeps the NIF's rules (bridge/sock): one current reader/writer/acceptor per
%% socket, select messages `{'$socket', S, select, Handle}` and abort messages
%% `{'$socket', S, abort, {Handle, Reason}}` sent to the caller, cancel/2.
%% Its length is socket.erl's: one API, function for function, each beside
%% the argument checks and waits it needs.
%%
%% A socket is `{'$socket', {pyinet_socket, Router, Port, Id}}`: OTP's shape,
%% whose inner term (a NIF resource there) names the port program and the
%% socket in it. It compares equal to itself everywhere, travels between
%% processes and nodes, and matches `{'$socket', _}`, so code that receives
%% `{'$socket', S, select, H}` runs unchanged. OTP's own `socket` functions
%% refuse it (badarg), as they refuse anything that is not their own.
%%
%% Where pyinet differs, and why:
%% - {otp, fd} is the descriptor in the port program (open/1,2 with a
%%   descriptor of the BEAM gives the port program a copy of it: pyinet_fd);
%% - close/1 does not wait out a positive linger time (the port program has one
%%   event loop to keep running); the peer sees the same;
%% - a wait for a select message also ends, with {error, closed}, when the port
%%   program dies (OTP's NIF cannot die alone);
%% - control messages received with SCM_RIGHTS carry the port program's
%%   descriptors, which mean nothing in the BEAM;
%% - ioctl(S, gifhwaddr, Name): the bytes of sa_data past the address are 0
%%   (OTP 25's NIF leaves them as its memory held them); ioctl(S, sifflags,
%%   Name, Flags) with a flag prim_socket does not know answers ok and changes
%%   nothing (the NIF reads prim_socket's error tuple as a map, and answers ok
%%   or badarg by what its memory held);
%% - open/2 with dup => false on what is no descriptor, or no socket, answers
%%   an error (the NIF makes a socket of it all the same).
-module(pyinet_socket).

%% The socket API.
-export([open/1, open/2, open/3, open/4, bind/2, bind/3, connect/1, connect/2, connect/3,
         listen/1, listen/2, accept/1, accept/2,
         send/2, send/3, send/4, sendto/3, sendto/4, sendto/5,
         sendmsg/2, sendmsg/3, sendmsg/4, sendfile/2, sendfile/3, sendfile/4, sendfile/5,
         recv/1, recv/2, recv/3, recv/4, recvfrom/1, recvfrom/2, recvfrom/3, recvfrom/4,
         recvmsg/1, recvmsg/2, recvmsg/3, recvmsg/4, recvmsg/5,
         close/1, shutdown/2, setopt/3, setopt/4, setopt_native/3,
         getopt/2, getopt/3, getopt_native/3,
         sockname/1, peername/1, ioctl/2, ioctl/3, ioctl/4, cancel/2]).

%% Observability, as socket's registry functions.
-export([info/0, info/1, i/0, i/1, i/2, number_of/0, which_sockets/0, which_sockets/1,
         monitor/1, cancel_monitor/1, number_of_monitors/0, number_of_monitors/1,
         which_monitors/1, monitored_by/1, which_socket_kind/1, to_list/1,
         supports/0, supports/1, supports/2, is_supported/1, is_supported/2, is_supported/3]).

%% Debug features.
-export([debug/1, socket_debug/1, use_registry/1]).

-export_type([socket/0, select_info/0]).

-define(S, {'$socket', {pyinet_socket, _, _, _}}).
-define(socket_msg(Socket, Tag, Info), {'$socket', (Socket), (Tag), (Info)}).
-define(SELECT_INFO(Tag, SelectHandle), {select_info, Tag, SelectHandle}).
-define(prim, pyinet_socket_prim).

-type socket() :: {'$socket', {pyinet_socket, pid(), port(), pos_integer()}}.
-type select_info() :: {select_info, atom() | {atom(), term()}, reference()}.

%%% Open, bind, connect, listen, accept.

%% open/1,2 with a descriptor of this BEAM: the port program gets its own copy
%% (pyinet_fd), as the NIF's dup; the BEAM's stays open, as the NIF leaves it.
-spec open(integer()) -> {ok, socket()} | {error, term()}.
open(FD) when is_integer(FD) -> open(FD, #{});
open(FD) -> erlang:error(badarg, [FD]).

-spec open(term(), term()) -> {ok, socket()} | {error, term()}.
open(FD, Opts) when is_map(Opts) ->
    if
        is_integer(FD) -> ?prim:open(FD, Opts);
        true -> erlang:error(badarg, [FD, Opts])
    end;
open(Domain, Type) ->
    open(Domain, Type, 0).

-spec open(term(), term(), term()) -> {ok, socket()} | {error, term()}.
open(Domain, Type, Opts) when is_map(Opts) ->
    open(Domain, Type, 0, Opts);
open(Domain, Type, Protocol) ->
    open(Domain, Type, Protocol, #{}).

-spec open(term(), term(), term(), map()) -> {ok, socket()} | {error, term()}.
open(Domain, Type, Protocol, Opts) when is_map(Opts) ->
    ?prim:open(Domain, Type, Protocol, Opts);
open(Domain, Type, Protocol, Opts) ->
    erlang:error(badarg, [Domain, Type, Protocol, Opts]).

-spec bind(socket(), term()) -> ok | {error, term()}.
bind(?S = Socket, Addr) ->
    if
        Addr =:= any; Addr =:= broadcast; Addr =:= loopback ->
            case ?prim:getopt(Socket, {otp, domain}) of
                {ok, Domain} when Domain =:= inet; Domain =:= inet6 ->
                    ?prim:bind(Socket, #{family => Domain, addr => Addr});
                {ok, _Domain} ->
                    {error, eafnosupport};
                {error, _} = Error ->
                    Error
            end;
        is_atom(Addr) ->
            {error, {invalid, {sockaddr, Addr}}};
        true ->
            ?prim:bind(Socket, Addr)
    end;
bind(Socket, Addr) ->
    erlang:error(badarg, [Socket, Addr]).

%% bind/3: sctp_bindx, for an SCTP socket.
-spec bind(socket(), [term()], add | remove) -> ok | {error, term()}.
bind(?S = Socket, Addrs, Action)
  when is_list(Addrs) andalso (Action =:= add orelse Action =:= remove) ->
    ?prim:bind(Socket, Addrs, Action);
bind(Socket, Addrs, Action) ->
    erlang:error(badarg, [Socket, Addrs, Action]).

-spec connect(socket()) -> ok | {error, term()}.
connect(?S = Socket) -> ?prim:connect(Socket);
connect(Socket) -> erlang:error(badarg, [Socket]).

-spec connect(socket(), term()) -> ok | {error, term()}.
connect(Socket, SockAddr) ->
    connect(Socket, SockAddr, infinity).

-spec connect(socket(), term(), term()) -> ok | {select, select_info()} | {error, term()}.
connect(?S = Socket, SockAddr, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> connect_nowait(Socket, SockAddr, make_ref());
        select_handle -> connect_nowait(Socket, SockAddr, Timeout);
        Deadline -> connect_deadline(Socket, SockAddr, Deadline)
    end;
connect(Socket, SockAddr, Timeout) ->
    erlang:error(badarg, [Socket, SockAddr, Timeout]).

connect_nowait(Socket, SockAddr, Handle) ->
    case ?prim:connect(Socket, Handle, SockAddr) of
        select -> {select, ?SELECT_INFO(connect, Handle)};
        Result -> Result
    end.

connect_deadline(Socket, SockAddr, Deadline) ->
    Ref = make_ref(),
    case ?prim:connect(Socket, Ref, SockAddr) of
        select ->
            case wait(Socket, Ref, timeout(Deadline)) of
                select -> ?prim:connect(Socket);
                {abort, Reason} -> {error, Reason};
                timeout -> _ = cancel(Socket, connect, Ref), {error, timeout}
            end;
        Result ->
            Result
    end.

-spec listen(socket()) -> ok | {error, term()}.
listen(Socket) ->
    listen(Socket, 5).

-spec listen(socket(), integer()) -> ok | {error, term()}.
listen(?S = Socket, Backlog) when is_integer(Backlog) -> ?prim:listen(Socket, Backlog);
listen(Socket, Backlog) -> erlang:error(badarg, [Socket, Backlog]).

-spec accept(socket()) -> {ok, socket()} | {error, term()}.
accept(ListenSocket) ->
    accept(ListenSocket, infinity).

-spec accept(socket(), term()) -> {ok, socket()} | {select, select_info()} | {error, term()}.
accept(?S = LSocket, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> accept_nowait(LSocket, make_ref());
        select_handle -> accept_nowait(LSocket, Timeout);
        Deadline -> accept_deadline(LSocket, Deadline)
    end;
accept(ListenSocket, Timeout) ->
    erlang:error(badarg, [ListenSocket, Timeout]).

accept_nowait(LSocket, Handle) ->
    case ?prim:accept(LSocket, Handle) of
        select -> {select, ?SELECT_INFO(accept, Handle)};
        Result -> accept_result(LSocket, Handle, Result)
    end.

accept_deadline(LSocket, Deadline) ->
    Ref = make_ref(),
    case ?prim:accept(LSocket, Ref) of
        select ->
            case wait(LSocket, Ref, timeout(Deadline)) of
                select -> accept_deadline(LSocket, Deadline);
                {abort, Reason} -> {error, Reason};
                timeout -> _ = cancel(LSocket, accept, Ref), {error, timeout}
            end;
        Result ->
            accept_result(LSocket, Ref, Result)
    end.

accept_result(LSocket, Ref, Result) ->
    case Result of
        {ok, _Socket} -> Result;
        {error, _} ->
            _ = cancel(LSocket, accept, Ref),
            Result
    end.

%%% Send.

-spec send(socket(), iodata()) -> ok | {ok, binary()} | {error, term()}.
send(Socket, Data) ->
    send(Socket, Data, [], infinity).

-spec send(socket(), iodata(), term()) -> term().
send(Socket, Data, FlagsOrCont) when is_list(FlagsOrCont); is_tuple(FlagsOrCont) ->
    send(Socket, Data, FlagsOrCont, infinity);
send(Socket, Data, Timeout) ->
    send(Socket, Data, [], Timeout).

-spec send(socket(), iodata(), term(), term()) -> term().
send(?S = Socket, Data, ?SELECT_INFO(SelectTag, _) = Cont, Timeout) when is_binary(Data) ->
    case SelectTag of
        {send, ContData} ->
            case deadline(Timeout) of
                invalid -> erlang:error({invalid, {timeout, Timeout}});
                nowait -> send_nowait(Socket, Data, ContData, make_ref());
                select_handle -> send_nowait(Socket, Data, ContData, Timeout);
                Deadline -> send_deadline(Socket, Data, ContData, Deadline, false)
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
send(?S = Socket, Data, Flags, Timeout) when is_binary(Data), is_list(Flags) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> send_nowait(Socket, Data, Flags, make_ref());
        select_handle -> send_nowait(Socket, Data, Flags, Timeout);
        Deadline -> send_deadline(Socket, Data, Flags, Deadline, false)
    end;
send(?S = Socket, [Bin], Flags, Timeout) when is_binary(Bin) ->
    send(Socket, Bin, Flags, Timeout);
send(?S = Socket, Data, Flags, Timeout) when is_list(Data) ->
    send(Socket, to_binary(Data), Flags, Timeout);
send(Socket, Data, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Data, Flags, Timeout]).

%% FlagsOrCont: the flags of a first call, the encoded flags of a continuation.
send_nowait(Socket, Bin, FlagsOrCont, Handle) ->
    nowait_result(Handle, send, ?prim:send(Socket, Bin, FlagsOrCont, Handle)).

send_deadline(Socket, Bin, FlagsOrCont, Deadline, HasWritten) ->
    Handle = make_ref(),
    deadline_result(Socket, Bin, Handle, Deadline, HasWritten, send, fun send_deadline/5,
                    ?prim:send(Socket, Bin, FlagsOrCont, Handle)).

-spec sendto(socket(), iodata(), term()) -> term().
sendto(Socket, Data, DestOrCont) ->
    sendto(Socket, Data, DestOrCont, []).

-spec sendto(socket(), iodata(), term(), term()) -> term().
sendto(Socket, Data, Dest, Flags) when is_list(Flags) ->
    sendto(Socket, Data, Dest, Flags, infinity);
sendto(?S = Socket, Data, ?SELECT_INFO(SelectTag, _) = Cont, Timeout) ->
    case SelectTag of
        {sendto, ContData} ->
            case Data of
                Bin when is_binary(Bin) -> sendto_cont(Socket, Bin, ContData, Timeout);
                [Bin] when is_binary(Bin) -> sendto_cont(Socket, Bin, ContData, Timeout);
                IOV when is_list(IOV) -> sendto_cont(Socket, to_binary(IOV), ContData, Timeout);
                _ -> erlang:error(badarg, [Socket, Data, Cont, Timeout])
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
sendto(Socket, Data, Dest, Timeout) ->
    sendto(Socket, Data, Dest, [], Timeout).

-spec sendto(socket(), iodata(), term(), list(), term()) -> term().
sendto(?S = Socket, Data, Dest, Flags, Timeout) when is_binary(Data), is_list(Flags) ->
    case deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        nowait ->
            Handle = make_ref(),
            nowait_result(Handle, sendto, ?prim:sendto(Socket, Data, Dest, Flags, Handle));
        select_handle ->
            nowait_result(Timeout, sendto, ?prim:sendto(Socket, Data, Dest, Flags, Timeout));
        Deadline ->
            Handle = make_ref(),
            deadline_result(Socket, Data, Handle, Deadline, false, sendto,
                            fun sendto_deadline/5,
                            ?prim:sendto(Socket, Data, Dest, Flags, Handle))
    end;
sendto(?S = Socket, [Bin], Dest, Flags, Timeout) when is_binary(Bin) ->
    sendto(Socket, Bin, Dest, Flags, Timeout);
sendto(?S = Socket, Data, Dest, Flags, Timeout) when is_list(Data) ->
    sendto(Socket, to_binary(Data), Dest, Flags, Timeout);
sendto(Socket, Data, Dest, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Data, Dest, Flags, Timeout]).

sendto_cont(Socket, Bin, Cont, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> sendto_nowait_cont(Socket, Bin, Cont, make_ref());
        select_handle -> sendto_nowait_cont(Socket, Bin, Cont, Timeout);
        Deadline -> sendto_deadline(Socket, Bin, Cont, Deadline, false)
    end.

sendto_nowait_cont(Socket, Bin, Cont, Handle) ->
    nowait_result(Handle, sendto, ?prim:sendto(Socket, Bin, Cont, Handle)).

sendto_deadline(Socket, Bin, Cont, Deadline, HasWritten) ->
    Handle = make_ref(),
    deadline_result(Socket, Bin, Handle, Deadline, HasWritten, sendto, fun sendto_deadline/5,
                    ?prim:sendto(Socket, Bin, Cont, Handle)).

nowait_result(Handle, Op, Result) ->
    case Result of
        {select, ContData} -> {select, ?SELECT_INFO({Op, ContData}, Handle)};
        {select, Data, ContData} -> {select, {?SELECT_INFO({Op, ContData}, Handle), Data}};
        _ -> Result
    end.

deadline_result(Socket, Data, Handle, Deadline, HasWritten, Op, Fun, Result) ->
    case Result of
        {select, Cont} ->
            case wait(Socket, Handle, timeout(Deadline)) of
                select -> Fun(Socket, Data, Cont, Deadline, HasWritten);
                {abort, Reason} -> send_error(Reason, Data, HasWritten);
                timeout ->
                    _ = cancel(Socket, Op, Handle),
                    send_error(timeout, Data, HasWritten)
            end;
        {select, Rest, Cont} ->
            case wait(Socket, Handle, timeout(Deadline)) of
                select -> Fun(Socket, Rest, Cont, Deadline, true);
                {abort, Reason} -> send_error(Reason, Rest, true);
                timeout ->
                    _ = cancel(Socket, Op, Handle),
                    send_error(timeout, Rest, true)
            end;
        {error, {_Reason, RestIOV}} when is_list(RestIOV) ->
            Result;
        {error, Reason} ->
            send_error(Reason, Data, HasWritten);
        _ ->
            Result
    end.

%% Once something was written, an error comes with what is left.
send_error(Reason, _Data, false) -> {error, Reason};
send_error(Reason, Data, true) -> {error, {Reason, Data}}.

%% sendmsg/2,3,4: a message (iov, and addr and ctrl if any) as socket.erl
%% sends it; its continuation takes what is left of the iov (or a map with it).
-spec sendmsg(socket(), map()) -> term().
sendmsg(Socket, Msg) ->
    sendmsg(Socket, Msg, [], infinity).

-spec sendmsg(socket(), term(), term()) -> term().
sendmsg(Socket, Data, FlagsOrCont) when is_list(FlagsOrCont); is_tuple(FlagsOrCont) ->
    sendmsg(Socket, Data, FlagsOrCont, infinity);
sendmsg(Socket, Msg, Timeout) ->
    sendmsg(Socket, Msg, [], Timeout).

-spec sendmsg(socket(), term(), term(), term()) -> term().
sendmsg(?S = Socket, RestData, ?SELECT_INFO(SelectTag, _) = Cont, Timeout) ->
    case SelectTag of
        {sendmsg, ContData} ->
            case RestData of
                #{iov := IOV} -> sendmsg_cont(Socket, IOV, ContData, Timeout);
                IOV when is_list(IOV) -> sendmsg_cont(Socket, IOV, ContData, Timeout);
                _ -> erlang:error(badarg, [Socket, RestData, Cont, Timeout])
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
sendmsg(?S = Socket, #{iov := IOV} = Msg, Flags, Timeout) when is_list(Flags) ->
    case deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        nowait ->
            Handle = make_ref(),
            nowait_result(Handle, sendmsg, ?prim:sendmsg(Socket, Msg, Flags, Handle, IOV));
        select_handle ->
            nowait_result(Timeout, sendmsg, ?prim:sendmsg(Socket, Msg, Flags, Timeout, IOV));
        Deadline ->
            Handle = make_ref(),
            deadline_result(Socket, IOV, Handle, Deadline, false, sendmsg,
                            fun sendmsg_deadline/5,
                            ?prim:sendmsg(Socket, Msg, Flags, Handle, IOV))
    end;
sendmsg(Socket, Msg, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Msg, Flags, Timeout]).

sendmsg_cont(Socket, IOV, Cont, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> sendmsg_nowait_cont(Socket, IOV, Cont, make_ref());
        select_handle -> sendmsg_nowait_cont(Socket, IOV, Cont, Timeout);
        Deadline -> sendmsg_deadline(Socket, IOV, Cont, Deadline, false)
    end.

sendmsg_nowait_cont(Socket, IOV, Cont, Handle) ->
    nowait_result(Handle, sendmsg, ?prim:sendmsg(Socket, IOV, Cont, Handle)).

sendmsg_deadline(Socket, IOV, Cont, Deadline, HasWritten) ->
    Handle = make_ref(),
    deadline_result(Socket, IOV, Handle, Deadline, HasWritten, sendmsg,
                    fun sendmsg_deadline/5, ?prim:sendmsg(Socket, IOV, Cont, Handle)).

%% sendfile/2..5: a raw file (or the continuation of a sendfile), as
%% socket.erl sends it. The NIF reads the file through its prim_file
%% resource; here the port program gets the file's descriptor (pyinet_fd).
-spec sendfile(socket(), term()) -> term().
sendfile(Socket, FileHandle) ->
    sendfile(Socket, FileHandle, 0, 0, infinity).

-spec sendfile(socket(), term(), term()) -> term().
sendfile(Socket, FileHandle, Timeout) ->
    sendfile(Socket, FileHandle, 0, 0, Timeout).

-spec sendfile(socket(), term(), integer(), non_neg_integer()) -> term().
sendfile(Socket, FileHandleOrCont, Offset, Count) ->
    sendfile(Socket, FileHandleOrCont, Offset, Count, infinity).

-spec sendfile(socket(), term(), integer(), non_neg_integer(), term()) -> term().
sendfile(?S = Socket, FileHandleOrCont, Offset, Count, Timeout)
  when is_integer(Offset), is_integer(Count), 0 =< Count ->
    case FileHandleOrCont of
        {file_descriptor, Module, _} = FileHandle when is_atom(Module) ->
            try Module:internal_get_nif_resource(FileHandle) of
                FRef -> sendfile_int(Socket, {FRef, Offset, Count}, Timeout)
            catch
                error:undef:Stack ->
                    case Stack of
                        [{Module, internal_get_nif_resource, Args, _} | _]
                          when Args =:= 1; tl(Args) =:= [] ->
                            erlang:error(badarg, [Socket, FileHandleOrCont, Offset, Count,
                                                  Timeout]);
                        _ ->
                            erlang:raise(error, undef, Stack)
                    end
            end;
        ?SELECT_INFO(SelectTag, _) = Cont ->
            case SelectTag of
                {sendfile, FRef} -> sendfile_int(Socket, {FRef, Offset, Count}, Timeout);
                sendfile -> sendfile_int(Socket, {Offset, Count}, Timeout);
                _ -> {error, {invalid, Cont}}
            end;
        _ ->
            erlang:error(badarg, [Socket, FileHandleOrCont, Offset, Count, Timeout])
    end;
sendfile(Socket, FileHandleOrCont, Offset, Count, Timeout) ->
    erlang:error(badarg, [Socket, FileHandleOrCont, Offset, Count, Timeout]).

sendfile_int(Socket, State, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> sendfile_nowait(Socket, State, make_ref());
        select_handle -> sendfile_nowait(Socket, State, Timeout);
        Deadline -> sendfile_deadline(Socket, State, 0, Deadline)
    end.

prim_sendfile(Socket, {FRef, Offset, Count}, Handle) ->
    ?prim:sendfile(Socket, FRef, Offset, Count, Handle);
prim_sendfile(Socket, {Offset, Count}, Handle) ->
    ?prim:sendfile(Socket, Offset, Count, Handle).

sendfile_nowait(Socket, State, Handle) ->
    case prim_sendfile(Socket, State, Handle) of
        select ->
            {FRef, _Offset, _Count} = State,
            {select, ?SELECT_INFO({sendfile, FRef}, Handle)};
        {select, BytesSent} ->
            {select, {?SELECT_INFO(sendfile, Handle), BytesSent}};
        Result ->
            Result
    end.

sendfile_deadline(Socket, State, Sent0, Deadline) ->
    Handle = make_ref(),
    case prim_sendfile(Socket, State, Handle) of
        select ->
            case wait(Socket, Handle, timeout(Deadline)) of
                select -> sendfile_deadline(Socket, State, Sent0, Deadline);
                {abort, Reason} -> {error, Reason};
                timeout -> _ = cancel(Socket, sendfile, Handle), {error, timeout}
            end;
        {select, BytesSent} ->
            Sent1 = Sent0 + BytesSent,
            case wait(Socket, Handle, timeout(Deadline)) of
                select ->
                    sendfile_deadline(Socket, sendfile_next(BytesSent, State), Sent1, Deadline);
                {abort, Reason} ->
                    {error, {Reason, Sent1}};
                timeout ->
                    _ = cancel(Socket, sendfile, Handle),
                    {error, {timeout, Sent1}}
            end;
        {error, _} = Result when tuple_size(State) =:= 3 ->
            Result;
        {error, Reason} when tuple_size(State) =:= 2 ->
            {error, {Reason, Sent0}};
        {ok, BytesSent} ->
            {ok, Sent0 + BytesSent}
    end.

sendfile_next(BytesSent, {_FRef, Offset, Count}) -> sendfile_next(BytesSent, Offset, Count);
sendfile_next(BytesSent, {Offset, Count}) -> sendfile_next(BytesSent, Offset, Count).

sendfile_next(BytesSent, Offset, Count) ->
    {Offset + BytesSent,
     if
         Count =:= 0 -> 0;
         BytesSent < Count -> Count - BytesSent
     end}.

to_binary(Data) ->
    try erlang:list_to_binary(Data)
    catch error:badarg -> erlang:error({invalid, {data, Data}})
    end.

%%% Receive.

-spec recv(socket()) -> {ok, binary()} | {error, term()}.
recv(Socket) ->
    recv(Socket, 0, [], infinity).

-spec recv(socket(), term()) -> term().
recv(Socket, Flags) when is_list(Flags) -> recv(Socket, 0, Flags, infinity);
recv(Socket, Length) -> recv(Socket, Length, [], infinity).

-spec recv(socket(), term(), term()) -> term().
recv(Socket, Flags, Timeout) when is_list(Flags) -> recv(Socket, 0, Flags, Timeout);
recv(Socket, Length, Flags) when is_list(Flags) -> recv(Socket, Length, Flags, infinity);
recv(Socket, Length, Timeout) -> recv(Socket, Length, [], Timeout).

-spec recv(socket(), non_neg_integer(), list(), term()) -> term().
recv(?S = Socket, Length, Flags, Timeout)
  when is_integer(Length), Length >= 0, is_list(Flags) ->
    case recv_polls_for_more() of
        true -> recv_polling(Socket, Length, Flags, Timeout);
        false -> recv_without_polls(Socket, Length, Flags, Timeout)
    end;
recv(Socket, Length, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Length, Flags, Timeout]).

%% OTP 25's socket:recv/4: a short stream read comes back with `select`
%% (`{select, Bin}`) and is gathered here.
recv_without_polls(Socket, Length, Flags, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> recv_nowait(Socket, Length, Flags, make_ref(), <<>>);
        select_handle -> recv_nowait(Socket, Length, Flags, Timeout, <<>>);
        zero ->
            case ?prim:recv(Socket, Length, Flags, zero) of
                ok -> {error, timeout};
                Result -> Result
            end;
        Deadline -> recv_deadline(Socket, Length, Flags, Deadline, <<>>)
    end.

recv_nowait(Socket, Length, Flags, Handle, Acc) ->
    case ?prim:recv(Socket, Length, Flags, Handle) of
        {more, Bin} ->
            {ok, bincat(Acc, Bin)};
        {select, Bin} ->
            {select, {?SELECT_INFO(recv, Handle), bincat(Acc, Bin)}};
        select when byte_size(Acc) =:= 0 ->
            {select, ?SELECT_INFO(recv, Handle)};
        select ->
            {select, {?SELECT_INFO(recv, Handle), Acc}};
        Result ->
            recv_result(Acc, Result)
    end.

recv_deadline(Socket, Length, Flags, Deadline, Acc) ->
    Handle = make_ref(),
    case ?prim:recv(Socket, Length, Flags, Handle) of
        {more, Bin} ->
            case timeout(Deadline) of
                Timeout when 0 < Timeout ->
                    recv_deadline(Socket, Length, Flags, Deadline, bincat(Acc, Bin));
                _ ->
                    {ok, bincat(Acc, Bin)}
            end;
        {select, Bin} ->
            Timeout = timeout(Deadline),
            case wait(Socket, Handle, Timeout) of
                select when 0 < Timeout ->
                    recv_deadline(Socket, Length - byte_size(Bin), Flags, Deadline,
                                  bincat(Acc, Bin));
                select ->
                    {error, {timeout, bincat(Acc, Bin)}};
                {abort, Reason} ->
                    {error, {Reason, bincat(Acc, Bin)}};
                timeout ->
                    _ = cancel(Socket, recv, Handle),
                    {error, {timeout, bincat(Acc, Bin)}}
            end;
        select when Length =:= 0, 0 < byte_size(Acc) ->
            %% Only the first data that comes was asked for.
            _ = cancel(Socket, recv, Handle),
            {ok, Acc};
        select ->
            Timeout = timeout(Deadline),
            case wait(Socket, Handle, Timeout) of
                select when 0 < Timeout ->
                    recv_deadline(Socket, Length, Flags, Deadline, Acc);
                select ->
                    recv_error(Acc, timeout);
                {abort, Reason} ->
                    recv_error(Acc, Reason);
                timeout ->
                    _ = cancel(Socket, recv, Handle),
                    recv_error(Acc, timeout)
            end;
        Result ->
            recv_result(Acc, Result)
    end.

recv_result(Acc, Result) ->
    case Result of
        {ok, Bin} -> {ok, bincat(Acc, Bin)};
        {error, _} when byte_size(Acc) =:= 0 -> Result;
        {error, Reason} -> {error, {Reason, Acc}}
    end.

recv_error(<<>>, Reason) -> {error, Reason};
recv_error(Acc, Reason) -> {error, {Reason, Acc}}.

%% OTP 26+'s socket:recv/4 (seen on 27 and 29): what comes with `more` is
%% followed by polls (Timeout 0), which answer `timeout` or `{timeout, Bin}`.
%% On 27 the port program keeps a short stream read for the next call, as the
%% NIF's read buffer does, and answers a bare `select`; on 29 it answers
%% `{select, Bin}` again, as OTP 25 did (bridge/release.py,
%% stream_recv_buffers). Buf holds what came so far, last first.
recv_polls_for_more() ->
    list_to_integer(erlang:system_info(otp_release)) >= 26.

recv_polling(Socket, Length, Flags, Timeout) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> recv_polling_nowait(Socket, Length, Flags, make_ref());
        select_handle -> recv_polling_nowait(Socket, Length, Flags, Timeout);
        zero -> recv_zero(Socket, Length, Flags, []);
        Deadline -> recv_polling_deadline(Socket, Length, Flags, Deadline, [])
    end.

recv_zero(Socket, Length, Flags, Buf) ->
    case ?prim:recv(Socket, Length, Flags, zero) of
        {more, Bin} -> recv_zero(Socket, Length, Flags, [Bin | Buf]);
        timeout when Buf =:= [] -> {error, timeout};
        timeout -> {ok, condense(Buf)};
        {timeout, Bin} -> {error, {timeout, condense([Bin | Buf])}};
        {ok, Bin} -> {ok, condense([Bin | Buf])};
        {error, _} = Error when Buf =:= [] -> Error;
        {error, Reason} -> {error, {Reason, condense(Buf)}}
    end.

recv_polling_nowait(Socket, Length, Flags, Handle) ->
    case ?prim:recv(Socket, Length, Flags, Handle) of
        {more, Bin} -> recv_zero(Socket, Length, Flags, [Bin]);
        {select, Bin} -> {select, {?SELECT_INFO(recv, Handle), Bin}};
        select -> {select, ?SELECT_INFO(recv, Handle)};
        Result -> Result
    end.

recv_polling_deadline(Socket, Length, Flags, Deadline, Buf) ->
    Handle = make_ref(),
    case ?prim:recv(Socket, Length, Flags, Handle) of
        {more, Bin} when Length =:= 0 ->
            recv_zero(Socket, Length, Flags, [Bin | Buf]);
        {more, Bin} when Length =:= byte_size(Bin) ->
            {ok, condense([Bin | Buf])};
        {more, Bin} when Length > byte_size(Bin) ->
            case timeout(Deadline) of
                Timeout when 0 < Timeout ->
                    recv_polling_deadline(Socket, Length - byte_size(Bin), Flags, Deadline,
                                           [Bin | Buf]);
                _ ->
                    {ok, condense([Bin | Buf])}
            end;
        {select, Bin} ->
            Timeout = timeout(Deadline),
            case wait(Socket, Handle, Timeout) of
                select when 0 < Timeout ->
                    recv_polling_deadline(Socket, Length - byte_size(Bin), Flags, Deadline,
                                           [Bin | Buf]);
                select -> {error, {timeout, condense([Bin | Buf])}};
                {abort, Reason} -> {error, {Reason, condense([Bin | Buf])}};
                timeout ->
                    %% 29's socket.erl returns Bin too; 27's dropped it, but
                    %% with its read buffer this clause is never reached there.
                    _ = cancel(Socket, recv, Handle),
                    buffered_error([Bin | Buf], timeout)
            end;
        select when 0 < Length; Buf =:= [] ->
            Timeout = timeout(Deadline),
            case wait(Socket, Handle, Timeout) of
                select when 0 < Timeout ->
                    recv_polling_deadline(Socket, Length, Flags, Deadline, Buf);
                select -> buffered_error(Buf, timeout);
                {abort, Reason} -> buffered_error(Buf, Reason);
                timeout ->
                    _ = cancel(Socket, recv, Handle),
                    buffered_error(Buf, timeout)
            end;
        select ->
            _ = cancel(Socket, recv, Handle),
            {ok, condense(Buf)};
        {ok, Bin} ->
            {ok, condense([Bin | Buf])};
        {error, Reason} ->
            buffered_error(Buf, Reason)
    end.

buffered_error([], Reason) -> {error, Reason};
buffered_error(Buf, Reason) -> {error, {Reason, condense(Buf)}}.

condense([]) -> <<>>;
condense([Bin]) when is_binary(Bin) -> Bin;
condense(Buf) -> iolist_to_binary(lists:reverse(Buf)).

-spec recvfrom(socket()) -> term().
recvfrom(Socket) ->
    recvfrom(Socket, 0).

-spec recvfrom(socket(), term()) -> term().
recvfrom(Socket, Flags) when is_list(Flags) -> recvfrom(Socket, 0, Flags, infinity);
recvfrom(Socket, BufSz) -> recvfrom(Socket, BufSz, [], infinity).

-spec recvfrom(socket(), term(), term()) -> term().
recvfrom(Socket, Flags, Timeout) when is_list(Flags) -> recvfrom(Socket, 0, Flags, Timeout);
recvfrom(Socket, BufSz, Flags) when is_list(Flags) -> recvfrom(Socket, BufSz, Flags, infinity);
recvfrom(Socket, BufSz, Timeout) -> recvfrom(Socket, BufSz, [], Timeout).

-spec recvfrom(socket(), non_neg_integer(), list(), term()) -> term().
recvfrom(?S = Socket, BufSz, Flags, Timeout)
  when is_integer(BufSz), 0 =< BufSz, is_list(Flags) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> recvfrom_nowait(Socket, BufSz, Flags, make_ref());
        select_handle -> recvfrom_nowait(Socket, BufSz, Flags, Timeout);
        zero ->
            case ?prim:recvfrom(Socket, BufSz, Flags, zero) of
                ok -> {error, timeout};                 % OTP 25's NIF
                timeout -> {error, timeout};            % OTP 26+'s
                Result -> recvfrom_result(Result)
            end;
        Deadline -> recvfrom_deadline(Socket, BufSz, Flags, Deadline)
    end;
recvfrom(Socket, BufSz, Flags, Timeout) ->
    erlang:error(badarg, [Socket, BufSz, Flags, Timeout]).

recvfrom_nowait(Socket, BufSz, Flags, Handle) ->
    case ?prim:recvfrom(Socket, BufSz, Flags, Handle) of
        select -> {select, ?SELECT_INFO(recvfrom, Handle)};
        Result -> recvfrom_result(Result)
    end.

recvfrom_deadline(Socket, BufSz, Flags, Deadline) ->
    Handle = make_ref(),
    case ?prim:recvfrom(Socket, BufSz, Flags, Handle) of
        select ->
            case wait(Socket, Handle, timeout(Deadline)) of
                select -> recvfrom_deadline(Socket, BufSz, Flags, Deadline);
                {abort, Reason} -> {error, Reason};
                timeout ->
                    _ = cancel(Socket, recvfrom, Handle),
                    {error, timeout}
            end;
        Result ->
            recvfrom_result(Result)
    end.

recvfrom_result({ok, {_Source, _Data}} = Result) -> Result;
recvfrom_result({error, _Reason} = Result) -> Result.

%% recvmsg/1..5: one message with its control messages and flags; BufSz and
%% CtrlSz 0 are the socket's {otp, rcvbuf} and {otp, rcvctrlbuf}.
-spec recvmsg(socket()) -> term().
recvmsg(Socket) ->
    recvmsg(Socket, 0, 0, [], infinity).

-spec recvmsg(socket(), term()) -> term().
recvmsg(Socket, Flags) when is_list(Flags) -> recvmsg(Socket, 0, 0, Flags, infinity);
recvmsg(Socket, Timeout) -> recvmsg(Socket, 0, 0, [], Timeout).

-spec recvmsg(socket(), term(), term()) -> term().
recvmsg(Socket, Flags, Timeout) when is_list(Flags) ->
    recvmsg(Socket, 0, 0, Flags, Timeout);
recvmsg(Socket, BufSz, CtrlSz) when is_integer(BufSz), is_integer(CtrlSz) ->
    recvmsg(Socket, BufSz, CtrlSz, [], infinity);
recvmsg(Socket, BufSz, CtrlSz) ->
    %% OTP 26 added this clause (seen on 27); 25 had none (function_clause).
    case list_to_integer(erlang:system_info(otp_release)) >= 26 of
        true -> erlang:error(badarg, [Socket, BufSz, CtrlSz]);
        false -> erlang:error(function_clause, [Socket, BufSz, CtrlSz])
    end.

-spec recvmsg(socket(), non_neg_integer(), non_neg_integer(), term()) -> term().
recvmsg(Socket, BufSz, CtrlSz, Timeout) ->
    recvmsg(Socket, BufSz, CtrlSz, [], Timeout).

-spec recvmsg(socket(), non_neg_integer(), non_neg_integer(), list(), term()) -> term().
recvmsg(?S = Socket, BufSz, CtrlSz, Flags, Timeout)
  when is_integer(BufSz), 0 =< BufSz, is_integer(CtrlSz), 0 =< CtrlSz, is_list(Flags) ->
    case deadline(Timeout) of
        invalid -> erlang:error({invalid, {timeout, Timeout}});
        nowait -> recvmsg_nowait(Socket, BufSz, CtrlSz, Flags, make_ref());
        select_handle -> recvmsg_nowait(Socket, BufSz, CtrlSz, Flags, Timeout);
        zero ->
            case ?prim:recvmsg(Socket, BufSz, CtrlSz, Flags, zero) of
                ok -> {error, timeout};                 % OTP 25's NIF
                timeout -> {error, timeout};            % OTP 26+'s
                Result -> recvmsg_result(Result)
            end;
        Deadline -> recvmsg_deadline(Socket, BufSz, CtrlSz, Flags, Deadline)
    end;
recvmsg(Socket, BufSz, CtrlSz, Flags, Timeout) ->
    erlang:error(badarg, [Socket, BufSz, CtrlSz, Flags, Timeout]).

recvmsg_nowait(Socket, BufSz, CtrlSz, Flags, Handle) ->
    case ?prim:recvmsg(Socket, BufSz, CtrlSz, Flags, Handle) of
        select -> {select, ?SELECT_INFO(recvmsg, Handle)};
        Result -> recvmsg_result(Result)
    end.

recvmsg_deadline(Socket, BufSz, CtrlSz, Flags, Deadline) ->
    Handle = make_ref(),
    case ?prim:recvmsg(Socket, BufSz, CtrlSz, Flags, Handle) of
        select ->
            case wait(Socket, Handle, timeout(Deadline)) of
                select -> recvmsg_deadline(Socket, BufSz, CtrlSz, Flags, Deadline);
                {abort, Reason} -> {error, Reason};
                timeout ->
                    _ = cancel(Socket, recvmsg, Handle),
                    {error, timeout}
            end;
        Result ->
            recvmsg_result(Result)
    end.

recvmsg_result({ok, _Msg} = Result) -> Result;
recvmsg_result({error, _Reason} = Result) -> Result.

%%% Close, shutdown, options, addresses.

-spec close(socket()) -> ok | {error, term()}.
close(?S = Socket) -> ?prim:close(Socket);
close(Socket) -> erlang:error(badarg, [Socket]).

-spec shutdown(socket(), read | write | read_write) -> ok | {error, term()}.
shutdown(?S = Socket, How) -> ?prim:shutdown(Socket, How);
shutdown(Socket, How) -> erlang:error(badarg, [Socket, How]).

-spec setopt(socket(), term(), term()) -> ok | {error, term()}.
setopt(?S = Socket, SocketOption, Value) -> ?prim:setopt(Socket, SocketOption, Value);
setopt(Socket, SocketOption, Value) -> erlang:error(badarg, [Socket, SocketOption, Value]).

-spec setopt(socket(), term(), term(), term()) -> ok | {error, term()}.
setopt(Socket, Level, Opt, Value) when is_integer(Opt), is_binary(Value) ->
    setopt_native(Socket, {Level, Opt}, Value);
setopt(Socket, Level, Opt, Value) ->
    setopt(Socket, {Level, Opt}, Value).

-spec setopt_native(socket(), term(), term()) -> ok | {error, term()}.
setopt_native(?S = Socket, SocketOption, Value) ->
    ?prim:setopt_native(Socket, SocketOption, Value);
setopt_native(Socket, SocketOption, Value) ->
    erlang:error(badarg, [Socket, SocketOption, Value]).

-spec getopt(socket(), term()) -> {ok, term()} | {error, term()}.
getopt(?S = Socket, SocketOption) -> ?prim:getopt(Socket, SocketOption).

-spec getopt(socket(), term(), term()) -> {ok, term()} | {error, term()}.
getopt(Socket, Level, {NativeOpt, ValueSpec}) when is_integer(NativeOpt) ->
    getopt_native(Socket, {Level, NativeOpt}, ValueSpec);
getopt(Socket, Level, Opt) ->
    getopt(Socket, {Level, Opt}).

-spec getopt_native(socket(), term(), term()) -> {ok, term()} | {error, term()}.
getopt_native(?S = Socket, SocketOption, ValueSpec) ->
    ?prim:getopt_native(Socket, SocketOption, ValueSpec).

-spec sockname(socket()) -> {ok, map()} | {error, term()}.
sockname(?S = Socket) -> ?prim:sockname(Socket);
sockname(Socket) -> erlang:error(badarg, [Socket]).

-spec peername(socket()) -> {ok, map()} | {error, term()}.
peername(?S = Socket) -> ?prim:peername(Socket);
peername(Socket) -> erlang:error(badarg, [Socket]).

%%% ioctl: the network device requests, made by the port program.

-spec ioctl(socket(), atom()) -> {ok, term()} | {error, term()}.
ioctl(?S = Socket, gifconf = GetRequest) ->
    ?prim:ioctl(Socket, GetRequest, []);
ioctl(Socket, GetRequest) ->
    erlang:error(badarg, [Socket, GetRequest]).

-spec ioctl(socket(), atom(), term()) -> {ok, term()} | {error, term()}.
ioctl(?S = Socket, gifname = GetRequest, Index) when is_integer(Index) ->
    ?prim:ioctl(Socket, GetRequest, [Index]);
ioctl(?S = Socket, GetRequest, Name)
  when is_list(Name),
       (GetRequest =:= gifindex orelse GetRequest =:= gifaddr orelse
        GetRequest =:= gifdstaddr orelse GetRequest =:= gifbrdaddr orelse
        GetRequest =:= gifnetmask orelse GetRequest =:= gifmtu orelse
        GetRequest =:= gifhwaddr orelse GetRequest =:= giftxqlen orelse
        GetRequest =:= gifflags orelse GetRequest =:= gifmap) ->
    ?prim:ioctl(Socket, GetRequest, [Name]);
ioctl(Socket, GetRequest, Arg) ->
    erlang:error(badarg, [Socket, GetRequest, Arg]).

-spec ioctl(socket(), atom(), term(), term()) -> ok | {error, term()}.
ioctl(?S = Socket, sifflags = SetRequest, Name, Flags) when is_list(Name), is_map(Flags) ->
    ?prim:ioctl(Socket, SetRequest, [Name, Flags]);
ioctl(?S = Socket, SetRequest, Name, Addr)
  when is_list(Name), is_map(Addr),
       (SetRequest =:= sifaddr orelse SetRequest =:= sifdstaddr orelse
        SetRequest =:= sifbrdaddr orelse SetRequest =:= sifnetmask) ->
    ?prim:ioctl(Socket, SetRequest, [Name, ?prim:enc_sockaddr(Addr)]);
ioctl(?S = Socket, SetRequest, Name, N)
  when is_list(Name), is_integer(N), (SetRequest =:= sifmtu orelse SetRequest =:= siftxqlen) ->
    ?prim:ioctl(Socket, SetRequest, [Name, N]);
ioctl(Socket, SetRequest, Arg1, Arg2) ->
    erlang:error(badarg, [Socket, SetRequest, Arg1, Arg2]).

%%% Cancel.

-spec cancel(socket(), select_info()) -> ok | {error, term()}.
cancel(?S = Socket, ?SELECT_INFO(SelectTag, SelectHandle) = SelectInfo) ->
    Op = case SelectTag of
             {Op0, _} when is_atom(Op0) -> Op0;
             Op0 when is_atom(Op0) -> Op0
         end,
    case cancel(Socket, Op, SelectHandle) of
        ok -> ok;
        invalid -> {error, {invalid, SelectInfo}};
        Result -> Result
    end;
cancel(Socket, SelectInfo) ->
    erlang:error(badarg, [Socket, SelectInfo]).

cancel(Socket, Op, Handle) ->
    case ?prim:cancel(Socket, Op, Handle) of
        select_sent ->
            flush_select_msg(Socket, Handle),
            _ = flush_abort_msg(Socket, Handle),
            ok;
        not_found ->
            _ = flush_abort_msg(Socket, Handle),
            invalid;
        Result ->
            _ = flush_abort_msg(Socket, Handle),
            Result
    end.

flush_select_msg(Socket, Ref) ->
    receive ?socket_msg(Socket, select, Ref) -> ok
    after 0 -> ok
    end.

flush_abort_msg(Socket, Ref) ->
    receive ?socket_msg(Socket, abort, {Ref, Reason}) -> Reason
    after 0 -> ok
    end.

%%% Observability.

%% socket:info/0's map, counted over pyinet's sockets of this API.
-spec info() -> map().
info() ->
    Infos = [info(S) || S <- which_sockets()],
    Count = fun(Key, Value) -> length([x || #{Key := V} <- Infos, V =:= Value]) end,
    #{counters => #{num_cnt_bits => 64,
                    num_dinet => Count(domain, inet), num_dinet6 => Count(domain, inet6),
                    num_dlocal => Count(domain, local), num_pip => Count(protocol, ip),
                    num_psctp => Count(protocol, sctp), num_ptcp => Count(protocol, tcp),
                    num_pudp => Count(protocol, udp), num_sockets => length(Infos),
                    num_tdgrams => Count(type, dgram), num_tseqpkgs => Count(type, seqpacket),
                    num_tstreams => Count(type, stream)},
      debug => switch(debug, false), iov_max => 1024, iow => false,
      socket_debug => switch(socket_debug, false), use_registry => switch(use_registry, true)}.

-spec info(socket()) -> map().
info(?S = Socket) -> ?prim:info(Socket);
info(Socket) -> erlang:error(badarg, [Socket]).

-spec number_of() -> non_neg_integer().
number_of() ->
    length(which_sockets()).

-spec which_sockets() -> [socket()].
which_sockets() ->
    [S || #{kind := socket, state := open, socket := S, use_registry := true}
              <- pyinet:sockets()].

-spec which_sockets(term()) -> [socket()].
which_sockets(Domain) when Domain =:= inet; Domain =:= inet6; Domain =:= local ->
    filter(fun(#{domain := D}) -> D =:= Domain end);
which_sockets(Type) when Type =:= stream; Type =:= dgram; Type =:= seqpacket ->
    filter(fun(#{type := T}) -> T =:= Type end);
which_sockets(Proto) when Proto =:= sctp; Proto =:= tcp; Proto =:= udp ->
    filter(fun(#{protocol := P}) -> P =:= Proto end);
which_sockets(Owner) when is_pid(Owner) ->
    filter(fun(#{owner := O}) -> O =:= Owner end);
which_sockets(Filter) when is_function(Filter, 1) ->
    filter(Filter);
which_sockets(Other) ->
    erlang:error(badarg, [Other]).

filter(Fun) ->
    [S || S <- which_sockets(), Fun(info(S))].

%% A 'DOWN' message {'DOWN', MRef, socket, Socket, Info} when the socket closes.
-spec monitor(socket()) -> reference().
monitor(?S = Socket) ->
    %% As socket:monitor/1: a monitored socket is in the registry.
    _ = ?prim:setopt(Socket, {otp, use_registry}, true),
    pyinet_router:monitor_socket(?prim:router(Socket), Socket);
monitor(Socket) ->
    erlang:error(badarg, [Socket]).

-spec cancel_monitor(reference()) -> boolean().
cancel_monitor(MRef) when is_reference(MRef) ->
    lists:any(fun({Router, _Port}) -> pyinet_router:cancel_monitor(Router, MRef) end,
              pyinet_pool:routers());
cancel_monitor(MRef) ->
    erlang:error(badarg, [MRef]).

%% The socket registry's monitor functions, over the monitors that
%% pyinet_socket:monitor/1 made (the routers keep them).
-spec number_of_monitors() -> non_neg_integer().
number_of_monitors() ->
    length(socket_monitors()).

-spec number_of_monitors(pid()) -> non_neg_integer().
number_of_monitors(Pid) when is_pid(Pid) ->
    length([x || {_, _, P} <- socket_monitors(), P =:= Pid]).

-spec which_monitors(pid() | socket()) -> [reference()].
which_monitors(Pid) when is_pid(Pid) ->
    [MRef || {_, MRef, P} <- socket_monitors(), P =:= Pid];
which_monitors(?S = Socket) ->
    [MRef || {S, MRef, _} <- socket_monitors(), S =:= Socket];
which_monitors(Socket) ->
    erlang:error(badarg, [Socket]).

%% The processes monitoring the socket, each once, sorted.
-spec monitored_by(socket()) -> [pid()].
monitored_by(?S = Socket) ->
    lists:usort([P || {S, _, P} <- socket_monitors(), S =:= Socket]);
monitored_by(Socket) ->
    erlang:error(badarg, [Socket]).

%% {Socket, MRef, Pid} of every monitor of a socket of this API.
socket_monitors() ->
    [M || {R, _} <- pyinet_pool:routers(),
          {{'$socket', _}, _, _} = M <- pyinet_router:monitors(R)].

%% plain, or compat for a socket that a compatibility layer (gen_tcp_socket,
%% gen_udp_socket) owns, which sets {otp, meta}; badarg once closed.
-spec which_socket_kind(socket()) -> plain | compat.
which_socket_kind(?S = Socket) ->
    case ?prim:getopt(Socket, {otp, meta}) of
        {ok, undefined} -> plain;
        {ok, _} -> compat;
        {error, _} -> erlang:error(badarg, [Socket])
    end;
which_socket_kind(Socket) ->
    erlang:error(badarg, [Socket]).

-spec to_list(socket()) -> string().
to_list({'$socket', {pyinet_socket, Router, _, Id}}) ->
    lists:flatten(io_lib:format("#Socket<pyinet~s.~w>",
                                [string:trim(pid_to_list(Router), both, "<>"), Id]));
to_list(Socket) ->
    erlang:error(badarg, [Socket]).

%%% Debug features: the NIF's global switches, kept per port program.

%% debug/1: the NIF's debug printouts, which the port program has no
%% equivalent of: the switch is kept, and info/0 reports it.
-spec debug(boolean()) -> ok.
debug(D) when is_boolean(D) -> command(debug, D);
debug(D) -> erlang:error(badarg, [D]).

%% socket_debug/1: whether new sockets start with {otp, debug} set.
-spec socket_debug(boolean()) -> ok.
socket_debug(D) when is_boolean(D) -> command(socket_debug, D);
socket_debug(D) -> erlang:error(badarg, [D]).

%% use_registry/1: whether new sockets are in the registry (which_sockets).
-spec use_registry(boolean()) -> ok.
use_registry(D) when is_boolean(D) -> command(use_registry, D).

%% The switch is the port programs' (each new socket there follows it) and
%% this node's, which info/0 reports.
command(Command, Value) ->
    ok = pyinet:start(),
    persistent_term:put({?MODULE, Command}, Value),
    lists:foreach(fun({R, P}) -> pyinet_request:call(R, P, {sock_command, Command, Value}) end,
                  pyinet_pool:routers()).

switch(Command, Default) ->
    persistent_term:get({?MODULE, Command}, Default).

%% What the platform supports: the port program runs on this machine's kernel
%% (or on the bridge node's), so socket's own answers are the ones to give.
-spec supports() -> list().
supports() -> socket:supports().
-spec supports(atom()) -> list().
supports(Key) -> socket:supports(Key).
-spec supports(atom(), term()) -> list().
supports(Key1, Key2) -> socket:supports(Key1, Key2).
-spec is_supported(atom()) -> boolean().
is_supported(Key) -> socket:is_supported(Key).
-spec is_supported(atom(), term()) -> boolean().
is_supported(Key1, Key2) -> socket:is_supported(Key1, Key2).
-spec is_supported(atom(), atom(), term()) -> boolean().
is_supported(Key1, Key2, Key3) -> socket:is_supported(Key1, Key2, Key3).

-spec i() -> ok.
i() -> i(which_sockets(), default_info_keys()).

-spec i(term()) -> ok.
i(InfoKeys) when is_list(InfoKeys) -> i(which_sockets(), InfoKeys);
i(Which) -> i(which_sockets(Which), default_info_keys()).

-spec i(term(), [atom()]) -> ok.
i(Sockets, InfoKeys) when is_list(Sockets) ->
    Rows = [[i_field(S, info(S), Key) || Key <- InfoKeys] || S <- Sockets],
    Lines = case Rows of
                [] -> [];
                _ -> [[header(atom_to_list(K)) || K <- InfoKeys] | Rows]
            end,
    Widths = lists:foldl(fun(Line, Ws) -> [max(length(F), W) || {F, W} <- lists:zip(Line, Ws)] end,
                         [0 || _ <- InfoKeys], Lines),
    Fmt = lists:append(["~-" ++ integer_to_list(W) ++ "s " || W <- Widths]) ++ "~n",
    lists:foreach(fun(Line) -> io:format(Fmt, Line) end, Lines);
i(Which, InfoKeys) when is_list(InfoKeys) ->
    i(which_sockets(Which), InfoKeys).

default_info_keys() ->
    [domain, type, protocol, fd, owner, local_address, remote_address, recv, sent, state].

header([C | Cs]) -> [string:to_upper(C) | header_rest(Cs)].
header_rest([$_, C | Cs]) -> [$\s, string:to_upper(C) | header_rest(Cs)];
header_rest([C | Cs]) -> [C | header_rest(Cs)];
header_rest([]) -> [].

i_field(_S, #{domain := D}, domain) -> atom_to_list(D);
i_field(_S, #{type := T}, type) -> string:to_upper(atom_to_list(T));
i_field(_S, #{protocol := P}, protocol) -> string:to_upper(atom_to_list(P));
i_field(S, _, fd) ->
    case getopt(S, {otp, fd}) of
        {ok, FD} -> integer_to_list(FD);
        {error, _} -> " "
    end;
i_field(_S, #{owner := Pid}, owner) when is_pid(Pid) -> pid_to_list(Pid);
i_field(S, #{protocol := P}, local_address) -> i_address(sockname(S), P);
i_field(S, #{protocol := P}, remote_address) -> i_address(peername(S), P);
i_field(_S, #{counters := #{read_byte := N}}, recv) -> integer_to_list(N);
i_field(_S, #{counters := #{write_byte := N}}, sent) -> integer_to_list(N);
i_field(_S, #{rstates := R, wstates := W}, state) -> i_states(R, W);
i_field(_S, _, _) -> " ".

%% The rest is socket:i/0's formatting.
i_address({ok, #{family := Fam, addr := Addr, port := Port}}, Proto)
  when Fam =:= inet; Fam =:= inet6 ->
    case Addr of
        {0, 0, 0, 0} -> "*:" ++ i_port(Port, Proto);
        {0, 0, 0, 0, 0, 0, 0, 0} -> "*:" ++ i_port(Port, Proto);
        {127, 0, 0, 1} -> "localhost:" ++ i_port(Port, Proto);
        {0, 0, 0, 0, 0, 0, 0, 1} -> "localhost:" ++ i_port(Port, Proto);
        IP -> inet_parse:ntoa(IP) ++ ":" ++ i_port(Port, Proto)
    end;
i_address({ok, #{family := local, path := Path}}, _Proto) -> "local:" ++ binary_to_list(Path);
i_address(_, _Proto) -> " ".

i_port(N, Proto) ->
    case inet:getservbyport(N, Proto) of
        {ok, Name} -> lists:flatten(io_lib:format("~s (~w)", [Name, N]));
        _ -> integer_to_list(N)
    end.

i_states([], []) -> " ";
i_states(R, []) -> i_states(R) ++ ", -";
i_states([], W) -> " - , " ++ i_states(W);
i_states(R, W) -> i_states(R) ++ " , " ++ i_states(W).

i_states(States) -> lists:flatten(lists:join(":", [i_state(S) || S <- States])).

i_state(accepting) -> "A";
i_state(bound) -> "BD";
i_state(connected) -> "CD";
i_state(connecting) -> "CG";
i_state(listening) -> "LG";
i_state(selected) -> "SD";
i_state(X) -> string:uppercase(atom_to_list(X)).

%%% Internal.

%% Wait for the select (or abort) message of a request: what socket.erl's
%% receive clauses do, and {abort, closed} if the port program dies meanwhile.
wait(Socket, Ref, Timeout) ->
    MRef = erlang:monitor(process, ?prim:router(Socket)),
    receive
        ?socket_msg(_, select, Ref) ->
            erlang:demonitor(MRef, [flush]),
            select;
        ?socket_msg(_, abort, {Ref, Reason}) ->
            erlang:demonitor(MRef, [flush]),
            {abort, Reason};
        {'DOWN', MRef, process, _, _} ->
            {abort, closed}
    after Timeout ->
            erlang:demonitor(MRef, [flush]),
            timeout
    end.

deadline(Timeout) ->
    case Timeout of
        nowait -> Timeout;
        infinity -> Timeout;
        SelectHandle when is_reference(SelectHandle) -> select_handle;
        0 -> zero;
        _ when is_integer(Timeout), 0 < Timeout -> timestamp() + Timeout;
        _ -> invalid
    end.

timeout(Deadline) ->
    case Deadline of
        infinity -> Deadline;
        zero -> 0;
        _ -> max(0, Deadline - timestamp())
    end.

timestamp() ->
    erlang:monotonic_time(milli_seconds).

bincat(<<>>, <<_/binary>> = B) -> B;
bincat(<<_/binary>> = A, <<>>) -> A;
bincat(<<_/binary>> = A, <<_/binary>> = B) -> <<A/binary, B/binary>>.
