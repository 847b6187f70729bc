package vigil

import "context"

// Sources: where an action came from. Recorded on every timeline entry.
const (
	SourceAPI         = "api"
	SourceCLI         = "cli"
	SourceWeb         = "web"
	SourceIntegration = "integration"
	SourceSystem      = "system"
	// Replies to messages: a Slack button, an SMS answer, a key pressed
	// during a call. A signed link in a message is "<channel> link".
	SourceSlack = "slack"
	SourceSMS   = "sms"
	SourceVoice = "voice"
)

// LinkSource is the source of an action taken through a signed link sent
// on channel (a contact type): "email link", "sms link".
func LinkSource(channel string) string { return channel + " link" }

// Actor kinds.
const (
	ActorToken       = "token"       // an API token (later: a user's token)
	ActorIntegration = "integration" // an integration key of a service
	ActorSystem      = "system"      // Vigil itself (auto-resolve, timers)
	ActorUser        = "user"        // a person (on-call user) answering a message
)

// Actor is who acts, carried in the request context and written on the
// timeline. The security issue adds users; Kind and ID leave room for them.
type Actor struct {
	Kind   string `json:"kind"`
	ID     int64  `json:"id,omitempty"`
	Name   string `json:"name"`
	Source string `json:"source"`
}

// SystemActor is Vigil acting on its own.
var SystemActor = Actor{Kind: ActorSystem, Name: "vigil", Source: SourceSystem}

type actorKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the actor in ctx, or SystemActor when none is set.
func ActorFromContext(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return SystemActor
}
