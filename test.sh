#!/usr/bin/env bash
# OriginGateway's test command: installs what the tests need (apt and npm packages), builds in
# Release and runs every test. Usage: ./test.sh [extra `dotnet test` arguments]
set -euo pipefail
cd "$(dirname "$0")"

# System packages the tests start as real processes. Node.js drives the official SDKs; prometheus
# brings promtool and a real Prometheus for the metrics tests; chromium runs the admin page tests
# (driven by Playwright from tests/node, which never downloads a browser of its own); postgresql for the
# control-database suites on PostgreSQL (the tests start a private cluster of their own); redis-server
# for the coordination suites and the two-replica test (started per test on a free port); iproute2
# brings up loopback in the network namespaces the README's commands run in (ReadmeTests); util-linux
# brings prlimit and unshare (a gateway with a low open-file limit, or on a small disk of its own); awscli,
# python3-boto3, python3-boto (boto 2, for its Signature Version 2 presigned URLs), rclone, s3cmd, restic, duplicity (GnuPG-encrypted backups through boto3 and boto 2), git-annex, s3fs (a FUSE mount of a bucket) and pgbackrest (PostgreSQL's backups, its own
# C S3 client, over TLS) and s3backer (a block device in a bucket) are the real S3 clients the S3-dialect tests drive; aria2 splits a Mirror download over
# several connections; faketime runs the SDKs of a machine whose clock is wrong (ClockSkewTests); pgbouncer pools the control database in transaction mode; nginx is a real
# origin (its own Range, If-Match and ETag answers) for the resumed-body tests; clang and
# zlib1g-dev are what .NET's native compiler links with (the second pass below).
APT_PACKAGES=(prometheus chromium postgresql redis-server iproute2 util-linux awscli python3-boto3 python3-boto rclone s3cmd restic duplicity git-annex s3fs pgbackrest s3backer docker-registry skopeo umoci aria2 pgbouncer nginx faketime clang zlib1g-dev)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "test.sh: npm ci (tests/node)"
(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)

started=$(date +%s)
log=$(mktemp)
set +e
dotnet test OriginGateway.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Second pass: the gateway compiled natively (Native AOT: what the Dockerfile ships and bench/ measures)
# under every functional test that starts a gateway, again — trimming or a missing generated binder shows
# here, not in production. (The suites that start no gateway process — the Dockerfile's own publish,
# the README and sample scripts, Redis and S3 store contracts — ran in the first pass.)
native=$(mktemp -d)
echo "test.sh: native pass: dotnet publish -p:PublishAot=true, then the functional tests against it"
second=("$@")
if ((${#second[@]} == 0)); then
  second=(--filter "FullyQualifiedName!~.ContainerTests.&FullyQualifiedName!~.ReadmeTests.&FullyQualifiedName!~.SampleScriptTests.&FullyQualifiedName!~.RedisCoordinationTests.&FullyQualifiedName!~.S3ObjectStoreTests.")
fi
if dotnet publish src/OriginGateway -c Release -r linux-x64 -p:PublishAot=true -o "$native" -nologo -v q 2>&1 | tee -a "$log"; then
  ORIGIN_GATEWAY_NATIVE="$native/OriginGateway" dotnet test tests/OriginGateway.FunctionalTests -c Release \
    --logger "console;verbosity=normal" "${second[@]}" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
else
  echo "test.sh: the native publish failed"
  status=1
fi
rm -rf "$native"
set -e

# One plain closing line for CI: the sum over every test assembly.
awk '/^ +Passed: +[0-9]+ *$/ { p += $2 } /^ +Failed: +[0-9]+ *$/ { f += $2 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
# A failure is repeated here, at the end, so that the last lines of the output (all a CI summary may
# keep) name the failing tests and what they reported, not only how many failed.
if [ "$status" -ne 0 ]; then
  echo "test.sh: what failed:"
  # Each failure's message, and the first source lines of its stack trace (which assertion failed).
  awk '/^  (Passed|Skipped) / { trace = 0 }
       /^  Failed [^ ]/ { show = 1; n = 0; trace = 0; frames = 0 }
       /^  Stack Trace:/ { show = 0; trace = 1 }
       show && n < 25 { print; n++ }
       trace && /\.cs:line [0-9]+/ && frames < 3 { print; frames++ }' "$log"
fi
echo "test.sh: $(( $(date +%s) - started )) s"
rm -f "$log"
exit "$status"
