%% The steps of gen_tcp_misc_SUITE:otp_12242, timed, natively and on pyinet:
%% a 128 MB send, a close with {linger, {true, 1}} in another process, another
%% 128 MB send that must time out (send_timeout 500) before the close ends.
%% How far the pipe to the port program shifts those times (tests/otp_suites/open).
%%
%%   erlc -o /tmp bench/otp_12242_timing.erl && erl -noshell \
%%     -pa _build/default/lib/pyinet/ebin -pa /tmp \
%%     -eval 'pyinet:start(), otp_12242_timing:run(gen_tcp), otp_12242_timing:run(pyinet_tcp), halt().'
-module(otp_12242_timing).
-export([run/1]).
t() -> erlang:monotonic_time(millisecond).
run(Mod) ->
    Bufsize = 16*1024, Blob = binary:copy(<<$x>>, 128*1024*1024),
    Opts = [binary, {active,false}, {recbuf,Bufsize},{sndbuf,Bufsize},{buffer,Bufsize}],
    {ok, L} = Mod:listen(0, [{reuseaddr,true}|Opts]),
    {ok, P} = inet:port(L),
    Self = self(),
    spawn_link(fun() -> {ok, A} = Mod:accept(L), Self ! acc, receive stop -> Mod:close(A) end end),
    {ok, C} = Mod:connect({127,0,0,1}, P, [{linger,{true,1}},{send_timeout,500}|Opts]),
    receive acc -> ok end,
    T0 = t(),
    R1 = Mod:send(C, Blob), T1 = t(),
    spawn(fun() -> Tc = t(), R = Mod:close(C), Self ! {closed, R, t() - Tc, t()-T0} end),
    timer:sleep(50),
    T2 = t(), R2 = Mod:send(C, Blob), T3 = t(),
    R3 = inet:setopts(C, [{send_timeout, 10000}]), T4=t(),
    R4 = Mod:send(C, Blob), T5 = t(),
    Cl = receive {closed, _, _, _}=M -> M end,
    io:format("~p: send1 ~p ~pms; send2 ~p ~pms (at ~p); setopts ~p at ~p; send3 ~p ~pms (at ~p); close ~p~n",
              [Mod, R1, T1-T0, R2, T3-T2, T3-T0, R3, T4-T0, R4, T5-T4, T5-T0, Cl]).
