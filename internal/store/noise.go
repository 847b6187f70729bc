package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/triage"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// SetIncidentFeedback records (or, with "", clears) the verdict on an
// incident and writes it to the timeline; the same verdict again changes
// nothing. CodeInvalid (verdict), CodeNotFound.
func (db *DB) SetIncidentFeedback(ctx context.Context, id int64, verdict string) (*vigil.IncidentFeedback, error) {
	verdict = strings.ToLower(strings.TrimSpace(verdict))
	if !vigil.ValidVerdict(verdict) {
		return nil, vigil.FieldError("verdict", "must be %q, %q or \"\" (clear)", vigil.VerdictNoise, vigil.VerdictActionable)
	}
	var fb *vigil.IncidentFeedback
	_, err := db.changeIncident(ctx, id, func(q querier, now time.Time, inc *vigil.Incident, actor vigil.Actor) error {
		cur, err := findFeedback(ctx, q, id)
		if err != nil {
			return err
		}
		if cur.Verdict == verdict {
			fb = cur
			return nil
		}
		var msg string
		if verdict == "" {
			if _, err := q.exec(ctx, "DELETE FROM incident_feedback WHERE incident_id = $1", id); err != nil {
				return err
			}
			fb = &vigil.IncidentFeedback{IncidentID: id}
			msg = "Verdict " + cur.Verdict + " cleared by " + by(actor)
		} else {
			if _, err := q.exec(ctx, `INSERT INTO incident_feedback (incident_id, verdict, set_by, set_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (incident_id) DO UPDATE SET verdict = excluded.verdict, set_by = excluded.set_by, set_at = excluded.set_at`,
				id, verdict, actor.Name, micros(now)); err != nil {
				return err
			}
			at := now
			fb = &vigil.IncidentFeedback{IncidentID: id, Verdict: verdict, By: actor.Name, At: &at}
			msg = "Marked " + verdict + " by " + by(actor)
		}
		if _, err := q.exec(ctx, "UPDATE incidents SET updated_at = $1 WHERE id = $2", micros(now), id); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]string{"verdict": verdict, "previous": cur.Verdict})
		if err := db.addEntry(ctx, q, id, now, actor, vigil.EntryFeedback, msg, data); err != nil {
			return err
		}
		return db.audit(ctx, q, now, "incident.feedback", auditIncident, id,
			map[string]string{"verdict": cur.Verdict}, map[string]string{"verdict": verdict})
	})
	if err != nil {
		return nil, err
	}
	return fb, nil
}

// FindIncidentFeedback returns the verdict on an incident (Verdict "" when
// none). CodeNotFound.
func (db *DB) FindIncidentFeedback(ctx context.Context, id int64) (*vigil.IncidentFeedback, error) {
	var fb *vigil.IncidentFeedback
	err := db.read(ctx, func(q querier) error {
		if err := checkVisible(ctx, q, id); err != nil {
			return err
		}
		var err error
		fb, err = findFeedback(ctx, q, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return fb, nil
}

func findFeedback(ctx context.Context, q querier, id int64) (*vigil.IncidentFeedback, error) {
	fb := &vigil.IncidentFeedback{IncidentID: id}
	var at int64
	err := q.queryRow(ctx, "SELECT verdict, set_by, set_at FROM incident_feedback WHERE incident_id = $1", id).Scan(&fb.Verdict, &fb.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return fb, nil
	}
	if err != nil {
		return nil, err
	}
	t := fromMicros(at)
	fb.At = &t
	return fb, nil
}

// alertName is the SQL of an alert's name: its alertname label, or its
// summary without one (as silences read it).
func (d dialect) alertName(alias string) string {
	label := "json_extract(" + alias + ".labels, '$.alertname')"
	if d == postgresDialect {
		label = "(" + alias + ".labels::jsonb ->> 'alertname')"
	}
	return "COALESCE(NULLIF(" + label + ", ''), " + alias + ".summary)"
}

// noiseIncidents is the CTE "inc": one row per incident created in [$1,
// $2) with what the report counts of it. night is the SQL condition on
// n.sent_at for a page sent at night.
func noiseIncidents(night string) string {
	return `WITH inc AS (
	SELECT i.id, i.service_id, i.acknowledged_at,
		(SELECT a.integration_key_id FROM alerts a WHERE a.incident_id = i.id ORDER BY a.id LIMIT 1) AS key_id,
		COALESCE(f.verdict, '') AS verdict,
		COALESCE(p.pages, 0) AS pages, p.first_page, COALESCE(p.night, 0) AS night
	FROM incidents i
	LEFT JOIN incident_feedback f ON f.incident_id = i.id
	LEFT JOIN (SELECT n.incident_id, count(*) AS pages, min(n.sent_at) AS first_page,
			sum(CASE WHEN ` + night + ` THEN 1 ELSE 0 END) AS night
		FROM notifications n JOIN incidents ni ON ni.id = n.incident_id
		WHERE n.kind = 'page' AND n.status = 'sent' AND ni.created_at >= $1 AND ni.created_at < $2
		GROUP BY n.incident_id) p ON p.incident_id = i.id
	WHERE i.created_at >= $1 AND i.created_at < $2)`
}

// noiseCountCols are the counts of a group of inc rows, in NoiseCounts
// order after Alerts.
var noiseCountCols = fmt.Sprintf(`count(*),
	CAST(COALESCE(sum(inc.pages), 0) AS BIGINT),
	CAST(COALESCE(sum(CASE WHEN inc.first_page IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(sum(CASE WHEN inc.first_page IS NOT NULL AND inc.acknowledged_at IS NOT NULL
		AND inc.acknowledged_at <= inc.first_page + %d THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(sum(inc.night), 0) AS BIGINT),
	CAST(COALESCE(sum(CASE WHEN inc.verdict = 'noise' THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(sum(CASE WHEN inc.verdict = 'actionable' THEN 1 ELSE 0 END), 0) AS BIGINT)`, vigil.QuickAck.Microseconds())

// The report's dimensions, as the queries tag their rows.
const (
	dimService = "s"
	dimKey     = "k"
	dimRule    = "r"
)

// Each dimension's rows: tag, id, name, service id, service name, then
// the counts (incidents side) or the alert count (alerts side). A rule's
// alerts are those of the incidents it applied to and those it suppressed.
var (
	sqlNoiseByIncident = ` SELECT 's', inc.service_id, s.name, 0, '', ` + noiseCountCols + `
	FROM inc JOIN services s ON s.id = inc.service_id GROUP BY inc.service_id, s.name
UNION ALL SELECT 'k', k.id, k.name, s.id, s.name, ` + noiseCountCols + `
	FROM inc JOIN integration_keys k ON k.id = inc.key_id JOIN services s ON s.id = k.service_id GROUP BY k.id, k.name, s.id, s.name
UNION ALL SELECT 'r', 0, r.rule, 0, '', ` + noiseCountCols + `
	FROM inc JOIN incident_rules r ON r.incident_id = inc.id GROUP BY r.rule`

	sqlNoiseAlerts = `SELECT 's', a.service_id, s.name, 0, '', count(*)
	FROM alerts a JOIN services s ON s.id = a.service_id
	WHERE a.first_seen >= $1 AND a.first_seen < $2 GROUP BY a.service_id, s.name
UNION ALL SELECT 'k', k.id, k.name, s.id, s.name, count(*)
	FROM alerts a JOIN integration_keys k ON k.id = a.integration_key_id JOIN services s ON s.id = k.service_id
	WHERE a.first_seen >= $1 AND a.first_seen < $2 GROUP BY k.id, k.name, s.id, s.name
UNION ALL SELECT 'r', 0, r.rule, 0, '', count(*)
	FROM alerts a JOIN incident_rules r ON r.incident_id = a.incident_id
	WHERE a.first_seen >= $1 AND a.first_seen < $2 GROUP BY r.rule
UNION ALL SELECT 'r', 0, a.suppressed_by, 0, '', count(*)
	FROM alerts a WHERE a.suppressed_by IS NOT NULL AND a.first_seen >= $1 AND a.first_seen < $2 GROUP BY a.suppressed_by`
)

// sqlRefire is 1 for an incident i opened within $3 of another of its
// group resolving (through incidents_group_resolved), else 0.
const sqlRefire = `CASE WHEN EXISTS (SELECT 1 FROM incidents p WHERE p.service_id = i.service_id AND p.group_key = i.group_key
	AND p.resolved_at IS NOT NULL AND p.resolved_at <= i.created_at AND p.resolved_at >= i.created_at - $3 AND p.id <> i.id)
	THEN 1 ELSE 0 END`

// maxNoiseFacts bounds each list of facts behind the suggestions.
const maxNoiseFacts = 50

// NoiseReport counts alerts, incidents, pages and verdicts per service,
// integration key and classification rule, and draws suggestions from
// them. Everything is counted in SQL; night is a list of time ranges
// computed here, so DST is right on both databases. CodeInvalid (query).
func (db *DB) NoiseReport(ctx context.Context, nq vigil.NoiseQuery) (*vigil.NoiseReport, error) {
	if err := nq.Validate(); err != nil {
		return nil, err
	}
	since, until := micros(nq.Since), micros(nq.Until)
	args := []any{since, until}
	var night []string
	for _, n := range vigil.NightIntervals(nq.Since, nq.Until, nq.Location()) {
		night = append(night, fmt.Sprintf("(n.sent_at >= $%d AND n.sent_at < $%d)", len(args)+1, len(args)+2))
		args = append(args, micros(n[0]), micros(n[1]))
	}
	nightSQL := "1 = 0"
	if len(night) > 0 {
		nightSQL = "(" + strings.Join(night, " OR ") + ")"
	}
	th := triage.DefaultNoiseThresholds
	r := &vigil.NoiseReport{Since: nq.Since.UTC(), Until: nq.Until.UTC(), TimeZone: nq.TimeZone}
	type tagged struct {
		dim string
		vigil.NoiseRow
	}
	scanCounts := func(rw row) (tagged, error) {
		var t tagged
		c := &t.NoiseCounts
		err := rw.Scan(&t.dim, &t.ID, &t.Name, &t.ServiceID, &t.ServiceName,
			&c.Incidents, &c.Pages, &c.PagedIncidents, &c.AckedQuickly, &c.NightPages, &c.Noise, &c.Actionable)
		return t, err
	}
	scanAlerts := func(rw row) (tagged, error) {
		var t tagged
		err := rw.Scan(&t.dim, &t.ID, &t.Name, &t.ServiceID, &t.ServiceName, &t.Alerts)
		return t, err
	}
	alertName, firstName := db.dialect.alertName("a"), "COALESCE((SELECT "+db.dialect.alertName("a")+" FROM alerts a WHERE a.incident_id = %s.id ORDER BY a.id LIMIT 1), '')"
	// The counts take in every incident; the facts that name alerts and
	// groups (whose names may tell what a private incident is about) only
	// the incidents the viewer may see.
	vis, visArgs := visibleFrom(ctx, 4)
	err := db.read(ctx, func(q querier) error {
		byInc, err := queryAll(ctx, q, scanCounts, noiseIncidents(nightSQL)+sqlNoiseByIncident, args...)
		if err != nil {
			return err
		}
		byAlert, err := queryAll(ctx, q, scanAlerts, sqlNoiseAlerts, since, until)
		if err != nil {
			return err
		}
		merged := map[string]*tagged{}
		var order []*tagged
		for _, t := range append(byInc, byAlert...) {
			k := fmt.Sprintf("%s/%d/%s", t.dim, t.ID, t.Name)
			if m := merged[k]; m != nil {
				m.Add(t.NoiseCounts) // one side counts alerts, the other the rest
				continue
			}
			merged[k] = &t
			order = append(order, &t)
		}
		r.Services, r.IntegrationKeys, r.Rules = []vigil.NoiseRow{}, []vigil.NoiseRow{}, []vigil.NoiseRow{}
		for _, t := range order {
			switch t.dim {
			case dimService:
				r.Services = append(r.Services, t.NoiseRow)
				r.Totals.Add(t.NoiseCounts)
			case dimKey:
				r.IntegrationKeys = append(r.IntegrationKeys, t.NoiseRow)
			case dimRule:
				r.Rules = append(r.Rules, t.NoiseRow)
			}
		}
		for _, list := range [][]vigil.NoiseRow{r.Services, r.IntegrationKeys, r.Rules} {
			slices.SortFunc(list, func(a, b vigil.NoiseRow) int {
				return cmp.Or(cmp.Compare(b.Incidents, a.Incidents), cmp.Compare(b.Alerts, a.Alerts),
					strings.Compare(a.ServiceName, b.ServiceName), strings.Compare(a.Name, b.Name))
			})
		}

		r.AlertGroups, err = queryAll(ctx, q, func(rw row) (vigil.NoiseAlertGroup, error) {
			var g vigil.NoiseAlertGroup
			err := rw.Scan(&g.ServiceID, &g.ServiceName, &g.AlertName, &g.Alerts, &g.Incidents, &g.Noise, &g.Actionable, &g.QuickUnacked)
			return g, err
		}, `SELECT a.service_id, s.name, `+alertName+`, count(*), count(DISTINCT a.incident_id),
			count(DISTINCT CASE WHEN f.verdict = 'noise' THEN a.incident_id END),
			count(DISTINCT CASE WHEN f.verdict = 'actionable' THEN a.incident_id END),
			CAST(COALESCE(sum(CASE WHEN a.resolved_at IS NOT NULL AND a.resolved_at <= a.first_seen + $3
				AND i.acknowledged_at IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
		FROM alerts a JOIN services s ON s.id = a.service_id JOIN incidents i ON i.id = a.incident_id
		LEFT JOIN incident_feedback f ON f.incident_id = a.incident_id
		WHERE a.first_seen >= $1 AND a.first_seen < $2 AND `+vis+`
		GROUP BY a.service_id, s.name, `+alertName+`
		HAVING count(*) >= $4
		ORDER BY count(*) DESC, a.service_id, 3 LIMIT `+fmt.Sprint(maxNoiseFacts),
			append([]any{since, until, vigil.QuickResolve.Microseconds(), th.SilenceAlerts}, visArgs...)...)
		if err != nil {
			return err
		}

		// Pairs: the incidents of each kind (service and first alert's
		// name) are first folded into PairGap-long buckets, so a storm of
		// one kind is one row per bucket; then each bucket meets the
		// buckets of other services' kinds that began at most PairGap
		// after it (in the same bucket or the next), by equality joins.
		// Together counts the target's buckets, TargetTimes all of them.
		r.Pairs, err = queryAll(ctx, q, func(rw row) (vigil.NoisePair, error) {
			var p vigil.NoisePair
			err := rw.Scan(&p.SourceServiceID, &p.SourceService, &p.SourceAlert, &p.TargetServiceID, &p.TargetService,
				&p.TargetAlert, &p.Together, &p.TargetTimes)
			return p, err
		}, `WITH inc AS (SELECT i.service_id, i.created_at, i.created_at / $3 AS b, `+fmt.Sprintf(firstName, "i")+` AS name
			FROM incidents i WHERE i.created_at >= $1 AND i.created_at < $2 AND `+vis+`),
		kb AS (SELECT service_id, name, b, min(created_at) AS t FROM inc GROUP BY service_id, name, b),
		kinds AS (SELECT service_id, name, count(*) AS n FROM kb GROUP BY service_id, name),
		pairs AS (SELECT x.service_id AS xs, x.name AS xn, y.service_id AS ys, y.name AS yn, y.b AS yb
				FROM kb x JOIN kb y ON y.b = x.b AND y.service_id <> x.service_id AND y.t >= x.t
			UNION ALL SELECT x.service_id, x.name, y.service_id, y.name, y.b
				FROM kb x JOIN kb y ON y.b = x.b + 1 AND y.service_id <> x.service_id AND y.t <= x.t + $3)
		SELECT p.xs, sx.name, p.xn, p.ys, sy.name, p.yn, count(DISTINCT p.yb), k.n
		FROM pairs p JOIN kinds k ON k.service_id = p.ys AND k.name = p.yn
			JOIN services sx ON sx.id = p.xs JOIN services sy ON sy.id = p.ys
		GROUP BY p.xs, sx.name, p.xn, p.ys, sy.name, p.yn, k.n
		HAVING count(DISTINCT p.yb) >= $4
		ORDER BY 7 DESC, 1, 4, 3, 6 LIMIT `+fmt.Sprint(maxNoiseFacts),
			append([]any{since, until, vigil.PairGap.Microseconds(), th.PairTimes}, visArgs...)...)
		if err != nil {
			return err
		}

		r.Refires, err = queryAll(ctx, q, func(rw row) (vigil.NoiseRefire, error) {
			var (
				f        vigil.NoiseRefire
				grouping string
			)
			if err := rw.Scan(&f.ServiceID, &f.ServiceName, &f.GroupKey, &grouping, &f.Incidents, &f.SoonAfterResolve); err != nil {
				return f, err
			}
			_ = json.Unmarshal([]byte(grouping), &f.Grouping) // a bad rule only loses the window in the advice
			return f, nil
		}, `SELECT i.service_id, s.name, i.group_key, s.grouping_rule, count(*),
			CAST(COALESCE(sum(`+sqlRefire+`), 0) AS BIGINT)
		FROM incidents i JOIN services s ON s.id = i.service_id
		WHERE i.created_at >= $1 AND i.created_at < $2 AND `+vis+`
		GROUP BY i.service_id, s.name, i.group_key, s.grouping_rule
		HAVING sum(`+sqlRefire+`) >= $4
		ORDER BY 6 DESC, 1, 3 LIMIT `+fmt.Sprint(maxNoiseFacts),
			append([]any{since, until, vigil.RefireGap.Microseconds(), th.RefireTimes}, visArgs...)...)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.Suggestions = triage.SuggestNoise(r, th)
	return r, nil
}
