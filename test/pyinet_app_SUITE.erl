%% The pyinet application: starting itself, surviving its port program, closing
%% the sockets of owners that die, and reaching gen_tcp without code changes.
-module(pyinet_app_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1, init_per_testcase/2, end_per_testcase/2]).
-export([plain_listen/0, manual_examples_under_inetrc/1]).
-export([starts_on_first_use/1, same_results_as_gen_tcp/1, port_program_killed/1,
         owner_death_closes_sockets/1, listen_owner_death/1, no_python/1,
         inetrc_needs_no_code_change/1, hello_protocol_checked/1]).

-define(OPTS, [{tcp_module, pyinet_tcp}, binary, {active, false}]).

all() ->
    [starts_on_first_use, same_results_as_gen_tcp, port_program_killed,
     owner_death_closes_sockets, listen_owner_death, no_python, inetrc_needs_no_code_change,
     manual_examples_under_inetrc,
     hello_protocol_checked].

init_per_suite(Config) ->
    %% One port program, so that "the" port program is well defined here
    %% (pyinet_pool_SUITE is about several).
    application:load(pyinet),
    application:set_env(pyinet, routers, 1),
    Config.

end_per_suite(_Config) ->
    application:unset_env(pyinet, routers).

init_per_testcase(_Case, Config) ->
    Config.

end_per_testcase(_Case, _Config) ->
    application:stop(pyinet),
    ok.

starts_on_first_use(_Config) ->
    application:stop(pyinet),
    ?assertEqual(false, lists:keymember(pyinet, 1, application:which_applications())),
    {ok, L} = gen_tcp:listen(0, ?OPTS),
    ?assertMatch({'$inet', pyinet_tcp, _}, L),
    ?assert(lists:keymember(pyinet, 1, application:which_applications())),
    ok = gen_tcp:close(L).

%% The Foundation's vertical slice, call by call against plain gen_tcp.
same_results_as_gen_tcp(_Config) ->
    Native = slice([binary, {active, false}]),
    Pyinet = slice(?OPTS),
    ?assertEqual(Native, Pyinet).

slice(Opts) ->
    {ok, L} = gen_tcp:listen(0, Opts),
    {ok, Port} = inet:port(L),
    Self = self(),
    spawn_link(fun() -> {ok, A} = gen_tcp:accept(L), Self ! {accepted, A},
                        receive stop -> ok end end),
    {ok, C} = gen_tcp:connect("localhost", Port, Opts),
    A = receive {accepted, S} -> S end,
    R = [gen_tcp:send(C, <<"hello">>), gen_tcp:recv(A, 5), gen_tcp:send(A, <<"back">>),
         gen_tcp:recv(C, 0), gen_tcp:close(C), gen_tcp:recv(A, 0), gen_tcp:close(A),
         gen_tcp:close(L), gen_tcp:accept(L)],
    R.

%% kill -9 of the port program: pending calls return {error, closed}, active
%% owners get {tcp_closed, S}, a new port program starts, new sockets work.
port_program_killed(_Config) ->
    ok = pyinet:start(),
    [#{os_pid := OsPid}] = pyinet:info(),
    {ok, L} = gen_tcp:listen(0, ?OPTS),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?OPTS),
    {ok, A} = gen_tcp:accept(L),
    ok = inet:setopts(A, [{active, true}]),
    Self = self(),
    spawn_link(fun() -> Self ! {pending, gen_tcp:recv(C, 0)} end),
    timer:sleep(100),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    receive {pending, R} -> ?assertEqual({error, closed}, R)
    after 5000 -> ct:fail(pending_call_hangs)
    end,
    receive {tcp_closed, A} -> ok
    after 5000 -> ct:fail(no_tcp_closed)
    end,
    ?assertEqual({error, closed}, gen_tcp:send(C, <<"x">>)),
    ?assertEqual({error, closed}, gen_tcp:recv(C, 0, 100)),
    wait_for(fun() -> [#{os_pid := New}] = pyinet:info(), New =/= OsPid end),
    {ok, L2} = gen_tcp:listen(0, ?OPTS),
    {ok, Port2} = inet:port(L2),
    {ok, C2} = gen_tcp:connect({127, 0, 0, 1}, Port2, ?OPTS),
    {ok, A2} = gen_tcp:accept(L2),
    ok = gen_tcp:send(C2, <<"alive">>),
    ?assertEqual({ok, <<"alive">>}, gen_tcp:recv(A2, 5, 2000)),
    [gen_tcp:close(S) || S <- [C2, A2, L2]].

owner_death_closes_sockets(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, ?OPTS),
                          Self ! {connected, C},
                          receive die -> exit(kill_me) end
                  end),
    C = receive {connected, S} -> S end,
    {ok, A} = gen_tcp:accept(L, 2000),
    exit(Owner, kill),
    ?assertEqual({error, closed}, gen_tcp:recv(A, 0, 2000)),
    wait_for(fun() -> gen_tcp:send(C, <<"x">>) =:= {error, closed} end),
    gen_tcp:close(L).

listen_owner_death(_Config) ->
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, L} = gen_tcp:listen(0, ?OPTS),
                          {ok, P} = inet:port(L),
                          Self ! {port, P},
                          receive die -> ok end
                  end),
    Port = receive {port, P} -> P end,
    exit(Owner, kill),
    wait_for(fun() -> gen_tcp:connect({127, 0, 0, 1}, Port, [], 1000) =:= {error, econnrefused} end).

no_python(_Config) ->
    application:stop(pyinet),
    Old = os:getenv("PYINET_PYTHON"),
    os:putenv("PYINET_PYTHON", "/nonexistent/python3"),
    try
        ?assertMatch({error, _}, gen_tcp:listen(0, ?OPTS))
    after
        restore_env("PYINET_PYTHON", Old)
    end,
    {ok, L} = gen_tcp:listen(0, ?OPTS),
    gen_tcp:close(L).

%% A node whose inetrc says {tcp, pyinet_tcp} runs plain gen_tcp code on pyinet.
inetrc_needs_no_code_change(Config) ->
    Dir = ?config(priv_dir, Config),
    Rc = filename:join(Dir, "pyinet.inetrc"),
    ok = file:write_file(Rc, "{tcp, pyinet_tcp}.\n"),
    Ebin = filename:dirname(code:which(pyinet_tcp)),
    Here = filename:dirname(code:which(?MODULE)),
    {ok, Peer, _Node} = peer:start_link(#{connection => standard_io,
                                          args => ["-pa", Ebin, "-pa", Here, "-kernel", "inetrc",
                                                   "\"" ++ Rc ++ "\""]}),
    try
        ?assertEqual(pyinet_tcp, peer:call(Peer, inet_db, tcp_module, [])),
        %% peer:call runs each call in a process of its own, which would own
        %% (and, exiting, close) the socket: one call does the whole server side.
        {ok, L, Port} = peer:call(Peer, ?MODULE, plain_listen, []),
        ?assertMatch({'$inet', pyinet_tcp, _}, L),
        {ok, C} = gen_tcp:connect({127, 0, 0, 1}, Port, [binary, {active, false}]),
        ok = gen_tcp:send(C, <<"over inetrc">>),
        ?assertEqual({ok, <<"over inetrc">>}, gen_tcp:recv(C, 0, 5000)),
        gen_tcp:close(C)
    after
        peer:stop(Peer)
    end.

%% The three examples of gen_tcp(3), as written (examples/gen_tcp_examples.erl),
%% on a node whose inetrc sends gen_tcp to pyinet: the same results as here,
%% where they run on OTP's own driver.
manual_examples_under_inetrc(Config) ->
    Dir = ?config(priv_dir, Config),
    Ebin = filename:dirname(code:which(pyinet_tcp)),
    %% The repository's examples/, beside this suite's test/.
    Root = filename:dirname(filename:dirname(code:which(?MODULE))),
    Source = filename:join([Root, "examples", "gen_tcp_examples.erl"]),
    {ok, gen_tcp_examples} = compile:file(Source, [{outdir, Dir}]),
    code:add_patha(Dir),
    Native = gen_tcp_examples:run(),
    Rc = filename:join(Dir, "examples.inetrc"),
    ok = file:write_file(Rc, "{tcp, pyinet_tcp}.\n"),
    {ok, Peer, _Node} = peer:start_link(#{connection => standard_io,
                                          args => ["-pa", Ebin, "-pa", Dir, "-kernel", "inetrc",
                                                   "\"" ++ Rc ++ "\""]}),
    try
        ?assertEqual(pyinet_tcp, peer:call(Peer, inet_db, tcp_module, [])),
        OnPyinet = peer:call(Peer, gen_tcp_examples, run, [], 60000),
        ct:pal("native: ~p~npyinet: ~p", [Native, OnPyinet]),
        ?assertMatch({[{ok, "eno"}, {ok, "owt"}, {ok, "eerht"}, {ok, "ruof"}],
                      {error_sending, timeout, sent_some, true}}, Native),
        ?assertEqual(Native, OnPyinet)
    after
        peer:stop(Peer)
    end.

%% Runs on the peer node: plain gen_tcp, no pyinet in sight.
plain_listen() ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    spawn(fun() ->
                  {ok, A} = gen_tcp:accept(L, 5000),
                  {ok, Data} = gen_tcp:recv(A, 0, 5000),
                  ok = gen_tcp:send(A, Data),
                  timer:sleep(1000)
          end),
    ok = gen_tcp:controlling_process(L, whereis(init)),
    {ok, L, Port}.

%% A port program announcing another protocol version is refused, with a reason.
hello_protocol_checked(Config) ->
    application:stop(pyinet),
    Fake = filename:join(?config(priv_dir, Config), "fake_python"),
    Hello = term_to_binary({pyinet, {hello, #{protocol => 99}}}),
    Script = io_lib:format("#!/bin/sh\nprintf '~ts'\nsleep 5\n",
                           [[io_lib:format("\\~3.8.0b", [B])
                             || <<B>> <= <<(byte_size(Hello)):32, Hello/binary>>]]),
    ok = file:write_file(Fake, Script),
    ok = file:change_mode(Fake, 8#755),
    Old = os:getenv("PYINET_PYTHON"),
    os:putenv("PYINET_PYTHON", Fake),
    try
        {error, Reason} = pyinet:start(),
        ?assertMatch({incompatible_protocol, 99, 4}, find_reason(Reason))
    after
        restore_env("PYINET_PYTHON", Old)
    end.

restore_env(Name, false) -> os:unsetenv(Name);
restore_env(Name, Value) -> os:putenv(Name, Value).

find_reason({incompatible_protocol, _, _} = R) -> R;
find_reason(T) when is_tuple(T) -> find_reason(tuple_to_list(T));
find_reason([H | T]) ->
    case find_reason(H) of
        undefined -> find_reason(T);
        R -> R
    end;
find_reason(_) -> undefined.

wait_for(Fun) ->
    wait_for(Fun, 100).

wait_for(Fun, 0) ->
    ?assert(Fun());
wait_for(Fun, N) ->
    case try Fun() catch _:_ -> false end of
        true -> ok;
        _ -> timer:sleep(50), wait_for(Fun, N - 1)
    end.
