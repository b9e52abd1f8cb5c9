package store

import "github.com/jonboulle/clockwork"

// WithCheckpointed makes the background WAL checkpointer of a file SQLite
// store call ran after each checkpoint.
func WithCheckpointed(ran func()) Option { return func(o *options) { o.checkpointed = ran } }

// WithCheckpointClock ticks the background WAL checkpointer on c.
func WithCheckpointClock(c clockwork.Clock) Option {
	return func(o *options) { o.checkpointClock = c }
}

// CheckpointEvery is the background checkpointer's interval.
const CheckpointEvery = checkpointEvery
