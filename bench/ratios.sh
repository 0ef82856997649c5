#!/usr/bin/env bash
# The gateway beside its nginx peers, from one interleaved raw file (run.sh --raw):
# median of every round per target and scenario, then gateway / nginx with the bars of
# spec 05-performance.md §5.2.   ratios.sh RAW.tsv [PEAK_RSS_MIB]
set -euo pipefail
RAW=$1 RSS=${2:-?}
awk -F'\t' -v rss="$RSS" '
function med(list,   a, n, i, j, t) {
  n = split(list, a, " "); if (n == 0) return ""
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j+1] = a[j]; a[j+1] = t }
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
$1 == "label" { next }
{
  k = $1 SUBSEP $2
  if ($4 != "-") rps[k] = rps[k] " " $4
  if ($7 != "-") mb[k] = mb[k] " " $7
  if ($8 != "-") wall[k] = wall[k] " " $8
  if ($9 != "-") orig[k] = orig[k] " " $9
  if (match($12, /ttfb-p50=[0-9.]+/)) ttfb[k] = ttfb[k] " " substr($12, RSTART + 9, RLENGTH - 9)
  if ($11 != "ok" && $11 != "-") bad[k] = bad[k] " rep" $3 ":" $11
  n[k]++
}
function row(sc, peer, metric, higher, bar,   g, p, r, ok, extra) {
  g = (metric == "rps") ? med(rps["gateway" SUBSEP sc]) : (metric == "mb") ? med(mb["gateway" SUBSEP sc]) : med(wall["gateway" SUBSEP sc])
  p = (metric == "rps") ? med(rps[peer SUBSEP sc]) : (metric == "mb") ? med(mb[peer SUBSEP sc]) : med(wall[peer SUBSEP sc])
  if (g == "" || p == "" || p + 0 == 0) { printf "| %s | %s | - | - | - | %s | - | not run |\n", sc, peer, bar; return }
  r = g / p
  ok = higher ? (r >= bar + 0) : (r <= bar + 0)
  extra = ""
  if (sc == "herd") {
    extra = sprintf("origin reqs gateway %s / %s %s; TTFB p50 gateway %s ms / %s %s ms", orig["gateway" SUBSEP sc], peer, orig[peer SUBSEP sc], med(ttfb["gateway" SUBSEP sc]), peer, med(ttfb[peer SUBSEP sc]))
    if (orig["gateway" SUBSEP sc] !~ /^( 1)+$/) ok = 0
  } else if (sc ~ /^cold/) extra = sprintf("TTFB p50 gateway %s ms / %s ms; origin reqs %s", med(ttfb["gateway" SUBSEP sc]), med(ttfb[peer SUBSEP sc]), med(orig["gateway" SUBSEP sc]))
  if (bad["gateway" SUBSEP sc] != "") { ok = 0; extra = extra " verify:" bad["gateway" SUBSEP sc] }
  printf "| %s | %s | %s | %s | %.2f | %s %s | %s | %s |\n", sc, peer, g, p, r, higher ? ">=" : "<=", bar, ok ? "met" : "MISSED", extra
}
END {
  print "| scenario | peer | gateway (median) | peer (median) | gateway / peer | first bar | | notes |"
  print "|---|---|---|---|---|---|---|---|"
  row("hit1k", "nginx-static", "rps", 1, 0.5)
  row("hitmulti", "nginx-static", "rps", 1, 0.5)
  row("hit1m", "nginx-static", "mb", 1, 0.6)
  row("cold1k", "nginx-mirror", "wall", 0, 1.5)
  row("cold1m", "nginx-mirror", "wall", 0, 1.2)
  row("herd", "nginx-cache", "wall", 0, 1.2)
  row("proxy64k", "nginx-proxy", "rps", 1, 0.8)
  row("redirect", "nginx-redirect", "rps", 1, 0.5)
  printf "\nUnits: req/s for hit1k, hitmulti, proxy64k, redirect; MB/s for hit1m; wall seconds for cold1k, cold1m, herd.\n"
  printf "Gateway peak RSS (VmHWM) over the whole run: %s MiB (bar: < 200 MiB).\n", rss
}' "$RAW"
