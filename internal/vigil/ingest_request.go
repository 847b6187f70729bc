package vigil

import (
	"context"
	"time"
)

// Field limits of an ingest request record.
const (
	MaxIngestRequestIDLen = 64
	MaxIngestStatusLen    = 1024
	MaxIngestAliasLen     = 2048
)

// IngestRequest is the recorded outcome of one request of an asynchronous
// wire format (Opsgenie's Alert API answers 202 with a request id and lets
// the sender ask later what became of it). Records are kept in the database
// so any replica can answer; records older than the retention are pruned
// (PruneIngestRequests, run by a housekeeping job).
type IngestRequest struct {
	// ID is the request id handed to the sender (a random UUID v4).
	ID               string `json:"id"`
	IntegrationKeyID int64  `json:"integration_key_id"`
	// Action is the sender's verb ("Create", "Close", "Acknowledge").
	Action  string `json:"action"`
	Success bool   `json:"success"`
	// Status is a human text ("Created alert", "Alert does not exist").
	Status  string `json:"status"`
	AlertID *int64 `json:"alert_id,omitempty"`
	Alias   string `json:"alias"`
	// ProcessedAt is stamped by the store when the record is written.
	ProcessedAt time.Time `json:"processed_at"`
}

// IngestRequestService keeps the outcomes of ingest requests.
type IngestRequestService interface {
	// RecordIngestRequest stores r and sets r.ProcessedAt. CodeInvalid
	// (id, action, status, alias), CodeConflict when the id is taken.
	RecordIngestRequest(ctx context.Context, r *IngestRequest) error
	// ProcessEventsRecorded applies events as ProcessEvents does and, in
	// the same transaction, stores the record complete makes from their
	// results (complete must be quick and pure: it runs inside the write).
	ProcessEventsRecorded(ctx context.Context, events []*Event, complete func([]EventResult) *IngestRequest) ([]EventResult, error)
	// FindIngestRequest returns the request with id recorded for the
	// integration key; CodeNotFound when there is none (another key's
	// request is not found either).
	FindIngestRequest(ctx context.Context, id string, integrationKeyID int64) (*IngestRequest, error)
	// PruneIngestRequests deletes the records processed before before, in
	// bounded batches (each its own short transaction, so ingest never
	// waits long behind it), and returns how many it deleted. Safe to run
	// on several replicas at once.
	PruneIngestRequests(ctx context.Context, before time.Time) (int64, error)
}
