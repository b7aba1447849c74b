#!/usr/bin/env bash
# Measures the monitoring ingest API from outside the process: the demo
# (yingshang demo, SQLite) under e2e/ingest (a small Go client posting
# 5,000-reading batches over several connections, one device each), next
# to e2e/hello taking the same bodies, hello before and after, and the
# in-process benchmark (go test -bench Ingest) in the same run.
#
#   bash e2e/ingest.sh                          # 4 connections × 10 batches
#   YS_INGEST_CONNS=8 YS_INGEST_BATCHES=20 bash e2e/ingest.sh
#   YS_INGEST_PORT=18221 bash e2e/ingest.sh     # the demo's port (default: a free one)
#
# Device tokens are obtained as staff would: the market regulator's handler
# signs in and registers devices for the demo fuel station; each token is
# read once from the page that shows it and kept in a temporary file.
set -euo pipefail
cd "$(dirname "$0")/.."

conns=${YS_INGEST_CONNS:-4}
batches=${YS_INGEST_BATCHES:-10}
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=${YS_INGEST_PORT:-$(freeport)}
hport=$(freeport)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/yingshang" ./cmd/yingshang
go build -o "$work/hello" ./e2e/hello
go build -o "$work/ingest" ./e2e/ingest

"$work/hello" -addr "127.0.0.1:$hport" & pids+=($!)
"$work/yingshang" demo --addr "127.0.0.1:$port" --data-dir "$work/data" >"$work/demo.log" 2>&1 & pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 240); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.5; done

jar="$work/jar"
curl -fs -o /dev/null -c "$jar" -b "$jar" -H "Origin: $base" -d "username=handler_scj&password=Yunlan@2026" "$base/signin"
station=91990102MA0008801L # monitoring.DemoFuelStation()
for i in $(seq 1 "$conns"); do
  curl -fs -b "$jar" -H "Origin: $base" --data-urlencode "uscc=$station" -d "kind=dispenser" \
    --data-urlencode "location=压测加油机$i" --data-urlencode "unit=%" "$base/monitoring/devices" >"$work/token.html"
  id=$(grep -o '/monitoring/devices/[0-9]*' "$work/token.html" | head -1 | sed 's|.*/||')
  tok=$(grep -o 'ysdev_[A-Za-z0-9_-]*' "$work/token.html" | head -1)
  echo "$id $tok" >>"$work/tokens"
done
rm -f "$work/token.html"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/ingest" -label hello -url "http://127.0.0.1:$hport" -conns "$conns" -batches "$batches"
"$work/ingest" -label demo -url "$base" -tokens "$work/tokens" -conns "$conns" -batches "$batches"
"$work/ingest" -label hello -url "http://127.0.0.1:$hport" -conns "$conns" -batches "$batches"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q 'ysdev_' "$work/demo.log"; then echo "FAIL: a device token reached the log"; exit 1; fi
echo "in-process (httptest server, same machine, same run):"
go test -run XXX -bench 'Ingest/sqlite' -benchtime 10x -count=1 ./internal/monitoring | grep readings/s
