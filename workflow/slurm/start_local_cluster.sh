#!/usr/bin/env bash
# Starts a real single-node SLURM cluster on this host without systemd: munged, slurmctld and slurmd
# (Debian 12: apt-get install -y slurm-wlm munge), then waits until the node accepts jobs.
# Run as root. Everything the daemons write goes to ONCOLM_SLURM_DIR (default /tmp/oncolm-slurm);
# stop them with stop_local_cluster.sh (same directory).
# Prints `export SLURM_CONF=...`: sbatch, squeue, sinfo and scancel need it to find this cluster.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${ONCOLM_SLURM_DIR:-/tmp/oncolm-slurm}
# Ports other than SLURM's defaults (6817/6818) so that this cluster does not collide with a slurm
# already configured on the host; override if these are taken.
ctld_port=${ONCOLM_SLURMCTLD_PORT:-16817}
slurmd_port=${ONCOLM_SLURMD_PORT:-16818}
wait_s=${ONCOLM_SLURM_WAIT_S:-60}

die() { echo "start_local_cluster.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (slurmd and munged need it)"
for tool in munged munge unmunge slurmctld slurmd sinfo setpriv; do
  command -v "$tool" >/dev/null || die "$tool not found: apt-get install -y slurm-wlm munge"
done
getent passwd slurm >/dev/null || die "no 'slurm' user (the slurm-wlm package creates it)"
getent passwd munge >/dev/null || die "no 'munge' user (the munge package creates it)"

# munge: the package creates /etc/munge/munge.key but, without systemd, starts nothing. munged
# needs its socket directory /run/munge owned by the munge user and refuses to run as root.
[ -s /etc/munge/munge.key ] || die "/etc/munge/munge.key missing (reinstall munge or run mungekey)"
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge
  chown munge:munge /run/munge
  chmod 0755 /run/munge
  setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
munge -n | unmunge | grep -q 'STATUS: *Success' || die "munge does not work (munge -n | unmunge)"

if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
  die "a cluster already runs from $dir (stop_local_cluster.sh first)"
fi
mkdir -p "$dir/state" "$dir/spool"
host=$(hostname -s)
# The node line exactly as slurmd detects this host, so the declared CPUs and memory are true.
node_line=$(slurmd -C | grep '^NodeName=')
[ -n "$node_line" ] || die "slurmd -C printed no NodeName line"
node=$(sed 's/^NodeName=\([^ ]*\).*/\1/' <<<"$node_line")
sed -e "s|@HOST@|$host|g" -e "s|@DIR@|$dir|g" -e "s|@NODE_LINE@|$node_line|" -e "s|@NODE@|$node|g" \
    -e "s|@CTLD_PORT@|$ctld_port|" -e "s|@SLURMD_PORT@|$slurmd_port|" \
    "$here/slurm.conf.in" > "$dir/slurm.conf"
# slurmctld drops to SlurmUser=slurm: its state and log files must be writable by that user.
chown -R slurm:slurm "$dir"
chmod 0755 "$dir"
export SLURM_CONF="$dir/slurm.conf"

# Both daemonise; their PID files (in $dir) are how stop_local_cluster.sh finds them.
slurmctld
slurmd
deadline=$((SECONDS + wait_s))
until sinfo -h -N -o '%T' 2>/dev/null | grep -qx 'idle'; do
  if ((SECONDS > deadline)); then
    echo "start_local_cluster.sh: node not idle after ${wait_s}s; sinfo says:" >&2
    sinfo -N >&2 || true
    tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "local SLURM cluster up: node $node idle ($(sinfo -h -N -o '%c CPUs, %m MB')); logs in $dir" >&2
echo "export SLURM_CONF=$dir/slurm.conf"
