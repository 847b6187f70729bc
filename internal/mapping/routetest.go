package mapping

import (
	"context"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RouteTester is what RunRouteTest reads: the stored alert or integration
// key a test names, and the store's dry run of ingest.
type RouteTester interface {
	FindAlertByID(ctx context.Context, id int64) (*vigil.Alert, error)
	FindIntegrationKeyByID(ctx context.Context, id int64) (*vigil.IntegrationKey, error)
	DryRunEvent(ctx context.Context, e *vigil.Event, at time.Time) (*vigil.DryRun, error)
}

// RouteTest is one route test (a dry run of ingest): a sender's payload in
// Format, arriving on an integration key (its service and mapping rules)
// or on a service; or a stored alert replayed. At zero is now.
type RouteTest struct {
	Format           string
	Payload          []byte
	IntegrationKeyID int64
	ServiceID        int64
	AlertID          int64
	At               time.Time
}

// RouteTestResult is the mapping preview of a payload (nil for a stored
// alert) and every decision per trigger it holds.
type RouteTestResult struct {
	Mapping *Preview        `json:"mapping,omitempty"`
	Runs    []*vigil.DryRun `json:"runs"`
}

// MaxRouteTestEvents bounds the events of one route test.
const MaxRouteTestEvents = 20

// RunRouteTest decodes the payload as ingest would at now, then dry-runs
// each trigger at in.At; the API and the UI both answer with it. Bad input
// is CodeInvalid naming the field (payload, alert_id, integration_key_id,
// format); an event the store refuses is reported in Mapping.Errors.
func RunRouteTest(ctx context.Context, st RouteTester, in RouteTest, now time.Time, resolve Resolver) (*RouteTestResult, error) {
	out := &RouteTestResult{Runs: []*vigil.DryRun{}}
	var events []*vigil.Event
	switch {
	case in.AlertID != 0:
		if len(in.Payload) > 0 {
			return nil, vigil.FieldError("payload", "give a payload or an alert_id, not both")
		}
		al, err := st.FindAlertByID(ctx, in.AlertID)
		if vigil.ErrorCode(err) == vigil.CodeNotFound {
			return nil, vigil.FieldError("alert_id", "there is no alert %d", in.AlertID)
		}
		if err != nil {
			return nil, err
		}
		events = append(events, &vigil.Event{ServiceID: al.ServiceID, Action: vigil.ActionTrigger, DedupKey: al.DedupKey,
			Summary: al.Summary, Severity: al.Severity, Source: al.Source, Labels: al.Labels, Details: al.Details})
	case len(in.Payload) > 0:
		if in.Format == "" {
			in.Format = FormatNative
		}
		service := in.ServiceID
		var rules *Rules
		switch {
		case in.IntegrationKeyID != 0:
			key, err := st.FindIntegrationKeyByID(ctx, in.IntegrationKeyID)
			if vigil.ErrorCode(err) == vigil.CodeNotFound {
				return nil, vigil.FieldError("integration_key_id", "there is no integration key %d", in.IntegrationKeyID)
			}
			if err != nil {
				return nil, err
			}
			service = key.ServiceID
			if rules, err = Compile(key.Rules); err != nil {
				return nil, vigil.Errorf(vigil.CodeConflict, "the key's rules no longer compile: %s", vigil.ErrorMessage(err))
			}
		case service == 0:
			return nil, vigil.FieldError("integration_key_id", "name the integration key (or service_id) the payload arrives on")
		}
		pv, err := PreviewPayload(in.Format, in.Payload, now, rules, resolve)
		if err != nil {
			return nil, err
		}
		out.Mapping = pv
		for _, pe := range pv.Events {
			e := *pe.Event
			if e.ServiceID == 0 {
				e.ServiceID = service
			}
			e.GroupKey = pe.GroupKey
			events = append(events, &e)
		}
	default:
		return nil, vigil.FieldError("payload", "give a payload (with integration_key_id or service_id) or an alert_id")
	}
	if len(events) > MaxRouteTestEvents {
		return nil, vigil.FieldError("payload", "at most %d events per route test (this payload has %d)", MaxRouteTestEvents, len(events))
	}
	for i, e := range events {
		e.Normalize()
		if e.Action != vigil.ActionTrigger {
			continue // only triggers are routed
		}
		run, err := st.DryRunEvent(ctx, e, in.At)
		if err != nil {
			if vigil.ErrorCode(err) == vigil.CodeInvalid && out.Mapping != nil {
				out.Mapping.Errors = append(out.Mapping.Errors, PreviewError{Index: i, Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
				continue
			}
			return nil, err
		}
		out.Runs = append(out.Runs, run)
	}
	return out, nil
}
