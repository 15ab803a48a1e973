#!/usr/bin/env bash
# Stops the cluster start_local_cluster.sh started (same ONCOLM_SLURM_DIR): slurmd, slurmctld, by
# their PID files. munged is left running unless --munge is given: other SLURM clients on the host
# may use it, and it is cheap.
set -uo pipefail
dir=${ONCOLM_SLURM_DIR:-/tmp/oncolm-slurm}
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && echo "stop_local_cluster.sh: $file: PID $pid still running" >&2
  fi
  rm -f "$file"
}
stop_pidfile "$dir/slurmd.pid"
stop_pidfile "$dir/slurmctld.pid"
if [ "${1:-}" = --munge ]; then
  # munged writes its PID file here when started as start_local_cluster.sh starts it.
  pid=$(cat /run/munge/munged.pid 2>/dev/null || true)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
fi
exit 0
