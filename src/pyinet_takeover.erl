%% The whole node on pyinet: every gen_tcp and gen_udp socket, also those of
%% applications that name the family (gen_tcp:connect(H, P, [inet | _]) goes
%% straight to inet_tcp, past the inetrc's {tcp, pyinet_tcp}).
%%
%% takeover/0 puts delegating modules in place of inet_tcp, inet6_tcp,
%% inet_udp and inet6_udp: their functions that make a socket (connect,
%% listen, open, fdopen) make it on pyinet (pyinet_tcp, pyinet_udp, of the
%% module's family); every other function is OTP's own, from a copy of the
%% original module loaded under another name (pyinet_otp_inet_tcp, ...). So
%% name resolution, and every call on a socket made before or by OTP's code,
%% is what it was. release/0 turns it off again: new sockets are OTP's, those
%% on pyinet stay there until they close. The modules stay in place (they
%% only look at a switch), so that neither takes unloading code that
%% processes may be running.
%%
%% Limits (README, "The whole node"):
%% - Erlang distribution stays on OTP's sockets: a call from a process that
%%   started in, or is running, a module named *_dist (inet_tcp_dist,
%%   inet6_tcp_dist, inet_tls_dist, a distribution module of one's own) or
%%   erl_epmd gets OTP's socket, since erlang:setnode/3 takes only ports;
%%   -proto_dist pyinet is the way to distribution over pyinet; so do the
%%   sockets of modules that call prim_inet on them (inet's own utility
%%   sockets, peer's control connection);
%% - family local (local_tcp, local_udp), gen_sctp, the socket module and
%%   {inet_backend, socket} are not taken over;
%% - it needs the original modules' object code on the code path and the
%%   compiler (compile:forms/2), as any OTP installation has them.
-module(pyinet_takeover).

%% API.
-export([takeover/0, release/0, active/0]).

%% For pyinet_app, with the application started.
-export([switch_on/0]).

%% Called by the delegating modules.
-export([tcp/4, udp/4]).

-define(SWITCH, {?MODULE, active}).
-define(MODULES, [{inet_tcp, tcp, inet}, {inet6_tcp, tcp, inet6},
                  {inet_udp, udp, inet}, {inet6_udp, udp, inet6}]).
-define(MARK, '$pyinet_takeover').

%% API.

%% From now on, every new TCP and UDP socket of this node (but the
%% distribution's) is pyinet's.
-spec takeover() -> ok | {error, term()}.
takeover() ->
    case pyinet:start() of
        ok -> switch_on();
        Error -> Error
    end.

-spec switch_on() -> ok | {error, term()}.
switch_on() ->
    case install(?MODULES) of
        ok -> persistent_term:put(?SWITCH, true);
        Error -> Error
    end.

%% From now on, new sockets are OTP's again.
-spec release() -> ok.
release() ->
    case active() of
        true -> persistent_term:put(?SWITCH, false);
        false -> ok
    end.

-spec active() -> boolean().
active() ->
    persistent_term:get(?SWITCH, false).

%% The delegating modules' socket-making calls. Args are the call's own;
%% Orig the original module, which serves whenever pyinet does not.

-spec tcp(inet | inet6, module(), atom(), list()) -> term().
tcp(Family, Orig, Fun, Args) ->
    case divert() of
        true -> pyinet_tcp_call(Family, Orig, Fun, Args);
        false -> apply(Orig, Fun, Args)
    end.

-spec udp(inet | inet6, module(), atom(), list()) -> term().
udp(Family, Orig, Fun, Args) ->
    case divert() of
        true -> pyinet_udp_call(Family, Fun, Args);
        false -> apply(Orig, Fun, Args)
    end.

%% Internal.

%% An address of the other family is the original's to refuse (as its
%% guards do, function_clause).
pyinet_tcp_call(Family, Orig, connect, [Address | _] = Args) ->
    case pyinet_inet_opts:family_of(Address) of
        Family -> apply(pyinet_tcp, connect, Args);
        _ -> apply(Orig, connect, Args)
    end;
pyinet_tcp_call(Family, _Orig, listen, [Port, Opts]) ->
    pyinet_tcp:listen_as(Family, Port, Opts);
pyinet_tcp_call(Family, _Orig, fdopen, [Fd, Opts]) ->
    pyinet_tcp:fdopen_as(Family, Fd, Opts).

pyinet_udp_call(Family, open, [Port]) ->
    pyinet_udp:open_as(Family, Port, []);
pyinet_udp_call(Family, open, [Port, Opts]) ->
    pyinet_udp:open_as(Family, Port, Opts);
pyinet_udp_call(Family, fdopen, [Fd, Opts]) ->
    pyinet_udp:fdopen_as(Family, Fd, Opts).

divert() ->
    active() andalso not needs_a_port().

%% A caller that must have a port: the distribution (a process that started
%% in a *_dist module, or has one or erl_epmd on its stack), since
%% erlang:setnode/3 takes only ports; and the modules that call prim_inet
%% on the socket they make: inet and inet_config (inet_udp:open/2 for
%% inet:gethostname/0, getservbyname/2, getifaddrs/0, ...) and peer (its TCP
%% control connection, prim_inet:async_accept/2).
needs_a_port() ->
    case process_info(self(), [initial_call, current_stacktrace]) of
        [{initial_call, {Initial, _, _}}, {current_stacktrace, Stack}] ->
            Modules = [M || {M, _, _, _} <- Stack],
            lists:any(fun is_distribution/1, [Initial | Modules])
                orelse lists:any(fun(M) -> lists:member(M, [inet, inet_config, peer]) end,
                                 Modules);
        _ ->
            false
    end.

is_distribution(erl_epmd) -> true;
is_distribution(pyinet_dist) -> false;
is_distribution(Module) -> lists:suffix("_dist", atom_to_list(Module)).

%%% Installing the delegating modules (once per node).

install([]) ->
    ok;
install([{Module, Kind, Family} | Rest]) ->
    case erlang:function_exported(Module, ?MARK, 0) of
        true ->
            install(Rest);
        false ->
            try install(Module, Kind, Family) of
                ok -> install(Rest)
            catch error:Reason ->
                    {error, {takeover, Module, Reason}}
            end
    end.

install(Module, Kind, Family) ->
    {Module, Beam, File} = code:get_object_code(Module),
    Orig = original_name(Module),
    {module, Orig} = code:load_binary(Orig, File, rename(Beam, Orig)),
    Exports = [FA || {F, _} = FA <- Orig:module_info(exports), F =/= module_info],
    {ok, Module, Bin} = compile:forms(delegator(Module, Orig, Kind, Family, Exports),
                                      [binary, return_errors]),
    _ = code:unstick_mod(Module),
    {module, Module} = code:load_binary(Module, File, Bin),
    ok.

original_name(Module) ->
    list_to_atom("pyinet_otp_" ++ atom_to_list(Module)).

%% The forms of the delegating module: each export of the original, the
%% socket-making ones through tcp/4 or udp/4, the others straight to it.
delegator(Module, Orig, Kind, Family, Exports) ->
    Making = case Kind of
                 tcp -> [{connect, 3}, {connect, 4}, {listen, 2}, {fdopen, 2}];
                 udp -> [{open, 1}, {open, 2}, {fdopen, 2}]
             end,
    Funs = [function(F, A, Orig, Kind, Family, lists:member({F, A}, Making))
            || {F, A} <- Exports],
    [{attribute, 1, module, Module},
     {attribute, 1, export, [{?MARK, 0} | Exports]},
     {function, 1, ?MARK, 0, [{clause, 1, [], [], [{atom, 1, Orig}]}]}
     | Funs].

function(F, A, Orig, Kind, Family, Making) ->
    Vars = [{var, 1, list_to_atom("A" ++ integer_to_list(I))} || I <- lists:seq(1, A)],
    Body = case Making of
               true ->
                   {call, 1, {remote, 1, {atom, 1, ?MODULE}, {atom, 1, Kind}},
                    [{atom, 1, Family}, {atom, 1, Orig}, {atom, 1, F}, list(Vars)]};
               false ->
                   {call, 1, {remote, 1, {atom, 1, Orig}, {atom, 1, F}}, Vars}
           end,
    {function, 1, F, A, [{clause, 1, Vars, [], [Body]}]}.

list([]) -> {nil, 1};
list([H | T]) -> {cons, 1, H, list(T)}.

%% The beam of a module under another name: the module's name is the first
%% atom of its atom table (every reference to it, ?MODULE included, then
%% names the copy). The table's lengths are a byte each up to OTP 25; a
%% negative count says they are compact-encoded integers (OTP 26 on).
rename(Beam0, Name) ->
    Beam = case Beam0 of
               <<31, 139, _/binary>> -> zlib:gunzip(Beam0);
               _ -> Beam0
           end,
    {ok, _, Chunks} = beam_lib:all_chunks(Beam),
    NewChunks = [case Id of
                     "AtU8" -> {Id, rename_first_atom(Data, Name)};
                     "Atom" -> {Id, rename_first_atom(Data, Name)};
                     _ -> {Id, Data}
                 end || {Id, Data} <- Chunks],
    {ok, NewBeam} = beam_lib:build_module(NewChunks),
    NewBeam.

rename_first_atom(<<Count:32/signed, Rest/binary>>, Name) when Count < 0 ->
    {Len, Rest1} = compact_length(Rest),
    <<_:Len/binary, Tail/binary>> = Rest1,
    NameBin = atom_to_binary(Name, utf8),
    <<Count:32/signed, (compact(byte_size(NameBin)))/binary, NameBin/binary, Tail/binary>>;
rename_first_atom(<<Count:32, Len:8, _:Len/binary, Tail/binary>>, Name) ->
    NameBin = atom_to_binary(Name, utf8),
    <<Count:32, (byte_size(NameBin)):8, NameBin/binary, Tail/binary>>.

%% beam_asm's encoding of an untagged (u) integer below 2048.
compact_length(<<B, Rest/binary>>) when B band 16#08 =:= 0 ->
    {B bsr 4, Rest};
compact_length(<<B, Low, Rest/binary>>) when B band 16#10 =:= 0 ->
    {((B band 16#E0) bsl 3) bor Low, Rest}.

compact(N) when N < 16 -> <<(N bsl 4)>>;
compact(N) when N < 16#800 -> <<(((N bsr 3) band 16#E0) bor 16#08), (N band 16#FF)>>.
