# Shared by the sample scripts (sourced): a work directory, children that each lead their own process
# group (so a child's children stop with it), one cleanup on exit or Ctrl-C, port checks before
# anything starts, and a readiness wait that watches the script's own process.
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

# Refuses to start, in one line, when something already listens on a port the sample needs.
require_free_port() { # port, what, variable that moves it
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
    echo "run.sh: port $1 ($2) is already in use on 127.0.0.1 — stop what listens there, or choose another port with $3=<port>" >&2
    exit 1
  fi
}

# Says what failed and shows the end of its log while the log still exists (the exit trap removes it).
fail_with_log() { # what, log file
  echo "run.sh: $1" >&2
  if [ -s "$2" ]; then
    echo "---- last lines of $(basename "$2") ----" >&2
    tail -n 30 "$2" >&2
    echo "----" >&2
  fi
  exit 1
}

# Waits until <url> answers 2xx while <pid> (the process that must answer) is alive.
wait_for() { # url, what, seconds, pid, log file
  for _ in $(seq 1 $(( ${3:-60} * 2 ))); do
    if ! kill -0 "$4" 2>/dev/null; then
      fail_with_log "$2 exited before it was ready" "$5"
    fi
    if curl -sf -o /dev/null "$1"; then
      # Answered: it must have been this process, still running, not another one on the port.
      kill -0 "$4" 2>/dev/null || fail_with_log "$2 exited before it was ready" "$5"
      return 0
    fi
    sleep 0.5
  done
  fail_with_log "$2 did not answer $1 within ${3:-60} s" "$5"
}
