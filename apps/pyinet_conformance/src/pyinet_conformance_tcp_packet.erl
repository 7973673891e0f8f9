%% gen_tcp scenarios for the conformance harness: every {packet, Type}, and the
%% socket options, set, read back and seen in traffic. Each runs on native
%% gen_tcp and on pyinet_tcp; see pyinet_conformance.
%%
%% Conventions: C is the socket under test (the connecting side, with the
%% options of the scenario), A the peer that feeds it, raw and passive unless
%% said otherwise. Input "split" arrives in pieces 20 ms apart; raw active data
%% is sent in one piece so that how the kernel chunks it cannot show.
-module(pyinet_conformance_tcp_packet).

-export([scenarios/0]).

%% Packet types.
-export([raw_passive_list/1, raw_active_binary/1, raw_recv_length_list/1,
         p1_passive/1, p1_split_active/1, p2_split_passive/1, p2_list_mode/1,
         p4_trailing/1, p4_split_header/1, p1_active_once_burst/1,
         p1_oversized_passive/1, p1_oversized_passive_no_exit/1,
         p2_oversized_active/1, p2_oversized_active_no_exit/1,
         p4_oversized_after_good_active/1, p4_oversized_after_good_passive/1, p4_header_beyond_64mib/1,
         asn1_short_long/1, asn1_split_active/1, asn1_oversized/1,
         cdr_big_little/1, cdr_bad_magic/1, sunrm_fragments/1, sunrm_oversized_active/1,
         fcgi_padding/1, fcgi_bad_version/1, tpkt_split/1, tpkt_bad_version/1,
         line_passive/1, line_active_list/1, line_delimiter/1, line_delimiter_setopts/1,
         line_longer_than_buffer_active/1, line_longer_than_buffer_passive/1,
         line_packet_size/1, line_peer_close_partial/1,
         http_request_passive/1, http_request_active/1, http_unknown_method_header/1,
         http_absolute_uris/1, http_response_then_body/1, http_error_request_line/1,
         http_error_header_line/1, http_continuation_header/1, http_split_active/1,
         http_packet_size/1, http_bin_active/1, http_bin_list_mode/1,
         httph_passive/1, httph_bin_active/1, http_state_survives_setopts/1,
         http_keepalive_two_requests/1,
         header_packet2/1, header_longer_than_packet/1, header_list_mode/1,
         deliver_port_raw/1, deliver_port_packet2_header/1, deliver_port_http/1,
         switch_packet_buffered_passive/1, switch_packet_buffered_active/1,
         switch_raw_to_line_active_once/1, switch_line_to_raw_buffered/1,
         switch_packet_active_incomplete/1,
         sender_framing_1_2_4/1, sender_framing_1_wraps/1, sender_framing_empty/1,
         sender_framing_list_iodata/1, unrecv_packet2/1, ssl_tls_record/1,
         each_type_oversized_passive/1, length_types_list_active_split/1,
         other_types_list_active_split/1, p2_packet_past_buffer_polled/1]).

%% Options.
-export([opt_mode_switch/1, opt_packet_size_set_get/1, opt_header_set_get/1,
         opt_buffer_raw_chunks/1, opt_buffer_invalid/1, opt_recbuf_sndbuf/1,
         opt_recbuf_raises_buffer/1, opt_buffer_then_recbuf/1,
         opt_nodelay_keepalive/1, opt_linger/1, opt_reuseaddr/1,
         opt_send_timeout/1, opt_send_timeout_effect/1, opt_send_timeout_close_effect/1,
         opt_show_econnreset/1, opt_exit_on_close/1, opt_delay_send/1, opt_deliver/1,
         opt_watermarks_drag/1, opt_watermarks_in_one_call/1, opt_msgq_watermarks/1,
         opt_priority_tos_ttl/1, opt_tos_after_priority/1, opt_recvtos_recvttl/1,
         opt_dontroute/1, opt_ipv6_v6only/1, opt_ipv6_v6only_on_ipv4/1,
         opt_raw_set_get/1, opt_raw_invalid/1, opt_bind_to_device/1,
         opt_getopts_listen/1, opt_accept_inherits/1, opt_connect_vs_setopts/1,
         opt_setopts_invalid_values/1, opt_setopts_partial_apply/1,
         opt_connect_bad_values/1, opt_listen_bad_values/1,
         opt_getopts_closed_peer/1, opt_line_delimiter_getopts/1,
         opt_watermark_blocks_then_resumes/1, opt_read_ahead/1, opt_read_ahead_line/1,
         opt_protocol/1]).

-import(pyinet_conformance, [r/1, caught/1, msgs/0, opts/2, sleep/1, spawn_proc/2]).

scenarios() ->
    [F || {F, 1} <- ?MODULE:module_info(exports), F =/= module_info].

%%% Helpers.

%% C with COpts, fed by a raw passive A.
pair(B, COpts) ->
    pyinet_conformance_tcp:pair(B, COpts, [binary, {active, false}]).

%% Send the pieces with a pause between them, so that they arrive apart.
feed(A, Pieces) ->
    lists:foreach(fun(P) -> ok = gen_tcp:send(A, P), sleep(20) end, Pieces).

close_all(Sockets) ->
    [gen_tcp:close(S) || S <- Sockets],
    ok.

%% Fill the peer's receive window until a send does not return ok, and what
%% that was. A is not read from; C's watermarks are small.
fill(C, Chunk, N) when N > 0 ->
    case gen_tcp:send(C, Chunk) of
        ok -> fill(C, Chunk, N - 1);
        Other -> Other
    end;
fill(_, _, 0) ->
    never_blocked.

%%% raw.

raw_passive_list(B) ->
    {C, A} = pair(B, [list, {active, false}]),
    ok = gen_tcp:send(A, <<"hello">>),
    r(gen_tcp:recv(C, 0, 1000)),
    ok = gen_tcp:send(A, <<1, 2, 255>>),
    r(gen_tcp:recv(C, 3, 1000)),
    close_all([C, A]).

raw_active_binary(B) ->
    {C, A} = pair(B, [binary, {active, true}]),
    ok = gen_tcp:send(A, <<"one piece">>),
    msgs(),
    ok = gen_tcp:send(A, <<>>),
    ok = gen_tcp:send(A, <<"two">>),
    msgs(),
    close_all([C, A]).

raw_recv_length_list(B) ->
    {C, A} = pair(B, [list, {active, false}, {packet, 0}]),
    feed(A, [<<"ab">>, <<"cd">>, <<"efgh">>]),
    r(gen_tcp:recv(C, 3, 1000)),
    r(gen_tcp:recv(C, 5, 1000)),
    r(gen_tcp:recv(C, 1, 50)),
    r(inet:getopts(C, [packet])),
    close_all([C, A]).

%%% 1, 2, 4.

p1_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<3, "abc", 0, 2, "de">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 50)),
    close_all([C, A]).

p1_split_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 1}]),
    feed(A, [<<5, "he">>, <<"llo", 3, "a">>, <<"bc">>, <<2>>, <<"x">>, <<"y">>]),
    msgs(),
    close_all([C, A]).

p2_split_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}]),
    Self = self(),
    spawn_link(fun() -> feed(A, [<<0>>, <<6>>, <<"abc">>, <<"def">>]), Self ! fed end),
    r(gen_tcp:recv(C, 0, 1000)),
    receive fed -> ok end,
    close_all([C, A]).

%% A packet one byte longer than the buffer, all in the kernel, polled with
%% timeout 0: OTP 25's tcp_recv reads once (the buffer's worth) and times out;
%% OTP 27's reads the missing byte at once and delivers.
p2_packet_past_buffer_polled(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}]),
    Body = binary:copy(<<"x">>, 1459),
    ok = gen_tcp:send(A, <<1459:16, Body/binary>>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 0)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

p2_list_mode(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, 2}]),
    ok = gen_tcp:send(A, <<0, 3, "abc", 0, 0, 0, 1, 200>>),
    msgs(),
    close_all([C, A]).

p4_trailing(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 4}]),
    ok = gen_tcp:send(A, <<3:32, "abc", 5:32, "de">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    ok = gen_tcp:send(A, <<"fgh", 1:32>>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    ok = gen_tcp:send(A, <<"!">>),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

p4_split_header(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 4}]),
    feed(A, [<<0, 0>>, <<0>>, <<4, "wx">>, <<"yz", 0, 0, 0, 0>>]),
    msgs(),
    close_all([C, A]).

p1_active_once_burst(B) ->
    {C, A} = pair(B, [binary, {active, once}, {packet, 1}]),
    ok = gen_tcp:send(A, <<1, "a", 1, "b", 1, "c", 1, "d">>),
    sleep(30),
    msgs(),
    r(inet:setopts(C, [{active, 2}])),
    msgs(),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    close_all([C, A]).

p1_oversized_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 1}, {packet_size, 3}]),
    ok = gen_tcp:send(A, <<2, "ab", 5, "hello">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    %% The port lives on without its socket: local options still answer.
    r(inet:getopts(C, [active, packet_size, nodelay, tos, priority, linger, {raw, 6, 1, 4}])),
    r(inet:setopts(C, [{nodelay, true}, {packet, 2}])),
    r(inet:setopts(C, [{tos, 8}])),
    r(inet:getopts(C, [packet])),
    r(inet:peername(C)),
    r(inet:sockname(C)),
    r(gen_tcp:close(C)),
    msgs(),
    gen_tcp:close(A).

p1_oversized_passive_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 1}, {packet_size, 3},
                      {exit_on_close, false}]),
    ok = gen_tcp:send(A, <<9, "too long!">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"still">>)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(inet:getopts(C, [active, packet])),
    close_all([C, A]).

p2_oversized_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 2}, {packet_size, 4}]),
    ok = gen_tcp:send(A, <<0, 9, "123456789">>),
    msgs(),
    r(gen_tcp:send(C, <<"x">>)),
    r(inet:getopts(C, [active])),
    r(gen_tcp:recv(C, 0, 100)),
    gen_tcp:close(C),
    gen_tcp:close(A).

p2_oversized_active_no_exit(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 2}, {packet_size, 4},
                      {exit_on_close, false}]),
    ok = gen_tcp:send(A, <<0, 9, "123456789">>),
    msgs(),
    r(gen_tcp:send(C, <<"back">>)),
    r(gen_tcp:recv(A, 0, 1000)),
    r(inet:getopts(C, [active])),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    close_all([C, A]).

p4_oversized_after_good_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 4}, {packet_size, 8}]),
    ok = gen_tcp:send(A, <<2:32, "ok", 100:32, "x">>),
    msgs(),
    ok = gen_tcp:send(A, <<"more">>),
    msgs(),
    close_all([C, A]).

p4_oversized_after_good_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 4}, {packet_size, 8}]),
    ok = gen_tcp:send(A, <<2:32, "ok", 100:32, "x">>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    close_all([C, A]).

%% A header announcing more than 64 MiB (no packet_size): inet_drv only grows its
%% buffer and waits for the body; a recv(N) of that size is enomem instead.
p4_header_beyond_64mib(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 4}]),
    ok = gen_tcp:send(A, <<"abcd", "xyz">>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 100)),
    r(inet:setopts(C, [{active, true}])),
    msgs(),
    ok = gen_tcp:close(A),
    msgs(),
    {C2, A2} = pair(B, [binary, {active, false}]),
    r(gen_tcp:recv(C2, 16#4000001, 100)),
    r(gen_tcp:recv(C2, 16#4000000, 10)),
    close_all([C, C2, A2]).

%%% asn1, cdr, sunrm, fcgi, tpkt.

asn1_short_long(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, asn1}]),
    Long = binary:copy(<<"z">>, 200),
    ok = gen_tcp:send(A, <<16#30, 3, 1, 2, 3, 16#04, 16#81, 200, Long/binary,
                           16#1f, 16#81, 16#01, 2, "hi", 16#05, 16#80>>),
    r(gen_tcp:recv(C, 0, 1000)),
    {ok, L} = gen_tcp:recv(C, 0, 1000),
    r(L =:= <<16#04, 16#81, 200, Long/binary>>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 50)),
    close_all([C, A]).

asn1_split_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, asn1}]),
    feed(A, [<<16#30>>, <<16#82>>, <<0>>, <<4, "ab">>, <<"cd", 16#02, 1>>, <<7>>]),
    msgs(),
    close_all([C, A]).

asn1_oversized(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, asn1}, {packet_size, 10}]),
    ok = gen_tcp:send(A, <<16#30, 2, "ok", 16#30, 20, "0123456789">>),
    msgs(),
    close_all([C, A]).

cdr_big_little(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, cdr}]),
    Big = <<"GIOP", 1, 2, 0, 0, 3:32/big, "abc">>,
    Little = <<"GIOP", 1, 2, 1, 0, 2:32/little, "de">>,
    feed(A, [Big, binary:part(Little, 0, 7), binary:part(Little, 7, 7)]),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

cdr_bad_magic(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, cdr}]),
    ok = gen_tcp:send(A, <<"GIOX", 1, 2, 0, 0, 3:32/big, "abc">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    close_all([C, A]).

sunrm_fragments(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, sunrm}]),
    ok = gen_tcp:send(A, <<0:1, 3:31, "abc", 1:1, 2:31, "de">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

sunrm_oversized_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, sunrm}, {packet_size, 4}]),
    ok = gen_tcp:send(A, <<1:1, 5:31, "hello">>),
    msgs(),
    close_all([C, A]).

fcgi_padding(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, fcgi}]),
    feed(A, [<<1, 1, 0, 1, 0, 5, 3, 0>>, <<"hello", 0, 0, 0, 1, 5, 0, 1, 0, 0, 0, 0>>]),
    msgs(),
    close_all([C, A]).

fcgi_bad_version(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, fcgi}]),
    ok = gen_tcp:send(A, <<2, 1, 0, 1, 0, 1, 0, 0, "x">>),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

tpkt_split(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, tpkt}]),
    feed(A, [<<3, 0>>, <<0, 9, "he">>, <<"llo", 3, 0, 0, 4>>]),
    msgs(),
    close_all([C, A]).

tpkt_bad_version(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, tpkt}]),
    ok = gen_tcp:send(A, <<3, 0, 0, 5, "a", 4, 0, 0, 5, "b">>),
    msgs(),
    close_all([C, A]).

%%% line.

line_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, line}]),
    ok = gen_tcp:send(A, <<"one\ntwo\r\nthr">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    ok = gen_tcp:send(A, <<"ee\n\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

line_active_list(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, line}]),
    feed(A, [<<"ab">>, <<"c\nde">>, <<"f\ng">>, <<"\n">>]),
    msgs(),
    close_all([C, A]).

line_delimiter(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, line}, {line_delimiter, $;}]),
    ok = gen_tcp:send(A, <<"a;b\nc;d">>),
    msgs(),
    ok = gen_tcp:send(A, <<";">>),
    msgs(),
    close_all([C, A]).

line_delimiter_setopts(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, line}]),
    ok = gen_tcp:send(A, <<"x|y\nz|">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{line_delimiter, $|}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{line_delimiter, 256 + $z}])),
    ok = gen_tcp:send(A, <<"aza">>),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

line_longer_than_buffer_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, line}, {buffer, 8}]),
    ok = gen_tcp:send(A, <<"0123456789abcdefghij\nshort\n">>),
    msgs(),
    r(inet:getopts(C, [buffer])),
    close_all([C, A]).

line_longer_than_buffer_passive(B) ->
    {C, A} = pair(B, [list, {active, false}, {packet, line}, {buffer, 5}]),
    ok = gen_tcp:send(A, <<"abcdefghijkl\nmn\n">>),
    sleep(30),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3, 4]],
    r(gen_tcp:recv(C, 0, 50)),
    close_all([C, A]).

line_packet_size(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, line}, {packet_size, 6}]),
    ok = gen_tcp:send(A, <<"short\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    ok = gen_tcp:send(A, <<"much too long\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    close_all([C, A]).

line_peer_close_partial(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, line}]),
    ok = gen_tcp:send(A, <<"whole\npart">>),
    sleep(20),
    gen_tcp:close(A),
    msgs(),
    gen_tcp:close(C).

%%% http.

-define(REQUEST, <<"GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
                   "Content-Length: 0\r\nX-Custom-Thing: yes\r\naccept-encoding:  gzip \r\n\r\n">>).

http_request_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, http}]),
    ok = gen_tcp:send(A, ?REQUEST),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3, 4, 5, 6]],
    r(gen_tcp:recv(C, 0, 50)),
    r(inet:getopts(C, [packet])),
    close_all([C, A]).

http_request_active(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, http}]),
    ok = gen_tcp:send(A, ?REQUEST),
    msgs(),
    close_all([C, A]).

http_unknown_method_header(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, http}]),
    ok = gen_tcp:send(A, <<"PATCH /x HTTP/1.0\r\nX-Foo-bar: 1\r\nCONTENT-TYPE: a/b\r\n"
                           "set-cookie2: c\r\nEtag: e\r\n\r\n"
                           "get / HTTP/1.1\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

http_absolute_uris(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, http}]),
    ok = gen_tcp:send(A, <<"GET http://host:8080/p HTTP/1.1\r\n\r\n"
                           "GET https://h2/ HTTP/1.1\r\n\r\n"
                           "GET ftp:x HTTP/1.1\r\n\r\n"
                           "GET noslash HTTP/1.1\r\n\r\n"
                           "GET /old\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

http_response_then_body(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, http}]),
    ok = gen_tcp:send(A, <<"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"
                           "HTTP/1.0 404 Not Found\r\n\r\n">>),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3, 4]],
    r(inet:setopts(C, [{packet, raw}])),
    r(gen_tcp:recv(C, 5, 1000)),
    r(inet:setopts(C, [{packet, http}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

http_error_request_line(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, http}]),
    %% The second "HTTP/1.x 200" is read in header state, the third is not.
    ok = gen_tcp:send(A, <<"garbage\r\nGET / HTTP/1.1\r\nHTTP/1.x 200\r\n\r\n"
                           "HTTP/1.x 200\r\n">>),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3, 4, 5]],
    close_all([C, A]).

http_error_header_line(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, http_bin}]),
    ok = gen_tcp:send(A, <<"POST /p HTTP/1.1\r\nno colon here\r\n: empty\r\nOk: 1\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

http_continuation_header(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, httph}]),
    ok = gen_tcp:send(A, <<"X-Long: part one\r\n  part two\r\n\tthree\r\nHost: h\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

http_split_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, http}]),
    feed(A, [<<"GE">>, <<"T /a HT">>, <<"TP/1.1\r">>, <<"\nHost:">>, <<" h\r\n">>,
             <<"\r\n">>]),
    msgs(),
    close_all([C, A]).

http_packet_size(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, http}, {packet_size, 20}]),
    ok = gen_tcp:send(A, <<"GET / HTTP/1.1\r\nX-Very-Long-Header: 0123456789\r\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 100)),
    close_all([C, A]).

http_bin_active(B) ->
    {C, A} = pair(B, [binary, {active, once}, {packet, http_bin}]),
    ok = gen_tcp:send(A, <<"HTTP/1.1 301 Moved\r\nLocation: /new\r\nX-Y: z\r\n\r\n">>),
    msgs(),
    [begin ok = inet:setopts(C, [{active, once}]), msgs() end || _ <- [1, 2, 3]],
    close_all([C, A]).

http_bin_list_mode(B) ->
    {C, A} = pair(B, [list, {active, false}, {packet, http_bin}]),
    ok = gen_tcp:send(A, <<"DELETE /r HTTP/1.1\r\nUser-Agent: t\r\n\r\n">>),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3]],
    close_all([C, A]).

httph_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, httph}]),
    ok = gen_tcp:send(A, <<"Accept: */*\r\nGET / HTTP/1.1\r\n\r\nCookie: c=1\r\n\r\n">>),
    [r(gen_tcp:recv(C, 0, 1000)) || _ <- [1, 2, 3, 4, 5]],
    close_all([C, A]).

httph_bin_active(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, httph_bin}]),
    ok = gen_tcp:send(A, <<"Content-Type: text/plain\r\nbad header\r\nVary: *\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

%% The http -> httph switch belongs to the socket, not to the packet option:
%% it survives setopts to another type and back.
http_state_survives_setopts(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, http}]),
    ok = gen_tcp:send(A, <<"GET / HTTP/1.1\r\nHost: a\r\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, line}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, http_bin}])),
    ok = gen_tcp:send(A, <<"Accept: b\r\n\r\nPUT /x HTTP/1.0\r\n">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

http_keepalive_two_requests(B) ->
    {C, A} = pair(B, [binary, {active, 4}, {packet, http_bin}]),
    ok = gen_tcp:send(A, <<"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n">>),
    msgs(),
    r(inet:setopts(C, [{active, 4}])),
    msgs(),
    close_all([C, A]).

%%% header, deliver.

header_packet2(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}, {header, 3}]),
    ok = gen_tcp:send(A, <<0, 5, "abcde", 0, 3, "xyz", 0, 1, "q">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:getopts(C, [header])),
    close_all([C, A]).

header_longer_than_packet(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, line}, {header, 10}]),
    ok = gen_tcp:send(A, <<"short\nthis one is long\n">>),
    msgs(),
    r(inet:setopts(C, [{header, 0}])),
    ok = gen_tcp:send(A, <<"plain\n">>),
    msgs(),
    close_all([C, A]).

header_list_mode(B) ->
    {C, A} = pair(B, [list, {active, true}, {packet, 1}, {header, 2}]),
    ok = gen_tcp:send(A, <<4, "abcd">>),
    msgs(),
    close_all([C, A]).

deliver_port_raw(B) ->
    {C, A} = pair(B, [list, {active, true}, {deliver, port}]),
    ok = gen_tcp:send(A, <<"raw data">>),
    msgs(),
    r(inet:getopts(C, [deliver])),
    r(inet:setopts(C, [{deliver, term}])),
    ok = gen_tcp:send(A, <<"term">>),
    msgs(),
    close_all([C, A]).

deliver_port_packet2_header(B) ->
    {C, A} = pair(B, [binary, {active, once}, {packet, 2}, {deliver, port}, {header, 1}]),
    ok = gen_tcp:send(A, <<0, 3, "abc", 0, 2, "de">>),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    close_all([C, A]).

deliver_port_http(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, http}, {deliver, port}]),
    ok = gen_tcp:send(A, <<"GET / HTTP/1.1\r\nHost: h\r\n\r\n">>),
    msgs(),
    close_all([C, A]).

%%% Switching the packet type with data buffered.

switch_packet_buffered_passive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<2, "ab", 0, 3, "xyz", "line\nrest">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, 2}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, line}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, raw}])),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

switch_packet_buffered_active(B) ->
    {C, A} = pair(B, [binary, {active, once}, {packet, line}]),
    ok = gen_tcp:send(A, <<"a\n", 0, 2, "bc", 3, "def">>),
    msgs(),
    r(inet:setopts(C, [{packet, 2}, {active, once}])),
    msgs(),
    r(inet:setopts(C, [{packet, 1}])),
    msgs(),
    r(inet:setopts(C, [{active, true}])),
    msgs(),
    close_all([C, A]).

%% An active socket holds the start of a packet whose header says more is to
%% come; a packet type change frames what is held anew on OTP 27 (inet_drv
%% forgets the old type's missing length), while OTP 25 keeps waiting for it.
switch_packet_active_incomplete(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"b">>),  % a header: 98 bytes to follow
    msgs(),
    r(inet:setopts(C, [{packet, raw}])),
    msgs(),
    ok = gen_tcp:send(A, <<"cd">>),
    msgs(),
    r(inet:setopts(C, [{packet, 2}])),
    ok = gen_tcp:send(A, <<0, 1>>),
    msgs(),
    r(inet:setopts(C, [{packet, line}])),
    msgs(),
    close_all([C, A]).

switch_raw_to_line_active_once(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    ok = gen_tcp:send(A, <<"x\ny\nz">>),
    sleep(30),
    r(gen_tcp:recv(C, 1, 1000)),
    r(inet:setopts(C, [{packet, line}, {active, once}])),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    r(inet:setopts(C, [{active, once}])),
    msgs(),
    close_all([C, A]).

switch_line_to_raw_buffered(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, line}]),
    ok = gen_tcp:send(A, <<"head\nbody without newline">>),
    msgs(),
    r(inet:setopts(C, [{packet, raw}])),
    msgs(),
    close_all([C, A]).

%%% The sender frames.

sender_framing_1_2_4(B) ->
    {C, A} = pyinet_conformance_tcp:pair(B, [binary, {active, false}],
                                         [binary, {active, false}, {packet, 1}]),
    ok = gen_tcp:send(A, <<"abc">>),
    r(gen_tcp:recv(C, 4, 1000)),
    r(inet:setopts(A, [{packet, 2}])),
    ok = gen_tcp:send(A, [<<"de">>, "f"]),
    r(gen_tcp:recv(C, 5, 1000)),
    r(inet:setopts(A, [{packet, 4}])),
    ok = gen_tcp:send(A, "ghij"),
    r(gen_tcp:recv(C, 8, 1000)),
    r(inet:setopts(A, [{packet, line}])),
    ok = gen_tcp:send(A, "no framing"),
    r(gen_tcp:recv(C, 10, 1000)),
    r(inet:getstat(A, [send_oct, send_cnt])),
    close_all([C, A]).

sender_framing_1_wraps(B) ->
    {C, A} = pyinet_conformance_tcp:pair(B, [binary, {active, false}],
                                         [binary, {active, false}, {packet, 1}]),
    Big = binary:copy(<<"w">>, 300),
    r(gen_tcp:send(A, Big)),
    {ok, Got} = gen_tcp:recv(C, 301, 1000),
    r(binary:part(Got, 0, 2)),
    r(inet:setopts(A, [{packet, 2}])),
    Huge = binary:copy(<<"h">>, 70000),
    r(gen_tcp:send(A, Huge)),
    {ok, Got2} = gen_tcp:recv(C, 70002, 2000),
    r(binary:part(Got2, 0, 3)),
    close_all([C, A]).

sender_framing_empty(B) ->
    {C, A} = pyinet_conformance_tcp:pair(B, [binary, {active, false}],
                                         [binary, {active, false}, {packet, 2}]),
    r(gen_tcp:send(A, <<>>)),
    r(gen_tcp:send(A, [])),
    r(gen_tcp:recv(C, 4, 1000)),
    r(inet:setopts(A, [{packet, raw}])),
    r(gen_tcp:send(A, <<>>)),
    r(gen_tcp:recv(C, 0, 50)),
    r(inet:getstat(A, [send_oct, send_cnt])),
    close_all([C, A]).

sender_framing_list_iodata(B) ->
    {C, A} = pyinet_conformance_tcp:pair(B, [binary, {active, true}, {packet, 4}],
                                         [list, {active, false}, {packet, 4}]),
    ok = gen_tcp:send(A, [$a, [<<"bc">>, [[]], $d], <<>>]),
    ok = gen_tcp:send(A, []),
    msgs(),
    close_all([C, A]).

unrecv_packet2(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}]),
    ok = gen_tcp:send(A, <<"cd">>),
    sleep(20),
    r(gen_tcp:unrecv(C, <<0, 4, "ab">>)),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).

ssl_tls_record(B) ->
    {C, A} = pair(B, [binary, {active, true}, {packet, ssl_tls}]),
    ok = gen_tcp:send(A, <<22, 3, 3, 0, 3, 1, 2, 3, 23, 3, 1, 0, 1, 9>>),
    msgs(),
    r(inet:getopts(C, [packet])),
    close_all([C, A]).

%%% Every framed type at once.

%% A packet of each type with a 10-byte body, and one with a 2-byte body.
framed(1, Body) -> <<(byte_size(Body)), Body/binary>>;
framed(2, Body) -> <<(byte_size(Body)):16, Body/binary>>;
framed(4, Body) -> <<(byte_size(Body)):32, Body/binary>>;
framed(asn1, Body) -> <<16#04, (byte_size(Body)), Body/binary>>;
framed(cdr, Body) -> <<"GIOP", 1, 2, 0, 0, (byte_size(Body)):32, Body/binary>>;
framed(sunrm, Body) -> <<1:1, (byte_size(Body)):31, Body/binary>>;
framed(fcgi, Body) -> <<1, 5, 0, 1, (byte_size(Body)):16, 0, 0, Body/binary>>;
framed(tpkt, Body) -> <<3, 0, (byte_size(Body) + 4):16, Body/binary>>;
framed(line, Body) -> <<Body/binary, $\n>>;
framed(raw, Body) -> Body.

-define(FRAMED_TYPES, [raw, 1, 2, 4, asn1, cdr, sunrm, fcgi, tpkt, line]).

each_type_oversized_passive(B) ->
    r([begin
           {C, A} = pair(B, [binary, {active, false}, {packet, T}, {packet_size, 5}]),
           ok = gen_tcp:send(A, [framed(T, <<"ok">>), framed(T, <<"0123456789">>)]),
           sleep(10),
           R = {T, gen_tcp:recv(C, 0, 500), gen_tcp:recv(C, 0, 50)},
           close_all([C, A]),
           R
       end || T <- ?FRAMED_TYPES]).

length_types_list_active_split(B) ->
    list_active_split(B, [1, 2, 4, sunrm]).

other_types_list_active_split(B) ->
    list_active_split(B, [asn1, cdr, fcgi, tpkt, line]).

%% A packet, then the next one cut after 7 bytes, the rest 20 ms later.
list_active_split(B, Types) ->
    [begin
         {C, A} = pair(B, [list, {active, true}, {packet, T}]),
         Second = framed(T, <<"0123456789">>),
         feed(A, [[framed(T, <<"ab">>), binary:part(Second, 0, 7)],
                  binary:part(Second, 7, byte_size(Second) - 7)]),
         msgs(),
         close_all([C, A])
     end || T <- Types].

%%% Options.

opt_mode_switch(B) ->
    {C, A} = pair(B, [{active, false}, {packet, 1}]),
    r(inet:getopts(C, [mode])),
    ok = gen_tcp:send(A, <<2, "ab", 2, "cd", 2, "ef">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [binary])),
    r(inet:getopts(C, [mode])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{mode, list}])),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{mode, text}])),
    close_all([C, A]).

opt_packet_size_set_get(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 2}]),
    r(inet:getopts(C, [packet_size])),
    r(inet:setopts(C, [{packet_size, 5}])),
    r(inet:getopts(C, [packet_size])),
    ok = gen_tcp:send(A, <<0, 5, "12345">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet_size, 16#7fffffff}])),
    r(inet:getopts(C, [packet_size])),
    r(inet:setopts(C, [{packet_size, -1}])),
    r(inet:setopts(C, [{packet_size, 1.5}])),
    r(inet:getopts(C, [packet_size])),
    close_all([C, A]).

opt_header_set_get(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [header])),
    r(inet:setopts(C, [{header, 2}])),
    r(inet:getopts(C, [header])),
    ok = gen_tcp:send(A, <<"abcd">>),
    r(gen_tcp:recv(C, 4, 1000)),
    r(inet:setopts(C, [{header, -1}])),
    r(inet:setopts(C, [{header, x}])),
    r(inet:getopts(C, [header])),
    close_all([C, A]).

opt_buffer_raw_chunks(B) ->
    {C, A} = pair(B, [binary, {active, false}, {buffer, 4}]),
    ok = gen_tcp:send(A, <<"0123456789">>),
    sleep(30),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{active, true}])),
    msgs(),
    r(inet:setopts(C, [{buffer, 3}])),
    ok = gen_tcp:send(A, <<"abcdefg">>),
    msgs(),
    close_all([C, A]).

%% {read_ahead, false} (OTP 27): after a packet only its own bytes have left the
%% kernel, which the raw reads that follow show by their sizes; before 27 the
%% option does not exist.
opt_read_ahead(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, 4}]),
    r(inet:getopts(C, [read_ahead])),
    r(inet:setopts(C, [{read_ahead, false}])),
    r(inet:getopts(C, [read_ahead])),
    r(inet:setopts(C, [{read_ahead, 1}])),
    Rest = binary:copy(<<"r">>, 3000),
    ok = gen_tcp:send(A, <<6:32, "packet", Rest/binary>>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, raw}, {active, true}])),
    msgs(),
    r(inet:setopts(C, [{read_ahead, true}, {packet, 4}, {active, false}])),
    ok = gen_tcp:send(A, <<3:32, "abc", 2:32, "de", "tail">>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, raw}, {active, true}])),
    msgs(),
    case r(gen_tcp:listen(0, opts(B, [binary, {active, false}, {read_ahead, false}]))) of
        {ok, L} -> r(inet:getopts(L, [read_ahead])), gen_tcp:close(L);
        _ -> ok
    end,
    close_all([C, A]).

%% Lines without read ahead are read a byte at a time: what stays in the kernel
%% after the first line shows in the raw reads.
opt_read_ahead_line(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, line}]),
    r(inet:setopts(C, [{read_ahead, false}])),
    ok = gen_tcp:send(A, <<"one\ntwo\n", (binary:copy(<<"z">>, 2000))/binary>>),
    sleep(30),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{packet, raw}, {active, true}])),
    msgs(),
    close_all([C, A]).

%% {protocol, tcp | mptcp} (OTP 29): the socket's protocol, for connect and
%% listen alike; an option earlier releases refuse (badarg).
opt_protocol(B) ->
    Listen = fun(Proto) ->
                     caught(fun() -> gen_tcp:listen(0, opts(B, [binary, {active, false},
                                                                {protocol, Proto}])) end)
             end,
    r(element(1, Listen(bogus))),
    case Listen(mptcp) of
        {ok, L} ->
            {ok, P} = inet:port(L),
            {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {protocol, mptcp}])),
            {ok, A} = gen_tcp:accept(L, 1000),
            ok = gen_tcp:send(C, <<"over mptcp">>),
            r(gen_tcp:recv(A, 10, 1000)),
            r(caught(fun() -> gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [{protocol, udp}])) end)),
            [gen_tcp:close(S) || S <- [C, A, L]];
        Refused ->
            r(Refused)
    end,
    case Listen(tcp) of
        {ok, L2} -> r(ok), gen_tcp:close(L2);
        Other -> r(Other)
    end.

opt_buffer_invalid(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C, [{buffer, 0}])),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{buffer, -5}])),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{buffer, big}])),
    r(inet:setopts(C, [{buffer, 1 bsl 40}])),
    r(inet:getopts(C, [buffer])),
    close_all([C, A]).

opt_recbuf_sndbuf(B) ->
    {C, A} = pair(B, [binary, {active, false}, {recbuf, 8192}, {sndbuf, 16384}]),
    r(inet:getopts(C, [recbuf, sndbuf])),
    r(inet:setopts(C, [{recbuf, 4096}, {sndbuf, 4096}])),
    r(inet:getopts(C, [recbuf, sndbuf])),
    r(inet:setopts(C, [{recbuf, 1}])),
    r(inet:getopts(C, [recbuf])),
    r(inet:setopts(C, [{sndbuf, -1}])),
    r(inet:getopts(C, [sndbuf])),
    r(inet:setopts(C, [{recbuf, x}])),
    close_all([C, A]).

opt_recbuf_raises_buffer(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{recbuf, 1000}])),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{recbuf, 100000}])),
    r(inet:getopts(C, [buffer])),
    r(inet:setopts(C, [{recbuf, 50000}])),
    r(inet:getopts(C, [buffer])),
    close_all([C, A]).

opt_buffer_then_recbuf(B) ->
    {C, A} = pair(B, [binary, {active, false}, {buffer, 2000}, {recbuf, 90000}]),
    r(inet:getopts(C, [buffer])),
    {C2, A2} = pair(B, [binary, {active, false}, {recbuf, 90000}, {buffer, 2000}]),
    r(inet:getopts(C2, [buffer])),
    {C3, A3} = pair(B, [binary, {active, false}, {recbuf, 90000}]),
    r(inet:getopts(C3, [buffer])),
    close_all([C, A, C2, A2, C3, A3]).

opt_nodelay_keepalive(B) ->
    {C, A} = pair(B, [binary, {active, false}, {nodelay, true}]),
    r(inet:getopts(C, [nodelay, keepalive])),
    r(inet:setopts(C, [{nodelay, false}, {keepalive, true}])),
    r(inet:getopts(C, [nodelay, keepalive])),
    r(inet:getopts(A, [nodelay, keepalive])),
    ok = gen_tcp:send(C, <<"x">>),
    r(gen_tcp:recv(A, 1, 1000)),
    r(inet:setopts(C, [{nodelay, yes}])),
    r(inet:setopts(C, [{keepalive, 0}])),
    close_all([C, A]).

opt_linger(B) ->
    {C, A} = pair(B, [binary, {active, false}, {linger, {true, 5}}]),
    r(inet:getopts(C, [linger])),
    r(inet:setopts(C, [{linger, {false, 7}}])),
    r(inet:getopts(C, [linger])),
    r(inet:setopts(C, [{linger, {true, 0}}])),
    r(inet:getopts(C, [linger])),
    r(inet:setopts(C, [{linger, true}])),
    r(inet:setopts(C, [{linger, {true, x}}])),
    r(inet:setopts(C, [{linger, {1, 2}}])),
    r(inet:getopts(C, [linger])),
    r(gen_tcp:close(C)),
    r(gen_tcp:recv(A, 0, 1000)),
    gen_tcp:close(A).

opt_reuseaddr(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{reuseaddr, true}])),
    r(inet:getopts(L, [reuseaddr])),
    r(inet:setopts(L, [{reuseaddr, false}])),
    r(inet:getopts(L, [reuseaddr])),
    {C, A} = pair(B, [binary, {active, false}, {reuseaddr, true}]),
    r(inet:getopts(C, [reuseaddr])),
    r(inet:getopts(A, [reuseaddr])),
    r(inet:setopts(C, [{reuseaddr, 2}])),
    close_all([L, C, A]).

opt_send_timeout(B) ->
    {C, A} = pair(B, [binary, {active, false}, {send_timeout, 250}]),
    r(inet:getopts(C, [send_timeout, send_timeout_close])),
    r(inet:setopts(C, [{send_timeout, infinity}, {send_timeout_close, true}])),
    r(inet:getopts(C, [send_timeout, send_timeout_close])),
    r(inet:setopts(C, [{send_timeout, 0}])),
    r(inet:getopts(C, [send_timeout])),
    r(inet:setopts(C, [{send_timeout, -1}])),
    r(inet:setopts(C, [{send_timeout, forever}])),
    r(inet:setopts(C, [{send_timeout_close, 1}])),
    r(inet:getopts(C, [send_timeout, send_timeout_close])),
    close_all([C, A]).

opt_send_timeout_effect(B) ->
    {C, A} = pyinet_conformance_tcp:pair(
               B, [binary, {active, false}, {send_timeout, 100}, {sndbuf, 4096},
                   {high_watermark, 2048}, {low_watermark, 1024}],
               [binary, {active, false}, {recbuf, 4096}]),
    Chunk = binary:copy(<<"s">>, 1024),
    r(fill(C, Chunk, 10000)),
    %% Whether a second send times out too depends on how much the kernel has
    %% taken meanwhile: not recorded.
    _ = gen_tcp:send(C, <<"again">>),
    r(inet:getopts(C, [active])),
    {ok, Got} = gen_tcp:recv(A, 10, 1000),
    r(byte_size(Got)),
    %% Without this, close would wait for the queued output to drain.
    ok = inet:setopts(C, [{linger, {true, 0}}]),
    close_all([C, A]).

opt_send_timeout_close_effect(B) ->
    {C, A} = pyinet_conformance_tcp:pair(
               B, [binary, {active, false}, {send_timeout, 100}, {send_timeout_close, true},
                   {sndbuf, 4096}, {high_watermark, 2048}, {low_watermark, 1024}],
               [binary, {active, false}, {recbuf, 4096}]),
    Chunk = binary:copy(<<"s">>, 1024),
    r(fill(C, Chunk, 10000)),
    r(gen_tcp:send(C, <<"again">>)),
    r(gen_tcp:recv(C, 0, 100)),
    r(inet:getopts(C, [active])),
    r(gen_tcp:close(C)),
    gen_tcp:close(A).

opt_show_econnreset(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [show_econnreset])),
    r(inet:setopts(C, [{show_econnreset, true}])),
    r(inet:getopts(C, [show_econnreset])),
    r(inet:setopts(C, [{show_econnreset, 'maybe'}])),
    ok = inet:setopts(A, [{linger, {true, 0}}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:recv(C, 0, 100)),
    gen_tcp:close(C).

opt_exit_on_close(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [exit_on_close])),
    r(inet:setopts(C, [{exit_on_close, false}])),
    r(inet:getopts(C, [exit_on_close])),
    r(inet:setopts(C, [{exit_on_close, 0}])),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(inet:getopts(C, [exit_on_close, active])),
    r(inet:setopts(C, [{exit_on_close, true}])),
    r(gen_tcp:recv(C, 0, 100)),
    r(gen_tcp:send(C, <<"x">>)),
    gen_tcp:close(C).

opt_delay_send(B) ->
    {C, A} = pair(B, [binary, {active, false}, {delay_send, true}]),
    r(inet:getopts(C, [delay_send])),
    [ok = gen_tcp:send(C, X) || X <- [<<"a">>, <<"b">>, <<"c">>]],
    sleep(30),
    r(gen_tcp:recv(A, 3, 1000)),
    r(inet:setopts(C, [{delay_send, false}])),
    r(inet:getopts(C, [delay_send])),
    r(inet:setopts(C, [{delay_send, 1}])),
    close_all([C, A]).

opt_deliver(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [deliver])),
    r(inet:setopts(C, [{deliver, port}])),
    r(inet:getopts(C, [deliver])),
    r(inet:setopts(C, [{deliver, other}])),
    r(inet:setopts(C, [{deliver, term}])),
    r(inet:getopts(C, [deliver])),
    close_all([C, A]).

opt_watermarks_drag(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{high_watermark, 100}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{low_watermark, 20000}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{high_watermark, -5}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{low_watermark, -1}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{low_watermark, x}])),
    close_all([C, A]).

opt_watermarks_in_one_call(B) ->
    {C, A} = pair(B, [binary, {active, false}, {high_watermark, 10}, {low_watermark, 50}]),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    r(inet:setopts(C, [{low_watermark, 5000}, {high_watermark, 3000}])),
    r(inet:getopts(C, [high_watermark, low_watermark])),
    ok = gen_tcp:send(C, <<"still sends">>),
    r(gen_tcp:recv(A, 11, 1000)),
    close_all([C, A]).

opt_msgq_watermarks(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:getopts(C, [high_msgq_watermark, low_msgq_watermark])),
    r(inet:setopts(C, [{high_msgq_watermark, 100}])),
    r(inet:getopts(C, [high_msgq_watermark, low_msgq_watermark])),
    r(inet:setopts(C, [{low_msgq_watermark, 200}])),
    r(inet:getopts(C, [high_msgq_watermark, low_msgq_watermark])),
    r(inet:setopts(C, [{high_msgq_watermark, 0}])),
    r(inet:setopts(C, [{low_msgq_watermark, -3}])),
    r(inet:getopts(C, [high_msgq_watermark, low_msgq_watermark])),
    close_all([C, A]).

opt_priority_tos_ttl(B) ->
    {C, A} = pair(B, [binary, {active, false}, {priority, 3}, {ttl, 33}]),
    r(inet:getopts(C, [priority, tos, ttl])),
    r(inet:setopts(C, [{tos, 16#10}, {ttl, 200}])),
    r(inet:getopts(C, [priority, tos, ttl])),
    r(inet:setopts(C, [{ttl, 0}])),
    r(inet:setopts(C, [{ttl, 256}])),
    r(inet:setopts(C, [{priority, x}])),
    r(inet:getopts(C, [priority, tos, ttl])),
    close_all([C, A]).

%% Linux resets the priority when the TOS changes; inet_drv puts it back.
opt_tos_after_priority(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C, [{priority, 5}])),
    r(inet:setopts(C, [{tos, 16#b8}])),
    r(inet:getopts(C, [priority, tos])),
    r(inet:setopts(C, [{nodelay, true}])),
    r(inet:getopts(C, [priority, tos])),
    r(inet:setopts(C, [{priority, 2}])),
    r(inet:getopts(C, [priority, tos])),
    close_all([C, A]).

opt_recvtos_recvttl(B) ->
    {C, A} = pair(B, [binary, {active, false}, {recvtos, true}]),
    r(inet:getopts(C, [recvtos, recvttl])),
    r(inet:setopts(C, [{recvttl, true}, {recvtos, false}])),
    r(inet:getopts(C, [recvtos, recvttl])),
    ok = gen_tcp:send(A, <<"data">>),
    r(gen_tcp:recv(C, 0, 1000)),
    r(inet:setopts(C, [{recvttl, 1}])),
    close_all([C, A]).

opt_dontroute(B) ->
    {C, A} = pair(B, [binary, {active, false}, {dontroute, true}]),
    r(inet:getopts(C, [dontroute])),
    ok = gen_tcp:send(C, <<"local">>),
    r(gen_tcp:recv(A, 5, 1000)),
    r(inet:setopts(C, [{dontroute, false}])),
    r(inet:getopts(C, [dontroute])),
    close_all([C, A]).

opt_ipv6_v6only(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [binary, {active, false}, {ip, {0, 0, 0, 0, 0, 0, 0, 0}},
                                         {ipv6_v6only, true}])),
    {ok, P} = inet:port(L),
    pyinet_conformance:known_port(P),
    r(inet:getopts(L, [ipv6_v6only])),
    r(gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary]), 1000)),
    {ok, C} = r(gen_tcp:connect({0, 0, 0, 0, 0, 0, 0, 1}, P, opts(B, [binary, {active, false}]),
                                1000)),
    {ok, A} = gen_tcp:accept(L, 1000),
    r(inet:getopts(C, [ipv6_v6only])),
    r(inet:getopts(A, [ipv6_v6only])),
    {ok, L2} = gen_tcp:listen(0, opts(B, [{ip, {0, 0, 0, 0, 0, 0, 0, 0}}, {ipv6_v6only, false}])),
    r(inet:getopts(L2, [ipv6_v6only])),
    {ok, P2} = inet:port(L2),
    pyinet_conformance:known_port(P2),
    {ok, C2} = r(gen_tcp:connect({127, 0, 0, 1}, P2, opts(B, []), 1000)),
    close_all([L, C, A, L2, C2]).

opt_ipv6_v6only_on_ipv4(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C, [{ipv6_v6only, true}])),
    r(inet:getopts(C, [ipv6_v6only])),
    r(inet:setopts(C, [{tclass, 8}])),
    r(inet:getopts(C, [tclass])),
    close_all([C, A]).

opt_raw_set_get(B) ->
    %% IPPROTO_TCP = 6, TCP_NODELAY = 1, TCP_MAXSEG = 2.
    {C, A} = pair(B, [binary, {active, false}, {raw, 6, 1, <<1:32/native>>}]),
    r(inet:getopts(C, [nodelay, {raw, 6, 1, 4}])),
    r(inet:setopts(C, [{raw, 6, 1, <<0:32/native>>}])),
    r(inet:getopts(C, [nodelay, {raw, 6, 1, 4}])),
    r(inet:setopts(C, [{raw, {6, 1, <<1:32/native>>}}])),
    r(inet:getopts(C, [{raw, 6, 1, 4}, {raw, 6, 1, 0}, {raw, 6, 1, 2}])),
    r(inet:getopts(C, [{raw, 6, 9999, 4}, nodelay])),
    close_all([C, A]).

opt_raw_invalid(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C, [{raw, 6, 9999, <<1:32/native>>}])),
    r(inet:setopts(C, [{raw, 6, 1, <<1>>}])),
    r(inet:setopts(C, [{raw, x, 1, <<1:32>>}])),
    r(inet:setopts(C, [{raw, 6, 1, "abcd"}])),
    r(inet:getopts(C, [{raw, 6, 1, -1}])),
    r(inet:getopts(C, [{raw, 6, 1}])),
    close_all([C, A]).

opt_bind_to_device(B) ->
    {C, A} = pair(B, [binary, {active, false}, {bind_to_device, <<"lo">>}]),
    r(inet:getopts(C, [bind_to_device])),
    ok = gen_tcp:send(C, <<"via lo">>),
    r(gen_tcp:recv(A, 6, 1000)),
    r(inet:getopts(A, [bind_to_device])),
    r(inet:setopts(C, [{bind_to_device, <<"nosuchdev0">>}])),
    r(inet:setopts(C, [{bind_to_device, "lo"}])),
    r(inet:setopts(C, [{bind_to_device, <<"a-name-far-too-long-for-ifnamsiz">>}])),
    r(inet:getopts(C, [bind_to_device])),
    close_all([C, A]).

opt_getopts_listen(B) ->
    {ok, L} = gen_tcp:listen(0, opts(B, [{packet, 2}, {active, once}, binary, {buffer, 999},
                                         {header, 1}, {nodelay, true}])),
    r(inet:getopts(L, [active, mode, packet, packet_size, header, buffer, deliver,
                       exit_on_close, send_timeout, send_timeout_close, high_watermark,
                       low_watermark, delay_send, show_econnreset, nodelay, keepalive,
                       reuseaddr, linger, priority, tos, ttl])),
    r(inet:setopts(L, [{packet, line}, {active, true}])),
    r(inet:getopts(L, [packet, active])),
    r(inet:setopts(L, [{active, 3}])),
    r(inet:getopts(L, [active])),
    r(inet:setopts(L, [{active, -3}])),
    msgs(),
    r(inet:getopts(L, [active])),
    r(inet:peername(L)),
    r(gen_tcp:recv(L, 0, 10)),
    r(gen_tcp:send(L, <<"x">>)),
    r(gen_tcp:shutdown(L, write)),
    r(gen_tcp:unrecv(L, <<"x">>)),
    {C, A} = pair(B, [binary, {active, false}]),
    r(gen_tcp:accept(C, 10)),
    close_all([L, C, A]).

opt_accept_inherits(B) ->
    LOpts = [list, {packet, 2}, {active, once}, {header, 1}, {nodelay, true},
             {keepalive, true}, {send_timeout, 500}, {exit_on_close, false},
             {high_watermark, 5000}, {low_watermark, 2000}, {buffer, 3000},
             {show_econnreset, true}, {delay_send, true}, {tos, 16#20}, {deliver, term},
             {packet_size, 100}, {linger, {true, 3}}],
    {L, P} = pyinet_conformance_tcp:listen(B, LOpts),
    {ok, C} = gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [binary, {active, false},
                                                          {packet, 2}]), 1000),
    {ok, A} = gen_tcp:accept(L, 1000),
    r(inet:getopts(A, [mode, packet, active, header, nodelay, keepalive, send_timeout,
                       exit_on_close, high_watermark, low_watermark, buffer,
                       show_econnreset, delay_send, tos, deliver, packet_size, linger])),
    ok = gen_tcp:send(C, <<"abc">>),
    msgs(),
    close_all([L, C, A]).

opt_connect_vs_setopts(B) ->
    Opts = [{packet, 4}, {header, 2}, {nodelay, true}, {keepalive, true}, {buffer, 777},
            {recbuf, 20000}, {send_timeout, 300}, {tos, 16#08}, {priority, 1},
            {show_econnreset, true}, {packet_size, 1000}],
    Names = [packet, header, nodelay, keepalive, buffer, recbuf, send_timeout, tos, priority,
             show_econnreset, packet_size],
    {C1, A1} = pair(B, [binary, {active, false} | Opts]),
    {C2, A2} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C2, Opts)),
    {ok, G1} = r(inet:getopts(C1, Names)),
    {ok, G2} = inet:getopts(C2, Names),
    r(G1 =:= G2),
    close_all([C1, A1, C2, A2]).

%% Each of these is einval from setopts and leaves the option as it was.
opt_setopts_invalid_values(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    Bad = [{mode, text}, {packet, 3}, {packet, -1}, {packet_size, -1}, {header, -2},
           {buffer, 1.0}, {deliver, both}, {exit_on_close, 1}, {active, 40000},
           {send_timeout, -2}, {send_timeout_close, y}, {delay_send, y},
           {show_econnreset, y}, {high_watermark, x}, {low_watermark, 1.5},
           {high_msgq_watermark, 0}, {low_msgq_watermark, x}, {nodelay, y},
           {keepalive, y}, {linger, {y, 1}}, {reuseaddr, y}, {priority, y}, {tos, y},
           {ttl, y}, {recvtos, y}, {recvttl, y}, {dontroute, y}, {sndbuf, y}, {recbuf, y},
           {bind_to_device, 1}, {line_delimiter, x}, {raw, 1, 2, 3}, {tclass, y},
           {ipv6_v6only, y}, {nopush, y}, {nosuchopt, 1}, packet, {packet},
           {packet, 1, 2}],
    r([{O, inet:setopts(C, [O])} || O <- Bad]),
    r(inet:getopts(C, [mode, packet, packet_size, header, buffer, deliver, exit_on_close,
                       active, send_timeout, send_timeout_close, delay_send, show_econnreset,
                       high_watermark, low_watermark, nodelay, keepalive, linger, reuseaddr])),
    close_all([C, A]).

%% inet_drv applies options in order: those before a bad one stay set, unless
%% the Erlang side rejects the whole list first.
opt_setopts_partial_apply(B) ->
    {C, A} = pair(B, [binary, {active, false}]),
    r(inet:setopts(C, [{packet, 2}, {mode, bogus}, {header, 3}])),
    r(inet:getopts(C, [packet, mode, header])),
    r(inet:setopts(C, [{packet, 4}, {tos, 100000}, {header, 3}])),
    r(inet:getopts(C, [packet, header, tos])),
    r(inet:setopts(C, [{header, 1}, {ipv6_v6only, true}, {packet, 1}])),
    r(inet:getopts(C, [packet, header])),
    r(inet:setopts(C, [{packet_size, 5}, {bind_to_device, <<"nosuchdev0">>}, {packet, 1}])),
    r(inet:getopts(C, [packet, packet_size])),
    close_all([C, A]).

opt_connect_bad_values(B) ->
    {L, P} = pyinet_conformance_tcp:listen(B, []),
    Bad = [{mode, text}, {packet, 3}, {packet_size, -1}, {header, x}, {buffer, x},
           {deliver, both}, {exit_on_close, 1}, {send_timeout, -2}, {high_watermark, x},
           {linger, x}, {nodelay, 1}, {tos, x}, {recbuf, x}, {bind_to_device, "lo"},
           {raw, 1, 2, 3}, {line_delimiter, x}, {active, 40000}, {ip, bogus}, {ip, {1, 2, 3}},
           {ip, {0, 0, 0, 0, 0, 0, 0, 1}}, {ifaddr, {127, 0, 0, 256}},
           {port, -1}, {backlog, 5}],
    r([{O, caught(fun() -> gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [O]), 1000) end)}
       || O <- Bad]),
    Good = [{ttl, 0}, {tos, 100000}, {priority, 100}, {bind_to_device, <<"nosuchdev0">>},
            {raw, 6, 9999, <<1:32>>}, {ipv6_v6only, true}],
    r([{O, case caught(fun() -> gen_tcp:connect({127, 0, 0, 1}, P, opts(B, [O]), 1000) end) of
               {ok, S} -> gen_tcp:close(S), ok;
               Other -> Other
           end} || O <- Good]),
    gen_tcp:close(L).

opt_listen_bad_values(B) ->
    Bad = [{mode, text}, {packet, 3}, {packet_size, -1}, {header, x}, {buffer, x},
           {linger, x}, {nodelay, 1}, {reuseaddr, 1}, {ip, {1, 2, 3}}, {ip, {1, 2, 3, 256}},
           {send_timeout, -2}, {active, 40000}],
    r([{O, caught(fun() -> gen_tcp:listen(0, opts(B, [O])) end)} || O <- Bad]),
    Odd = [{ttl, 0}, {tos, 100000}, {bind_to_device, <<"nosuchdev0">>}, {backlog, 0}, {backlog, -1},
           {raw, 6, 9999, <<1:32>>}, {ipv6_v6only, true}],
    r([{O, case caught(fun() -> gen_tcp:listen(0, opts(B, [O])) end) of
               {ok, L} -> gen_tcp:close(L), ok;
               Other -> Other
           end} || O <- Odd]),
    ok.

opt_getopts_closed_peer(B) ->
    {C, A} = pair(B, [binary, {active, false}, {exit_on_close, false}, {packet, 2},
                      {nodelay, true}]),
    gen_tcp:close(A),
    sleep(50),
    r(gen_tcp:recv(C, 0, 100)),
    r(inet:getopts(C, [packet, nodelay, active, exit_on_close])),
    r(inet:setopts(C, [{packet, 4}, {nodelay, false}])),
    r(inet:getopts(C, [packet, nodelay])),
    gen_tcp:close(C).

%% A sender blocks once the queue passes high_watermark and goes on when the
%% peer reads it below low_watermark.
opt_watermark_blocks_then_resumes(B) ->
    {C, A} = pyinet_conformance_tcp:pair(
               B, [binary, {active, false}, {sndbuf, 4096}, {high_watermark, 4096},
                   {low_watermark, 1024}],
               [binary, {active, false}, {recbuf, 4096}]),
    Self = self(),
    Chunk = binary:copy(<<"w">>, 1024),
    N = 300,
    spawn_proc(sender, fun() ->
                               r(lists:usort([gen_tcp:send(C, Chunk) || _ <- lists:seq(1, N)])),
                               Self ! sent
                       end),
    Blocked = receive sent -> false after 150 -> true end,
    r({blocked, Blocked}),
    {ok, [{send_pend, Pending}]} = inet:getstat(C, [send_pend]),
    r({pending_over_high_watermark, Pending >= 4096}),
    r({received, drain(A, 0)}),
    r(receive sent -> sent after 1000 -> not_sent end),
    close_all([C, A]).

drain(A, Got) ->
    case gen_tcp:recv(A, 0, 200) of
        {ok, Data} -> drain(A, Got + byte_size(Data));
        {error, timeout} -> Got
    end.

opt_line_delimiter_getopts(B) ->
    {C, A} = pair(B, [binary, {active, false}, {packet, line}, {line_delimiter, $,}]),
    r(inet:getopts(C, [line_delimiter])),
    r(inet:setopts(C, [{line_delimiter, -1}])),
    r(inet:setopts(C, [{line_delimiter, 1000}])),
    ok = gen_tcp:send(A, <<"a,b", (1000 band 255), "c">>),
    r(gen_tcp:recv(C, 0, 1000)),
    close_all([C, A]).
