%% pyinet_socket beyond what the conformance scenarios compare with OTP: the
%% reference manual's examples run as written (socket: replaced by
%% pyinet_socket:), many processes at once, many sockets opened and closed, and
%% what waiting callers see when the port program dies.
-module(pyinet_socket_SUITE).

-include_lib("common_test/include/ct.hrl").
-include_lib("stdlib/include/assert.hrl").

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([manual_example/1, reference_44404/1, concurrent_pairs/1, open_close_cycles/1,
         port_program_dies/1]).

suite() ->
    [{timetrap, {minutes, 5}}].

all() ->
    [manual_example, reference_44404, concurrent_pairs, open_close_cycles, port_program_dies].

init_per_suite(Config) ->
    %% One port program, so that "the" port program is well defined here.
    application:load(pyinet),
    application:set_env(pyinet, routers, 1),
    ok = pyinet:start(),
    Config.

end_per_suite(_Config) ->
    application:stop(pyinet).

%%% The examples.

%% socket(3), section Examples: client/2 and server/2 as printed there.
manual_example(_Config) ->
    Self = self(),
    %% The server closes first and leaves its port in TIME_WAIT: a fresh one
    %% for each run, one the kernel hands out as free (a port picked at random
    %% may be held by a connection of an earlier suite).
    {ok, Probe} = gen_tcp:listen(0, [{ip, {127, 0, 0, 1}}]),
    {ok, Port} = inet:port(Probe),
    ok = gen_tcp:close(Probe),
    spawn_link(fun() -> Self ! {server, server({127, 0, 0, 1}, Port)} end),
    timer:sleep(200),
    ok = client({127, 0, 0, 1}, Port),
    receive {server, Result} -> ok = Result end.

client(SAddr, SPort) ->
   {ok, Sock} = pyinet_socket:open(inet, stream, tcp),
   ok = pyinet_socket:connect(Sock, #{family => inet,
                                      addr   => SAddr,
                                      port   => SPort}),
   Msg = <<"hello">>,
   ok = pyinet_socket:send(Sock, Msg),
   ok = pyinet_socket:shutdown(Sock, write),
   {ok, Msg} = pyinet_socket:recv(Sock),
   ok = pyinet_socket:close(Sock).

server(Addr, Port) ->
   {ok, LSock} = pyinet_socket:open(inet, stream, tcp),
   ok = pyinet_socket:bind(LSock, #{family => inet,
                                    port   => Port,
                                    addr   => Addr}),
   ok = pyinet_socket:listen(LSock),
   {ok, Sock} = pyinet_socket:accept(LSock),
   {ok, Msg} = pyinet_socket:recv(Sock),
   ok = pyinet_socket:send(Sock, Msg),
   ok = pyinet_socket:close(Sock),
   ok = pyinet_socket:close(LSock).

%% The listen/connect/option calls of the reference on port 44404.
reference_44404(_Config) ->
    {ok, LSock} = pyinet_socket:open(inet, stream, tcp),
    ok = pyinet_socket:setopt(LSock, {socket, reuseaddr}, true),
    ok = bind_when_free(LSock, #{family => inet, port => 44404, addr => any}, 70),
    ok = pyinet_socket:listen(LSock),
    {ok, Sock} = pyinet_socket:open(inet, stream, tcp),
    ok = pyinet_socket:connect(Sock, #{family => inet, port => 44404, addr => loopback}),
    {ok, ASock} = pyinet_socket:accept(LSock),
    ok = pyinet_socket:setopt(Sock, {socket, linger}, #{onoff => true, linger => 10}),
    {ok, #{onoff := true, linger := 10}} = pyinet_socket:getopt(Sock, {socket, linger}),
    {ok, stream} = pyinet_socket:getopt(Sock, {socket, type}),
    {ok, true} = pyinet_socket:getopt(LSock, {socket, reuseaddr}),
    ok = pyinet_socket:close(Sock),
    {error, closed} = pyinet_socket:recv(ASock),
    [ok = pyinet_socket:close(S) || S <- [ASock, LSock]].

%% 44404 is in the kernel's ephemeral range: another test's connection may
%% have used it and left it in TIME_WAIT for a minute.
bind_when_free(Sock, Addr, Tries) ->
    case pyinet_socket:bind(Sock, Addr) of
        {error, eaddrinuse} when Tries > 0 ->
            timer:sleep(1000),
            bind_when_free(Sock, Addr, Tries - 1);
        Result ->
            Result
    end.

%%% Load.

%% 50 pairs, each driven by its own two processes, blocking and nowait mixed:
%% every byte arrives, in order, on its own socket.
concurrent_pairs(_Config) ->
    {ok, L} = pyinet_socket:open(inet, stream),
    ok = pyinet_socket:bind(L, loopback),
    ok = pyinet_socket:listen(L, 128),
    {ok, Addr} = pyinet_socket:sockname(L),
    Self = self(),
    N = 50,
    [spawn_link(fun() ->
                        {ok, C} = pyinet_socket:open(inet, stream),
                        ok = pyinet_socket:connect(C, Addr),
                        [ok = pyinet_socket:send(C, <<I:32, K:32>>) || K <- lists:seq(1, 200)],
                        Self ! {sent, I}
                end) || I <- lists:seq(1, N)],
    Readers = [begin
                   {ok, A} = pyinet_socket:accept(L),
                   spawn_link(fun() -> Self ! {read, self(), read_all(A, 200, [])} end)
               end || _ <- lists:seq(1, N)],
    Got = [receive {read, R, Data} -> Data end || R <- Readers],
    [receive {sent, _} -> ok end || _ <- lists:seq(1, N)],
    Ids = lists:sort([begin
                          [<<I:32, _:32>> | _] = Data,
                          ?assertEqual([<<I:32, K:32>> || K <- lists:seq(1, 200)], Data),
                          I
                      end || Data <- Got]),
    ?assertEqual(lists:seq(1, N), Ids),
    ok = pyinet_socket:close(L).

%% Alternate blocking and nowait receives of exactly 8 bytes.
read_all(_A, 0, Acc) ->
    lists:reverse(Acc);
read_all(A, Left, Acc) when Left rem 2 =:= 0 ->
    {ok, B} = pyinet_socket:recv(A, 8, 5000),
    read_all(A, Left - 1, [B | Acc]);
read_all(A, Left, Acc) ->
    case pyinet_socket:recv(A, 8, nowait) of
        {ok, B} ->
            read_all(A, Left - 1, [B | Acc]);
        {select, {{select_info, recv, H}, Part}} ->
            receive {'$socket', A, select, H} -> ok end,
            {ok, Rest} = pyinet_socket:recv(A, 8 - byte_size(Part), 5000),
            read_all(A, Left - 1, [<<Part/binary, Rest/binary>> | Acc]);
        {select, {select_info, recv, H}} ->
            receive {'$socket', A, select, H} -> ok end,
            read_all(A, Left, Acc)
    end.

%% Thousands of sockets opened and closed: no descriptor stays open in the
%% port program, and the closed ones it remembers are bounded.
open_close_cycles(_Config) ->
    [#{os_pid := OsPid}] = pyinet:info(),
    Before = fds(OsPid),
    [begin
         {ok, S} = pyinet_socket:open(inet, dgram),
         ok = pyinet_socket:bind(S, loopback),
         ok = pyinet_socket:close(S)
     end || _ <- lists:seq(1, 5000)],
    ?assertEqual(Before, fds(OsPid)),
    ?assertEqual([], pyinet_socket:which_sockets()).

fds(OsPid) ->
    length(filelib:wildcard("/proc/" ++ integer_to_list(OsPid) ++ "/fd/*")).

%%% Faults.

%% The port program dies: a blocking call returns {error, closed}, and new
%% sockets work once it is back.
port_program_dies(_Config) ->
    [#{os_pid := OsPid}] = pyinet:info(),
    {ok, L} = pyinet_socket:open(inet, stream),
    ok = pyinet_socket:bind(L, loopback),
    ok = pyinet_socket:listen(L),
    Self = self(),
    spawn_link(fun() -> Self ! {accept, pyinet_socket:accept(L)} end),
    spawn_link(fun() -> Self ! {accept_timeout, pyinet_socket:accept(L, 60000)} end),
    timer:sleep(200),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    receive {accept, R1} -> ?assertEqual({error, closed}, R1) after 5000 -> error(hangs) end,
    receive {accept_timeout, R2} -> ?assertEqual({error, closed}, R2) after 5000 -> error(hangs) end,
    wait_for(fun() -> [#{os_pid := New}] = pyinet:info(), New =/= OsPid end),
    ?assertEqual({error, closed}, pyinet_socket:recv(L, 0, 100)),
    {ok, S} = pyinet_socket:open(inet, dgram),
    ok = pyinet_socket:bind(S, loopback),
    {ok, Addr} = pyinet_socket:sockname(S),
    ok = pyinet_socket:sendto(S, <<"alive">>, Addr),
    {ok, {_, <<"alive">>}} = pyinet_socket:recvfrom(S, 0, 5000),
    ok = pyinet_socket:close(S).

wait_for(Fun) ->
    wait_for(Fun, 100).

wait_for(Fun, 0) ->
    Fun();
wait_for(Fun, N) ->
    try Fun() of
        true -> ok;
        _ -> timer:sleep(100), wait_for(Fun, N - 1)
    catch _:_ -> timer:sleep(100), wait_for(Fun, N - 1)
    end.
