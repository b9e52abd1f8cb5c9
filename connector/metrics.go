package connector

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the connector's Prometheus series, served on the admin
// listener's /metrics. Labels never carry personal data or ids.
type metrics struct {
	registry       *prometheus.Registry
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	upstream       *prometheus.CounterVec
	upstreamTime   *prometheus.HistogramVec
	logins         *prometheus.CounterVec
	bcWriteRetries *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_http_requests_total", Help: "API requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bcvipps_http_request_duration_seconds", Help: "API request latency by method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 60},
		}, []string{"method", "route"}),
		upstream: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_upstream_calls_total", Help: "Calls to Vipps, Business Central and NP Retail by API, operation and outcome.",
		}, []string{"api", "op", "outcome"}),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bcvipps_upstream_request_duration_seconds", Help: "Latency of each outbound HTTP attempt by API, endpoint and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"api", "endpoint", "status"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_logins_total", Help: "Finished login-based requests by kind and final status.",
		}, []string{"kind", "status"}),
		bcWriteRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_write_retries_total", Help: "Writes to BC or NP Retail that were deferred for a retry, by target.",
		}, []string{"target"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.upstream, m.upstreamTime, m.logins, m.bcWriteRetries,
	)
	return m
}
