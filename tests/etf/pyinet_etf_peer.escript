#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noinput
%%
%% The Erlang half of the ETF codec's differential tests (tests/etf/peer.py is
%% the Python half). One node per test session: it builds the corpus of terms,
%% keeps them, and judges what Python sends back. Frames are {packet, 4} on
%% stdin/stdout; the first byte of a request says what it is:
%%
%%   "g"                          -> <<Count:32>>, then one frame per entry:
%%                                   <<Id:32, NameLen:16, Name, OrigLen:32, Orig,
%%                                     Expect/binary>>
%%       Orig is the binary to decode. Expect is what encoding the decoded term
%%       must give byte for byte, or <<>> where OTP's bytes are not the codec's
%%       (Latin-1 atoms inside a pid written with minor_version 0 or 1).
%%   "c", [<<Id:32, Len:32, Bin>>] -> <<Failures:32, [<<Id:32, Len:16, Why>>]>>
%%       binary_to_term(Bin) =:= the term of entry Id, for each.
%%   "e", [<<Len:32, Bin>>]        -> [<<Status:8, Len:32, Out>>]
%%       Out = term_to_binary(binary_to_term(Bin), [{minor_version, 2}]) with
%%       Status 0, or Status 1 and the error.
-mode(compile).

%% API.

-spec main([string()]) -> no_return().
main(_) ->
    Port = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
    loop(Port, #{}).

%% Internal.

loop(Port, Corpus) ->
    receive
        {Port, {data, <<"g">>}} ->
            Entries = lists:enumerate(entries(Port)),
            reply(Port, <<(length(Entries)):32>>),
            [reply(Port, entry_frame(Id, Entry)) || {Id, Entry} <- Entries],
            loop(Port, maps:from_list([{Id, T} || {Id, {_, T, _, _}} <- Entries]));
        {Port, {data, <<"c", Checks/binary>>}} ->
            Failures = [F || F <- check(Checks, Corpus), F =/= ok],
            reply(Port, iolist_to_binary([<<(length(Failures)):32>> | Failures])),
            loop(Port, Corpus);
        {Port, {data, <<"e", Bins/binary>>}} ->
            reply(Port, iolist_to_binary(reencode(Bins))),
            loop(Port, Corpus);
        {Port, eof} ->
            halt(0)
    end.

reply(Port, Bin) ->
    Port ! {self(), {command, Bin}}.

entry_frame(Id, {Name, _Term, Orig, Expect}) ->
    NameBin = unicode:characters_to_binary(Name),
    <<Id:32, (byte_size(NameBin)):16, NameBin/binary, (byte_size(Orig)):32, Orig/binary,
      Expect/binary>>.

check(<<Id:32, Len:32, Bin:Len/binary, Rest/binary>>, Corpus) ->
    Verdict = try binary_to_term(Bin) of
                  T -> case T =:= maps:get(Id, Corpus) of
                           true -> ok;
                           false -> failure(Id, "not =:= the original")
                       end
              catch C:R -> failure(Id, io_lib:format("binary_to_term: ~p:~p", [C, R]))
              end,
    [Verdict | check(Rest, Corpus)];
check(<<>>, _) ->
    [].

failure(Id, Why) ->
    WhyBin = unicode:characters_to_binary(Why),
    <<Id:32, (byte_size(WhyBin)):16, WhyBin/binary>>.

reencode(<<Len:32, Bin:Len/binary, Rest/binary>>) ->
    Out = try term_to_binary(binary_to_term(Bin), [{minor_version, 2}]) of
              B -> <<0, (byte_size(B)):32, B/binary>>
          catch C:R ->
              Why = iolist_to_binary(io_lib:format("~p:~p", [C, R])),
              <<1, (byte_size(Why)):32, Why/binary>>
          end,
    [Out | reencode(Rest)];
reencode(<<>>) ->
    [].

%% The corpus: [{Name, Term, Orig, Expect}], the same on every run except
%% for the node's own pids, references and ports.
entries(Port) ->
    rand:seed(exsss, {20, 25, 3}),
    lists:append([ints(), atoms(), floats(), binaries(), bitstrings(), lists_and_strings(),
                  tuples(), maps_(), nesting(), identifiers(Port), funs(), compressed(),
                  messages(Port)]).

%% An entry encoded as term_to_binary/2 does with Opts; Expect is the
%% minor_version 2 form unless Latin-1 atoms were frozen into an opaque term.
enc(Name, T) ->
    enc(Name, T, [{minor_version, 2}]).

enc(Name, T, Opts) ->
    Canon = term_to_binary(T, [{minor_version, 2}]),
    Latin1Atoms = not lists:member({minor_version, 2}, Opts),
    Expect = case Latin1Atoms andalso has_opaque(T) of
                 true -> <<>>;
                 false -> Canon
             end,
    {Name, T, term_to_binary(T, Opts), Expect}.

%% A hand-written encoding: decoding it and encoding again gives it back.
raw(Name, Bin) ->
    {Name, binary_to_term(Bin), Bin, Bin}.

has_opaque(T) when is_pid(T); is_reference(T); is_port(T) -> true;
has_opaque(T) when is_function(T) -> erlang:fun_info(T, type) =:= {type, local};
has_opaque(T) when is_tuple(T) -> has_opaque(tuple_to_list(T));
has_opaque(T) when is_map(T) -> has_opaque(maps:to_list(T));
has_opaque([H | T]) -> has_opaque(H) orelse has_opaque(T);
has_opaque(_) -> false.

name(Fmt, Args) ->
    lists:flatten(io_lib:format(Fmt, Args)).

ints() ->
    Bases = [0, 255, 256, 1 bsl 27, 1 bsl 31, 1 bsl 32, 1 bsl 59, 1 bsl 63, 1 bsl 64,
             1 bsl 2032, 1 bsl 2040, 1 bsl 2048],
    Ints = lists:usort([S * (B + D) || B <- Bases, D <- [-2, -1, 0, 1, 2], S <- [1, -1]]),
    Huge = [pow(3, 20000), -pow(7, 9001), (1 bsl 100000) - 1],
    [enc(name("int ~w", [I]), I) || I <- Ints]
        ++ [enc(name("huge int ~w", [N]), I) || {N, I} <- lists:enumerate(Huge)]
        ++ [enc(name("int ~w minor 0", [I]), I, [{minor_version, 0}]) || I <- [1, -1, 1 bsl 40]].

pow(_, 0) -> 1;
pow(B, E) -> B * pow(B, E - 1).

atoms() ->
    Atoms = ['', a, ok, true, false, undefined, nil, 'hello world', 'with\'quote',
             'ÿ', 'é', 'Ärger', list_to_atom([16#1F600]), list_to_atom("Привет"),
             list_to_atom("日本語"), list_to_atom(lists:duplicate(255, $a)),
             list_to_atom(lists:duplicate(255, 16#1F600)),
             list_to_atom(lists:duplicate(255, 16#E9)),
             list_to_atom(lists:duplicate(128, 16#E9)),
             list_to_atom(lists:duplicate(85, 16#20AC)),
             list_to_atom(lists:duplicate(86, 16#20AC))],
    lists:append([[enc(name("atom ~w", [A]), A),
                   enc(name("atom ~w minor 1", [A]), A, [{minor_version, 1}]),
                   enc(name("atom ~w minor 0", [A]), A, [{minor_version, 0}])]
                  || A <- Atoms]).

floats() ->
    <<NegZero/float>> = <<1:1, 0:63>>,
    <<Denormal/float>> = <<0:63, 1:1>>,
    <<MaxDenormal/float>> = <<0:12, -1:52>>,
    <<Max/float>> = <<0:1, 2046:11, -1:52>>,
    Floats = [0.0, NegZero, 1.0, -1.5, 0.1, 3.141592653589793, 1.0e-300, 1.0e300,
              Denormal, -Denormal, MaxDenormal, 2.2250738585072014e-308, Max, -Max,
              123456789.125, 9007199254740993.0],
    lists:append([[enc(name("float ~w (~w)", [F, N]), F),
                   enc(name("float ~w (~w) minor 0", [F, N]), F, [{minor_version, 0}])]
                  || {N, F} <- lists:enumerate(Floats)]).

binaries() ->
    Sizes = [0, 1, 2, 3, 255, 256, 65535, 65536, (1 bsl 20) + 3],
    [enc(name("binary of ~w bytes", [N]), rand:bytes(N)) || N <- Sizes]
        ++ [enc("binary of zeros", <<0:8000>>), enc("binary text", <<"hello">>)].

bitstrings() ->
    [enc(name("bitstring of ~w bits", [N]), <<(rand:uniform(1 bsl N) - 1):N>>)
     || N <- lists:seq(1, 70)]
        ++ [enc(name("bitstring ~w bytes + ~w bits", [B, N]),
                <<(rand:bytes(B))/binary, (rand:uniform(1 bsl N) - 1):N>>)
            || B <- [2, 100, 70000], N <- lists:seq(1, 7)].

lists_and_strings() ->
    Lists = [[], [1], [a], "a", "hello", lists:seq(0, 255), [0], [255], [256], [-1],
             [1.0], [1 | 2], [a, b | c], [1 | <<"tail">>], [[] | []], [[]], [[[]]],
             "héllo", [16#1F600, 10], [1, a, "b", <<"c">>, {d}],
             lists:duplicate(65535, $a), lists:duplicate(65536, $a),
             lists:duplicate(65535, 256), lists:seq(1, 1000), [a | {b}],
             [x || _ <- lists:seq(1, 300)], [[1, 2] | 3], [#{} | #{}]],
    [enc(name("list ~w", [N]), L) || {N, L} <- lists:enumerate(Lists)]
        ++ [enc(name("list ~w minor 1", [N]), L, [{minor_version, 1}])
            || {N, L} <- lists:enumerate(Lists)].

tuples() ->
    Tuples = [{}, {a}, {1, 2}, {a, {b, {c}}}, list_to_tuple(lists:seq(1, 255)),
              list_to_tuple(lists:seq(1, 256)), list_to_tuple(lists:seq(1, 70000)),
              {[], {}, #{}, <<>>}],
    [enc(name("tuple ~w", [N]), T) || {N, T} <- lists:enumerate(Tuples)].

maps_() ->
    Sized = [maps:from_list([{K, K * K} || K <- lists:seq(1, N)]) || N <- lists:seq(0, 40)],
    AtomKeys = [maps:from_list([{list_to_atom("k" ++ integer_to_list(K)), K}
                                || K <- lists:seq(1, N)]) || N <- [31, 32, 33, 64]],
    Odd = [#{[1, 2] => list, #{a => 1} => map, {1, [2]} => tuple},
           #{<<"bin">> => 1, 1.5 => float, "str" => 2, [] => nil, {} => empty},
           #{#{[1] => #{x => [y]}} => deep, [[a]] => [[b]]},
           #{self() => pid, make_ref() => ref},
           #{1 => a, 2.0 => b},
           #{true => 1, false => 0},
           #{{a, [1 | 2]} => improper},
           maps:from_list([{{K, [K]}, #{K => [K]}} || K <- lists:seq(1, 50)]),
           maps:from_list([{integer_to_binary(K), K} || K <- lists:seq(1, 1000)])],
    [enc(name("map of ~w", [map_size(M)]), M) || M <- Sized ++ AtomKeys]
        ++ [enc(name("map with odd keys ~w", [N]), M) || {N, M} <- lists:enumerate(Odd)].

nesting() ->
    Deep = fun(Wrap, N) -> lists:foldl(fun(_, Acc) -> Wrap(Acc) end, leaf, lists:seq(1, N)) end,
    [enc("tuples 250 deep", Deep(fun(X) -> {X} end, 250)),
     enc("lists 250 deep", Deep(fun(X) -> [X] end, 250)),
     enc("maps 150 deep", Deep(fun(X) -> #{k => X} end, 150)),
     enc("map keys 8 deep", Deep(fun(X) -> #{X => [X]} end, 8)),
     enc("improper lists 12 deep", Deep(fun(X) -> [X | X] end, 12)),
     enc("mixed 198 deep", Deep(fun(X) -> [{#{a => X}}] end, 66))].

%% Pids, references and ports: the node's own, and hand-written ones from
%% other nodes and older encodings.
identifiers(Port) ->
    Atom = fun(A) -> B = atom_to_binary(A, utf8), <<119, (byte_size(B)), B/binary>> end,
    Latin1 = fun(A) -> B = atom_to_binary(A, latin1), <<115, (byte_size(B)), B/binary>> end,
    Long = fun(A) -> B = atom_to_binary(A, utf8), <<118, (byte_size(B)):16, B/binary>> end,
    Other = 'other@host.example',
    Ext = [{"new pid", <<131, 88, (Atom(Other))/binary, 42:32, 7:32, 1234:32>>},
           {"new pid, big creation", <<131, 88, (Atom('n@h'))/binary, 1:32, 0:32, 16#FFFFFFFF:32>>},
           {"new pid, max fields", <<131, 88, (Atom('n@h'))/binary, -1:32, -1:32, 3:32>>},
           {"new pid, unicode node", <<131, 88, (Atom('nodé@hóst'))/binary, 5:32, 0:32, 9:32>>},
           {"new pid, latin-1 node", <<131, 88, (Latin1(Other))/binary, 5:32, 0:32, 9:32>>},
           {"new pid, long atom node", <<131, 88, (Long(Other))/binary, 5:32, 0:32, 9:32>>},
           {"old pid", <<131, 103, (Atom(Other))/binary, 42:32, 7:32, 2>>},
           {"old pid, latin-1", <<131, 103, (Latin1(Other))/binary, 42:32, 7:32, 3>>},
           {"newer ref, 1 word", <<131, 90, 1:16, (Atom(Other))/binary, 77:32, 1:32>>},
           {"newer ref, 3 words", <<131, 90, 3:16, (Atom(Other))/binary, 77:32, 1:32, 2:32, 3:32>>},
           {"newer ref, 5 words", <<131, 90, 5:16, (Atom(Other))/binary, 77:32, 1:32, 2:32, 3:32, 4:32, 5:32>>},
           {"new ref", <<131, 114, 3:16, (Atom(Other))/binary, 2, 1:32, 2:32, 3:32>>},
           {"new ref, latin-1", <<131, 114, 2:16, (Latin1(Other))/binary, 1, 1:32, 2:32>>},
           {"old ref", <<131, 101, (Atom(Other))/binary, 99:32, 1>>},
           {"new port", <<131, 89, (Atom(Other))/binary, 12:32, 1234:32>>},
           {"v4 port", <<131, 120, (Atom(Other))/binary, (1 bsl 40 + 5):64, 1234:32>>},
           {"old port", <<131, 102, (Atom(Other))/binary, 12:32, 3>>},
           {"pids in a tuple", <<131, 104, 2, 88, (Atom(Other))/binary, 1:32, 0:32, 5:32,
                                 103, (Latin1(Other))/binary, 2:32, 0:32, 1>>}],
    Pid = spawn(fun() -> receive stop -> ok end end),
    Alias = alias(),
    Local = [{"self()", self()}, {"spawned pid", Pid}, {"list_to_pid", list_to_pid("<0.0.0>")},
             {"make_ref()", make_ref()}, {"monitor ref", monitor(process, Pid)},
             {"alias", Alias}, {"fd port", Port}, {"all ports", erlang:ports()},
             {"spawned port", open_port({spawn, "true"}, [])}],
    [raw(Name, Bin) || {Name, Bin} <- Ext]
        ++ [enc(Name, T) || {Name, T} <- Local]
        ++ [enc(Name ++ " minor 1", T, [{minor_version, 1}]) || {Name, T} <- Local].

funs() ->
    X = rand:uniform(1000),
    Bin = rand:bytes(300),
    {ok, Toks, _} = erl_scan:string("fun(A) -> A + 1 end."),
    {ok, [Expr]} = erl_parse:parse_exprs(Toks),
    {value, Interpreted, _} = erl_eval:expr(Expr, []),
    Funs = [fun lists:map/2, fun erlang:'+'/2, fun 'modé':'fün'/0, fun erlang:self/0,
            fun() -> ok end, fun(A) -> A + X end, fun(A, B) -> {A, B, Bin} end,
            fun() -> self() end, Interpreted],
    [enc(name("fun ~w", [N]), F) || {N, F} <- lists:enumerate(Funs)]
        ++ [enc(name("fun ~w minor 1", [N]), F, [{minor_version, 1}])
            || {N, F} <- lists:enumerate(Funs)]
        ++ [enc("funs in a list", [fun(A) -> A - X end, fun lists:sort/1])].

compressed() ->
    Terms = [lists:seq(1, 1000), <<0:(8 bsl 20)>>, rand:bytes(5000), {a, b},
             maps:from_list([{K, <<"value">>} || K <- lists:seq(1, 500)]),
             [lists:duplicate(1000, 0), lists:duplicate(70000, $x)]],
    [enc(name("compressed ~w level ~w", [N, L]), T, [{compressed, L}, {minor_version, 2}])
     || {N, T} <- lists:enumerate(Terms), L <- [1, 6, 9]].

%% The shapes pyinet passes on every call.
messages(Port) ->
    S = {'$inet', pyinet_tcp, {self(), Port, 7}},
    [enc("tcp message", {self(), {tcp, S, rand:bytes(64)}}),
     enc("tcp message 64 KiB", {self(), {tcp, S, rand:bytes(65536)}}),
     enc("send request", {make_ref(), self(), {send, 7, rand:bytes(64)}}),
     enc("tcp_closed", {tcp_closed, S}),
     enc("inet_reply", {inet_reply, S, {error, closed}})].
