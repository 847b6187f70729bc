package auth

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Viewing puts the viewer of the authenticated caller in the context
// (vigil.WithViewer), from the actor and role the middleware put there, so
// the store shows private incidents only to those who may see them. It
// goes inside Middleware or SessionMiddleware; on a route without either
// the viewer stays the zero one (public incidents only).
func Viewing(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		role := RoleFromContext(ctx)
		if PrincipalFromContext(ctx).Allows(vigil.PermAdmin) {
			role = vigil.RoleAdmin // a service token with the admin scope
		}
		v := vigil.ViewerOf(vigil.ActorFromContext(ctx), role)
		next.ServeHTTP(w, r.WithContext(vigil.WithViewer(ctx, v)))
	})
}
