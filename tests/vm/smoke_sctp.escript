#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Smoke test of real OTP gen_sctp on this kernel (run it where the kernel has
%% SCTP: tests/vm/with-sctp.sh escript tests/vm/smoke_sctp.escript).
%%
%%   escript tests/vm/smoke_sctp.escript          the checks, IPv4 and IPv6 loopback
%%   escript tests/vm/smoke_sctp.escript peer     an interop peer for smoke_sctp.py:
%%       prints "PORT N", takes one association, prints "RECV ppid=P stream=S
%%       data=D" for its first message, answers it with ppid 16#01020304 on
%%       stream 0 (prints "SENT ..."), prints "DONE" when the association ends.
%%
%% Prints every term gen_sctp returns, records with their field names, one
%% "ok - NAME" / "FAIL - NAME" line per check, and "N passed, N failed" last.
-mode(compile).
-include_lib("kernel/include/inet_sctp.hrl").

-define(T, 20000).            % ms; the VM is about 10x slower than the host
-define(PPID, 16#01020304).

main(["peer"]) -> peer();
main([]) ->
    put(passed, 0), put(failed, 0),
    io:format("# OTP ~s, erts ~s~n",
              [erlang:system_info(otp_release), erlang:system_info(version)]),
    [try family(Fam, Loop)
     catch C:E ->
             put(failed, get(failed) + 1),
             io:format("FAIL - ~s aborted: ~p:~p~n", [Fam, C, E])
     end || {Fam, Loop} <- [{inet, {127,0,0,1}}, {inet6, {0,0,0,0,0,0,0,1}}]],
    P = get(passed), F = get(failed),
    io:format("gen_sctp: ~b passed, ~b failed~n", [P, F]),
    halt(case F of 0 -> 0; _ -> 1 end);
main(_) ->
    io:format(standard_error, "usage: smoke_sctp.escript [peer]~n", []),
    halt(2).

%% One association between two one-to-many sockets on loopback.
family(Fam, Loop) ->
    Pre = atom_to_list(Fam) ++ " ",
    Opts = [Fam, {ip, Loop}, {active, false}, binary],
    {ok, S} = check(Pre ++ "open server", gen_sctp:open(0, Opts), fun ok/1),
    check(Pre ++ "listen", gen_sctp:listen(S, true), fun(R) -> R =:= ok end),
    {ok, SPort} = inet:port(S),
    {ok, C} = check(Pre ++ "open client", gen_sctp:open(0, Opts), fun ok/1),
    {ok, CPort} = inet:port(C),
    {ok, CUp} = check(Pre ++ "connect gives comm_up",
                      gen_sctp:connect(C, Loop, SPort, [], ?T),
                      fun({ok, #sctp_assoc_change{state = comm_up}}) -> true;
                         (_) -> false end),
    {ok, {_, _, _, SUp}} =
        check(Pre ++ "server sees comm_up", gen_sctp:recv(S, ?T),
              fun({ok, {A, P, [], #sctp_assoc_change{state = comm_up}}}) ->
                      A =:= Loop andalso P =:= CPort;
                 (_) -> false end),
    CA = CUp#sctp_assoc_change.assoc_id,
    SA = SUp#sctp_assoc_change.assoc_id,
    check(Pre ++ "send with ppid and stream",
          gen_sctp:send(C, #sctp_sndrcvinfo{assoc_id = CA, stream = 1, ppid = ?PPID},
                        <<"hello">>),
          fun(R) -> R =:= ok end),
    check(Pre ++ "server recv: data, stream 1, ppid kept", gen_sctp:recv(S, ?T),
          fun({ok, {A, P, [#sctp_sndrcvinfo{stream = 1, ppid = ?PPID, assoc_id = Id}],
                    <<"hello">>}}) ->
                  A =:= Loop andalso P =:= CPort andalso Id =:= SA;
             (_) -> false end),
    check(Pre ++ "reply with send/4", gen_sctp:send(S, SA, 0, <<"world">>),
          fun(R) -> R =:= ok end),
    check(Pre ++ "client recv: reply", gen_sctp:recv(C, ?T),
          fun({ok, {A, P, [#sctp_sndrcvinfo{stream = 0, ppid = 0}], <<"world">>}}) ->
                  A =:= Loop andalso P =:= SPort;
             (_) -> false end),
    check(Pre ++ "eof", gen_sctp:eof(C, CUp), fun(R) -> R =:= ok end),
    Events = until_shutdown_comp(S, []),
    check(Pre ++ "server sees shutdown_event, then shutdown_comp", Events,
          fun(Es) ->
                  [T || {ok, {_, _, _, T}} <- Es,
                        is_record(T, sctp_shutdown_event) orelse
                            is_record(T, sctp_assoc_change)] =/= []
                      andalso
                      case lists:last(Es) of
                          {ok, {_, _, _, #sctp_assoc_change{state = shutdown_comp}}} -> true;
                          _ -> false
                      end
          end),
    check(Pre ++ "close", {gen_sctp:close(C), gen_sctp:close(S)},
          fun(R) -> R =:= {ok, ok} end),
    ok.

until_shutdown_comp(S, Acc) ->
    case gen_sctp:recv(S, ?T) of
        {ok, {_, _, _, #sctp_assoc_change{state = shutdown_comp}}} = R ->
            lists:reverse([R | Acc]);
        {ok, _} = R when length(Acc) < 10 -> until_shutdown_comp(S, [R | Acc]);
        R -> lists:reverse([R | Acc])
    end.

ok({ok, _}) -> true;
ok(_) -> false.

check(Name, Result, Pred) ->
    io:format("  ~ts~n", [show(Result)]),
    case catch Pred(Result) of
        true -> put(passed, get(passed) + 1), io:format("ok - ~s~n", [Name]);
        _ -> put(failed, get(failed) + 1), io:format("FAIL - ~s~n", [Name])
    end,
    Result.

%% ~p, but with the gen_sctp records written as records.
show(T) -> lists:flatten(io_lib_pretty:print(T, [{record_print_fun, fun fields/2},
                                                {line_length, 160}, {column, 2}])).

fields(sctp_assoc_change, N) -> fs(record_info(fields, sctp_assoc_change), N);
fields(sctp_sndrcvinfo, N) -> fs(record_info(fields, sctp_sndrcvinfo), N);
fields(sctp_shutdown_event, N) -> fs(record_info(fields, sctp_shutdown_event), N);
fields(sctp_paddr_change, N) -> fs(record_info(fields, sctp_paddr_change), N);
fields(sctp_send_failed, N) -> fs(record_info(fields, sctp_send_failed), N);
fields(_, _) -> no.

fs(Fields, N) when length(Fields) =:= N -> Fields;
fs(_, _) -> no.

%% --- interop peer for smoke_sctp.py
peer() ->
    {ok, S} = gen_sctp:open(0, [inet, {ip, {127,0,0,1}}, {active, false}, binary]),
    ok = gen_sctp:listen(S, true),
    {ok, Port} = inet:port(S),
    io:format("PORT ~b~n", [Port]),
    peer_loop(S, false).

peer_loop(S, Answered) ->
    case gen_sctp:recv(S, 60000) of
        {ok, {_, _, [#sctp_sndrcvinfo{ppid = P, stream = St, assoc_id = A}], Data}}
          when is_binary(Data), not Answered ->
            io:format("RECV ppid=~b stream=~b data=~s~n", [P, St, Data]),
            R = gen_sctp:send(S, #sctp_sndrcvinfo{assoc_id = A, stream = 0, ppid = ?PPID},
                              <<"from-otp">>),
            io:format("SENT ppid=~b stream=0 data=from-otp result=~p~n", [?PPID, R]),
            peer_loop(S, true);
        {ok, {_, _, _, #sctp_assoc_change{state = St} = Ev}}
          when St =:= shutdown_comp; St =:= comm_lost ->
            io:format("EVENT ~ts~nDONE~n", [show(Ev)]),
            halt(0);
        {ok, {_, _, _, Ev}} ->
            io:format("EVENT ~ts~n", [show(Ev)]),
            peer_loop(S, Answered);
        Other ->
            io:format("ERROR ~p~nDONE~n", [Other]),
            halt(1)
    end.
