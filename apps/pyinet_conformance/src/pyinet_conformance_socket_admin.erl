%% The rest of the socket module's API: bind/3 (bindx), the registry's monitor
%% functions (number_of_monitors/0,1, which_monitors/1, monitored_by/1),
%% which_socket_kind/1, the debug switches (debug/1, socket_debug/1,
%% use_registry/1) and ioctl/2,3,4. Each runs on OTP's socket and on
%% pyinet_socket; see pyinet_conformance.
-module(pyinet_conformance_socket_admin).

-export([scenarios/0]).

%% Scenarios.
-export([bindx/1, monitors_count/1, monitors_gone_with_process/1, monitors_closed/1,
         monitor_functions_badarg/1, socket_kind/1, debug_switches/1, use_registry_switch/1,
         ioctl_get/1, ioctl_hwaddr/1, ioctl_set/1, ioctl_errors/1]).

-import(pyinet_conformance, [r/1, t/1, caught/1, msgs/0, spawn_proc/2]).

-define(LO, #{family => inet, addr => loopback, port => 0}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

sock(B) -> pyinet_conformance:socket(B).

%% bind/3 is sctp_bindx: other sockets have none.
bindx(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream, tcp),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:bind(S, [?LO], add) end),
    C(fun() -> M:bind(S, [], remove) end),
    C(fun() -> M:bind(S, [#{family => inet, addr => foo}], add) end),
    C(fun() -> M:bind(S, [#{family => inet, bad => key}], add) end),
    C(fun() -> M:bind(S, [?LO], foo) end),
    C(fun() -> M:bind(S, x, add) end),
    C(fun() -> M:bind(x, [], add) end),
    ok = M:close(S),
    C(fun() -> M:bind(S, [?LO], add) end).

%% Counted over this API's sockets, per process and per socket.
monitors_count(B) ->
    M = sock(B),
    r(M:number_of_monitors()),
    r(M:number_of_monitors(self())),
    {ok, S1} = M:open(inet, stream, tcp),
    {ok, S2} = M:open(inet, dgram, udp),
    M1 = M:monitor(S1),
    M2 = M:monitor(S1),
    M3 = M:monitor(S2),
    r(M:number_of_monitors()),
    r(M:number_of_monitors(self())),
    r(lists:sort(M:which_monitors(self())) =:= lists:sort([M1, M2, M3])),
    r(lists:sort(M:which_monitors(S1)) =:= lists:sort([M1, M2])),
    r(M:which_monitors(S2) =:= [M3]),
    r(M:monitored_by(S1) =:= [self()]),
    r(M:cancel_monitor(M2)),
    r(M:number_of_monitors()),
    r(M:which_monitors(S1) =:= [M1]),
    ok = M:close(S1),
    msgs(),
    r(M:number_of_monitors()),
    r(M:which_monitors(S1)),
    r(M:monitored_by(S1)),
    ok = M:close(S2),
    msgs(),
    r(M:number_of_monitors(self())).

%% A monitoring process that exits takes its monitors with it.
monitors_gone_with_process(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram, udp),
    Parent = self(),
    Pid = spawn_proc(watcher, fun() ->
                                      _ = M:monitor(S),
                                      _ = M:monitor(S),
                                      Parent ! monitored,
                                      receive stop -> ok end
                              end),
    receive monitored -> ok after 2000 -> r(not_monitored) end,
    r(M:number_of_monitors(Pid)),
    r(M:monitored_by(S) =:= [Pid]),
    MRef = erlang:monitor(process, Pid),
    Pid ! stop,
    receive {'DOWN', MRef, _, _, _} -> ok after 2000 -> r(not_down) end,
    r(wait_monitors(M, 0, 50)),
    r(M:monitored_by(S)),
    M:close(S).

%% The registry learns of a process's exit a moment later: ask again, a
%% bounded number of times, until the count is what it must become.
wait_monitors(M, Want, 0) -> {M:number_of_monitors(), Want};
wait_monitors(M, Want, N) ->
    case M:number_of_monitors() of
        Want -> Want;
        _ -> timer:sleep(10), wait_monitors(M, Want, N - 1)
    end.

%% Monitoring a closed socket: a 'DOWN' at once, and nothing to count.
monitors_closed(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream, tcp),
    ok = M:close(S),
    _ = M:monitor(S),
    msgs(),
    r(M:number_of_monitors()).

monitor_functions_badarg(B) ->
    M = sock(B),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:number_of_monitors(x) end),
    C(fun() -> M:which_monitors(x) end),
    C(fun() -> M:monitored_by(x) end),
    C(fun() -> M:which_socket_kind(x) end).

socket_kind(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream, tcp),
    r(M:which_socket_kind(S)),
    ok = M:setopt(S, otp, meta, some_meta),
    r(M:which_socket_kind(S)),
    ok = M:close(S),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:which_socket_kind(S) end).

%% socket_debug/1 says what {otp, debug} new sockets start with.
debug_switches(B) ->
    M = sock(B),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:debug(false) end),
    C(fun() -> M:debug(x) end),
    C(fun() -> M:socket_debug(x) end),
    r(maps:with([debug, socket_debug, use_registry], M:info())),
    {ok, S} = M:open(inet, dgram, udp),
    r(M:getopt(S, otp, debug)),
    C(fun() -> M:socket_debug(false) end),
    {ok, S2} = M:open(inet, dgram, udp, #{debug => false}),
    r(M:getopt(S2, otp, debug)),
    [M:close(X) || X <- [S, S2]].

%% use_registry(false): new sockets are not in which_sockets/0 until they
%% are monitored (or set {otp, use_registry}).
use_registry_switch(B) ->
    M = sock(B),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:use_registry(x) end),
    ok = M:use_registry(false),
    r(maps:get(use_registry, M:info())),
    {ok, S} = M:open(inet, dgram, udp),
    ok = M:use_registry(true),
    r(lists:member(S, M:which_sockets())),
    r(M:getopt(S, otp, use_registry)),
    {ok, S2} = M:open(inet, dgram, udp, #{use_registry => false}),
    r(lists:member(S2, M:which_sockets())),
    MRef = M:monitor(S2),
    r(lists:member(S2, M:which_sockets())),
    r(M:getopt(S2, otp, use_registry)),
    M:cancel_monitor(MRef),
    {ok, S3} = M:open(inet, dgram, udp),
    r(lists:member(S3, M:which_sockets())),
    [M:close(X) || X <- [S, S2, S3]].

%% Get requests on loopback (the same kernel answers both backends).
ioctl_get(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram, udp),
    {ok, Conf} = r(M:ioctl(S, gifconf)),
    r(lists:member(#{name => "lo", addr => #{family => inet, addr => {127, 0, 0, 1}, port => 0}},
                   Conf)),
    {ok, Index} = r(M:ioctl(S, gifindex, "lo")),
    r(M:ioctl(S, gifname, Index)),
    [r(M:ioctl(S, Req, "lo")) || Req <- [gifaddr, gifnetmask, gifbrdaddr, gifdstaddr,
                                        gifmtu, giftxqlen, gifflags, gifmap]],
    %% A name too long is cut as the NIF copies it.
    r(M:ioctl(S, gifindex, "lo" ++ lists:duplicate(30, $x))),
    M:close(S).

%% The hardware address: its family and the six bytes an address has (the
%% NIF returns sa_data's fourteen, eight of which OTP 25 leaves as they were
%% in memory).
ioctl_hwaddr(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram, udp),
    {ok, #{family := Family, addr := Addr}} = M:ioctl(S, gifhwaddr, "lo"),
    r({Family, byte_size(Addr), binary:part(Addr, 0, 6)}),
    M:close(S).

%% Set requests: the values loopback has already (as root they succeed, as
%% anyone else they fail with eperm; both backends alike).
ioctl_set(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram, udp),
    {ok, MTU} = M:ioctl(S, gifmtu, "lo"),
    r(M:ioctl(S, sifmtu, "lo", MTU)),
    {ok, Qlen} = M:ioctl(S, giftxqlen, "lo"),
    r(M:ioctl(S, siftxqlen, "lo", Qlen)),
    r(M:ioctl(S, sifflags, "lo", #{up => true})),
    r(M:ioctl(S, gifflags, "lo")),
    M:close(S).

ioctl_errors(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram, udp),
    C = fun(F) -> r(caught(F)) end,
    C(fun() -> M:ioctl(S, gifindex, "pyinet-no0") end),
    C(fun() -> M:ioctl(S, gifname, 99999) end),
    C(fun() -> M:ioctl(S, gifaddr, "pyinet-no0") end),
    C(fun() -> M:ioctl(S, foo) end),
    C(fun() -> M:ioctl(S, foo, "lo") end),
    C(fun() -> M:ioctl(S, gifindex, lo) end),
    C(fun() -> M:ioctl(S, gifname, "lo") end),
    %% Not compared: sifflags with a flag prim_socket does not know, which
    %% hands the NIF an error tuple for the flags map; the NIF iterates it
    %% with an iterator it could not create, and answers ok or badarg by what
    %% its memory held (OTP 25 and 27). pyinet answers ok (no flag changed).
    C(fun() -> M:ioctl(S, sifmtu, "lo", x) end),
    C(fun() -> M:ioctl(S, sifaddr, "pyinet-no0", #{family => inet, addr => {10, 0, 0, 1}}) end),
    C(fun() -> M:ioctl(S, 16#8933, "lo") end),
    C(fun() -> M:ioctl(x, gifconf) end),
    ok = M:close(S),
    C(fun() -> M:ioctl(S, gifconf) end),
    C(fun() -> M:ioctl(S, gifindex, "lo") end).
