package fusion

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/internal/retrylog"
)

// Journal is fusion's durable intake journal (store.SQLite implements
// it). With one (Deps.Journal), Run appends each detection message to it
// before acknowledging the message to the broker, the messages that
// arrived together in one transaction (group commit: JournalBatch), and
// deletes a message's entry once its detection is in the time series; at
// its start it replays what a stop without a flush (kill -9, a power
// cut) left there. Without one, an acknowledged detection not yet stored
// is lost at such a stop (docs/events.md).
type Journal interface {
	// AppendJournal stores entries durably, all or none.
	AppendJournal(ctx context.Context, entries []store.JournalEntry) error
	// ReleaseJournal deletes the entries whose Seq is below before.
	ReleaseJournal(ctx context.Context, before int64) (int64, error)
	// Journal returns every entry, by Seq.
	Journal(ctx context.Context) ([]store.JournalEntry, error)
}

// JournalBatch is the most messages Run takes from its inbox and
// journals in one transaction. Run takes what has arrived, up to it, so a
// lone message is journaled and acknowledged at once and, under load, the
// messages that arrived during one commit share the next one's fsync.
const JournalBatch = 256

// storedByID is the part of a time series (store.SQLite) replay asks
// which journaled detections it holds already.
type storedByID interface {
	DetectionsByID(ctx context.Context, site string, from, to time.Time, ids []string) ([]store.DetectionRecord, error)
}

// journaler is Run's side of the intake journal. Only Run's goroutine
// uses it.
type journaler struct {
	e         *Engine
	j         Journal // nil: no journal, a message is acknowledged once handled
	next      int64   // the seq of the next detection message
	released  int64   // the entries below it are deleted
	flushes   uint64  // e.flushes at the last release
	appendLog retrylog.Log
	releaseLg retrylog.Log
}

func newJournaler(e *Engine) *journaler {
	return &journaler{e: e, j: e.deps.Journal, next: 1, released: 1}
}

// journaled reports whether a message on topic goes to the journal: a
// detection, whose effect (its store write) waits for its group to close
// and the next flush. Every other message Run takes does what it does
// (an acknowledgement published again, a health report written, a
// status noted) before it is acknowledged, so a stop before that leaves
// it with the broker.
func journaled(topic string) bool {
	_, _, kind, err := event.ParseSensorTopic(topic)
	return err == nil && kind == event.KindDetection
}

func (jr *journaler) entry(q queued) store.JournalEntry {
	return store.JournalEntry{Seq: q.msg.seq, Topic: q.msg.Topic, Payload: q.msg.Payload, ReceivedNS: q.msg.Received.UnixNano()}
}

// take journals the detection messages of batch in one transaction, then
// handles every message of batch in order and acknowledges it, a
// detection once journaled. When the append fails (a full disk, the
// database locked) the detections are handled and acknowledged all the
// same, unjournaled: a kill -9 before they are stored loses them, as it
// did before the journal. Holding them unacknowledged instead stopped the
// broker sending fusion anything once its in-flight limit (100) was
// held: no alert, no sensor heard, for as long as the disk was full.
// Once stop is done the rest of the batch is neither handled nor
// acknowledged: the broker delivers it again. A message leaves the
// backlog (Engine.Backlog) once acknowledged.
func (jr *journaler) take(ctx context.Context, stop <-chan struct{}, batch []queued, handle func(queued)) {
	defer jr.e.met.backlog.Add(-int64(len(batch)))
	if jr.j == nil {
		for _, q := range batch {
			handle(q)
			q.ack()
		}
		return
	}
	entries := make([]store.JournalEntry, 0, len(batch))
	for i := range batch {
		if journaled(batch[i].msg.Topic) {
			batch[i].msg.seq = jr.next
			jr.next++
			entries = append(entries, jr.entry(batch[i]))
		}
	}
	if !jr.append(ctx, entries) {
		for i := range batch {
			batch[i].msg.seq = 0 // not in the journal: nothing to pin
		}
	}
	for _, q := range batch {
		select {
		case <-stop:
			return // their entries are released at the stop: the broker has them
		default:
		}
		handle(q)
		q.ack()
	}
}

// append appends entries and reports whether it did. A failure is
// logged when its cause first appears or changes, then at most once a
// minute, and the recovery once.
func (jr *journaler) append(ctx context.Context, entries []store.JournalEntry) bool {
	if len(entries) == 0 {
		return true
	}
	now := jr.e.deps.Clock()
	if err := jr.j.AppendJournal(ctx, entries); err != nil {
		jr.e.met.journalFailures.Inc()
		if log, skipped := jr.appendLog.FailedAs(failureKey(err), now); log {
			jr.e.log.Warn("intake journal: append failed; the detections are handled and acknowledged without it, so a kill -9 before they are stored loses them (free the database's disk)",
				"messages", len(entries), "err", err, "failures_not_logged", skipped)
		}
		return false
	}
	if n, since := jr.appendLog.Recovered(); n > 0 {
		jr.e.log.Warn("intake journal: append succeeds again", "failed_appends", n, "failing_for", now.Sub(since).Round(time.Second))
	}
	return true
}

// release deletes the entries of the messages whose detections are
// stored, or need not be (a duplicate, a dead letter): those below the
// oldest detection still in an open group or the store buffer, or below
// next when none is. With force false it does so only after a flush since
// the last release.
func (jr *journaler) release(ctx context.Context, force bool) {
	if jr.j == nil {
		return
	}
	flushes := jr.e.flushCount()
	if !force && flushes == jr.flushes {
		return
	}
	floor := jr.e.journalFloor(jr.next)
	if floor <= jr.released {
		jr.flushes = flushes
		return
	}
	if _, err := jr.j.ReleaseJournal(ctx, floor); err != nil {
		// kept: replayed after a kill -9, the stored ones skipped
		if log, skipped := jr.releaseLg.FailedAs(failureKey(err), jr.e.deps.Clock()); log {
			jr.e.log.Warn("intake journal: deleting the entries of stored detections failed; tried again at the next tick", "err", err, "failures_not_logged", skipped)
		}
		return
	}
	jr.releaseLg.Recovered()
	jr.released, jr.flushes = floor, flushes
}

// replay handles, through Handle, the messages a stop without a flush
// left in the journal, oldest first, before Run subscribes: they were
// acknowledged, and the broker does not have them any more. Those whose
// detections the time series holds already (stored just before the stop,
// their entries not deleted yet) are marked seen first, so Handle drops
// them as duplicates rather than storing and locating them again; those
// a stored alert names as its evidence (markAlerted) are stored and
// located, and their fix is not alerted on again. An error is the
// journal's to read: Run cannot tell which entries it would overwrite.
func (jr *journaler) replay(ctx context.Context) error {
	if jr.j == nil {
		return nil
	}
	entries, err := jr.j.Journal(ctx)
	if err != nil {
		return fmt.Errorf("intake journal: %w (fusion replays it at its start, before it subscribes: check the database file and its disk)", err)
	}
	if len(entries) == 0 {
		return nil
	}
	jr.next = entries[len(entries)-1].Seq + 1
	jr.released = entries[0].Seq
	dets, from, to, received := jr.journaledDetections(entries)
	ids := make([]string, len(dets))
	for i, d := range dets {
		ids[i] = d.ID
	}
	stored := jr.markStored(ctx, ids, from, to)
	alerted := jr.markAlerted(ctx, dets, min(from, received))
	var errs int
	for _, en := range entries {
		m := Message{Topic: en.Topic, Payload: en.Payload, Received: time.Unix(0, en.ReceivedNS), seq: en.Seq}
		if err := jr.e.Handle(ctx, m); err != nil {
			errs++
		}
		jr.e.met.journalReplayed.Inc()
	}
	jr.e.log.Info("intake journal: replayed the detections a stop without a flush (kill -9, power cut) left unstored",
		"messages", len(entries), "already_stored", stored, "already_alerted", alerted, "failed_or_rejected", errs)
	return nil
}

// journaledDetections returns the journaled detections, the earliest
// one's time and the latest one's plus 1 ns, and the earliest time
// fusion received one (its own clock), and forgets them as seen: what
// the journal holds is stored unless the store says so (markStored).
func (jr *journaler) journaledDetections(entries []store.JournalEntry) (dets []event.Detection, from, to, received int64) {
	for _, en := range entries {
		if !journaled(en.Topic) {
			continue
		}
		d, err := event.DecodeDetection(en.Payload)
		if err != nil {
			continue // Handle dead-letters it
		}
		jr.e.seen.forget(d.Sensor, d.ID)
		if len(dets) == 0 || d.TimeNS < from {
			from = d.TimeNS
		}
		if len(dets) == 0 || en.ReceivedNS < received {
			received = en.ReceivedNS
		}
		to = max(to, d.TimeNS+1)
		dets = append(dets, d)
	}
	return dets, from, to, received
}

// markStored marks seen, of the journaled detections ids (taken from
// from to to), those the time series holds already (store.SQLite and
// store.Influx say by DetectionsByID; one in InfluxDB's spool is not
// found), and only those, and returns how many; 0 when it cannot tell.
// What the journal holds is stored unless the store says so: the seen
// file a clean stop saved names the detections it took in, also those a
// failing store had not written, which the replay dropped as duplicates
// and released, never stored.
func (jr *journaler) markStored(ctx context.Context, ids []string, from, to int64) int {
	sb, ok := beneath(jr.e.deps.TimeSeries).(storedByID)
	if !ok {
		return 0
	}
	n := 0
	for chunk := range slices.Chunk(ids, store.MaxIDs) {
		recs, err := sb.DetectionsByID(ctx, jr.e.deps.Site.ID, time.Unix(0, from), time.Unix(0, to), chunk)
		if err != nil {
			jr.e.log.Warn("intake journal: the store did not say which journaled detections it holds; replayed all (one stored already may be located again)", "err", err)
			return n
		}
		for _, r := range recs {
			if jr.e.seen.add(r.Sensor, r.ID) {
				n++
			}
		}
	}
	return n
}

// markAlerted notes, of the journaled detections dets (the earliest
// taken, or received, at from), those whose group was alerted on before
// the stop came ahead of the flush that would have stored them, and
// returns how many: those a stored alert names as its evidence, and
// those that continued an open phone alert (continues: on its carrier,
// heard by a sensor that heard its evidence, evidenceSensors) when its
// evidence does not name them (an alert stores the first
// alert.MaxAlertEvidence detections it gains, and is stored again only
// at its next refresh). Handle stores and locates them again, and their
// group's fix is not alerted on again (processGroup): on a new track,
// from the journal alone (without the detections around it that placed
// it the first time), it raised a second alert for the emission, in no
// cell, when it did not continue the stored one. The phone's next fix
// continues the stored alert as any fix after a restart does
// (alert.Engine's orphans).
//
// The alerts are those open, and those updated since MaxAhead
// (MinMaxAhead with MaxAhead disabled) before from: an alert is updated
// after the fix that named its evidence arrived, at fusion's clock or
// its fix's time, and a detection is at most MaxAhead ahead of fusion's
// clock. Until 2026-12-07 MaxAhead disabled read every alert the store
// held (up to 100 000), and one resolved long ago whose evidence named
// an ID a sensor used again kept the replay from alerting on that
// detection's group. It reads them with three queries, however many the
// detections. Evidence names a detection by its ID alone: a sensor that
// reuses IDs (a counter reset by a reflash; rfwarden's sensors put a
// random boot ID in each) may have one group of the replay taken for
// alerted by an open alert, its emission alerted on at its next fix
// instead.
func (jr *journaler) markAlerted(ctx context.Context, dets []event.Detection, from int64) int {
	as := jr.e.deps.AlertStore
	if as == nil || len(dets) == 0 {
		return 0
	}
	ahead := jr.e.cfg.MaxAhead
	if ahead <= 0 {
		ahead = MinMaxAhead
	}
	since := time.Unix(0, from).Add(-ahead)
	site := jr.e.deps.Site.ID
	var alerts []event.Alert
	open := 0 // alerts[:open] are those open
	for _, f := range []store.AlertFilter{{Site: site, State: event.AlertPending}, {Site: site, State: event.AlertFiring}, {Site: site, Since: since}} {
		got, err := as.Alerts(ctx, f)
		if err != nil {
			jr.e.log.Warn("intake journal: the alert store did not say which journaled detections its alerts name; replayed all (one alerted on already may be alerted on again)", "err", err)
			return 0
		}
		alerts = append(alerts, got...)
		if f.State != "" {
			open = len(alerts)
		}
	}
	named := map[string]bool{}
	for _, a := range alerts {
		for _, id := range a.Evidence {
			named[id] = true
		}
	}
	heardBy := jr.evidenceSensors(alerts[:open])
	jr.e.mu.Lock()
	defer jr.e.mu.Unlock()
	n := 0
	for _, d := range dets {
		if jr.e.alerted[d.ID] || !named[d.ID] && !slices.ContainsFunc(alerts[:open], func(a event.Alert) bool {
			return jr.e.tracker.continues(a, heardBy[a.ID], d)
		}) {
			continue
		}
		if jr.e.alerted == nil {
			jr.e.alerted = map[string]bool{}
		}
		jr.e.alerted[d.ID] = true
		n++
	}
	return n
}

// evidenceSensors returns, of each open phone alert of alerts (one a
// journaled detection may continue: it has a track and a frequency), the
// sensors that heard its stored evidence, as the evidence's detection IDs
// name them (event.DetectionOf, over the site's sensors: a sensor ID may
// hold '-', and sensor wing makes no ID of sensor wing-a): markAlerted
// takes a detection on the alert's carrier heard by none of them for
// another phone's. An alert none of whose evidence IDs is a site sensor's
// has no entry: any sensor may continue it. Until 2026-12-07 it asked the
// time series for each alert's evidence, and an alert whose evidence was
// not there yet (InfluxDB's spool) or a store that failed made every
// phone on its carrier count as alerted.
func (jr *journaler) evidenceSensors(alerts []event.Alert) map[string]map[string]bool {
	heardBy := map[string]map[string]bool{}
	for _, a := range alerts {
		if a.Track == "" || a.FreqHz <= 0 {
			continue
		}
		by := map[string]bool{}
		for _, id := range a.Evidence {
			for _, sn := range jr.e.deps.Site.Sensors {
				if event.DetectionOf(sn.ID, id) {
					by[sn.ID] = true
					break
				}
			}
		}
		if len(by) > 0 {
			heardBy[a.ID] = by
		}
	}
	return heardBy
}

// flushCount is how many flushes have emptied the store buffer.
func (e *Engine) flushCount() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flushes
}

// journalFloor returns the journal seq below which no detection waits to
// be stored: the least of the pinned detections still in an open group or
// the store buffer, next when none is. The pins of the others (stored,
// dropped, never buffered) go.
func (e *Engine) journalFloor(next int64) int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	floor := next
	if len(e.jpins) == 0 {
		return floor
	}
	keep := make(map[string]int64, len(e.jpins))
	note := func(d event.Detection) {
		k := seenKey(d.Sensor, d.ID)
		if s, ok := e.jpins[k]; ok {
			keep[k] = s
			floor = min(floor, s)
		}
	}
	for _, g := range e.assoc.open {
		for _, d := range g.dets {
			note(d)
		}
	}
	for _, r := range e.detBuf {
		note(r.Detection)
	}
	e.jpins = keep
	return floor
}
