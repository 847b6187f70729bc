package mapping

import (
	"time"

	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/ingest/native"
	"github.com/vigil-oss/vigil/internal/ingest/opsgenie"
	"github.com/vigil-oss/vigil/internal/ingest/pagerduty"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The sender formats, as ingest names them to rules (Env.Format) and as
// the preview takes them.
const (
	FormatNative       = "native"
	FormatAlertmanager = "alertmanager"
	FormatPagerDuty    = "pagerduty"    // Events API v2
	FormatPagerDutyV1  = "pagerduty-v1" // Events API v1
	FormatOpsgenie     = "opsgenie"     // Alert API, create
	// FormatAlertmanagerAPI is Alertmanager's API v2 (POST /api/v2/alerts),
	// as Prometheus sends it.
	FormatAlertmanagerAPI = "alertmanager-api"
)

// Formats lists the formats Preview reads.
var Formats = []string{FormatNative, FormatAlertmanager, FormatAlertmanagerAPI, FormatPagerDuty, FormatPagerDutyV1, FormatOpsgenie}

// Preview is what a sender's payload would become.
type Preview struct {
	Format string         `json:"format"`
	Events []PreviewEvent `json:"events"`
	Errors []PreviewError `json:"errors"`
}

// PreviewEvent is one event the payload would send, after the rules.
type PreviewEvent struct {
	*vigil.Event
	// GroupKey is the incident grouping key an adapter sets.
	GroupKey string `json:"group_key,omitempty"`
	// Service is the service a rule moved the event to.
	Service string `json:"service,omitempty"`
	// Rules are the rules that ran, what matched and what each changed.
	Rules []Step `json:"rules,omitempty"`
	// MappingError says why the rules were not applied: the event would
	// be stored as decoded.
	MappingError string `json:"mapping_error,omitempty"`
}

// PreviewError is one part of the payload that would be refused.
type PreviewError struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// PreviewPayload decodes payload with the decoder of format, exactly as
// ingest would at now (Alertmanager API alerts end relative to it), and
// runs rules (nil: none) on each event, resolving service names with
// resolve. It stores nothing. The only error is an
// unknown format (CodeInvalid on "format"); a payload the decoder refuses
// is reported in Errors.
func PreviewPayload(format string, payload []byte, now time.Time, rules *Rules, resolve Resolver) (*Preview, error) {
	out := &Preview{Format: format, Events: []PreviewEvent{}, Errors: []PreviewError{}}
	fail := func(i int, err error) {
		out.Errors = append(out.Errors, PreviewError{Index: i, Field: vigil.ErrorField(err), Message: vigil.ErrorMessage(err)})
	}
	var events []*vigil.Event
	switch format {
	case FormatNative:
		decoded, itemErrs, _, err := native.DecodeEvents(payload)
		if err != nil {
			fail(0, err)
			break
		}
		for i, e := range decoded {
			if i < len(itemErrs) && itemErrs[i] != nil {
				fail(i, itemErrs[i])
			} else if e != nil {
				events = append(events, e)
			}
		}
	case FormatAlertmanager, FormatAlertmanagerAPI:
		var (
			decoded  []*vigil.Event
			itemErrs []alertmanager.ItemError
			err      error
		)
		if format == FormatAlertmanager {
			_, decoded, itemErrs, err = alertmanager.DecodeWebhook(payload)
		} else {
			decoded, itemErrs, err = alertmanager.DecodePostableAlerts(payload, now, 0)
		}
		if err != nil {
			fail(0, err)
			break
		}
		for _, e := range decoded {
			if e != nil {
				events = append(events, e)
			}
		}
		for _, ie := range itemErrs {
			out.Errors = append(out.Errors, PreviewError{Index: ie.Index, Field: ie.Field, Message: ie.Message})
		}
	case FormatPagerDuty, FormatPagerDutyV1:
		decode := pagerduty.DecodeV2
		if format == FormatPagerDutyV1 {
			decode = pagerduty.DecodeV1
		}
		req, err := decode(payload)
		if err != nil {
			fail(0, err)
			break
		}
		for _, msg := range req.Errors {
			out.Errors = append(out.Errors, PreviewError{Message: msg})
		}
		if req.Event != nil {
			events = append(events, req.Event)
		}
	case FormatOpsgenie:
		_, e, err := opsgenie.DecodeCreate(payload)
		if err != nil {
			fail(0, err)
			break
		}
		events = append(events, e)
	default:
		return nil, vigil.FieldError("format", "must be one of native, alertmanager, alertmanager-api, pagerduty, pagerduty-v1, opsgenie")
	}
	for _, e := range events {
		pe := PreviewEvent{Event: e, GroupKey: e.GroupKey}
		if rules != nil && rules.Len() > 0 {
			var t Trace
			err := rules.Apply(e, format, resolve, &t)
			pe.Rules = t.Steps
			if re, ok := err.(*RuleError); ok && !re.Partial {
				pe.MappingError = re.Error()
			}
			for _, s := range t.Steps {
				for _, c := range s.Changes {
					if c.Field == "service" && pe.MappingError == "" {
						pe.Service = c.To
					}
				}
			}
		}
		out.Events = append(out.Events, pe)
	}
	return out, nil
}
