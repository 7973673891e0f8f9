%% pyinet:takeover/0 puts every TCP and UDP socket of the node on pyinet,
%% also those of applications that name the family, which an inetrc cannot
%% reach: inets' httpd (served to curl) and httpc (fetching from it), and
%% the PostgreSQL client p1_pgsql against a PostgreSQL server this suite
%% starts on loopback (as the postgres user when run as root, which
%% PostgreSQL refuses). Each case checks that the sockets were pyinet's.
-module(pyinet_takeover_SUITE).

-include_lib("common_test/include/ct.hrl").

-export([all/0, init_per_suite/1, end_per_suite/1]).
-export([families_go_to_pyinet/1, httpd_serves_curl/1, httpc_fetches/1, pgsql_queries/1,
         release_gives_otp_sockets/1]).

-define(LO, {127, 0, 0, 1}).
%% Every external command is bounded by timeout(1).
-define(CMD_TIMEOUT, "60").

all() ->
    [families_go_to_pyinet, httpd_serves_curl, httpc_fetches, pgsql_queries,
     release_gives_otp_sockets].

init_per_suite(Config) ->
    ok = pyinet:start(),
    Dir = filename:join(?config(priv_dir, Config), "www"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    ok = file:write_file(filename:join(Dir, "hello.txt"), <<"hello from httpd on pyinet\n">>),
    %% PostgreSQL needs a port number of its own, found while sockets are OTP's.
    {ok, Free} = gen_tcp:listen(0, [{ip, ?LO}]),
    {ok, PgPort} = inet:port(Free),
    ok = gen_tcp:close(Free),
    Pg = start_postgres(PgPort),
    ok = pyinet:takeover(),
    {ok, _} = application:ensure_all_started(inets),
    {ok, Httpd} = inets:start(httpd, [{port, 0}, {server_name, "pyinet"},
                                      {server_root, Dir}, {document_root, Dir},
                                      {bind_address, ?LO}, {ipfamily, inet}]),
    [{port, HttpPort}] = httpd:info(Httpd, [port]),
    [{www, Dir}, {httpd, Httpd}, {http_port, HttpPort}, {pg, Pg}, {pg_port, PgPort} | Config].

end_per_suite(Config) ->
    ok = pyinet:release(),
    _ = inets:stop(httpd, ?config(httpd, Config)),
    _ = application:stop(inets),
    stop_postgres(?config(pg, Config)),
    ok.

%%% Cases.

%% gen_tcp and gen_udp with inet or inet6 named: pyinet's sockets.
families_go_to_pyinet(_Config) ->
    {ok, L4} = gen_tcp:listen(0, [inet, {ip, ?LO}]),
    {'$inet', pyinet_tcp, _} = L4,
    {ok, P4} = inet:port(L4),
    {ok, C4} = gen_tcp:connect("127.0.0.1", P4, [inet, binary, {active, false}], 5000),
    {'$inet', pyinet_tcp, _} = C4,
    {ok, L6} = gen_tcp:listen(0, [inet6]),
    {ok, {{0, 0, 0, 0, 0, 0, 0, 0}, _}} = inet:sockname(L6),
    {'$inet', pyinet_tcp, _} = L6,
    {ok, U4} = gen_udp:open(0, [inet]),
    {'$inet', pyinet_udp, _} = U4,
    {ok, U6} = gen_udp:open(0, [inet6]),
    {ok, {{0, 0, 0, 0, 0, 0, 0, 0}, _}} = inet:sockname(U6),
    %% Name resolution is OTP's own still, and so are inet's utility sockets.
    {ok, ?LO} = inet_tcp:getaddr("127.0.0.1"),
    {ok, _} = inet:gethostname(),
    {ok, 80} = inet:getservbyname(http, tcp),
    [ok = inet:close(S) || S <- [C4, L4, L6, U4, U6]].

httpd_serves_curl(Config) ->
    Port = ?config(http_port, Config),
    %% httpd listens on a pyinet socket.
    true = has_pyinet_socket(fun(#{local := {_, P}}) -> P =:= Port; (_) -> false end),
    Url = "http://127.0.0.1:" ++ integer_to_list(Port) ++ "/hello.txt",
    "hello from httpd on pyinet\n" = os:cmd("timeout " ?CMD_TIMEOUT " curl -s --max-time 30 " ++ Url).

httpc_fetches(Config) ->
    Port = ?config(http_port, Config),
    Url = "http://127.0.0.1:" ++ integer_to_list(Port) ++ "/hello.txt",
    {ok, {{_, 200, _}, _Headers, "hello from httpd on pyinet\n"}} =
        httpc:request(get, {Url, []}, [{timeout, 30000}], []),
    %% httpc keeps its connection: a pyinet socket whose peer is httpd.
    true = has_pyinet_socket(fun(#{peer := {_, P}}) -> P =:= Port; (_) -> false end).

pgsql_queries(Config) ->
    Port = ?config(pg_port, Config),
    {ok, _} = application:ensure_all_started(p1_pgsql),
    {ok, Pg} = pgsql:connect([{host, "127.0.0.1"}, {port, Port}, {database, "postgres"},
                              {user, "pyinet"}, {connect_timeout, 30000}]),
    true = has_pyinet_socket(fun(#{peer := {_, P}}) -> P =:= Port; (_) -> false end),
    {ok, [{_, _, [["42"]]}] = Result} = pgsql:squery(Pg, "SELECT 40 + 2", 30000),
    ct:log("SELECT 40 + 2: ~p", [Result]),
    {ok, _} = pgsql:squery(Pg, "CREATE TABLE t (n integer)", 30000),
    {ok, _} = pgsql:squery(Pg, "INSERT INTO t VALUES (1), (2), (3)", 30000),
    {ok, [{_, _, [["6"]]}]} = pgsql:squery(Pg, "SELECT sum(n) FROM t", 30000),
    pgsql:terminate(Pg).

release_gives_otp_sockets(_Config) ->
    ok = pyinet:release(),
    {ok, L} = gen_tcp:listen(0, [inet]),
    true = is_port(L),
    ok = gen_tcp:close(L),
    ok = pyinet:takeover(),
    {ok, L2} = gen_tcp:listen(0, [inet]),
    {'$inet', pyinet_tcp, _} = L2,
    ok = gen_tcp:close(L2).

%%% Helpers.

has_pyinet_socket(Match) ->
    lists:any(fun(S) -> Match(S) end,
              [S || #{kind := Kind} = S <- pyinet:sockets(), Kind =:= tcp orelse Kind =:= tcp_listen]).

%% A PostgreSQL cluster of its own in a temporary directory, on loopback at
%% Port, trusting local connections; as the postgres user when this is root.
start_postgres(Port) ->
    Bin = case lists:reverse(lists:sort(filelib:wildcard("/usr/lib/postgresql/*/bin"))) of
              [B | _] -> B;
              [] -> ct:fail("no PostgreSQL server (Debian's postgresql package)")
          end,
    Dir = string:trim(os:cmd("mktemp -d /tmp/pyinet-pg-XXXXXX")),
    As = case string:trim(os:cmd("id -u")) of
             "0" ->
                 cmd("chown postgres " ++ Dir),
                 "runuser -u postgres -- ";
             _ ->
                 ""
         end,
    Data = Dir ++ "/data",
    cmd(As ++ Bin ++ "/initdb -D " ++ Data ++ " -A trust -U pyinet --no-sync"),
    cmd(As ++ Bin ++ "/pg_ctl -D " ++ Data ++ " -l " ++ Dir ++ "/log -w -t 50 -o '-p "
        ++ integer_to_list(Port) ++ " -c listen_addresses=127.0.0.1 -k " ++ Dir
        ++ " -c fsync=off' start"),
    #{bin => Bin, dir => Dir, as => As}.

stop_postgres(#{bin := Bin, dir := Dir, as := As}) ->
    _ = os:cmd("timeout " ?CMD_TIMEOUT " " ++ As ++ Bin ++ "/pg_ctl -D " ++ Dir
               ++ "/data -m fast -w -t 50 stop"),
    _ = os:cmd("rm -rf " ++ Dir),
    ok.

%% A command that must succeed (its output is logged).
cmd(Command) ->
    Out = os:cmd("timeout " ?CMD_TIMEOUT " " ++ Command ++ " 2>&1; echo \"exit=$?\""),
    ct:log("~ts~n~ts", [Command, Out]),
    case lists:suffix("exit=0\n", Out) of
        true -> ok;
        false -> ct:fail({command_failed, Command, Out})
    end.
