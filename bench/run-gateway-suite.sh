#!/usr/bin/env bash
# The project's benchmark: the gateway beside the nginx peers, in one interleaved run.
#
#   bench/run-gateway-suite.sh [--rounds N (3)] [--duration D (10s)] [--out DIR] [--no-warmup]
#                              [--scenarios LIST] [--gateway-only] [--native-v3 | --runtime | --jit] [--floor]
#                              [--no-settle]
#                              [-- extra gateway settings...]
#
# Installs nginx, wrk and the echo module when missing (apt), generates the corpus, starts the
# origin and the nginx peers, publishes the gateway in Release and starts it as a user would
# (Production, embedded store) with three public buckets whose rules point at the bench origin:
# mirror-1250000000 (Mirror), proxy-1250000000 (Proxy, CopyOriginData=false) and
# redirect-1250000000 (Redirect), and a private bucket private-1250000000 (Mirror) for the signed hit,
# with a benchmark credential that signs the PUTs and the signed hit. Then, round by round, every
# scenario against the gateway and against the matching nginx peer (static, mirror, cache, proxy,
# redirect, WebDAV), every byte verified, the CPU time of the gateway and of the peer's nginx
# processes charged to each wrk run's requests; prints the ratio table.
# The gateway is published compiled natively (Native AOT, the compiler's default x86-64 instruction set), as the
# Dockerfile publishes it (--native names that default too); --native-v3 compiles it natively with AVX2 code
# (x86-64-v3, where this machine has AVX2, as the JIT would use it); --runtime publishes the runtime build,
# precompiled (ReadyToRun for this machine's runtime, recompiled by the JIT when hot: the container's build until
# 2026-12-05), --jit the runtime build without precompiled code (every method compiled by the JIT at first call).
# --floor adds the frameworks' own floor as one more peer of hit1k, redirect, proxy64k and the two curves: Kestrel
# answering from memory or with a 302 and YARP's forwarder, nothing of the gateway between them
# (bench/OriginGateway.Floor: published as the gateway is, with the gateway's runtime settings); its peak
# resident memory is reported beside the gateway's.
# On ext4 without a journal a run that starts within six minutes of the previous run's clean-up first waits out the
# rest of them (--no-settle skips the wait): bench/README.md, "Deleted files and the cold runs".
# Everything runs on 127.0.0.1 and is stopped by process id at the end (also on Ctrl-C).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

ROUNDS=3 DURATION=10s OUT=/tmp/bench-results/gateway-suite-$(date +%Y%m%d-%H%M%S)
# signedhit and paddedhit run right after hit1k, their yardstick, under the same conditions (after put1m the next
# scenario paid for its aftermath: bench/README.md, "The signed hit's yardstick").
SCENARIOS=hit1k,signedhit,paddedhit,hitmulti,hit1m,cold1k,cold1m,herd,herd4,proxy64k,redirect,put1k,put1m,curvehit,curveproxy
GATEWAY_ONLY=0 WARMUP=1 EXTRA=() BUILD=native FLOOR=0 SETTLE=1
while (($#)); do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --gateway-only) GATEWAY_ONLY=1; shift ;;
    --no-warmup) WARMUP=0; shift ;;
    --native) BUILD=native; shift ;;
    --native-v3) BUILD=native-v3; shift ;;
    --runtime) BUILD=r2r; shift ;;
    --jit) BUILD=jit; shift ;;
    --floor) FLOOR=1; shift ;;
    --no-settle) SETTLE=0; shift ;;
    --) shift; EXTRA=("$@"); break ;;
    *) die "unknown option $1 (see the header of $0)" ;;
  esac
done
has() { [[ ,$SCENARIOS, == *,$1,* ]]; }
only() { local keep=() s; for s in "$@"; do has "$s" && keep+=("$s"); done; local IFS=,; echo "${keep[*]}"; }
RAW=$OUT/raw.tsv
# run.sh appends to the raw file: an --out that holds an earlier run would mix its rounds into this run's medians.
[[ ! -e $RAW ]] || die "$OUT already holds a run ($RAW); give another --out"
mkdir -p "$OUT"

need=()
for tool in nginx wrk curl; do command -v "$tool" >/dev/null || need+=("$tool"); done
[[ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ]] || need+=(libnginx-mod-http-echo)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# One run at a time: the origin and the peers live at fixed paths under /tmp, and a second run's
# clean-up would stop the first run's servers.
exec 9>/tmp/bench-suite.lock
flock -n 9 || die "another benchmark run is in progress (lock /tmp/bench-suite.lock)"

# ext4 without a journal does not reuse an inode for 60 s after its deletion (360 s while its table block is dirty), and
# every file it creates meanwhile scans past each such inode of its block group, so a run started right after the last
# one deleted its data pays for it in its first cold misses (bench/README.md, "Deleted files and the cold runs"). Each
# run notes when its clean-up ran; the next one waits out the rest.
CLEANED=/tmp/bench-suite.cleaned SETTLED=0
tmp_dev=$(df --output=source /tmp 2>/dev/null | tail -1) tmp_dev=${tmp_dev##*/}
if ((SETTLE)) && [[ -f $CLEANED && $(cat "/sys/fs/ext4/$tmp_dev/journal_task" 2>/dev/null) == "<none>" ]]; then
  SETTLED=$(($(cat "$CLEANED") + 360 - $(date +%s)))
  if ((SETTLED > 0)); then
    log "the last run deleted its files $((360 - SETTLED)) s ago on journal-less ext4: waiting ${SETTLED} s (--no-settle skips)"
    sleep "$SETTLED"
  else
    SETTLED=0
  fi
fi

GW_PID="" FLOOR_PID="" GW_DIR=$(mktemp -d /tmp/bench-gateway-XXXXXX)
cleanup() {
  [[ -z $GW_PID ]] || { kill "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; }
  [[ -z $FLOOR_PID ]] || { kill "$FLOOR_PID" 2>/dev/null || true; wait "$FLOOR_PID" 2>/dev/null || true; }
  "$BENCH_DIR/peers/peers.sh" stop || true
  "$BENCH_DIR/origin/origin.sh" stop || true
  rm -rf "$GW_DIR" "$OUT"/*/tmp
  date +%s >"$CLEANED"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BENCH_DIR/origin/gen-corpus.sh"
"$BENCH_DIR/origin/origin.sh" start >/dev/null
"$BENCH_DIR/peers/peers.sh" start --store /tmp/bench-store >/dev/null
# shellcheck disable=SC1091
. /tmp/bench-origin/origin.env
# shellcheck disable=SC1091
. /tmp/bench-peers/peers.env
ORIGIN_HOSTPORT=${ORIGIN_URL#http://}
ORIGIN_HOSTPORT=${ORIGIN_HOSTPORT%/}

GW_CMD=(dotnet "$GW_DIR/app/OriginGateway.dll")
case $BUILD in
  native | native-v3) PUBLISH=(-r linux-x64 -p:PublishAot=true) BUILT="Native AOT" GW_CMD=("$GW_DIR/app/OriginGateway")
    if [[ $BUILD == native-v3 ]] && grep -qw avx2 /proc/cpuinfo; then
      PUBLISH+=(-p:IlcInstructionSet=x86-64-v3) BUILT+=" (x86-64-v3)"
    else
      BUILT+=" (default instruction set)"
    fi ;;
  r2r) PUBLISH=(--use-current-runtime --self-contained false -p:PublishReadyToRun=true) BUILT=ReadyToRun ;;
  jit) PUBLISH=() BUILT=JIT ;;
esac
log "publishing the gateway (Release, $BUILT)"
dotnet publish "$ROOT/src/OriginGateway/OriginGateway.csproj" -c Release "${PUBLISH[@]}" -o "$GW_DIR/app" --nologo -v quiet >"$GW_DIR/publish.log" 2>&1 || { cat "$GW_DIR/publish.log"; die "publish failed"; }
rule() { # type host extra-parameter
  cat <<XML
<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>$1</OriginType>
<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix></Prefix></OriginCondition>
<OriginParameter><Protocol>HTTP</Protocol>$3</OriginParameter>
<OriginInfo><HostInfo><HostName>$2</HostName></HostInfo></OriginInfo></OriginRule></OriginConfiguration>
XML
}
rule Mirror "$ORIGIN_HOSTPORT" "" >"$GW_DIR/mirror.xml"
rule Proxy "$ORIGIN_HOSTPORT" "<CopyOriginData>false</CopyOriginData>" >"$GW_DIR/proxy.xml"
rule Redirect "$ORIGIN_HOSTPORT" "" >"$GW_DIR/redirect.xml"
GW_PORT=$(free_port) GW_CONTROL=$(free_port)
BENCH_ID=AKIDORIGINGATEWAYBENCH BENCH_KEY=origin-gateway-benchmark-secret
args=(--Endpoints:Data=http://127.0.0.1:$GW_PORT --Endpoints:Control=http://127.0.0.1:$GW_CONTROL
  --DataDirectory="$GW_DIR/data" --Egress:AllowedNetworks:0=127.0.0.0/8
  --Credentials:0:SecretId=$BENCH_ID --Credentials:0:SecretKey=$BENCH_KEY)
i=1
for mode in mirror proxy redirect; do
  args+=(--Buckets:$i:Name=$mode-1250000000 --Buckets:$i:PublicRead=true --Buckets:$i:OriginFile="$GW_DIR/$mode.xml")
  i=$((i + 1))
done
args+=(--Buckets:$i:Name=private-1250000000 --Buckets:$i:OriginFile="$GW_DIR/mirror.xml")
SIGN="${GW_CMD[*]} sign --secret-id $BENCH_ID --secret-key $BENCH_KEY --expires 3600"
args+=("${EXTRA[@]}")
(cd "$GW_DIR" && DOTNET_ENVIRONMENT=Production exec "${GW_CMD[@]}" "${args[@]}" >"$OUT/gateway.log" 2>&1) &
GW_PID=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$GW_CONTROL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$GW_CONTROL/readyz" >/dev/null || { cat "$OUT/gateway.log"; die "the gateway did not start"; }
GW_PID=$(pgrep -f "OriginGateway[.dl]* --Endpoints:Data=http://127.0.0.1:$GW_PORT" | head -1)
GW="http://127.0.0.1:$GW_PORT"
log "gateway pid $GW_PID on $GW; origin $ORIGIN_URL"

if ((FLOOR == 1)); then
  log "publishing the floor (Release, $BUILT)"
  dotnet publish "$BENCH_DIR/OriginGateway.Floor/OriginGateway.Floor.csproj" -c Release "${PUBLISH[@]}" -o "$GW_DIR/floor" --nologo -v quiet >"$GW_DIR/floor-publish.log" 2>&1 || { cat "$GW_DIR/floor-publish.log"; die "publish of the floor failed"; }
  FLOOR_CMD=(dotnet "$GW_DIR/floor/OriginGateway.Floor.dll")
  [[ $BUILD != native* ]] || FLOOR_CMD=("$GW_DIR/floor/OriginGateway.Floor")
  FLOOR_PORT=$(free_port)
  (cd "$GW_DIR" && DOTNET_ENVIRONMENT=Production exec "${FLOOR_CMD[@]}" --urls "http://127.0.0.1:$FLOOR_PORT" --Origin "$ORIGIN_URL" >"$OUT/floor.log" 2>&1) &
  FLOOR_PID=$!
  wait_port "$FLOOR_PORT" || { cat "$OUT/floor.log"; die "the floor did not start"; }
  FLOOR_URL="http://127.0.0.1:$FLOOR_PORT"
  FLOOR_TARGETS=(--target "$FLOOR_URL/hit" --proxy-target "$FLOOR_URL/proxy" --redirect-target "$FLOOR_URL/redirect" --no-store)
  log "floor pid $FLOOR_PID on $FLOOR_URL"
fi

{
  echo "date: $(date -Is)"
  echo "machine: $(nproc) cores, $(free -h | awk '/Mem:/ {print $2}') RAM, $(uname -sr)"
  echo "nginx: $(nginx -v 2>&1)  wrk: $(wrk -v 2>&1 | head -1)"
  echo "gateway: Release, $BUILT, Production, $(dotnet --version) SDK, buckets mirror/proxy/redirect-1250000000 on $GW"
  echo "rounds: $ROUNDS  duration: $DURATION"
  ((SETTLE)) || echo "settle: skipped (--no-settle)"
  ((SETTLED == 0)) || echo "settle: waited ${SETTLED} s after the last run's clean-up"
} >"$OUT/machine.txt"

# The nginx processes of a peer (master and workers), whose CPU time is charged to its requests.
nginx_pids() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }

# Warm-up, not recorded: JIT tiering of the miss, proxy and redirect paths (and nginx's caches)
# would otherwise land in round 1 only. --no-warmup measures what a freshly started gateway does.
if ((WARMUP == 1)); then
log "warm-up (not recorded)"
WARM=("$BENCH_DIR/run.sh" --reps 1 --duration 3s --warmup 1s --cold-small 500 --cold-large 10 --keep-scratch --raw "$OUT/warmup.tsv")
"${WARM[@]}" --out "$OUT/warmup-gateway" --label warmup-gateway --target "$GW/mirror-1250000000" \
  --proxy-target "$GW/proxy-1250000000" --redirect-target "$GW/redirect-1250000000" --scenarios "$(only hit1k hitmulti cold1k cold1m proxy64k redirect)" >/dev/null
if ((GATEWAY_ONLY == 0)); then
  "${WARM[@]}" --out "$OUT/warmup-mirror" --label warmup-mirror --target "$MIRROR_URL" --scenarios "$(only cold1k cold1m)" >/dev/null || true
  "${WARM[@]}" --out "$OUT/warmup-proxy" --label warmup-proxy --target "$PROXY_URL" --proxy-target "$PROXY_URL" --no-store --scenarios "$(only proxy64k)" >/dev/null || true
fi
if ((FLOOR == 1)); then
  "${WARM[@]}" --out "$OUT/warmup-floor" --label warmup-floor "${FLOOR_TARGETS[@]}" --scenarios "$(only hit1k proxy64k redirect)" >/dev/null || true
fi
fi

# --keep-scratch: the harness deletes none of its own files until the run ends (README.md, "Deleted files and the cold runs").
RUN=("$BENCH_DIR/run.sh" --reps 1 --duration "$DURATION" --keep-scratch --raw "$RAW")
for r in $(seq "$ROUNDS"); do
  log "===== round $r/$ROUNDS ====="
  : >"$ORIGIN_LOG"
  "${RUN[@]}" --out "$OUT/r$r-gateway" --label gateway --target "$GW/mirror-1250000000" \
    --proxy-target "$GW/proxy-1250000000" --redirect-target "$GW/redirect-1250000000" \
    --signed-target "$GW/private-1250000000" --sign-cmd "$SIGN" --cpu-pids "$GW_PID" --mem-pid "$GW_PID" --scenarios "$SCENARIOS" >/dev/null
  peer() { # label scenarios run.sh-args...
    local label=$1 list; list=$(only ${2//,/ }); shift 2
    [[ -z $list ]] || "${RUN[@]}" --out "$OUT/r$r-$label" --label "$label" --scenarios "$list" "$@" >/dev/null
  }
  ((FLOOR == 0)) || peer floor hit1k,proxy64k,redirect,curvehit,curveproxy "${FLOOR_TARGETS[@]}" --cpu-pids "$FLOOR_PID" --mem-pid "$FLOOR_PID"
  ((GATEWAY_ONLY == 0)) || continue
  peer nginx-static hit1k,hitmulti,hit1m,curvehit --target "$STATIC_URL" --cpu-pids "$(nginx_pids "$STATIC_PID")"
  : >"$ORIGIN_LOG"
  # The mirror's store is not emptied between repetitions (every repetition has its own key namespace, as the
  # gateway's): on a filesystem without a journal ext4 will not reuse an inode within 60 s of its deletion (300 s
  # while its inode table block is dirty) and scans past every such inode for each file it creates, so emptying the
  # store before each repetition charged nginx for the deletion of the last one — 4-5 x its CPU per miss
  # (bench/README.md, "Deleted files and the cold runs").
  peer nginx-mirror cold1k,cold1m --target "$MIRROR_URL" --store "$MIRROR_STORE" --cpu-pids "$(nginx_pids "$MIRROR_PID")"
  peer nginx-cache herd,herd4 --target "$CACHE_URL" --reset "$CACHE_RESET"
  peer nginx-proxy proxy64k,curveproxy --target "$PROXY_URL" --proxy-target "$PROXY_URL" --no-store --cpu-pids "$(nginx_pids "$PROXY_PID")"
  peer nginx-redirect redirect --target "$REDIRECT_URL" --redirect-target "$REDIRECT_URL" --cpu-pids "$(nginx_pids "$REDIRECT_PID")"
  peer nginx-dav put1k,put1m --target "$DAV_URL" --cpu-pids "$(nginx_pids "$DAV_PID")"
done

RSS=$(peak_rss_mib "$GW_PID")
FLOOR_RSS=""
((FLOOR == 0)) || FLOOR_RSS=$(peak_rss_mib "$FLOOR_PID")
# Where the gateway's resident memory is at the end (the peak's make-up is not kept by the kernel): anonymous,
# file-backed and shared totals, and the resident KiB of each mapping, largest first.
cat "/proc/$GW_PID/smaps_rollup" >"$OUT/gateway-memory.txt" 2>/dev/null || true
awk '/^[0-9a-f]+-[0-9a-f]+ / {name = NF >= 6 ? $6 : "[anonymous]"} /^Rss:/ {rss[name] += $2}
  END {for (n in rss) if (rss[n] >= 512) printf "%8d KiB  %s\n", rss[n], n}' "/proc/$GW_PID/smaps" 2>/dev/null \
  | sort -rn >>"$OUT/gateway-memory.txt" || true
"$BENCH_DIR/summarize.sh" "$RAW" >"$OUT/summary.md"
"$BENCH_DIR/ratios.sh" "$RAW" "$RSS" $FLOOR_RSS | tee "$OUT/ratios.md"
log "raw records: $RAW; per-target summary: $OUT/summary.md"
