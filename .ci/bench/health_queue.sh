#!/usr/bin/env bash
# Health queue server fn under load: 10,000 demo accounts, 32 concurrent clients (wrk, Debian's package).
# Usage: bash .ci/bench/health_queue.sh   (after `cargo build --release -p server` and `cargo leptos build --split`)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
dir=$(mktemp -d)
DATABASE_URL="sqlite://$dir/q.db" RUST_LOG=error target/release/server demo --accounts 10000
# SUCCESS_READ_CACHE_SECONDS=0 measures every call going to the database.
DATABASE_URL="sqlite://$dir/q.db" LEPTOS_SITE_ADDR=127.0.0.1:3777 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  SUCCESS_READ_CACHE_SECONDS="${SUCCESS_READ_CACHE_SECONDS:-2}" target/release/server serve >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:3777/healthz >/dev/null && break; sleep 1; done
sleep 5 # the first rescoring at start
echo "== 32 concurrent clients"; wrk -t2 -c32 -d20s -s .ci/bench/health_queue.lua http://127.0.0.1:3777 | tail -5
echo "== 1 client"; wrk -t1 -c1 -d10s -s .ci/bench/health_queue.lua http://127.0.0.1:3777 | tail -5
