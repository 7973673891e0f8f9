%% The running port programs, and the choice of one for a new socket.
%%
%% Routers register here when their port program has said hello and leave when
%% it is gone. The list lives in a persistent term: it is read on every new
%% socket and written only when a port program starts or stops.
-module(pyinet_pool).

%% API.
-export([pick/0, routers/0, joined/2, left/1]).

-define(KEY, {?MODULE, routers}).
-define(START_WAIT_MS, 5000).

%% API.

%% A router and its port for a new socket, starting pyinet if it is not running.
-spec pick() -> {ok, {pid(), port()}} | {error, term()}.
pick() ->
    case routers() of
        [] -> start_and_pick(erlang:monotonic_time(millisecond) + ?START_WAIT_MS);
        Routers -> {ok, choose(Routers)}
    end.

-spec routers() -> [{pid(), port()}].
routers() ->
    persistent_term:get(?KEY, []).

-spec joined(pid(), port()) -> ok.
joined(Router, Port) ->
    update(fun(Rs) -> lists:keystore(Router, 1, Rs, {Router, Port}) end).

-spec left(pid()) -> ok.
left(Router) ->
    update(fun(Rs) -> lists:keydelete(Router, 1, Rs) end).

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
                    {ok, choose(Routers)}
            end;
        {error, _} = Error ->
            Error
    end.

choose([One]) ->
    One;
choose(Routers) ->
    lists:nth(erlang:phash2(self(), length(Routers)) + 1, Routers).

update(Fun) ->
    %% Serialised through the global lock so that two routers starting at once
    %% do not overwrite each other's entry.
    global:trans({?KEY, self()}, fun() -> persistent_term:put(?KEY, Fun(routers())) end,
                 [node()]),
    ok.
