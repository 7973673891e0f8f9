%% gen_udp on pyinet as a program sees it: a node whose inetrc names pyinet_udp
%% runs plain gen_udp code unchanged, and the life of a socket around it (its
%% owner dying, the port program dying). Call-by-call behaviour is in
%% pyinet_conformance_udp, compared against real OTP.
-module(pyinet_udp_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1, end_per_testcase/2]).
-export([inetrc_needs_no_code_change/1, owner_death_closes_socket/1,
         port_program_killed/1]).
-export([plain_echo_server/0, plain_client/1]).

-define(OPTS, [{udp_module, pyinet_udp}, binary, {active, false}]).

all() ->
    [inetrc_needs_no_code_change, owner_death_closes_socket, port_program_killed].

init_per_suite(Config) ->
    application:load(pyinet),
    application:set_env(pyinet, routers, 1),
    Config.

end_per_suite(_Config) ->
    application:unset_env(pyinet, routers).

end_per_testcase(_Case, _Config) ->
    application:stop(pyinet),
    ok.

%% A node whose inetrc says {udp, pyinet_udp} runs plain gen_udp code on pyinet:
%% an echo server and a client that know nothing of pyinet.
inetrc_needs_no_code_change(Config) ->
    Dir = ?config(priv_dir, Config),
    Rc = filename:join(Dir, "pyinet_udp.inetrc"),
    ok = file:write_file(Rc, "{udp, pyinet_udp}.\n"),
    Ebin = filename:dirname(code:which(pyinet_udp)),
    Here = filename:dirname(code:which(?MODULE)),
    {ok, Peer, _Node} = peer:start_link(#{connection => standard_io,
                                          args => ["-pa", Ebin, "-pa", Here, "-kernel", "inetrc",
                                                   "\"" ++ Rc ++ "\""]}),
    try
        ?assertEqual(pyinet_udp, peer:call(Peer, inet_db, udp_module, [])),
        {ok, S, Port} = peer:call(Peer, ?MODULE, plain_echo_server, []),
        ?assertMatch({'$inet', pyinet_udp, _}, S),
        %% A native socket here talks to the pyinet one there.
        {ok, C} = gen_udp:open(0, [binary, {active, false}]),
        ok = gen_udp:send(C, {127, 0, 0, 1}, Port, <<"over inetrc">>),
        ?assertMatch({ok, {{127, 0, 0, 1}, Port, <<"over inetrc">>}}, gen_udp:recv(C, 0, 5000)),
        gen_udp:close(C),
        %% And the client side there, against a native echo here.
        {ok, E} = gen_udp:open(0, [binary, {active, false}]),
        {ok, EPort} = inet:port(E),
        Echo = spawn_link(fun() ->
                                  {ok, {IP, P, D}} = gen_udp:recv(E, 0, 5000),
                                  ok = gen_udp:send(E, IP, P, D)
                          end),
        ok = gen_udp:controlling_process(E, Echo),
        ?assertMatch({ok, {'$inet', pyinet_udp, _}, {{127, 0, 0, 1}, EPort, <<"ping">>}},
                     peer:call(Peer, ?MODULE, plain_client, [EPort]))
    after
        peer:stop(Peer)
    end.

%% Runs on the peer node: plain gen_udp, no pyinet in sight. The server belongs
%% to a process that outlives the call.
plain_echo_server() ->
    Parent = self(),
    spawn(fun() ->
                  {ok, S} = gen_udp:open(0, [binary, {active, true}]),
                  {ok, Port} = inet:port(S),
                  Parent ! {ready, S, Port},
                  receive
                      {udp, S, IP, P, Data} -> gen_udp:send(S, IP, P, Data)
                  after 10000 -> ok
                  end,
                  timer:sleep(1000)
          end),
    receive {ready, S, Port} -> {ok, S, Port} end.

plain_client(Port) ->
    {ok, S} = gen_udp:open(0, [binary, {active, false}]),
    ok = gen_udp:connect(S, "localhost", Port),
    ok = gen_udp:send(S, <<"ping">>),
    {ok, Reply} = gen_udp:recv(S, 0, 5000),
    ok = gen_udp:close(S),
    {ok, S, Reply}.

%% The socket goes with its owner, as a port linked to it does.
owner_death_closes_socket(_Config) ->
    Self = self(),
    Owner = spawn(fun() ->
                          {ok, S} = gen_udp:open(0, ?OPTS),
                          Self ! {opened, S},
                          receive die -> ok end
                  end),
    S = receive {opened, X} -> X end,
    MRef = inet:monitor(S),
    {ok, Port} = inet:port(S),
    exit(Owner, kill),
    receive {'DOWN', MRef, port, S, killed} -> ok
    after 5000 -> ct:fail(no_down)
    end,
    ?assertEqual({error, closed}, gen_udp:send(S, {127, 0, 0, 1}, Port, <<"x">>)),
    %% The port number is free again.
    {ok, S2} = gen_udp:open(Port, ?OPTS),
    gen_udp:close(S2).

%% kill -9 of the port program: a pending recv returns {error, closed}, an
%% active owner gets {udp_closed, S}, and new sockets work on the new program.
port_program_killed(_Config) ->
    ok = pyinet:start(),
    [#{os_pid := OsPid}] = pyinet:info(),
    {ok, A} = gen_udp:open(0, [{udp_module, pyinet_udp}, binary, {active, true}]),
    {ok, P} = gen_udp:open(0, ?OPTS),
    Self = self(),
    spawn_link(fun() -> Self ! {pending, gen_udp:recv(P, 0)} end),
    timer:sleep(100),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    receive {pending, R} -> ?assertEqual({error, closed}, R)
    after 5000 -> ct:fail(pending_call_hangs)
    end,
    receive {udp_closed, A} -> ok
    after 5000 -> ct:fail(no_udp_closed)
    end,
    ?assertEqual({error, closed}, gen_udp:send(A, {127, 0, 0, 1}, 9, <<"x">>)),
    wait_for(fun() -> [#{os_pid := New}] = pyinet:info(), New =/= OsPid end),
    {ok, B} = gen_udp:open(0, ?OPTS),
    {ok, PB} = inet:port(B),
    ok = gen_udp:send(B, {127, 0, 0, 1}, PB, <<"alive">>),
    ?assertMatch({ok, {{127, 0, 0, 1}, PB, <<"alive">>}}, gen_udp:recv(B, 0, 2000)),
    gen_udp:close(B).

wait_for(Fun) ->
    wait_for(Fun, 100).

wait_for(Fun, 0) ->
    ?assert(Fun());
wait_for(Fun, N) ->
    case try Fun() catch _:_ -> false end of
        true -> ok;
        _ -> timer:sleep(50), wait_for(Fun, N - 1)
    end.
