%% One router per port program; a router that dies (its port program died) is
%% restarted with a fresh port program.
-module(pyinet_sup).
-behaviour(supervisor).

-export([start_link/0, init/1]).

start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    N = application:get_env(pyinet, routers, 1),
    Children = [#{id => {pyinet_router, I},
                  start => {pyinet_router, start_link, [I]},
                  restart => permanent,
                  shutdown => 5000,
                  type => worker,
                  modules => [pyinet_router]}
                || I <- lists:seq(1, max(1, N))],
    {ok, {#{strategy => one_for_one, intensity => 10, period => 10}, Children}}.
