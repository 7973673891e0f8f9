%% file:sendfile/2,5 on pyinet sockets, where the conformance scenarios
%% (pyinet_conformance_sendfile) cannot look: a socket that a fault stands in
%% for, whose file must pass through the fault (the port program answers
%% enotsup and file:sendfile sends the file with gen_tcp:send itself).
-module(pyinet_sendfile_SUITE).

-include_lib("common_test/include/ct.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([file_through_a_fault/1]).

all() ->
    [file_through_a_fault].

init_per_suite(Config) ->
    ok = pyinet:start(),
    Config.

end_per_suite(_Config) ->
    ok.

file_through_a_fault(Config) ->
    Path = filename:join(?config(priv_dir, Config), "file"),
    Bytes = << <<(I rem 251)>> || I <- lists:seq(1, 20000) >>,
    ok = file:write_file(Path, Bytes),
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}]),
    {ok, Port} = inet:port(L),
    {ok, C} = gen_tcp:connect(localhost, Port, [{tcp_module, pyinet_tcp}, binary,
                                                {active, false}]),
    {ok, A} = gen_tcp:accept(L, 5000),
    ok = pyinet_fault:inject(C, {chunks, [1, 7, 100]}),
    {ok, 20000} = file:sendfile(Path, C),
    Bytes = recv_all(A, 20000, []),
    ok = pyinet_fault:clear(C),
    %% Without the fault, the port program sends it itself again.
    {ok, 20000} = file:sendfile(Path, C),
    Bytes = recv_all(A, 20000, []),
    [ok = gen_tcp:close(S) || S <- [C, A, L]].

recv_all(_S, 0, Acc) ->
    iolist_to_binary(lists:reverse(Acc));
recv_all(S, N, Acc) ->
    {ok, Data} = gen_tcp:recv(S, 0, 5000),
    recv_all(S, N - byte_size(Data), [Data | Acc]).
