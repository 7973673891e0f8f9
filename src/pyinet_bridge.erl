%% Starting the port program: which Python, where the bridge package is, and
%% what to say when it will not start.
%%
%% The interpreter is the OS environment variable PYINET_PYTHON, else the
%% application environment key `python`, else "python3". The `bridge` package is
%% found in this application's priv directory (the repository keeps it there),
%% so a project or release that includes pyinet needs no PYTHONPATH of its own.
-module(pyinet_bridge).

-include_lib("kernel/include/file.hrl").

%% API.
-export([open_port/0, python/0, bridge_dir/0, explain_exit/1]).

%% API.

-spec open_port() -> {ok, port()} | {error, term()}.
open_port() ->
    Python = python(),
    case find_executable(Python) of
        false ->
            logger:error("pyinet: cannot find the Python interpreter ~ts; install python3 "
                         "or set PYINET_PYTHON (or the pyinet application key `python`)",
                         [Python]),
            {error, {python_not_found, Python}};
        Exe ->
            Dir = bridge_dir(),
            Args = ["-m", "bridge" | application:get_env(pyinet, bridge_args, [])],
            %% The port program answers as this node's OTP release does where
            %% releases differ (bridge/release.py).
            Env = [{"PYTHONPATH", python_path(Dir)},
                   {"PYINET_OTP_RELEASE", erlang:system_info(otp_release)}] ++ optional_env(),
            try erlang:open_port({spawn_executable, Exe},
                                 [{args, Args}, {packet, 4}, binary, exit_status, use_stdio,
                                  {env, Env}, hide]) of
                Port -> {ok, Port}
            catch error:Reason ->
                    logger:error("pyinet: cannot start ~ts -m bridge: ~p", [Exe, Reason]),
                    {error, {open_port, Reason}}
            end
    end.

-spec python() -> string().
python() ->
    case os:getenv("PYINET_PYTHON") of
        Path when is_list(Path), Path =/= "" -> Path;
        _ -> application:get_env(pyinet, python, "python3")
    end.

%% The directory that holds the `bridge` package.
-spec bridge_dir() -> file:filename().
bridge_dir() ->
    Ebin = filename:dirname(code:which(?MODULE)),
    filename:join(filename:dirname(Ebin), "priv").

%% A human reading of an exit status seen before the hello.
-spec explain_exit(integer()) -> string().
explain_exit(1) ->
    "the bridge package failed to start (see its traceback above); "
    "check that Python >= 3.11 runs `python -m bridge`";
explain_exit(2) ->
    "Python could not run the bridge module (is priv/bridge present?)";
explain_exit(127) ->
    "the Python interpreter could not be executed";
explain_exit(Status) ->
    lists:flatten(io_lib:format("the port program exited with status ~p", [Status])).

%% Internal.

%% os:find_executable/1 asks the file server, which a node distributed from
%% its boot does not have yet when the distribution (pyinet_dist) starts its
%% port programs: then the search goes to prim_file itself.
find_executable(Name) ->
    case whereis(file_server_2) of
        undefined -> find_early(Name);
        _ -> os:find_executable(Name)
    end.

find_early(Name) ->
    Candidates = case lists:member($/, Name) of
                     true -> [Name];
                     false -> [filename:join(Dir, Name)
                               || Dir <- string:lexemes(os:getenv("PATH", ""), ":")]
                 end,
    case [C || C <- Candidates, is_executable(C)] of
        [Found | _] -> Found;
        [] -> false
    end.

is_executable(Path) ->
    case prim_file:read_file_info(Path) of
        {ok, #file_info{type = regular, mode = Mode}} -> Mode band 8#111 =/= 0;
        _ -> false
    end.

%% The application keys that reach the port program: `log_level` (Python's
%% logging on stderr: debug | info | warning | error), `trace` (a file that
%% records every frame; read it with python -m bridge.trace FILE) and `spin_us`
%% (how long its event loop polls awake after activity, default 100; 0 makes it
%% sleep at once, for machines where every core is busy anyway); and for SCTP
%% `sctp_backend` (kernel | userland: the default of new sockets),
%% `sctp_encap_port` (the UDP port userland SCTP's peers listen on, as a Linux
%% peer's net.sctp.udp_port; default: each peer's SCTP port) and
%% `sctp_encapsulation` (udp, or raw for SCTP on IP itself).
optional_env() ->
    [{Var, to_string(Value)} || {Key, Var} <- [{log_level, "PYINET_LOG"}, {trace, "PYINET_TRACE"},
                                               {spin_us, "PYINET_SPIN_US"},
                                               {sctp_backend, "PYINET_SCTP_BACKEND"},
                                               {sctp_encap_port, "PYINET_SCTP_ENCAP_PORT"},
                                               {sctp_encapsulation, "PYINET_SCTP_ENCAPSULATION"}],
                                {ok, Value} <- [application:get_env(pyinet, Key)]].

to_string(A) when is_atom(A) -> atom_to_list(A);
to_string(N) when is_integer(N) -> integer_to_list(N);
to_string(S) -> unicode:characters_to_list(S).

python_path(Dir) ->
    case os:getenv("PYTHONPATH") of
        Existing when is_list(Existing), Existing =/= "" -> Dir ++ ":" ++ Existing;
        _ -> Dir
    end.
