#!/bin/bash
# Whole cores for a threaded program: four cores, packed on one socket, the
# job's processes bound to them by the agent (see CpusBound in
# `mbatch show`, and Cpus_allowed_list below).
#   mbatch submit examples/batch/openmp.sh
#SBATCH --job-name=omp
#SBATCH --cpus-per-task=4
#SBATCH --cpu-bind=cores
#SBATCH --time=0:30
#SBATCH --output=omp-%j.out

export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
echo "OMP_NUM_THREADS=$OMP_NUM_THREADS"
grep -E 'Cpus_allowed_list|Mems_allowed_list' /proc/self/status
