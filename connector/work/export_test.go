package work

import "time"

// OnFull makes the claim loop call f whenever it finds no free slot and
// waits for one. Set it before Run.
func (e *Engine) OnFull(f func()) { e.full = f }

// OnSleep makes the claim loop call f with the time it sleeps until, each
// time it goes to sleep. Set it before Run.
func (e *Engine) OnSleep(f func(until time.Time)) { e.sleep = f }
