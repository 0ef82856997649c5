#!/usr/bin/env bash
# Local origin-rule testing: two WireMock origins and the gateway with samples/origin-rules/mixed.xml
# on the default bucket. Then follow the walkthrough in the README ("Try the rules with WireMock").
#
#   healthy origin   http://127.0.0.1:9001   samples/wiremock/healthy   (logo, live status, reports, an archive)
#   failing origin   http://127.0.0.1:9002   samples/wiremock/failing   (503 for everything)
#   gateway          http://127.0.0.1:8080 (data)   http://127.0.0.1:8081 (control, /metrics, /admin)
#
# Ctrl-C stops all three. Other ports: OG_DATA_PORT, OG_CONTROL_PORT, OG_HEALTHY_PORT, OG_FAILING_PORT.
# OG_GATEWAY replaces the gateway command (default: dotnet run --project src/OriginGateway --).
# Needs only the .NET SDK: the origins are WireMock.Net (samples/wiremock/origin) serving the JSON
# mapping files of samples/wiremock/healthy and samples/wiremock/failing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
data_port=${OG_DATA_PORT:-8080}
control_port=${OG_CONTROL_PORT:-8081}
healthy_port=${OG_HEALTHY_PORT:-9001}
failing_port=${OG_FAILING_PORT:-9002}
gateway=${OG_GATEWAY:-dotnet run --project "$repo/src/OriginGateway" --}

# shellcheck source=../lib.sh
. "$repo/samples/lib.sh"
require_free_port "$healthy_port" "the healthy WireMock origin" OG_HEALTHY_PORT
require_free_port "$failing_port" "the failing WireMock origin" OG_FAILING_PORT
require_free_port "$data_port" "the gateway's data endpoint" OG_DATA_PORT
require_free_port "$control_port" "the gateway's control endpoint" OG_CONTROL_PORT

dotnet build "$repo/samples/wiremock/origin" -v q -nologo > "$work/origin-build.log" 2>&1 || fail_with_log "the WireMock.Net origin did not build" "$work/origin-build.log"
origin_dll=$repo/samples/wiremock/origin/bin/Debug/net10.0/WireMockOrigin.dll

start_origin() { # name, port
  setsid dotnet "$origin_dll" "$2" "$repo/samples/wiremock/$1/mappings" > "$work/$1.log" 2>&1 &
  pids+=($!)
  printf -v "${1}_pid" '%s' "$!"
}
start_origin healthy "$healthy_port"
start_origin failing "$failing_port"
wait_for "http://127.0.0.1:$healthy_port/__admin/mappings" "the healthy WireMock origin" 120 "$healthy_pid" "$work/healthy.log"
wait_for "http://127.0.0.1:$failing_port/__admin/mappings" "the failing WireMock origin" 60 "$failing_pid" "$work/failing.log"

# The sample rules name ports 9001 and 9002; other ports are written into a copy.
sed -e "s/127\.0\.0\.1:9001/127.0.0.1:$healthy_port/g" -e "s/127\.0\.0\.1:9002/127.0.0.1:$failing_port/g" \
  "$repo/samples/origin-rules/mixed.xml" > "$work/rules.xml"

DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development setsid $gateway \
  --Endpoints:Data=http://127.0.0.1:$data_port --Endpoints:Control=http://127.0.0.1:$control_port \
  --DataDirectory="$work/data" --Buckets:0:OriginFile="$work/rules.xml" > "$work/gateway.log" 2>&1 &
pids+=($!)
gateway_pid=$!
# The first `dotnet run` restores and builds the project: give it a few minutes.
wait_for "http://127.0.0.1:$control_port/readyz" "the gateway" 300 "$gateway_pid" "$work/gateway.log"

cat <<TXT
Ready:
  healthy origin  http://127.0.0.1:$healthy_port   failing origin  http://127.0.0.1:$failing_port
  gateway         http://127.0.0.1:$data_port (data)   http://127.0.0.1:$control_port (control: /metrics, /admin)
  rules           samples/origin-rules/mixed.xml on examplebucket-1250000000
Follow the walkthrough in the README in another terminal; Ctrl-C here stops everything.
Gateway log: $work/gateway.log
TXT
# If any of the three stops, the others stop too.
wait -n "${pids[@]}" || true
echo "run.sh: a process of the sample stopped; stopping the others" >&2
exit 1
