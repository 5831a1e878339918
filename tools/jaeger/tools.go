//go:build tools

// Package tools pins the Jaeger v2 binary that scripts/services builds
// for the test stack. It lives in its own module so that Jaeger's large
// dependency graph (and its replace directive for sarama) never reaches the
// library's go.mod.
package tools

import (
	_ "github.com/jaegertracing/jaeger/cmd/jaeger"
)
