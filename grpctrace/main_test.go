package grpctrace

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test stops its server and closes its connections; gRPC's own
// goroutines end with them, so nothing may be left over.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
