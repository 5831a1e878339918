#!/bin/sh
# Runs the benchmarks of every wrapper (or of the ones named: http grpc sql
# redis es mq tracer) and writes RESULTS.md from their raw outputs in
# results/ (a wrapper not run keeps its previous output).
#
#   COUNT (default 10) and BENCHTIME (default 150ms) tune the run; the whole
#   set takes about a quarter of an hour on two cores.
#   TRACEWRAP_REQUIRE_SERVICES=1 makes a missing service an error instead of
#   a skip.
set -u
cd "$(dirname "$0")"

BENCHSTAT="${GO:-go} run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
COUNT=${COUNT:-10}
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-150ms}
WRAPPERS=${*:-http grpc sql redis es mq tracer}

mkdir -p results

failed=""
load() { cut -d' ' -f1-3 /proc/loadavg; }
for w in $WRAPPERS; do
	echo "== $w: go test -run XXX -bench . -benchmem -count $COUNT -benchtime $BENCHTIME ./${w}bench" >&2
	start=$(date -u +%H:%M) startload=$(load)
	if $GO test -run XXX -bench . -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -timeout 60m "./${w}bench" >"results/$w.txt.tmp"; then
		:
	else
		failed="$failed $w"
		tail -20 "results/$w.txt.tmp" >&2
	fi
	mv "results/$w.txt.tmp" "results/$w.txt"
	echo "$(date -u +%Y-%m-%d) $start-$(date -u +%H:%M) UTC, -count $COUNT -benchtime $BENCHTIME, load average $startload -> $(load)" >"results/$w.meta"
done

$GO run ./cmd/report -benchstat "$BENCHSTAT" >RESULTS.md.tmp && mv RESULTS.md.tmp RESULTS.md || exit 1
echo "wrote bench/RESULTS.md" >&2
if [ -n "$failed" ]; then
	echo "benchmarks failed:$failed" >&2
	exit 1
fi
