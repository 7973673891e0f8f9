%% Random operation sequences on a connected pair (pyinet_conformance_random:
%% sends, receives, option changes, shutdowns and closes with a pause after
%% each step), run on native gen_tcp and on pyinet and compared by the
%% conformance harness; PropEr shrinks a sequence that differs to a minimal
%% one.
%%
%% socket_backend_sequences runs the same generator's sequences on OTP's
%% socket backend against inet_drv, where differences are expected (make
%% conformance reports them in docs/divergences.md): it checks that the
%% machinery holds, a count that adds up and shrunk examples that still
%% differ in the same way.
-module(pyinet_random_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("proper/include/proper.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1, random_sequences/1,
         socket_backend_sequences/1]).

-define(RETRIES, {?MODULE, retries}).
-define(SEQUENCES, 1000).
%% Fewer on the socket backend: most differ, and each kind is shrunk.
-define(SOCKET_SEQUENCES, 30).

suite() ->
    [{timetrap, {minutes, 15}}].

all() ->
    [random_sequences, socket_backend_sequences].

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
    ?FORALL(Seq, pyinet_conformance_random:sequence(),
            ?WHENFAIL(report(Seq), same_on_both(Seq, 3))).

%% A difference must show three times running: the pauses leave the network
%% time to deliver, but a loaded machine may still be slower than that once.
same_on_both(Seq, Tries) ->
    Native = play(Seq, native),
    Pyinet = play(Seq, pyinet),
    Native =:= Pyinet
        orelse (Tries > 1 andalso retry() andalso same_on_both(Seq, Tries - 1)).

play(Seq, Backend) ->
    pyinet_conformance_random:play(Seq, Backend, 20000).

retry() ->
    counters:add(persistent_term:get(?RETRIES), 1, 1),
    true.

report(Seq) ->
    [ct:pal("~p:~n~p", [B, play(Seq, B)]) || B <- [native, pyinet]].

%% The socket backend against inet_drv: every sequence counted once, and the
%% shrunk example of each kind of difference is one of that kind (played
%% again; twice at most, as the pyinet comparison allows a slow moment).
socket_backend_sequences(_Config) ->
    #{count := Count, identical := Identical, differ := Differ, unstable := Unstable,
      kinds := Kinds} = pyinet_conformance_random:socket_backend(?SOCKET_SEQUENCES),
    ct:pal("~b random sequences on the socket backend: ~b identical to inet_drv, ~b differ "
           "(~b unstable), ~b kinds of difference", [Count, Identical, Differ, Unstable,
                                                    length(Kinds)]),
    Count = Identical + Differ,
    true = Unstable =< Differ,
    Shrunk = lists:sum([N || {_, N, _, _, _, _} <- Kinds]),
    true = Shrunk =:= Differ - Unstable,
    [begin
         ct:pal("~p x~b: ~p", [Kind, N, Small]),
         true = lists:member(Kind, [pyinet_conformance_random:difference(Small)
                                    || _ <- [1, 2]])
     end || {Kind, N, Small, _, _, _} <- Kinds],
    ok.
