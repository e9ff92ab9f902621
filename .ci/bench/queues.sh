#!/usr/bin/env bash
# Convert, Re-engage and Contracts queue server fns under load: a 70,000-account demo (about
# 10,000 running trials and 10,000 losses), 32 concurrent clients and one (wrk, Debian's package).
# Usage: [FNS=convert_queue] bash .ci/bench/queues.sh   (after `cargo build --release -p server` and `cargo leptos build --split`)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
dir=$(mktemp -d)
accounts="${ACCOUNTS:-70000}"
DATABASE_URL="sqlite://$dir/q.db" RUST_LOG=error target/release/server demo --accounts "$accounts"
DATABASE_URL="sqlite://$dir/q.db" LEPTOS_SITE_ADDR=127.0.0.1:3778 LEPTOS_SITE_ROOT=target/site RUST_LOG=info,sqlx=warn \
  target/release/server serve >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:3778/healthz >/dev/null && break; sleep 1; done
call() {
  curl -fs -X POST -H 'Cookie: success_demo=1' -H 'Origin: http://127.0.0.1:3778' \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "query[page]=1" "http://127.0.0.1:3778/api/fn/$1"
}
# Measure the reads alone: wait for the rescoring every start runs (health, trials, losses).
for _ in $(seq 1 300); do grep -q 'rescored' "$dir/server.log" && break; sleep 1; done
for fn in ${FNS:-convert_queue reengage contracts}; do
  total=$(call "$fn" | grep -o '"total":[0-9]*' | head -1)
  # A few seconds first, so SQLite's page caches are warm (the first second of a cold start with
  # 32 clients is reported apart in the README).
  FN=$fn wrk -t2 -c32 -d4s -s .ci/bench/queues.lua http://127.0.0.1:3778 >/dev/null
  echo "== $fn ($total) — 32 concurrent clients"; FN=$fn wrk -t2 -c32 -d15s -s .ci/bench/queues.lua http://127.0.0.1:3778 | tail -5
  # One client, sequential, each call of 42 pages × filters: wrk's single-connection percentiles
  # disagree with its own throughput, so time these with curl.
  for i in $(seq 1 300); do
    extra=("" "&query[sort]=likelihood" "&query[filter]=likely" "&query[q]=labs" "&query[filter]=all" "&query[sort]=mrr")
    curl -s -o /dev/null -w "%{time_total}\n" -X POST -H 'Cookie: success_demo=1' -H 'Origin: http://127.0.0.1:3778' \
      -H 'Content-Type: application/x-www-form-urlencoded' --data "query[page]=$((i % 7 + 1))${extra[$((i % 6))]}" \
      "http://127.0.0.1:3778/api/fn/$fn"
  done | sort -n | awk '{a[NR]=$1*1000} END {printf "== 1 client, 300 calls: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", a[int(NR*0.5)], a[int(NR*0.95)], a[NR]}'
done
