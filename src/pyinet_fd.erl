%% Descriptors of this BEAM handed to a port program: the socket of {fd, N}
%% (gen_tcp:connect/listen, gen_udp:open), gen_tcp:fdopen/2 and
%% socket:open(FD), and the open file of file:sendfile/2,5 and socket:sendfile.
%%
%% A descriptor number means something in one process only, and the port
%% program is another. So the descriptor travels as SCM_RIGHTS in a datagram
%% that this BEAM's socket module sends to a receiver the port program makes
%% for it (bridge/passfd.py: a Unix socket in the abstract namespace that takes
%% one descriptor, only from this OS process, and lives ten seconds at most).
%% The port program then holds its own copy: the BEAM's stays open, as it does
%% after OTP's inet_drv closes a socket it was given with {fd, N} (inet_drv
%% never closes those).
-module(pyinet_fd).

%% API.
-export([pass/3, call/2, file_descriptor/1]).

%% API.

%% Hand Fd to the port program of Router: {ok, Name}, where Name is what the
%% request that uses it names it by ({fd, Name} among its options); {error,
%% ebadf} if Fd is no open descriptor here; {error, enotsup} if the port
%% program runs on another node (or this node has no socket NIF).
-spec pass(pid(), port(), integer()) -> {ok, binary()} | {error, atom()}.
pass(Router, _Port, _Fd) when node(Router) =/= node() ->
    {error, enotsup};
pass(Router, Port, Fd) when is_integer(Fd), Fd >= 0 ->
    case pyinet_request:call(Router, Port, {program_fd_receiver, list_to_integer(os:getpid())}) of
        {ok, Name} -> send(Name, Fd);
        {error, _} = Error -> Error
    end;
pass(_Router, _Port, _Fd) ->
    {error, ebadf}.

%% A request about descriptor Fd, to a port program of the pool, which gets
%% the descriptor first: Request(Name) is the request, Name what it names
%% the descriptor by. {error, Reason} of pass/3 if it cannot have it.
-spec call(integer(), fun((binary()) -> tuple())) -> term().
call(Fd, Request) ->
    case pyinet_pool:pick() of
        {ok, {Router, Port}} ->
            case pass(Router, Port, Fd) of
                {ok, Name} -> pyinet_request:call(Router, Port, Request(Name));
                Error -> Error
            end;
        {error, _} = Error ->
            Error
    end.

%% The descriptor of an open raw file (file:open/2 with raw), as prim_file
%% gives it to inet_drv's sendfile; error for any other file.
-spec file_descriptor(term()) -> {ok, non_neg_integer()} | error.
file_descriptor({file_descriptor, prim_file, _} = File) ->
    %% Raises not_on_controlling_process for a file of another process, as
    %% prim_file:sendfile/8 does.
    <<Fd:32/native>> = prim_file:get_handle(File),
    {ok, Fd};
file_descriptor({file_descriptor, raw_file_io_list, {file_descriptor, _, _} = Inner}) ->
    %% file:open/2 wraps a raw file read in list mode; the descriptor
    %% underneath is the same.
    file_descriptor(Inner);
file_descriptor(_) ->
    error.

%% Internal.

send(Name, Fd) ->
    try socket:open(local, dgram) of
        {ok, S} ->
            try socket:sendmsg(S, #{addr => #{family => local, path => Name},
                                    iov => [<<"fd">>],
                                    ctrl => [#{level => socket, type => rights,
                                               data => <<Fd:32/native>>}]}) of
                ok -> {ok, Name};
                {error, Reason} when is_atom(Reason) -> {error, Reason};
                {error, _} -> {error, ebadf}
            after
                socket:close(S)
            end;
        {error, _} ->
            {error, enotsup}
    catch error:_ ->
            {error, enotsup}
    end.
