%% Watches the processes whose exit the port program must hear of (socket owners,
%% processes waiting in accept) and tells it at once: {pyinet, {down, Pid, Reason}}
%% straight to the port.
%%
%% Why a process of its own, at high priority: a socket closes when its owner
%% exits, as a linked port does in OTP, and another process that was waiting on
%% the owner (for its last message, say) may use the socket right after. The
%% exit must reach the port program before that process's next request does. The
%% router is busy with every frame of its port program; this process does nothing
%% but this, so running it at high priority costs nobody anything.
-module(pyinet_watcher).

%% API.
-export([start_link/2, watch/2, unwatch/2]).

%% Internal.
-export([init/2]).

%% API.

-spec start_link(pid(), port()) -> pid().
start_link(Router, Port) ->
    proc_lib:spawn_link(?MODULE, init, [Router, Port]).

-spec watch(pid(), pid()) -> ok.
watch(Watcher, Pid) ->
    Watcher ! {watch, Pid},
    ok.

-spec unwatch(pid(), pid()) -> ok.
unwatch(Watcher, Pid) ->
    Watcher ! {unwatch, Pid},
    ok.

%% Internal.

init(Router, Port) ->
    process_flag(priority, high),
    loop(Router, Port, #{}).

loop(Router, Port, Monitors) ->
    receive
        {watch, Pid} ->
            loop(Router, Port, Monitors#{Pid => erlang:monitor(process, Pid)});
        {unwatch, Pid} ->
            case maps:take(Pid, Monitors) of
                {MRef, Rest} -> erlang:demonitor(MRef, [flush]), loop(Router, Port, Rest);
                error -> loop(Router, Port, Monitors)
            end;
        {'DOWN', _MRef, process, Pid, Reason} ->
            %% The reason goes along: a port closed by its owner's exit signal
            %% reports it to inet:monitor/1.
            try erlang:port_command(Port, term_to_binary({pyinet, {down, Pid, Reason}}))
            catch error:badarg -> true  % the port program is gone
            end,
            Router ! {owner_down, Pid},
            loop(Router, Port, maps:remove(Pid, Monitors))
    end.
