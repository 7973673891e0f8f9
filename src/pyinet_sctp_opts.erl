%% Option checking for pyinet_sctp, as prim_inet does it for an SCTP port.
%%
%% gen_sctp's option errors are prim_inet's: a value of the wrong type is
%% {error, einval}, except in a record, where prim_inet throws the failing
%% field's position with the whole type table ({error, {type, {record, Q,
%% Types, Values, N}}}). To give the same terms this module carries
%% prim_inet's type tables for the SCTP options (type_opt/2) and its checking
%% functions (type_value/2,3 and their helpers, copied), and asks prim_inet
%% itself about every other option (is_sockopt_val/2).
%%
%% What goes to the port program is the checked list, records with their
%% defaults filled in as prim_inet's encoder fills them, in the order the
%% driver applies them (the last option first).
-module(pyinet_sctp_opts).

%% API.
-export([setopts/1, getopts/1, sndrcvinfo/1, is_addr/1, is_addr_list/1, need_template/1,
         merge_options/2]).

-include_lib("kernel/include/inet_sctp.hrl").

-define(ip(A, B, C, D), (((A) bor (B) bor (C) bor (D)) band (bnot 16#ff)) =:= 0).
-define(ip6(A, B, C, D, E, F, G, H),
        (((A) bor (B) bor (C) bor (D) bor (E) bor (F) bor (G) bor (H))
         band (bnot 16#ffff)) =:= 0).

%% Erlang's flag bits (inet_int.hrl), as the tables below name them.
-define(SCTP_FLAG_UNORDERED, 1).
-define(SCTP_FLAG_ADDR_OVER, 2).
-define(SCTP_FLAG_ABORT, 4).
-define(SCTP_FLAG_EOF, 8).
-define(SCTP_FLAG_HB_ENABLE, 1).
-define(SCTP_FLAG_HB_DISABLE, 2).
-define(SCTP_FLAG_HB_DEMAND, 4).
-define(SCTP_FLAG_PMTUD_ENABLE, 8).
-define(SCTP_FLAG_PMTUD_DISABLE, 16).
-define(SCTP_FLAG_SACKDELAY_ENABLE, 32).
-define(SCTP_FLAG_SACKDELAY_DISABLE, 64).

%% The names prim_inet can encode (enc_opt/1): an option outside this list is
%% einval before anything reaches the driver.
-define(KNOWN, [reuseaddr, keepalive, dontroute, linger, broadcast, sndbuf, recbuf, priority,
                tos, tclass, recvtos, recvtclass, pktoptions, ttl, recvttl, nodelay, nopush,
                multicast_if, multicast_ttl, multicast_loop, add_membership, drop_membership,
                ipv6_v6only, buffer, header, active, packet, mode, deliver, exit_on_close,
                high_watermark, low_watermark, high_msgq_watermark, low_msgq_watermark,
                send_timeout, send_timeout_close, delay_send, packet_size, read_packets,
                netns, show_econnreset, line_delimiter, raw, bind_to_device, debug,
                sctp_rtoinfo, sctp_associnfo, sctp_initmsg, sctp_autoclose, sctp_nodelay,
                sctp_disable_fragments, sctp_i_want_mapped_v4_addr, sctp_maxseg,
                sctp_set_peer_primary_addr, sctp_primary_addr, sctp_adaptation_layer,
                sctp_peer_addr_params, sctp_default_send_param, sctp_events,
                sctp_delayed_ack_time, sctp_status, sctp_get_peer_addr_info]).

%% API.

%% prim_inet:setopts/2's encode_opt_val/1: the checked options, normalized to
%% {Name, Value} with records completed, last option first.
-spec setopts(list()) -> {ok, [{atom(), term()}]} | {error, term()}.
setopts(Opts) ->
    try {ok, enc_opt_val(Opts, [])}
    catch throw:Reason -> {error, Reason}
    end.

%% prim_inet:getopts/2's encode_opts/1: each option as Name or {Name, Record}
%% with the record's key fields completed (assoc_id, address).
-spec getopts(list()) -> {ok, [atom() | {atom(), tuple()}]} | {error, term()}.
getopts(Opts) ->
    try {ok, enc_opts(Opts)}
    catch throw:Reason -> {error, Reason}
    end.

%% prim_inet:sendmsg/3's check of its #sctp_sndrcvinfo{}: the record
%% completed, or the error prim_inet returns.
-spec sndrcvinfo(term()) -> {ok, tuple()} | {error, term()}.
sndrcvinfo(SRI) ->
    Type = type_opt(set, sctp_default_send_param),
    try type_value(set, Type, SRI) of
        true -> {ok, fill(set, Type, SRI)};
        false -> {error, einval}
    catch throw:Reason -> {error, Reason}
    end.

%% prim_inet's addr type: what bind and connect accept.
-spec is_addr(term()) -> boolean().
is_addr(Addr) ->
    type_value_2(addr, Addr).

%% prim_inet's addr_list type: what connectx takes.
-spec is_addr_list(term()) -> boolean().
is_addr_list([_ | _] = SockAddrs) when length(SockAddrs) =< 255 ->
    lists:all(fun(SockAddr) -> type_value_2(addr, SockAddr) end, SockAddrs);
is_addr_list({[_ | _] = IPs, Port}) when length(IPs) =< 255 ->
    lists:all(fun(IP) -> is_ip4(IP) orelse is_ip6(IP) end, IPs)
        andalso type_value_2(uint16, Port);
is_addr_list(_) ->
    false.

%% prim_inet's need_template/1 and merge_options/2, for chgopts.
-spec need_template(list()) -> list().
need_template([{Opt, undefined} = OV | Opts]) when is_atom(Opt) ->
    [OV | need_template(Opts)];
need_template([{Opt, Val} | Opts]) when is_atom(Opt) ->
    case need_template(Val, 2) of
        true -> [{Opt, undefined} | need_template(Opts)];
        false -> need_template(Opts)
    end;
need_template([_ | Opts]) ->
    need_template(Opts);
need_template([]) -> [].

need_template(T, N) when is_integer(N), N =< tuple_size(T) ->
    case element(N, T) of
        undefined -> true;
        _ -> need_template(T, N + 1)
    end;
need_template(_, _) -> false.

-spec merge_options(list(), list()) -> list().
merge_options([{Opt, undefined} | Opts], [{Opt, _} = T | Templates]) ->
    [T | merge_options(Opts, Templates)];
merge_options([{Opt, Val} | Opts], [{Opt, Template} | Templates])
  when is_atom(Opt), tuple_size(Val) >= 2 ->
    Key = element(1, Val),
    Size = tuple_size(Val),
    if Size =:= tuple_size(Template), Key =:= element(1, Template) ->
            [{Opt, list_to_tuple([Key | merge_fields(Val, Template, 2)])}
             | merge_options(Opts, Templates)];
       true ->
            throw({merge, Val, Template})
    end;
merge_options([OptVal | Opts], Templates) ->
    [OptVal | merge_options(Opts, Templates)];
merge_options([], []) -> [];
merge_options(Opts, Templates) ->
    throw({merge, Opts, Templates}).

merge_fields(Opt, Template, N) when is_integer(N), N =< tuple_size(Opt) ->
    case element(N, Opt) of
        undefined -> [element(N, Template) | merge_fields(Opt, Template, N + 1)];
        Val -> [Val | merge_fields(Opt, Template, N + 1)]
    end;
merge_fields(_, _, _) -> [].

%% Internal.

enc_opt_val([{active, once} | Opts], Acc) ->
    enc_opt_val(Opts, [{active, once} | Acc]);
enc_opt_val([{active, N} | Opts], Acc) when is_integer(N), N < 32768, N >= -32768 ->
    enc_opt_val(Opts, [{active, N} | Acc]);
enc_opt_val([{raw, P, O, B} | Opts], Acc) ->
    enc_opt_val(Opts, Acc, raw, {P, O, B});
enc_opt_val([{Opt, Val} | Opts], Acc) ->
    enc_opt_val(Opts, Acc, Opt, Val);
enc_opt_val([binary | Opts], Acc) ->
    enc_opt_val(Opts, Acc, mode, binary);
enc_opt_val([list | Opts], Acc) ->
    enc_opt_val(Opts, Acc, mode, list);
enc_opt_val([_ | _], _) ->
    throw(einval);
enc_opt_val([], Acc) ->
    Acc.

enc_opt_val(Opts, Acc, Opt, Val) when is_atom(Opt) ->
    case check_set(Opt, Val) of
        true -> enc_opt_val(Opts, [{Opt, fill(set, type_opt(set, Opt), Val)} | Acc]);
        false -> throw(einval)
    end;
enc_opt_val(_, _, _, _) ->
    throw(einval).

check_set(Opt, Val) ->
    case type_opt(set, Opt) of
        undefined -> prim_inet:is_sockopt_val(Opt, Val);
        Type -> type_value(set, Type, Val)
    end.

enc_opts([{raw, P, O, S} | Opts]) ->
    enc_opts(Opts, raw, {P, O, S});
enc_opts([{Opt, Val} | Opts]) ->
    enc_opts(Opts, Opt, Val);
enc_opts([Opt | Opts]) ->
    enc_opts(Opts, Opt);
enc_opts([]) -> [].

enc_opts(Opts, Opt) when is_atom(Opt) ->
    case type_opt(get, Opt) of
        undefined ->
            lists:member(Opt, ?KNOWN) andalso Opt =/= raw orelse throw(einval),
            [Opt | enc_opts(Opts)];
        Type ->
            case type_value(get, Type) of
                true -> [{Opt, fill(get, Type, undefined)} | enc_opts(Opts)];
                false -> throw(einval)
            end
    end;
enc_opts(_, _) ->
    throw(einval).

enc_opts(Opts, raw, {P, O, S}) ->
    %% type_opt(get, raw): [{[int],[int],[binary_or_uint]}], a tuple type.
    case is_integer(P) andalso is_integer(O)
        andalso (is_binary(S) orelse (is_integer(S) andalso S >= 0)) of
        true -> [{raw, {P, O, S}} | enc_opts(Opts)];
        false -> throw(einval)
    end;
enc_opts(Opts, Opt, Val) when is_atom(Opt) ->
    case type_opt(get, Opt) of
        undefined ->
            %% A simple type: the value must be undefined for getopts.
            (lists:member(Opt, ?KNOWN) andalso Val =:= undefined) orelse throw(einval),
            [Opt | enc_opts(Opts)];
        Type ->
            case type_value(get, Type, Val) of
                true -> [{Opt, fill(get, Type, Val)} | enc_opts(Opts)];
                false -> throw(einval)
            end
    end;
enc_opts(_, _, _) ->
    throw(einval).

%% A record value with the fields prim_inet's encoder would send: defaults for
%% undefined ones ([Type, Default] and [[Type, Default]]), and for getopts only
%% the fields it encodes ([Type] and [[Type, Default]]); the others stay as
%% given. A value that is not a record goes as it is.
fill(Q, [{record, Types}], Val) -> fill_record(Q, Types, Val);
fill(Q, {record, Types}, Val) -> fill_record(Q, Types, Val);
fill(_, _, Val) -> Val.

fill_record(Q, Types, undefined) ->
    fill_record(Q, Types, erlang:make_tuple(tuple_size(Types), undefined,
                                            [{1, element(1, Types)}]));
fill_record(Q, Types, Values) ->
    list_to_tuple([element(1, Types)
                   | [fill_field(Q, element(N, Types), element(N, Values))
                      || N <- lists:seq(2, tuple_size(Types))]]).

fill_field(_, [[_Type, Default]], undefined) -> Default;
fill_field(set, [Type, Default], undefined) -> fill_field(set, [Type, Default], Default);
fill_field(set, [{bitenumlist, List, _}, _], EnumList) ->
    %% enc_value_2/2: the flags as one integer of Erlang's bits (where an
    %% unknown flag after a known one fails, as in prim_inet).
    borlist(enum_vals(EnumList, List), 0);
fill_field(_, _, Value) -> Value.

%% prim_inet's type tables for the options whose values are records (and the
%% SCTP ones with simple types); undefined for the others, whose types
%% prim_inet:is_sockopt_val/2 knows.
type_opt(get, sctp_status) ->
    [{record, #sctp_status{assoc_id = [sctp_assoc_id], _ = []}}];
type_opt(get, sctp_get_peer_addr_info) ->
    [{record, #sctp_paddrinfo{assoc_id = [[sctp_assoc_id, 0]],
                              address = [[addr, {any, 0}]],
                              _ = []}}];
type_opt(_, Opt) ->
    type_opt_1(Opt).

type_opt_1(sctp_rtoinfo) ->
    [{record, #sctp_rtoinfo{assoc_id = [[sctp_assoc_id, 0]],
                            initial = [uint32, 0],
                            max = [uint32, 0],
                            min = [uint32, 0]}}];
type_opt_1(sctp_associnfo) ->
    [{record, #sctp_assocparams{assoc_id = [[sctp_assoc_id, 0]],
                                asocmaxrxt = [uint16, 0],
                                number_peer_destinations = [uint16, 0],
                                peer_rwnd = [uint32, 0],
                                local_rwnd = [uint32, 0],
                                cookie_life = [uint32, 0]}}];
type_opt_1(sctp_initmsg) ->
    [{record, #sctp_initmsg{num_ostreams = [uint16, 0],
                            max_instreams = [uint16, 0],
                            max_attempts = [uint16, 0],
                            max_init_timeo = [uint16, 0]}}];
type_opt_1(sctp_primary_addr) ->
    [{record, #sctp_prim{assoc_id = [sctp_assoc_id], addr = addr}}];
type_opt_1(sctp_set_peer_primary_addr) ->
    [{record, #sctp_setpeerprim{assoc_id = [sctp_assoc_id], addr = addr}}];
type_opt_1(sctp_adaptation_layer) ->
    [{record, #sctp_setadaptation{adaptation_ind = [uint32, 0]}}];
type_opt_1(sctp_peer_addr_params) ->
    [{record, #sctp_paddrparams{
                 assoc_id = [[sctp_assoc_id, 0]],
                 address = [[addr, {any, 0}]],
                 hbinterval = [uint32, 0],
                 pathmaxrxt = [uint16, 0],
                 pathmtu = [uint32, 0],
                 sackdelay = [uint32, 0],
                 flags = [{bitenumlist,
                           [{hb_enable, ?SCTP_FLAG_HB_ENABLE},
                            {hb_disable, ?SCTP_FLAG_HB_DISABLE},
                            {hb_demand, ?SCTP_FLAG_HB_DEMAND},
                            {pmtud_enable, ?SCTP_FLAG_PMTUD_ENABLE},
                            {pmtud_disable, ?SCTP_FLAG_PMTUD_DISABLE},
                            {sackdelay_enable, ?SCTP_FLAG_SACKDELAY_ENABLE},
                            {sackdelay_disable, ?SCTP_FLAG_SACKDELAY_DISABLE}],
                           uint32}, []]}}];
type_opt_1(sctp_default_send_param) ->
    [{record, #sctp_sndrcvinfo{
                 stream = [uint16, 0],
                 ssn = [],
                 flags = [{bitenumlist,
                           [{unordered, ?SCTP_FLAG_UNORDERED},
                            {addr_over, ?SCTP_FLAG_ADDR_OVER},
                            {abort, ?SCTP_FLAG_ABORT},
                            {eof, ?SCTP_FLAG_EOF}],
                           uint16}, []],
                 ppid = [uint32, 0],
                 context = [uint32, 0],
                 timetolive = [uint32, 0],
                 tsn = [],
                 cumtsn = [],
                 assoc_id = [[sctp_assoc_id, 0]]}}];
type_opt_1(sctp_events) ->
    [{record, #sctp_event_subscribe{
                 data_io_event = [bool8, true],
                 association_event = [bool8, true],
                 address_event = [bool8, true],
                 send_failure_event = [bool8, true],
                 peer_error_event = [bool8, true],
                 shutdown_event = [bool8, true],
                 partial_delivery_event = [bool8, true],
                 adaptation_layer_event = [bool8, false],
                 authentication_event = [bool8, false]}}];
type_opt_1(sctp_delayed_ack_time) ->
    [{record, #sctp_assoc_value{assoc_id = [[sctp_assoc_id, 0]],
                                assoc_value = [uint32, 0]}}];
type_opt_1(sctp_nodelay) -> bool;
type_opt_1(sctp_autoclose) -> uint;
type_opt_1(sctp_disable_fragments) -> bool;
type_opt_1(sctp_i_want_mapped_v4_addr) -> bool;
type_opt_1(sctp_maxseg) -> uint;
type_opt_1(_) -> undefined.

%% prim_inet's type_value/2,3 and helpers, as they are there.

type_value(get, undefined) -> false;
type_value(get, [{record, Types}]) ->
    type_value_record(get, Types, erlang:make_tuple(tuple_size(Types), undefined), 2);
type_value(get, [_]) -> false;
type_value(get, _) -> true.

type_value(_, undefined, _) -> false;
type_value(_, [], undefined) -> true;
type_value(_, [], _) -> false;
type_value(Q, [Type], Value) -> type_value_default(Q, Type, Value);
type_value(set, Type, Value) -> type_value_default(set, Type, Value);
type_value(_, _, undefined) -> true;
type_value(_, _, _) -> false.

type_value_default(Q, [Type, Default], undefined) -> type_value_1(Q, Type, Default);
type_value_default(Q, [Type, _], Value) -> type_value_1(Q, Type, Value);
type_value_default(Q, Type, Value) -> type_value_1(Q, Type, Value).

type_value_1(Q, {record, Types}, undefined) ->
    type_value_record(Q, Types, erlang:make_tuple(tuple_size(Types), undefined), 2);
type_value_1(Q, {record, Types}, Values) when tuple_size(Types) =:= tuple_size(Values) ->
    type_value_record(Q, Types, Values, 2);
type_value_1(Q, Types, Values) when tuple_size(Types) =:= tuple_size(Values) ->
    type_value_tuple(Q, Types, Values, 1);
type_value_1(_, Type, Value) ->
    type_value_2(Type, Value).

type_value_tuple(Q, Types, Values, N) when is_integer(N), N =< tuple_size(Types) ->
    type_value(Q, element(N, Types), element(N, Values))
        andalso type_value_tuple(Q, Types, Values, N + 1);
type_value_tuple(_, _, _, _) -> true.

type_value_record(Q, Types, Values, N) when is_integer(N), N =< tuple_size(Types) ->
    case type_value(Q, element(N, Types), element(N, Values)) of
        true -> type_value_record(Q, Types, Values, N + 1);
        false -> erlang:throw({type, {record, Q, Types, Values, N}})
    end;
type_value_record(_, _, _, _) -> true.

type_value_2(undefined, _) -> false;
type_value_2(bool, true) -> true;
type_value_2(bool, false) -> true;
type_value_2(bool8, true) -> true;
type_value_2(bool8, false) -> true;
type_value_2(int, X) when is_integer(X) -> true;
type_value_2(uint, X) when is_integer(X), X >= 0 -> true;
type_value_2(uint32, X) when X band 16#ffffffff =:= X -> true;
type_value_2(uint16, X) when X band 16#ffff =:= X -> true;
type_value_2(addr, {any, Port}) -> type_value_2(uint16, Port);
type_value_2(addr, {loopback, Port}) -> type_value_2(uint16, Port);
type_value_2(addr, {IP, _} = Addr) when tuple_size(IP) =:= 4 -> type_value_2(addr, {inet, Addr});
type_value_2(addr, {IP, _} = Addr) when tuple_size(IP) =:= 8 -> type_value_2(addr, {inet6, Addr});
type_value_2(addr, {Local, _}) when is_list(Local); is_binary(Local) ->
    type_value_2(addr, {local, Local});
type_value_2(addr, {Family, {Tag, Port}})
  when (Family =:= inet orelse Family =:= inet6) andalso (Tag =:= any orelse Tag =:= loopback) ->
    type_value_2(uint16, Port);
type_value_2(addr, {inet, {{A, B, C, D}, Port}}) when ?ip(A, B, C, D) ->
    type_value_2(uint16, Port);
type_value_2(addr, {inet6, {{A, B, C, D, E, F, G, H}, Port}}) when ?ip6(A, B, C, D, E, F, G, H) ->
    type_value_2(uint16, Port);
type_value_2(addr, #{family := inet, addr := Addr, port := Port}) ->
    (Addr =:= any orelse Addr =:= loopback orelse is_ip4(Addr))
        andalso type_value_2(uint16, Port);
type_value_2(addr, #{family := inet6, addr := Addr, port := Port}) ->
    (Addr =:= any orelse Addr =:= loopback orelse is_ip6(Addr))
        andalso type_value_2(uint16, Port);
type_value_2(addr, {local, Addr}) ->
    if
        is_binary(Addr) ->
            byte_size(Addr) =< 255;
        true ->
            try byte_size(unicode:characters_to_binary(Addr, file:native_name_encoding())) of
                N when N =< 255 -> true;
                _ -> false
            catch error:badarg -> false
            end
    end;
type_value_2({bitenumlist, List, _}, EnumList) ->
    case enum_vals(EnumList, List) of
        Ls when is_list(Ls) -> true;
        false -> false
    end;
type_value_2(sctp_assoc_id, X) when X band 16#ffffffff =:= X -> true;
type_value_2(_, _) -> false.

is_ip4({A, B, C, D}) when ?ip(A, B, C, D) -> true;
is_ip4(_) -> false.

is_ip6({A, B, C, D, E, F, G, H}) when ?ip6(A, B, C, D, E, F, G, H) -> true;
is_ip6(_) -> false.

enum_vals([Enum | Es], List) ->
    case enum_val(Enum, List) of
        false -> false;
        {value, Value} -> [Value | enum_vals(Es, List)]
    end;
enum_vals([], _) -> [].

enum_val(Enum, [{Enum, Value} | _]) -> {value, Value};
enum_val(Enum, [_ | List]) -> enum_val(Enum, List);
enum_val(_, []) -> false.

borlist([V | Vs], Value) -> borlist(Vs, V bor Value);
borlist([], Value) -> Value.
