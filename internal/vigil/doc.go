// Package vigil is Vigil's domain: the types every other package speaks
// (services, integration keys, alerts, incidents, timeline entries, tokens),
// the service interfaces that storage implements, the error codes, the clock
// and the actor carried in a request's context.
//
// It imports only the standard library. Every other internal package points
// at this one; this one points at none of them.
package vigil
