package work

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's series. Labels never carry personal data or ids.
type metrics struct {
	transitions *prometheus.CounterVec
	lateness    *prometheus.HistogramVec
	jobs        *prometheus.GaugeVec
	schedules   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_job_transitions_total", Help: "Stored job state changes (and creations) by kind and new status.",
		}, []string{"kind", "status"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bcvipps_work_lateness_seconds", Help: "How late due work was picked up by the engine, by kind.",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
		}, []string{"kind"}),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bcvipps_jobs", Help: "Stored jobs by kind and status (refreshed every minute).",
		}, []string{"kind", "status"}),
		schedules: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bcvipps_schedule_ticks_total", Help: "Schedule ticks by schedule and outcome (started, skipped: the previous run was still going).",
		}, []string{"schedule", "outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.transitions, m.lateness, m.jobs, m.schedules)
	}
	return m
}
