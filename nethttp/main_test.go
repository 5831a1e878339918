package nethttp

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes its servers and the idle connections of its transports,
// so no goroutine may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
