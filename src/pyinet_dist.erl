%% Erlang distribution carried by pyinet sockets: `erl -proto_dist pyinet`.
%%
%% A pyinet socket is not a port, so erlang:setnode/3 cannot take it; this is
%% OTP's process-based distribution (the erlang:dist_ctrl_* API), as kernel's
%% examples/gen_tcp_dist does it, over gen_tcp with {tcp_module, pyinet_tcp}.
%% Its sockets live in the port programs, so pyinet_fault can cut them:
%% pyinet_fault:partition([a@h, b@h], [c@h, d@h]) blackholes (or resets)
%% every distribution connection between the groups, and heal/0 lets them
%% connect again, with no root and no iptables.
%%
%% The wire is inet_tcp_dist's ({packet, 2} handshake, then {packet, 4}), so
%% a node running pyinet_dist and one running the default inet_tcp_dist
%% connect to each other. IPv4 only (as inet_tcp_dist); the node's pyinet
%% starts with the distribution (childspecs/0 puts it under kernel's net_sup,
%% where a node started with -sname/-name has it before any application).
%%
%% Each connection has the three processes of the example: the output
%% handler (the distribution controller, which sends what
%% dist_ctrl_get_data/1 gives), the input handler (the socket's owner, in
%% {active, N}, giving each packet to dist_ctrl_put_data/2) and the tick
%% handler; the channel supervisor is dist_util's.
-module(pyinet_dist).

%% net_kernel's protocol callbacks.
-export([childspecs/0, select/1, address/0, listen/1, listen/2, accept/1,
         accept_connection/5, setup/5, close/1, is_node_name/1, setopts/2, getopts/2]).

%% Internal exports (spawned, or called by the child spec).
-export([start_pyinet/0, accept_loop/2, do_accept/6, do_setup/6, controller_setup/2,
         input_setup/3, tick_handler/1]).

-include_lib("kernel/include/net_address.hrl").
-include_lib("kernel/include/dist.hrl").
-include_lib("kernel/include/dist_util.hrl").

-define(DRIVER, pyinet_tcp).
-define(OPTS, [{tcp_module, ?DRIVER}]).
%% {active, N} for the input handler: throughput, with backpressure when it
%% falls behind.
-define(ACTIVE_INPUT, 10).
%% Lingering signal binaries: off-heap message queues and full sweeps (cheap:
%% these processes keep almost nothing).
-define(SPAWN_OPTS, [{message_queue_data, off_heap}, {fullsweep_after, 0}]).

%%% net_kernel's callbacks.

%% pyinet's supervisor under kernel's net_sup, started before net_kernel: a
%% node distributed from its boot has no applications running yet.
childspecs() ->
    {ok, [#{id => pyinet_sup, start => {?MODULE, start_pyinet, []}, restart => permanent,
            shutdown => infinity, type => supervisor, modules => [pyinet_sup]}]}.

%% The application's keys apply (loading does not wait for kernel to start);
%% a pyinet already running (distribution started later) is used as it is.
start_pyinet() ->
    _ = application:load(pyinet),
    case whereis(pyinet_sup) of
        undefined -> pyinet_sup:start_link();
        _ -> ignore
    end.

select(Node) ->
    case split_node(atom_to_list(Node), $@, []) of
        [_, Host] ->
            case inet:getaddr(Host, inet) of
                {ok, _} -> true;
                _ -> false
            end;
        _ ->
            false
    end.

address() ->
    {ok, Host} = inet:gethostname(),
    #net_address{host = Host, protocol = tcp, family = inet}.

listen(Name) ->
    {ok, Host} = inet:gethostname(),
    listen(Name, Host).

listen(Name, _Host) ->
    ErlEpmd = net_kernel:epmd_module(),
    case do_listen([binary, {active, false}, {packet, 2}, {reuseaddr, true}]) of
        {ok, Socket} ->
            {ok, Port} = inet:port(Socket),
            Address = (address())#net_address{address = {{0, 0, 0, 0}, Port}},
            case ErlEpmd:register_node(Name, Port) of
                {ok, Creation} -> {ok, {Socket, Address, Creation}};
                Error -> Error
            end;
        Error ->
            Error
    end.

do_listen(Options) ->
    {First, Last} = case application:get_env(kernel, inet_dist_listen_min) of
                        {ok, N} when is_integer(N) ->
                            case application:get_env(kernel, inet_dist_listen_max) of
                                {ok, M} when is_integer(M) -> {N, M};
                                _ -> {N, N}
                            end;
                        _ ->
                            {0, 0}
                    end,
    do_listen(First, Last, ?OPTS ++ listen_options([{backlog, 128} | Options])).

do_listen(First, Last, _) when First > Last ->
    {error, eaddrinuse};
do_listen(First, Last, Options) ->
    case gen_tcp:listen(First, Options) of
        {error, eaddrinuse} -> do_listen(First + 1, Last, Options);
        Other -> Other
    end.

listen_options(Opts0) ->
    Opts1 = case application:get_env(kernel, inet_dist_use_interface) of
                {ok, Ip} -> [{ip, Ip} | Opts0];
                _ -> Opts0
            end,
    case application:get_env(kernel, inet_dist_listen_options) of
        {ok, ListenOpts} -> ListenOpts ++ Opts1;
        _ -> Opts1
    end.

accept(Listen) ->
    spawn_opt(?MODULE, accept_loop, [self(), Listen], [link, {priority, max}]).

accept_loop(Kernel, Listen) ->
    ok = ensure_named(),
    case gen_tcp:accept(Listen) of
        {ok, Socket} ->
            Ctrl = spawn_controller(Socket, accepted),
            hand_over(Socket, Ctrl),
            Kernel ! {accept, self(), Ctrl, inet, tcp},
            receive
                {Kernel, controller, Pid} ->
                    call(Ctrl, {supervisor, Pid}),
                    Pid ! {self(), controller};
                {Kernel, unsupported_protocol} ->
                    exit(unsupported_protocol)
            end,
            accept_loop(Kernel, Listen);
        Error ->
            exit(Error)
    end.

accept_connection(AcceptPid, Ctrl, MyNode, Allowed, SetupTime) ->
    spawn_opt(?MODULE, do_accept, [self(), AcceptPid, Ctrl, MyNode, Allowed, SetupTime],
              dist_util:net_ticker_spawn_options()).

do_accept(Kernel, AcceptPid, Ctrl, MyNode, Allowed, SetupTime) ->
    receive
        {AcceptPid, controller} ->
            Timer = dist_util:start_timer(SetupTime),
            HSData = (hs_data(Ctrl))#hs_data{kernel_pid = Kernel, this_node = MyNode,
                                             socket = Ctrl, timer = Timer, this_flags = 0,
                                             allowed = Allowed},
            dist_util:handshake_other_started(HSData)
    end.

setup(Node, Type, MyNode, LongOrShortNames, SetupTime) ->
    spawn_opt(?MODULE, do_setup, [self(), Node, Type, MyNode, LongOrShortNames, SetupTime],
              dist_util:net_ticker_spawn_options()).

do_setup(Kernel, Node, Type, MyNode, LongOrShortNames, SetupTime) ->
    ok = ensure_named(),
    [Name, Address] = splitnode(Node, LongOrShortNames),
    case inet:getaddr(Address, inet) of
        {ok, Ip} ->
            Timer = dist_util:start_timer(SetupTime),
            ErlEpmd = net_kernel:epmd_module(),
            case ErlEpmd:port_please(Name, Ip) of
                {port, TcpPort, Version} ->
                    dist_util:reset_timer(Timer),
                    Opts = ?OPTS ++ connect_options([binary, {active, false}, {packet, 2}]),
                    case gen_tcp:connect(Ip, TcpPort, Opts) of
                        {ok, Socket} ->
                            %% Known before the first byte: a partition cuts it now.
                            _ = pyinet_fault:peer_node(Socket, Node),
                            Ctrl = spawn_controller(Socket, {connected, Node}),
                            call(Ctrl, {supervisor, self()}),
                            hand_over(Socket, Ctrl),
                            HSData = (hs_data(Ctrl))#hs_data{
                                       kernel_pid = Kernel, other_node = Node,
                                       this_node = MyNode, socket = Ctrl, timer = Timer,
                                       this_flags = 0, other_version = Version,
                                       request_type = Type},
                            dist_util:handshake_we_started(HSData);
                        _ ->
                            ?shutdown(Node)
                    end;
                _ ->
                    ?shutdown(Node)
            end;
        _ ->
            ?shutdown(Node)
    end.

connect_options(Opts) ->
    case application:get_env(kernel, inet_dist_connect_options) of
        {ok, ConnectOpts} -> ConnectOpts ++ Opts;
        _ -> Opts
    end.

close(Listen) ->
    gen_tcp:close(Listen).

is_node_name(Node) when is_atom(Node) ->
    case split_node(atom_to_list(Node), $@, []) of
        [_, _Host] -> true;
        _ -> false
    end;
is_node_name(_) ->
    false.

setopts(S, Opts) ->
    case [Opt || {K, _} = Opt <- Opts, K =:= active orelse K =:= deliver orelse K =:= packet] of
        [] -> inet:setopts(S, Opts);
        Opts1 -> {error, {badopts, Opts1}}
    end.

getopts(S, Opts) ->
    inet:getopts(S, Opts).

%% pyinet's port programs started before net_kernel named this node (it does
%% so after listen/2 and accept/1): once it has, they are told their router
%% and port again, so that the sockets made from now on carry them as they
%% are encoded now. net_kernel names the node right after accept/1 returns.
ensure_named() ->
    case persistent_term:get({?MODULE, named}, false) of
        true ->
            ok;
        false ->
            wait_alive(2000),
            [pyinet_router:refresh(R) || {R, _} <- pyinet_pool:routers()],
            persistent_term:put({?MODULE, named}, true),
            ok
    end.

wait_alive(0) -> ok;
wait_alive(N) ->
    case erlang:is_alive() of
        true -> ok;
        false -> timer:sleep(5), wait_alive(N - 1)
    end.

%%% The handshake's view of a connection: everything goes through its controller.

hs_data(Ctrl) ->
    TickHandler = call(Ctrl, tick_handler),
    Socket = call(Ctrl, socket),
    #hs_data{f_send = fun(C, Packet) -> call(C, {send, Packet}) end,
             f_recv = fun(C, Length, Timeout) ->
                              case call(C, {recv, Length, Timeout}) of
                                  {ok, Bin} when is_binary(Bin) -> {ok, binary_to_list(Bin)};
                                  Other -> Other
                              end
                      end,
             f_setopts_pre_nodeup = fun(C) -> call(C, pre_nodeup) end,
             f_setopts_post_nodeup = fun(C) -> call(C, post_nodeup) end,
             f_getll = fun(C) -> call(C, getll) end,
             f_handshake_complete = fun(C, Node, DHandle) ->
                                            call(C, {handshake_complete, Node, DHandle})
                                    end,
             f_address = fun(C, Node) ->
                                 case call(C, {address, Node}) of
                                     {error, no_node} -> ?shutdown(no_node);
                                     Res -> Res
                                 end
                         end,
             mf_setopts = fun(C, Opts) when C =:= Ctrl -> setopts(Socket, Opts) end,
             mf_getopts = fun(C, Opts) when C =:= Ctrl -> getopts(Socket, Opts) end,
             mf_getstat = fun(C) when C =:= Ctrl ->
                                  case inet:getstat(Socket, [recv_cnt, send_cnt, send_pend]) of
                                      {ok, Stat} -> split_stat(Stat, 0, 0, 0);
                                      Error -> Error
                                  end
                          end,
             mf_tick = fun(C) when C =:= Ctrl -> TickHandler ! tick end}.

split_stat([{recv_cnt, R} | Stat], _, W, P) -> split_stat(Stat, R, W, P);
split_stat([{send_cnt, W} | Stat], R, _, P) -> split_stat(Stat, R, W, P);
split_stat([{send_pend, P} | Stat], R, W, _) -> split_stat(Stat, R, W, P);
split_stat([], R, W, P) -> {ok, R, W, P}.

call(Ctrl, Msg) ->
    Ref = erlang:monitor(process, Ctrl),
    Ctrl ! {Ref, self(), Msg},
    receive
        {Ref, Res} ->
            erlang:demonitor(Ref, [flush]),
            Res;
        {'DOWN', Ref, process, Ctrl, Reason} ->
            exit({dist_controller_exit, Reason})
    end.

hand_over(Socket, Pid) ->
    flush_to(Pid, Socket),
    ok = gen_tcp:controlling_process(Socket, Pid),
    flush_to(Pid, Socket).

flush_to(Pid, Socket) ->
    receive
        {tcp, Socket, Data} -> Pid ! {tcp, Socket, Data}, flush_to(Pid, Socket);
        {tcp_closed, Socket} -> Pid ! {tcp_closed, Socket}, flush_to(Pid, Socket)
    after 0 ->
            ok
    end.

%%% The connection's processes.

nodelay() ->
    case application:get_env(kernel, dist_nodelay) of
        {ok, false} -> {nodelay, false};
        _ -> {nodelay, true}
    end.

%% Ticks go out from a process of their own at max priority: gen_tcp has no
%% non-blocking send, and the channel supervisor must not block on one.
tick_handler(Socket) ->
    receive
        tick -> sock_send(Socket, "");
        _ -> ok
    end,
    tick_handler(Socket).

spawn_controller(Socket, Side) ->
    spawn_opt(?MODULE, controller_setup, [Socket, Side], [{priority, max} | ?SPAWN_OPTS]).

controller_setup(Socket, Side) ->
    TickHandler = spawn_opt(?MODULE, tick_handler, [Socket], [link, {priority, max} | ?SPAWN_OPTS]),
    setup_loop(Socket, TickHandler, undefined, Side).

%% During the handshake the controller does what dist_util asks of the socket;
%% once it is complete it spawns the input handler and becomes the output
%% handler. On the accepting side the first packet names the other node
%% (the handshake's send_name): the socket is labelled with it at once.
setup_loop(Socket, TickHandler, Sup, Side) ->
    receive
        {tcp_closed, Socket} ->
            exit(connection_closed);
        {Ref, From, {supervisor, Pid}} ->
            Res = link(Pid),
            From ! {Ref, Res},
            setup_loop(Socket, TickHandler, Pid, Side);
        {Ref, From, tick_handler} ->
            From ! {Ref, TickHandler},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, socket} ->
            From ! {Ref, Socket},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, {send, Packet}} ->
            From ! {Ref, gen_tcp:send(Socket, Packet)},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, {recv, Length, Timeout}} ->
            Res = gen_tcp:recv(Socket, Length, Timeout),
            Side1 = case {Side, Res} of
                        {accepted, {ok, Name}} -> name_peer(Socket, Name), named;
                        _ -> Side
                    end,
            From ! {Ref, Res},
            setup_loop(Socket, TickHandler, Sup, Side1);
        {Ref, From, getll} ->
            From ! {Ref, {ok, self()}},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, {address, Node}} ->
            Res = case inet:peername(Socket) of
                      {ok, Address} ->
                          case split_node(atom_to_list(Node), $@, []) of
                              [_, Host] ->
                                  #net_address{address = Address, host = Host,
                                               protocol = tcp, family = inet};
                              _ ->
                                  {error, no_node}
                          end;
                      _ ->
                          {error, no_node}
                  end,
            From ! {Ref, Res},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, pre_nodeup} ->
            From ! {Ref, inet:setopts(Socket, [{active, false}, {packet, 4}, nodelay()])},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, post_nodeup} ->
            From ! {Ref, inet:setopts(Socket, [{active, false}, {packet, 4}, nodelay()])},
            setup_loop(Socket, TickHandler, Sup, Side);
        {Ref, From, {handshake_complete, _Node, DHandle}} ->
            From ! {Ref, ok},
            Input = spawn_opt(?MODULE, input_setup, [DHandle, Socket, Sup], [link | ?SPAWN_OPTS]),
            hand_over(Socket, Input),
            ok = erlang:dist_ctrl_input_handler(DHandle, Input),
            Input ! DHandle,
            process_flag(priority, normal),
            erlang:dist_ctrl_get_data_notification(DHandle),
            output_loop(DHandle, Socket)
    end.

%% The handshake's name message: 'n' (version 5: flags 32 bits) or 'N'
%% (version 6: flags 64 bits, creation), then the node name.
name_peer(Socket, <<$n, _Version:16, _Flags:32, Name/binary>>) ->
    peer_is(Socket, Name);
name_peer(Socket, <<$N, _Flags:64, _Creation:32, Len:16, Name:Len/binary, _/binary>>) ->
    peer_is(Socket, Name);
name_peer(_Socket, _) ->
    ok.

peer_is(Socket, Name) ->
    try binary_to_atom(Name) of
        Node -> _ = pyinet_fault:peer_node(Socket, Node), ok
    catch error:_ -> ok
    end.

input_setup(DHandle, Socket, Sup) ->
    link(Sup),
    %% Not before it is registered as the input handler.
    receive DHandle -> input_loop(DHandle, Socket, 0) end.

input_loop(DHandle, Socket, N) when N =< ?ACTIVE_INPUT / 2 ->
    ok = inet:setopts(Socket, [{active, ?ACTIVE_INPUT - N}]),
    input_loop(DHandle, Socket, ?ACTIVE_INPUT);
input_loop(DHandle, Socket, N) ->
    receive
        {tcp_closed, Socket} ->
            exit(connection_closed);
        {tcp, Socket, Data} ->
            try erlang:dist_ctrl_put_data(DHandle, Data)
            catch _:_ -> death_row()
            end,
            input_loop(DHandle, Socket, N - 1);
        {tcp_passive, Socket} ->
            input_loop(DHandle, Socket, 0);
        _ ->
            input_loop(DHandle, Socket, N)
    end.

output_loop(DHandle, Socket) ->
    receive
        dist_data ->
            try send_data(DHandle, Socket)
            catch _:_ -> death_row()
            end,
            output_loop(DHandle, Socket);
        _ ->
            output_loop(DHandle, Socket)
    end.

send_data(DHandle, Socket) ->
    case erlang:dist_ctrl_get_data(DHandle) of
        none ->
            erlang:dist_ctrl_get_data_notification(DHandle);
        Data ->
            sock_send(Socket, Data),
            send_data(DHandle, Socket)
    end.

sock_send(Socket, Data) ->
    try gen_tcp:send(Socket, Data) of
        ok -> ok;
        {error, Reason} -> death_row({send_error, Reason})
    catch Class:Reason -> death_row({send_error, {Class, Reason}})
    end.

%% When the connection goes down the parts fail one by one: wait to be taken
%% down by the others (so the reason stays theirs), at most five seconds.
death_row() ->
    death_row(connection_closed).

death_row(normal) ->
    death_row();
death_row(Reason) ->
    receive after 5000 -> exit(Reason) end.

%%% Node names.

splitnode(Node, LongOrShortNames) ->
    case split_node(atom_to_list(Node), $@, []) of
        [Name | Tail] when Tail =/= [] ->
            Host = lists:append(Tail),
            case split_node(Host, $., []) of
                [_] when LongOrShortNames =:= longnames ->
                    case inet:parse_address(Host) of
                        {ok, _} -> [Name, Host];
                        _ -> ?shutdown(Node)
                    end;
                L when length(L) > 1, LongOrShortNames =:= shortnames ->
                    ?shutdown(Node);
                _ ->
                    [Name, Host]
            end;
        _ ->
            ?shutdown(Node)
    end.

split_node([Chr | T], Chr, Ack) -> [lists:reverse(Ack) | split_node(T, Chr, [])];
split_node([H | T], Chr, Ack) -> split_node(T, Chr, [H | Ack]);
split_node([], _, Ack) -> [lists:reverse(Ack)].
