#!/usr/bin/env bash
# pyinet as another project's dependency, the way its users take it:
#
#   1. a rebar3 project whose rebar.config lists pyinet as a git dependency
#      (this repository's HEAD, by file:// URL) builds it, and `rebar3 tar`
#      makes a release of it; the release, unpacked elsewhere with the project
#      gone, runs the demo (gen_tcp(3)'s example through an inetrc) on the
#      Python side it carries in pyinet's priv/ and the system's python3;
#   2. a mix project (Elixir) with the same dependency compiles it and runs
#      the same demo;
#   3. `pip install` of the repository into a fresh venv gives a working
#      `python -m bridge` with its C codec.
#
# It tests what is committed (a git dependency can only see commits): with
# uncommitted changes it says so. Needs `make build` first (the packages).
# Exits non-zero on the first failure.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pyinet-dependency.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
REF=$(git -C "$REPO" rev-parse HEAD)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
    echo "dependency: note: uncommitted changes are not tested (HEAD is $REF)"
fi
# The user's machine has no venv of ours: python3 from PATH, no PYTHONPATH.
unset PYINET_PYTHON PYTHONPATH
say() { echo "dependency: $*"; }
fail() { echo "dependency: FAILED: $*" >&2; exit 1; }

# The demo must say "demo ok" and must have run on the port program.
check_demo() {
    local out=$1
    grep -q '^demo ok$' "$out" || { tail -n 20 "$out" >&2; fail "$2: no 'demo ok'"; }
    grep -q 'inet_db:tcp_module() = pyinet_tcp' "$out" || fail "$2: gen_tcp did not go to pyinet"
    grep -q 'port program: python' "$out" || fail "$2: no port program"
}

# -- 1. rebar3 and a release -----------------------------------------------------
APP=$WORK/user_app
mkdir -p "$APP/src" "$APP/priv"
cp "$REPO/examples/demo.erl" "$REPO/examples/gen_tcp_examples.erl" "$APP/src/"
cp "$REPO/examples/pyinet.inetrc" "$APP/priv/"
cat > "$APP/rebar.config" <<EOF
{deps, [{pyinet, {git, "file://$REPO", {ref, "$REF"}}}]}.
{relx, [{release, {user_app, "0.1.0"}, [pyinet, user_app]},
        {mode, prod}, {include_erts, true}]}.
EOF
cat > "$APP/src/user_app.app.src" <<'EOF'
{application, user_app,
 [{description, "A project that depends on pyinet"}, {vsn, "0.1.0"},
  {applications, [kernel, stdlib, pyinet]}, {modules, []}, {registered, []}, {env, []}]}.
EOF
say "rebar3: a project with pyinet as a git dependency"
(cd "$APP" && rebar3 tar) > "$WORK/rebar3.log" 2>&1 || { tail -n 30 "$WORK/rebar3.log" >&2; fail "rebar3 tar"; }
TAR=$APP/_build/default/rel/user_app/user_app-0.1.0.tar.gz
[ -f "$TAR" ] || fail "rebar3 tar made no $TAR"
REL=$WORK/release
mkdir -p "$REL"
tar -xzf "$TAR" -C "$REL"
rm -rf "$APP"
[ -f "$REL"/lib/pyinet-*/priv/bridge/__main__.py ] || fail "the release has no priv/bridge"
if find "$REL" -type l | grep -q .; then fail "the release holds symbolic links: $(find "$REL" -type l | head -3)"; fi
ERL=$(echo "$REL"/erts-*/bin/erl)
(cd "$WORK" && ERL_INETRC=$(echo "$REL"/lib/user_app-*/priv/pyinet.inetrc) \
    "$ERL" -boot "$REL/releases/0.1.0/start_clean" -boot_var SYSTEM_LIB_DIR "$REL/lib" \
    -pa "$REL"/lib/*/ebin -noshell -eval 'demo:main(), halt().') > "$WORK/release.out" 2>&1 \
    || { tail -n 20 "$WORK/release.out" >&2; fail "the release's demo"; }
check_demo "$WORK/release.out" "the release"
say "rebar3: built, released (no links; the Python side in pyinet's priv/), demo ok from the release alone"

# -- 2. mix ---------------------------------------------------------------------
MIXAPP=$WORK/user_mix
mkdir -p "$MIXAPP/src"
cp "$REPO/examples/demo.erl" "$REPO/examples/gen_tcp_examples.erl" "$MIXAPP/src/"
cat > "$MIXAPP/mix.exs" <<EOF
defmodule UserMix.MixProject do
  use Mix.Project
  def project, do: [app: :user_mix, version: "0.1.0", deps: deps()]
  def application, do: [extra_applications: [:logger]]
  defp deps, do: [{:pyinet, git: "file://$REPO", ref: "$REF", manager: :rebar3}]
end
EOF
say "mix: a project with pyinet as a git dependency (manager: rebar3)"
# mix builds rebar3 dependencies with the rebar3 it is given (Debian's), not
# one it would download.
export MIX_REBAR3=${MIX_REBAR3:-$(command -v rebar3)} MIX_HOME=$WORK/mix_home HEX_OFFLINE=1
(cd "$MIXAPP" && mix deps.get && mix compile) > "$WORK/mix.log" 2>&1 \
    || { tail -n 30 "$WORK/mix.log" >&2; fail "mix deps.get, compile"; }
# The demo runs on what mix built, in a node of its own: not under `mix run`,
# because an inetrc is node-wide and Mix itself (1.18's Mix.Sync.PubSub) opens
# TCP sockets before the project's code is on the path.
(cd "$MIXAPP" && ERL_INETRC=$REPO/examples/pyinet.inetrc \
    elixir -pa "_build/dev/lib/*/ebin" -e ':demo.main()') > "$WORK/mix.out" 2>&1 \
    || { tail -n 20 "$WORK/mix.out" >&2; fail "the demo on what mix built"; }
check_demo "$WORK/mix.out" "mix"
say "mix: built, demo ok"

# -- 3. pip ---------------------------------------------------------------------
say "pip: install the repository into a fresh venv"
python3 -m venv "$WORK/venv"
# A venv of Python 3.12+ has no setuptools: pip fetches it for the build
# (pyproject.toml's build-system), from PyPI.
git clone -q "$REPO" "$WORK/src" && git -C "$WORK/src" checkout -q "$REF"
"$WORK/venv/bin/pip" install -q "$WORK/src" > "$WORK/pip.log" 2>&1 \
    || { tail -n 20 "$WORK/pip.log" >&2; fail "pip install"; }
# Run from elsewhere, so that nothing of the repository is on the path.
(cd "$WORK" && "$WORK/venv/bin/python" - <<'EOF') || fail "the installed package"
import subprocess, sys
import bridge, bridge.etf as etf
assert "/venv/" in bridge.__file__, bridge.__file__
assert etf.IMPLEMENTATION == "c", "the C codec was not built: " + etf.IMPLEMENTATION
out = subprocess.run([sys.executable, "-m", "bridge"], stdin=subprocess.DEVNULL,
                     capture_output=True, timeout=30).stdout
size = int.from_bytes(out[:4], "big")
dest, (tag, info) = etf.decode(out[4:4 + size])
assert (dest, tag, info["protocol"]) == ("pyinet", "hello", bridge.PROTOCOL_VERSION), (dest, tag, info)
print("dependency: pip: python -m bridge says hello, python", info["python"].decode())
EOF
say "pip: installed, C codec built"
