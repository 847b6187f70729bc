package api

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// keyLimiter is a token bucket per integration key (and per API token
// on the token ingest route, under negative IDs), so one sender that
// floods cannot crowd out the others (catalog H12). It counts requests, on
// the injected clock; the buckets live in this process (each replica limits
// on its own).
type keyLimiter struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	buckets map[int64]*rate.Limiter
}

// newKeyLimiter returns nil (no limit) when perSecond is 0 or less. The
// burst is two seconds' worth, at least one request.
func newKeyLimiter(perSecond float64) *keyLimiter {
	if perSecond <= 0 {
		return nil
	}
	burst := int(math.Max(1, math.Ceil(2*perSecond)))
	return &keyLimiter{limit: rate.Limit(perSecond), burst: burst, buckets: map[int64]*rate.Limiter{}}
}

// admit takes one request of key from its bucket, or returns a
// CodeRateLimited error saying how long to wait.
func (l *keyLimiter) admit(keyID int64, now time.Time) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	b := l.buckets[keyID]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[keyID] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return &rateLimited{after: delay}
	}
	return nil
}

type rateLimited struct{ after time.Duration }

func (e *rateLimited) Error() string { return "too many requests for this sender" }

// Unwrap makes the error a vigil.Error with CodeRateLimited.
func (e *rateLimited) Unwrap() error {
	return vigil.Errorf(vigil.CodeRateLimited, "too many requests for this integration key or token; retry after the Retry-After delay")
}

// RetryAfter tells WriteError the Retry-After header.
func (e *rateLimited) RetryAfter() time.Duration { return e.after }
