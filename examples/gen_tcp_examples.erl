%% The examples of the gen_tcp(3) manual page (OTP 25), as written there. Only
%% what the manual leaves "not implemented" is filled in (process/1,
%% handle_send_timeout/0), the send_timeout example's loop/1 is loop_forward/1
%% here (the worker pool has a loop/1 too), and run/0 drives them. Nothing here names pyinet:
%% on a node whose inetrc says {tcp, pyinet_tcp} they run on Python-hosted
%% sockets (test/pyinet_app_SUITE.erl runs them so, and natively, and
%% compares).
-module(gen_tcp_examples).
-export([run/0, start/2, server/1, client/2]).

%% What the three examples do, as a term to compare between two runs.
run() ->
    Port = start(3, 0),
    Answers = [client(Port, Message) || Message <- ["one", "two", "three", "four"]],
    {Answers, send_timeout_example()}.

%%% The worker pool with {active, once} and {packet, 2}.

start(Num,LPort) ->
    case gen_tcp:listen(LPort,[{active, false},{packet,2}]) of
        {ok, ListenSock} ->
            start_servers(Num,ListenSock),
            {ok, Port} = inet:port(ListenSock),
            Port;
        {error,Reason} ->
            {error,Reason}
    end.

start_servers(0,_) ->
    ok;
start_servers(Num,LS) ->
    spawn(?MODULE,server,[LS]),
    start_servers(Num-1,LS).

server(LS) ->
    case gen_tcp:accept(LS) of
        {ok,S} ->
            loop(S),
            server(LS);
        Other ->
            io:format("accept returned ~w - goodbye!~n",[Other]),
            ok
    end.

loop(S) ->
    inet:setopts(S,[{active,once}]),
    receive
        {tcp,S,Data} ->
            Answer = process(Data), % Not implemented in this example
            gen_tcp:send(S,Answer),
            loop(S);
        {tcp_closed,S} ->
            io:format("Socket ~w closed [~w]~n",[S,self()]),
            ok
    end.

process(Data) ->
    lists:reverse(Data).

%%% The simple client.

client(PortNo,Message) ->
    {ok,Sock} = gen_tcp:connect("localhost",PortNo,[{active,false},
                                                    {packet,2}]),
    gen_tcp:send(Sock,Message),
    A = gen_tcp:recv(Sock,0),
    gen_tcp:close(Sock),
    A.

%%% The send_timeout example, against a server that never reads.

send_timeout_example() ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {recbuf, 4096}]),
    {ok, Port} = inet:port(L),
    HostAddress = "localhost",
    Self = self(),
    Forwarder = spawn(fun() ->
                              {ok,Sock} = gen_tcp:connect(HostAddress, Port,
                                                          [{active,false},
                                                           {send_timeout, 5000},
                                                           {packet,2}, {sndbuf, 4096}]),
                              Self ! connected,
                              loop_forward(Sock)
                      end),
    receive connected -> ok end,
    {ok, _NeverRead} = gen_tcp:accept(L),
    Chunk = binary:copy(<<"x">>, 16384),
    Result = feed(Forwarder, Chunk, 0),
    gen_tcp:close(L),
    Result.

%% Client side of loop/1 below: send until the forwarder reports an error.
feed(Forwarder, Chunk, Sent) ->
    Forwarder ! {self(), send_data, Chunk},
    receive
        {Forwarder, data_sent} -> feed(Forwarder, Chunk, Sent + 1);
        {Forwarder, {error_sending, Reason}} -> {error_sending, Reason, sent_some, Sent > 0}
    end.

loop_forward(Sock) ->
    receive
        {Client, send_data, Binary} ->
            case gen_tcp:send(Sock,[Binary]) of
                {error, timeout} ->
                    io:format("Send timeout, closing!~n",
                              []),
                    handle_send_timeout(), % Not implemented here
                    Client ! {self(),{error_sending, timeout}},
                    %% Usually, it's a good idea to give up in case of a
                    %% send timeout, as you never know how much actually
                    %% reached the server, maybe only a packet header?!
                    gen_tcp:close(Sock);
                {error, OtherSendError} ->
                    io:format("Some other error on socket (~p), closing",
                              [OtherSendError]),
                    Client ! {self(),{error_sending, OtherSendError}},
                    gen_tcp:close(Sock);
                ok ->
                    Client ! {self(), data_sent},
                    loop_forward(Sock)
            end
    end.

handle_send_timeout() ->
    ok.
