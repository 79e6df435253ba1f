# bench_say.sh - what the mapred benches print alike (sourced): say TEXT,
# load (the load average), and locality_summary for the two locality
# benches: one line per wait in $WAITS from the associative arrays frac,
# time and maps (each a space-separated list of one figure per run:
# node-local fraction, job seconds, map-phase seconds).

say() { printf '%s\n' "$*"; }
# The machine may be shared: say how busy it was, so figures can be judged.
load() { cut -d' ' -f1-3 /proc/loadavg; }

locality_summary() {
	say "locality wait | node-local maps (mean, min) | job time s (mean, min-max) | map phase s (mean)"
	local w
	for w in $WAITS; do
		echo "${frac[$w]} | ${time[$w]} | ${maps[$w]}" | awk -v w="$w" -F'|' '{
			n = split($1, f, " "); split($2, t, " "); split($3, m, " ")
			sf = 0; mf = 1; st = 0; lo = 1e9; hi = 0; sm = 0
			for (i = 1; i <= n; i++) {
				sf += f[i]; if (f[i] < mf) mf = f[i]
				st += t[i]; if (t[i] < lo) lo = t[i]; if (t[i] > hi) hi = t[i]
				sm += m[i]
			}
			printf "%-13s | %6.1f%%, %6.1f%%             | %6.2f, %.2f-%.2f          | %6.2f\n",
				w, 100 * sf / n, 100 * mf, st / n, lo, hi, sm / n
		}'
	done
}
