%% Why OTP's socket backend differs from inet_drv: each difference that
%% pyinet_conformance_divergences finds, by the cause of its first differing
%% step, and what kind of difference that cause is. Judged by reading OTP's
%% documentation of the release (OTP 25.2.3's gen_tcp(3), gen_udp(3) and
%% inet(3)) and gen_tcp_socket.erl / gen_udp_socket.erl:
%%
%% - documented: OTP's documentation names the difference;
%% - bug: the socket backend contradicts what OTP documents for the call or
%%   the option, crashes the socket's process, blocks a scheduler, or loses
%%   data; each has a reproduction in tests/otp_bugs (an escript that prints
%%   one line per backend);
%% - inet_drv_bug: the same, but the fault is inet_drv's (pyinet follows
%%   inet_drv, and says so where it does not);
%% - unspecified: the two answer differently where the documentation does
%%   not say what the answer is (which error reason, invalid arguments,
%%   internals such as inet:info/1).
%%
%% A scenario is listed under the cause of its first differing step (the one
%% docs/divergences.md shows); `also` names scenarios that the cause stops
%% from running to their end after an earlier difference. The random
%% sequences' kinds of difference map to causes by sequence_cause/1, by the
%% shape of the two terms where they part (checked on the shrunk examples).
-module(pyinet_conformance_divergence_causes).

-export([causes/0, cause_of/2, sequence_cause/2, kinds/0]).

-type kind() :: documented | bug | inet_drv_bug | unspecified.
-type cause() :: #{id := atom(), kind := kind(), title := string(), text := string(),
                   scenarios := [{module(), atom()}], also => [{module(), atom()}],
                   reproduction => string(), expected => string()}.
-export_type([cause/0, kind/0]).

%% The kinds, in the order the report shows them, with what each means.
-spec kinds() -> [{kind(), string()}].
kinds() ->
    [{bug, "a bug of the socket backend: it contradicts OTP's documentation of the call "
           "or option, crashes the socket's process, blocks a scheduler or loses data"},
     {inet_drv_bug, "a bug of inet_drv, where the socket backend is right"},
     {documented, "a difference OTP's documentation names"},
     {unspecified, "the documentation does not say what the answer is"}].

%% The cause whose scenarios list {Module, Name}, or undefined.
-spec cause_of(module(), atom()) -> atom() | undefined.
cause_of(Module, Name) ->
    case [Id || #{id := Id, scenarios := S} <- causes(), lists:member({Module, Name}, S)] of
        [Id | _] -> Id;
        [] -> undefined
    end.

%% The cause of a kind of first difference of the random sequences
%% (pyinet_conformance_random:kind()) whose shrunk example is Sequence, or
%% undefined.
-spec sequence_cause(pyinet_conformance_random:kind(), pyinet_conformance_random:sequence()) ->
          atom() | undefined.
sequence_cause({_, {main, {msgs, [{tcp, _, _}]}}, {main, {msgs, [{tcp, _, _}]}}}, {line, _}) ->
    line_longer_than_buffer;
sequence_cause({recv, {main, {ok, _}}, {main, {ok, _}}}, {line, _}) ->
    line_longer_than_buffer;
sequence_cause(Kind, _Sequence) ->
    sequence_cause(Kind).

sequence_cause({recv, {main, {error, einval}}, {main, {error, Socket}}})
  when Socket =:= timeout; Socket =:= closed ->
    recv_length_in_packet_mode;
sequence_cause({recv, {main, {ok, _}}, {main, {error, timeout}}}) ->
    passive_after_active;
sequence_cause({recv, {main, {error, timeout}}, {main, {ok, _}}}) ->
    inet_drv_timeout_zero;
sequence_cause({recv, {main, {ok, _}}, {main, {ok, _}}}) ->
    read_chunking;
sequence_cause({_, {main, {error, einval}}, {main, {error, closed}}}) ->
    closed_socket_reason;
sequence_cause({_, {main, {error, closed}}, {main, {error, einval}}}) ->
    closed_socket_einval;
sequence_cause({_, {main, {error, closed}}, {main, ok}}) ->
    exit_on_close_ignored;
sequence_cause({_, {main, ok}, {main, {error, einval}}}) ->
    half_closed_options;
sequence_cause({_, {main, {error, enotconn}}, {main, {error, closed}}}) ->
    after_close_reason;
sequence_cause({active, {main, {msgs, []}}, {main, {msgs, [{tcp_passive, _}]}}}) ->
    active_false_after_n;
sequence_cause({shutdown, {main, {msgs, [{tcp_closed, _}]}}, {main, {msgs, []}}}) ->
    shutdown_active;
sequence_cause({_, {main, {msgs, [{tcp_closed, _}]}}, {main, {msgs, [{tcp, _, _} | _]}}}) ->
    send_error_closes_socket;
sequence_cause({_, {main, {msgs, [_ | _]}}, {main, {msgs, [_ | _]}}}) ->
    read_chunking;
sequence_cause(_) ->
    undefined.

-define(TCP, pyinet_conformance_tcp).
-define(FLOW, pyinet_conformance_tcp_flow).
-define(PACKET, pyinet_conformance_tcp_packet).
-define(OTP, pyinet_conformance_tcp_otp).
-define(UDP, pyinet_conformance_udp).
-define(FAULT, pyinet_conformance_fault).
-define(FD, pyinet_conformance_fd).
-define(INFO, pyinet_conformance_info).
-define(SENDFILE, pyinet_conformance_sendfile).

s(Module, Names) -> [{Module, N} || N <- Names].

-spec causes() -> [cause()].
causes() ->
    documented() ++ bugs() ++ inet_drv_bugs() ++ unspecified().

%%% Documented.

documented() ->
    [#{id => blocking_send, kind => documented,
       title => "A send blocks instead of queueing",
       text => "gen_tcp(3), \"Non-blocking send\" and send/2: inet_drv queues what the kernel "
               "does not take and returns ok; the socket backend has no queue, \"the user hangs "
               "either until all data has been sent or the send_timeout timeout has been "
               "reached\", and then returns {error, {timeout, RestData}}, which send/2 "
               "documents for this backend only. So a scenario that fills the peer's buffers "
               "hangs in its first send, send_pend stays 0, high_watermark has nothing to "
               "measure, and a close or shutdown finds no queued output.",
       scenarios => s(?FLOW, [send_blocks_at_high_watermark, send_timeout_blocked,
                              send_timeout_close, send_timeout_close_active, send_timeout_zero,
                              send_timeout_set_while_queued, high_watermark_raised,
                              watermarks_changed_while_blocked, senders_blocked,
                              senders_send_timeout, senders_send_timeout_close,
                              close_waits_for_output, close_while_sender_blocked,
                              close_linger_zero_while_senders_blocked, close_output_linger_zero,
                              close_output_linger_timeout, close_output_owner_killed,
                              shutdown_write_output_queued_send, shutdown_write_output_drains,
                              reset_while_sending, reset_while_sending_show_econnreset,
                              reset_while_sending_active, reset_while_senders_wait,
                              reset_while_senders_wait_passive, manual_send_timeout_loop,
                              getstat_after_blocked_sends])
                    ++ s(?PACKET, [opt_send_timeout_effect, opt_watermark_blocks_then_resumes])
                    ++ s(?OTP, [shutdown_write_pending_output, linger_zero_pending_output,
                                econnreset_after_async_send_active,
                                econnreset_after_async_send_active_once,
                                econnreset_after_async_send_passive, send_timeout_resumes])
                    ++ s(?FAULT, [stalled_reader])},
     #{id => show_econnreset, kind => documented,
       title => "show_econnreset and a peer's close",
       text => "gen_tcp(3): \"The option show_econnreset basically do not work as described "
               "when used with inet_backend = socket\", and a remote close detected by a send "
               "is returned to that send only. The socket backend reports econnreset where "
               "inet_drv reports a close (or enotconn afterwards).",
       scenarios => s(?TCP, [active_peer_close_show_econnreset])
                    ++ s(?FLOW, [shutdown_write_send_show_econnreset,
                                 send_after_peer_close_show_econnreset])},
     #{id => monitor_down, kind => documented,
       title => "inet:monitor/1's 'DOWN' message",
       text => "inet(3), monitor/1: {'DOWN', MonitorRef, Type, Object, Info}, Type port or "
               "socket, Info the socket's termination reason or nosock. inet_drv's socket is a "
               "port (Info normal, noproc for one already closed); the socket backend's is a "
               "socket (Info closed, nosock).",
       scenarios => s(?TCP, [monitor_close, monitor_closed])
                    ++ s(?FLOW, [monitor_owner_killed, monitor_peer_close_passive,
                                 monitor_cancel, monitor_listen_socket])
                    ++ s(?UDP, [monitor_close, monitor_closed])},
     #{id => read_packets_ignored, kind => documented,
       title => "gen_udp's read_packets is ignored",
       text => "gen_udp(3): \"The option read_packets is currently ignored\" with the socket "
               "backend, so an invalid value is not refused either.",
       scenarios => s(?UDP, [read_packets_bad])}].

%%% Bugs of the socket backend.

bugs() ->
    [#{id => port_above_65535, kind => bug,
       title => "A port number above 65535 is taken modulo 65536",
       text => "inet:port_number() is 0..65535. inet_drv refuses 70000 (function_clause or "
               "badarg); the socket backend uses its low 16 bits: gen_tcp:connect/3 to port "
               "70000 connects to port 4464, listen/2 and gen_udp:open/2 bind 4464, and "
               "gen_udp:send/4 sends there.",
       reproduction => "port_above_65535",
       expected => "the socket backend refuses the port as inet_drv does (badarg), and "
                   "never reaches port 4464",
       scenarios => s(?TCP, [connect_bad_port]) ++ s(?UDP, [open_bad_port, send_form_errors])},
     #{id => connect_sockaddr_map, kind => bug,
       title => "gen_tcp:connect/2 with a sockaddr map raises undef",
       text => "gen_tcp:connect(SockAddr, Opts) with a socket:sockaddr_in() map is documented "
               "since OTP 24.3. For {inet_backend, socket} gen_tcp calls "
               "gen_tcp_socket:connect/3, which OTP 25.2.3 does not export: the caller gets "
               "an undef exception.",
       reproduction => "connect_sockaddr_map",
       expected => "connected, as with inet_drv",
       scenarios => s(?TCP, [connect_sockaddr_map]),
       also => s(?OTP, [connect_ifaddr_sockaddr])},
     #{id => ifaddr_sockaddr_map, kind => bug,
       title => "{ifaddr, SockAddrMap} is refused",
       text => "gen_tcp(3) and gen_udp(3): {ifaddr, Address} may be a socket:sockaddr_in() or "
               "sockaddr_in6() map, which then takes precedence over ip and port. The socket "
               "backend puts the whole map into another map's addr field and refuses that "
               "as {invalid, {sockaddr, ...}}: listen, connect and gen_udp:open with such an "
               "ifaddr all fail, a link-local IPv6 address with its scope_id included.",
       reproduction => "ifaddr_sockaddr_map",
       expected => "[ok,ok], as with inet_drv",
       scenarios => s(?OTP, [listen_ifaddr_sockaddr, listen_ifaddr_sockaddr_port,
                             listen_ifaddr_sockaddr_inet6, connect_ifaddr_sockaddr,
                             connect_link_local_scope_id])
                    ++ s(?UDP, [open_ifaddr_map, ipv6_inferred, ipv6_link_local])},
     #{id => udp_connect_sockaddr_map, kind => bug,
       title => "gen_udp:connect/2 with a sockaddr map raises function_clause",
       text => "gen_udp:connect(Socket, SockAddr) is documented since OTP 24, but its clause "
               "takes a port only (gen_udp.erl line 355 in OTP 25.2.3, 598 in 27, 600 in 29), "
               "with no clause that dispatches {'$inet', Mod, _} to Mod as connect/3 does. "
               "gen_udp_socket exports no connect/2 either. A clause "
               "connect(?module_socket(Mod, _) = S, SockAddr) when is_map(SockAddr) calling "
               "Mod:connect(S, SockAddr) would serve the socket backend and every other "
               "udp_module (pyinet_udp:connect/2 takes the map; through gen_udp it is a "
               "documented deviation of pyinet).",
       reproduction => "udp_connect_sockaddr_map",
       expected => "ok, as with inet_drv",
       scenarios => s(?UDP, [connect_sockaddr_map])},
     #{id => udp_send_sockaddr_map, kind => bug,
       title => "gen_udp:send/3 to a sockaddr map exits with badarg",
       text => "gen_udp:send(Socket, Destination, Packet) takes a socket:sockaddr_in() or "
               "sockaddr_in6() map as Destination (gen_udp(3)); the socket backend exits "
               "with badarg, with or without ancillary data (send/4).",
       reproduction => "udp_send_sockaddr_map",
       expected => "{sent,<<\"map\">>}, as with inet_drv",
       scenarios => s(?UDP, [ipv6_send_forms, send_forms, send_ancillary,
                             send_ancillary_errors])
                    ++ s(?INFO, [udp_sends, udp_ipv6])},
     #{id => udp_connect_host_names, kind => bug,
       title => "gen_udp:connect/3 exits with badarg for a host name",
       text => "gen_udp:connect(Socket, Address, Port) takes an inet:socket_address() or an "
               "inet:hostname(); the socket backend takes an IP address tuple only and exits "
               "with badarg for \"localhost\", localhost, loopback and {local, Path}.",
       reproduction => "udp_connect_host_names",
       expected => "[ok,ok,{error,nxdomain}], as with inet_drv",
       scenarios => s(?UDP, [connect_errors, connect_ipv6, local_connect]),
       also => s(?UDP, [connect_send_recv])},
     #{id => line_delimiter_above_255, kind => bug,
       title => "A line_delimiter above 255 crashes the socket",
       text => "A line_delimiter above 255 is accepted by connect/3 and setopts/2 (prim_inet "
               "accepts it for inet_drv, which uses its low byte), but the first recv in "
               "{packet, line} crashes the socket's gen_tcp_socket process: "
               "erlang:decode_packet/3 raises badarg on {line_delimiter, 378} "
               "(gen_tcp_socket:handle_recv_decode/5). The caller exits and the socket is "
               "gone.",
       reproduction => "line_delimiter_above_255",
       expected => "either backend refuses the value ({error, einval}) as "
                   "erlang:decode_packet/3 does, or the socket backend takes its low byte as "
                   "inet_drv does; a crash that loses the socket is neither",
       scenarios => s(?PACKET, [line_delimiter_setopts]),
       also => s(?PACKET, [opt_line_delimiter_getopts])},
     #{id => closed_socket_einval, kind => bug,
       title => "OTP 27: recv and accept on a closed socket answer einval",
       text => "gen_tcp(3): recv/2,3 indicates a closed socket by {error, closed}, and "
               "accept/1,2 returns {error, closed} if the listen socket is closed. On a "
               "socket closed locally (or by its owner's exit) OTP 27's socket backend "
               "answers recv, accept and controlling_process with {error, einval}; OTP "
               "25's answers closed, as inet_drv does.",
       reproduction => "closed_socket_einval",
       expected => "{{error,closed},{error,closed}}, as with inet_drv",
       scenarios => s(?TCP, [recv_closed_local, accept_closed_local,
                             controlling_process_closed_local])
                    ++ s(?FLOW, [reset_active_n, owner_exits_normally])},
     #{id => connect_refused_reason, kind => bug,
       title => "OTP 27: a refused connect to a host name answers econnaborted",
       text => "gen_tcp:connect/4 to a port nobody listens on, by a host name that names "
               "more than one address (localhost: ::1, then 127.0.0.1): inet_drv and OTP "
               "25's socket backend answer {error, econnrefused}, the kernel's "
               "ECONNREFUSED; OTP 27's socket backend answers {error, econnaborted}, which "
               "says something else happened.",
       reproduction => "connect_refused_reason",
       expected => "[{error,econnrefused},{error,econnrefused}], as with inet_drv",
       scenarios => s(?FAULT, [refused_connect])},
     #{id => udp_reuseaddr, kind => bug,
       title => "OTP 27: gen_udp's reuseaddr does not let a second socket bind",
       text => "{reuseaddr, true} on two gen_udp sockets opened on one port: inet_drv opens "
               "the second (Linux allows it when both set SO_REUSEADDR before binding); OTP "
               "27's socket backend fails with eaddrinuse. OTP 25's opens it.",
       reproduction => "udp_reuseaddr",
       expected => "opened, as with inet_drv",
       scenarios => s(?UDP, [open_reuseaddr])},
     #{id => controlling_process_dead_pid, kind => bug,
       title => "controlling_process/2 to a dead process returns ok",
       text => "gen_tcp(3): \"If the process identified by Pid is not an existing local pid, "
               "{error, badarg} is returned.\" The socket backend returns ok, makes the dead "
               "process the owner, and so closes the socket.",
       reproduction => "controlling_process_dead_pid",
       expected => "{{error,badarg},open}, as with inet_drv",
       scenarios => s(?TCP, [controlling_process_dead_pid])
                    ++ s(?FLOW, [controlling_process_dead_active])
                    ++ s(?UDP, [controlling_process_dead_pid])},
     #{id => close_closed_socket, kind => bug,
       title => "close/1 of a closed socket returns {error, closed}",
       text => "gen_tcp:close/1 and gen_udp:close/1 are specified as close(Socket) -> ok; on a "
               "socket already closed (by a first close, or because its owner exited) the "
               "socket backend returns {error, closed}.",
       reproduction => "close_closed_socket",
       expected => "{ok,ok}, as with inet_drv",
       scenarios => s(?TCP, [close_twice, controlling_process_moves_messages])
                    ++ s(?UDP, [close_twice])},
     #{id => exit_on_close_ignored, kind => bug,
       title => "{exit_on_close, true}: the socket stays open after the peer closed",
       text => "inet(3), exit_on_close (default true): \"The only reason to set it to false is "
               "if you want to continue sending data to the socket after a close is "
               "detected\". With the socket backend a socket whose peer closed (reported by "
               "{tcp_closed, S} or a recv's {error, closed}) still sends and takes options, "
               "and an inet:monitor/1 on it does not fire.",
       reproduction => "exit_on_close_ignored",
       expected => "{error,closed}, as with inet_drv",
       scenarios => s(?TCP, [active_peer_close, shutdown_write])
                    ++ s(?FLOW, [half_close_passive_exit, half_close_active_n_exit,
                                 send_after_peer_close_active,
                                 controlling_process_after_peer_close,
                                 monitor_peer_close_active])
                    ++ s(?FAULT, [half_close_by_peer, half_close_by_peer_active])},
     #{id => half_closed_options, kind => bug,
       title => "{exit_on_close, false}: options fail once the peer closed",
       text => "With {exit_on_close, false} a socket stays open after the peer has closed, to "
               "go on sending (inet(3)). The socket backend's socket still sends, but "
               "inet:getopts/2 and inet:setopts/2 on it return {error, einval}.",
       reproduction => "half_closed_options",
       expected => "{ok,{ok,[{active,false}]},ok}, as with inet_drv",
       scenarios => s(?TCP, [passive_recv_after_peer_close_no_exit])
                    ++ s(?FLOW, [half_close_active_no_exit, send_after_peer_close_active_no_exit,
                                 controlling_process_after_peer_close_no_exit])
                    ++ s(?PACKET, [opt_getopts_closed_peer])},
     #{id => header_crash, kind => bug,
       title => "{header, N}: a packet shorter than N bytes crashes the socket",
       text => "{header, Size} makes the first Size bytes of a packet list elements (inet(3)); "
               "a shorter packet is all list. On the socket backend such a packet crashes "
               "the socket's gen_tcp_socket process (case_clause in its decoding): the owner "
               "gets {tcp_closed, S}, a passive recv exits.",
       reproduction => "header_crash",
       expected => "{tcp,\"x\"}, as with inet_drv",
       scenarios => s(?TCP, [header_option])
                    ++ s(?PACKET, [header_packet2, header_longer_than_packet])},
     #{id => partial_packet_after_timeout, kind => bug,
       title => "A recv timeout strands a packet that is half there",
       text => "With {packet, 4} (likewise 1, 2), a recv that times out while only part of "
               "a packet has come leaves the socket backend unable to deliver that packet "
               "when the rest arrives: later recvs time out, the data stays unread.",
       reproduction => "partial_packet_after_timeout",
       expected => "{ok,<<\"defgh\">>}, as with inet_drv",
       scenarios => s(?PACKET, [p4_trailing])},
     #{id => packet_change_buffered, kind => bug,
       title => "Data held when the packet type changes is not framed anew",
       text => "Data read with one packet type but not delivered yet is framed with the new "
               "type after inet:setopts/2 changes it (inet_drv). OTP 25's socket backend "
               "never delivers it to a passive recv, and an active socket delivers an empty "
               "packet instead of it. OTP 27's does for a passive recv, but an active "
               "socket that holds the start of a packet whose header wants more does not "
               "frame it anew (inet_drv of 27 does).",
       reproduction => "packet_change_buffered",
       expected => "{ok,<<\"bc\">>}, as with inet_drv",
       scenarios => s(?PACKET, [switch_packet_buffered_active, switch_line_to_raw_buffered,
                                http_response_then_body, switch_packet_active_incomplete])},
     #{id => passive_after_active, kind => bug,
       title => "Passive again after {active, true}: a packet is missed, then misframed",
       text => "A socket with a packet type (2, line, ...) set {active, true} and then "
               "{active, false} before data comes: on the socket backend the next passive "
               "recv times out although a whole packet is there, and once more data comes "
               "recv returns the bytes of both packets as one, the second's header "
               "included. (In raw mode it does not happen.)",
       reproduction => "passive_after_active",
       expected => "{{ok,<<\"abc\">>},{ok,<<\"def\">>}}, as with inet_drv",
       scenarios => []},
     #{id => accept_timeout_zero, kind => bug,
       title => "accept(L, 0) does not take a waiting connection",
       text => "gen_tcp:accept/2 with timeout 0 and a connection already waiting: inet_drv "
               "accepts it, the socket backend returns {error, timeout} (its recv with "
               "timeout 0 does return what is there).",
       reproduction => "accept_timeout_zero",
       expected => "accepted, as with inet_drv",
       scenarios => s(?FLOW, [accept_timeouts])},
     #{id => getstat_unknown_crash, kind => bug,
       title => "inet:getstat/2 with an unknown name crashes the socket",
       text => "inet:getstat(S, [bogus]): inet_drv answers {error, einval}; the socket "
               "backend's gen_tcp_socket and gen_udp_socket processes crash (case_clause in "
               "getstat_what/3), the caller exits and the socket is gone.",
       reproduction => "getstat_unknown_crash",
       expected => "{{error,einval},open}, as with inet_drv",
       scenarios => [],
       also => s(?TCP, [getstat_counts]) ++ s(?UDP, [getstat_counts])},
     #{id => udp_setopts_crash, kind => bug,
       title => "inet:setopts/2 with an unknown atom crashes a gen_udp socket",
       text => "inet:setopts(S, [bogus]) on a gen_udp socket: inet_drv answers "
               "{error, einval}; the socket backend's gen_udp_socket process crashes "
               "(case_clause ignore), the caller exits and the socket is gone.",
       reproduction => "udp_setopts_crash",
       expected => "{{error,einval},open}, as with inet_drv",
       scenarios => s(?UDP, [setopts_errors])},
     #{id => getopts_raw_blocks_scheduler, kind => bug,
       title => "getopts {raw, L, O, -1} blocks a scheduler, then answers {ok, []}",
       text => "inet:getopts(S, [{raw, Level, Option, -1}]) (a negative size) on the socket "
               "backend, as socket:getopt_native/3 with ValueSpec -1, spends a long time "
               "inside the NIF call, on a normal scheduler, and then answers {ok, []}: the "
               "first such call of a node took 2 to 11 s here, later ones about 65 ms, and "
               "the processes queued on that scheduler stop meanwhile. inet_drv answers "
               "{error, einval} at once. (It also made this report's runs disturb each "
               "other, see pyinet_conformance_divergences.)",
       reproduction => "getopts_raw_blocks_scheduler",
       expected => "{{error,einval},no_stall}, as with inet_drv",
       scenarios => [],
       also => s(?PACKET, [opt_raw_invalid])},
     #{id => line_longer_than_buffer, kind => bug,
       title => "{packet, line} ignores the buffer size",
       text => "inet(3), packet line: \"lines longer than the receive buffer are truncated\"; "
               "inet_drv delivers such a line in buffer-sized pieces, the socket backend "
               "delivers it whole whatever {buffer, N} says.",
       reproduction => "line_longer_than_buffer",
       expected => "{ok,<<\"abcde\">>}, as with inet_drv",
       scenarios => s(?PACKET, [line_longer_than_buffer_active,
                                line_longer_than_buffer_passive])},
     #{id => tos_as_atom, kind => bug,
       title => "tos comes back as an atom",
       text => "inet(3): {tos, Integer}. The socket backend's inet:getopts/2, and the tos of "
               "gen_udp's ancillary data, answer an atom (lowdelay for 16, throughput for 8) "
               "instead of the integer.",
       reproduction => "tos_as_atom",
       expected => "{ok,[{tos,16}]}, as with inet_drv",
       scenarios => s(?PACKET, [opt_priority_tos_ttl, opt_connect_vs_setopts])
                    ++ s(?UDP, [recvtos_ttl_active])},
     #{id => bind_to_device_charlist, kind => bug,
       title => "bind_to_device comes back as a character list with its NUL",
       text => "inet(3): {bind_to_device, Ifname :: binary()}. The socket backend's "
               "inet:getopts/2 answers the C string as a list, NUL included: \"lo\\0\", and [] "
               "for none.",
       reproduction => "bind_to_device_charlist",
       expected => "{ok,[{bind_to_device,<<\"lo\">>}]}, as with inet_drv",
       scenarios => s(?PACKET, [opt_bind_to_device])},
     #{id => buffer_and_recbuf, kind => bug,
       title => "Setting recbuf does not raise buffer",
       text => "inet(3), buffer: \"val(buffer) is automatically set to the above maximum "
               "when recbuf is set\". The socket backend's gen_tcp leaves buffer as it was "
               "(gen_udp follows the rule, but not in the order inet_drv applies a list).",
       reproduction => "buffer_and_recbuf",
       expected => "{ok,[{buffer,100000}]}, as with inet_drv",
       scenarios => s(?PACKET, [opt_recbuf_raises_buffer, opt_buffer_then_recbuf])
                    ++ s(?UDP, [recbuf_buffer])},
     #{id => udp_msgq_watermarks, kind => bug,
       title => "gen_udp's msgq watermarks are unknown to getopts",
       text => "high_msgq_watermark and low_msgq_watermark are gen_udp options (gen_udp(3), "
               "option()); the socket backend answers {error, einval} to inet:getopts/2 "
               "for either, and so to any list that names one (as inet:setopts/2 does for "
               "a list with a TCP option that inet_drv takes on UDP).",
       reproduction => "udp_msgq_watermarks",
       expected => "the values, as with inet_drv",
       scenarios => s(?UDP, [open_getopts_defaults, open_getopts_inet6, open_getopts_local,
                             setopts_roundtrip])},
     #{id => udp_header_ignored, kind => bug,
       title => "gen_udp's {header, Size} is ignored",
       text => "{header, Size} is a gen_udp option (gen_udp(3), inet(3)); the socket backend "
               "delivers the datagram as one binary whatever it says.",
       reproduction => "udp_header_ignored",
       expected => "[104,100|<<\"r\">>], as with inet_drv",
       scenarios => s(?UDP, [header_passive, header_active, deliver_port_header])},
     #{id => udp_error_closed_message, kind => bug,
       title => "An ICMP error sends {udp_closed, S} and leaves the socket open",
       text => "A connected, active gen_udp socket whose peer answers with ICMP port "
               "unreachable: after {udp_error, S, econnrefused} the socket backend sends "
               "{udp_closed, S} and turns passive, while the socket stays open and "
               "sends; inet_drv reports the error only.",
       reproduction => "udp_error_closed_message",
       expected => "{[{udp_error,econnrefused}],{ok,[{active,true}]},ok}, as with inet_drv",
       scenarios => s(?UDP, [connect_refused_active])},
     #{id => udp_list_mode_with_ancillary, kind => bug,
       title => "gen_udp in list mode returns a binary with ancillary data",
       text => "A gen_udp socket in list mode with recvttl or recvtos: the socket backend's "
               "recv returns the data as a binary.",
       reproduction => "udp_list_mode_with_ancillary",
       expected => "{[{ttl,64}],\"ttl\"}, as with inet_drv",
       scenarios => s(?UDP, [recvtos_ttl_passive])},
     #{id => multicast_membership, kind => bug,
       title => "{add_membership, {MultiAddr, IfAddr}} is refused",
       text => "gen_udp(3): {add_membership, {MultiAddress, InterfaceAddress}}; the socket "
               "backend refuses the tuple as an invalid socket option value, whether the "
               "interface is an address or any, at open/2 and at setopts/2.",
       reproduction => "multicast_membership",
       expected => "[ok,ok], as with inet_drv",
       scenarios => s(?UDP, [membership, multicast_loopback])},
     #{id => netns, kind => bug,
       title => "{netns, Namespace} is unknown to getopts",
       text => "gen_tcp(3) and gen_udp(3) document {netns, Namespace}; the socket backend's "
               "inet:getopts/2 answers {error, einval} for netns (inet_drv answers the "
               "namespace, or [] for a socket opened without one), and a listen in a "
               "namespace that does not exist fails with {shutdown, enoent}, the reason its "
               "process stopped with, instead of enoent.",
       reproduction => "netns",
       expected => "{{ok,[]},ok}, as with inet_drv",
       scenarios => s(?TCP, [netns_listen_connect, netns_missing]) ++ s(?UDP, [netns_open])},
     #{id => udp_fd_not_bound, kind => bug,
       title => "gen_udp:open with {fd, N} never binds the descriptor",
       text => "gen_udp(3), {fd, integer() >= 0}: \"If Port is not set to 0 and/or {ip, "
               "ip_address()} is combined with this option, the fd is bound to the specified "
               "interface and port after it is being opened.\" inet_drv binds it; the socket "
               "backend never binds a descriptor it is given (gen_udp_socket's default_any/3 "
               "drops the address when there is an fd), so with {ip, {127,0,0,1}} the socket "
               "stays on no address, and with a Port it returns {ok, S} unbound.",
       reproduction => "udp_fd_not_bound",
       expected => "{{127,0,0,1},true}, as with inet_drv",
       scenarios => s(?FD, [udp_open_fd_ip])}].

%%% Bugs of inet_drv.

inet_drv_bugs() ->
    [#{id => inet_drv_line_delimiter_getopts, kind => inet_drv_bug,
       title => "inet_drv cannot get line_delimiter",
       text => "line_delimiter is documented (inet(3)) and inet_drv sets it, but "
               "inet:getopts/2 answers {error, einval} for it (and so for any list that "
               "names it); the socket backend answers the value. pyinet follows inet_drv.",
       reproduction => "inet_drv_line_delimiter_getopts",
       expected => "{ok,{ok,[{line_delimiter,44}]}}, as with the socket backend",
       scenarios => s(?TCP, [getopts_defaults]) ++ s(?PACKET, [opt_line_delimiter_getopts])},
     #{id => inet_drv_local_recv_binary, kind => inet_drv_bug,
       title => "inet_drv crashes in a binary recv on a Unix domain socket",
       text => "A passive gen_udp:recv in binary mode on a Unix domain socket, from a sender "
               "bound to a path, crashes in OTP 25.2.3 (function_clause in "
               "prim_inet:split/3: get_addr/2 wants a list after the sender's path, and the "
               "driver puts the datagram there as a binary); the socket backend returns "
               "the datagram. pyinet returns it too (a documented deviation).",
       reproduction => "inet_drv_local_recv_binary",
       expected => "{ok,<<\"binary\">>}, as with the socket backend",
       scenarios => s(?UDP, [local_recv_binary])},
     #{id => inet_drv_fd_port, kind => inet_drv_bug,
       title => "inet_drv asserts that {fd, N} comes with no port",
       text => "gen_tcp(3), connect's {fd, integer() >= 0}: \"If {ip, Address} and/or {port, "
               "port_number()} is combined with this option, the fd is bound to the specified "
               "interface and port before connecting\"; gen_udp(3) says so of a Port other "
               "than 0. inet:open_fd/8 asserts 0 = Port when no ip is given: gen_tcp:connect/3 "
               "exits and gen_tcp:listen/2 and gen_udp:open/2 raise {badmatch, Port}. The "
               "socket backend binds the descriptor to the port and connects (so the connect "
               "of the scenario is refused by the address it goes to); its gen_udp:open "
               "returns {ok, S} without binding (udp_fd_not_bound). pyinet follows inet_drv.",
       reproduction => "inet_drv_fd_port",
       expected => "{connected,{bound_to_port,true}}, as with the socket backend",
       scenarios => s(?FD, [tcp_connect_fd_port, udp_open_fd_port])}].

%%% Unspecified.

unspecified() ->
    [#{id => invalid_arguments, kind => unspecified,
       title => "Invalid arguments fail differently",
       text => "An option, value, address or port that the documentation does not allow: "
               "inet_drv answers {error, einval} or raises (badarg, function_clause), the "
               "socket backend raises another exception, answers {error, {invalid, What}}, "
               "or accepts it (inet:getopts/2 of fd answers the descriptor), and inet_drv "
               "accepts some (gen_tcp:listen/2 with {fd, x} returns a socket). Both refuse or "
               "ignore what the documentation does not define; "
               "none of these loses a socket (those that do are bugs above).",
       scenarios => s(?TCP, [listen_bad_option, getopts_unknown, setopts_unknown,
                             setopts_bad_value, setopts_not_list])
                    ++ s(?PACKET, [opt_mode_switch, opt_header_set_get, opt_buffer_invalid,
                                   opt_recbuf_sndbuf, opt_nodelay_keepalive, opt_linger,
                                   opt_reuseaddr, opt_send_timeout, opt_show_econnreset,
                                   opt_exit_on_close, opt_delay_send, opt_deliver,
                                   opt_recvtos_recvttl, opt_ipv6_v6only_on_ipv4,
                                   opt_setopts_invalid_values, opt_setopts_partial_apply,
                                   opt_connect_bad_values, opt_listen_bad_values])
                    ++ s(?UDP, [open_bad_options, open_service_name, local_bad_port,
                                truncation, send_iodata, recv_bad_args, send_host_port,
                                send_port_zero_rules, recvtos_local, closed_bad_args,
                                getopts_errors])
                    ++ s(?FD, [tcp_fd_bad, getopts_fd])},
     #{id => closed_socket_reason, kind => unspecified,
       title => "A call on a closed socket: closed, not einval",
       text => "inet:setopts/2, peername/1, port/1 and the like on a socket closed locally (or "
               "by its owner's exit): inet_drv answers {error, einval}, the socket backend "
               "{error, closed}. inet(3) says only {error, posix()}.",
       scenarios => s(?TCP, [setopts_closed_local, peername_closed_local, port_closed_local])
                    ++ s(?FLOW, [owner_killed, socknames])
                    ++ s(?UDP, [closed_ops, owner_exit_closes])},
     #{id => after_close_reason, kind => unspecified,
       title => "Calls after the connection ended: closed, not enotconn",
       text => "Once a recv or send has reported the end of the connection (the peer closed "
               "or reset it), inet_drv answers later calls {error, enotconn}, the socket "
               "backend {error, closed} again.",
       scenarios => s(?TCP, [passive_recv_after_peer_close, peer_reset_passive,
                             peer_reset_show_econnreset_passive, send_after_peer_close,
                             recv_partial_then_close])
                    ++ s(?FLOW, [reset_while_receiving, reset_while_receiving_show_econnreset,
                                 recv_timeout_then_peer_close])
                    ++ s(?PACKET, [opt_send_timeout_close_effect])
                    ++ s(?FAULT, [reset_by_peer_passive])},
     #{id => recv_length_in_packet_mode, kind => unspecified,
       title => "recv with a Length when the packet type is not raw",
       text => "gen_tcp(3): \"Argument Length is only meaningful when the socket is in raw "
               "mode\". inet_drv answers {error, einval}, the socket backend waits for a "
               "packet.",
       scenarios => s(?TCP, [recv_length_not_raw])},
     #{id => concurrent_recv, kind => unspecified,
       title => "A second recv while one waits",
       text => "inet_drv answers a second concurrent recv {error, ealready}; the socket "
               "backend queues it behind the first. The documentation does not say.",
       scenarios => s(?TCP, [recv_concurrent]) ++ s(?FLOW, [recv_non_owner_then_owner])
                    ++ s(?UDP, [recv_concurrent])},
     #{id => unrecv, kind => unspecified,
       title => "gen_tcp:unrecv/2",
       text => "gen_tcp:unrecv/2 is exported but not documented; the socket backend answers "
               "{error, enotsup}.",
       scenarios => s(?TCP, [unrecv_passive, unrecv_active]) ++ s(?PACKET, [unrecv_packet2])},
     #{id => getstat_counts, kind => unspecified,
       title => "What inet:getstat/2 counts",
       text => "inet_drv counts a packet's header in send_max and recv_max as the socket "
               "backend does not, and counts recv_oct and UDP's recv_max otherwise; inet(3) "
               "describes the counters without saying.",
       scenarios => s(?TCP, [getstat_counts]) ++ s(?FLOW, [getstat_all_keys])
                    ++ s(?UDP, [getstat_counts])},
     #{id => inet_info, kind => unspecified,
       title => "inet:info/1 and where an acceptor waits",
       text => "inet:info/1 \"produces a term containing miscellaneous information\" (inet(3)): "
               "a port's for inet_drv (erlang:port_info/1's input, output, memory, links and "
               "monitors, and states), the socket's for the socket backend (socket:info/1's "
               "rstates, wstates, num_readers, num_acceptors, active, ctype, domain, ...); "
               "both have owner and counters (which count as getstat_counts says). A scenario "
               "that reads states from it stops there on the socket backend ({badkey, "
               "states}), one of a descriptor given with {fd, N} or gen_tcp:fdopen/2 too. "
               "OTP's own gen_tcp_misc_SUITE branches on is_port/1 for it. An acceptor waits "
               "in prim_inet for one, in gen_statem for the other.",
       scenarios => s(?FLOW, [info_states, info_closed])
                    ++ s(?FD, [tcp_listen_fd, tcp_fdopen_connected, tcp_fdopen_unconnected,
                               tcp_fdopen_listening])
                    ++ s(?INFO, [tcp_listen, tcp_listen_acceptors, tcp_connected, tcp_sends,
                                 tcp_active, tcp_controlling_process, tcp_peer_closed,
                                 tcp_exit_on_close_false, tcp_shutdown, tcp_closed, udp_open,
                                 udp_connected, udp_local, udp_closed])
                    ++ s(?OTP, [killing_acceptor_states, killing_multi_acceptors_states,
                                accept_timeouts_mixed])},
     #{id => fd_not_checked, kind => unspecified,
       title => "A descriptor that is not a socket of the options' family",
       text => "gen_tcp(3) and gen_udp(3) say only that {fd, N} passes \"the file descriptor\" "
               "of a socket opened without them (gen_tcp:fdopen/2 is not documented). "
               "inet_drv asks the kernel and refuses a descriptor that is not open (ebadf) or "
               "of the other family (einval; a badarg exception from connect). The socket "
               "backend opens it with socket:open(Fd, #{dup => false, domain => ..., type => "
               "..., protocol => ...}), which takes the domain given without asking: listen on "
               "an IPv6 descriptor of an inet socket succeeds, and gen_tcp:fdopen/2 of one, or "
               "of a descriptor not open, and gen_udp:open/2 with {fd, N} of a descriptor not "
               "open (nothing is bound there to fail) return {ok, S}.",
       scenarios => s(?FD, [tcp_fd_family, tcp_fdopen_errors, udp_fd_bad])},
     #{id => udp_fdopen, kind => unspecified,
       title => "gen_udp:fdopen/2",
       text => "gen_udp:fdopen/2 is exported but not documented (gen_udp(3)). It does not "
               "dispatch on inet_backend (gen_udp_socket has no fdopen/2: its export is under "
               "-ifdef(undefined)): it calls inet_udp:fdopen/2, which refuses the "
               "{inet_backend, socket} option with {error, einval}.",
       scenarios => s(?FD, [udp_fdopen])},
     #{id => sendfile_error_reasons, kind => unspecified,
       title => "file:sendfile/5's error reasons on a gen_tcp socket",
       text => "file(3) gives sendfile's errors as {error, inet:posix() | closed | badarg | "
               "not_owner} without saying which when. A negative Bytes (integer() >= 0): "
               "inet_drv einval, the socket backend badarg. On a listening socket: enotconn, "
               "epipe. On a socket closed locally: einval, closed. To a peer that closed "
               "(show_econnreset or not, active or not): inet_drv closed, then enotconn (and "
               "einval once tcp_closed has come), the socket backend the kernel's epipe each "
               "time; a gen_tcp:send/2 after it: enotconn, closed.",
       scenarios => s(?SENDFILE, [gen_tcp_ranges, gen_tcp_errors, gen_tcp_peer_closed])},
     #{id => sendfile_not_owner, kind => unspecified,
       title => "file:sendfile/5 from a process that does not own the socket",
       text => "file(3): \"the process calling sendfile must be the controlling process of the "
               "socket\", and not_owner is among sendfile's errors, but it does not say that a "
               "call from another process fails: inet_drv answers {error, not_owner}, the "
               "socket backend sends the file (gen_tcp_socket:sendfile/4 calls "
               "socket:sendfile/5 itself, which any process may; a gen_tcp:send/2 from "
               "another process is allowed on both).",
       scenarios => s(?SENDFILE, [gen_tcp_not_owner])},
     #{id => inet_drv_timeout_zero, kind => unspecified,
       title => "inet_drv's recv with timeout 0",
       text => "A recv with timeout 0 on inet_drv times out where data is there when the "
               "packet is larger than its buffer, and after a Length recv that timed out; "
               "the socket backend returns the data. gen_tcp(3) does not say what timeout 0 "
               "does.",
       scenarios => s(?FLOW, [recv_timeout_zero]) ++ s(?PACKET, [p2_packet_past_buffer_polled])},
     #{id => framing_errors, kind => unspecified,
       title => "A framing error and what follows",
       text => "A packet longer than packet_size or not of its type's form: inet_drv reports "
               "it once (emsgsize, or tcp_error) and then closes the socket's input "
               "(enotconn, tcp_closed) or, for some types, waits for more bytes first; the "
               "socket backend reports emsgsize at once, again on each recv, and keeps the "
               "socket. inet(3) says such a packet \"is considered invalid\".",
       scenarios => s(?PACKET, [p1_oversized_passive, p1_oversized_passive_no_exit,
                                p2_oversized_active, p2_oversized_active_no_exit,
                                p4_oversized_after_good_active, p4_oversized_after_good_passive,
                                asn1_oversized, cdr_bad_magic, sunrm_oversized_active,
                                tpkt_bad_version, line_packet_size, http_packet_size])},
     #{id => packet_size_default, kind => unspecified,
       title => "packet_size's default",
       text => "inet_drv's packet_size is 0 (no limit of its own) until set; the socket "
               "backend's is 67108864 (64 MiB), which a 4-byte header beyond it breaks. inet(3) "
               "does not give a default.",
       scenarios => s(?PACKET, [p4_header_beyond_64mib, opt_packet_size_set_get,
                                opt_getopts_listen])},
     #{id => http_state_on_packet_change, kind => unspecified,
       title => "http's header state across a packet type change",
       text => "inet_drv remembers that the request line was read (http becomes httph, "
               "inet(3)) across setopts to line and back; the socket backend starts over and "
               "reads the next header as an http_error.",
       scenarios => s(?PACKET, [http_state_survives_setopts])},
     #{id => deliver_port, kind => unspecified,
       title => "{deliver, port} with http packets and on UDP",
       text => "inet(3) gives {deliver, port}'s form for TCP's raw data only: with http "
               "packets inet_drv delivers the undecoded lines and the socket backend the "
               "decoded terms; on UDP the two deliver different forms.",
       scenarios => s(?PACKET, [deliver_port_http]) ++ s(?UDP, [deliver_port])},
     #{id => packet_ssl_tls, kind => unspecified,
       title => "{packet, ssl_tls}",
       text => "ssl_tls is a packet type of inet_drv's that inet(3) does not document (the ssl "
               "application's); the socket backend refuses it.",
       scenarios => s(?PACKET, [ssl_tls_record])},
     #{id => queue_options, kind => unspecified,
       title => "Options of a queue the socket backend has not",
       text => "high_watermark (and low_watermark's bounds) and the msgq watermarks are "
               "about inet_drv's send queue and the port's message queue; the socket backend "
               "has neither (its sends block, documented), accepts the options and leaves "
               "them out of getopts.",
       scenarios => s(?PACKET, [opt_watermarks_drag, opt_watermarks_in_one_call,
                                opt_msgq_watermarks, opt_accept_inherits])},
     #{id => raw_option, kind => unspecified,
       title => "{raw, Level, Option, Value}",
       text => "inet_drv ignores the kernel's error for a raw option it cannot set and "
               "returns a value of the size asked for; the socket backend reports the "
               "error (enoprotoopt) and returns what the kernel returned.",
       scenarios => s(?PACKET, [opt_raw_set_get, opt_raw_invalid])},
     #{id => kernel_errors_reported, kind => unspecified,
       title => "Kernel errors that inet_drv does not report",
       text => "setopts multicast_if with an address of no interface: inet_drv returns ok, "
               "the socket backend the kernel's eaddrnotavail.",
       scenarios => s(?UDP, [multicast_if])},
     #{id => read_chunking, kind => unspecified,
       title => "How received bytes are cut into messages",
       text => "In raw mode (and with read_ahead, an option inet(3) does not document) inet_drv "
               "delivers what it read in pieces of its buffer size; the socket backend "
               "delivers what it read in one message.",
       scenarios => s(?PACKET, [opt_read_ahead, opt_read_ahead_line])},
     #{id => udp_recv_length, kind => unspecified,
       title => "gen_udp:recv's Length",
       text => "gen_udp(3) does not say what recv's Length does: inet_drv ignores it, the "
               "socket backend truncates the datagram to it.",
       scenarios => s(?UDP, [recv_length_ignored])},
     #{id => udp_send_on_connected, kind => unspecified,
       title => "gen_udp:send/4 on a connected socket",
       text => "To an address other than the one connected to: inet_drv sends to the "
               "connected one, the socket backend to the address given (the kernel allows "
               "it).",
       scenarios => s(?UDP, [connect_send_recv])},
     #{id => unconnected_send_reason, kind => unspecified,
       title => "gen_udp:send/2 without a connected peer",
       text => "inet_drv answers {error, einval}, the socket backend the kernel's "
               "edestaddrreq (enotconn on a Unix domain socket).",
       scenarios => s(?UDP, [send2_unconnected, connect_failure_disassociates,
                             local_send_errors])},
     #{id => udp_controlling_process_messages, kind => unspecified,
       title => "gen_udp:controlling_process/2 and queued messages",
       text => "inet_drv moves the {udp, ...} messages already in the old owner's mailbox "
               "to the new owner, the socket backend leaves them; gen_udp(3) does not say "
               "(gen_tcp(3) does, for TCP, and there both move them).",
       scenarios => s(?UDP, [controlling_process_moves])},
     #{id => send_error_closes_socket, kind => unspecified,
       title => "A send that fails after shutdown(write)",
       text => "After gen_tcp:shutdown(S, write) a send fails on both ({error, closed}); "
               "inet_drv then closes the socket for reading too (the owner gets "
               "{tcp_closed, S}, data the peer sent is dropped), the socket backend goes on "
               "delivering it. gen_tcp(3) does not say.",
       scenarios => []},
     #{id => active_false_after_n, kind => unspecified,
       title => "{active, false} while {active, N} counts",
       text => "inet(3): the passive message comes when the count \"reaches 0, either because "
               "of sending received data messages to the process or by being explicitly "
               "set\". Setting {active, false}: the socket backend sends {tcp_passive, S}, "
               "inet_drv does not.",
       scenarios => []},
     #{id => shutdown_active, kind => unspecified,
       title => "shutdown(S, read_write) on an active socket",
       text => "inet_drv sends the owner {tcp_closed, S}, the socket backend sends nothing; "
               "gen_tcp(3) does not say.",
       scenarios => []}].
