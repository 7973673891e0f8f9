%% A Common Test suite that makes sockets misbehave with pyinet_fault: paste
%% it into your project (with pyinet as a dependency) and change the names.
-module(fault_example_SUITE).

-include_lib("common_test/include/ct.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1, init_per_testcase/2, end_per_testcase/2]).
-export([frame_arrives_in_pieces/1, client_sees_reset/1, lossy_udp_is_repeatable/1]).

all() -> [frame_arrives_in_pieces, client_sees_reset, lossy_udp_is_repeatable].

init_per_suite(Config) -> ok = pyinet:start(), Config.
end_per_suite(_Config) -> application:stop(pyinet).

%% Every case starts a run of its own: the same seed, the same faults.
init_per_testcase(_Case, Config) -> ok = pyinet_fault:seed(42), Config.
end_per_testcase(_Case, _Config) -> ct:log("faults applied: ~p", [pyinet_fault:trace()]).

%% A {packet, 2} reader gets the whole frame even when it arrives in pieces.
frame_arrives_in_pieces(_Config) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect(localhost, Port, [{tcp_module, pyinet_tcp}, binary,
                                                 {packet, 2}, {active, false}]),
    {ok, S} = gen_tcp:accept(L),
    ok = pyinet_fault:inject(C, {chunks, [1, 1, 3, 2]}),
    ok = gen_tcp:send(S, <<5:16, "hello">>),
    {ok, <<"hello">>} = gen_tcp:recv(C, 0, 1000).

%% A client talking to a server whose connection is reset.
client_sees_reset(_Config) ->
    {ok, L} = gen_tcp:listen(0, [{tcp_module, pyinet_tcp}, binary, {active, false}]),
    {ok, Port} = inet:port(L),
    {ok, Client} = gen_tcp:connect(localhost, Port, [binary, {active, false},
                                                      {show_econnreset, true}]),
    {ok, Server} = gen_tcp:accept(L),
    ok = pyinet_fault:inject(Server, reset),
    {error, econnreset} = gen_tcp:recv(Client, 0, 1000).

%% 30% of the datagrams lost: which ones is the seed's choice, every run.
lossy_udp_is_repeatable(_Config) ->
    Lost = lost_of_100(),
    true = length(Lost) > 10,
    ok = pyinet_fault:seed(42),
    Lost = lost_of_100().

lost_of_100() ->
    {ok, Rx} = gen_udp:open(0, [binary, {active, false}, {recbuf, 1 bsl 20}]),
    {ok, RxPort} = inet:port(Rx),
    {ok, Tx} = gen_udp:open(0, [{udp_module, pyinet_udp}, binary]),
    ok = pyinet_fault:inject(Tx, {drop, send, 0.3}),
    [ok = gen_udp:send(Tx, {127, 0, 0, 1}, RxPort, <<I>>) || I <- lists:seq(1, 100)],
    Got = receive_all(Rx),
    gen_udp:close(Tx),
    gen_udp:close(Rx),
    [I || I <- lists:seq(1, 100), not lists:member(<<I>>, Got)].

receive_all(S) ->
    case gen_udp:recv(S, 0, 300) of
        {ok, {_, _, Data}} -> [Data | receive_all(S)];
        {error, timeout} -> []
    end.
