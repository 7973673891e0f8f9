%% Random operation sequences on a connected gen_tcp pair, as a conformance
%% scenario: PropEr's generator of sequences and the scenario that plays one
%% on a backend. pyinet_random_SUITE runs them on inet_drv and pyinet with
%% PropEr (which shrinks a sequence whose terms differ); socket_backend/1
%% runs them on inet_drv and on OTP's socket backend, where differences are
%% expected, counts them and shrinks one example of each kind of difference
%% (pyinet_conformance_divergences puts that in docs/divergences.md).
%%
%% A sequence sends random fragments from either end, receives with random
%% lengths and timeouts, changes active, packet and mode, shuts down and
%% closes. After every step the scenario pauses briefly, so that what was
%% sent has arrived: then how much a read returns, and so how active data is
%% cut into messages, is determined by the data and the options, not by
%% timing, and two runs can be compared term by term. The messages of the
%% step are recorded.
%%
%% The sequences of socket_backend/1 are PropEr's, picked with fixed seeds, so
%% that every run plays the same ones; its shrinking is a plain deterministic
%% one (drop steps, then make each step smaller) that keeps the kind of the
%% first difference, bounded in runs, rather than PropEr's, which starts only
%% from a failure of its own random search.
-module(pyinet_conformance_random).

%% The generator and the scenario.
-export([sequence/0, scenarios/0, sequence_scenario/1, play/3]).
%% The socket backend against inet_drv.
-export([socket_backend/1, difference/1, shrink/3]).

-define(KEY, {?MODULE, sequence}).
-define(STEP_PAUSE_MS, 4).
%% PropEr's largest size in pyinet_random_SUITE: the longest sequences.
-define(MAX_SIZE, 14).
%% A shrinking plays at most this many candidate sequences.
-define(SHRINK_RUNS, 60).
%% A sequence cannot wait on the socket backend longer than its longest
%% recv timeout per step; this is far above that.
-define(RUN_TIMEOUT, 5000).

-type step() :: {send, side(), non_neg_integer()}
              | {recv, side(), non_neg_integer(), non_neg_integer()}
              | {active, side(), boolean() | once | pos_integer()}
              | {packet, side(), packet()}
              | {mode, side(), binary | list}
              | {shutdown, side(), write | read_write}
              | {close, side()}.
-type side() :: c | a.
-type packet() :: raw | 1 | 2 | 4 | line.
-type sequence() :: {packet(), [step()]}.
-type kind() :: {atom(), term(), term()}.
-export_type([sequence/0, step/0, kind/0]).

%%% Generators (PropEr types; pyinet_random_SUITE uses them with ?FORALL).

-spec sequence() -> proper_types:raw_type().
sequence() ->
    {packet(), proper_types:list(step())}.

packet() -> proper_types:oneof([raw, 1, 2, 4, line]).
side() -> proper_types:oneof([c, a]).

step() ->
    proper_types:frequency(
      [{6, {send, side(), fragment_size()}},
       {4, {recv, side(), proper_types:oneof([0, 0, proper_types:choose(1, 3000)]),
            proper_types:oneof([0, 10])}},
       {3, {active, side(), proper_types:oneof([false, true, once, proper_types:choose(1, 3)])}},
       {1, {packet, side(), packet()}},
       {1, {mode, side(), proper_types:oneof([binary, list])}},
       {1, {shutdown, side(), proper_types:oneof([write, read_write])}},
       {1, {close, side()}}]).

fragment_size() ->
    proper_types:frequency([{4, proper_types:choose(0, 100)}, {2, proper_types:choose(100, 3000)},
                            {1, proper_types:choose(3000, 20000)}]).

%%% The scenario: one sequence on one backend.

-spec scenarios() -> [atom()].
scenarios() -> [sequence_scenario].

%% The sequence of play/3 (a scenario takes only the backend).
-spec sequence_scenario(pyinet_conformance:backend()) -> ok.
sequence_scenario(B) ->
    {Packet, Steps} = persistent_term:get(?KEY),
    Opts = [binary, {active, false}, {packet, Packet}],
    {C, A} = pyinet_conformance_tcp:pair(B, Opts, Opts),
    Sockets = #{c => C, a => A},
    lists:foldl(fun(Step, N) ->
                        pyinet_conformance:r({step, N, Step}),
                        pyinet_conformance:r(do(Step, Sockets, Packet)),
                        pyinet_conformance:sleep(?STEP_PAUSE_MS),
                        pyinet_conformance:msgs(?STEP_PAUSE_MS),
                        N + 1
                end, 1, Steps),
    [gen_tcp:close(S) || S <- [C, A]],
    ok.

%% The canonical trace of Sequence on the backend named BackendName.
-spec play(sequence(), native | pyinet | otp_socket, pos_integer()) -> term().
play(Sequence, BackendName, TimeoutMs) ->
    persistent_term:put(?KEY, Sequence),
    pyinet_conformance:run_scenario(?MODULE, sequence_scenario,
                                    pyinet_conformance:backend(BackendName), TimeoutMs).

do({send, Side, Size}, Sockets, Packet) ->
    gen_tcp:send(maps:get(Side, Sockets), fragment(Size, Packet));
do({recv, Side, Len, Timeout}, Sockets, _) ->
    gen_tcp:recv(maps:get(Side, Sockets), Len, Timeout);
do({active, Side, Value}, Sockets, _) ->
    inet:setopts(maps:get(Side, Sockets), [{active, Value}]);
do({packet, Side, Packet}, Sockets, _) ->
    inet:setopts(maps:get(Side, Sockets), [{packet, Packet}]);
do({mode, Side, Mode}, Sockets, _) ->
    inet:setopts(maps:get(Side, Sockets), [Mode]);
do({shutdown, Side, How}, Sockets, _) ->
    gen_tcp:shutdown(maps:get(Side, Sockets), How);
do({close, Side}, Sockets, _) ->
    gen_tcp:close(maps:get(Side, Sockets)).

%% Data for a send: printable bytes that tell where in the stream they are;
%% with {packet, line}, one line.
fragment(Size, line) ->
    <<(fragment(Size, raw))/binary, $\n>>;
fragment(Size, 1) ->
    fragment(min(Size, 255), raw);
fragment(Size, _) ->
    << <<($a + (I rem 26))>> || I <- lists:seq(1, Size) >>.

%%% The socket backend against inet_drv.

%% Count sequences picked with seeds 1..Count, run on inet_drv and on the
%% socket backend: how many are identical, how many differ, and for each
%% kind of first difference how many, one shrunk example of it, the first
%% differing terms, and whether pyinet gives what inet_drv gives there.
%%
%% A sequence that differs is played again on the socket backend: if its
%% two runs disagree, it is counted as unstable and not shrunk (its kind
%% would depend on timing).
-spec socket_backend(pos_integer()) ->
          #{count := pos_integer(), identical := non_neg_integer(),
            differ := non_neg_integer(), unstable := non_neg_integer(),
            kinds := [{kind(), pos_integer(), sequence(), term(), term(), boolean()}]}.
socket_backend(Count) ->
    Results = [outcome(pick(Seed)) || Seed <- lists:seq(1, Count)],
    Differing = [{Kind, Seq} || {differs, Kind, Seq} <- Results],
    Kinds = lists:usort([K || {K, _} <- Differing]),
    Shrunk = [begin
                  [First | _] = [S || {K1, S} <- Differing, K1 =:= K],
                  Small = shrink(First, K, ?SHRINK_RUNS),
                  {Native, Socket} = first_difference(Small),
                  {K, length([x || {K1, _} <- Differing, K1 =:= K]), Small, Native, Socket,
                   pyinet_follows(Small)}
              end || K <- Kinds],
    #{count => Count,
      identical => length([x || identical <- Results]),
      differ => length(Differing) + length([x || unstable <- Results]),
      unstable => length([x || unstable <- Results]),
      kinds => lists:reverse(lists:keysort(2, Shrunk))}.

%% The Seed-th sequence: PropEr's generator at a size that cycles through
%% 1..MAX_SIZE, as PropEr's own sizes grow during a run.
pick(Seed) ->
    Size = 1 + (Seed - 1) rem ?MAX_SIZE,
    {ok, Sequence} = proper_gen:pick(sequence(), Size, {Seed, 2026, 22}),
    Sequence.

%% identical, {differs, Kind, Sequence}, or unstable when the socket
%% backend's second run of a sequence that differs is not its first.
outcome(Sequence) ->
    Native = play(Sequence, native, ?RUN_TIMEOUT),
    case play(Sequence, otp_socket, ?RUN_TIMEOUT) of
        Native ->
            identical;
        Socket ->
            case play(Sequence, otp_socket, ?RUN_TIMEOUT) of
                Socket -> {differs, kind(Sequence, Native, Socket), Sequence};
                _ -> unstable
            end
    end.

%% none if Sequence gives the same trace on inet_drv and the socket backend,
%% else the kind of the first difference.
-spec difference(sequence()) -> none | kind().
difference(Sequence) ->
    Native = play(Sequence, native, ?RUN_TIMEOUT),
    case play(Sequence, otp_socket, ?RUN_TIMEOUT) of
        Native -> none;
        Socket -> kind(Sequence, Native, Socket)
    end.

pyinet_follows(Sequence) ->
    play(Sequence, pyinet, ?RUN_TIMEOUT) =:= play(Sequence, native, ?RUN_TIMEOUT).

first_difference(Sequence) ->
    pyinet_conformance:first_difference(play(Sequence, native, ?RUN_TIMEOUT),
                                        play(Sequence, otp_socket, ?RUN_TIMEOUT)).

%% The kind of a difference: the operation of the step where the traces
%% part ('end' if only how they ended differs), and the two terms there with
%% data and numbers left out, so that sequences that part in the same way
%% group together.
kind({_Packet, Steps}, {NativeTrace, _} = Native, {SocketTrace, _} = Socket) ->
    {A, B} = pyinet_conformance:first_difference(Native, Socket),
    NativeMain = proplists:get_value(main, NativeTrace, []),
    SocketMain = proplists:get_value(main, SocketTrace, []),
    Before = lists:sublist(NativeMain, common_prefix(NativeMain, SocketMain)),
    Op = case [N || {step, N, _} <- Before] of
             [] -> 'end';
             Ns -> element(1, lists:nth(lists:last(Ns), Steps))
         end,
    {Op, shape(A), shape(B)}.

%% How many entries two lists have in common from their start.
common_prefix([X | A], [X | B]) -> 1 + common_prefix(A, B);
common_prefix(_, _) -> 0.

shape(B) when is_binary(B) -> data;
shape(I) when is_integer(I) -> int;
shape([]) -> [];
shape(L) when is_list(L) ->
    case io_lib:printable_latin1_list(L) orelse lists:all(fun is_integer/1, L) of
        true -> data;
        false -> [shape(X) || X <- L]
    end;
shape(T) when is_tuple(T) -> list_to_tuple([shape(X) || X <- tuple_to_list(T)]);
shape(X) -> X.

%% A smaller sequence whose first difference is still of Kind: drop steps
%% (from the end first: what comes after the difference does not matter),
%% then make each remaining step smaller, twice over. At most MaxRuns
%% candidates are played.
-spec shrink(sequence(), kind(), non_neg_integer()) -> sequence().
shrink(Sequence, Kind, MaxRuns) ->
    Budget = counters:new(1, []),
    counters:put(Budget, 1, MaxRuns),
    Keeps = fun(Candidate) ->
                    case counters:get(Budget, 1) of
                        0 -> false;
                        _ ->
                            counters:sub(Budget, 1, 1),
                            difference(Candidate) =:= Kind
                    end
            end,
    {Packet, Steps} = Sequence,
    Dropped = drop_steps(Packet, truncate(Packet, Steps, Keeps), 1, Keeps),
    {Packet, Smaller} = smaller_steps(Packet, Dropped, 1, Keeps),
    smaller_steps(Packet, Smaller, 1, Keeps).

%% The shortest prefix that still differs of Kind, tried shortest first.
truncate(Packet, Steps, Keeps) ->
    Prefixes = [lists:sublist(Steps, N) || N <- lists:seq(1, length(Steps) - 1)],
    case lists:search(fun(P) -> Keeps({Packet, P}) end, Prefixes) of
        {value, Prefix} -> Prefix;
        false -> Steps
    end.

drop_steps(_Packet, Steps, I, _Keeps) when I > length(Steps) ->
    Steps;
drop_steps(Packet, Steps, I, Keeps) ->
    Without = lists:sublist(Steps, I - 1) ++ lists:nthtail(I, Steps),
    case Keeps({Packet, Without}) of
        true -> drop_steps(Packet, Without, I, Keeps);
        false -> drop_steps(Packet, Steps, I + 1, Keeps)
    end.

smaller_steps(Packet, Steps, I, _Keeps) when I > length(Steps) ->
    {Packet, Steps};
smaller_steps(Packet, Steps, I, Keeps) ->
    Step = lists:nth(I, Steps),
    Tried = [S || S <- smaller(Step), S =/= Step],
    Replace = fun(S) -> lists:sublist(Steps, I - 1) ++ [S] ++ lists:nthtail(I, Steps) end,
    case lists:search(fun(S) -> Keeps({Packet, Replace(S)}) end, Tried) of
        {value, S} -> smaller_steps(Packet, Replace(S), I + 1, Keeps);
        false -> smaller_steps(Packet, Steps, I + 1, Keeps)
    end.

%% Simpler forms of a step, simplest first.
smaller({send, Side, Size}) when Size > 1 ->
    [{send, Side, S} || S <- [1, 10, Size div 2], S < Size];
smaller({recv, Side, Len, T}) when Len > 0 -> [{recv, Side, 0, T}];
smaller({recv, Side, 0, T}) when T > 0 -> [{recv, Side, 0, 0}];
smaller({active, Side, N}) when is_integer(N), N > 1 -> [{active, Side, 1}];
smaller(_) -> [].
