%% The conformance engine's guard: when the reference side (native OTP) cannot
%% run here, the engine says so as a set-up error and compares nothing.
-module(pyinet_conformance_SUITE).

-include_lib("common_test/include/ct.hrl").

-export([all/0]).
-export([sctp_reasons/1, sctp_reference_here/1, main_reports_setup_error/1]).

all() ->
    [sctp_reasons, sctp_reference_here, main_reports_setup_error].

%% Each cause gets its own message.
sctp_reasons(_Config) ->
    NoModule = pyinet_conformance_sctp:why_no_sctp(esocktnosupport, false, true),
    true = contains(NoModule, "{error, esocktnosupport}"),
    true = contains(NoModule, "the kernel has no SCTP loaded"),
    NoLib = pyinet_conformance_sctp:why_no_sctp(eprotonosupport, true, false),
    true = contains(NoLib, "libsctp.so.1"),
    true = contains(NoLib, "libsctp1"),
    Other = pyinet_conformance_sctp:why_no_sctp(eacces, true, true),
    true = contains(Other, "{error, eacces}"),
    false = contains(Other, "libsctp1"),
    ok.

%% Here: the check agrees with what gen_sctp:open/0 does on this machine.
sctp_reference_here(_Config) ->
    Modules = [pyinet_conformance_sctp, pyinet_conformance_sctp_opts],
    case gen_sctp:open() of
        {ok, S} ->
            ok = gen_sctp:close(S),
            ok = pyinet_conformance:check_references(Modules);
        {error, Reason} ->
            {error, pyinet_conformance_sctp, Why} = pyinet_conformance:check_references(Modules),
            true = contains(Why, io_lib:format("{error, ~p}", [Reason])),
            {reference_unavailable, pyinet_conformance_sctp, Why} =
                try pyinet_conformance:run(Modules) catch error:Unavailable -> Unavailable end,
            ct:comment("no native SCTP here: ~ts", [Why])
    end.

%% The engine's command line, as make test-sctp runs it: on a machine whose
%% native gen_sctp cannot open a socket, status 2 and the cause, no rows.
main_reports_setup_error(_Config) ->
    case gen_sctp:open() of
        {ok, S} ->
            %% The scenarios themselves run here (make test-sctp does it).
            ok = gen_sctp:close(S),
            {comment, "native SCTP works here"};
        {error, _} ->
            Ebins = [filename:dirname(code:which(M)) || M <- [pyinet, pyinet_conformance]],
            Out = os:cmd("erl -noshell" ++ [" -pa " ++ E || E <- Ebins] ++ " -eval "
                         "'pyinet_conformance:main([pyinet_conformance_sctp])' 2>&1; "
                         "echo status=$?"),
            true = contains(Out, "conformance: set-up error: the reference side of "
                                 "pyinet_conformance_sctp cannot run here: native gen_sctp:open()"),
            true = contains(Out, "conformance: nothing was compared"),
            true = contains(Out, "status=2"),
            false = contains(Out, "differs"),
            false = contains(Out, "scenarios,"),
            ok
    end.

contains(String, Part) ->
    string:find(lists:flatten(String), lists:flatten(Part)) =/= nomatch.
