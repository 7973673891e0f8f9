%% The third backend: OTP's own gen_tcp and gen_udp over the socket NIF
%% ({inet_backend, socket}: gen_tcp_socket, gen_udp_socket), compared with
%% inet_drv scenario by scenario, as the table compares pyinet with inet_drv.
%%
%% inet_drv stays the reference for pyinet; this says, term by term, where
%% OTP's two backends disagree and which one pyinet follows there. main/4
%% prints `socket backend: N scenarios, N identical to inet_drv, N differ` and
%% writes the differences as markdown (docs/divergences.md from `make
%% conformance`, by pyinet_conformance_divergences_report), each with its
%% cause (pyinet_conformance_divergence_causes).
%%
%% How a scenario is classified, so that two runs give the same document:
%% - it runs once on each backend; the same trace is `identical`;
%% - for a trace that differs the socket backend runs it again: if its two
%%   runs disagree with each other, it is `unstable` (a difference that
%%   depends on timing), else it `differs`;
%% - the socket backend's run is first given FIRST_TIMEOUT. The ones that
%%   have not ended by then (a blocking send, the documented difference,
%%   hangs most of them; a few only wait out receive timeouts) run again all
%%   at once, each given HANG_TIMEOUT: one that still has not ended, or that
%%   crashed where inet_drv returned, is one the socket backend `cannot_run`.
%%   Waiting for the hanging ones together rather than one after the other
%%   is what keeps the cost down (5 s each before, 5 minutes in all). The
%%   ones that end there run once more alone, and that run is compared (a
%%   run among others may be slowed by them: one scenario's getopts blocks a
%%   scheduler of the socket backend for seconds, see the OTP bugs); the run
%%   among others is its second run, unless the two disagree.
-module(pyinet_conformance_divergences).

-export([main/3, main/4, compare/2, modules/1, show/2, format_summary/1]).

-define(FIRST_TIMEOUT, 2000).
-define(HANG_TIMEOUT, 15000).

-type trace() :: term().
-type outcome() :: identical
                 | {differs, trace(), trace()}
                 | {unstable, trace(), trace()}
                 | {cannot_run, trace(), trace()}.
-type row() :: {module(), atom(), outcome(), Pyinet :: term()}.
-export_type([outcome/0, row/0]).

%% The scenario modules whose sockets gen_tcp and gen_udp open: the ones the
%% socket backend can be asked to run (pyinet's own socket and gen_sctp
%% scenarios are not; any other module, yours too, is).
-spec modules([module()]) -> [module()].
modules(Modules) ->
    Other = [pyinet_conformance_socket, pyinet_conformance_socket_dgram,
             pyinet_conformance_sctp, pyinet_conformance_sctp_opts],
    [M || M <- Modules, not lists:member(M, Other)].

%% main/4 with the random sequences and no reproductions run.
-spec main([module()], [{module(), atom(), term()}], file:filename()) -> ok.
main(Modules, PyinetResults, Path) ->
    main(Modules, PyinetResults, Path, #{}).

%% Compare the socket backend for the scenarios of Modules that it applies
%% to, print the summary lines, and write the markdown to Path. PyinetResults
%% are the table's rows, for the column that says whether pyinet follows
%% inet_drv. Options: sequences => N (random sequences compared too, 0 for
%% none), reproductions => Dir (the escripts of the OTP bugs, run and shown),
%% natives => #{{Module, Name} => Trace} (inet_drv's traces, from the table's
%% runs; a scenario without one runs on inet_drv here).
-spec main([module()], [{module(), atom(), term()}], file:filename(), map()) -> ok.
main(Modules, PyinetResults, Path, Options) ->
    %% What the socket backend crashes on is in the table; its error reports
    %% (a gen_tcp_socket process that dies) would only bury the summary.
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, critical),
    {Rows, Random} =
        try
            Compared = compare([{M, N} || M <- modules(Modules), N <- M:scenarios()],
                               maps:get(natives, Options, #{})),
            Sequences = maps:get(sequences, Options, 0),
            {[{M, N, O, pyinet_outcome(M, N, PyinetResults)} || {M, N, O} <- Compared],
             case Sequences of
                 0 -> none;
                 _ -> pyinet_conformance_random:socket_backend(Sequences)
             end}
        after logger:set_primary_config(level, Level)
        end,
    io:format("~ts", [format_summary(Rows)]),
    Random =:= none orelse io:format("~ts", [pyinet_conformance_divergences_report:random_summary(Random)]),
    Reproductions = pyinet_conformance_divergences_report:reproductions(
                      maps:get(reproductions, Options, none)),
    ok = file:write_file(Path, pyinet_conformance_divergences_report:markdown(Rows, Random,
                                                                              Reproductions)).

pyinet_outcome(M, N, Results) ->
    case lists:search(fun({M1, N1, _}) -> {M1, N1} =:= {M, N} end, Results) of
        {value, {_, _, Outcome}} -> Outcome;
        false -> not_run
    end.

%%% Comparing.

%% Each scenario on inet_drv (unless Natives has its trace) and on the socket
%% backend, in the order given.
-spec compare([{module(), atom()}], #{{module(), atom()} => trace()}) ->
          [{module(), atom(), outcome()}].
compare(Scenarios, Natives) ->
    First = [{M, N, first_run(M, N, Natives)} || {M, N} <- Scenarios],
    Waiting = [{M, N, Native} || {M, N, {waiting, Native}} <- First],
    Ended = maps:from_list(lists:zip([{M, N} || {M, N, _} <- Waiting], hang_runs(Waiting))),
    [case Result of
         {waiting, Native} -> {M, N, after_hang_run(M, N, Native, maps:get({M, N}, Ended))};
         Outcome -> {M, N, Outcome}
     end || {M, N, Result} <- First].

first_run(Module, Name, Natives) ->
    Native = case Natives of
                 #{{Module, Name} := Trace} -> Trace;
                 #{} -> native(Module, Name)
             end,
    case socket(Module, Name, ?FIRST_TIMEOUT) of
        {_, timeout} -> {waiting, Native};
        Socket -> outcome(Native, Socket, again(Module, Name))
    end.

%% The socket backend's runs of the scenarios that did not end in
%% FIRST_TIMEOUT, all at once, each in a process of its own (the collector of
%% its trace).
hang_runs(Waiting) ->
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {self(), socket(M, N, ?HANG_TIMEOUT)} end)
            || {M, N, _} <- Waiting],
    [receive {Pid, Trace} -> Trace end || Pid <- Pids].

after_hang_run(_Module, _Name, Native, {_, timeout} = Socket) ->
    {cannot_run, Native, Socket};
after_hang_run(Module, Name, Native, AmongOthers) ->
    Alone = socket(Module, Name, ?HANG_TIMEOUT),
    Second = case AmongOthers of
                 Alone -> fun() -> Alone end;
                 _ -> again(Module, Name)
             end,
    outcome(Native, Alone, Second).

native(Module, Name) ->
    pyinet_conformance:run_scenario(Module, Name, pyinet_conformance:backend(native)).

socket(Module, Name, TimeoutMs) ->
    pyinet_conformance:run_scenario(Module, Name, pyinet_conformance:backend(otp_socket),
                                    TimeoutMs).

again(Module, Name) ->
    fun() -> socket(Module, Name, ?HANG_TIMEOUT) end.

%% The outcome of the first pair of runs; Second gives the socket backend's
%% second run, asked for when the pair differs.
outcome(Same, Same, _Second) ->
    identical;
outcome({_, {returned, _}} = Native, {_, End} = Socket, _Second)
  when End =:= timeout; element(1, End) =:= crashed ->
    {cannot_run, Native, Socket};
outcome(Native, Socket, Second) ->
    case Second() of
        Socket -> {differs, Native, Socket};
        _ -> {unstable, Native, Socket}
    end.

%%% For a person looking into a difference.

%% Both traces of one scenario: inet_drv's and the socket backend's.
-spec show(module(), atom()) -> ok.
show(Module, Name) ->
    ok = pyinet:start(),
    io:format("inet_drv:~n~p~nsocket backend:~n~p~n",
              [native(Module, Name), socket(Module, Name, ?HANG_TIMEOUT)]).

%%% Summary.

-spec format_summary([row()]) -> iolist().
format_summary(Rows) ->
    Identical = length([x || {_, _, identical, _} <- Rows]),
    io_lib:format("socket backend: ~b scenarios, ~b identical to inet_drv, ~b differ~n",
                  [length(Rows), Identical, length(Rows) - Identical]).
