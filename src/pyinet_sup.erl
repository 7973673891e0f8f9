%% One router per port program, `routers` of them (see pyinet_pool); a router
%% that dies (its port program died) is restarted with a fresh port program,
%% and the others are not affected.
-module(pyinet_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    N = pyinet_pool:size(),
    ok = pyinet_pool:init_counters(N),
    ok = pyinet_fault:init_table(),
    Children = [#{id => {pyinet_router, I},
                  start => {pyinet_router, start_link, [I]},
                  restart => permanent,
                  shutdown => 5000,
                  type => worker,
                  modules => [pyinet_router]}
                || I <- lists:seq(1, N)],
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, Children}}.
