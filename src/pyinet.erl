%% pyinet: Python-hosted sockets with gen_tcp, gen_udp, gen_sctp and socket
%% semantics. This module starts and stops the application and tells about it;
%% the sockets are used through gen_tcp with {tcp_module, pyinet_tcp} (or an
%% inetrc line), or through pyinet_tcp and its siblings directly.
-module(pyinet).

%% API.
-export([start/0, stop/0, takeover/0, release/0, info/0, stats/0, sockets/0, i/0]).

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

%% Every new TCP and UDP socket of this node on pyinet, also those whose
%% callers name the family (which an inetrc cannot reach): pyinet_takeover.
%% The application key `takeover` (true) does it when pyinet starts.
-spec takeover() -> ok | {error, term()}.
takeover() ->
    pyinet_takeover:takeover().

%% New sockets are OTP's again (pyinet's stay pyinet's until they close).
-spec release() -> ok.
release() ->
    pyinet_takeover:release().

%% What each running port program announced about itself.
-spec info() -> [map()].
info() ->
    [pyinet_router:info(R) || {R, _Port} <- pyinet_pool:routers()].

%% Each port program's health: sockets, frames and bytes each way, queue
%% depths, event-loop lag.
-spec stats() -> [map()].
stats() ->
    [case pyinet_request:call(R, P, {program_stats}) of
         {ok, Stats} -> Stats#{router => R};
         {error, Reason} -> #{router => R, error => Reason}
     end || {R, P} <- pyinet_pool:routers()].

%% Every socket of every port program, as maps (what i/0 prints).
-spec sockets() -> [map()].
sockets() ->
    lists:append([case pyinet_request:call(R, P, {program_sockets}) of
                      {ok, List} -> List;
                      {error, _} -> []
                  end || {R, P} <- pyinet_pool:routers()]).

%% A table of pyinet's sockets, in the manner of inet:i().
-spec i() -> ok.
i() ->
    Header = ["Id", "Kind", "Recv", "Sent", "Owner", "Local Address", "Foreign Address",
              "State", "Active", "Packet", "Mode"],
    Rows = [[integer_to_list(maps:get(id, S)),
             atom_to_list(maps:get(kind, S)),
             integer_to_list(maps:get(recv_oct, S)),
             integer_to_list(maps:get(send_oct, S)),
             owner_name(maps:get(owner, S)),
             address(maps:get(local, S, undefined)),
             address(maps:get(peer, S, undefined)),
             atom_to_list(maps:get(state, S)),
             io_lib:format("~p", [maps:get(active, S)]),
             io_lib:format("~p", [maps:get(packet, S)]),
             atom_to_list(maps:get(mode, S))] || S <- sockets()],
    Widths = [lists:max([string:length(C) || C <- Col])
              || Col <- transpose([Header | Rows])],
    [io:format("~ts~n", [string:trim(lists:append([string:pad(C, W + 2) || {C, W} <- lists:zip(Row, Widths)]),
                                     trailing)])
     || Row <- [Header | Rows]],
    ok.

owner_name(Pid) when is_pid(Pid) ->
    case process_info(Pid, registered_name) of
        {registered_name, Name} -> atom_to_list(Name);
        _ -> pid_to_list(Pid)
    end;
owner_name(Other) ->
    io_lib:format("~p", [Other]).

address(undefined) -> "*:*";
address({local, Path}) -> "local:" ++ binary_to_list(Path);
address({IP, Port}) -> inet:ntoa(IP) ++ ":" ++ integer_to_list(Port).

transpose([[] | _]) -> [];
transpose(Rows) -> [[hd(R) || R <- Rows] | transpose([tl(R) || R <- Rows])].
