#!/usr/bin/env bash
# Convert, Re-engage and Contracts queue server fns under load: a 70,000-account demo (about
# 10,000 running trials and 10,000 losses), 32 concurrent clients and one (wrk, Debian's package).
# Usage: bash .ci/bench/queues.sh   (after `cargo build --release -p server` and `cargo leptos build`)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
dir=$(mktemp -d)
accounts="${ACCOUNTS:-70000}"
DATABASE_URL="sqlite://$dir/q.db" RUST_LOG=error target/release/server demo --accounts "$accounts"
DATABASE_URL="sqlite://$dir/q.db" LEPTOS_SITE_ADDR=127.0.0.1:3778 LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
  target/release/server serve >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs http://127.0.0.1:3778/healthz >/dev/null && break; sleep 1; done
call() {
  curl -fs -X POST -H 'Cookie: success_demo=1' -H 'Origin: http://127.0.0.1:3778' \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "query[page]=1" "http://127.0.0.1:3778/api/fn/$1"
}
# The rescoring at start scores every trial and loss; wait until the queues carry likelihoods.
for _ in $(seq 1 300); do call convert_queue | grep -q '"percent"' && break; sleep 1; done
for fn in convert_queue reengage contracts; do
  total=$(call "$fn" | grep -o '"total":[0-9]*' | head -1)
  echo "== $fn ($total) — 32 concurrent clients"; FN=$fn wrk -t2 -c32 -d15s -s .ci/bench/queues.lua http://127.0.0.1:3778 | tail -5
  echo "== $fn — 1 client"; FN=$fn wrk -t1 -c1 -d8s -s .ci/bench/queues.lua http://127.0.0.1:3778 | tail -5
done
