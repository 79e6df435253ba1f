#!/bin/bash
# A job array: ten tasks, at most three at a time, one output file each.
#   mbatch submit examples/batch/array.sh
#   mbatch queue          # 12_[3-9] (JobArrayTaskLimit) while three run
#SBATCH --job-name=squares
#SBATCH --array=0-9%3
#SBATCH --time=0:30
#SBATCH --output=squares-%A_%a.out

i=$SLURM_ARRAY_TASK_ID
echo "task $i of array $SLURM_ARRAY_JOB_ID (job $SLURM_JOB_ID): $i squared is $((i * i))"
sleep 2
