%% A request to a port program and the wait for its reply.
%%
%% The caller writes {Ref, self(), Request} to the port itself (any local process
%% may) and waits for {Ref, Reply}, which the router delivers. Ref is a monitor of
%% the router: if the port program dies, the router stops and the call returns
%% {error, closed} instead of hanging. A caller on another node cannot write to
%% the port and goes through the router.
-module(pyinet_request).

%% API.
-export([call/2, call/3, send/5, send_no_reply/4, send_remote/4, send_for/6]).

%% API.

%% A request on the socket with this handle.
-spec call({pid(), port(), pos_integer()}, tuple()) -> term().
call({Router, Port, _Id}, Request) ->
    call(Router, Port, Request).

-spec call(pid(), port(), tuple()) -> term().
call(Router, Port, Request) ->
    MRef = erlang:monitor(process, Router),
    case deliver(Router, Port, term_to_binary({MRef, self(), Request})) of
        ok -> wait(MRef);
        closed -> erlang:demonitor(MRef, [flush]), {error, closed}
    end.

%% send/2 without copying Data: the frame is the encoding of
%% {Ref, self(), {tcp_send, Id, <<>>}} whose last four bytes (the empty binary's
%% length) are replaced by Data's length, followed by Data itself.
-spec send(pid(), port(), pos_integer(), iodata(), non_neg_integer()) -> term().
send(Router, Port, Id, Data, Size) ->
    MRef = erlang:monitor(process, Router),
    Head = term_to_binary({MRef, self(), {tcp_send, Id, <<>>}}),
    PrefixSize = byte_size(Head) - 4,
    <<Prefix:PrefixSize/binary, 0:32>> = Head,
    case deliver(Router, Port, [Prefix, <<Size:32>>, Data]) of
        ok -> wait(MRef);
        closed -> erlang:demonitor(MRef, [flush]), {error, closed}
    end.

%% send/5 by a process on another node: its router decides whether the send
%% needs the program's answer (pyinet_tcp:router_send/5).
-spec send_remote(pid(), pos_integer(), iodata(), non_neg_integer()) -> term().
send_remote(Router, Id, Data, Size) ->
    MRef = erlang:monitor(process, Router),
    Router ! {forward_send, Id, Data, Size, {MRef, self()}},
    wait(MRef).

%% The request frame of send/5 for another caller, written by its router.
-spec send_for(port(), pos_integer(), iodata(), non_neg_integer(), reference(), pid()) -> ok.
send_for(Port, Id, Data, Size, MRef, Caller) ->
    Head = term_to_binary({MRef, Caller, {tcp_send, Id, <<>>}}),
    PrefixSize = byte_size(Head) - 4,
    <<Prefix:PrefixSize/binary, 0:32>> = Head,
    case deliver(self(), Port, [Prefix, <<Size:32>>, Data]) of
        ok -> ok;
        closed -> Caller ! {MRef, {error, closed}}, ok
    end.

%% A send that is not waited for: {pyinet, {tcp_send, Id, Data}}, encoded as send/5
%% does. Only for a local port and a socket counted as sendable (pyinet_tcp).
-spec send_no_reply(port(), pos_integer(), iodata(), non_neg_integer()) -> ok | {error, closed}.
send_no_reply(Port, Id, Data, Size) ->
    Head = term_to_binary({pyinet, {tcp_send, Id, <<>>}}),
    PrefixSize = byte_size(Head) - 4,
    <<Prefix:PrefixSize/binary, 0:32>> = Head,
    try erlang:port_command(Port, [Prefix, <<Size:32>>, Data]) of
        true -> ok
    catch error:badarg -> {error, closed}
    end.

%% Internal.

deliver(Router, Port, Frame) when node(Port) =:= node() ->
    try erlang:port_command(Port, Frame) of
        true -> ok
    catch error:badarg ->
            _ = Router,
            closed
    end;
deliver(Router, _Port, Frame) ->
    Router ! {forward, Frame},
    ok.

wait(MRef) ->
    receive
        {MRef, Reply} ->
            erlang:demonitor(MRef, [flush]),
            Reply;
        {'DOWN', MRef, _, _, _} ->
            {error, closed}
    end.
