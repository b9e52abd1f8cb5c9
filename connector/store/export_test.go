package store

// WithCheckpointed makes the background WAL checkpointer of a file SQLite
// store call ran after each checkpoint.
func WithCheckpointed(ran func()) Option { return func(o *options) { o.checkpointed = ran } }

// CheckpointEvery is the background checkpointer's interval.
const CheckpointEvery = checkpointEvery
