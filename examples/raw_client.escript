#!/usr/bin/env escript
%% A client of `python -m bridge` with nothing but open_port/2 (no pyinet
%% module on the code path): connect to a local server, send, receive in active
%% mode, close; every frame is printed as it crosses the port. See PROTOCOL.md.
%%
%% Usage: escript examples/raw_client.escript [PYTHON]   (run from the repository root)

main(Args) ->
    Python = case Args of [P] -> P; [] -> os:getenv("PYINET_PYTHON", "python3") end,
    Root = filename:dirname(filename:dirname(filename:absname(escript:script_name()))),
    %% The native server the bridge will connect to.
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, ServerPort} = inet:port(L),
    Exe = case lists:member($/, Python) of
              true -> filename:absname(Python);
              false -> os:find_executable(Python)
          end,
    Port = open_port({spawn_executable, Exe},
                     [{args, ["-m", "bridge"]}, {packet, 4}, binary, exit_status, use_stdio,
                      {env, [{"PYTHONPATH", Root}]}]),
    {pyinet, {hello, #{protocol := 4} = Info}} = frame_in(Port),
    io:format("bridge speaks protocol 4, os pid ~p~n", [maps:get(os_pid, Info)]),
    frame_out(Port, {pyinet, {init, #{router => self(), port => Port}}}),
    {ok, S} = call(Port, {tcp_connect, inet, {127, 0, 0, 1}, ServerPort, undefined, 0,
                          [{mode, binary}, {active, true}], 5000}),
    {'$inet', _, {_, _, Id}} = S,
    {ok, A} = gen_tcp:accept(L, 5000),
    ok = call(Port, {tcp_send, Id, <<"hello from the bridge">>}),
    {ok, Got} = gen_tcp:recv(A, 0, 5000),
    io:format("server received ~p~n", [Got]),
    ok = gen_tcp:send(A, <<"hello from the server">>),
    {tcp, S, Data} = until_socket_message(Port),
    io:format("active message carried ~p~n", [Data]),
    ok = call(Port, {tcp_close, Id}),
    port_close(Port),
    gen_tcp:close(A),
    io:format("raw client ok~n").

call(Port, Request) ->
    Ref = make_ref(),
    frame_out(Port, {Ref, self(), Request}),
    wait_reply(Port, Ref).

%% A frame is {Dest, Msg} or {Dest, Msg, Controls}: control messages for a
%% client that keeps sockets' books (this one does not) travel with it.
wait_reply(Port, Ref) ->
    case frame_in(Port) of
        {Pid, {Ref, Reply}} when Pid =:= self() -> Reply;
        {Pid, {Ref, Reply}, _Controls} when Pid =:= self() -> Reply;
        _Other -> wait_reply(Port, Ref)
    end.

until_socket_message(Port) ->
    case frame_in(Port) of
        {Pid, {tcp, _, _} = Msg} when Pid =:= self() -> Msg;
        {Pid, {tcp, _, _} = Msg, _Controls} when Pid =:= self() -> Msg;
        _Other -> until_socket_message(Port)
    end.

frame_out(Port, Term) ->
    io:format(">> ~0p~n", [Term]),
    true = port_command(Port, term_to_binary(Term)).

frame_in(Port) ->
    receive
        {Port, {data, Bin}} ->
            Term = binary_to_term(Bin),
            io:format("<< ~0p~n", [Term]),
            Term;
        {Port, {exit_status, N}} ->
            io:format("bridge exited with status ~p~n", [N]),
            halt(1)
    after 10000 ->
            io:format("no frame from the bridge~n"),
            halt(1)
    end.
