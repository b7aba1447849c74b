#!/usr/bin/env bash
# Measures the platform from outside the process, as a city's users would
# load it: an HTTP load tool (wrk) against the demo, next to a ten-line
# net/http hello server (e2e/hello) measured in the same run, so that the
# figures are ratios that a shared, noisy machine cannot fake.
#
#   bash e2e/load.sh                 # 10 s per measurement, 32 connections
#   YS_LOAD_SECONDS=5 YS_LOAD_CONNS=32 bash e2e/load.sh
#   YS_LOAD_DATABASE_URL=postgres://… bash e2e/load.sh   # demo on PostgreSQL
#
# It prints one line per measurement (requests/s, latency, the share of the
# hello baseline, the load average) and installs wrk with apt-get if it is
# missing. Nothing listens beyond 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")"

secs=${YS_LOAD_SECONDS:-10}
conns=${YS_LOAD_CONNS:-32}
threads=${YS_LOAD_THREADS:-2}

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk) >/tmp/ys-load-apt.log 2>&1 ||
    { cat /tmp/ys-load-apt.log; exit 1; }
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

go build -o "$work/yingshang" ../cmd/yingshang
go build -o "$work/hello" ./hello

hport=$(freeport)
"$work/hello" -addr "127.0.0.1:$hport" &
pids+=($!)
port=$(freeport)
db_args=()
if [ -n "${YS_LOAD_DATABASE_URL:-}" ]; then db_args=(--database-url "$YS_LOAD_DATABASE_URL"); fi
"$work/yingshang" demo --addr "127.0.0.1:$port" --data-dir "$work/data" --log-level warn "${db_args[@]}" >"$work/demo.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && grep -q 'Open311 api_key' "$work/demo.log" && break
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null || { echo "demo did not start:"; tail -30 "$work/demo.log"; exit 1; }
key=$(sed -n 's/.*Open311 api_key: *//p' "$work/demo.log" | tr -d '[:space:]')
[ -n "$key" ] || { echo "no Open311 api_key in the demo's output"; exit 1; }

# A guide and a certificate to verify, found as a visitor and a citizen would.
guide=$(curl -fsS "$base/catalog" | grep -o '/catalog/items/[^"?]*' | head -1)
jar="$work/cookies"
curl -fsS -c "$jar" -o /dev/null -H "Origin: $base" --data 'username=zhangsan&password=Yunlan%402026' "$base/signin" || true
cert=$(curl -fsS -b "$jar" "$base/my/certificates" | grep -o '/certificates/[0-9]*' | head -1 || true)
verify=""
[ -n "$cert" ] && verify=$(curl -fsS -b "$jar" "$base$cert" | grep -o '/verify/[A-Za-z0-9_-]*' | head -1 || true)

load() { cut -d' ' -f1-3 /proc/loadavg; }

# measure NAME URL [wrk args…]: prints requests/s, p50/p99 and non-2xx.
declare -A rps
measure() {
  local name=$1 url=$2; shift 2
  local before out r p50 p99 bad
  before=$(load)
  out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url" 2>&1)
  r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  total=$(awk '/requests in/ {print $1}' <<<"$out")
  bad=${bad:-0}
  # Count only the answers that succeeded.
  local ok
  ok=$(awk -v t="$total" -v b="$bad" -v s="$secs" -v r="$r" 'BEGIN { if (t > 0) printf "%.0f", r * (t - b) / t; else print 0 }')
  rps[$name]=$ok
  local ratio="-"
  if [ -n "${rps[hello]:-}" ] && [ "$name" != hello ]; then
    ratio=$(awk -v a="$ok" -v b="${rps[hello]}" 'BEGIN { printf "%.1f%%", 100 * a / b }')
  fi
  printf '%-28s %9s/s  p50 %-9s p99 %-9s failed %-6s of hello %-7s load %s → %s\n' \
    "$name" "$ok" "$p50" "$p99" "$bad" "$ratio" "$before" "$(load)"
}

echo "yingshang load test: wrk -t$threads -c$conns -d${secs}s, $(nproc) cores, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "database: ${YS_LOAD_DATABASE_URL:+PostgreSQL}${YS_LOAD_DATABASE_URL:-SQLite (demo)}" | sed 's/postgres:.*/PostgreSQL/'
measure hello "http://127.0.0.1:$hport/"
measure "/catalog" "$base/catalog"
[ -n "$guide" ] && measure "guide $guide" "$base$guide"
measure "/faq" "$base/faq"
measure "/hotline/ranking" "$base/hotline/ranking"
if [ -n "$verify" ]; then
  measure "/verify/{token}" "$base$verify"
  measure "verify API" "$base/api/v1/certificates$verify"
fi
measure hello "http://127.0.0.1:$hport/"
export YS_KEY=$key
measure "Open311 POST, varied" "$base" -s load/open311.lua
export YS_SAME_PLACE=1
measure "Open311 POST, same place" "$base" -s load/open311.lua
unset YS_SAME_PLACE
measure "JSON API POST, varied" "$base" -s load/api.lua
echo "intake figures are orders/s (answers 201); public pages are requests/s of anonymous GETs"
