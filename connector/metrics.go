package connector

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/bcvipps/bcvipps/connector/api"
	"github.com/bcvipps/bcvipps/connector/club"
	"github.com/bcvipps/bcvipps/connector/login"
	"github.com/bcvipps/bcvipps/connector/payment"
	"github.com/bcvipps/bcvipps/connector/reconcile"
)

// metrics are the connector's Prometheus series, served on the admin
// listener's /metrics: the process, the HTTP API, every outbound attempt,
// the engine (registered by package work) and each job package's own.
// Labels never carry personal data or ids.
type metrics struct {
	registry     *prometheus.Registry
	http         *api.Metrics
	login        *login.Metrics
	payment      *payment.Metrics
	club         *club.Metrics
	reconcile    *reconcile.Metrics
	upstreamTime *prometheus.HistogramVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		http:     api.NewMetrics(reg),
		login:    login.NewMetrics(reg),
		upstreamTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bcvipps_upstream_request_duration_seconds", Help: "Latency of each outbound HTTP attempt by API, endpoint and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"api", "endpoint", "status"}),
	}
	m.payment = payment.NewMetrics(reg, m.login.Upstream)
	m.club = club.NewMetrics(reg, m.login.Upstream)
	m.reconcile = reconcile.NewMetrics(reg)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m.upstreamTime)
	return m
}
