%% The Common Test hook OTP's own test suites name in suite/0
%% ({ct_hooks, [ts_install_cth]}). OTP's real one (lib/common_test/test_server)
%% reads the `variables' file `ts:install()' writes and builds the suites' data
%% directories with it; here run.sh builds the one NIF the gen_tcp suites load,
%% so the hook adds nothing to the configuration.
%%
%% What it adds, for run.sh:
%% - a check that a run meant for pyinet really is on pyinet: with
%%   PYINET_OTP_SUITES_TCP_MODULE=pyinet_tcp in the environment it fails the
%%   suite unless the node's tcp_module (inet_db:tcp_module(), from the inetrc)
%%   is pyinet_tcp and a plain gen_tcp:listen/2 returns a
%%   {'$inet', pyinet_tcp, _} socket, and at the end prints how often gen_tcp
%%   called into pyinet_tcp;
%% - cases skipped by name, each with its reason, from the file
%%   PYINET_OTP_SUITES_SKIP names (lines "Suite Case Reason..."): they show as
%%   skipped, with that reason, in the counts and logs.
-module(ts_install_cth).

-export([init/2, pre_init_per_suite/3, post_end_per_suite/4, pre_init_per_testcase/4]).

%% The pyinet_tcp functions gen_tcp calls to open sockets.
-define(COUNTED, [{connect, 4}, {connect, 3}, {listen, 2}, {accept, 2}]).

-spec init(term(), term()) -> {ok, [{atom(), atom(), string()}]}.
init(_Id, _Opts) ->
    {ok, skip_list()}.

-spec pre_init_per_suite(atom(), list(), State) -> {list() | {fail, term()}, State}.
pre_init_per_suite(_Suite, Config, State) ->
    case expected_module() of
        undefined ->
            {Config, State};
        Mod ->
            case check_module(Mod) of
                ok ->
                    _ = [erlang:trace_pattern({Mod, F, A}, true, [call_count])
                         || {F, A} <- ?COUNTED],
                    {Config, State};
                {error, Reason} ->
                    {{fail, {not_on, Mod, Reason}}, State}
            end
    end.

-spec pre_init_per_testcase(atom(), atom() | tuple(), list(), State) ->
          {list() | {skip, string()}, State}.
pre_init_per_testcase(Suite, Case, Config, State) ->
    case [R || {S, C, R} <- State, S =:= Suite, C =:= Case] of
        [Reason | _] -> {{skip, Reason}, State};
        [] -> {Config, State}
    end.

-spec post_end_per_suite(atom(), term(), term(), State) -> {term(), State}.
post_end_per_suite(Suite, _Config, Return, State) ->
    case expected_module() of
        undefined ->
            ok;
        Mod ->
            Counts = [{F, A, count(Mod, F, A)} || {F, A} <- ?COUNTED],
            ct:pal("~w ran on ~w: calls ~ts",
                   [Suite, Mod, lists:join(", ", [io_lib:format("~w/~w: ~w", [F, A, N])
                                                  || {F, A, N} <- Counts])])
    end,
    {Return, State}.

%% Internal.

skip_list() ->
    case os:getenv("PYINET_OTP_SUITES_SKIP") of
        File when is_list(File), File =/= "" ->
            {ok, Bin} = file:read_file(File),
            [begin
                 [S, C | Reason] = string:lexemes(Line, " \t"),
                 {list_to_atom(S), list_to_atom(C), lists:flatten(lists:join(" ", Reason))}
             end || Line <- string:split(unicode:characters_to_list(Bin), "\n", all),
                    string:trim(Line) =/= "", hd(string:trim(Line)) =/= $#];
        _ ->
            []
    end.

expected_module() ->
    case os:getenv("PYINET_OTP_SUITES_TCP_MODULE") of
        false -> undefined;
        "" -> undefined;
        Name -> list_to_atom(Name)
    end.

check_module(Mod) ->
    case inet_db:tcp_module() of
        Mod ->
            case gen_tcp:listen(0, []) of
                {ok, {'$inet', Mod, _} = S} ->
                    gen_tcp:close(S);
                {ok, S} ->
                    gen_tcp:close(S),
                    {error, {listen_socket, S}};
                Error ->
                    {error, {listen, Error}}
            end;
        Other ->
            {error, {tcp_module, Other}}
    end.

count(Mod, F, A) ->
    case erlang:trace_info({Mod, F, A}, call_count) of
        {call_count, N} when is_integer(N) -> N;
        _ -> 0
    end.
