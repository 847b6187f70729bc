package vigil

import "context"

// Signing key purposes.
const (
	// KeyActionLinks signs the acknowledge and resolve links in messages.
	KeyActionLinks = "action-links"
	// KeyCalendarFeeds signs the secret URLs of iCalendar feeds.
	KeyCalendarFeeds = "calendar-feeds"
)

// SigningKeyLen is the length of a signing key in bytes.
const SigningKeyLen = 32

// SigningKeyService keeps the installation's own secrets. Every replica
// sharing a database gets the same key for a purpose, so a link signed by
// one is accepted by all.
type SigningKeyService interface {
	// SigningKey returns the key for purpose, making a random one on first
	// use.
	SigningKey(ctx context.Context, purpose string) ([]byte, error)
	// RotateSigningKey replaces the key for purpose with a new random one:
	// everything signed with the old key stops working.
	RotateSigningKey(ctx context.Context, purpose string) error
}
