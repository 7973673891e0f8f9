%% Conformance: the same scenario on real OTP and on pyinet, compared term by term.
%%
%% A scenario is a function of one argument, the backend. It drives sockets with
%% the ordinary OTP API, using the backend's options (for gen_tcp:
%% opts(B, Opts) prefixes {tcp_module, pyinet_tcp} on pyinet), and records what
%% it sees with r/1 (a result), msgs/1 (the messages that arrive) or t/1 (a call
%% that may raise). Other processes of the scenario start with spawn_proc/2 and
%% record under their own label. The trace of a run is, per label, the recorded
%% terms in order; sockets, pids, refs and ephemeral ports are renamed to
%% {socket, N}, {pid, N}, {ref, N} and {port, N} in order of first appearance,
%% so that two runs compare as terms.
%%
%% A scenario module exports scenarios() -> [Name] and Name/1 for each. Run it
%% with run([Module]) or, from a shell, `make conformance`. A difference that is
%% deliberate is listed, with its reason, in pyinet_conformance_deviations and
%% reported as "documented".
%%
%% A module may also export reference() -> ok | {error, Why}: whether the
%% native side of its scenarios can run here at all (gen_sctp needs kernel SCTP
%% and libsctp). When it cannot, nothing is compared: a comparison against a
%% reference that could not run says nothing about pyinet. run/2 raises
%% {reference_unavailable, Module, Why} and main/1 prints a set-up error and
%% halts with status 2.
-module(pyinet_conformance).

%% Running.
-export([main/0, main/1, run/1, run/2, run_keeping_native/2, run_scenario/3, run_scenario/4,
         backends/0,
         format_report/1, first_difference/2, show/2, check_references/1]).

%% Recorded references: native traces kept in a file, pyinet compared with them.
-export([record/2, replay/2, replay_main/2]).

%% Used by scenarios.
-export([r/1, r/2, t/1, caught/1, msgs/0, msgs/1, spawn_proc/2, known_port/1, sleep/1,
         opts/2, udp_opts/2, sctp/1, socket/1, backend/1, is_native/1, label/0]).

%% Canonical renaming (also used by the random generator).
-export([canonical/1]).

-define(SCENARIO_TIMEOUT, 20000).
-define(QUIET_MS, 60).
-define(COLLECTOR, '$pyinet_conformance_collector').
-define(LABEL, '$pyinet_conformance_label').

-type backend() :: #{name := native | pyinet | otp_socket, atom() => term()}.
-type outcome() :: identical | {differs, term(), term()} | {documented, string()}.
-export_type([backend/0]).

%%% Backends.

-spec backends() -> [backend()].
backends() ->
    [#{name => native, tcp => [], udp => [], sctp => gen_sctp, socket => socket},
     #{name => pyinet, tcp => [{tcp_module, pyinet_tcp}], udp => [{udp_module, pyinet_udp}],
       sctp => pyinet_sctp, socket => pyinet_socket},
     %% OTP's other gen_tcp and gen_udp: gen_tcp_socket and gen_udp_socket
     %% over the socket NIF. Compared with inet_drv, not with pyinet.
     #{name => otp_socket, tcp => [{inet_backend, socket}], udp => [{inet_backend, socket}],
       sctp => gen_sctp, socket => socket}].

-spec backend(native | pyinet | otp_socket) -> backend().
backend(Name) ->
    hd([B || #{name := N} = B <- backends(), N =:= Name]).

-spec is_native(backend()) -> boolean().
is_native(#{name := Name}) -> Name =:= native.

%% gen_tcp options for this backend: Opts, with the module option in front.
-spec opts(backend(), list()) -> list().
opts(#{tcp := Prefix}, Opts) -> Prefix ++ Opts.

-spec udp_opts(backend(), list()) -> list().
udp_opts(#{udp := Prefix}, Opts) -> Prefix ++ Opts.

%% The module with gen_sctp's API for this backend: gen_sctp or pyinet_sctp.
-spec sctp(backend()) -> module().
sctp(#{sctp := Module}) -> Module.

%% The module with socket's API for this backend: socket or pyinet_socket.
-spec socket(backend()) -> module().
socket(#{socket := Module}) -> Module.

%%% Recording.

%% Record Term under this process's label and return it.
-spec r(T) -> T.
r(Term) ->
    record(Term),
    Term.

%% Record {Tag, Term} and return Term.
-spec r(term(), T) -> T.
r(Tag, Term) ->
    record({Tag, Term}),
    Term.

%% What `catch Fun()` gives (`catch Expr` is deprecated from OTP 29): the
%% value, a thrown term, {'EXIT', Reason} for an exit, {'EXIT', {Reason,
%% Stack}} for an error.
-spec caught(fun(() -> term())) -> term().
caught(Fun) ->
    try Fun()
    catch throw:Thrown -> Thrown;
          exit:Reason -> {'EXIT', Reason};
          error:Reason:Stack -> {'EXIT', {Reason, Stack}}
    end.

%% Call Fun and record its result, or {Class, Reason} if it raises (without the
%% stack trace, which differs between implementations by nature).
-spec t(fun(() -> term())) -> term().
t(Fun) ->
    Result = try Fun() of
                 Value -> Value
             catch Class:Reason -> {Class, Reason}
             end,
    r(Result).

%% Record every message that arrives until none has come for a short while.
-spec msgs() -> [term()].
msgs() ->
    msgs(?QUIET_MS).

-spec msgs(non_neg_integer()) -> [term()].
msgs(QuietMs) ->
    Msgs = collect(QuietMs),
    record({msgs, Msgs}),
    Msgs.

collect(QuietMs) ->
    receive
        M -> [M | collect(QuietMs)]
    after QuietMs -> []
    end.

%% Start a process of the scenario; what it records goes under Label.
-spec spawn_proc(atom(), fun(() -> term())) -> pid().
spawn_proc(Label, Fun) ->
    Collector = get(?COLLECTOR),
    %% Linked, so that nothing of a scenario outlives it.
    spawn_link(fun() ->
                  put(?COLLECTOR, Collector),
                  put(?LABEL, Label),
                  try Fun() of
                      _ -> ok
                  catch Class:Reason -> record({crashed, Class, Reason})
                  end
          end).

%% An ephemeral port number that may appear bare in the trace: renamed too.
-spec known_port(T) -> T when T :: inet:port_number().
known_port(Port) ->
    get(?COLLECTOR) ! {?COLLECTOR, port, Port},
    Port.

-spec sleep(non_neg_integer()) -> ok.
sleep(Ms) ->
    timer:sleep(Ms).

-spec label() -> atom().
label() ->
    case get(?LABEL) of
        undefined -> main;
        L -> L
    end.

record(Term) ->
    case get(?COLLECTOR) of
        undefined -> ok;
        Collector -> Collector ! {?COLLECTOR, entry, label(), Term}
    end.

%%% Running.

%% From the command line: run the modules (default: the gen_tcp scenarios),
%% print the table and the summary, and halt with 0 only if nothing differs.
-spec main() -> no_return().
main() ->
    main(#{}).

%% main([Module]) runs those modules' scenarios. main(#{divergences => Path})
%% runs the table of main/0 and also compares OTP's socket backend with
%% inet_drv (pyinet_conformance_divergences), writing what differs to Path;
%% with sequences => N, N random sequences too, and with reproductions =>
%% Dir, the OTP bugs' escripts of Dir are run and shown. The exit status
%% still says only whether pyinet differs.
-spec main([atom() | string()] | map()) -> no_return().
main(#{} = Options) ->
    main([pyinet_conformance_tcp, pyinet_conformance_tcp_flow, pyinet_conformance_tcp_packet,
          pyinet_conformance_tcp_otp, pyinet_conformance_udp, pyinet_conformance_socket,
          pyinet_conformance_socket_dgram, pyinet_conformance_socket_msg,
          pyinet_conformance_socket_admin, pyinet_conformance_fd,
          pyinet_conformance_sendfile, pyinet_conformance_info,
          pyinet_conformance_fault], Options);
main(Args) ->
    main(Args, #{}).

main(Args, Options) ->
    Modules = [to_atom(A) || A <- Args],
    case check_references(Modules) of
        ok ->
            Rows = run_keeping_native(Modules, #{}),
            Results = [{M, N, Outcome} || {M, N, Outcome, _} <- Rows],
            io:format("~ts", [format_report(Results)]),
            case Options of
                #{divergences := Path} ->
                    %% The socket backend is compared with these same
                    %% inet_drv runs: no need to run them again.
                    Natives = maps:from_list([{{M, N}, Native} || {M, N, _, Native} <- Rows]),
                    pyinet_conformance_divergences:main(
                      Modules, Results, Path,
                      (maps:with([sequences, reproductions], Options))#{natives => Natives});
                #{} ->
                    ok
            end,
            Differ = length([x || {_, _, {differs, _, _}} <- Results]),
            halt(case Differ of 0 -> 0; _ -> 1 end);
        {error, Module, Why} ->
            io:format("conformance: set-up error: the reference side of ~s cannot run here: ~ts~n"
                      "conformance: nothing was compared~n", [Module, Why]),
            halt(2)
    end.

%% ok when the native side of every module's scenarios can run here; else the
%% first module that cannot, and why (the module's reference/0).
-spec check_references([module()]) -> ok | {error, module(), string()}.
check_references([]) ->
    ok;
check_references([Module | Rest]) ->
    _ = code:ensure_loaded(Module),
    Check = case erlang:function_exported(Module, reference, 0) of
                true -> Module:reference();
                false -> ok
            end,
    case Check of
        ok -> check_references(Rest);
        {error, Why} -> {error, Module, Why}
    end.

to_atom(A) when is_atom(A) -> A;
to_atom(A) when is_list(A) -> list_to_atom(A).

-spec run([module()]) -> [{module(), atom(), outcome()}].
run(Modules) ->
    run(Modules, #{}).

%% Options: #{only => [Name]} restricts to those scenarios; #{verbose => true}
%% prints each row as it completes.
-spec run([module()], map()) -> [{module(), atom(), outcome()}].
run(Modules, Options) ->
    [{M, N, Outcome} || {M, N, Outcome, _Native} <- run_keeping_native(Modules, Options)].

%% run/2, with each scenario's (last) trace on native OTP.
-spec run_keeping_native([module()], map()) -> [{module(), atom(), outcome(), term()}].
run_keeping_native(Modules, Options) ->
    case check_references(Modules) of
        ok -> ok;
        {error, Module, Why} -> error({reference_unavailable, Module, Why})
    end,
    ok = pyinet:start(),
    Only = maps:get(only, Options, all),
    Verbose = maps:get(verbose, Options, false),
    [begin
         {Outcome, Native} = compare(Module, Name),
         Verbose andalso io:format("~ts", [format_row({Module, Name, Outcome})]),
         {Module, Name, Outcome, Native}
     end
     || Module <- Modules,
        Name <- Module:scenarios(),
        Only =:= all orelse lists:member(Name, Only)].

compare(Module, Name) ->
    compare(Module, Name, 3).

compare(Module, Name, Tries) ->
    Native = run_scenario(Module, Name, backend(native)),
    Pyinet = run_scenario(Module, Name, backend(pyinet)),
    case Native =:= Pyinet of
        true ->
            {identical, Native};
        false when Tries > 1 ->
            %% Scenarios wait for the network with short sleeps; give a slow
            %% moment a second chance before calling it a difference.
            compare(Module, Name, Tries - 1);
        false ->
            case pyinet_conformance_deviations:reason(Module, Name) of
                undefined -> {{differs, Native, Pyinet}, Native};
                Reason -> {{documented, Reason}, Native}
            end
    end.

%% Run one scenario on one backend; its canonical trace.
-spec run_scenario(module(), atom(), backend()) -> term().
run_scenario(Module, Name, Backend) ->
    run_scenario(Module, Name, Backend, ?SCENARIO_TIMEOUT).

%% The same, ended (as `timeout`) after TimeoutMs.
-spec run_scenario(module(), atom(), backend(), pos_integer()) -> term().
run_scenario(Module, Name, Backend, TimeoutMs) ->
    Collector = self(),
    flush_collector(),
    {Pid, MRef} = spawn_monitor(fun() ->
                                        put(?COLLECTOR, Collector),
                                        put(?LABEL, main),
                                        exit({returned, Module:Name(Backend)})
                                end),
    {Entries, Ports, End} = gather(Pid, MRef, [], [], erlang:monotonic_time(millisecond)
                                   + TimeoutMs),
    %% Let late messages of the scenario's other processes arrive.
    timer:sleep(20),
    {Late, Ports1} = drain([], Ports),
    Trace = group(lists:reverse(Late ++ Entries)),
    canonical({Trace, end_of(End)}, Ports1).

gather(Pid, MRef, Entries, Ports, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {?COLLECTOR, entry, Label, Term} ->
            gather(Pid, MRef, [{Label, Term} | Entries], Ports, Deadline);
        {?COLLECTOR, port, Port} ->
            gather(Pid, MRef, Entries, [Port | Ports], Deadline);
        {'DOWN', MRef, process, Pid, Reason} ->
            {Entries, Ports, Reason}
    after Left ->
            exit(Pid, kill),
            receive {'DOWN', MRef, process, Pid, _} -> ok end,
            {Entries, Ports, timeout}
    end.

drain(Entries, Ports) ->
    receive
        {?COLLECTOR, entry, Label, Term} -> drain([{Label, Term} | Entries], Ports);
        {?COLLECTOR, port, Port} -> drain(Entries, [Port | Ports])
    after 0 -> {Entries, Ports}
    end.

flush_collector() ->
    receive {?COLLECTOR, _, _, _} -> flush_collector();
            {?COLLECTOR, _, _} -> flush_collector()
    after 0 -> ok
    end.

end_of({returned, Value}) -> {returned, Value};
end_of(timeout) -> timeout;
end_of({Reason, Stack}) when is_list(Stack) -> {crashed, Reason};
end_of(Reason) -> {crashed, Reason}.

%% Entries grouped per label, labels in sorted order, entries in arrival order.
group(Entries) ->
    Labels = lists:usort([L || {L, _} <- Entries]),
    [{L, [T || {L1, T} <- Entries, L1 =:= L]} || L <- Labels].

%%% Canonical renaming.

-spec canonical(term()) -> term().
canonical(Term) ->
    canonical(Term, []).

canonical(Term, Ports) ->
    {Canon, _} = rename(Term, #{ports => sets:from_list(Ports), n => #{}}),
    Canon.

rename({Reason, [{M, F, A, Info} | _] = Stack}, St)
  when is_atom(M), is_atom(F), is_list(Info), (is_integer(A) orelse is_list(A)) ->
    %% An exception's stack trace: where it was raised differs by nature.
    _ = Stack,
    rename({Reason, stacktrace}, St);
rename({'$inet', _Mod, _Handle} = S, St) -> name(socket, S, St);
rename(P, St) when is_port(P) -> name(socket, P, St);
rename(P, St) when is_pid(P) -> name(pid, P, St);
rename(R, St) when is_reference(R) -> name(ref, R, St);
rename({'$socket', _} = S, St) -> name(socket, S, St);
rename({IP, Port}, St) when is_integer(Port), Port > 1023, Port < 65536,
                            (tuple_size(IP) =:= 4 orelse tuple_size(IP) =:= 8) ->
    {IP1, St1} = rename(IP, St),
    {P1, St2} = name(port, Port, St1),
    {{IP1, P1}, St2};
rename(#{port := Port} = Map, St) when is_integer(Port), Port > 1023, Port < 65536 ->
    {M1, St1} = rename_map(maps:remove(port, Map), St),
    {P1, St2} = name(port, Port, St1),
    {M1#{port => P1}, St2};
rename(Map, St) when is_map(Map) -> rename_map(Map, St);
rename(T, St) when is_tuple(T) ->
    {L, St1} = rename(tuple_to_list(T), St),
    {list_to_tuple(L), St1};
rename([H | T], St) ->
    {H1, St1} = rename(H, St),
    {T1, St2} = rename(T, St1),
    {[H1 | T1], St2};
rename(I, #{ports := Ports} = St) when is_integer(I), I > 1023 ->
    case sets:is_element(I, Ports) of
        true -> name(port, I, St);
        false -> {I, St}
    end;
rename(Other, St) -> {Other, St}.

rename_map(Map, St) ->
    {Pairs, St1} = rename(lists:sort(maps:to_list(Map)), St),
    {maps:from_list(Pairs), St1}.

name(Kind, Value, #{n := Names} = St) ->
    Key = {Kind, Value},
    case Names of
        #{Key := N} -> {{Kind, N}, St};
        #{} ->
            N = 1 + maps:get({count, Kind}, Names, 0),
            {{Kind, N}, St#{n := Names#{Key => N, {count, Kind} => N}}}
    end.

%%% Recorded references.
%%
%% Native gen_sctp needs kernel SCTP, which most machines lack; pyinet's
%% userland SCTP does not. record/2 keeps the native traces of a run where
%% the kernel has SCTP (the VM of make test-sctp), one scenario a term in a
%% text file; replay/2 runs the pyinet side anywhere and compares it with
%% them: the same comparison as run/1, with the reference read instead of
%% run. A recording is of one OTP release (traces differ between releases):
%% replay refuses another's.

%% Run the native side of the modules' scenarios and write their traces to
%% Path: {otp_release, R}. then {Module, Name, Trace}. for each.
-spec record([module()], file:filename()) -> ok.
record(Modules, Path) ->
    case check_references(Modules) of
        ok -> ok;
        {error, Module, Why} -> error({reference_unavailable, Module, Why})
    end,
    Release = erlang:system_info(otp_release),
    Entries = [{Module, Name, run_scenario(Module, Name, backend(native))}
               || Module <- Modules, Name <- Module:scenarios()],
    ok = file:write_file(Path, [io_lib:format("~p.~n", [T])
                                || T <- [{otp_release, Release} | Entries]]).

%% The pyinet side of every recorded scenario of Modules, compared with its
%% recorded native trace (three tries, as run/1 gives the pair). Deviations
%% are looked up with Deviations(Module, Name).
-spec replay([module()], map()) -> [{module(), atom(), outcome()}].
replay(Modules, #{recording := Path} = Options) ->
    Deviations = maps:get(deviations, Options, fun pyinet_conformance_deviations:reason/2),
    Only = maps:get(only, Options, all),
    Verbose = maps:get(verbose, Options, false),
    {ok, [{otp_release, Recorded} | Entries]} = file:consult(Path),
    case erlang:system_info(otp_release) of
        Recorded -> ok;
        Running -> error({recorded_on_another_release, Recorded, Running})
    end,
    ok = pyinet:start(),
    [begin
         Outcome = replay_one(Module, Name, Native, Deviations, 3),
         Verbose andalso io:format("~ts", [format_row({Module, Name, Outcome})]),
         {Module, Name, Outcome}
     end
     || {Module, Name, Native} <- Entries, lists:member(Module, Modules),
        Only =:= all orelse lists:member(Name, Only)].

replay_one(Module, Name, Native, Deviations, Tries) ->
    Pyinet = run_scenario(Module, Name, backend(pyinet)),
    if
        Pyinet =:= Native -> identical;
        Tries > 1 -> replay_one(Module, Name, Native, Deviations, Tries - 1);
        true ->
            case Deviations(Module, Name) of
                undefined -> {differs, Native, Pyinet};
                Reason -> {documented, Reason}
            end
    end.

%% From the command line: replay, print the table and the summary line, and
%% halt with 0 only if nothing differs (2 if the recording cannot serve).
-spec replay_main([module()], map()) -> no_return().
replay_main(Modules, Options) ->
    try replay(Modules, Options) of
        Results ->
            io:format("~ts", [format_report(Results)]),
            halt(case [x || {_, _, {differs, _, _}} <- Results] of [] -> 0; _ -> 1 end)
    catch
        error:{recorded_on_another_release, Recorded, Running} ->
            io:format("conformance: set-up error: the native traces were recorded on OTP ~s, "
                      "this is OTP ~s~nconformance: nothing was compared~n", [Recorded, Running]),
            halt(2)
    end.

%%% Report.

-spec format_report([{module(), atom(), outcome()}]) -> iolist().
format_report(Results) ->
    Rows = [format_row(R) || R <- Results],
    N = length(Results),
    Identical = length([x || {_, _, identical} <- Results]),
    Differ = length([x || {_, _, {differs, _, _}} <- Results]),
    Documented = length([x || {_, _, {documented, _}} <- Results]),
    [Rows,
     io_lib:format("conformance: ~b scenarios, ~b identical, ~b differ, ~b documented~n",
                   [N, Identical, Differ, Documented])].

format_row({Module, Name, identical}) ->
    io_lib:format("~-60s identical~n", [row_name(Module, Name)]);
format_row({Module, Name, {documented, Reason}}) ->
    io_lib:format("~-60s documented: ~ts~n", [row_name(Module, Name), Reason]);
format_row({Module, Name, {differs, Native, Pyinet}}) ->
    {A, B} = first_difference(Native, Pyinet),
    io_lib:format("~-60s differs~n    otp:    ~0p~n    pyinet: ~0p~n",
                  [row_name(Module, Name), A, B]).

row_name(Module, Name) ->
    atom_to_list(Module) ++ ":" ++ atom_to_list(Name).

%% The first place where two traces part: the pair of differing entries with
%% the label they are under.
first_difference({TraceA, EndA}, {TraceB, EndB}) ->
    case first_entry(TraceA, TraceB) of
        same -> {{'end', EndA}, {'end', EndB}};
        Diff -> Diff
    end.

first_entry([{L, A} | RestA], [{L, B} | RestB]) ->
    case first_in_list(L, A, B) of
        same -> first_entry(RestA, RestB);
        Diff -> Diff
    end;
first_entry([{La, [A | _]} | _], [{Lb, [B | _]} | _]) ->
    {{La, A}, {Lb, B}};
first_entry([], []) -> same;
first_entry(A, B) -> {A, B}.

first_in_list(_L, [X | A], [X | B]) -> first_in_list(_L, A, B);
first_in_list(L, [X | _], [Y | _]) -> {{L, X}, {L, Y}};
first_in_list(L, [X | _], []) -> {{L, X}, {L, nothing}};
first_in_list(L, [], [Y | _]) -> {{L, nothing}, {L, Y}};
first_in_list(_, [], []) -> same.

%% Both traces of one scenario, for a person looking into a difference.
-spec show(module(), atom()) -> ok.
show(Module, Name) ->
    ok = pyinet:start(),
    [io:format("~p:~n~p~n", [BName, run_scenario(Module, Name, backend(BName))])
     || BName <- [native, pyinet]],
    ok.
