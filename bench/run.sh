#!/bin/sh
# Runs the benchmarks of every wrapper (or of the ones named: http grpc sql
# redis es mq) and writes RESULTS.md from their raw outputs in results/.
#
#   COUNT (default 10) and BENCHTIME (default 100ms) tune the run; the whole
#   set takes about a quarter of an hour on two cores.
#   TRACEWRAP_REQUIRE_SERVICES=1 makes a missing service an error instead of
#   a skip.
set -u
cd "$(dirname "$0")"

BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-100ms}
WRAPPERS=${*:-http grpc sql redis es mq}

mkdir -p results
meta=results/meta.txt
{
	echo "settings=-count $COUNT -benchtime $BENCHTIME -benchmem, GOMAXPROCS=$(nproc)"
	echo "load average at start=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$meta.tmp"

failed=""
for w in $WRAPPERS; do
	echo "== $w: go test -run XXX -bench . -benchmem -count $COUNT -benchtime $BENCHTIME ./${w}bench" >&2
	if go test -run XXX -bench . -benchmem -count "$COUNT" -benchtime "$BENCHTIME" -timeout 60m "./${w}bench" >"results/$w.txt.tmp"; then
		mv "results/$w.txt.tmp" "results/$w.txt"
	else
		failed="$failed $w"
		tail -20 "results/$w.txt.tmp" >&2
		mv "results/$w.txt.tmp" "results/$w.txt"
	fi
done
echo "load average at end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta.tmp"
mv "$meta.tmp" "$meta"

go run ./cmd/report -benchstat "$BENCHSTAT" >RESULTS.md.tmp && mv RESULTS.md.tmp RESULTS.md || exit 1
echo "wrote bench/RESULTS.md" >&2
if [ -n "$failed" ]; then
	echo "benchmarks failed:$failed" >&2
	exit 1
fi
