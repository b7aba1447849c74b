#!/usr/bin/env bash
# Runs the browser tests: builds yingshang, starts the demo on a free local
# port with a fresh data directory, and drives headless Debian Chromium with
# playwright-core: every *.test.mjs, among them the phone-width tests
# (phone-*.test.mjs, helpers in phone.mjs). Installs Chromium (apt) and
# playwright-core (npm) if missing.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium from Debian"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/ys-apt.log 2>&1 || { cat /tmp/ys-apt.log; exit 1; }
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund >/dev/null
fi

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/yingshang" ../cmd/yingshang
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
# The 12345 form's map gets tiles without a network: one grey tile as a data URL.
YS_MAP_TILES='data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGN49uwhAAVjAq6Fv8IzAAAAAElFTkSuQmCC' \
YS_MAP_CENTRE='30.2741,120.1551,15' \
"$work/yingshang" demo --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
if ! curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null; then
  echo "server did not start:"; cat "$work/server.log"; exit 1
fi
YS_BASE_URL="http://127.0.0.1:$port" YS_SHOTS="${YS_SHOTS:-$work}" node --test --test-timeout=300000 ${YS_E2E_TESTS:-*.test.mjs} || { echo "server log:"; tail -50 "$work/server.log"; exit 1; }
