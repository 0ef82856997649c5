#!/usr/bin/env bash
# The gateway beside its nginx peers, from one interleaved raw file (run.sh --raw): the median of
# every round per target and scenario (and the per-round spread), gateway / peer against the
# targets of issue 22 (spec 05-performance.md), the connections curve, the signed hit against the
# gateway's own anonymous hit, and CPU microseconds per request.   ratios.sh RAW.tsv [PEAK_RSS_MIB [FLOOR_PEAK_RSS_MIB]]
set -euo pipefail
RAW=$1 RSS=${2:-?} FLOOR_RSS=${3:-}
awk -F'\t' -v rss="$RSS" -v floorrss="$FLOOR_RSS" '
function sorted(list, a,   n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
  return n
}
function med(list,   a, n) {
  n = sorted(list, a); if (n == 0) return ""
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
function spread(list,   a, n) { n = sorted(list, a); return n ? a[1] "–" a[n] : "-" }
function val(target, sc, metric) { return (metric == "rps") ? rps[target SUBSEP sc] : (metric == "mb") ? mb[target SUBSEP sc] : wall[target SUBSEP sc] }
$1 == "label" { next }
{
  k = $1 SUBSEP $2
  if ($4 != "-") rps[k] = rps[k] " " $4
  if ($7 != "-") mb[k] = mb[k] " " $7
  if ($8 != "-") wall[k] = wall[k] " " $8
  if ($9 != "-") orig[k] = orig[k] " " $9
  if (match($12, /ttfb-p50=[0-9.]+/)) ttfb[k] = ttfb[k] " " substr($12, RSTART + 9, RLENGTH - 9)
  if (match($12, /cpu_us=[0-9.]+/)) cpu[k] = cpu[k] " " substr($12, RSTART + 7, RLENGTH - 7)
  if ($11 != "ok" && $11 != "-") bad[k] = bad[k] " rep" $3 ":" $11
  # The gateway peak resident memory so far after each of its records (run.sh --mem-pid): what each scenario added to it.
  if ($1 == "gateway" && match($12, /hwm_mib=[0-9]+/)) {
    h = substr($12, RSTART + 8, RLENGTH - 8) + 0
    if (!hwm) first = hwm = h
    else if (h > hwm) { rise[$2] += h - hwm; hwm = h }
  }
}
function row(sc, peer, metric, higher, bar, gsc,   gl, pl, g, p, r, ok, extra) {
  gsc = gsc ? gsc : sc
  gl = val("gateway", gsc, metric); pl = val(peer, sc, metric)
  g = med(gl); p = med(pl)
  if (g == "" || p == "" || p + 0 == 0) { printf "| %s | %s | - | - | - | %s %s | - | not run |\n", gsc, peer, higher ? ">=" : "<=", bar; return }
  r = g / p
  ok = higher ? (r >= bar + 0) : (r <= bar + 0)
  extra = sprintf("rounds: gateway %s, peer %s", spread(gl), spread(pl))
  if (sc ~ /^herd/) {
    extra = extra sprintf("; origin reqs gateway %s / peer %s; TTFB p50 gateway %s ms / peer %s ms (TTFB ratio %.2f, target <= 0.3)", orig["gateway" SUBSEP sc], orig[peer SUBSEP sc], med(ttfb["gateway" SUBSEP sc]), med(ttfb[peer SUBSEP sc]), med(ttfb[peer SUBSEP sc]) ? med(ttfb["gateway" SUBSEP sc]) / med(ttfb[peer SUBSEP sc]) : 0)
    if (orig["gateway" SUBSEP sc] !~ /^( 1)+$/) ok = 0
  } else if (sc ~ /^cold/) extra = extra sprintf("; TTFB p50 gateway %s ms / peer %s ms; origin reqs %s", med(ttfb["gateway" SUBSEP sc]), med(ttfb[peer SUBSEP sc]), med(orig["gateway" SUBSEP sc]))
  if (bad["gateway" SUBSEP gsc] != "") { ok = 0; extra = extra "; verify:" bad["gateway" SUBSEP gsc] }
  if (bad[peer SUBSEP sc] != "") extra = extra "; peer verify:" bad[peer SUBSEP sc]
  printf "| %s | %s | %s | %s | %.2f | %s %s | %s | %s |\n", gsc, peer, g, p, r, higher ? ">=" : "<=", bar, ok ? "met" : "MISSED", extra
}
function cpurow(sc, peer,   g, p) {
  g = med(cpu["gateway" SUBSEP sc]); p = med(cpu[peer SUBSEP sc])
  if (g == "" && p == "") return
  printf "| %s | %s | %s | %s | %s |\n", sc, g == "" ? "-" : g, p == "" ? "-" : p, peer, (g != "" && p != "" && p + 0 > 0) ? sprintf("%.2f", g / p) : "-"
}
function ratio(a, b) { return (a != "" && b != "" && b + 0 > 0) ? sprintf("%.2f", a / b) : "-" }
function orDash(x) { return x == "" ? "-" : x }
function floorrow(sc, peer,   n, f, g) {
  n = med(rps[peer SUBSEP sc]); f = med(rps["floor" SUBSEP sc]); g = med(rps["gateway" SUBSEP sc])
  printf "| %s | %s | %s | %s | %s | %s | %s / %s / %s |\n", sc, orDash(n), orDash(f), orDash(g), ratio(f, n), ratio(g, f), \
    orDash(med(cpu[peer SUBSEP sc])), orDash(med(cpu["floor" SUBSEP sc])), orDash(med(cpu["gateway" SUBSEP sc]))
}
END {
  print "| scenario | peer | gateway (median) | peer (median) | gateway / peer | target | | notes |"
  print "|---|---|---|---|---|---|---|---|"
  row("hit1k", "nginx-static", "rps", 1, 1.0)
  row("hitmulti", "nginx-static", "rps", 1, 1.0)
  row("hit1m", "nginx-static", "mb", 1, 1.0)
  row("cold1k", "nginx-mirror", "wall", 0, 1.0)
  row("cold1m", "nginx-mirror", "wall", 0, 1.0)
  row("herd", "nginx-cache", "wall", 0, 1.0)
  row("herd4", "nginx-cache", "wall", 0, 1.0)
  row("proxy64k", "nginx-proxy", "rps", 1, 1.2)
  row("redirect", "nginx-redirect", "rps", 1, 1.0)
  row("put1k", "nginx-dav", "rps", 1, 1.0)
  row("put1m", "nginx-dav", "mb", 1, 1.0)
  # The signed hit against the gateway own anonymous hit1k of the same rounds.
  row("hit1k", "gateway", "rps", 1, 0.9, "signedhit")
  # With paddedhit (hit1k with a header as long as the Authorization): the signed hit against the same bytes unsigned.
  if (rps["gateway" SUBSEP "paddedhit"] != "") {
    print "\nThe signed hit against hit1k with an unsigned header as long as the Authorization (the verification alone):\n"
    print "| scenario | peer | gateway (median) | peer (median) | gateway / peer | target | | notes |"
    print "|---|---|---|---|---|---|---|---|"
    row("paddedhit", "gateway", "rps", 1, 0.9, "signedhit")
  }
  for (k in rps) { split(k, kk, SUBSEP); if (kk[1] == "gateway" && kk[2] ~ /-c[0-9]+$/) curve[kk[2]] = 1 }
  n = 0; for (c in curve) names[++n] = c
  for (i = 2; i <= n; i++) { t = names[i]; for (j = i - 1; j >= 1 && (names[j] > t); j--) names[j+1] = names[j]; names[j+1] = t }
  if (n) {
    print "\nConnections curve (hit1k and proxy64k at other concurrencies; c=64 is the row above):\n"
    print "| scenario | peer | gateway (median) | peer (median) | gateway / peer | target | | notes |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) row(names[i], names[i] ~ /^hit/ ? "nginx-static" : "nginx-proxy", "rps", 1, names[i] ~ /^hit/ ? 1.0 : 1.2)
  }
  print "\nCPU microseconds per request (median over rounds; gateway process vs the peer nginx master and workers):\n"
  print "| scenario | gateway | peer | which peer | gateway / peer |"
  print "|---|---|---|---|---|"
  cpurow("hit1k", "nginx-static"); cpurow("hitmulti", "nginx-static"); cpurow("hit1m", "nginx-static")
  cpurow("cold1k", "nginx-mirror"); cpurow("cold1m", "nginx-mirror")
  cpurow("proxy64k", "nginx-proxy"); cpurow("redirect", "nginx-redirect"); cpurow("put1k", "nginx-dav"); cpurow("put1m", "nginx-dav")
  cpurow("signedhit", "none"); cpurow("paddedhit", "none")
  # With --floor: Kestrel and YARP with nothing of the gateway between them, beside both.
  if (rps["floor" SUBSEP "hit1k"] rps["floor" SUBSEP "redirect"] rps["floor" SUBSEP "proxy64k"] != "") {
    print "\nThe framework floor (bench/OriginGateway.Floor: Kestrel from memory or a 302, the YARP forwarder; req/s and CPU-us per request, medians):\n"
    print "| scenario | nginx | floor | gateway | floor / nginx | gateway / floor | CPU-us nginx / floor / gateway |"
    print "|---|---|---|---|---|---|---|"
    floorrow("hit1k", "nginx-static"); floorrow("redirect", "nginx-redirect"); floorrow("proxy64k", "nginx-proxy")
    for (i = 1; i <= n; i++) if (rps["floor" SUBSEP names[i]] != "") floorrow(names[i], names[i] ~ /^hit/ ? "nginx-static" : "nginx-proxy")
  }
  printf "\nUnits: req/s for hit1k, hitmulti, proxy64k, redirect, put1k and the curve; MB/s for hit1m and put1m; wall seconds for cold1k, cold1m, herd, herd4.\n"
  printf "Gateway peak RSS (VmHWM) over the whole run: %s MiB (target: < 128 MiB).\n", rss
  if (hwm) {
    line = ""; n = 0
    for (sc in rise) if (rise[sc] > 0) names2[++n] = sc
    for (i = 2; i <= n; i++) { t = names2[i]; for (j = i - 1; j >= 1 && rise[names2[j]] < rise[t]; j--) names2[j+1] = names2[j]; names2[j+1] = t }
    for (i = 1; i <= n; i++) line = line sprintf("%s%s +%d", i > 1 ? ", " : "", names2[i], rise[names2[i]])
    printf "Where it rose (MiB, summed over the rounds; %d MiB after the first record): %s.\n", first, n ? line : "nowhere"
  }
  if (floorrss != "") printf "The floor\47s peak RSS over its scenarios (Kestrel and YARP alone, the gateway\47s runtime settings): %s MiB.\n", floorrss
}' "$RAW"
