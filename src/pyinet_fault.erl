%% Deterministic network faults on pyinet sockets, driven from Erlang tests.
%%
%% A fault lives in the port program, between a socket's kernel socket and its
%% transport: the socket's gen_tcp/gen_udp semantics stay exact, and what it
%% sees is what the fault lets through, with the errors the kernel would give.
%% Faults reach a socket two ways:
%%
%%   inject(Socket, Fault)   a socket you hold (clear/1 takes its faults back);
%%   add_rule(#{match => Match, fault => Fault})
%%                           every socket that matches, now and later, also the
%%                           ones code you did not write opens (through the
%%                           inetrc); delete_rule/1 takes the faults back.
%%
%% partition/2,3 and heal/0 cut the sockets between two groups of nodes or
%% labels (distribution over pyinet_dist included); seed/1 makes every random
%% choice repeatable; trace/0,1 lists the faults applied.
%%
%% The fault kinds (docs/FAULTS.md has each with its exact effect):
%%   {chunks, Sizes} | {chunks, recv | send, Sizes} | {chunks, send, Sizes, PauseMs}
%%   {latency, Dir, Ms} | {jitter, Dir, MaxMs} | {bandwidth, Dir, BytesPerSec}
%%   {stall, Dir} | reset | {half_close, recv | send} | {fail, Op, Posix}
%%   blackhole | {blackhole, Dir} | {truncate, Dir, N} | {corrupt, Dir, Offset}
%%   {drop, Dir, P} | {duplicate, Dir, P} | {reorder, Dir, Window[, HoldMs]}
%%   abort | {drop_stream, Dir, Stream}
%% with Dir = recv | send | both, Op = send | recv | accept | connect (rules).
%% Bad input is {error, {bad_fault, Term}}.
-module(pyinet_fault).

%% API.
-export([inject/2, clear/1, faults/1, label/2, add_rule/1, delete_rule/1, rules/0,
         seed/1, trace/0, trace/1, partition/2, partition/3, heal/0]).
%% For pyinet's own modules.
-export([peer_node/2, init_table/0, program_state/0, socket_closed/1,
         install_partition/4, remove_partitions/0]).

-define(TAB, pyinet_fault).
-define(REMOTE_TIMEOUT, 5000).

-type fault() :: term().
-type rule_id() :: pos_integer().
-type member() :: node() | term().
-export_type([fault/0, rule_id/0]).

%% API.

%% Give a socket a fault. It stacks with the faults the socket has.
-spec inject(inet:socket(), fault()) -> ok | {error, {bad_fault, term()} | closed | einval}.
inject(Socket, Fault) ->
    socket_call(Socket, fun(Id) -> {fault_inject, Id, Fault} end).

%% Take every fault of a socket back; what a fault held back goes on.
-spec clear(inet:socket()) -> ok | {error, closed | einval}.
clear(Socket) ->
    socket_call(Socket, fun(Id) -> {fault_clear, Id} end).

%% The faults a socket has now (one-shot ones that fired are gone).
-spec faults(inet:socket()) -> {ok, [fault()]} | {error, closed | einval}.
faults(Socket) ->
    socket_call(Socket, fun(Id) -> {fault_faults, Id} end).

%% A label for rules and partitions to match; sockets accepted from a labelled
%% listen socket carry its label.
-spec label(inet:socket(), term()) -> ok | {error, closed | einval}.
label(Socket, Label) ->
    case socket_call(Socket, fun(Id) -> {fault_label, Id, Label} end) of
        ok ->
            Addresses = case inet:sockname(Socket) of
                            {ok, {_, _} = Address} -> [Address];
                            _ -> []
                        end,
            ets:insert(?TAB, {{label, Socket}, Label, Addresses}),
            refresh_partitions(),
            ok;
        Error ->
            Error
    end.

%% The node at the other end of a socket that carries distribution
%% (pyinet_dist says so), for partitions between nodes.
-spec peer_node(inet:socket(), node()) -> ok | {error, term()}.
peer_node(Socket, Node) when is_atom(Node) ->
    socket_call(Socket, fun(Id) -> {fault_peer_node, Id, Node} end).

%% A rule: the fault for every socket that matches, now and later.
%% Match keys: local_address, local_port, peer_address, peer_port, transport,
%% owner_node, peer_node, label.
-spec add_rule(#{match := map(), fault := fault()}) -> rule_id() | {error, {bad_fault, term()}}.
add_rule(#{match := Match, fault := Fault} = Rule) when is_map(Match), map_size(Rule) =:= 2 ->
    case is_map_key(between, Match) of
        true -> {error, {bad_fault, Rule}};  % partition/2,3 makes those
        false -> install_rule(Match, Fault, Rule, rule)
    end;
add_rule(Rule) ->
    {error, {bad_fault, Rule}}.

-spec delete_rule(rule_id()) -> ok.
delete_rule(Id) when is_integer(Id) ->
    ets:delete(?TAB, {rule, Id}),
    _ = each_program({fault_rule_delete, Id}),
    ok.

-spec rules() -> [#{id := rule_id(), match := map(), fault := fault()}].
rules() ->
    ensure_table(),
    lists:sort([#{id => Id, match => M, fault => F}
                || {{rule, Id}, M, F, _Kind} <- ets:tab2list(?TAB)]).

%% A new run: the trace starts empty and every random choice made from now on
%% follows from Seed and the order of injections.
-spec seed(integer()) -> ok.
seed(Seed) when is_integer(Seed) ->
    ensure_table(),
    ets:insert(?TAB, {seed, Seed}),
    _ = each_program({fault_seed, Seed}),
    ok.

%% The faults applied since the last seed/1, in the order they were applied:
%% maps with seq, time (ms since seed/1), socket, fault, action, bytes.
-spec trace() -> [map()].
trace() ->
    Entries = lists:append([case Reply of {ok, L} -> L; _ -> [] end
                            || Reply <- each_program({fault_trace})]),
    lists:sort(fun(#{time := T1, seq := S1}, #{time := T2, seq := S2}) -> {T1, S1} =< {T2, S2} end,
               Entries).

%% The trace, also written to File as msgpack (one map per entry), next to the
%% wire trace a port program can keep.
-spec trace(file:name_all()) -> [map()] | {error, term()}.
trace(File) ->
    Entries = trace(),
    Path = unicode:characters_to_binary(File),
    case pyinet_pool:pick() of
        {ok, {Router, Port}} ->
            case pyinet_request:call(Router, Port, {fault_trace_write, Path, Entries}) of
                ok -> Entries;
                Error -> Error
            end;
        Error ->
            Error
    end.

%% Cut every socket between the two groups: blackhole (bytes dropped both
%% ways, connections up, so distribution notices only by its ticks) or reset.
%% A member is a node name (an atom with an @) or a label. Installed on this
%% node and on the nodes of its own side (or, when it belongs to neither, on
%% those of GroupA): one side is enough to cut both directions, and heal/0
%% can reach it.
-spec partition([member()], [member()]) -> ok | {error, term()}.
partition(GroupA, GroupB) ->
    partition(GroupA, GroupB, blackhole).

-spec partition([member()], [member()], blackhole | reset) -> ok | {error, term()}.
partition(GroupA, GroupB, Mode) when is_list(GroupA), is_list(GroupB),
                                     (Mode =:= blackhole orelse Mode =:= reset) ->
    Side = case {lists:member(node(), GroupA), lists:member(node(), GroupB)} of
               {_, true} -> GroupB;
               _ -> GroupA
           end,
    Remote = [N || N <- Side, is_node(N), N =/= node()],
    ok = install_partition(GroupA, GroupB, Mode, Remote),
    Results = [{N, catch_remote(N, install_partition, [GroupA, GroupB, Mode, []])} || N <- Remote],
    case [{N, R} || {N, R} <- Results, R =/= ok] of
        [] -> ok;
        Failed -> {error, {nodes, Failed}}
    end;
partition(GroupA, GroupB, Mode) ->
    {error, {bad_fault, {partition, GroupA, GroupB, Mode}}}.

%% Undo partition/2,3: here and on the nodes they were installed on from here.
-spec heal() -> ok.
heal() ->
    ensure_table(),
    Nodes = case ets:lookup(?TAB, partition_nodes) of
                [{_, Ns}] -> Ns;
                [] -> []
            end,
    ok = remove_partitions(),
    _ = [catch_remote(N, remove_partitions, []) || N <- Nodes],
    ok.

%% For pyinet's own modules.

%% Called by pyinet_sup's init: the table is the supervisor's.
-spec init_table() -> ok.
init_table() ->
    case ets:info(?TAB, size) of
        undefined -> ets:new(?TAB, [named_table, public, set]), ok;
        _ -> ok
    end.

%% What a port program that starts is told: the seed and every rule.
-spec program_state() -> {integer(), [{rule_id(), map(), fault()}]}.
program_state() ->
    case ets:info(?TAB, size) of
        undefined ->
            {0, []};
        _ ->
            Seed = case ets:lookup(?TAB, seed) of
                       [{seed, S}] -> S;
                       [] -> 0
                   end,
            {Seed, [{Id, M, F} || {{rule, Id}, M, F, _} <- ets:tab2list(?TAB)]}
    end.

-spec socket_closed(term()) -> ok.
socket_closed(Socket) ->
    case ets:info(?TAB, size) of
        undefined -> ok;
        _ -> ets:delete(?TAB, {label, Socket}), ok
    end.

-spec install_partition([member()], [member()], blackhole | reset, [node()]) -> ok.
install_partition(GroupA, GroupB, Mode, Remote) ->
    ensure_table(),
    Known = case ets:lookup(?TAB, partition_nodes) of
                [{_, Ns}] -> Ns;
                [] -> []
            end,
    ets:insert(?TAB, {partition_nodes, lists:usort(Known ++ Remote)}),
    Match = #{between => {group(GroupA), group(GroupB)}},
    case install_rule(Match, Mode, {partition, GroupA, GroupB, Mode},
                      {partition, GroupA, GroupB}) of
        Id when is_integer(Id) -> ok;
        Error -> Error
    end.

-spec remove_partitions() -> ok.
remove_partitions() ->
    ensure_table(),
    [delete_rule(Id) || {{rule, Id}, _, _, {partition, _, _}} <- ets:tab2list(?TAB)],
    ets:delete(?TAB, partition_nodes),
    ok.

%% Internal.

install_rule(Match, Fault, UserTerm, Kind) ->
    ensure_table(),
    case pyinet_pool:pick() of
        {ok, _} ->
            Id = ets:update_counter(?TAB, next_rule, 1, {next_rule, 0}),
            case each_program({fault_rule_add, Id, Match, Fault}) of
                [{error, {bad_fault, _}} | _] ->
                    _ = each_program({fault_rule_delete, Id}),
                    {error, {bad_fault, UserTerm}};
                _ ->
                    ets:insert(?TAB, {{rule, Id}, Match, Fault, Kind}),
                    Id
            end;
        {error, _} = Error ->
            Error
    end.

%% Partition groups as the port programs match them: nodes, labels, and the
%% addresses of this node's sockets that carry those labels (a socket's peer
%% is in a group when its address is one of them).
group(Members) ->
    Nodes = [M || M <- Members, is_node(M)],
    Labels = [M || M <- Members, not is_node(M)],
    Addresses = lists:usort(lists:append([As || {{label, _}, L, As} <- ets:tab2list(?TAB),
                                               lists:member(L, Labels)])),
    #{nodes => Nodes, labels => Labels, addresses => Addresses}.

refresh_partitions() ->
    [begin
         Match = #{between => {group(A), group(B)}},
         ets:insert(?TAB, {{rule, Id}, Match, F, K}),
         each_program({fault_rule_add, Id, Match, F})
     end || {{rule, Id}, _, F, {partition, A, B} = K} <- ets:tab2list(?TAB)],
    ok.

is_node(M) when is_atom(M) -> lists:member($@, atom_to_list(M));
is_node(_) -> false.

catch_remote(Node, Function, Args) ->
    try erpc:call(Node, ?MODULE, Function, Args, ?REMOTE_TIMEOUT)
    catch Class:Reason -> {Class, Reason}
    end.

socket_call({'$inet', Module, Handle}, Request)
  when Module =:= pyinet_tcp; Module =:= pyinet_udp; Module =:= pyinet_sctp ->
    {Router, Port, Id} = case Handle of
                             {R, P, I} -> {R, P, I};
                             {R, P, I, _Family} -> {R, P, I}
                         end,
    pyinet_request:call(Router, Port, Request(Id));
socket_call(_, _) ->
    {error, einval}.

each_program(Request) ->
    [pyinet_request:call(R, P, Request) || {R, P} <- pyinet_pool:routers()].

%% The table lives with pyinet's supervisor (init_table/0, from its init), so
%% that it outlives any one router; a node where pyinet has not started yet
%% starts it here.
ensure_table() ->
    case ets:info(?TAB, size) of
        undefined ->
            _ = pyinet:start(),
            ok;
        _ ->
            ok
    end.
