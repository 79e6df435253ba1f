#!/bin/bash
# A layout over sockets and memory kept local. Try it on agents with a
# synthetic topology:
#   mosaic cluster up --agents 2 --agent-resources 'cpus:16;mem:8192' \
#       --agent-arg='--topology=pack:2 numa:1 core:8 pu:1'
#   mbatch submit examples/batch/numa.sh
#SBATCH --job-name=layout
#SBATCH --sockets-per-node=2
#SBATCH --cores-per-socket=2
#SBATCH --mem-bind=local
#SBATCH --time=0:30
#SBATCH --output=layout-%j.out

echo "job $SLURM_JOB_ID: $SLURM_CPUS_ON_NODE cpus, two cores on each of two sockets"
grep -E 'Cpus_allowed_list|Mems_allowed_list' /proc/self/status
