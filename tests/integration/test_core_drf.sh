#!/usr/bin/env bash
# ci: slow (a long scenario: the sanitizer pass skips it)
# Two frameworks in roles with weights 1 and 2 on a saturated cluster
# settle at dominant shares in the ratio 1:2 (within 10%).
source "$(dirname "$0")/lib.sh" "$1"

# Tasks use cpus and memory in the agents' proportion, so nothing is left
# over in one dimension when the other is full.
cluster_up --agents 4 --agent-resources 'cpus:3;mem:3072;disk:1000' --weights light=1,heavy=2

"$TOOLS/loadfw" --name light --role light --cpus 1 --mem 1024 --task-seconds 1 --run-seconds 24 >"$T/light.out" 2>&1 &
lp=$!
"$TOOLS/loadfw" --name heavy --role heavy --cpus 1 --mem 1024 --task-seconds 1 --run-seconds 24 >"$T/heavy.out" 2>&1 &
hp=$!

sleep 6   # let both subscribe and the shares settle
samples=0
sum_l=0
sum_h=0
for i in $(seq 1 30); do
	s=$(state_json)
	l=$(jq '[.roles[] | select(.name == "light") | .dominant_share][0] // 0' <<<"$s")
	h=$(jq '[.roles[] | select(.name == "heavy") | .dominant_share][0] // 0' <<<"$s")
	sum_l=$(echo "$sum_l + $l" | bc -l)
	sum_h=$(echo "$sum_h + $h" | bc -l)
	samples=$((samples + 1))
	sleep 0.5
done
wait $lp || fail "light framework failed: $(cat "$T/light.out")"
wait $hp || fail "heavy framework failed: $(cat "$T/heavy.out")"
ratio=$(echo "$sum_h / $sum_l" | bc -l)
log "mean shares over $samples samples: light $(echo "$sum_l / $samples" | bc -l | cut -c1-6), heavy $(echo "$sum_h / $samples" | bc -l | cut -c1-6), ratio $(echo "$ratio" | cut -c1-6); light: $(cat "$T/light.out" | tail -1); heavy: $(tail -1 "$T/heavy.out")"
ok=$(echo "$ratio >= 1.8 && $ratio <= 2.2" | bc -l)
[ "$ok" = 1 ] || fail "dominant share ratio heavy/light is $ratio, want 2 +- 10%"
total=$(echo "($sum_l + $sum_h) / $samples" | bc -l)
[ "$(echo "$total > 0.7" | bc -l)" = 1 ] || fail "cluster not saturated: mean total share $total"

pass
