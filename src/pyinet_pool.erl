%% The running port programs, and the choice of one for a new socket.
%%
%% pyinet runs `routers` port programs (application key; default: one per
%% scheduler), each owned by its router. A new socket goes to the port program
%% that already hosts sockets of the calling process, if one does: messages to a
%% process then all come through one router, in the order they were caused (two
%% port programs could otherwise deliver, say, a peer's {tcp_closed, S} before
%% the {tcp_error, S2, _} that caused it). Otherwise it goes to the one hosting
%% the fewest sockets: each router counts its sockets in a slot of a shared
%% counters array and records its owners in a shared table. The list of routers
%% lives in a persistent term: read on every new socket, written only when a
%% port program starts or stops.
%%
%% With the application key `bridge_node` set to another node, sockets are hosted
%% by that node's port programs: this node's processes own and use them through
%% ordinary distribution.
-module(pyinet_pool).

%% API.
-export([pick/0, routers/0, size/0, joined/3, left/1, socket_opened/1, socket_closed/1,
         owner_added/2, owner_removed/2, init_counters/1]).

-define(ROUTERS, {?MODULE, routers}).
-define(COUNTERS, {?MODULE, counters}).
-define(OWNERS, pyinet_pool_owners).
-define(START_WAIT_MS, 5000).

%% API.

%% A router and its port for a new socket, starting pyinet if it is not running.
-spec pick() -> {ok, {pid(), port()}} | {error, term()}.
pick() ->
    case application:get_env(pyinet, bridge_node) of
        {ok, Node} when Node =/= node() ->
            try erpc:call(Node, ?MODULE, pick, [])
            catch Class:Reason -> {error, {bridge_node, Node, {Class, Reason}}}
            end;
        _ ->
            case routers() of
                [] -> start_and_pick(erlang:monotonic_time(millisecond) + ?START_WAIT_MS);
                Routers -> {ok, least_loaded(Routers)}
            end
    end.

-spec routers() -> [{pid(), port()}].
routers() ->
    [{R, P} || {R, P, _Slot} <- persistent_term:get(?ROUTERS, [])].

-spec size() -> pos_integer().
size() ->
    case application:get_env(pyinet, routers) of
        {ok, N} when is_integer(N), N > 0 -> N;
        _ -> erlang:system_info(schedulers)
    end.

%% Called by the supervisor before it starts the routers.
-spec init_counters(pos_integer()) -> ok.
init_counters(N) ->
    persistent_term:put(?COUNTERS, counters:new(N, [write_concurrency])),
    %% Owned by the supervisor, so that it outlives any one router.
    case ets:info(?OWNERS) of
        undefined -> ets:new(?OWNERS, [named_table, public, set, {read_concurrency, true}]);
        _ -> ets:delete_all_objects(?OWNERS)
    end,
    ok.

%% A router's first socket owned by Pid / its last one gone.
-spec owner_added(pid(), pos_integer()) -> ok.
owner_added(Pid, Slot) ->
    ets:insert_new(?OWNERS, {Pid, Slot}),
    ok.

-spec owner_removed(pid(), pos_integer()) -> ok.
owner_removed(Pid, Slot) ->
    ets:delete_object(?OWNERS, {Pid, Slot}),
    ok.

-spec joined(pid(), port(), pos_integer()) -> ok.
joined(Router, Port, Slot) ->
    counters:put(counters(), Slot, 0),
    ets:match_delete(?OWNERS, {'_', Slot}),  % owners of the port program this one replaces
    update(fun(Rs) -> lists:keystore(Router, 1, Rs, {Router, Port, Slot}) end).

-spec left(pid()) -> ok.
left(Router) ->
    update(fun(Rs) -> lists:keydelete(Router, 1, Rs) end).

-spec socket_opened(pos_integer()) -> ok.
socket_opened(Slot) ->
    counters:add(counters(), Slot, 1).

-spec socket_closed(pos_integer()) -> ok.
socket_closed(Slot) ->
    counters:sub(counters(), Slot, 1).

%% Internal.

start_and_pick(Deadline) ->
    case pyinet:start() of
        ok ->
            case routers() of
                [] ->
                    %% A router is being restarted by its supervisor.
                    case erlang:monotonic_time(millisecond) < Deadline of
                        true -> timer:sleep(10), start_and_pick(Deadline);
                        false -> {error, no_port_program}
                    end;
                Routers ->
                    {ok, least_loaded(Routers)}
            end;
        {error, _} = Error ->
            Error
    end.

least_loaded([One]) ->
    One;
least_loaded(_) ->
    Routers = persistent_term:get(?ROUTERS, []),
    case ets:lookup(?OWNERS, self()) of
        [{_, Slot}] when is_integer(Slot) ->
            case lists:keyfind(Slot, 3, Routers) of
                {R, P, Slot} -> {R, P};
                false -> fewest_sockets(Routers)
            end;
        [] ->
            fewest_sockets(Routers)
    end.

fewest_sockets(Routers) ->
    Counters = counters(),
    %% Ties broken by the caller: processes starting at once (before the counts
    %% move) spread instead of all taking the first port program.
    Me = self(),
    {_, _, Best} = lists:min([{counters:get(Counters, Slot), erlang:phash2({Me, Slot}), {R, P}}
                              || {R, P, Slot} <- Routers]),
    Best.

counters() ->
    persistent_term:get(?COUNTERS).

update(Fun) ->
    %% Serialised, so that two routers (re)starting at once keep both entries.
    global:trans({?ROUTERS, self()},
                 fun() -> persistent_term:put(?ROUTERS, Fun(persistent_term:get(?ROUTERS, []))) end,
                 [node()]),
    ok.
