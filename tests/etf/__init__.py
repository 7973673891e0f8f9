"""Support for the ETF codec tests: the Erlang peer, erlang-py conversion, strategies."""
