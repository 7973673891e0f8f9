-module(pyinet_app).
-behaviour(application).

-export([start/2, prep_stop/1, stop/1]).

start(_Type, _Args) ->
    case pyinet_sup:start_link() of
        {ok, Sup} ->
            %% The application key `takeover`: the whole node on pyinet.
            case application:get_env(pyinet, takeover, false) of
                true ->
                    case pyinet_takeover:switch_on() of
                        ok -> {ok, Sup};
                        {error, Reason} -> {error, Reason}
                    end;
                _ ->
                    {ok, Sup}
            end;
        Error ->
            Error
    end.

%% Without pyinet, new sockets are OTP's again.
prep_stop(State) ->
    pyinet_takeover:release(),
    State.

stop(_State) ->
    ok.
