%% gen_sctp option scenarios for the conformance harness: every option of
%% gen_sctp(3) read and written through inet:getopts/setopts, their defaults,
%% the errors prim_inet and the driver give for wrong names, types and
%% records, the per-association options, and chgopts in connect. Each runs on
%% native gen_sctp and on pyinet_sctp; see pyinet_conformance_sctp for the
%% renaming of association ids.
%%
%% Values the kernel computes from live traffic (rwnd, cwnd, srtt, rto) are
%% left out of what is recorded.
-module(pyinet_conformance_sctp_opts).

-export([scenarios/0, reference/0]).

-export([getopts_defaults/1, getopts_inet6/1, getopts_bad/1, setopts_bad/1, setopts_partial/1,
         setopts_generic/1, setopts_buffer_recbuf/1, setopts_sctp_simple/1, initmsg/1,
         rtoinfo/1, associnfo/1, delayed_ack_time/1, events/1, adaptation_layer/1,
         default_send_param_socket/1, peer_addr_params/1, primary_addr/1,
         set_peer_primary_addr/1, status/1, status_bad/1, get_peer_addr_info/1,
         chgopts_connect/1, bind_to_device/1, ipv6_v6only/1, mapped_v4/1, linger/1,
         mode_atoms/1, disable_fragments/1, recvtos/1]).

-include_lib("kernel/include/inet_sctp.hrl").

-import(pyinet_conformance_sctp, [r/1, t/1, msgs/1, open/2, port/1, assoc/3, recv_event/2]).
-import(pyinet_conformance, [sctp/1]).

-define(LO, {127, 0, 0, 1}).
-define(LO6, {0, 0, 0, 0, 0, 0, 0, 1}).
-define(WAIT, 5000).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

-spec reference() -> ok | {error, string()}.
reference() ->
    pyinet_conformance_sctp:reference().

close_all(B, Sockets) ->
    [(sctp(B)):close(S) || S <- Sockets],
    ok.

assoc_id(#sctp_assoc_change{assoc_id = Id}) -> Id.

%%% Defaults and errors.

getopts_defaults(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:getopts(S, [mode, active, buffer, sndbuf, recbuf, reuseaddr, dontroute, priority,
                       tos, ttl, recvtos, recvttl, linger, bind_to_device, netns])),
    r(inet:getopts(S, [sctp_nodelay, sctp_autoclose, sctp_disable_fragments,
                       sctp_i_want_mapped_v4_addr, sctp_maxseg, sctp_initmsg, sctp_events,
                       sctp_adaptation_layer])),
    r(inet:getopts(S, [sctp_rtoinfo, sctp_associnfo, sctp_default_send_param,
                       sctp_peer_addr_params])),
    close_all(B, [S]).

getopts_inet6(B) ->
    S = open(B, [{ip, ?LO6}]),
    r(inet:getopts(S, [tclass, recvtclass, ipv6_v6only, sctp_i_want_mapped_v4_addr, tos])),
    close_all(B, [S]).

getopts_bad(B) ->
    S = open(B, [{ip, ?LO}]),
    [t(fun() -> inet:getopts(S, Opts) end)
     || Opts <- [[bogus], [nodelay], [debug], [keepalive], [packet], [high_msgq_watermark],
                 [sctp_status], [{sctp_status, x}],
                 [{sctp_initmsg, #sctp_initmsg{num_ostreams = 1}}], [{mode, binary}],
                 [{mode, undefined}], [raw], [{raw, 1, 2, 3}], [bogus, sctp_status],
                 [sctp_status, bogus], [nodelay, sctp_status], [sctp_set_peer_primary_addr],
                 [sctp_primary_addr], [{sctp_primary_addr, #sctp_prim{assoc_id = 1}}],
                 [{sctp_peer_addr_params, #sctp_paddrparams{address = {{1, 2, 3}, 1}}}],
                 [{sctp_get_peer_addr_info, #sctp_paddrinfo{address = foo}}], ["mode"]]],
    t(fun() -> inet:getopts(S, foo) end),
    close_all(B, [S]).

setopts_bad(B) ->
    S = open(B, [{ip, ?LO}]),
    [t(fun() -> inet:setopts(S, Opts) end)
     || Opts <- [[{bogus, 1}], [{nodelay, true}], [{packet, 2}], [{high_msgq_watermark, 100}],
                 [{header, 1}], [{keepalive, true}], [{debug, true}],
                 [{sctp_rtoinfo, #sctp_rtoinfo{initial = -1}}], [{sctp_nodelay, 1}], [foo],
                 [{sctp_events, #sctp_event_subscribe{data_io_event = 'maybe'}}],
                 [{sctp_peer_addr_params, #sctp_paddrparams{flags = [hb_enable, hb_disable]}}],
                 [{sctp_peer_addr_params, #sctp_paddrparams{flags = [bogus]}}],
                 [{sctp_initmsg, {sctp_initmsg, 1, 2}}], [{sctp_initmsg, undefined}],
                 [{sctp_primary_addr, #sctp_prim{}}], [{sctp_status, #sctp_status{}}],
                 [{sctp_get_peer_addr_info, #sctp_paddrinfo{}}], [{active, foo}],
                 [{raw, 1, 2, <<>>}], [{mode, binary, x}], [{sctp_autoclose, -1}],
                 [{sctp_maxseg, -1}], [{linger, {true, x}}], [{bind_to_device, <<"eth99">>}],
                 [{bind_to_device, binary:copy(<<"x">>, 20)}]]],
    t(fun() -> inet:setopts(S, foo) end),
    r(inet:getopts(S, [active, mode])),
    close_all(B, [S]).

%% The driver applies the options last first and stops at the first it
%% refuses: what came after it in the list is not set.
setopts_partial(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:setopts(S, [{sctp_nodelay, true}, {nodelay, true}])),
    r(inet:getopts(S, [sctp_nodelay])),
    r(inet:setopts(S, [{nodelay, true}, {sctp_nodelay, true}])),
    r(inet:getopts(S, [sctp_nodelay])),
    r(inet:setopts(S, [{sctp_autoclose, 5}, {bogus, 1}])),
    r(inet:getopts(S, [sctp_autoclose])),
    r(inet:setopts(S, [{reuseaddr, true}, {sctp_rtoinfo, #sctp_rtoinfo{initial = -1}}])),
    r(inet:getopts(S, [reuseaddr])),
    close_all(B, [S]).

%%% Reading back what was set.

setopts_generic(B) ->
    S = open(B, [{ip, ?LO}]),
    Opts = [{reuseaddr, true}, {dontroute, true}, {priority, 3}, {tos, 16#10}, {ttl, 7},
            {sndbuf, 20000}, {recbuf, 30000}, {recvtos, true}, {recvttl, true}],
    r(inet:setopts(S, Opts)),
    r(inet:getopts(S, [N || {N, _} <- Opts])),
    r(inet:setopts(S, [{priority, 1}, {tos, 16#20}])),
    r(inet:getopts(S, [priority, tos])),
    r(inet:setopts(S, [{tos, 16#20}, {priority, 1}])),
    r(inet:getopts(S, [priority, tos])),
    close_all(B, [S]).

setopts_buffer_recbuf(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:setopts(S, [{buffer, 2000}])),
    r(inet:getopts(S, [buffer])),
    r(inet:setopts(S, [{recbuf, 100000}])),
    r(inet:getopts(S, [buffer, recbuf])),
    r(inet:setopts(S, [{recbuf, 1000}])),
    r(inet:getopts(S, [buffer])),
    r(inet:setopts(S, [{buffer, 0}])),
    r(inet:getopts(S, [buffer])),
    r(inet:setopts(S, [{buffer, -5}])),
    r(inet:getopts(S, [buffer])),
    S2 = open(B, [{ip, ?LO}, {recbuf, 200000}]),
    r(inet:getopts(S2, [buffer])),
    S3 = open(B, [{ip, ?LO}, {buffer, 100}, {recbuf, 50}]),
    r(inet:getopts(S3, [buffer])),
    close_all(B, [S, S2, S3]).

setopts_sctp_simple(B) ->
    S = open(B, [{ip, ?LO}]),
    Opts = [{sctp_nodelay, true}, {sctp_autoclose, 7}, {sctp_disable_fragments, true},
            {sctp_maxseg, 1000}, {sctp_i_want_mapped_v4_addr, true}],
    r(inet:setopts(S, Opts)),
    r(inet:getopts(S, [N || {N, _} <- Opts])),
    r(inet:setopts(S, [{sctp_nodelay, false}, {sctp_disable_fragments, false},
                       {sctp_maxseg, 0}, {sctp_autoclose, 0}])),
    r(inet:getopts(S, [N || {N, _} <- Opts])),
    close_all(B, [S]).

initmsg(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:setopts(S, [{sctp_initmsg, #sctp_initmsg{num_ostreams = 3, max_instreams = 4,
                                                     max_attempts = 5, max_init_timeo = 600}}])),
    r(inet:getopts(S, [sctp_initmsg])),
    r(inet:setopts(S, [{sctp_initmsg, #sctp_initmsg{num_ostreams = 9}}])),
    r(inet:getopts(S, [sctp_initmsg])),
    r(inet:setopts(S, [{sctp_initmsg, #sctp_initmsg{num_ostreams = 70000}}])),
    close_all(B, [S]).

rtoinfo(B) ->
    {Srv, _, Cli, _, CA, _} = assoc(B, [], []),
    r(inet:setopts(Cli, [{sctp_rtoinfo, #sctp_rtoinfo{initial = 2000, max = 9000,
                                                       min = 700}}])),
    r(inet:getopts(Cli, [sctp_rtoinfo])),
    Id = assoc_id(CA),
    r(inet:setopts(Cli, [{sctp_rtoinfo, #sctp_rtoinfo{assoc_id = Id, initial = 1500,
                                                       max = 8000, min = 600}}])),
    r(inet:getopts(Cli, [{sctp_rtoinfo, #sctp_rtoinfo{assoc_id = Id}}])),
    r(inet:getopts(Cli, [{sctp_rtoinfo, #sctp_rtoinfo{assoc_id = 4242}}])),
    r(inet:setopts(Cli, [{sctp_rtoinfo, #sctp_rtoinfo{assoc_id = 4242}}])),
    close_all(B, [Cli, Srv]).

associnfo(B) ->
    {Srv, _, Cli, _, CA, _} = assoc(B, [], []),
    r(inet:setopts(Cli, [{sctp_associnfo, #sctp_assocparams{asocmaxrxt = 7,
                                                             cookie_life = 30000}}])),
    r(inet:getopts(Cli, [sctp_associnfo])),
    Id = assoc_id(CA),
    {ok, [{_, #sctp_assocparams{} = P}]} =
        inet:getopts(Cli, [{sctp_associnfo, #sctp_assocparams{assoc_id = Id}}]),
    r(P#sctp_assocparams{peer_rwnd = rwnd, local_rwnd = rwnd}),
    r(inet:setopts(Cli, [{sctp_associnfo, #sctp_assocparams{assoc_id = Id, asocmaxrxt = 3}}])),
    {ok, [{_, #sctp_assocparams{asocmaxrxt = Max}}]} =
        inet:getopts(Cli, [{sctp_associnfo, #sctp_assocparams{assoc_id = Id}}]),
    r(Max),
    close_all(B, [Cli, Srv]).

delayed_ack_time(B) ->
    {Srv, _, Cli, _, CA, _} = assoc(B, [], []),
    r(inet:getopts(Cli, [sctp_delayed_ack_time])),
    r(inet:setopts(Cli, [{sctp_delayed_ack_time, #sctp_assoc_value{assoc_value = 100}}])),
    r(inet:getopts(Cli, [sctp_delayed_ack_time])),
    Id = assoc_id(CA),
    r(inet:setopts(Cli, [{sctp_delayed_ack_time, #sctp_assoc_value{assoc_id = Id,
                                                                    assoc_value = 50}}])),
    r(inet:getopts(Cli, [{sctp_delayed_ack_time, #sctp_assoc_value{assoc_id = Id}}])),
    r(inet:setopts(Cli, [{sctp_delayed_ack_time, #sctp_assoc_value{assoc_value = 9999}}])),
    close_all(B, [Cli, Srv]).

events(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:getopts(S, [sctp_events])),
    E = #sctp_event_subscribe{data_io_event = false, address_event = false,
                              adaptation_layer_event = true, authentication_event = true},
    r(inet:setopts(S, [{sctp_events, E}])),
    r(inet:getopts(S, [sctp_events])),
    r(inet:setopts(S, [{sctp_events, #sctp_event_subscribe{}}])),
    r(inet:getopts(S, [sctp_events])),
    close_all(B, [S]).

adaptation_layer(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:getopts(S, [sctp_adaptation_layer])),
    r(inet:setopts(S, [{sctp_adaptation_layer,
                        #sctp_setadaptation{adaptation_ind = 16#01020304}}])),
    r(inet:getopts(S, [sctp_adaptation_layer])),
    r(inet:setopts(S, [{sctp_adaptation_layer, #sctp_setadaptation{}}])),
    r(inet:getopts(S, [sctp_adaptation_layer])),
    close_all(B, [S]).

default_send_param_socket(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:setopts(S, [{sctp_default_send_param,
                        #sctp_sndrcvinfo{stream = 2, ppid = 16#0a0b0c0d, context = 3,
                                         timetolive = 100, flags = [unordered, addr_over]}}])),
    r(inet:getopts(S, [sctp_default_send_param])),
    r(inet:getopts(S, [{sctp_default_send_param, #sctp_sndrcvinfo{stream = 1}}])),
    r(inet:setopts(S, [{sctp_default_send_param, #sctp_sndrcvinfo{flags = [eof]}}])),
    r(inet:getopts(S, [sctp_default_send_param])),
    close_all(B, [S]).

%%% Per association and per address.

peer_addr_params(B) ->
    {Srv, SP, Cli, _, CA, _} = assoc(B, [], []),
    Id = assoc_id(CA),
    Key = #sctp_paddrparams{assoc_id = Id, address = {?LO, SP}},
    r(inet:getopts(Cli, [{sctp_peer_addr_params, Key}])),
    r(inet:setopts(Cli, [{sctp_peer_addr_params,
                          Key#sctp_paddrparams{hbinterval = 5000, pathmaxrxt = 4,
                                               flags = [hb_enable]}}])),
    r(inet:getopts(Cli, [{sctp_peer_addr_params, Key}])),
    r(inet:setopts(Cli, [{sctp_peer_addr_params,
                          Key#sctp_paddrparams{flags = [hb_disable, pmtud_disable],
                                               pathmtu = 1300}}])),
    r(inet:getopts(Cli, [{sctp_peer_addr_params, Key}])),
    r(inet:getopts(Cli, [{sctp_peer_addr_params,
                          #sctp_paddrparams{assoc_id = Id, address = {?LO, 1}}}])),
    r(inet:setopts(Cli, [{sctp_peer_addr_params,
                          Key#sctp_paddrparams{flags = [sackdelay_enable, sackdelay_disable]}}])),
    r(inet:setopts(Cli, [{sctp_peer_addr_params,
                          #sctp_paddrparams{hbinterval = 7000, flags = [hb_enable]}}])),
    r(inet:getopts(Cli, [sctp_peer_addr_params])),
    close_all(B, [Cli, Srv]).

primary_addr(B) ->
    {Srv, SP, Cli, _, CA, _} = assoc(B, [], []),
    Id = assoc_id(CA),
    r(inet:getopts(Cli, [{sctp_primary_addr, #sctp_prim{assoc_id = Id}}])),
    r(inet:setopts(Cli, [{sctp_primary_addr, #sctp_prim{assoc_id = Id, addr = {?LO, SP}}}])),
    r(inet:setopts(Cli, [{sctp_primary_addr, #sctp_prim{assoc_id = Id, addr = {?LO, 1}}}])),
    r(inet:setopts(Cli, [{sctp_primary_addr,
                          #sctp_prim{assoc_id = 4242, addr = {?LO, SP}}}])),
    r(inet:getopts(Cli, [{sctp_primary_addr, #sctp_prim{assoc_id = 4242}}])),
    close_all(B, [Cli, Srv]).

set_peer_primary_addr(B) ->
    {Srv, _, Cli, CP, CA, SA} = assoc(B, [], []),
    r(inet:setopts(Srv, [{sctp_set_peer_primary_addr,
                          #sctp_setpeerprim{assoc_id = assoc_id(SA), addr = {?LO, CP}}}])),
    r(inet:getopts(Srv, [{sctp_set_peer_primary_addr,
                          #sctp_setpeerprim{assoc_id = assoc_id(SA)}}])),
    _ = CA,
    close_all(B, [Cli, Srv]).

status(B) ->
    {Srv, SP, Cli, _, CA, _} = assoc(B, [], [{sctp_initmsg, #sctp_initmsg{num_ostreams = 6}}]),
    Id = assoc_id(CA),
    {ok, [{sctp_status, St}]} = inet:getopts(Cli, [{sctp_status, #sctp_status{assoc_id = Id}}]),
    #sctp_status{primary = Prim} = St,
    r(St#sctp_status{rwnd = rwnd, primary = paddrinfo(Prim)}),
    _ = SP,
    close_all(B, [Cli, Srv]).

status_bad(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:getopts(S, [{sctp_status, #sctp_status{assoc_id = 4242}}])),
    r(inet:getopts(S, [{sctp_status, #sctp_status{assoc_id = 0}}])),
    t(fun() -> inet:getopts(S, [{sctp_status, #sctp_status{assoc_id = -1}}]) end),
    t(fun() -> inet:getopts(S, [{sctp_status, #sctp_status{assoc_id = 1, state = x}}]) end),
    close_all(B, [S]).

get_peer_addr_info(B) ->
    {Srv, SP, Cli, _, CA, _} = assoc(B, [], []),
    Id = assoc_id(CA),
    {ok, [{_, I}]} = inet:getopts(Cli, [{sctp_get_peer_addr_info,
                                         #sctp_paddrinfo{address = {?LO, SP}}}]),
    r(paddrinfo(I)),
    {ok, [{_, I2}]} = inet:getopts(Cli, [{sctp_get_peer_addr_info,
                                          #sctp_paddrinfo{assoc_id = Id,
                                                          address = {?LO, SP}}}]),
    r(paddrinfo(I2)),
    r(inet:getopts(Cli, [{sctp_get_peer_addr_info, #sctp_paddrinfo{address = {?LO, 1}}}])),
    r(inet:getopts(Cli, [sctp_get_peer_addr_info])),
    close_all(B, [Cli, Srv]).

paddrinfo(#sctp_paddrinfo{} = I) ->
    I#sctp_paddrinfo{cwnd = cwnd, srtt = srtt, rto = rto};
paddrinfo(Other) ->
    Other.

%% connect's options go through chgopts: the undefined fields of a record
%% are the socket's current values, not the record's defaults.
chgopts_connect(B) ->
    M = sctp(B),
    Srv = open(B, [{ip, ?LO}]),
    SP = port(Srv),
    ok = M:listen(Srv, true),
    Cli = open(B, [{ip, ?LO}, {sctp_initmsg, #sctp_initmsg{max_instreams = 3,
                                                            max_attempts = 2}}]),
    port(Cli),
    r(M:connect(Cli, ?LO, SP, [{sctp_initmsg, #sctp_initmsg{num_ostreams = 4}}])),
    r(inet:getopts(Cli, [sctp_initmsg])),
    r(M:connect(Cli, ?LO, SP, [{sctp_initmsg, {sctp_initmsg, 1}}])),
    r(M:connect(Cli, ?LO, SP, [{sctp_initmsg, #sctp_initmsg{num_ostreams = -1}}])),
    close_all(B, [Cli, Srv]).

bind_to_device(B) ->
    S = open(B, [{ip, ?LO}]),
    r(inet:setopts(S, [{bind_to_device, <<"lo">>}])),
    r(inet:getopts(S, [bind_to_device])),
    r(inet:setopts(S, [{bind_to_device, <<>>}])),
    r(inet:getopts(S, [bind_to_device])),
    close_all(B, [S]).

ipv6_v6only(B) ->
    S = open(B, [inet6, {ipv6_v6only, true}]),
    r(inet:getopts(S, [ipv6_v6only])),
    r(inet:setopts(S, [{ipv6_v6only, false}])),
    r(inet:getopts(S, [ipv6_v6only])),
    S4 = open(B, [{ip, ?LO}]),
    r(inet:setopts(S4, [{ipv6_v6only, true}])),
    r(inet:setopts(S4, [{tclass, 8}])),
    close_all(B, [S, S4]).

%% An IPv4 peer of an inet6 socket, with and without mapped addresses.
mapped_v4(B) ->
    M = sctp(B),
    Srv = open(B, [inet6, {sctp_i_want_mapped_v4_addr, false}]),
    SP = port(Srv),
    ok = M:listen(Srv, true),
    Cli = open(B, [{ip, ?LO}]),
    port(Cli),
    {ok, CA} = M:connect(Cli, ?LO, SP, []),
    r(recv_event(M, Srv)),
    ok = M:send(Cli, CA, 0, <<"v4">>),
    r(M:recv(Srv, ?WAIT)),
    r(inet:setopts(Srv, [{sctp_i_want_mapped_v4_addr, true}])),
    ok = M:send(Cli, CA, 0, <<"mapped">>),
    r(M:recv(Srv, ?WAIT)),
    close_all(B, [Cli, Srv]).

linger(B) ->
    S = open(B, [{ip, ?LO}, {linger, {true, 2}}]),
    r(inet:getopts(S, [linger])),
    r(inet:setopts(S, [{linger, {false, 0}}])),
    r(inet:getopts(S, [linger])),
    r(inet:setopts(S, [{linger, {true, 0}}])),
    r(inet:getopts(S, [linger])),
    close_all(B, [S]).

mode_atoms(B) ->
    S = open(B, [{ip, ?LO}, list]),
    r(inet:getopts(S, [mode])),
    r(inet:setopts(S, [binary])),
    r(inet:getopts(S, [mode])),
    r(inet:setopts(S, [list, {mode, binary}])),
    r(inet:getopts(S, [mode])),
    close_all(B, [S]).

disable_fragments(B) ->
    M = sctp(B),
    {Srv, _, Cli, _, CA, _} = assoc(B, [], [{sctp_disable_fragments, true}]),
    r(M:send(Cli, CA, 0, binary:copy(<<"f">>, 100000))),
    r(M:send(Cli, CA, 0, <<"small">>)),
    r(M:recv(Srv, ?WAIT)),
    close_all(B, [Cli, Srv]).

recvtos(B) ->
    M = sctp(B),
    {Srv, _, Cli, _, CA, _} = assoc(B, [{recvtos, true}, {recvttl, true}], [{tos, 16#20}]),
    r(M:send(Cli, CA, 0, <<"tos">>)),
    r(M:recv(Srv, ?WAIT)),
    close_all(B, [Cli, Srv]).
