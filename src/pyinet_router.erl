%% The process that owns one port program (python -m bridge).
%%
%% Every frame the port program writes is {Dest, Msg}: the router delivers it with
%% Dest ! Msg and does nothing else with it. Frames {pyinet, Control} are for the
%% router itself: the hello, and the socket registry it keeps so that it can
%% watch socket owners (an owner that dies closes its sockets, as a linked port
%% would), serve inet:monitor/1, and tell every owner when the port program dies.
%%
%% Requests do not pass through here: callers write them to the port directly
%% (pyinet_request). They monitor this process, so when the port program dies and
%% the router with it, every pending call returns {error, closed}.
-module(pyinet_router).
-behaviour(gen_server).

%% API.
-export([start_link/1, info/1, monitor_socket/2, cancel_monitor/2, monitors/1, refresh/1]).

%% gen_server.
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-define(PROTOCOL, 4).
-define(SAMPLE, 64).
-define(PAUSE_CHECK_MS, 20).
-define(PAUSE_GIVE_UP_MS, 5000).
-define(HELLO_TIMEOUT, 30000).
-define(ALIVE_CHECK_MS, 1000).

-record(state, {
          port :: port(),
          index :: pos_integer(),  % this router's slot in the pool
          os_pid :: integer() | undefined,
          info = #{} :: map(),
          %% Socket handle -> owner pid.
          sockets = #{} :: #{term() => pid()},
          %% Pid -> {Sockets owned, Watches asked by the bridge}.
          watched = #{} :: #{pid() => {non_neg_integer(), non_neg_integer()}},
          watcher :: pid(),  % pyinet_watcher: tells the port program of exits
          %% Socket handle -> [{MonitorRef, Pid}] for inet:monitor/1 and
          %% socket:monitor/1, newest first; and each monitoring process,
          %% watched so that its monitors go when it does (as a port's and
          %% the socket registry's do).
          monitors = #{} :: #{term() => [{reference(), pid()}]},
          monitoring = #{} :: #{pid() => {reference(), pos_integer()}},
          %% Frames delivered: every ?SAMPLE-th, the destination's mailbox is looked at.
          delivered = 0 :: non_neg_integer(),
          %% Owners whose {active, true} sockets are paused because their mailbox
          %% is too long (since when its length last went down, and to what), and
          %% owners not paused again until their mailbox is short (exempt).
          paused = #{} :: #{pid() => {integer(), non_neg_integer()} | exempt},
          queue_high :: pos_integer(),
          queue_low :: non_neg_integer(),
          %% Socket id -> {Id, Outstanding, HighWatermark, Busy, Room, Active}
          %% for the sockets that may be sent to without waiting (see
          %% pyinet_tcp:send/2); Active is 1 once the socket may have sent its
          %% owner messages (pyinet_tcp:close/1).
          sendable :: ets:tid()
         }).

%% API.

-spec start_link(non_neg_integer()) -> {ok, pid()} | {error, term()}.
start_link(Index) ->
    gen_server:start_link(?MODULE, [Index], []).

%% What the port program announced in its hello, plus its OS pid.
-spec info(pid()) -> map().
info(Router) ->
    gen_server:call(Router, info).

%% inet:monitor/1 on a socket of this router: a reference whose 'DOWN' message
%% arrives when the socket closes (at once if it is already closed).
-spec monitor_socket(pid(), term()) -> reference().
monitor_socket(Router, Socket) ->
    MRef = make_ref(),
    Self = self(),
    try gen_server:call(Router, {monitor, Socket, MRef, Self}) of
        ok -> MRef
    catch exit:_ ->
        Self ! down(MRef, Socket, noproc),
        MRef
    end.

-spec cancel_monitor(pid(), reference()) -> boolean().
cancel_monitor(Router, MRef) ->
    try gen_server:call(Router, {cancel_monitor, MRef})
    catch exit:_ -> false
    end.

%% The monitors of this router's sockets: {Socket, MonitorRef, Pid}.
-spec monitors(pid()) -> [{term(), reference(), pid()}].
monitors(Router) ->
    try gen_server:call(Router, monitors)
    catch exit:_ -> []
    end.

%% Tell the port program again who its router and port are, as they are
%% encoded now: a node that became alive since it started (distribution
%% started after pyinet, or pyinet_dist's own boot) encodes them with its new
%% name. pyinet_dist calls it as soon as the node is alive; otherwise the
%% router notices within ALIVE_CHECK_MS.
-spec refresh(pid()) -> ok.
refresh(Router) ->
    gen_server:call(Router, refresh).

%% gen_server.

init([Index]) ->
    process_flag(trap_exit, true),
    case pyinet_bridge:open_port() of
        {ok, Port} ->
            await_hello(Index, Port);
        {error, Reason} ->
            {stop, Reason}
    end.

await_hello(Index, Port) ->
    receive
        {Port, {data, Frame}} ->
            case decode_frame(Frame) of
                {pyinet, {hello, #{protocol := ?PROTOCOL} = Info}} ->
                    Sendable = ets:new(pyinet_sendable, [set, public, {write_concurrency, true},
                                                         {read_concurrency, true}]),
                    %% With how the client counts each send there.
                    Count = maps:get(send_count, Info),
                    persistent_term:put({pyinet_sendable, self()}, {Sendable, Count}),
                    ok = send_init(Port, Index),
                    {Seed, Rules} = pyinet_fault:program_state(),
                    Rules =:= [] andalso Seed =:= 0 orelse
                        erlang:port_command(Port, term_to_binary({pyinet, {faults, Seed, Rules}})),
                    pyinet_pool:joined(self(), Port, Index),
                    erlang:is_alive() orelse erlang:send_after(?ALIVE_CHECK_MS, self(), check_alive),
                    {ok, #state{port = Port, index = Index,
                                watcher = pyinet_watcher:start_link(self(), Port),
                                os_pid = maps:get(os_pid, Info, undefined),
                                info = Info,
                                queue_high = application:get_env(pyinet, owner_queue_high, 2000),
                                queue_low = application:get_env(pyinet, owner_queue_low, 200),
                                sendable = Sendable}};
                {pyinet, {hello, #{protocol := Other}}} ->
                    close_port(Port),
                    {stop, {incompatible_protocol, Other, ?PROTOCOL}};
                Bad ->
                    close_port(Port),
                    {stop, {bad_hello, Bad}}
            end;
        {Port, {exit_status, Status}} ->
            {stop, {bridge_exited, Status, pyinet_bridge:explain_exit(Status)}}
    after ?HELLO_TIMEOUT ->
            close_port(Port),
            {stop, hello_timeout}
    end.

handle_call(info, _From, #state{info = Info, os_pid = OsPid, sockets = Sockets} = State) ->
    {reply, Info#{os_pid => OsPid, sockets => map_size(Sockets)}, State};
handle_call({monitor, Socket, MRef, Pid}, _From, #state{sockets = Sockets} = State) ->
    case Sockets of
        #{Socket := _} ->
            Monitors = maps:update_with(Socket, fun(L) -> [{MRef, Pid} | L] end,
                                        [{MRef, Pid}], State#state.monitors),
            {reply, ok, monitoring(Pid, 1, State#state{monitors = Monitors})};
        #{} ->
            Pid ! down(MRef, Socket, noproc),
            {reply, ok, State}
    end;
handle_call({cancel_monitor, MRef}, _From, #state{monitors = Monitors} = State) ->
    {Found, Monitors1} = maps:fold(
                           fun(S, L, {F, Acc}) ->
                                   case lists:keytake(MRef, 1, L) of
                                       {value, {_, Pid}, []} -> {Pid, maps:remove(S, Acc)};
                                       {value, {_, Pid}, L1} -> {Pid, Acc#{S := L1}};
                                       false -> {F, Acc}
                                   end
                           end, {false, Monitors}, Monitors),
    case Found of
        false -> {reply, false, State};
        Pid -> {reply, true, monitoring(Pid, -1, State#state{monitors = Monitors1})}
    end;
handle_call(monitors, _From, #state{monitors = Monitors} = State) ->
    {reply, [{S, MRef, Pid} || {S, L} <- maps:to_list(Monitors), {MRef, Pid} <- L], State};
handle_call(refresh, _From, State) ->
    {reply, send_init(State#state.port, State#state.index), State};
handle_call(_Request, _From, State) ->
    {reply, {error, badarg}, State}.

handle_cast(_Msg, State) ->
    {noreply, State}.

handle_info({Port, {data, Frame}}, #state{port = Port} = State) ->
    case binary_to_term(Frame) of
        {pyinet, Control} ->
            {noreply, control(Control, State)};
        {Dest, Msg} ->
            deliver(Dest, Msg, State);
        {Dest, Msg, Controls} ->
            %% Control messages made before Msg, sent with it (PROTOCOL.md).
            deliver(Dest, Msg, control({controls, Controls}, State))
    end;
handle_info(check_alive, State) ->
    case erlang:is_alive() of
        true -> send_init(State#state.port, State#state.index);
        false -> erlang:send_after(?ALIVE_CHECK_MS, self(), check_alive)
    end,
    {noreply, State};
handle_info(check_paused, State) ->
    {noreply, check_paused(State)};
handle_info({closed, Socket}, State) ->
    %% A close not waited for (pyinet_tcp:close/1): the socket is gone now,
    %% and the program sends no {closed, S} of its own for it.
    {noreply, control({closed, Socket}, State)};
handle_info({forward_send, Id, Data, Size, Reply}, #state{port = Port} = State) ->
    %% A send from another node (pyinet_request:send_remote/4).
    ok = pyinet_tcp:router_send(Port, Id, Data, Size, Reply),
    {noreply, State};
handle_info({forward, Frame}, #state{port = Port} = State) ->
    %% A request from a process on another node, which cannot reach the port.
    erlang:port_command(Port, Frame),
    {noreply, State};
handle_info({'DOWN', Ref, process, Pid, _}, #state{monitoring = Monitoring} = State)
  when is_map_key(Pid, Monitoring) ->
    %% A process with socket monitors is gone: so are its monitors.
    {Ref, _} = maps:get(Pid, Monitoring),
    Monitors = maps:filtermap(fun(_S, L) ->
                                      case [M || {_, P} = M <- L, P =/= Pid] of
                                          [] -> false;
                                          L1 -> {true, L1}
                                      end
                              end, State#state.monitors),
    {noreply, State#state{monitors = Monitors, monitoring = maps:remove(Pid, Monitoring)}};
handle_info({owner_down, Pid}, #state{watched = Watched} = State) ->
    %% The watcher has told the port program already.
    pyinet_pool:owner_removed(Pid, State#state.index),
    {noreply, State#state{watched = maps:remove(Pid, Watched)}};
handle_info({Port, {exit_status, Status}}, #state{port = Port} = State) ->
    {stop, {bridge_exited, Status, pyinet_bridge:explain_exit(Status)}, State};
handle_info({'EXIT', Watcher, Reason}, #state{watcher = Watcher} = State) ->
    {stop, {watcher_exited, Reason}, State};
handle_info({'EXIT', Port, Reason}, #state{port = Port} = State) ->
    {stop, {bridge_exited, Reason}, State};
handle_info(_Info, State) ->
    {noreply, State}.

terminate(Reason, #state{port = Port} = State) ->
    pyinet_pool:left(self()),
    persistent_term:erase({pyinet_sendable, self()}),
    close_port(Port),
    case Reason of
        normal -> ok;
        shutdown -> ok;
        {shutdown, _} -> ok;
        _ -> logger:error("pyinet: port program ~p stopped: ~p", [State#state.os_pid, Reason])
    end,
    notify_bridge_gone(State),
    ok.

%% Internal.

%% Who the port program's router and port are, as they are encoded now.
send_init(Port, Index) ->
    true = erlang:port_command(Port, term_to_binary({pyinet, {init, #{router => self(),
                                                                      port => Port,
                                                                      index => Index}}})),
    ok.

%% Dest ! Msg for the port program; every ?SAMPLE-th delivery looks at the
%% receiver's mailbox.
deliver(Dest, Msg, State) ->
    Dest ! Msg,
    case State#state.delivered + 1 of
        N when N rem ?SAMPLE =:= 0 -> {noreply, check_mailbox(Dest, State#state{delivered = N})};
        N -> {noreply, State#state{delivered = N}}
    end.

%% Backpressure on owners. An owner in {active, true} that stops reading would
%% otherwise collect messages without bound (as with native gen_tcp); here its
%% sockets stop reading from the network instead, and TCP holds the peer back,
%% until the mailbox is short again. Nothing is dropped or reordered.
check_mailbox(Dest, #state{paused = Paused, queue_high = High, port = Port} = State)
  when is_pid(Dest), node(Dest) =:= node(), not is_map_key(Dest, Paused) ->
    case erlang:process_info(Dest, message_queue_len) of
        {message_queue_len, Len} when Len > High ->
            erlang:port_command(Port, term_to_binary({pyinet, {pause, Dest}})),
            map_size(Paused) =:= 0 andalso erlang:send_after(?PAUSE_CHECK_MS, self(), check_paused),
            State#state{paused = Paused#{Dest => {erlang:monotonic_time(millisecond), Len}}};
        _ ->
            State
    end;
check_mailbox(_Dest, State) ->
    State.

check_paused(#state{paused = Paused, queue_low = Low, port = Port} = State) ->
    Now = erlang:monotonic_time(millisecond),
    Still = maps:filtermap(
              fun(Pid, Entry) ->
                      case {erlang:process_info(Pid, message_queue_len), Entry} of
                          {undefined, _} ->
                              false;  % gone: the port program hears of it from the watcher
                          {{message_queue_len, Len}, exempt} ->
                              Len > Low;
                          {{message_queue_len, Len}, _} when Len =< Low ->
                              resume(Port, Pid),
                              false;
                          {{message_queue_len, Len}, {_, Shortest}} when Len < Shortest ->
                              {true, {Now, Len}};
                          {{message_queue_len, Len}, {Since, _}} when Now - Since >= ?PAUSE_GIVE_UP_MS ->
                              %% Its mailbox has not shrunk for a while: it may be
                              %% waiting, in a selective receive, for the very data
                              %% held back. Deliver again, and go on delivering
                              %% until its mailbox is short.
                              logger:warning("pyinet: ~p keeps ~b messages unread; its sockets "
                                             "are no longer held back", [Pid, Len]),
                              resume(Port, Pid),
                              {true, exempt};
                          _ ->
                              true
                      end
              end, Paused),
    map_size(Still) > 0 andalso erlang:send_after(?PAUSE_CHECK_MS, self(), check_paused),
    State#state{paused = Still}.

resume(Port, Pid) ->
    erlang:port_command(Port, term_to_binary({pyinet, {resume, Pid}})).

control({controls, Controls}, State) ->
    lists:foldl(fun control/2, State, Controls);
control({owner, Socket, Pid}, #state{sockets = Sockets} = State) ->
    State1 = case Sockets of
                 #{Socket := Pid} -> State;
                 #{Socket := Old} -> release(Old, sockets, State);
                 #{} -> pyinet_pool:socket_opened(State#state.index), State
             end,
    State2 = hold(Pid, sockets, State1),
    State2#state{sockets = (State2#state.sockets)#{Socket => Pid}};
control({closed, Socket}, State) ->
    control({closed, Socket, normal}, State);
control({closed, Socket, Info}, #state{sockets = Sockets, monitors = Monitors,
                                       sendable = T} = State) ->
    case Socket of
        {'$inet', _, {_, _, Id}} -> ets:delete(T, Id);
        _ -> ok
    end,
    Down = maps:get(Socket, Monitors, []),
    [Pid ! down(MRef, Socket, Info) || {MRef, Pid} <- Down],
    pyinet_fault:socket_closed(Socket),
    State1 = lists:foldl(fun({_, Pid}, St) -> monitoring(Pid, -1, St) end,
                         State#state{monitors = maps:remove(Socket, Monitors)}, Down),
    case Sockets of
        #{Socket := Owner} ->
            pyinet_pool:socket_closed(State#state.index),
            release(Owner, sockets, State1#state{sockets = maps:remove(Socket, Sockets)});
        #{} ->
            State1
    end;
control({sendable, Id, High, Room, Active}, #state{sendable = T} = State) ->
    Flag = case Active of true -> 1; false -> 0 end,
    ets:insert_new(T, {Id, 0, High, 0, Room, Flag})
        orelse ets:update_element(T, Id, [{3, High}, {5, Room}]
                                         ++ [{6, 1} || Active]),
    State;
control({busy, Id, Busy}, #state{sendable = T} = State) ->
    %% The socket may have become unsendable (and left the table) since.
    _ = ets:update_element(T, Id, {4, case Busy of true -> 1; false -> 0 end}),
    State;
control({unsendable, Id}, #state{sendable = T} = State) ->
    ets:delete(T, Id),
    State;
control({acked, Acks}, #state{sendable = T} = State) ->
    [acked(T, Id, Bytes, Room) || {Id, Bytes, Room} <- Acks],
    State;
control({watch, Pid}, State) ->
    hold(Pid, watches, State);
control({unwatch, Pid}, State) ->
    release(Pid, watches, State);
control(Other, State) ->
    logger:warning("pyinet: unknown control message from the port program: ~tp", [Other]),
    State.

%% Count a monitoring process's monitors up or down, watching it while it has any.
monitoring(Pid, N, #state{monitoring = Monitoring} = State) ->
    case {maps:get(Pid, Monitoring, undefined), N} of
        {undefined, 1} ->
            State#state{monitoring = Monitoring#{Pid => {erlang:monitor(process, Pid), 1}}};
        {undefined, _} ->
            State;
        {{Ref, 1}, -1} ->
            erlang:demonitor(Ref, [flush]),
            State#state{monitoring = maps:remove(Pid, Monitoring)};
        {{Ref, Count}, _} ->
            State#state{monitoring = Monitoring#{Pid := {Ref, Count + N}}}
    end.

hold(Pid, What, #state{watched = Watched, index = Index, watcher = Watcher} = State) ->
    Entry = case Watched of
                #{Pid := E} -> E;
                #{} -> pyinet_watcher:watch(Watcher, Pid), {0, 0}
            end,
    case {What, Entry} of
        {sockets, {0, _}} -> pyinet_pool:owner_added(Pid, Index);
        _ -> ok
    end,
    State#state{watched = Watched#{Pid => bump(What, 1, Entry)}}.

release(Pid, What, #state{watched = Watched, index = Index, watcher = Watcher} = State) ->
    case Watched of
        #{Pid := Entry} ->
            case bump(What, -1, Entry) of
                {S, W} when S =< 0, W =< 0 ->
                    pyinet_watcher:unwatch(Watcher, Pid),
                    pyinet_pool:owner_removed(Pid, Index),
                    State#state{watched = maps:remove(Pid, Watched)};
                {0, _} = Entry1 ->
                    pyinet_pool:owner_removed(Pid, Index),
                    State#state{watched = Watched#{Pid := Entry1}};
                Entry1 ->
                    State#state{watched = Watched#{Pid := Entry1}}
            end;
        #{} ->
            State
    end.

bump(sockets, N, {S, W}) -> {S + N, W};
bump(watches, N, {S, W}) -> {S, W + N}.

%% The port program is gone: its sockets are closed. Owners hear it the way an
%% active socket reports a close ({tcp_closed, S}, documented in PROTOCOL.md), and
%% monitors of the sockets get their 'DOWN'.
notify_bridge_gone(#state{sockets = Sockets, monitors = Monitors}) ->
    maps:foreach(fun({'$inet', Mod, _} = S, Owner) ->
                         Owner ! {closed_tag(Mod), S};
                    (_, _) -> ok
                 end, Sockets),
    maps:foreach(fun(S, L) ->
                         [Pid ! down(MRef, S, noconnection) || {MRef, Pid} <- L]
                 end, Monitors).

%% The 'DOWN' message of a socket monitor: inet:monitor/1's for a port-like
%% socket, socket:monitor/1's (type socket, always `closed`, as OTP's
%% socket_registry says it) for a pyinet_socket one.
down(MRef, {'$socket', _} = Socket, _Info) -> {'DOWN', MRef, socket, Socket, closed};
down(MRef, Socket, Info) -> {'DOWN', MRef, port, Socket, Info}.

closed_tag(pyinet_udp) -> udp_closed;
closed_tag(pyinet_sctp) -> sctp_closed;
closed_tag(_) -> tcp_closed.

%% Credit back for a sendable socket, with the kernel's room as it is now;
%% one that has left the table since (it is unsendable now) has nothing to
%% count. The room first: a sender that reads between the two sees the old
%% count with the new room, never the new count with the old room (which the
%% bytes acked here have used).
acked(T, Id, Bytes, Room) ->
    _ = ets:update_element(T, Id, {5, Room}),
    try ets:update_counter(T, Id, {2, -Bytes})
    catch error:badarg -> 0
    end.

%% A frame as a term (`catch Expr` is deprecated from OTP 29).
decode_frame(Frame) ->
    try binary_to_term(Frame)
    catch error:Reason -> {undecodable, Reason}
    end.

close_port(Port) ->
    try erlang:port_close(Port)
    catch error:badarg -> true  % closed already
    end.
