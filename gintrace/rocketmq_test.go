package gintrace_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/mqtrace"
	"github.com/tracewrap/tracewrap/nethttp"
)

// A message sent with c as the ctx is a child of the request's span and
// carries its trace. (Skipped under -race, like every broker test: see
// testenv.RocketMQNameServer; `make test` runs it without.)
func TestRocketMQSendWithGinContext(t *testing.T) {
	ns := testenv.RocketMQNameServer(t)
	tr := mocktracer.New()
	uniq := fmt.Sprintf("gintrace_%d", time.Now().UnixNano())
	p, err := mqtrace.New(mqtrace.WithTracer(tr)).NewProducer(
		producer.WithNameServer(primitive.NamesrvAddr{ns}),
		producer.WithGroupName(uniq+"_pg"),
		producer.WithInstanceName(uniq+"_pi"),
		producer.WithRetry(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()

	r := gin.New()
	r.Use(gintrace.Middleware(nethttp.WithTracer(tr)))
	topic := uniq + "_orders"
	var sendErr error
	r.POST("/orders", func(c *gin.Context) {
		_, sendErr = p.SendSync(c, primitive.NewMessage(topic, []byte(`{"id":1}`)))
		c.Status(http.StatusAccepted)
	})
	srv := testenv.Serve(t, r)
	req, _ := http.NewRequest("POST", srv.URL+"/orders", nil)
	if code, _ := do(t, client(t), req); code != http.StatusAccepted || sendErr != nil {
		t.Fatal(code, sendErr)
	}
	waitSpans(t, tr, 2)
	var gin, send *mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		switch s.OperationName {
		case "HTTP POST /orders":
			gin = s
		case "send " + topic:
			send = s
		}
	}
	if gin == nil || send == nil {
		t.Fatalf("spans %v", tr.FinishedSpans())
	}
	if send.ParentID != gin.SpanContext.SpanID || send.SpanContext.TraceID != gin.SpanContext.TraceID {
		t.Fatalf("send span (trace %d, parent %d) is not a child of the gin span (trace %d, span %d)",
			send.SpanContext.TraceID, send.ParentID, gin.SpanContext.TraceID, gin.SpanContext.SpanID)
	}
}
