#!/usr/bin/env bash
# Runs a third-party Open311 client (the open311 package from npm) against
# the demo: builds yingshang, starts the demo on a free local port with a
# fresh data directory, reads the demo's Open311 api_key from its output,
# and runs client.test.cjs. Installs the client (npm ci) if missing.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules/open311 ]; then
  npm ci --no-audit --no-fund >/dev/null
fi

work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$work"' EXIT
go build -o "$work/yingshang" ../../cmd/yingshang
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18311)
"$work/yingshang" demo --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null; then
  echo "server did not start:"; cat "$work/server.log"; exit 1
fi
key=
for _ in $(seq 1 50); do
  key=$(sed -n 's/.*Open311 api_key: *\(ysk_[A-Za-z0-9_-]*\).*/\1/p' "$work/server.log" | head -1)
  [ -n "$key" ] && break
  sleep 0.2
done
if [ -z "$key" ]; then
  echo "the demo printed no Open311 api_key:"; cat "$work/server.log"; exit 1
fi
YS_BASE_URL="http://127.0.0.1:$port" YS_OPEN311_KEY="$key" node --test --test-timeout=120000 client.test.cjs ||
  { echo "server log:"; tail -50 "$work/server.log"; exit 1; }
