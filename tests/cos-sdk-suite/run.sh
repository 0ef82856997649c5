#!/usr/bin/env bash
# Runs the official COS Node.js SDK's own test suite (test/test.js of a cos-nodejs-sdk-v5 checkout, with
# its own mocha) against the gateway, changing no line of it: COS host names are mapped to the gateway
# inside node (preload.js), TLS is terminated by the gateway with a throw-away certificate, and a stub
# STS endpoint hands out the gateway credential (sts.js). Prints mocha's report and a summary.
#
#   tests/cos-sdk-suite/run.sh <path of a cos-nodejs-sdk-v5 checkout> [mocha arguments…]
#
# The checkout needs its own packages (`npm install` in it). Not part of ./test.sh: the suite is not
# published with the SDK's npm package, so it cannot be installed by the test command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sdk=${1:?usage: run.sh <cos-nodejs-sdk-v5 checkout> [mocha arguments]}
sdk=$(cd "$sdk" && pwd)
shift
[ -f "$sdk/test/test.js" ] || { echo "run.sh: $sdk/test/test.js not found" >&2; exit 2; }
[ -x "$sdk/node_modules/.bin/mocha" ] || { echo "run.sh: run 'npm install' in $sdk first" >&2; exit 2; }

dll="$root/src/OriginGateway/bin/Release/net10.0/OriginGateway.dll"
[ -f "$dll" ] || dotnet build "$root/src/OriginGateway" -c Release -v q >/dev/null

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
tls_port=$(free_port); http_port=$(free_port); control_port=$(free_port); sts_port=$(free_port)

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cos.local" \
  -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1

secret_id=AKIDORIGINGATEWAYDEV
secret_key=origin-gateway-development-secret
bucket=test-1250000000
region=ap-guangzhou

# One gateway on https; the SDK's plain-http cases reach it through bridge.js.
mkdir -p "$work/data"
(cd "$work/data" && DOTNET_ENVIRONMENT=Development exec dotnet "$dll" \
  --Endpoints:Data="https://127.0.0.1:$tls_port" --Endpoints:Control="http://127.0.0.1:$control_port" --DataDirectory="$work/data" \
  --Kestrel:Certificates:Default:Path="$work/cert.pem" --Kestrel:Certificates:Default:KeyPath="$work/key.pem" \
  --Buckets:1:Name=$bucket --Buckets:1:Region=$region --Limits:MaxPutSize=1073741824 \
  >"$work/gateway.log" 2>&1) &
pids+=($!)
node "$here/bridge.js" "$http_port" "$tls_port" & pids+=($!)
node "$here/sts.js" "$sts_port" "$secret_id" "$secret_key" >/dev/null & pids+=($!)
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$control_port/healthz" && break
  sleep 0.2
done

cd "$sdk"
set +e
SecretId=$secret_id SecretKey=$secret_key Bucket=$bucket Region=$region Uin=1250000000 \
  nodejssdkStsUrl="http://127.0.0.1:$sts_port" OG_TLS_PORT=$tls_port OG_HTTP_PORT=$http_port \
  NODE_TLS_REJECT_UNAUTHORIZED=0 NODE_OPTIONS="--require $here/preload.js" \
  ./node_modules/.bin/mocha test/test.js --reporter spec "$@" 2>&1 | tee "$work/mocha.log"
status=${PIPESTATUS[0]}
set -e
echo
echo "cos-sdk-suite: $(grep -E '^ +[0-9]+ (passing|failing|pending)' "$work/mocha.log" | tr -s ' ' | paste -sd, -) (mocha exit $status)"
[ -z "${OG_KEEP_LOGS:-}" ] || cp "$work"/*.log "$OG_KEEP_LOGS"/
