#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for CI and for trying the
# job-array scripts (docs/scaling.md): munge, slurmctld and slurmd, one node
# with this machine's CPUs, one partition. No cgroups (proctrack/linuxproc,
# task/none), so it runs in a container or a plain VM without systemd.
#
# Run as root on Debian or Ubuntu:  deploy/slurm/local-cluster.sh
#   --install   apt-get install slurm-wlm and munge first if missing
#   --stop      stop the daemons it started
# It is idempotent: a cluster already answering is left as it is.
set -euo pipefail

conf=/etc/slurm/slurm.conf
marker="# written by iopsim deploy/slurm/local-cluster.sh"

stop() {
    for d in slurmd slurmctld munged; do
        if pid=$(pidof "$d"); then kill $pid || true; fi
    done
}

case "${1:-}" in
--stop) stop; exit 0 ;;
--install)
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge
    fi ;;
"") ;;
*) echo "usage: $0 [--install | --stop]" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
    echo "error: run as root (it writes $conf and starts the daemons)" >&2
    exit 1
fi
for cmd in munged slurmctld slurmd sbatch sinfo; do
    command -v "$cmd" >/dev/null || { echo "error: $cmd missing: apt-get install slurm-wlm munge (or run with --install)" >&2; exit 1; }
done

if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
    echo "slurm: a cluster already answers; left as it is"
    sinfo
    exit 0
fi

if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
    echo "error: $conf exists and was not written by this script; not replacing it" >&2
    exit 1
fi

# munge: the key (the package usually makes one), its directories, the daemon.
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --force; else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge && chmod 0400 /etc/munge/munge.key
if ! pidof munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged
fi
munge -n | unmunge >/dev/null

# slurm.conf: this host as controller and only node, all its CPUs, memory in MB.
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > "$conf" <<CONF
$marker
ClusterName=iopsim-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

pidof slurmctld >/dev/null || slurmctld
pidof slurmd >/dev/null || slurmd

for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mix|alloc'; then
        echo "slurm: single-node cluster up ($host, $cpus CPUs)"
        sinfo
        exit 0
    fi
    # A node that was down in an earlier life comes back.
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    sleep 1
done
echo "error: the node never became idle; see /var/log/slurm/slurmctld.log and slurmd.log" >&2
sinfo >&2 || true
tail -20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
