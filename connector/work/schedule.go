package work

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/bcvipps/bcvipps/connector/store"
)

// KindSchedule is the kind of the engine's schedule rows.
const KindSchedule = "schedule"

// EngineTenant is the tenant id of rows the engine owns (schedules, and
// runs of schedules without a tenant).
const EngineTenant = "_engine"

// Schedule starts a job of Kind at every tick of Spec. Each schedule is a
// job row whose due time is its next tick, so across replicas sharing one
// database exactly one claims each tick (leases), and the run it starts is
// created with an idempotency key of the tick, so a crash between the two
// never starts a tick twice. A run still open when the next tick comes is
// not started again: that tick is skipped.
type Schedule struct {
	// Name identifies the schedule (a configuration key); unique.
	Name string
	// Spec is a cron expression of robfig/cron v3: five fields
	// ("17 * * * *") or a descriptor ("@every 5m", "@daily").
	Spec string
	// Kind is the kind of the run job each tick creates.
	Kind string
	// TenantID owns the runs ("" for EngineTenant).
	TenantID string
	// Status is the run job's first status ("queued" when empty).
	Status string
	// Input is the run job's input.
	Input []byte

	sched cron.Schedule
}

// ParseSchedule checks a cron expression as AddSchedule reads it.
func ParseSchedule(spec string) error {
	_, err := parser.Parse(spec)
	return err
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// AddSchedule registers s. Call it before Run, which stores the schedule
// rows. The run kind needs a handler too.
func (e *Engine) AddSchedule(s Schedule) error {
	if s.Name == "" || strings.ContainsAny(s.Name, "/ ") || s.Kind == "" {
		return fmt.Errorf("work: schedule needs a name without '/' or spaces and a kind")
	}
	sc, err := parser.Parse(s.Spec)
	if err != nil {
		return fmt.Errorf("work: schedule %s: %w", s.Name, err)
	}
	s.sched = sc
	if s.TenantID == "" {
		s.TenantID = EngineTenant
	}
	if s.Status == "" {
		s.Status = "queued"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.schedules[s.Name] = s
	return nil
}

// scheduleState is the state document of a schedule row.
type scheduleState struct {
	Spec string `json:"spec"`
	// Running is the id of the last run started (tenant/id).
	RunTenant string `json:"runTenant,omitempty"`
	RunID     string `json:"runId,omitempty"`
	// LastTick is the last tick handled (Unix microseconds).
	LastTick int64 `json:"lastTick,omitempty"`
	// PendingTick is a tick being handled whose step failed (Unix
	// microseconds): the retry starts the run of that tick, with its id and
	// idempotency key, not of the retry's time.
	PendingTick int64 `json:"pendingTick,omitempty"`
}

func scheduleID(name string) string { return "schedule/" + name }

// ensureSchedules stores a row for every registered schedule, or moves the
// next tick of a row whose spec changed.
func (e *Engine) ensureSchedules(ctx context.Context) error {
	e.mu.RLock()
	scheds := make([]Schedule, 0, len(e.schedules))
	for _, s := range e.schedules {
		scheds = append(scheds, s)
	}
	e.mu.RUnlock()
	now := e.clock.Now()
	for _, s := range scheds {
		row := store.Job{
			TenantID: EngineTenant, ID: scheduleID(s.Name), Kind: KindSchedule, Status: "scheduled",
			State: mustJSON(scheduleState{Spec: s.Spec}), DueAt: s.sched.Next(now),
		}
		got, err := e.Create(ctx, row)
		if err == nil || !errors.Is(err, store.ErrDuplicate) {
			if err != nil {
				return fmt.Errorf("work: store schedule %s: %w", s.Name, err)
			}
			continue
		}
		var st scheduleState
		_ = json.Unmarshal(got.State, &st)
		if st.Spec == s.Spec {
			continue
		}
		prev := got
		st.Spec = s.Spec
		got.State, got.DueAt = mustJSON(st), s.sched.Next(now)
		if _, err := e.Save(ctx, prev, got); err != nil && !TakenOver(err) {
			return fmt.Errorf("work: update schedule %s: %w", s.Name, err)
		}
	}
	return nil
}

type scheduleHandler struct{ e *Engine }

func (scheduleHandler) Final(string) bool { return false }

// Step handles the tick the row was due for: it starts the run unless the
// previous one is still open, then moves the row to the next tick after
// now (ticks missed while no replica ran are not caught up one by one).
func (h scheduleHandler) Step(ctx context.Context, j store.Job) {
	e := h.e
	name := strings.TrimPrefix(j.ID, "schedule/")
	e.mu.RLock()
	s, ok := e.schedules[name]
	e.mu.RUnlock()
	prev := j
	if !ok {
		// Not configured in this process (removed, or a replica with an
		// older configuration during a rolling deploy): leave it to a
		// replica that has it, looking again in a minute.
		j.DueAt = e.clock.Now().Add(time.Minute)
		_, _ = e.Save(ctx, prev, j)
		return
	}
	var st scheduleState
	_ = json.Unmarshal(j.State, &st)
	tick := j.DueAt
	if st.PendingTick != 0 {
		tick = time.UnixMicro(st.PendingTick).UTC()
	}
	retry := func() {
		st.PendingTick = tick.UnixMicro()
		j.State = mustJSON(st)
		j.DueAt = e.clock.Now().Add(Backoff(j.Attempts, time.Minute))
		j.Attempts++
		_, _ = e.Save(ctx, prev, j)
	}
	outcome := "started"
	if st.RunID != "" {
		run, err := e.st.Get(ctx, st.RunTenant, st.RunID)
		switch {
		case err == nil && !run.Final:
			outcome = "skipped"
		case err != nil && !errors.Is(err, store.ErrNotFound):
			e.log.Error("schedule: read previous run", "schedule", name, "err", err)
			retry()
			return
		}
	}
	if outcome == "started" {
		run := store.Job{
			TenantID: s.TenantID, ID: name + "-" + tick.UTC().Format("20060102T150405.000000Z"), Kind: s.Kind,
			Status: s.Status, IdempotencyKey: "schedule/" + name + "@" + tick.UTC().Format(time.RFC3339Nano),
			Input: s.Input, DueAt: e.clock.Now(),
		}
		created, err := e.Create(ctx, run)
		if err != nil && !errors.Is(err, store.ErrDuplicate) {
			// The run may have been stored all the same (a lost commit
			// answer): the retry uses the same tick, so the same key.
			e.log.Error("schedule: start run", "schedule", name, "err", err)
			retry()
			return
		}
		st.RunTenant, st.RunID = created.TenantID, created.ID
		e.log.Info("schedule started a run", "schedule", name, "kind", s.Kind, "run", created.ID)
	} else {
		e.log.Info("schedule tick skipped: the previous run is still going", "schedule", name, "run", st.RunID)
	}
	e.metrics.schedules.WithLabelValues(name, outcome).Inc()
	st.LastTick = tick.UnixMicro()
	st.PendingTick = 0
	st.Spec = s.Spec
	j.State = mustJSON(st)
	j.Attempts = 0
	next := s.sched.Next(e.clock.Now())
	if !next.After(tick) {
		next = s.sched.Next(tick)
	}
	j.DueAt = next
	_, _ = e.Save(ctx, prev, j)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("work: marshal own state: " + err.Error())
	}
	return b
}
