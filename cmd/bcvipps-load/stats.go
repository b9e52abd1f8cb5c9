package main

import (
	"math"
	"slices"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method: the smallest value with at least p % of the samples
// at or below it. It returns 0 and false when ds is empty. ds is not
// modified.
func percentile(ds []time.Duration, p float64) (time.Duration, bool) {
	if len(ds) == 0 || p <= 0 || p > 100 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1], true
}

// summary is the p50 and p99 of a sample set.
type summary struct {
	N        int
	P50, P99 time.Duration
}

// summarize returns the p50 and p99 of ds.
func summarize(ds []time.Duration) summary {
	p50, _ := percentile(ds, 50)
	p99, _ := percentile(ds, 99)
	return summary{N: len(ds), P50: p50, P99: p99}
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}
