package vigil

import "context"

// Viewer is whoever reads incidents, for the visibility of private ones
// (catalog H8). A private incident is seen only by its responders (people
// it paged or notified, or who acted on it), the managers of its service's
// team, members of the security stakeholder group and admins. The store
// reads the viewer from the context in every incident query; a context
// without one sees public incidents only, so a read path that forgets to
// say who is reading hides private incidents rather than leaking them.
type Viewer struct {
	// UserID is the person reading; 0 for nobody in particular.
	UserID int64
	// All sees every incident: admins, and Vigil itself (the engine,
	// offline admin commands).
	All bool
	// Stakeholder sees only incidents shared with a stakeholder group
	// UserID belongs to (chosen for the incident, or told in a status
	// update), and of those the private ones only under the rules above.
	Stakeholder bool
}

// SystemViewer is Vigil reading on its own behalf: it sees everything.
// Only internal callers (the engine, jobs, offline commands) use it.
var SystemViewer = Viewer{All: true}

type viewerKey struct{}

// WithViewer returns a context whose incident reads are made as v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFromContext is the viewer in ctx; the zero Viewer (public
// incidents only) when none was set.
func ViewerFromContext(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

// ViewerOf is the viewer of a caller with the given actor and global role:
// admins see everything, a person sees what they take part in.
func ViewerOf(a Actor, role string) Viewer {
	switch role {
	case RoleAdmin:
		return Viewer{UserID: userIDOf(a), All: true}
	case RoleStakeholder:
		return Viewer{UserID: userIDOf(a), Stakeholder: true}
	}
	return Viewer{UserID: userIDOf(a)}
}

func userIDOf(a Actor) int64 {
	if a.Kind == ActorUser {
		return a.ID
	}
	return 0
}
