%% Deliberate differences between pyinet and OTP, each with its reason. The
%% conformance report lists these scenarios as "documented", never as identical
%% and never hidden. Some hold only on some OTP releases: all/0 gives those of
%% the release that runs.
-module(pyinet_conformance_deviations).

-export([reason/2, all/0]).

-spec reason(module(), atom()) -> string() | undefined.
reason(Module, Name) ->
    case lists:keyfind({Module, Name}, 1, all()) of
        {_, Reason} -> Reason;
        false -> undefined
    end.

-spec all() -> [{{module(), atom()}, string()}].
all() ->
    every_release() ++ release(list_to_integer(erlang:system_info(otp_release))).

%% Deviations of one release only (none today).
release(_) ->
    [].

every_release() ->
    [{{pyinet_conformance_udp, connect_sockaddr_map},
      "gen_udp:connect/2 with a sockaddr map reaches a socket's module only for a "
      "port (gen_udp.erl, OTP 25.2.3 line 355, 27 line 598, 29 line 600: "
      "`connect(S, SockAddr) when is_port(S) andalso is_map(SockAddr)`, no clause "
      "for {'$inet', Mod, _}): on pyinet it fails with function_clause in gen_udp; "
      "pyinet_udp:connect/2 takes the map and connects as inet_udp:connect/2 does"},
     {{pyinet_conformance_udp, local_recv_binary},
      "a passive recv in binary mode on a Unix domain socket crashes in OTP 25.2.3 "
      "(function_clause in prim_inet:split/3, prim_inet.erl line 2773: "
      "`split(0, L, R) when is_list(L)`; get_addr/2 splits the sender's path off what "
      "follows it, and the driver puts the datagram there as a binary; OTP 27's line "
      "2802 takes a binary too); pyinet returns {ok, {{local, Path}, 0, Data}}, what "
      "the same recv gives in list mode, what the active message says and what OTP 27 "
      "returns"}].
