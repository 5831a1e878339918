package propagation

import "strings"

// Problem is a set of kinds of bad remote input met while extracting (or of
// baggage left out while injecting). Each kind is a fixed, low-cardinality
// string, so a caller can count and rate-limit log lines per kind.
type Problem uint32

const (
	TraceparentInvalid   Problem = 1 << iota // traceparent malformed, zero ids, version ff, ...: ignored
	TraceparentDuplicate                     // several different traceparent values: all ignored (W3C)
	TracestateInvalid                        // tracestate malformed, over 32 members, duplicate keys: dropped
	TracestateTruncated                      // tracestate over 512 characters: members removed (W3C rule)
	BaggageInvalid                           // W3C baggage member malformed or bad percent-encoding: member dropped
	BaggageUnsafe                            // baggage key not an HTTP token, or value with control characters: dropped
	BaggageOverLimit                         // baggage over 180 members / 8192 bytes / 4096 per member: rest dropped
	B3Invalid                                // b3 or X-B3-* malformed: ignored
	JaegerInvalid                            // uber-trace-id malformed or zero ids: ignored
	JaegerBaggageInvalid                     // jaeger-baggage header malformed entries: those dropped
	DebugIDInvalid                           // jaeger-debug-id too long or with control characters: ignored
	Conflict                                 // formats name different traces: the preferred one won
	HeaderTooLong                            // a trace header over 32 KiB, or repeated over 64 times: not read (the rest)
	lastProblem
)

var problemNames = [...]string{
	"traceparent invalid", "traceparent duplicated", "tracestate invalid", "tracestate truncated",
	"baggage member invalid", "baggage key or value unsafe to propagate", "baggage over limits",
	"b3 invalid", "uber-trace-id invalid", "jaeger-baggage malformed", "jaeger-debug-id invalid",
	"formats name different traces", "trace header too long or repeated too often",
}

// Kinds returns the single kinds in p, in a fixed order.
func (p Problem) Kinds() []Problem {
	var out []Problem
	for k := Problem(1); k < lastProblem; k <<= 1 {
		if p&k != 0 {
			out = append(out, k)
		}
	}
	return out
}

// String names the kinds in p.
func (p Problem) String() string {
	var b strings.Builder
	for i := 0; Problem(1)<<i < lastProblem; i++ {
		if p&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(problemNames[i])
		}
	}
	return b.String()
}
