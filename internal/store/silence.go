package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Silences. The rows live in the silences table; ingest matches new alerts
// against an in-memory index of the silences that have not ended
// (silenceSet), reloaded only when silence_state.version moved, so a batch
// of events costs one primary-key read however many silences exist.

const silenceCols = `id, uuid, service_id, matchers, starts_at, ends_at, created_by, comment, annotations,
	expire_on_resolve, created_at, updated_at, last_matched_at`

func scanSilence(r row) (*vigil.Silence, error) {
	var (
		s                              vigil.Silence
		serviceID, lastMatched         sql.NullInt64
		matchers, annotations          string
		starts, ends, created, updated int64
	)
	if err := r.Scan(&s.ID, &s.UUID, &serviceID, &matchers, &starts, &ends, &s.CreatedBy, &s.Comment, &annotations,
		&s.ExpireOnResolve, &created, &updated, &lastMatched); err != nil {
		return nil, err
	}
	if serviceID.Valid {
		s.ServiceID = &serviceID.Int64
	}
	if err := json.Unmarshal([]byte(matchers), &s.Matchers); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(annotations), &s.Annotations); err != nil {
		return nil, err
	}
	if len(s.Annotations) == 0 {
		s.Annotations = nil
	}
	s.StartsAt, s.EndsAt, s.CreatedAt, s.UpdatedAt = fromMicros(starts), fromMicros(ends), fromMicros(created), fromMicros(updated)
	s.LastMatchedAt = nullMicros(lastMatched)
	return &s, nil
}

const (
	sqlSilenceVersion = `SELECT version FROM silence_state WHERE id = 1`
	sqlBumpSilences   = `UPDATE silence_state SET version = version + 1 WHERE id = 1`
	sqlLiveSilences   = `SELECT id, service_id, matchers, starts_at, ends_at, expire_on_resolve, last_matched_at
		FROM silences WHERE ends_at > $1`
	sqlInsertSilence = `INSERT INTO silences (uuid, service_id, matchers, starts_at, ends_at, created_by, comment, annotations,
		expire_on_resolve, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`
	sqlSilenceMatched = `UPDATE silences SET last_matched_at = $1 WHERE id = $2 AND (last_matched_at IS NULL OR last_matched_at < $1)`

	// An alert's silence ends when it resolves, if the silence asked for
	// that and holds no other firing alert (Alertmanager #1057).
	sqlEndSilenceOnResolve = `UPDATE silences SET ends_at = $1, updated_at = $1
	WHERE id = $2 AND expire_on_resolve AND starts_at <= $1 AND ends_at > $1
		AND NOT EXISTS (SELECT 1 FROM alerts WHERE silenced_by = $2 AND status = 'firing' AND incident_id IS NULL)`
)

// matchedEvery bounds how often ingest writes a silence's last_matched_at:
// the "matched nothing for days" flag needs no finer grain, and a storm of
// silenced alerts then costs no write per alert.
const matchedEvery = time.Minute

// newSilenceUUID returns a random (version 4) UUID, the id format of
// Alertmanager's API.
func newSilenceUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// prepareSilence applies the defaults of a write at now and checks s: the
// author defaults to the actor; an absent start is now; the end must lie
// ahead (as Alertmanager's API requires). Times are cut to microseconds.
func prepareSilence(ctx context.Context, s *vigil.Silence, now time.Time) error {
	if s == nil {
		return vigil.Errorf(vigil.CodeInvalid, "silence is empty")
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		s.CreatedBy = vigil.ActorFromContext(ctx).Name
	}
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	s.StartsAt = s.StartsAt.UTC().Truncate(time.Microsecond)
	s.EndsAt = s.EndsAt.UTC().Truncate(time.Microsecond)
	if err := s.Validate(); err != nil {
		return err
	}
	if !s.EndsAt.After(now) {
		return vigil.FieldError("ends_at", "must be in the future")
	}
	return nil
}

// insertSilence stores s as a new silence at now; a start in the past
// becomes now.
func (db *DB) insertSilence(ctx context.Context, q querier, s *vigil.Silence, now time.Time) error {
	if s.StartsAt.Before(now) {
		s.StartsAt = now
	}
	if s.ServiceID != nil {
		if err := mustExist(ctx, q, "services", *s.ServiceID, "service_id", "service"); err != nil {
			return err
		}
	}
	uuid, err := newSilenceUUID()
	if err != nil {
		return err
	}
	matchers, annotations, err := encodeSilence(s)
	if err != nil {
		return err
	}
	var svc any
	if s.ServiceID != nil {
		svc = *s.ServiceID
	}
	if err := q.queryRow(ctx, sqlInsertSilence, uuid, svc, matchers, micros(s.StartsAt), micros(s.EndsAt), s.CreatedBy, s.Comment,
		annotations, s.ExpireOnResolve, micros(now)).Scan(&s.ID); err != nil {
		return err
	}
	s.UUID, s.CreatedAt, s.UpdatedAt, s.LastMatchedAt = uuid, now, now, nil
	_, err = q.exec(ctx, sqlBumpSilences)
	return err
}

func encodeSilence(s *vigil.Silence) (matchers, annotations string, err error) {
	m, err := json.Marshal(s.Matchers)
	if err != nil {
		return "", "", vigil.FieldError("matchers", "cannot be encoded: %v", err)
	}
	a := []byte("{}")
	if len(s.Annotations) > 0 {
		if a, err = json.Marshal(s.Annotations); err != nil {
			return "", "", vigil.FieldError("annotations", "cannot be encoded: %v", err)
		}
	}
	return string(m), string(a), nil
}

// CreateSilence validates and stores s. CodeInvalid, naming the field.
func (db *DB) CreateSilence(ctx context.Context, s *vigil.Silence) error {
	var now time.Time
	err := db.write(ctx, func(q querier, n time.Time) error {
		now = n
		if err := prepareSilence(ctx, s, now); err != nil {
			return err
		}
		if err := db.insertSilence(ctx, q, s, now); err != nil {
			return err
		}
		return auditRow(ctx, db, q, now, "silence.create", auditSilence, s.ID, nil, scanSilence, sqlSilenceByID)
	})
	if err != nil {
		return err
	}
	s.Fill(now)
	return nil
}

const sqlSilenceByID = "SELECT " + silenceCols + " FROM silences WHERE id = $1"

// canUpdateSilence is Alertmanager's rule (silence.canUpdate) for changing
// a silence in place rather than replacing it: same matchers (and, in
// Vigil, the same service); an active silence keeps its start and may not
// end in the past; a pending one may not start in the past; an expired one
// is never changed.
func canUpdateSilence(prev, s *vigil.Silence, now time.Time) bool {
	if !vigil.SameMatchers(prev.Matchers, s.Matchers) || !sameID(prev.ServiceID, s.ServiceID) {
		return false
	}
	switch prev.StateAt(now) {
	case vigil.SilenceActive:
		return prev.StartsAt.Unix() == s.StartsAt.Unix() && !s.EndsAt.Before(now)
	case vigil.SilencePending:
		return !s.StartsAt.Before(now)
	}
	return false
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// UpdateSilence changes silence id as Alertmanager's POST with an id does:
// in place when allowed (see canUpdateSilence), else by expiring it and
// creating s as a new silence.
func (db *DB) UpdateSilence(ctx context.Context, id int64, s *vigil.Silence) error {
	var (
		now      time.Time
		replaced bool
	)
	err := db.write(ctx, func(q querier, n time.Time) error {
		now, replaced = n, false
		prev, err := scanSilence(q.queryRow(ctx, "SELECT "+silenceCols+" FROM silences WHERE id = $1"+db.dialect.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("silence", id)
		}
		if err != nil {
			return err
		}
		if err := prepareSilence(ctx, s, now); err != nil {
			return err
		}
		if canUpdateSilence(prev, s, now) {
			matchers, annotations, err := encodeSilence(s)
			if err != nil {
				return err
			}
			if _, err := q.exec(ctx, `UPDATE silences SET starts_at = $1, ends_at = $2, created_by = $3, comment = $4,
				matchers = $5, annotations = $6, expire_on_resolve = $7, updated_at = $8 WHERE id = $9`,
				micros(s.StartsAt), micros(s.EndsAt), s.CreatedBy, s.Comment, matchers, annotations, s.ExpireOnResolve,
				micros(now), id); err != nil {
				return err
			}
			s.ID, s.UUID, s.CreatedAt, s.UpdatedAt, s.LastMatchedAt = prev.ID, prev.UUID, prev.CreatedAt, now, prev.LastMatchedAt
			if _, err = q.exec(ctx, sqlBumpSilences); err != nil {
				return err
			}
			return auditRow(ctx, db, q, now, "silence.update", auditSilence, id, prev, scanSilence, sqlSilenceByID)
		}
		// Replaced: the old silence stays in the history, expired.
		if prev.StateAt(now) != vigil.SilenceExpired {
			before := *prev
			if err := expireSilenceRow(ctx, q, prev, now); err != nil {
				return err
			}
			if err := auditRow(ctx, db, q, now, "silence.expire", auditSilence, id, &before, scanSilence, sqlSilenceByID); err != nil {
				return err
			}
			replaced = true
		}
		if err := db.insertSilence(ctx, q, s, now); err != nil {
			return err
		}
		return auditRow(ctx, db, q, now, "silence.create", auditSilence, s.ID, nil, scanSilence, sqlSilenceByID)
	})
	if err != nil {
		return err
	}
	s.Fill(now)
	if replaced {
		db.releaseAfter(ctx, id)
	}
	return nil
}

// expireSilenceRow ends prev at now: an active silence ends, a pending one
// never starts (both times now, as Alertmanager does).
func expireSilenceRow(ctx context.Context, q querier, prev *vigil.Silence, now time.Time) error {
	starts := prev.StartsAt
	if prev.StateAt(now) == vigil.SilencePending {
		starts = now
	}
	if _, err := q.exec(ctx, "UPDATE silences SET starts_at = $1, ends_at = $2, updated_at = $2 WHERE id = $3",
		micros(starts), micros(now), prev.ID); err != nil {
		return err
	}
	prev.StartsAt, prev.EndsAt, prev.UpdatedAt = starts, now, now
	_, err := q.exec(ctx, sqlBumpSilences)
	return err
}

// ExpireSilence ends a silence now and releases the alerts it held.
func (db *DB) ExpireSilence(ctx context.Context, id int64) (*vigil.Silence, error) {
	var (
		s       *vigil.Silence
		now     time.Time
		expired bool
	)
	err := db.write(ctx, func(q querier, n time.Time) error {
		now, expired = n, false
		var err error
		s, err = scanSilence(q.queryRow(ctx, "SELECT "+silenceCols+" FROM silences WHERE id = $1"+db.dialect.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("silence", id)
		}
		if err != nil || s.StateAt(now) == vigil.SilenceExpired {
			return err
		}
		expired = true
		before := *s
		if err := expireSilenceRow(ctx, q, s, now); err != nil {
			return err
		}
		return auditRow(ctx, db, q, now, "silence.expire", auditSilence, id, &before, scanSilence, sqlSilenceByID)
	})
	if err != nil {
		return nil, err
	}
	s.Fill(now)
	if expired {
		db.releaseAfter(ctx, id)
	}
	return s, nil
}

// releaseAfter releases, right away, the alerts silence id held, so a
// silence expired by hand pages its alerts now rather than at the next
// sweep.
func (db *DB) releaseAfter(ctx context.Context, id int64) {
	db.releaseNow(ctx, "a.silenced_by", id)
}

// FindSilenceByID returns CodeNotFound when there is no such silence.
func (db *DB) FindSilenceByID(ctx context.Context, id int64) (*vigil.Silence, error) {
	return db.findSilence(ctx, "id = $1", id, func() error { return notFound("silence", id) })
}

// FindSilenceByUUID returns CodeNotFound when there is no such silence.
func (db *DB) FindSilenceByUUID(ctx context.Context, uuid string) (*vigil.Silence, error) {
	return db.findSilence(ctx, "uuid = $1", strings.ToLower(uuid), func() error {
		return vigil.Errorf(vigil.CodeNotFound, "silence %s not found", uuid)
	})
}

func (db *DB) findSilence(ctx context.Context, cond string, arg any, missing func() error) (*vigil.Silence, error) {
	var s *vigil.Silence
	err := db.read(ctx, func(q querier) error {
		var err error
		s, err = scanSilence(q.queryRow(ctx, "SELECT "+silenceCols+" FROM silences WHERE "+cond, arg))
		if errors.Is(err, sql.ErrNoRows) {
			return missing()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Fill(db.now())
	return s, nil
}

// FindSilences lists silences, newest first, with the total count.
func (db *DB) FindSilences(ctx context.Context, f vigil.SilenceFilter) ([]*vigil.Silence, int, error) {
	now := db.now()
	var w where
	if f.ServiceID != nil {
		if f.IncludeGlobal {
			w.add("(service_id = ? OR service_id IS NULL)", *f.ServiceID)
		} else {
			w.add("service_id = ?", *f.ServiceID)
		}
	}
	if len(f.States) > 0 {
		var (
			or   []string
			args []any
		)
		at := micros(now)
		for _, st := range f.States {
			switch st {
			case vigil.SilencePending:
				or, args = append(or, "starts_at > ?"), append(args, at)
			case vigil.SilenceActive:
				or, args = append(or, "(starts_at <= ? AND ends_at > ?)"), append(args, at, at)
			case vigil.SilenceExpired:
				or, args = append(or, "ends_at <= ?"), append(args, at)
			default:
				return nil, 0, vigil.FieldError("state", "must be one of pending, active, expired")
			}
		}
		w.add("("+strings.Join(or, " OR ")+")", args...)
	}
	if len(f.IDs) > 0 {
		ph := make([]string, len(f.IDs))
		args := make([]any, len(f.IDs))
		for i, id := range f.IDs {
			ph[i], args[i] = "?", id
		}
		w.add("id IN ("+strings.Join(ph, ", ")+")", args...)
	}
	if f.EndsAfter != nil {
		w.add("ends_at > ?", micros(*f.EndsAfter))
	}
	if f.UnusedFor < 0 {
		return nil, 0, vigil.FieldError("unused_for", "must not be negative")
	}
	if f.UnusedFor > 0 {
		cut := micros(now.Add(-f.UnusedFor))
		w.add("starts_at <= ? AND ends_at > ? AND COALESCE(last_matched_at, starts_at) <= ? AND starts_at <= ?", micros(now), micros(now), cut, cut)
	}
	var (
		total int
		list  = []*vigil.Silence{}
	)
	err := db.read(ctx, func(q querier) error {
		if err := q.queryRow(ctx, countCapped("silences"+w.sql()), w.args...).Scan(&total); err != nil {
			return err
		}
		var err error
		list, err = queryAll(ctx, q, scanSilence, "SELECT "+silenceCols+" FROM silences"+w.sql()+" ORDER BY id DESC"+w.page(f.Offset, f.Limit), w.args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	for _, s := range list {
		s.Fill(now)
	}
	return list, total, nil
}

// ReleaseSilencedAlerts releases up to limit alerts held by silences that
// have ended; it is ReleaseHeldAlerts, which releases every kind of hold.
func (db *DB) ReleaseSilencedAlerts(ctx context.Context, limit int) (int, error) {
	return db.ReleaseHeldAlerts(ctx, limit)
}

// silenceCache holds the last silenceSet loaded, shared by transactions.
type silenceCache struct {
	mu  sync.Mutex
	set *silenceSet
}

func (c *silenceCache) get() *silenceSet {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

func (c *silenceCache) put(s *silenceSet) {
	c.mu.Lock()
	c.set = s
	c.mu.Unlock()
}

// liveSilence is a silence that had not ended when its set was loaded,
// compiled for matching.
type liveSilence struct {
	id              int64
	service         int64 // 0: every service
	starts, ends    int64 // unix micros
	expireOnResolve bool
	matchers        []vigil.LabelMatcher
	lastMatched     atomic.Int64 // unix micros of the last write of last_matched_at
}

func (s *liveSilence) activeAt(now int64) bool { return s.starts <= now && now < s.ends }

// silenceSet indexes live silences by one label each must see, so an
// alert is tested only against silences that can match it. Every valid
// silence has a matcher that does not match the empty string, so its label
// must be present. A silence is filed under that label's value when the
// matcher is an equality (or a regular expression that is one literal),
// under the literal prefix of its regular expression when it has one, and
// else under the label's name alone.
type silenceSet struct {
	version  int64
	loadedAt int64
	byID     map[int64]*liveSilence
	byValue  map[string]map[string][]*liveSilence
	byPrefix map[string]*prefixIndex
	byName   map[string][]*liveSilence
}

// prefixIndex files silences by the literal prefix their value must start
// with; a value is looked up once per distinct prefix length.
type prefixIndex struct {
	lens []int
	by   map[string][]*liveSilence
}

func (x *prefixIndex) add(prefix string, l *liveSilence) {
	if _, ok := x.by[prefix]; !ok {
		i := sort.SearchInts(x.lens, len(prefix))
		if i == len(x.lens) || x.lens[i] != len(prefix) {
			x.lens = append(x.lens, 0)
			copy(x.lens[i+1:], x.lens[i:])
			x.lens[i] = len(prefix)
		}
	}
	x.by[prefix] = append(x.by[prefix], l)
}

func newSilenceSet(version, loadedAt int64, list []*liveSilence) *silenceSet {
	s := &silenceSet{version: version, loadedAt: loadedAt, byID: make(map[int64]*liveSilence, len(list)),
		byValue: map[string]map[string][]*liveSilence{}, byPrefix: map[string]*prefixIndex{}, byName: map[string][]*liveSilence{}}
	for _, l := range list {
		s.byID[l.id] = l
		name, key, kind := anchor(l.matchers)
		switch kind {
		case anchorValue:
			if s.byValue[name] == nil {
				s.byValue[name] = map[string][]*liveSilence{}
			}
			s.byValue[name][key] = append(s.byValue[name][key], l)
		case anchorPrefix:
			if s.byPrefix[name] == nil {
				s.byPrefix[name] = &prefixIndex{by: map[string][]*liveSilence{}}
			}
			s.byPrefix[name].add(key, l)
		default:
			s.byName[name] = append(s.byName[name], l)
		}
	}
	return s
}

const (
	anchorName = iota
	anchorValue
	anchorPrefix
)

// anchor chooses where a silence is filed: the label of an equality (or
// of a regular expression that is one literal) with its value; else the
// label of a positive regular expression with a literal prefix that does
// not match the empty value, with the prefix; else the label of the first
// matcher that needs the label present.
func anchor(ms []vigil.LabelMatcher) (name, key string, kind int) {
	for i := range ms {
		m := &ms[i]
		if lit, ok := m.Literal(); ok && m.IsEqual && lit != "" {
			return m.Name, lit, anchorValue
		}
	}
	for i := range ms {
		m := &ms[i]
		if p := m.Prefix(); m.IsRegex && m.IsEqual && p != "" {
			return m.Name, p, anchorPrefix
		}
	}
	for i := range ms {
		if !ms[i].Matches("") {
			return ms[i].Name, "", anchorName
		}
	}
	return ms[0].Name, "", anchorName // unreachable for a valid silence
}

// match returns the active silence that holds an alert of service with
// labels l at now: of several, the one ending last (then the oldest), so
// the alert is released once, when the last of them ends.
func (s *silenceSet) match(service int64, l vigil.AlertLabels, now int64) *liveSilence {
	if s == nil || len(s.byID) == 0 {
		return nil
	}
	var best *liveSilence
	consider := func(list []*liveSilence) {
		for _, c := range list {
			if (c.service != 0 && c.service != service) || !c.activeAt(now) {
				continue
			}
			if best != nil && (c.ends < best.ends || (c.ends == best.ends && c.id > best.id)) {
				continue
			}
			if vigil.MatchAll(c.matchers, l) {
				best = c
			}
		}
	}
	look := func(name, value string) {
		if m := s.byValue[name]; m != nil {
			consider(m[value])
		}
		if x := s.byPrefix[name]; x != nil {
			for _, n := range x.lens {
				if n > len(value) {
					break
				}
				consider(x.by[value[:n]])
			}
		}
		consider(s.byName[name])
	}
	for k, v := range l.Labels {
		if v != "" {
			look(k, v)
		}
	}
	if l.Labels["alertname"] == "" && l.Summary != "" {
		look("alertname", l.Summary)
	}
	if l.Labels["severity"] == "" && l.Severity != "" {
		look("severity", string(l.Severity))
	}
	return best
}

// liveSilences returns the silences that have not ended, from the cache
// when silence_state's version has not moved. cache is false in a
// transaction that changed silences itself: what it reads may roll back.
func (db *DB) liveSilences(ctx context.Context, q querier, now time.Time, cache bool) (*silenceSet, error) {
	var version int64
	if err := q.queryRow(ctx, sqlSilenceVersion).Scan(&version); err != nil {
		return nil, err
	}
	at := micros(now)
	if cur := db.silences.get(); cache && cur != nil && cur.version == version && cur.loadedAt <= at {
		return cur, nil
	}
	list, err := queryAll(ctx, q, func(r row) (*liveSilence, error) {
		var (
			l        = &liveSilence{}
			svc, lm  sql.NullInt64
			matchers string
		)
		if err := r.Scan(&l.id, &svc, &matchers, &l.starts, &l.ends, &l.expireOnResolve, &lm); err != nil {
			return nil, err
		}
		l.service = svc.Int64
		l.lastMatched.Store(lm.Int64)
		var ms []vigil.SilenceMatcher
		if err := json.Unmarshal([]byte(matchers), &ms); err != nil {
			return nil, err
		}
		var err error
		if l.matchers, err = vigil.CompileMatchers(ms); err != nil {
			// Checked when saved; a row that no longer compiles silences
			// nothing rather than stopping ingest.
			db.log.Error("silence does not compile; ignored", "silence", l.id, "err", err)
			return nil, nil
		}
		return l, nil
	}, sqlLiveSilences, at)
	if err != nil {
		return nil, err
	}
	live := list[:0]
	for _, l := range list {
		if l != nil {
			live = append(live, l)
		}
	}
	set := newSilenceSet(version, at, live)
	if cache {
		db.silences.put(set)
	}
	return set, nil
}

// flushMatched writes last_matched_at of the silences that held alerts in
// this transaction, at most once per matchedEvery each, in id order (so
// two replicas never wait on each other's rows in opposite orders).
func flushMatched(ctx context.Context, q querier, now time.Time, matched map[int64]*liveSilence) error {
	if len(matched) == 0 {
		return nil
	}
	at := micros(now)
	ids := make([]int64, 0, len(matched))
	for id, l := range matched {
		if at-l.lastMatched.Load() >= matchedEvery.Microseconds() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if _, err := q.exec(ctx, sqlSilenceMatched, at, id); err != nil {
			return err
		}
		matched[id].lastMatched.Store(at)
	}
	return nil
}
