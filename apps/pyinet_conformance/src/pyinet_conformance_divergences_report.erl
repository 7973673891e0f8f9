%% docs/divergences.md: what pyinet_conformance_divergences found, grouped by
%% cause (pyinet_conformance_divergence_causes). A summary table by cause and
%% kind at the top, the random sequences' kinds of difference, then each
%% cause with its explanation, for a bug its reproduction (run here, with
%% what it printed) and each scenario's first differing step side by side.
%%
%% The text depends only on the outcomes, never on the run's timing, ports or
%% process ids (those are renamed in the traces; the OS process id that Unix
%% domain socket paths carry is replaced here), so that two runs on one
%% release write the same file.
-module(pyinet_conformance_divergences_report).

-export([markdown/3, random_summary/1, reproductions/1, otp_version/0]).

%% The longest term shown in a table cell, in characters.
-define(SHOWN, 160).
%% Reproductions that run at once: one a core, as some of them time what
%% they show (a stalled scheduler, a reply within 50 ms).
-define(PARALLEL, 2).

-type reproduction() :: {Name :: string(), Output :: string(),
                         reproduces | same | failed}.

%%% Reproductions.

%% Run each escript of Dir (none: nothing) and say whether its two lines
%% (one per backend) differ. With the releases recorded in Dir/observed.
-spec reproductions(file:filename() | none) ->
          #{dir := file:filename() | none, run := [reproduction()],
            observed := [{string(), string(), string()}]}.
reproductions(none) ->
    #{dir => none, run => [], observed => []};
reproductions(Dir) ->
    Files = lists:sort(filelib:wildcard(filename:join(Dir, "*.escript"))),
    #{dir => Dir, run => run_batches(Files, []),
      observed => observed(filename:join(Dir, "observed"))}.

run_batches([], Done) ->
    lists:reverse(Done);
run_batches(Files, Done) ->
    {Batch, Rest} = lists:split(min(?PARALLEL, length(Files)), Files),
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {self(), run_escript(F)} end) || F <- Batch],
    run_batches(Rest, lists:reverse([receive {P, R} -> R end || P <- Pids], Done)).

run_escript(File) ->
    Name = filename:basename(File, ".escript"),
    %% Bounded: a reproduction of a hang must not hang the report.
    Output = os:cmd("timeout 60 escript " ++ File ++ " 2>&1"),
    Lines = string:split(string:trim(Output), "\n", all),
    Status = case [string:trim(string:prefix(L, B)) || L <- Lines, B <- ["inet ", "socket "],
                                                        string:prefix(L, B) =/= nomatch] of
                 [Same, Same] -> same;
                 [_, _] -> reproduces;
                 _ -> failed
             end,
    {Name, string:trim(Output), Status}.

%% Lines "Release Name Status" of earlier runs on other releases.
observed(File) ->
    case file:read_file(File) of
        {ok, Bin} ->
            [list_to_tuple(string:lexemes(L, " \t"))
             || L <- string:split(unicode:characters_to_list(Bin), "\n", all),
                length(string:lexemes(L, " \t")) =:= 3, hd(string:trim(L)) =/= $#];
        {error, _} ->
            []
    end.

%% The OTP version that runs, in full (25.2.3), as its OTP_VERSION file says.
-spec otp_version() -> string().
otp_version() ->
    Release = erlang:system_info(otp_release),
    case file:read_file(filename:join([code:root_dir(), "releases", Release, "OTP_VERSION"])) of
        {ok, Version} -> string:trim(binary_to_list(Version));
        {error, _} -> Release
    end.

%%% Summary lines.

-spec random_summary(map()) -> iolist().
random_summary(#{count := N, identical := I, differ := D, unstable := U}) ->
    io_lib:format("socket backend, random sequences: ~b sequences, ~b identical to inet_drv, "
                  "~b differ (~b unstable)~n", [N, I, D, U]).

%%% The document.

-spec markdown([pyinet_conformance_divergences:row()], map() | none, map()) -> iolist().
markdown(Rows, Random, Reproductions) ->
    Differing = [R || {_, _, Outcome, _} = R <- Rows, Outcome =/= identical],
    Causes = pyinet_conformance_divergence_causes:causes(),
    Shown = [{C, rows_of(C, Differing)} || C <- Causes],
    Sequences = sequence_causes(Random),
    %% A bug is written up whatever this release does: it may be one of
    %% another release (its reproduction's recorded results say so).
    Present = [{C, Rs} || {#{id := Id, kind := Kind} = C, Rs} <- Shown,
                          Rs =/= [] orelse seen_also(C, Differing)
                              orelse reproduces(C, Reproductions)
                              orelse maps:is_key(Id, Sequences)
                              orelse Kind =:= bug orelse Kind =:= inet_drv_bug],
    Unclassified = [R || {M, N, _, _} = R <- Differing,
                         pyinet_conformance_divergence_causes:cause_of(M, N) =:= undefined],
    [header(Rows, Differing, Random),
     summary(Present, Unclassified, Sequences),
     random_section(Random),
     "\n## Causes\n",
     [cause_section(C, Rs, Differing, Reproductions) || {C, Rs} <- Present],
     unclassified(Unclassified)].

%% Cause (undefined for none) => how many random sequences it explains.
sequence_causes(none) ->
    #{};
sequence_causes(#{kinds := Kinds}) ->
    lists:foldl(fun({Kind, Count, Seq, _, _, _}, Acc) ->
                        Id = pyinet_conformance_divergence_causes:sequence_cause(Kind, Seq),
                        maps:update_with(Id, fun(N) -> N + Count end, Count, Acc)
                end, #{}, Kinds).

rows_of(#{scenarios := Scenarios}, Differing) ->
    [R || {M, N, _, _} = R <- Differing, lists:member({M, N}, Scenarios)].

seen_also(Cause, Differing) ->
    [x || {M, N, _, _} <- Differing, lists:member({M, N}, maps:get(also, Cause, []))] =/= [].

reproduces(#{reproduction := Name}, #{run := Run}) ->
    lists:keyfind(Name, 1, Run) =/= false andalso element(3, lists:keyfind(Name, 1, Run))
        =:= reproduces;
reproduces(_, _) ->
    false.

header(Rows, Differing, Random) ->
    CannotRun = [x || {_, _, {cannot_run, _, _}, _} <- Differing],
    Unstable = [x || {_, _, {unstable, _, _}, _} <- Differing],
    Follows = [x || {_, _, _, identical} <- Differing],
    io_lib:format(
      "# Where OTP's socket backend differs from inet_drv~n~n"
      "Generated by `make conformance` (`pyinet_conformance_divergences`) on OTP ~s: each~n"
      "gen_tcp and gen_udp scenario of the conformance table, and random sequences of~n"
      "calls, run on the classic backend (inet_drv) and on `{inet_backend, socket}`~n"
      "(gen_tcp_socket, gen_udp_socket), the two traces compared term by term as the~n"
      "table compares pyinet with inet_drv. pyinet follows inet_drv; each scenario says~n"
      "whether it does there. Each difference is put down to a cause, and each cause~n"
      "is judged against OTP's documentation of the release~n"
      "(`pyinet_conformance_divergence_causes`). Scenario modules are~n"
      "`pyinet_conformance_<name>`.~n~n"
      "    ~ts~ts~n"
      "Of the ~b scenarios that differ: the socket backend cannot run ~b to their end~n"
      "(it hangs, or crashes where inet_drv returns); ~b unstable (its two runs~n"
      "disagreed: the difference depends on timing); pyinet gives what inet_drv gives~n"
      "in ~b.~n",
      [otp_version(), pyinet_conformance_divergences:format_summary(Rows),
       case Random of none -> ""; _ -> ["    ", random_summary(Random)] end,
       length(Differing), length(CannotRun), length(Unstable), length(Follows)]).

summary(Present, Unclassified, Sequences) ->
    Kinds = pyinet_conformance_divergence_causes:kinds(),
    Count = fun(Id) -> maps:get(Id, Sequences, 0) end,
    ["\n## Summary\n\n",
     "| kind | what it means | causes | scenarios | random sequences |\n|---|---|---|---|---|\n",
     [io_lib:format("| ~s | ~ts | ~b | ~b | ~b |~n",
                    [K, Meaning, length([x || {#{kind := K1}, _} <- Present, K1 =:= K]),
                     lists:sum([length(Rs) || {#{kind := K1}, Rs} <- Present, K1 =:= K]),
                     lists:sum([Count(Id) || {#{kind := K1, id := Id}, _} <- Present, K1 =:= K])])
      || {K, Meaning} <- Kinds],
     io_lib:format("| not classified | a difference no cause lists yet | | ~b | ~b |~n",
                   [length(Unclassified),
                    lists:sum([N || {Id, N} <- maps:to_list(Sequences), Id =:= undefined])]),
     "\n| cause | kind | scenarios | random sequences | pyinet |\n|---|---|---|---|---|\n",
     [io_lib:format("| [~ts](#~s) | ~s | ~b | ~b | ~ts |~n",
                    [Title, Id, Kind, length(Rs), Count(Id), pyinet_summary(Rs)])
      || {K, _} <- Kinds,
         {#{id := Id, kind := Kind, title := Title}, Rs} <- Present, Kind =:= K]].

pyinet_summary([]) ->
    "";
pyinet_summary(Rows) ->
    case lists:usort([follows_short(P) || {_, _, _, P} <- Rows]) of
        [One] -> One;
        Several -> lists:join(", ", Several)
    end.

follows_short(identical) -> "as inet_drv";
follows_short({documented, _}) -> "documented deviation";
follows_short({differs, _, _}) -> "**differs**";
follows_short(not_run) -> "not run".

random_section(none) ->
    [];
random_section(#{count := N, kinds := Kinds} = Random) ->
    ["\n## Random sequences\n\n",
     io_lib:format(
       "pyinet_random_SUITE's generator (`pyinet_conformance_random`): ~b sequences of~n"
       "sends, receives, option changes, shutdowns and closes on a connected pair, picked~n"
       "with fixed seeds, each run on both backends: ~b identical to inet_drv, ~b differ~n"
       "(~b unstable). Each kind of first difference (the operation of the step, the~n"
       "two terms with data and numbers left out), how many sequences showed it, its~n"
       "cause (by the two terms' shape), and one of them shrunk (steps dropped and made~n"
       "smaller while the kind stays):~n~n",
       [N, maps:get(identical, Random), maps:get(differ, Random), maps:get(unstable, Random)]),
     "| first difference at | sequences | cause | shrunk sequence | inet_drv | socket backend "
     "| pyinet |\n|---|---|---|---|---|---|---|\n",
     [io_lib:format("| ~s | ~b | ~ts | ~ts | ~ts | ~ts | ~s |~n",
                    [element(1, Kind), Count, cause_link(Kind, Seq), code(Seq), code(A), code(B),
                     case Follows of true -> "as inet_drv"; false -> "**differs**" end])
      || {Kind, Count, Seq, A, B, Follows} <- Kinds]].

cause_link(Kind, Sequence) ->
    case pyinet_conformance_divergence_causes:sequence_cause(Kind, Sequence) of
        undefined -> "not classified";
        Id -> io_lib:format("[~s](#~s)", [Id, Id])
    end.

cause_section(#{id := Id, kind := Kind, title := Title, text := Text} = Cause, Rows,
              Differing, Reproductions) ->
    Also = [R || {M, N, _, _} = R <- Differing, lists:member({M, N}, maps:get(also, Cause, []))],
    [io_lib:format("~n<a id=\"~s\"></a>~n### ~ts~n~n*~s.* ~ts~n", [Id, Title, Kind, Text]),
     reproduction(Cause, Reproductions),
     case Rows of
         [] -> "";
         _ -> ["\n| scenario | inet_drv | socket backend | pyinet |\n|---|---|---|---|\n",
               [scenario_row(R) || R <- Rows]]
     end,
     case Also of
         [] -> "";
         _ -> ["\nIt also stops, after an earlier difference: ",
               lists:join(", ", [io_lib:format("`~s`", [short(M, N)]) || {M, N, _, _} <- Also]),
               ".\n"]
     end].

reproduction(#{reproduction := Name, expected := Expected},
             #{dir := Dir, run := Run, observed := Observed}) when Dir =/= none ->
    File = filename:join(Dir, Name ++ ".escript"),
    Source = case file:read_file(File) of
                 {ok, Bin} -> unicode:characters_to_list(Bin);
                 {error, _} -> ""
             end,
    [io_lib:format("~nReproduction (`~ts`):~n~n```erlang~n~ts```~n", [File, Source]),
     case lists:keyfind(Name, 1, Run) of
         {_, Output, Status} ->
             io_lib:format("~nIts output here (OTP ~s, ~s):~n~n```~n~ts~n```~n",
                           [otp_version(), status(Status), Output]);
         false ->
             ""
     end,
     io_lib:format("~nExpected: ~ts.~n", [Expected]),
     case [{Rel, St} || {Rel, N, St} <- Observed, N =:= Name] of
         [] -> "";
         Seen -> io_lib:format("Recorded in `~ts`: ~ts.~n",
                               [filename:join(Dir, "observed"),
                                lists:join("; ", [io_lib:format("OTP ~s ~s", [Rel, St])
                                                  || {Rel, St} <- Seen])])
     end];
reproduction(_, _) ->
    "".

status(reproduces) -> "the two backends differ: it reproduces";
status(same) -> "the two backends agree: it does not reproduce here";
status(failed) -> "it did not run to its end".

scenario_row({M, N, Outcome, Pyinet}) ->
    {Native, Socket} = traces(Outcome),
    {A, B} = pyinet_conformance:first_difference(Native, Socket),
    io_lib:format("| `~s`~ts | ~ts | ~ts | ~ts |~n",
                  [short(M, N), note(Outcome), code(A), code(B), follows(Pyinet)]).

traces({_, Native, Socket}) -> {Native, Socket}.

note({cannot_run, _, {_, timeout}}) -> " (cannot run to its end: hangs)";
note({cannot_run, _, {_, {crashed, Reason}}}) ->
    [" (cannot run to its end: crashed, ", code(Reason), ")"];
note({unstable, _, _}) -> " (unstable)";
note(_) -> "".

follows(identical) -> "as inet_drv";
follows({documented, _}) -> "documented deviation of pyinet";
follows({differs, _, _}) -> "**differs from inet_drv**";
follows(not_run) -> "not run".

unclassified([]) ->
    [];
unclassified(Rows) ->
    ["\n## Not classified\n\nDifferences no cause lists (new scenarios, or a release "
     "that differs elsewhere):\n\n| scenario | inet_drv | socket backend | pyinet |\n"
     "|---|---|---|---|\n", [scenario_row(R) || R <- Rows]].

short(Module, Name) ->
    Prefix = "pyinet_conformance_",
    M = atom_to_list(Module),
    io_lib:format("~s:~s", [case string:prefix(M, Prefix) of nomatch -> M; Rest -> Rest end,
                            Name]).

%% A term as inline code in a table cell: on one line, cut, with the OS
%% process id (in Unix domain socket paths) left out and no character that
%% would end the cell or the code.
code(Term) ->
    Text0 = lists:flatten(io_lib:format("~0tp", [Term])),
    Text = string:replace(Text0, "-" ++ os:getpid() ++ "-", "-PID-", all),
    Flat = lists:flatten(Text),
    Cut = case string:length(Flat) > ?SHOWN of
              true -> string:slice(Flat, 0, ?SHOWN) ++ "...";
              false -> Flat
          end,
    ["`", [case C of $` -> $'; $\n -> $\s; $| -> "\\|"; _ -> C end || C <- Cut], "`"].
