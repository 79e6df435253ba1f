#!/usr/bin/env bash
# Garbage sent to the master's port changes nothing: it is dropped and
# counted, and the cluster works on.
source "$(dirname "$0")/lib.sh" "$1"

cluster_up --agents 2 --agent-resources 'cpus:2;mem:1024;disk:1000'
before=$(mosaic agents --json | jq -c '[.[] | {id, active, total}] | sort_by(.id)')
fw_before=$(mosaic frameworks --json | jq -c '[.[] | .id] | sort')

for what in garbage payloads unknown oversize tcpjunk; do
	"$TOOLS/wire_poke" "$MOSAIC_MASTER" "$what" || fail "wire_poke $what could not send"
done
sleep 1

mosaic status >/dev/null || fail "the master stopped answering"
after=$(mosaic agents --json | jq -c '[.[] | {id, active, total}] | sort_by(.id)')
[ "$before" = "$after" ] || fail "agents changed: before $before after $after"
fw_after=$(mosaic frameworks --json | jq -c '[.[] | .id] | sort')
[ "$fw_before" = "$fw_after" ] || fail "frameworks changed: before $fw_before after $fw_after"
dropped=$(curl -sf "$MASTER_HTTP/metrics" | awk '/^mosaic_messages_dropped_total/ {s += $2} END {print s + 0}')
log "messages dropped by the master: $dropped"
[ "${dropped%.*}" -ge 3 ] || fail "the master did not count the dropped messages ($dropped): $(curl -sf "$MASTER_HTTP/metrics" | grep -i drop)"
grep -q "dropped" "$CLUSTER/master.log" || fail "no log line for dropped messages"
out=$(mosaic run -- echo still-works) || fail "a task after the garbage failed: $out"
[ "$out" = still-works ] || fail "task output after garbage: $out"

pass
