%% pyinet: Python-hosted sockets with gen_tcp, gen_udp, gen_sctp and socket
%% semantics. This module starts and stops the application and tells about it;
%% the sockets are used through gen_tcp with {tcp_module, pyinet_tcp} (or an
%% inetrc line), or through pyinet_tcp and its siblings directly.
-module(pyinet).

%% API.
-export([start/0, stop/0, info/0]).

%% API.

%% Start pyinet (it also starts itself on first use).
-spec start() -> ok | {error, term()}.
start() ->
    case application:ensure_all_started(pyinet) of
        {ok, _} -> ok;
        {error, _} = Error -> Error
    end.

-spec stop() -> ok | {error, term()}.
stop() ->
    application:stop(pyinet).

%% What each running port program announced about itself.
-spec info() -> [map()].
info() ->
    [pyinet_router:info(R) || {R, _Port} <- pyinet_pool:routers()].
