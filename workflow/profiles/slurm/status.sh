#!/usr/bin/env bash
# Snakemake --cluster-status script: prints success, running or failed for a SLURM job id.
# Without it Snakemake 7 only notices that a job ended when the job itself writes its marker file,
# so a job SLURM kills (time limit, memory, scancel, node failure) would be waited on forever.
# `scontrol show job` works on every cluster while the job is in the controller's memory (MinJobAge
# after it ends, 300 s by default); sacct, which needs accounting (slurmdbd), is the fallback.
jobid=$1
state=$(scontrol show job -o "$jobid" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
if [ -z "$state" ]; then
  state=$(sacct -j "$jobid" -X -n -P -o State 2>/dev/null | head -n 1 | awk '{print $1}')
fi
case "$state" in
  COMPLETED) echo success ;;
  PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | REQUEUE_HOLD | REQUEUE_FED | RESIZING | \
    SIGNALING | STAGE_OUT | STOPPED | RESV_DEL_HOLD) echo running ;;
  "")
    # Neither knows the job: it ended long enough ago to be purged and accounting is off. Report
    # failure rather than wait forever; Snakemake then checks the outputs and names the log.
    echo "status.sh: SLURM knows no job $jobid (scontrol and sacct)" >&2
    echo failed ;;
  *) echo failed ;;  # FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE
esac
