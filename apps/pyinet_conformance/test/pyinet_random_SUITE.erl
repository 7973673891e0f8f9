%% Random operation sequences on a connected pair, run on native gen_tcp and on
%% pyinet and compared by the conformance harness; PropEr shrinks a sequence
%% that differs to a minimal one.
%%
%% A sequence sends random fragments from either end, receives with random
%% lengths and timeouts, changes active, packet and mode, shuts down and closes.
%% After every step the scenario pauses briefly, so that what was sent has
%% arrived: then how much a read returns, and so how active data is cut into
%% messages, is determined by the data and the options, not by timing, and two
%% runs can be compared term by term. The messages of the step are recorded.
-module(pyinet_random_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("proper/include/proper.hrl").

%% PropEr's parse transform reports these generators as unused: they are used,
%% through ?LET.
-compile({nowarn_unused_function, [packet/0, side/0, step/0, fragment_size/0]}).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1, random_sequences/1]).
-export([scenarios/0, sequence_scenario/1]).

-define(KEY, {?MODULE, sequence}).
-define(RETRIES, {?MODULE, retries}).
-define(SEQUENCES, 1000).
-define(STEP_PAUSE_MS, 4).

suite() ->
    [{timetrap, {minutes, 15}}].

all() ->
    [random_sequences].

init_per_suite(Config) ->
    ok = pyinet:start(),
    Config.

end_per_suite(_Config) ->
    application:stop(pyinet).

random_sequences(_Config) ->
    Retries = counters:new(1, []),
    persistent_term:put(?RETRIES, Retries),
    Started = erlang:monotonic_time(millisecond),
    Result = proper:quickcheck(prop_same_as_otp(),
                               [{numtests, ?SEQUENCES}, {max_size, 14}, {to_file, user},
                                {on_output, fun(Format, Args) -> ct:log(Format, Args) end}]),
    Seconds = (erlang:monotonic_time(millisecond) - Started) div 1000,
    ct:pal("~b random sequences on native gen_tcp and on pyinet in ~b s, ~b run again: ~p",
           [?SEQUENCES, Seconds, counters:get(Retries, 1), Result]),
    case Result of
        true -> ok;
        _ -> ct:fail({differs, proper:counterexample()})
    end.

prop_same_as_otp() ->
    ?FORALL(Seq, sequence(),
            ?WHENFAIL(report(Seq), same_on_both(Seq, 3))).

%% A difference must show three times running: the pauses leave the network
%% time to deliver, but a loaded machine may still be slower than that once.
same_on_both(Seq, Tries) ->
    persistent_term:put(?KEY, Seq),
    Native = pyinet_conformance:run_scenario(?MODULE, sequence_scenario,
                                             pyinet_conformance:backend(native)),
    Pyinet = pyinet_conformance:run_scenario(?MODULE, sequence_scenario,
                                             pyinet_conformance:backend(pyinet)),
    Native =:= Pyinet
        orelse (Tries > 1 andalso retry() andalso same_on_both(Seq, Tries - 1)).

retry() ->
    counters:add(persistent_term:get(?RETRIES), 1, 1),
    true.

report(Seq) ->
    persistent_term:put(?KEY, Seq),
    [ct:pal("~p:~n~p", [B, pyinet_conformance:run_scenario(?MODULE, sequence_scenario,
                                                           pyinet_conformance:backend(B))])
     || B <- [native, pyinet]].

%%% Generators.

sequence() ->
    ?LET({Packet, Steps}, {packet(), list(step())}, {Packet, Steps}).

packet() -> oneof([raw, 1, 2, 4, line]).
side() -> oneof([c, a]).

step() ->
    frequency([{6, {send, side(), fragment_size()}},
               {4, {recv, side(), oneof([0, 0, choose(1, 3000)]), oneof([0, 10])}},
               {3, {active, side(), oneof([false, true, once, choose(1, 3)])}},
               {1, {packet, side(), packet()}},
               {1, {mode, side(), oneof([binary, list])}},
               {1, {shutdown, side(), oneof([write, read_write])}},
               {1, {close, side()}}]).

fragment_size() ->
    frequency([{4, choose(0, 100)}, {2, choose(100, 3000)}, {1, choose(3000, 20000)}]).

%%% The scenario: one sequence on one backend.

scenarios() -> [sequence_scenario].

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
