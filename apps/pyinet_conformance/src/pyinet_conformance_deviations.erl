%% Deliberate differences between pyinet and OTP, each with its reason. The
%% conformance report lists these scenarios as "documented", never as identical
%% and never hidden. Some hold only on some OTP releases: all/0 gives those of
%% the release that runs.
-module(pyinet_conformance_deviations).

-export([reason/2, all/0, userland/2, userland_all/0]).

-spec reason(module(), atom()) -> string() | undefined.
reason(Module, Name) ->
    case lists:keyfind({Module, Name}, 1, all()) of
        {_, Reason} -> Reason;
        false -> undefined
    end.

-spec all() -> [{{module(), atom()}, string()}].
all() ->
    every_release() ++ release(list_to_integer(erlang:system_info(otp_release))).

%% Deviations of some releases only.
release(R) when R >= 26 ->
    [{{pyinet_conformance_sctp_opts, getopts_bad},
      "OTP 27's native gen_sctp answers inet:getopts(S, [debug]) with {ok, [false]}, a bare "
      "value and no {debug, false}, where OTP 25 answers einval (seen in the VM on OTP 27.3.4; "
      "pyinet_sctp answers einval on every release)"}];
release(_) ->
    [].

every_release() ->
    [{{pyinet_conformance_tcp, fd_option},
      "{fd, N} names a descriptor of the BEAM's own process, which the port program "
      "(another process) cannot use: pyinet returns {error, enotsup}"},
     {{pyinet_conformance_udp, fd_option},
      "{fd, N} names a descriptor of the BEAM's own process, which the port program "
      "(another process) cannot use: pyinet returns {error, enotsup}"},
     {{pyinet_conformance_socket, open_fd},
      "socket:open(FD) names a descriptor of the BEAM's own process, which the port "
      "program (another process) cannot use: pyinet_socket returns {error, enotsup}"},
     {{pyinet_conformance_udp, connect_sockaddr_map},
      "gen_udp:connect/2 with a sockaddr map reaches a socket's module only for a "
      "port (gen_udp.erl, OTP 25.2.3 line 355, 27 line 598, 29 line 600: "
      "`connect(S, SockAddr) when is_port(S) andalso is_map(SockAddr)`, no clause "
      "for {'$inet', Mod, _}): on pyinet it fails with function_clause in gen_udp; "
      "pyinet_udp:connect/2 takes the map and connects as inet_udp:connect/2 does"},
     {{pyinet_conformance_udp, local_recv_binary},
      "a passive recv in binary mode on a Unix domain socket crashes in OTP 25.2.3 "
      "(function_clause in prim_inet:split/3: get_addr/2 wants a list after the sender's "
      "path, and the driver puts the datagram there as a binary); pyinet returns "
      "{ok, {{local, Path}, 0, Data}}, what the same recv gives in list mode and what "
      "the active message says"}].

%% The gen_sctp scenarios on pyinet's userland SCTP (usrsctp over UDP,
%% {sctp_backend, userland}) against native gen_sctp on kernel SCTP: what
%% usrsctp cannot give, each with the reason. The kernel backend's own
%% deviations (reason/2) hold there too.
-spec userland(module(), atom()) -> string() | undefined.
userland(Module, Name) ->
    case lists:keyfind({Module, Name}, 1, userland_all()) of
        {_, Reason} -> Reason;
        false -> reason(Module, Name)
    end.

-spec userland_all() -> [{{module(), atom()}, string()}].
userland_all() ->
    Multihoming = "usrsctp's AF_CONN addresses carry no IP address in INIT and INIT ACK, and "
        "usrsctp 0.9.5 takes none in connectx: an association has one path, the one it was "
        "started on (connectx uses the first address), and a multihomed peer's other "
        "addresses are not learned, so there is no second path to report or confirm",
    Mtu = "usrsctp cannot discover a path MTU over AF_CONN (no ICMP reaches it): the "
        "userland endpoint gives each path the route's MTU less the IP and UDP headers, at "
        "most 16384 (larger datagrams overrun a UDP socket's default receive buffer), and "
        "usrsctp's 1280 where it cannot ask the route; so sctp_status, "
        "sctp_get_peer_addr_info and sctp_peer_addr_params read 16384 on the loopback where "
        "Linux reads 65532",
    [{{pyinet_conformance_sctp, connect_bad_args},
      "connect to port 0 (a sockaddr map without a port): usrsctp refuses it at once with "
      "einval; Linux sends the INIT, which is answered with an ABORT: cant_assoc"},
     {{pyinet_conformance_sctp, connectx_init_multihomed}, Multihoming},
     {{pyinet_conformance_sctp, event_paddr_change}, Multihoming},
     {{pyinet_conformance_sctp, connect_from_used_port},
      "two userland one-to-many sockets cannot share a port: with reuseaddr the UDP sockets "
      "bind, but usrsctp refuses the second endpoint (eaddrinuse at open); Linux binds it "
      "and refuses the association (eaddrnotavail at connect)"},
     {{pyinet_conformance_sctp, event_send_failed},
      "an aborted association's unsent messages: usrsctp reports each one "
      "(#sctp_send_failed{}, the unsent part of a large one too) before the comm_lost, "
      "Linux the comm_lost first and then only the last message"},
     {{pyinet_conformance_sctp, event_partial_delivery},
      "a message larger than the receive buffer: the userland endpoint hands a message "
      "out in pieces of the socket's buffer (65536) as the kernel does for a message it "
      "holds whole, so the five-piece limit of a recv is not reached and the recv gets the "
      "message before the abort; the kernel hands out what it has under partial delivery "
      "(a few KiB at a time here), and the recv times out"},
     {{pyinet_conformance_sctp_opts, peer_addr_params}, Mtu},
     {{pyinet_conformance_sctp_opts, status}, Mtu},
     {{pyinet_conformance_sctp_opts, get_peer_addr_info}, Mtu}].
