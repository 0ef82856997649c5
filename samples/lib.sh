# Shared by the sample scripts (sourced): a work directory, children that each lead their own process
# group (so a child's children stop with it), one cleanup on exit or Ctrl-C, and a readiness wait.
#   work        the temporary directory (logs, data), removed at exit
#   pids        append "$!" of every child started with setsid
#   stop_hooks  append the name of a function to run at exit before the directory goes (e.g. a database)
work=$(mktemp -d)
pids=()
stop_hooks=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for hook in "${stop_hooks[@]}"; do "$hook" || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # url, what, seconds
  for _ in $(seq 1 $(( ${3:-60} * 2 ))); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.5
  done
  echo "run.sh: $2 did not start; see $work/*.log" >&2
  exit 1
}
