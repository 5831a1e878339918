package propagation

import (
	"net/http"
	"testing"
)

// headerCarrier reads and writes an http.Header as opentracing's
// HTTPHeadersCarrier does.
type headerCarrier http.Header

func (h headerCarrier) Set(k, v string) { http.Header(h).Set(k, v) }
func (h headerCarrier) ForeachKey(f func(k, v string) error) error {
	for k, vs := range h {
		for _, v := range vs {
			if err := f(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

var benchSC = SpanContext{TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7, Sampled: true}
var benchBag = []Member{{Key: "tenant", Value: "acme corp"}, {Key: "user", Value: "42"}}

func BenchmarkPropagatorInject(b *testing.B) {
	for _, tc := range []struct {
		name string
		p    *Propagator
	}{{"jaeger", New(Jaeger)}, {"default", New(defaultFormats...)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				tc.p.Inject(benchSC, benchBag, HTTPHeaders, headerCarrier(make(http.Header, 8)))
			}
		})
	}
}

func BenchmarkPropagatorExtract(b *testing.B) {
	for _, tc := range []struct {
		name string
		p    *Propagator
	}{{"jaeger", New(Jaeger)}, {"default", New(defaultFormats...)}} {
		h := http.Header{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"}, "Content-Type": {"application/json"}}
		tc.p.Inject(benchSC, benchBag, HTTPHeaders, headerCarrier(h))
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if res, _ := tc.p.Extract(headerCarrier(h), HTTPHeaders); !res.Context.IsValid() {
					b.Fatal(res)
				}
			}
		})
	}
}
