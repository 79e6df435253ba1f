#!/bin/bash
# Not a job: a driver that submits a small pipeline with dependencies, as
# people do with sbatch --parsable.
#   bash examples/batch/pipeline.sh
set -euo pipefail
prep=$(mbatch submit --parsable -J prep --wrap 'seq 1 100 > numbers.txt')
sum=$(mbatch submit --parsable -J sum -d afterok:"$prep" \
	--wrap 'awk "{ s += \$1 } END { print s }" numbers.txt > sum.txt')
report=$(mbatch submit --parsable -J report -d afterany:"$sum" -o report-%j.out \
	--wrap 'echo "the sum is $(cat sum.txt)"')
cleanup=$(mbatch submit --parsable -J cleanup -d afternotok:"$sum" --wrap 'echo "sum failed" >&2')
echo "submitted prep=$prep sum=$sum report=$report cleanup=$cleanup"
mbatch submit --wait -o /dev/null -d afterany:"$report" --wrap true >/dev/null || true
cat "report-$report.out"
mbatch cancel "$cleanup" 2>/dev/null || true # afternotok of a success never runs
