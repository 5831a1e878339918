package tracing

import (
	"reflect"
	"testing"
)

func TestPropagatorNames(t *testing.T) {
	for _, tc := range []struct {
		env     string
		opt     []string
		want    []string
		wantErr bool
	}{
		{want: DefaultPropagators},
		{env: "tracecontext, Baggage,tracecontext", want: []string{"tracecontext", "baggage"}},
		{env: "b3multi", opt: []string{"b3"}, want: []string{"b3"}},
		{env: "none", want: nil},
		{env: " , ", want: DefaultPropagators},
		{env: "xray", wantErr: true},
		{opt: []string{"none", "jaeger"}, wantErr: true},
	} {
		t.Setenv("OTEL_PROPAGATORS", tc.env)
		s := &settings{}
		if tc.opt != nil {
			WithPropagators(tc.opt...)(s)
		}
		got, err := propagatorNames(s)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("env %q opt %v: got %v, %v; want %v (error %v)", tc.env, tc.opt, got, err, tc.want, tc.wantErr)
		}
	}
}
