%% The conformance table as a Common Test suite: one case per scenario module,
%% each failing with the scenarios whose traces differ from native OTP's (the
%% documented deviations aside). `make conformance` prints the same table; this
%% suite is for projects that run their tests with ct (rebar3 ct --suite ...).
%% The SCTP modules need kernel SCTP: where native gen_sctp cannot run, their
%% cases are skipped with the reason (a set-up matter, not a difference).
-module(pyinet_conformance_table_SUITE).

-include_lib("common_test/include/ct.hrl").

-export([all/0, suite/0, init_per_testcase/2, end_per_testcase/2]).
-export([tcp/1, tcp_flow/1, tcp_packet/1, tcp_otp/1, udp/1, socket/1, socket_dgram/1,
         sctp/1, sctp_opts/1, fault/1]).

suite() ->
    [{timetrap, {minutes, 15}}].

all() ->
    [tcp, tcp_flow, tcp_packet, tcp_otp, udp, socket, socket_dgram, sctp, sctp_opts, fault].

init_per_testcase(Case, Config) ->
    Module = module(Case),
    case pyinet_conformance:check_references([Module]) of
        ok -> [{module, Module} | Config];
        {error, Module, Why} -> {skip, Why}
    end.

end_per_testcase(_Case, _Config) ->
    ok.

tcp(Config) -> table(Config).
tcp_flow(Config) -> table(Config).
tcp_packet(Config) -> table(Config).
tcp_otp(Config) -> table(Config).
udp(Config) -> table(Config).
socket(Config) -> table(Config).
socket_dgram(Config) -> table(Config).
sctp(Config) -> table(Config).
sctp_opts(Config) -> table(Config).
fault(Config) -> table(Config).

module(Case) ->
    list_to_atom("pyinet_conformance_" ++ atom_to_list(Case)).

table(Config) ->
    Module = ?config(module, Config),
    Results = pyinet_conformance:run([Module]),
    Report = pyinet_conformance:format_report(Results),
    ct:log("~ts", [Report]),
    case [Name || {_, Name, {differs, _, _}} <- Results] of
        [] ->
            {comment, lists:last(string:split(string:trim(lists:flatten(Report)), "\n",
                                              trailing))};
        Differ ->
            [pyinet_conformance:show(Module, Name) || Name <- Differ],
            ct:fail({differ, Differ})
    end.
