%% socket(3) scenarios for datagram and sequenced-packet sockets (UDP over IPv4
%% and IPv6, Unix domain dgram and seqpacket) and for the socket options of every
%% level, blocking and `nowait`. Each runs on OTP's socket and on pyinet_socket;
%% see pyinet_conformance and pyinet_conformance_socket.
%%
%% Loopback datagrams are not lost, and a datagram sent is queued at the
%% receiver when sendto returns.
-module(pyinet_conformance_socket_dgram).

-export([scenarios/0]).

%% Scenarios.
-export([udp_sendto_recvfrom/1, udp_truncate/1, udp_default_bufsz/1, udp_recv/1,
         udp_empty_datagram/1, udp_recvfrom_nowait/1, udp_recvfrom_cancel/1,
         udp_recvfrom_timeout/1, udp_connect/1, udp_send_unconnected/1, udp_connect_refused/1,
         udp_sendto_errors/1, udp_sendto_forms/1, udp_sendto_closed/1, udp_broadcast/1,
         udp_ipv6/1, udp_ipv6_mapped/1, udp_info_counters/1, udp_recvfrom_queue/1,
         udp_close_aborts/1, udp_order/1, udp_peek/1,
         local_dgram/1, local_dgram_unnamed/1, local_dgram_connect/1, local_dgram_abstract/1,
         local_seqpacket/1, local_seqpacket_truncate/1,
         opts_socket_defaults/1, opts_socket_set/1, opts_socket_errors/1, opts_linger/1,
         opts_ip/1, opts_ip_errors/1, opts_ipv6/1, opts_tcp/1, opts_udp/1,
         opts_level_mismatch/1, opts_otp/1, opts_aliases/1, opts_local/1,
         opts_membership/1, opts_forms/1, opts_native/1, opts_closed/1]).

-import(pyinet_conformance, [r/1, t/1, msgs/0, msgs/1, spawn_proc/2, known_port/1, sleep/1]).
-import(pyinet_conformance_socket, [pair/2, path/1]).

-define(LO, {127, 0, 0, 1}).
-define(LO6, {0, 0, 0, 0, 0, 0, 0, 1}).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

sock(B) -> pyinet_conformance:socket(B).

%% A UDP socket bound to loopback of Domain, and its address (port renamed).
udp(B, Domain) ->
    M = sock(B),
    {ok, S} = M:open(Domain, dgram, udp),
    ok = M:bind(S, loopback),
    {ok, #{port := P} = Addr} = M:sockname(S),
    known_port(P),
    {S, Addr}.

local_dgram_bound(B, Name) ->
    M = sock(B),
    Path = path(Name),
    {ok, S} = M:open(local, dgram),
    ok = M:bind(S, #{family => local, path => Path}),
    {S, #{family => local, path => Path}}.

close(B, Sockets) ->
    M = sock(B),
    [M:close(S) || S <- Sockets],
    ok.

%%% UDP.

udp_sendto_recvfrom(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    r(M:sendto(S, <<"hello">>, AAddr)),
    r(M:recvfrom(A)),
    r(M:sendto(S, <<"again">>, AAddr)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sendto(S, [<<"io">>, "list"], AAddr)),
    r(M:recvfrom(A, 100)),
    close(B, [A, S]).

udp_truncate(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    ok = M:sendto(S, <<"0123456789">>, AAddr),
    ok = M:sendto(S, <<"abcdefghij">>, AAddr),
    r(M:recvfrom(A, 4)),
    r(M:recvfrom(A, 4, 1000)),
    ok = M:sendto(S, <<"ABCDEFGHIJ">>, AAddr),
    r(M:recv(A, 3)),
    r(M:info(A)),
    close(B, [A, S]).

%% Length 0 reads into the socket's buffer, 8192 bytes unless {otp, rcvbuf}.
udp_default_bufsz(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    Big = binary:copy(<<"b">>, 10000),
    ok = M:sendto(S, Big, AAddr),
    {ok, {_, D1}} = M:recvfrom(A),
    r(byte_size(D1)),
    ok = M:setopt(A, {otp, rcvbuf}, 20000),
    ok = M:sendto(S, Big, AAddr),
    {ok, {_, D2}} = M:recvfrom(A, 0),
    r(byte_size(D2)),
    ok = M:sendto(S, Big, AAddr),
    {ok, D3} = M:recv(A, 0),
    r(byte_size(D3)),
    r(M:info(A)),
    close(B, [A, S]).

udp_recv(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    ok = M:sendto(S, <<"one">>, AAddr),
    ok = M:sendto(S, <<"two">>, AAddr),
    r(M:recv(A)),
    r(M:recv(A, 0, 1000)),
    r(M:recv(A, 0, 50)),
    r(M:recv(A, 10, 0)),
    ok = M:sendto(S, <<"three">>, AAddr),
    r(M:recv(A, 10, 0)),
    close(B, [A, S]).

udp_empty_datagram(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    r(M:sendto(S, <<>>, AAddr)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sendto(S, <<>>, AAddr)),
    r(M:recv(A, 0, 1000)),
    r(M:info(A)),
    close(B, [A, S]).

udp_recvfrom_nowait(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    {select, {select_info, recvfrom, H}} = r(M:recvfrom(A, 0, nowait)),
    r(maps:without([counters], M:info(A))),
    ok = M:sendto(S, <<"wake">>, AAddr),
    receive {'$socket', A, select, H} -> r(select_message) after 2000 -> r(none) end,
    r(M:recvfrom(A, 0, nowait)),
    r(M:recv(A, 0, nowait)),
    r(msgs()),
    close(B, [A, S]).

udp_recvfrom_cancel(B) ->
    M = sock(B),
    {A, _} = udp(B, inet),
    {select, SI} = r(M:recvfrom(A, 0, nowait)),
    r(M:cancel(A, SI)),
    r(M:cancel(A, SI)),
    H = make_ref(),
    {select, SI2} = r(M:recvfrom(A, [], H)),
    r(M:cancel(A, SI2)),
    r(msgs()),
    close(B, [A]).

udp_recvfrom_timeout(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    r(M:recvfrom(A, 0, 50)),
    r(M:recvfrom(A, 0, 0)),
    r(M:recvfrom(A, 0, [], 0)),
    {S, _} = udp(B, inet),
    ok = M:sendto(S, <<"now">>, AAddr),
    r(M:recvfrom(A, 0, 0)),
    r(M:info(A)),
    close(B, [A, S]).

udp_connect(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, SAddr} = udp(B, inet),
    {O, OAddr} = udp(B, inet),
    r(M:connect(S, AAddr)),
    r(M:peername(S)),
    r(M:send(S, <<"connected">>)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sendto(S, <<"elsewhere">>, OAddr)),
    r(M:recvfrom(O, 0, 1000)),
    r(M:sendto(A, <<"reply">>, SAddr)),
    r(M:recv(S, 0, 1000)),
    r(M:sendto(O, <<"stranger">>, SAddr)),
    r(M:recv(S, 0, 100)),
    r(maps:without([counters], M:info(S))),
    r(M:connect(S, #{family => unspec})),
    r(M:peername(S)),
    close(B, [A, S, O]).

udp_send_unconnected(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    r(M:send(S, <<"nowhere">>)),
    r(M:send(S, <<"nowhere">>, nowait)),
    r(M:info(S)),
    close(B, [S]).

udp_connect_refused(B) ->
    M = sock(B),
    {D, DAddr} = udp(B, inet),
    ok = M:close(D),
    {S, _} = udp(B, inet),
    ok = M:connect(S, DAddr),
    r(M:send(S, <<"ping">>)),
    sleep(50),
    r(M:recv(S, 0, 1000)),
    r(M:recv(S, 0, 100)),
    r(M:send(S, <<"ping">>)),
    sleep(50),
    r(M:send(S, <<"ping">>)),
    r(M:info(S)),
    close(B, [S]).

udp_sendto_errors(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    r(M:sendto(S, <<"x">>, #{family => inet, addr => foo, port => 1})),
    r(M:sendto(S, <<"x">>, #{family => inet, bar => 1})),
    r(M:sendto(S, <<"x">>, #{family => inet6, addr => ?LO6, port => 1})),
    r(M:sendto(S, <<"x">>, #{family => local, path => <<"/tmp/nothing">>})),
    r(M:sendto(S, <<"x">>, #{family => inet, addr => ?LO, port => 0})),
    r(M:sendto(S, <<"x">>, #{family => inet, addr => ?LO, port => 1}, [foo])),
    t(fun() -> M:sendto(S, <<"x">>, not_a_map) end),
    t(fun() -> M:sendto(S, foo, #{family => inet, addr => ?LO, port => 1}) end),
    t(fun() -> M:sendto(S, [foo], #{family => inet, addr => ?LO, port => 1}) end),
    t(fun() -> M:sendto(S, <<"x">>, #{family => inet, addr => ?LO, port => 1}, -1) end),
    t(fun() -> M:sendto(S, <<"x">>, #{family => inet, addr => ?LO, port => 1},
                        {select_info, recv, make_ref()}) end),
    r(M:sendto(S, <<"x">>, {select_info, recv, make_ref()}, 100)),
    r(M:sendto(S, binary:copy(<<"x">>, 70000), #{family => inet, addr => ?LO, port => 1})),
    r(M:info(S)),
    close(B, [S]).

udp_sendto_forms(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    r(M:sendto(S, <<"a">>, AAddr, [])),
    r(M:sendto(S, <<"b">>, AAddr, 1000)),
    r(M:sendto(S, <<"c">>, AAddr, [], infinity)),
    r(M:sendto(S, <<"d">>, AAddr, nowait)),
    r(M:sendto(S, <<"e">>, AAddr, make_ref())),
    r(M:sendto(S, [<<"f">>], AAddr, [dontroute], 100)),
    r(M:sendto(S, <<"g">>, AAddr#{port := maps:get(port, AAddr)}, [confirm])),
    [r(M:recvfrom(A, 0, 1000)) || _ <- lists:seq(1, 7)],
    r(M:info(S)),
    close(B, [A, S]).

udp_sendto_closed(B) ->
    M = sock(B),
    {S, SAddr} = udp(B, inet),
    ok = M:close(S),
    r(M:sendto(S, <<"x">>, SAddr)),
    r(M:sendto(S, <<"x">>, #{family => inet, addr => foo})),
    r(M:recvfrom(S)),
    r(M:recvfrom(S, 0, nowait)).

udp_broadcast(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    r(M:getopt(S, {socket, broadcast})),
    r(M:sendto(S, <<"all">>, #{family => inet, addr => broadcast, port => 9})),
    r(M:setopt(S, {socket, broadcast}, true)),
    r(M:getopt(S, {socket, broadcast})),
    r(M:bind(S, broadcast)),
    close(B, [S]).

udp_ipv6(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet6),
    {S, SAddr} = udp(B, inet6),
    r(AAddr),
    r(M:sendto(S, <<"six">>, AAddr)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sendto(A, <<"back">>, SAddr)),
    r(M:recvfrom(S, 0, 1000)),
    r(M:connect(S, AAddr)),
    r(M:peername(S)),
    r(M:sendto(S, <<"v4">>, #{family => inet, addr => ?LO, port => 9})),
    close(B, [A, S]).

udp_ipv6_mapped(B) ->
    M = sock(B),
    {ok, A} = M:open(inet6, dgram),
    r(M:setopt(A, {ipv6, v6only}, false)),
    ok = M:bind(A, any),
    {ok, #{port := P}} = M:sockname(A),
    known_port(P),
    {S, _} = udp(B, inet),
    r(M:sendto(S, <<"mapped">>, #{family => inet, addr => ?LO, port => P})),
    r(M:recvfrom(A, 0, 1000)),
    close(B, [A, S]).

udp_info_counters(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    [ok = M:sendto(S, binary:copy(<<"c">>, N), AAddr) || N <- [1, 100, 1000]],
    [{ok, _} = M:recvfrom(A, 0) || _ <- [1, 2, 3]],
    r(M:recvfrom(A, 0, 0)),
    r(M:info(A)),
    r(M:info(S)),
    close(B, [A, S]).

udp_recvfrom_queue(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    {select, {select_info, recvfrom, H}} = M:recvfrom(A, 0, nowait),
    Self = self(),
    spawn_proc(second, fun() ->
                               r(M:recvfrom(A, 0, nowait)),
                               Self ! queued,
                               r(msgs(300)),
                               Self ! done
                       end),
    receive queued -> ok end,
    r(maps:get(num_readers, M:info(A))),
    ok = M:sendto(S, <<"first">>, AAddr),
    receive {'$socket', A, select, H} -> ok after 2000 -> r(none) end,
    r(M:recvfrom(A, 0, nowait)),
    ok = M:sendto(S, <<"second">>, AAddr),
    receive done -> ok after 3000 -> r(not_done) end,
    r(maps:get(num_readers, M:info(A))),
    close(B, [A, S]).

udp_close_aborts(B) ->
    M = sock(B),
    {A, _} = udp(B, inet),
    Self = self(),
    spawn_proc(blocked, fun() -> Self ! waiting, r(M:recvfrom(A)), Self ! done end),
    receive waiting -> ok end,
    sleep(50),
    spawn_proc(queued, fun() ->
                               r(M:recvfrom(A, 0, nowait)),
                               Self ! waiting,
                               r(msgs(300)),
                               Self ! done
                       end),
    receive waiting -> ok end,
    r(M:close(A)),
    [receive done -> ok after 2000 -> r(not_done) end || _ <- [blocked, queued]].

udp_order(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    [ok = M:sendto(S, integer_to_binary(N), AAddr) || N <- lists:seq(1, 20)],
    r([element(2, element(2, M:recvfrom(A, 0, 1000))) || _ <- lists:seq(1, 20)]),
    close(B, [A, S]).

udp_peek(B) ->
    M = sock(B),
    {A, AAddr} = udp(B, inet),
    {S, _} = udp(B, inet),
    ok = M:sendto(S, <<"peek at me">>, AAddr),
    r(M:recvfrom(A, 4, [peek], 1000)),
    r(M:recvfrom(A, 0, [peek], 1000)),
    r(M:recv(A, 0, [peek], 1000)),
    r(M:recvfrom(A, 0, [], 1000)),
    r(M:recvfrom(A, 0, [peek], 0)),
    close(B, [A, S]).

%%% Unix domain datagram and seqpacket sockets.

local_dgram(B) ->
    M = sock(B),
    {A, AAddr} = local_dgram_bound(B, "dgram-a"),
    {S, SAddr} = local_dgram_bound(B, "dgram-s"),
    r(M:sockname(A)),
    r(M:sendto(S, <<"unix datagram">>, AAddr)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sendto(A, <<"reply">>, SAddr)),
    r(M:recvfrom(S, 5, 1000)),
    r(M:sendto(S, <<"t">>, AAddr#{path := binary_to_list(maps:get(path, AAddr))})),
    r(M:recv(A, 0, 1000)),
    r(maps:without([counters], M:info(A))),
    close(B, [A, S]),
    [file:delete(maps:get(path, X)) || X <- [AAddr, SAddr]].

local_dgram_unnamed(B) ->
    M = sock(B),
    {A, AAddr} = local_dgram_bound(B, "unnamed"),
    {ok, S} = M:open(local, dgram),
    r(M:sendto(S, <<"anonymous">>, AAddr)),
    r(M:recvfrom(A, 0, 1000)),
    r(M:sockname(S)),
    r(M:sendto(S, <<"x">>, #{family => local, path => path("nobody")})),
    close(B, [A, S]),
    file:delete(maps:get(path, AAddr)).

local_dgram_connect(B) ->
    M = sock(B),
    {A, AAddr} = local_dgram_bound(B, "conn-a"),
    {S, SAddr} = local_dgram_bound(B, "conn-s"),
    r(M:connect(S, AAddr)),
    r(M:peername(S)),
    r(M:send(S, <<"connected unix">>)),
    r(M:recvfrom(A, 0, 1000)),
    {O, OAddr} = local_dgram_bound(B, "conn-o"),
    r(M:sendto(O, <<"stranger">>, SAddr)),
    close(B, [A, S, O]),
    [file:delete(maps:get(path, X)) || X <- [AAddr, SAddr, OAddr]].

local_dgram_abstract(B) ->
    M = sock(B),
    Name = <<0, (path("abstract-dgram"))/binary>>,
    {ok, A} = M:open(local, dgram),
    r(M:bind(A, #{family => local, path => Name})),
    r(M:sockname(A)),
    {ok, S} = M:open(local, dgram),
    r(M:sendto(S, <<"abstract">>, #{family => local, path => Name})),
    r(M:recvfrom(A, 0, 1000)),
    close(B, [A, S]).

local_seqpacket(B) ->
    M = sock(B),
    Path = path("seqpacket"),
    {ok, L} = r(M:open(local, seqpacket)),
    r(M:bind(L, #{family => local, path => Path})),
    r(M:listen(L)),
    {ok, C} = M:open(local, seqpacket),
    r(M:connect(C, #{family => local, path => Path})),
    {ok, A} = r(M:accept(L, 1000)),
    r(M:send(C, <<"first">>)),
    r(M:send(C, <<"second">>)),
    sleep(20),
    r(M:recv(A)),
    r(M:recv(A, 0, 1000)),
    r(M:recv(A, 0, 50)),
    r(M:send(A, <<"reply">>)),
    r(M:recvfrom(C, 0, 1000)),
    r(maps:without([counters], M:info(A))),
    ok = M:close(C),
    r(M:recv(A, 0, 1000)),
    close(B, [A, L]),
    file:delete(Path).

local_seqpacket_truncate(B) ->
    M = sock(B),
    Path = path("seqtrunc"),
    {ok, L} = M:open(local, seqpacket),
    ok = M:bind(L, #{family => local, path => Path}),
    ok = M:listen(L),
    {ok, C} = M:open(local, seqpacket),
    ok = M:connect(C, #{family => local, path => Path}),
    {ok, A} = M:accept(L),
    ok = M:send(C, <<"0123456789">>),
    ok = M:send(C, <<"abcdefghij">>),
    r(M:recv(A, 3, 1000)),
    r(M:recv(A, 20, 1000)),
    {select, SI} = r(M:recv(A, 5, nowait)),
    ok = M:send(C, <<"ABCDEFGHIJ">>),
    sleep(20),
    r(msgs()),
    r(M:recv(A, 5, nowait)),
    r(M:cancel(A, SI)),
    close(B, [A, C, L]),
    file:delete(Path).

%%% Options.

socket_options() ->
    [acceptconn, bindtodevice, broadcast, debug, domain, dontroute, keepalive, linger,
     oobinline, passcred, priority, protocol, rcvbuf, rcvlowat, reuseaddr, reuseport, sndbuf,
     sndlowat, timestamp, type, rcvtimeo, sndtimeo, peek_off, foo].

opts_socket_defaults(B) ->
    M = sock(B),
    [begin
         {ok, S} = M:open(D, T),
         r({D, T, [{O, M:getopt(S, {socket, O})} || O <- socket_options()]}),
         M:close(S)
     end || {D, T} <- [{inet, stream}, {inet, dgram}, {inet6, stream}, {local, stream},
                       {local, seqpacket}]].

opts_socket_set(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, dgram),
    Values = [{reuseaddr, true}, {reuseport, true}, {keepalive, true}, {broadcast, true},
              {dontroute, true}, {oobinline, true}, {priority, 3}, {rcvbuf, 10000},
              {sndbuf, 12000}, {rcvlowat, 2}, {passcred, true}, {timestamp, true},
              {debug, 0}, {reuseaddr, false}, {priority, 0}, {bindtodevice, "lo"},
              {bindtodevice, ""}],
    [r({O, M:setopt(S, {socket, O}, V), M:getopt(S, {socket, O})}) || {O, V} <- Values],
    close(B, [S]).

opts_socket_errors(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    Bad = [{reuseaddr, 1}, {reuseaddr, yes}, {priority, true}, {priority, 1 bsl 40},
           {rcvbuf, foo}, {type, dgram}, {protocol, tcp}, {domain, inet},
           {acceptconn, true}, {foo, 1}, {rcvtimeo, #{sec => 1, usec => 0}},
           {sndlowat, 1}, {debug, 1}, {bindtodevice, "nonexistent0"},
           {bindtodevice, lo}, {bindtodevice, "waytoolonginterfacename"}],
    [r({O, M:setopt(S, {socket, O}, V)}) || {O, V} <- Bad],
    close(B, [S]).

opts_linger(B) ->
    M = sock(B),
    {ok, S} = M:open(inet, stream),
    [r({V, M:setopt(S, {socket, linger}, V), M:getopt(S, {socket, linger})})
     || V <- [#{onoff => true, linger => 10}, #{onoff => false, linger => 0}, abort,
              #{onoff => true, linger => -1}, #{onoff => 1, linger => 0}, #{onoff => true},
              {true, 10}, foo]],
    close(B, [S]).

ip_options() ->
    [add_membership, drop_membership, freebind, hdrincl, minttl, mtu, mtu_discover,
     multicast_all, multicast_if, multicast_loop, multicast_ttl, nodefrag, pktinfo,
     pktoptions, recverr, recvopts, recvorigdstaddr, recvtos, recvttl, retopts,
     router_alert, tos, transparent, ttl, recvif, recvdstaddr, sendsrcaddr, msfilter, foo].

opts_ip(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    r([{O, M:getopt(S, {ip, O})} || O <- ip_options()]),
    Values = [{ttl, 5}, {tos, lowdelay}, {tos, throughput}, {tos, reliability},
              {tos, mincost}, {tos, 16#20}, {tos, 0}, {recvtos, true}, {recvttl, true},
              {multicast_ttl, 3}, {multicast_loop, false}, {multicast_if, ?LO},
              {multicast_if, any}, {mtu_discover, want}, {mtu_discover, dont},
              {mtu_discover, do}, {mtu_discover, probe}, {freebind, true}, {pktinfo, true},
              {recverr, true}, {minttl, 2}, {nodefrag, true}, {multicast_all, false},
              {recvorigdstaddr, true}, {recvopts, true}, {retopts, true},
              {transparent, true}, {router_alert, 1}, {hdrincl, true}],
    [r({O, M:setopt(S, {ip, O}, V), M:getopt(S, {ip, O})}) || {O, V} <- Values],
    {C, A} = pair(B, inet),
    r(M:getopt(C, {ip, mtu})),
    r(M:getopt(C, {ip, ttl})),
    close(B, [S, C, A]).

opts_ip_errors(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    Bad = [{ttl, foo}, {ttl, -2}, {ttl, 300}, {tos, foo}, {tos, 1 bsl 40}, {mtu, 1000},
           {mtu_discover, foo}, {mtu_discover, 1}, {multicast_if, foo},
           {multicast_if, {1, 2, 3}}, {add_membership, foo},
           {add_membership, #{multiaddr => ?LO}}, {recvtos, 1}, {pktoptions, 1},
           {multicast_ttl, -2}],
    [r({O, M:setopt(S, {ip, O}, V)}) || {O, V} <- Bad],
    close(B, [S]).

opts_ipv6(B) ->
    M = sock(B),
    {S, _} = udp(B, inet6),
    Names = [addrform, add_membership, drop_membership, authhdr, dstopts, flowinfo, hoplimit,
             hopopts, mtu, mtu_discover, multicast_hops, multicast_if, multicast_loop,
             recverr, recvhoplimit, recvpktinfo, recvtclass, router_alert, rthdr, tclass,
             unicast_hops, v6only, pktoptions, foo],
    r([{O, M:getopt(S, {ipv6, O})} || O <- Names]),
    Values = [{unicast_hops, 7}, {unicast_hops, default}, {unicast_hops, -1},
              {unicast_hops, 300}, {multicast_hops, 4}, {multicast_hops, default},
              {multicast_loop, false}, {multicast_if, 1}, {tclass, 8}, {recvtclass, true},
              {recvhoplimit, true}, {recvpktinfo, true}, {mtu_discover, probe},
              {recverr, true}, {hoplimit, true}, {rthdr, true}, {dstopts, true},
              {hopopts, true}, {flowinfo, true}, {authhdr, true}, {v6only, true},
              {router_alert, 0}, {mtu, 1400}, {addrform, inet}, {addrform, foo},
              {unicast_hops, foo}, {v6only, 1}],
    [r({O, M:setopt(S, {ipv6, O}, V), M:getopt(S, {ipv6, O})}) || {O, V} <- Values],
    close(B, [S]).

opts_tcp(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    Names = [congestion, cork, maxseg, nodelay, keepcnt, keepidle, keepintvl, foo],
    r([{O, M:getopt(C, {tcp, O})} || O <- Names]),
    Values = [{nodelay, true}, {cork, true}, {cork, false}, {maxseg, 1000},
              {congestion, "reno"}, {congestion, "cubic"}, {congestion, "nosuchalgo"},
              {congestion, cubic}, {nodelay, 1}, {maxseg, foo}],
    [r({O, M:setopt(C, {tcp, O}, V), M:getopt(C, {tcp, O})}) || {O, V} <- Values],
    close(B, [C, A]).

opts_udp(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    r(M:getopt(S, {udp, cork})),
    r(M:setopt(S, {udp, cork}, true)),
    r(M:getopt(S, {udp, cork})),
    r(M:setopt(S, {udp, cork}, 1)),
    r(M:getopt(S, {udp, foo})),
    close(B, [S]).

opts_level_mismatch(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    {ok, T} = M:open(inet6, stream),
    {ok, L} = M:open(local, stream),
    r([M:getopt(S, {ipv6, v6only}), M:getopt(S, {tcp, nodelay}),
       M:setopt(S, {tcp, nodelay}, true), M:setopt(S, {ipv6, tclass}, 1),
       M:getopt(T, {udp, cork}), M:getopt(T, {ip, ttl}), M:setopt(T, {ip, ttl}, 9),
       M:getopt(L, {ip, ttl}), M:getopt(L, {tcp, nodelay}), M:setopt(L, {ipv6, v6only}, true),
       M:getopt(S, {sctp, nodelay}), M:getopt(S, {foo, bar})]),
    close(B, [S, T, L]).

opts_otp(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    Names = [debug, iow, rcvbuf, rcvctrlbuf, sndctrlbuf, meta, use_registry, domain,
             recvbuf, sndbuf, foo],
    r([{O, M:getopt(S, {otp, O})} || O <- Names]),
    r(element(1, M:getopt(S, {otp, fd}))),
    %% {debug, true} would make OTP's NIF trace to stdout.
    Values = [{debug, false}, {debug, 1}, {iow, true}, {iow, foo},
              {rcvctrlbuf, 2048}, {rcvctrlbuf, default}, {rcvctrlbuf, 0},
              {sndctrlbuf, 4096}, {sndctrlbuf, -1}, {meta, {any, "term", 1}},
              {use_registry, true}, {use_registry, false}, {rcvbuf, 100},
              {recvbuf, 100}, {foo, 1}],
    [r({O, M:setopt(S, {otp, O}, V), M:getopt(S, {otp, O})}) || {O, V} <- Values],
    t(fun() -> M:setopt(S, {otp, fd}, 1) end),
    t(fun() -> M:setopt(S, {otp, domain}, inet) end),
    close(B, [S]).

opts_aliases(B) ->
    M = sock(B),
    {C, A} = pair(B, inet),
    r(M:setopt(C, {'TCP', nodelay}, true)),
    r(M:getopt(C, {tcp, nodelay})),
    r(M:getopt(C, {'IP', ttl})),
    r(M:getopt(C, {'IPv6', v6only})),
    r(M:getopt(C, {'UDP', cork})),
    r(M:getopt(C, {hopopt, ttl})),
    r(M:getopt(C, {'SOCKET', type})),
    close(B, [C, A]).

opts_local(B) ->
    M = sock(B),
    {ok, S} = M:open(local, dgram),
    r([{O, M:getopt(S, {socket, O})}
       || O <- [type, protocol, domain, passcred, rcvbuf, sndbuf, reuseaddr]]),
    r(M:setopt(S, {socket, passcred}, true)),
    r(M:getopt(S, {socket, passcred})),
    r(M:getopt(S, {otp, domain})),
    close(B, [S]).

opts_membership(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    Group = #{multiaddr => {224, 0, 0, 251}, interface => ?LO},
    r(M:setopt(S, {ip, add_membership}, Group)),
    r(M:setopt(S, {ip, add_membership}, Group)),
    r(M:setopt(S, {ip, drop_membership}, Group)),
    r(M:setopt(S, {ip, drop_membership}, Group)),
    r(M:setopt(S, {ip, add_membership}, Group#{interface => any})),
    r(M:getopt(S, {ip, add_membership})),
    {S6, _} = udp(B, inet6),
    Group6 = #{multiaddr => {16#ff02, 0, 0, 0, 0, 0, 0, 16#fb}, interface => 1},
    r(M:setopt(S6, {ipv6, add_membership}, Group6)),
    r(M:setopt(S6, {ipv6, drop_membership}, Group6)),
    r(M:setopt(S6, {ipv6, add_membership}, Group6#{interface => foo})),
    close(B, [S, S6]).

opts_forms(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    r(M:setopt(S, socket, reuseaddr, true)),
    r(M:getopt(S, socket, reuseaddr)),
    r(M:getopt(S, otp, rcvbuf)),
    t(fun() -> M:setopt(S, reuseaddr, true) end),
    t(fun() -> M:getopt(S, reuseaddr) end),
    t(fun() -> M:getopt(S, {socket, reuseaddr, x}) end),
    t(fun() -> M:setopt(S, {6, 1}, true) end),
    t(fun() -> M:setopt(S, {socket, 2}, true) end),
    t(fun() -> M:setopt(foo, {socket, reuseaddr}, true) end),
    close(B, [S]).

opts_native(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    One = <<1:32/native>>,
    r(M:setopt(S, socket, 2, One)),
    r(M:getopt(S, socket, {2, integer})),
    r(M:setopt_native(S, {socket, reuseaddr}, false)),
    r(M:getopt_native(S, {socket, reuseaddr}, boolean)),
    r(M:setopt_native(S, {1, 2}, 1)),
    r(M:getopt_native(S, {1, 2}, 4)),
    r(M:getopt_native(S, {ip, 2}, integer)),
    r(M:getopt_native(S, {'IP', 2}, <<0:32>>)),
    r(M:setopt_native(S, {ip, ttl}, 9)),
    r(M:getopt_native(S, {ip, ttl}, integer)),
    r(M:getopt_native(S, {ip, ttl}, foo)),
    r(M:getopt_native(S, {nosuchproto, 2}, integer)),
    r(M:setopt_native(S, {nosuchproto, 2}, 1)),
    r(M:getopt_native(S, {1, ttl}, integer)),
    r(M:setopt_native(S, {socket, 2}, foo)),
    r(M:getopt_native(S, {otp, rcvbuf}, integer)),
    r(M:getopt_native(S, {tcp, 1}, integer)),
    t(fun() -> M:setopt_native(S, {1, ttl}, 1) end),
    t(fun() -> M:setopt_native(S, foo, 1) end),
    r(M:getopt_native(S, foo, integer)),
    ok = M:close(S),
    r(M:getopt_native(S, {socket, 2}, integer)),
    r(M:setopt_native(S, {socket, 2}, 1)),
    r(M:setopt_native(S, {socket, 2}, foo)).

opts_closed(B) ->
    M = sock(B),
    {S, _} = udp(B, inet),
    ok = M:close(S),
    r([M:getopt(S, {socket, type}), M:getopt(S, {socket, foo}), M:getopt(S, {ip, ttl}),
       M:setopt(S, {ip, ttl}, 1), M:setopt(S, {ip, ttl}, foo), M:setopt(S, {ip, mtu}, 1),
       M:getopt(S, {otp, debug}), M:getopt(S, {otp, meta}), M:getopt(S, {otp, rcvbuf}),
       M:getopt(S, {otp, controlling_process}), M:getopt(S, {otp, use_registry}),
       M:setopt(S, {otp, debug}, true), M:setopt(S, {otp, debug}, foo),
       M:setopt(S, {otp, rcvbuf}, 1), M:setopt(S, {otp, controlling_process}, self()),
       M:setopt(S, {otp, meta}, x), M:setopt(S, {otp, use_registry}, true)]).
