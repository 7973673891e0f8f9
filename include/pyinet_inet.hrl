%% The parts of OTP's kernel/src/inet_int.hrl that pyinet uses: the records
%% inet:connect_options/2 and inet:listen_options/2 return, and the address
%% guards. Copied (that header is internal and not installed everywhere). OTP 29
%% added a field, protocol, after these: pyinet_inet_opts:connect_options/2 and
%% listen_options/2 read the records of the release that runs into these.

-define(ip(A,B,C,D),
        (((A) bor (B) bor (C) bor (D)) band (bnot 16#ff)) =:= 0).
-define(ip6(A,B,C,D,E,F,G,H),
        (((A) bor (B) bor (C) bor (D) bor (E) bor (F) bor (G) bor (H))
         band (bnot 16#ffff)) =:= 0).
-define(port(P), (((P) band bnot 16#ffff) =:= 0)).

-record(connect_opts,
        {ifaddr,
         port   = 0,
         fd     = -1,
         opts   = []}).

-record(listen_opts,
        {ifaddr,
         port    = 0,
         backlog = 5,
         fd      = -1,
         opts    = []}).
