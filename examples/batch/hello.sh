#!/bin/bash
# A first batch job, written for Slurm and run unchanged by mbatch:
#   mbatch submit examples/batch/hello.sh
#SBATCH --job-name=hello
#SBATCH --cpus-per-task=1
#SBATCH --mem=64M
#SBATCH --time=00:01:00
#SBATCH --output=hello-%j.out

echo "Hello from job $SLURM_JOB_ID ($SLURM_JOB_NAME) on $SLURM_JOB_NODELIST"
echo "submitted from $SLURM_SUBMIT_DIR, running in $(pwd)"
echo "cpus per task: $SLURM_CPUS_PER_TASK"
