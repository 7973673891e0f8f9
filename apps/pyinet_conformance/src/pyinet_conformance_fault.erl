%% Faults against the real thing: each scenario produces a network condition
%% for real on the native run (a peer's RST, a peer's half-close, a reader
%% that does not read, a closed port, an unreachable network) and the same
%% condition with pyinet_fault on the pyinet run, and records what the
%% observed socket C sees. Identical traces say that a test written against
%% the injected fault sees what the real condition would show it.
-module(pyinet_conformance_fault).

-export([scenarios/0, reference/0]).

%% Scenarios.
-export([reset_by_peer_passive/1, reset_by_peer_active/1, reset_local_passive/1,
         reset_local_active/1, half_close_by_peer/1, half_close_by_peer_open/1,
         half_close_by_peer_active/1, stalled_reader/1, refused_connect/1,
         unreachable_connect/1, unreachable_connect_inet6/1]).

-import(pyinet_conformance, [r/1, msgs/0, opts/2, known_port/1, sleep/1]).

-define(NETNS, "pyinet_conformance_unreachable").

-spec scenarios() -> [atom()].
scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%% The unreachable network is made in a network namespace of our own.
-spec reference() -> ok | {error, string()}.
reference() ->
    case unreachable_netns() of
        {ok, _} -> ok;
        {error, Why} -> {error, Why}
    end.

%%% Helpers.

%% Whether this run injects (pyinet) or makes the condition for real.
injects(#{name := Name}) -> Name =:= pyinet.

pair(B, COpts, AOpts) ->
    {ok, L} = gen_tcp:listen(0, opts(B, AOpts)),
    {ok, P} = inet:port(L),
    known_port(P),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, COpts), 5000),
    {ok, A} = gen_tcp:accept(L, 5000),
    gen_tcp:close(L),
    {C, A}.

%% A's RST reaches C: its owner closes it lingering {true, 0}, or the fault.
peer_resets(B, A) ->
    case injects(B) of
        true -> ok = pyinet_fault:inject(A, reset);
        false -> ok = inet:setopts(A, [{linger, {true, 0}}]), gen_tcp:close(A)
    end.

%% C itself meets a reset (for real: its peer resets it).
resets(B, C, A) ->
    case injects(B) of
        true -> ok = pyinet_fault:inject(C, reset);
        false -> ok = inet:setopts(A, [{linger, {true, 0}}]), gen_tcp:close(A)
    end.

%% A shuts down writing (for real), or C is made to see it.
peer_half_closes(B, C, A) ->
    case injects(B) of
        true -> ok = pyinet_fault:inject(C, {half_close, recv});
        false -> ok = gen_tcp:shutdown(A, write)
    end.

%%% Resets.

reset_by_peer_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {show_econnreset, true}],
                  [binary, {active, false}]),
    peer_resets(B, A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

reset_by_peer_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {show_econnreset, true}],
                  [binary, {active, false}]),
    peer_resets(B, A),
    msgs(),
    r(gen_tcp:close(C)).

reset_local_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    ok = gen_tcp:send(C, <<"before">>),
    sleep(50),
    resets(B, C, A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"x">>)),
    r(gen_tcp:close(C)).

reset_local_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {show_econnreset, true}],
                  [binary, {active, false}]),
    resets(B, C, A),
    msgs(),
    r(gen_tcp:close(C)).

%%% Half-close: the peer's end of input.

half_close_by_peer(B) ->
    {C, A} = pair(B, [binary, {active, false}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    sleep(50),
    peer_half_closes(B, C, A),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"x">>)),
    [gen_tcp:close(S) || S <- [C, A]].

%% With exit_on_close false the socket stays half open: C still sends, and A
%% gets it.
half_close_by_peer_open(B) ->
    {C, A} = pair(B, [binary, {active, false}, {exit_on_close, false}],
                  [binary, {active, false}]),
    peer_half_closes(B, C, A),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:send(C, <<"still here">>)),
    r(gen_tcp:recv(A, 10, 1000)),
    [gen_tcp:close(S) || S <- [C, A]].

half_close_by_peer_active(B) ->
    {C, A} = pair(B, [binary, {active, true}], [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"last">>),
    sleep(50),
    peer_half_closes(B, C, A),
    msgs(),
    r(gen_tcp:send(C, <<"x">>)),
    [gen_tcp:close(S) || S <- [C, A]].

%%% A reader that does not read: C's sends block, then time out.

stalled_reader(B) ->
    {C, A} = case injects(B) of
                 true ->
                     %% A reads all it gets, but the fault stops it reading.
                     {C0, A0} = pair(B, [binary, {active, false}, {send_timeout, 200}],
                                     [binary, {active, false}]),
                     ok = pyinet_fault:inject(A0, {stall, recv}),
                     ok = inet:setopts(A0, [{active, true}]),
                     {C0, A0};
                 false ->
                     pair(B, [binary, {active, false}, {send_timeout, 200}],
                          [binary, {active, false}])
             end,
    Chunk = binary:copy(<<"s">>, 65536),
    r(send_until_error(C, Chunk, 4000)),
    [gen_tcp:close(S) || S <- [C, A]].

send_until_error(_S, _Chunk, 0) ->
    no_error;
send_until_error(S, Chunk, N) ->
    case gen_tcp:send(S, Chunk) of
        ok -> send_until_error(S, Chunk, N - 1);
        Error -> Error
    end.

%%% Connects that fail.

%% A port nobody listens on, for real; an open one refused by a rule.
refused_connect(B) ->
    {ok, L} = gen_tcp:listen(0, [binary]),
    {ok, P} = inet:port(L),
    known_port(P),
    Rule = case injects(B) of
               true -> pyinet_fault:add_rule(#{match => #{peer_port => P},
                                               fault => {fail, connect, econnrefused}});
               false -> gen_tcp:close(L), none
           end,
    r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary]), 2000)),
    r(gen_tcp:connect(localhost, P, opts(B, [binary, {active, false}]), 2000)),
    cleanup(Rule, L).

%% A network with no route to it (for real: inside a namespace whose table
%% says unreachable); a rule on the pyinet run.
unreachable_connect(B) ->
    connect_unreachable(B, {10, 99, 0, 1}, []).

unreachable_connect_inet6(B) ->
    connect_unreachable(B, {16#fd99, 0, 0, 0, 0, 0, 0, 1}, [inet6]).

connect_unreachable(B, Address, Family) ->
    {ok, NS} = unreachable_netns(),
    {Opts, Rule} = case injects(B) of
                       true ->
                           {[], pyinet_fault:add_rule(#{match => #{peer_address => Address},
                                                        fault => {fail, connect, ehostunreach}})};
                       false ->
                           {[{netns, NS}], none}
                   end,
    r(gen_tcp:connect(Address, 80, opts(B, Family ++ Opts ++ [binary]), 2000)),
    r(gen_tcp:connect(Address, 443, opts(B, Family ++ Opts ++ [binary, {active, false}]), 2000)),
    cleanup(Rule, none).

cleanup(none, L) -> catch_close(L);
cleanup(Rule, L) -> pyinet_fault:delete_rule(Rule), catch_close(L).

catch_close(none) -> ok;
catch_close(L) -> gen_tcp:close(L).

%% A namespace with loopback up and an unreachable route to everything else
%% (IPv4 and IPv6): a connect there fails at once with ehostunreach.
unreachable_netns() ->
    Path = "/var/run/netns/" ++ ?NETNS,
    case filelib:is_file(Path) of
        true ->
            {ok, Path};
        false ->
            Cmds = ["ip netns add " ?NETNS,
                    "ip -n " ?NETNS " link set lo up",
                    "ip -n " ?NETNS " route add unreachable default",
                    "ip -n " ?NETNS " -6 route add unreachable default"],
            Out = [os:cmd(C ++ " 2>&1") || C <- Cmds],
            case filelib:is_file(Path) of
                true -> {ok, Path};
                false -> {error, "cannot make a network namespace (needs root and ip(8)): "
                          ++ lists:flatten(Out)}
            end
    end.
