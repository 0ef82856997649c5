#!/usr/bin/env bash
# Two gateway replicas acting as one, on one machine: a private PostgreSQL cluster (control
# database), redis-server (coordination) and s3rver (an S3-compatible server for the objects), all
# on loopback, all under one temporary directory, all stopped by Ctrl-C.
#
#   replica A   http://127.0.0.1:8080 (data)   http://127.0.0.1:8081 (control)
#   replica B   http://127.0.0.1:8090 (data)   http://127.0.0.1:8091 (control)
#   PostgreSQL  127.0.0.1:5439   Redis 127.0.0.1:6390   S3 http://127.0.0.1:9009 (bucket "gateway")
#
# The replicas' shared settings are in samples/multi-replica/replicas.env (read as environment
# variables, Section__Key=value). Other ports: OG_A_PORT, OG_B_PORT (data; control is +1),
# OG_PG_PORT, OG_REDIS_PORT, OG_S3_PORT. OG_GATEWAY_DLL runs an already built OriginGateway.dll
# instead of building src/OriginGateway. Needs the .NET SDK, apt postgresql and redis-server, and npm
# (s3rver comes from the npm package @20minutes/s3rver, installed into tests/node).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
a_port=${OG_A_PORT:-8080}
b_port=${OG_B_PORT:-8090}
pg_port=${OG_PG_PORT:-5439}
redis_port=${OG_REDIS_PORT:-6390}
s3_port=${OG_S3_PORT:-9009}

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pg_bin" ] || { echo "run.sh: PostgreSQL is needed (apt-get install postgresql)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "run.sh: redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
if [ ! -d "$repo/tests/node/node_modules/@20minutes/s3rver" ]; then
  echo "run.sh: installing s3rver (npm ci in tests/node)"
  (cd "$repo/tests/node" && npm ci --no-audit --no-fund --loglevel=error)
fi

# shellcheck source=../lib.sh
. "$repo/samples/lib.sh"
require_free_port "$a_port" "replica A's data endpoint" OG_A_PORT
require_free_port "$(( a_port + 1 ))" "replica A's control endpoint" OG_A_PORT
require_free_port "$b_port" "replica B's data endpoint" OG_B_PORT
require_free_port "$(( b_port + 1 ))" "replica B's control endpoint" OG_B_PORT
require_free_port "$pg_port" "PostgreSQL" OG_PG_PORT
require_free_port "$redis_port" "Redis" OG_REDIS_PORT
require_free_port "$s3_port" "s3rver" OG_S3_PORT
chmod 755 "$work"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() { as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1; }
stop_hooks+=(stop_postgres)

# PostgreSQL: a private cluster (initdb refuses to run as root: the postgres user owns it then).
mkdir -p "$work/pg"
[ "$(id -u)" -ne 0 ] || chown postgres "$work" "$work/pg"
as_pg "$pg_bin/initdb" -D "$work/pg" -A trust -U og >"$work/initdb.log" 2>&1 || fail_with_log "initdb failed" "$work/initdb.log"
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1" -l "$work/pg.log" -w start >/dev/null \
  || fail_with_log "PostgreSQL did not start" "$work/pg.log"

# Redis, nothing persisted.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no > "$work/redis.log" 2>&1 &
pids+=($!)
redis_pid=$!

# s3rver with the bucket "gateway".
# (s3rver.js stops when its stdin closes: an idle pipe keeps it open.)
setsid bash -c "cd '$repo/tests/node' && tail -f /dev/null | S3RVER_PORT=$s3_port node s3rver.js '$work/s3' gateway" > "$work/s3.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$s3_port/" "s3rver" 60 "$!" "$work/s3.log"
for _ in $(seq 1 20); do (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break; sleep 0.25; done
kill -0 "$redis_pid" 2>/dev/null || fail_with_log "redis-server exited" "$work/redis.log"

dll=${OG_GATEWAY_DLL:-}
if [ -z "$dll" ]; then
  echo "run.sh: building the gateway"
  dotnet build "$repo/src/OriginGateway" -c Release -v q -nologo >"$work/build.log" 2>&1 || fail_with_log "the build failed" "$work/build.log"
  dll=$repo/src/OriginGateway/bin/Release/net10.0/OriginGateway.dll
fi

set -a
# shellcheck source=replicas.env
. "$repo/samples/multi-replica/replicas.env"
Database__ConnectionString="Host=127.0.0.1;Port=$pg_port;Database=postgres;Username=og"
Coordination__Redis="127.0.0.1:$redis_port"
Buckets__0__Storage__ServiceUrl="http://127.0.0.1:$s3_port"
set +a

start_replica() { # name, data port
  DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development setsid dotnet "$dll" \
    --Endpoints:Data="http://127.0.0.1:$2" --Endpoints:Control="http://127.0.0.1:$(( $2 + 1 ))" \
    --DataDirectory="$work/$1" > "$work/$1.log" 2>&1 &
  pids+=($!)
  printf -v "${1}_pid" '%s' "$!"
}
# One first, so the migrations run once; the second finds them done.
start_replica a "$a_port"
wait_for "http://127.0.0.1:$(( a_port + 1 ))/readyz" "replica A" 120 "$a_pid" "$work/a.log"
start_replica b "$b_port"
wait_for "http://127.0.0.1:$(( b_port + 1 ))/readyz" "replica B" 120 "$b_pid" "$work/b.log"

cat <<TXT
Ready — two replicas of one gateway:
  replica A  http://127.0.0.1:$a_port (data)  http://127.0.0.1:$(( a_port + 1 )) (control)
  replica B  http://127.0.0.1:$b_port (data)  http://127.0.0.1:$(( b_port + 1 )) (control)
  shared     PostgreSQL 127.0.0.1:$pg_port · Redis 127.0.0.1:$redis_port · S3 http://127.0.0.1:$s3_port (bucket gateway, prefix objects/)
Try it (README, "Several replicas"): a rule PUT through A is used by B; an object PUT through B is read through A.
Logs: $work/a.log $work/b.log $work/pg.log $work/redis.log $work/s3.log — Ctrl-C stops everything.
TXT
# If any process stops, everything stops.
wait -n "${pids[@]}" || true
echo "run.sh: a process of the sample stopped; stopping the others" >&2
exit 1
