%% The client/server example of the gen_tcp(3) manual page, as written there
%% (only the port is chosen by the system rather than 5678), run on a node whose
%% inetrc says {tcp, pyinet_tcp}: the sockets live in a Python process.
-module(demo).
-export([main/0]).

main() ->
    io:format("pyinet demo: the gen_tcp(3) client/server example on Python-hosted sockets~n~n"),
    io:format("inet_db:tcp_module() = ~p~n", [inet_db:tcp_module()]),
    Self = self(),
    Server = spawn_link(fun() -> Self ! {server_done, server(Self)} end),
    Port = receive {listening, P} -> P end,
    [io:format("port program: python ~s, os pid ~p, protocol ~p~n", [Py, OsPid, Proto])
     || #{os_pid := OsPid, python := Py, protocol := Proto} <- pyinet:info()],
    client(Port),
    receive
        {server_done, Bin} ->
            io:format("server received ~p~n", [Bin]),
            io:format("~ndemo ok~n")
    after 10000 ->
            io:format("demo FAILED: no result from the server~n"),
            exit(Server, kill),
            halt(1)
    end.

client(Port) ->
    SomeHostInNet = "localhost", % to make it runnable on one machine
    {ok, Sock} = show("gen_tcp:connect(~p, ~p, [binary, {packet, 0}])", [SomeHostInNet, Port],
                      gen_tcp:connect(SomeHostInNet, Port, [binary, {packet, 0}])),
    ok = show("gen_tcp:send(Sock, \"Some Data\")", [], gen_tcp:send(Sock, "Some Data")),
    ok = show("gen_tcp:close(Sock)", [], gen_tcp:close(Sock)).

server(Parent) ->
    {ok, LSock} = show("gen_tcp:listen(0, [binary, {packet, 0}, {active, false}])", [],
                       gen_tcp:listen(0, [binary, {packet, 0}, {active, false}])),
    {ok, Port} = inet:port(LSock),
    Parent ! {listening, Port},
    {ok, Sock} = show("gen_tcp:accept(LSock)", [], gen_tcp:accept(LSock)),
    show("inet:peername(Sock)", [], inet:peername(Sock)),
    {ok, Bin} = do_recv(Sock, []),
    ok = show("gen_tcp:close(Sock)", [], gen_tcp:close(Sock)),
    ok = show("gen_tcp:close(LSock)", [], gen_tcp:close(LSock)),
    Bin.

do_recv(Sock, Bs) ->
    case show("gen_tcp:recv(Sock, 0)", [], gen_tcp:recv(Sock, 0)) of
        {ok, B} ->
            do_recv(Sock, [Bs, B]);
        {error, closed} ->
            {ok, list_to_binary(Bs)}
    end.

show(Format, Args, Result) ->
    Call = lists:flatten(io_lib:format(Format, Args)),
    io:format("~-58s -> ~ts~n", [Call, io_lib:print(Result, 1, 250, -1)]),
    Result.
