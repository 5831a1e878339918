// Package tracelog puts the trace into log lines: TraceID and SpanID read
// the ids of the span in a context for any logger, and NewHandler adds them
// to every log/slog record logged with such a context.
//
//	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil))))
//	slog.InfoContext(ctx, "order placed")                               // trace_id=... span_id=...
//	zlog.Info("order placed", zap.String("trace_id", tracelog.TraceID(ctx)))   // zap
//	logrus.WithField("trace_id", tracelog.TraceID(ctx)).Info("order placed")   // logrus
//
// The ids come from the span context of any OpenTracing tracer without
// importing it: jaeger-client-go (hex, as Jaeger's UI and query API take
// them), the OpenTelemetry SDK through its OpenTracing bridge (hex, W3C
// style) and mocktracer (decimal); a tracer whose span context has neither
// TraceID/SpanID methods nor fields gives "". The context may be any one a
// tracewrap wrapper hands to user code (a server handler's, a consumer
// callback's), one made with opentracing.ContextWithSpan, or a *gin.Context
// behind gintrace.Middleware.
package tracelog
