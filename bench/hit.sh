#!/usr/bin/env bash
# Hit-path benchmark: the gateway (Release, embedded store) against nginx serving the same files,
# interleaved round by round, wrk on loopback. Prints median gateway / nginx ratios.
#   bench/hit.sh [--rounds N] [--duration 10s]
# Installs wrk and nginx with apt when missing. Everything it starts is stopped by process id.
set -euo pipefail
ROUNDS=3 DURATION=10s WARMUP=2s
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK=$(mktemp -d /tmp/og-bench-XXXXXX)
SECRET_ID=AKIDBENCHMARK SECRET_KEY=bench-secret-$RANDOM$RANDOM

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
GW_PORT=$(free_port) GW_CTL=$(free_port) NGX_PORT=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [[ -f $WORK/nginx.pid ]] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Corpus: the files nginx serves and the gateway stores, identical bytes.
mkdir -p "$WORK/static/hot/1k" "$WORK/static/hot/1m"
for i in $(seq -f '%06g' 1 1000); do head -c 1024 /dev/urandom >"$WORK/static/hot/1k/$i.bin"; done
head -c 1048576 /dev/urandom >"$WORK/static/hot/1m/000001.bin"

cat >"$WORK/nginx.conf" <<NGX
user root;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 8192; }
http {
  default_type application/octet-stream;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_timeout 65; keepalive_requests 100000;
  server_tokens off; access_log off;
  client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3; uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$NGX_PORT backlog=4096; root $WORK/static; location / { } }
}
NGX
nginx -c "$WORK/nginx.conf"

echo "bench: publishing the gateway (Release)"
dotnet publish src/OriginGateway/OriginGateway.csproj -c Release -o "$WORK/app" --nologo -v quiet >/dev/null
(cd "$WORK" && DOTNET_ENVIRONMENT=Production exec dotnet "$WORK/app/OriginGateway.dll" \
  --Endpoints:Data=http://127.0.0.1:$GW_PORT --Endpoints:Control=http://127.0.0.1:$GW_CTL \
  --DataDirectory="$WORK/gw" --Buckets:0:PublicRead=true \
  --Credentials:0:SecretId=$SECRET_ID --Credentials:0:SecretKey=$SECRET_KEY >"$WORK/gateway.log" 2>&1) &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GW_CTL/readyz" >/dev/null && break; sleep 0.2; done
GW_PID=$(pgrep -f "OriginGateway.dll --Endpoints:Data=http://127.0.0.1:$GW_PORT" | head -1)

# COS signature (03-security.md §3.1) with openssl, for the PUTs that load the corpus.
hmac() { printf '%s' "$2" | openssl dgst -sha1 -hmac "$1" | awk '{print $NF}'; }
cos_put() { # path file
  local now t key http sts sig host="127.0.0.1:$GW_PORT"
  now=$(date +%s); t="$now;$((now + 3600))"
  key=$(hmac "$SECRET_KEY" "$t")
  http=$(printf 'put\n%s\n\nhost=%s\n' "$1" "${host//:/%3A}")
  sts=$(printf 'sha1\n%s\n%s\n' "$t" "$(printf '%s\n' "$http" | sha1sum | cut -c1-40)")
  sig=$(hmac "$key" "$sts"$'\n')
  curl -sf -o /dev/null -X PUT --data-binary "@$2" -H "Authorization: q-sign-algorithm=sha1&q-ak=$SECRET_ID&q-sign-time=$t&q-key-time=$t&q-header-list=host&q-url-param-list=&q-signature=$sig" "http://$host$1"
}
echo "bench: loading 1001 objects into the gateway"
(cd "$WORK/static" && find hot -type f | sort) >"$WORK/keys"
while read -r k; do cos_put "/$k" "$WORK/static/$k"; done <"$WORK/keys"
for k in hot/1k/000001.bin hot/1m/000001.bin hot/1k/000777.bin; do
  cmp -s <(curl -sf "http://127.0.0.1:$GW_PORT/$k") "$WORK/static/$k" || { echo "bench: gateway serves wrong bytes for $k" >&2; exit 1; }
  cmp -s <(curl -sf "http://127.0.0.1:$NGX_PORT/$k") "$WORK/static/$k" || { echo "bench: nginx serves wrong bytes for $k" >&2; exit 1; }
done
grep '^hot/1k/' "$WORK/keys" | sed 's#^#/#' >"$WORK/paths"

# wrk -> "req/s MB/s"
run_wrk() { # url conc [multi]
  local out
  if [[ -n ${3:-} ]]; then out=$(BENCH_PATHS=$WORK/paths wrk -t2 -c"$2" -d"$DURATION" -s "$ROOT/bench/multi.lua" "$1")
  else out=$(wrk -t2 -c"$2" -d"$DURATION" "$1"); fi
  local errors; errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  [[ -z $errors ]] || echo "bench: errors: $errors" >&2
  awk '/^Requests\/sec/ {r=$2} /^Transfer\/sec/ {v=$2; if (v ~ /GB/) m=v*1000; else if (v ~ /MB/) m=v+0; else if (v ~ /KB/) m=v/1000; else m=v/1e6}
       END {printf "%.0f %.1f\n", r, m}' <<<"$out"
}
declare -A S
for url in "http://127.0.0.1:$GW_PORT" "http://127.0.0.1:$NGX_PORT"; do
  wrk -t2 -c64 -d"$WARMUP" "$url/hot/1k/000001.bin" >/dev/null; wrk -t2 -c16 -d"$WARMUP" "$url/hot/1m/000001.bin" >/dev/null
done
for r in $(seq "$ROUNDS"); do
  for target in gateway nginx; do
    [[ $target == gateway ]] && base="http://127.0.0.1:$GW_PORT" || base="http://127.0.0.1:$NGX_PORT"
    read -r rps _ < <(run_wrk "$base/hot/1k/000001.bin" 64); S[$target.hit1k]+="$rps "
    read -r rps _ < <(run_wrk "$base" 64 multi); S[$target.hitmulti]+="$rps "
    read -r _ mbps < <(run_wrk "$base/hot/1m/000001.bin" 16); S[$target.hit1m]+="$mbps "
  done
  echo "bench: round $r: gateway ${S[gateway.hit1k]}| ${S[gateway.hitmulti]}| ${S[gateway.hit1m]}; nginx ${S[nginx.hit1k]}| ${S[nginx.hitmulti]}| ${S[nginx.hit1m]}"
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$GW_PID/status" 2>/dev/null || echo "?")

echo
echo "| scenario | unit | gateway (median) | nginx static (median) | gateway / nginx | rounds |"
echo "| --- | --- | --- | --- | --- | --- |"
for sc in hit1k hitmulti hit1m; do
  unit="req/s"; [[ $sc == hit1m ]] && unit="MB/s"
  g=$(median "${S[gateway.$sc]}") n=$(median "${S[nginx.$sc]}")
  printf '| %s | %s | %s | %s | %.2f | %s |\n' "$sc" "$unit" "$g" "$n" "$(awk -v g="$g" -v n="$n" 'BEGIN {print g / n}')" "$ROUNDS"
done
echo
echo "gateway peak RSS: ${rss} MiB; wrk -t2, hit1k/hitmulti c=64, hit1m c=16, $DURATION per run, nginx worker_processes auto, $(nproc) cores"
