package fusion

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/registry"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/fusion/store"
	"github.com/rfwarden/rfwarden/fusion/store/storetest"
)

// scenarioRegistry is the registry of a scenario: the real one
// (registry.Registry over a SQLite store of its own), so that a script's
// authorised devices are judged as fusion judges them, the track hold
// (AuthorisedTrackHold, registry.StillAuthorises) included. Until
// 2026-12-06 the scenarios had a fake that matched entries fix by fix,
// with no hold (scenario authorised-tablet-hold.txt fired for the
// registered tablet).
func scenarioRegistry(t testing.TB, s *site.Site) *registry.Registry {
	t.Helper()
	reg, _ := testRegistry(t, s)
	return reg
}

// detectSNRDB is the SNR at which a scenario's sensors report an emission
// (and what the engine is told).
const detectSNRDB = 6

// scanBandsHz is the scenarios' scan plan, for health reports' band names.
var scanBandsHz = map[string][2]float64{
	"gsm900-ul": {880e6, 915e6},
	"lte-b3-ul": {1710e6, 1785e6},
	"ism2400":   {2400e6, 2483.5e6},
}

// scenario is the state of one running script.
type scenario struct {
	t              *testing.T
	noiseDBmPerMHz float64
	locateEvery    time.Duration
	eng            *Engine
	auth           *registry.Registry
	now            time.Time
	rng            *rand.Rand
	n              int
	lastMsg        []Message
	maint          fakeMaintenance
	ts             *storetest.Recorder
	// jr, when not nil, journals each detection message as Run does
	// before handling it (journaler.take), never releasing the entries:
	// a test stops the engine as a kill -9 would.
	jr *journaler
	// sensorIDs makes emit name each detection as a sensor does
	// (agent.DetectionID: SENSOR-BOOT-START-SEQ, event.DetectionOf), seq
	// counting each sensor's; otherwise EMITTER-SENSOR-N.
	sensorIDs bool
	seq       map[string]int
	// block holds the lines of an "every" block being read, and blockHead
	// its first line (nil: not in a block).
	block     []string
	blockHead []string
}

// fakeMaintenance is a store.MaintenanceStore of one site in memory.
type fakeMaintenance map[string]store.Maintenance

func (f fakeMaintenance) SetMaintenance(_ context.Context, m store.Maintenance) error {
	f[m.Sensor] = m
	return nil
}

func (f fakeMaintenance) EndMaintenance(_ context.Context, _, sensor string, at time.Time) error {
	if m, ok := f[sensor]; !ok || m.UntilNS <= at.UnixNano() {
		return store.ErrNotFound
	}
	delete(f, sensor)
	return nil
}

func (f fakeMaintenance) Maintenance(_ context.Context, _ string, at time.Time) ([]store.Maintenance, error) {
	var out []store.Maintenance
	for _, m := range f {
		if m.UntilNS > at.UnixNano() {
			out = append(out, m)
		}
	}
	return out, nil
}

// TestScenarios runs every script in testdata/scenarios. Commands (one per line, # comments):
//
//	authorise NAME class=C room=R[,R2] [kind=K] [band=LO-HI]
//	                               # a registry entry from now: kind (default
//	                               # in_cell_tablet), band in Hz (default LTE B3's
//	                               # uplink, 1.71e9-1.785e9: emit's default freq)
//	noise DBM_PER_MHZ              # first line only: sensors' noise density (default -100)
//	locate_every D                 # before any other command: Config.LocateEvery (default 0)
//	emit ID class=C link=L x=X y=Y tx=DBM freq=HZ [bw=HZ] [noise=DB] [every=D for=D]
//	     [ahead=D | at=RFC3339] [missed=S1,S2]
//	                               # tx is the EIRP; a sensor reports the emission when
//	                               # it arrives 6 dB above its noise in bw; stamped D
//	                               # ahead of now (negative: behind) or at a fixed time
//	                               # (a sensor clock set wrong): a dead letter is counted,
//	                               # not an error; the missed sensors do not report it
//	                               # (tuned elsewhere in their scan)
//	health SENSOR|all STATE [bands=B1,B2] [revisit=S] [clock=D] # bands it reports scanning
//	                               # (scanBandsHz), each revisited every S seconds;
//	                               # its clock D ahead (negative: behind)
//	maintenance SENSOR for=D|end   # a maintenance window from now (the dashboard's), or ended
//	redeliver                      # send the last emission's messages again
//	status SENSOR|all online|offline
//	advance D                      # in 1 s ticks
//	every D for=T                  # the lines up to "end" run together (several
//	  ...                          # emitters at once), then advance D, until T
//	end                            # has passed
//	ack rule=R user=U note=N        # in fusion's engine (the demo's dashboard)
//	announce rule=R user=U note=N   # on the ack topic (a dashboard of a deployment)
//	expect alert rule=R [state=S] [room=R] [acked=true|false] [sensor=S] [says=A_B] [confidence=C]
//	                               # says: the summary holds "A B" (_ for a space)
//	expect alerts N [rule=R]       # alerts ever raised (any state)
//	expect alert ... room=R1,R2    # any of the rooms
//	expect location room=R[,R2] [minprob=P] [top=K] [heard=N]
//	                               # most recent located emission: one of the rooms
//	                               # among its K most likely (default 1) with at
//	                               # least P, heard by N sensors
//	expect zone Z clear|alert|unknown
//	expect incidents N [kind=K]
//	expect detections N            # accepted (deduplicated) detections
//	expect dead_letters N reason=R # rfw_fusion_dead_letter_total
//	expect reminders N rule=R severity=S   # rfw_fusion_alert_reminders_total
//	expect alerts_total N rule=R severity=S state=S # rfw_fusion_alerts_total
//	expect acks N result=R         # rfw_fusion_acks_total
//	expect tracks N [class=C]      # distinct tracks of the stored detections
//	expect own-tracks [class=C]    # no track holds detections of two emitters
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	s, err := site.LoadFile("../testdata/sites/wing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			sc := &scenario{t: t, auth: scenarioRegistry(t, s), now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), rng: rand.New(rand.NewPCG(1, 1)),
				noiseDBmPerMHz: -100, maint: fakeMaintenance{}, ts: &storetest.Recorder{}}
			fh, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer fh.Close()
			scan := bufio.NewScanner(fh)
			line := 0
			for scan.Scan() {
				line++
				text := strings.TrimSpace(scan.Text())
				if text == "" || strings.HasPrefix(text, "#") {
					continue
				}
				if sc.eng == nil {
					if v, ok := strings.CutPrefix(text, "locate_every "); ok {
						if sc.locateEvery, err = time.ParseDuration(v); err != nil {
							t.Fatalf("%s:%d: %v", filepath.Base(f), line, err)
						}
						continue
					}
					if v, ok := strings.CutPrefix(text, "noise "); ok {
						if sc.noiseDBmPerMHz, err = strconv.ParseFloat(v, 64); err != nil {
							t.Fatalf("%s:%d: %v", filepath.Base(f), line, err)
						}
						continue
					}
					eng, err := New(Config{LocateEvery: sc.locateEvery, NoiseDBmPerMHz: sc.noiseDBmPerMHz, DetectSNRDB: detectSNRDB, ScanBandsHz: scanBandsHz},
						Deps{Site: s, Authorizer: sc.auth, Maintenance: sc.maint, TimeSeries: sc.ts, Clock: func() time.Time { return sc.now }})
					if err != nil {
						t.Fatal(err)
					}
					sc.eng = eng
				}
				if err := sc.exec(text); err != nil {
					t.Fatalf("%s:%d: %s: %v", filepath.Base(f), line, text, err)
				}
			}
		})
	}
}

// authorise adds registry entry name, valid from now, to the scenario's
// registry (its fields m: authorise in TestScenarios).
func (sc *scenario) authorise(ctx context.Context, name string, m map[string]string) error {
	kind := m["kind"]
	if kind == "" {
		kind = registry.KindInCellTablet
	}
	lo, hi := 1.71e9, 1.785e9
	if b, ok := m["band"]; ok {
		l, h, _ := strings.Cut(b, "-")
		var err1, err2 error
		lo, err1 = strconv.ParseFloat(l, 64)
		hi, err2 = strconv.ParseFloat(h, 64)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("band %q: want LO-HI in Hz: %w", b, err)
		}
	}
	_, err := sc.auth.Add(ctx, registry.Entry{Name: name, Kind: kind, Rooms: strings.Split(m["room"], ","), ValidFrom: sc.now,
		Signature: registry.Signature{Class: m["class"], FreqMinHz: lo, FreqMaxHz: hi}}, "scenario")
	return err
}

func kv(fields []string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

func num(m map[string]string, k string, def float64) (float64, error) {
	v, ok := m[k]
	if !ok {
		return def, nil
	}
	return strconv.ParseFloat(v, 64)
}

func (sc *scenario) exec(line string) error {
	ctx := context.Background()
	f := strings.Fields(line)
	if sc.blockHead != nil {
		if f[0] != "end" {
			sc.block = append(sc.block, line)
			return nil
		}
		return sc.runBlock(ctx)
	}
	switch f[0] {
	case "every":
		if len(f) != 3 {
			return fmt.Errorf("want every D for=T")
		}
		sc.blockHead, sc.block = f, nil
		return nil
	case "authorise":
		return sc.authorise(ctx, f[1], kv(f[2:]))
	case "emit":
		return sc.emit(ctx, f[1], kv(f[2:]))
	case "redeliver":
		for _, msg := range sc.lastMsg {
			if err := sc.eng.Handle(ctx, msg); err != nil {
				return err
			}
		}
		return nil
	case "status":
		if f[1] == "all" {
			for _, sn := range sc.eng.deps.Site.Sensors {
				if err := sc.exec("status " + sn.ID + " " + f[2]); err != nil {
					return err
				}
			}
			return nil
		}
		return sc.eng.Handle(ctx, Message{Topic: event.SensorTopic(sc.eng.deps.Site.ID, f[1], event.KindStatus), Payload: []byte(f[2])})
	case "health":
		if f[1] == "all" {
			for _, sn := range sc.eng.deps.Site.Sensors {
				if err := sc.exec("health " + sn.ID + " " + strings.Join(f[2:], " ")); err != nil {
					return err
				}
			}
			return nil
		}
		h := event.Health{Schema: 1, Site: sc.eng.deps.Site.ID, Sensor: f[1], TimeNS: sc.now.UnixNano(), State: f[2]}
		if c := kv(f[3:])["clock"]; c != "" { // the sensor's clock is this far ahead (negative: behind)
			d, err := time.ParseDuration(c)
			if err != nil {
				return err
			}
			h.TimeNS += d.Nanoseconds()
		}
		if bands := kv(f[3:])["bands"]; bands != "" {
			h.NoiseFloorDBm = map[string]float64{}
			for _, b := range strings.Split(bands, ",") {
				h.NoiseFloorDBm[b] = -60 // dBFS; the engine only reads which bands are listed
			}
		}
		if v := kv(f[3:])["revisit"]; v != "" {
			s, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return err
			}
			h.RevisitS = map[string]float64{}
			for b := range h.NoiseFloorDBm {
				h.RevisitS[b] = s
			}
		}
		b, err := event.Encode(h)
		if err != nil {
			return err
		}
		return sc.eng.Handle(ctx, Message{Topic: event.SensorTopic(sc.eng.deps.Site.ID, f[1], event.KindHealth), Payload: b})
	case "maintenance":
		if f[2] == "end" {
			return sc.maint.EndMaintenance(ctx, "", f[1], sc.now)
		}
		d, err := time.ParseDuration(kv(f[2:])["for"])
		if err != nil {
			return err
		}
		return sc.maint.SetMaintenance(ctx, store.Maintenance{Site: sc.eng.deps.Site.ID, Sensor: f[1], FromNS: sc.now.UnixNano(),
			UntilNS: sc.now.Add(d).UnixNano(), By: "engineer", Reason: "scenario"})
	case "advance":
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return err
		}
		return sc.advance(ctx, d)
	case "ack":
		m := kv(f[1:])
		for _, a := range sc.eng.Alerts().All() {
			if a.Rule == m["rule"] {
				_, err := sc.eng.Alerts().Ack(ctx, a.ID, m["user"], m["note"], sc.now)
				return err
			}
		}
		return fmt.Errorf("no alert of rule %q to ack", m["rule"])
	case "announce":
		m := kv(f[1:])
		for _, a := range sc.eng.Alerts().All() {
			if a.Rule == m["rule"] {
				b, err := event.Encode(event.Ack{Schema: event.SchemaVersion, Site: a.Site, Alert: a.ID, By: m["user"], Note: m["note"], AckNS: sc.now.UnixNano()})
				if err != nil {
					return err
				}
				return sc.eng.Handle(ctx, Message{Topic: event.AckTopic(a.Site), Payload: b})
			}
		}
		return fmt.Errorf("no alert of rule %q to announce an acknowledgement of", m["rule"])
	case "expect":
		return sc.expect(f[1:])
	}
	return fmt.Errorf("unknown command %q", f[0])
}

// runBlock runs the lines of an "every D for=T" block, then advances D,
// until T has passed.
func (sc *scenario) runBlock(ctx context.Context) error {
	head, lines := sc.blockHead, sc.block
	sc.blockHead, sc.block = nil, nil
	every, err := time.ParseDuration(head[1])
	if err != nil {
		return err
	}
	total, err := time.ParseDuration(kv(head[2:])["for"])
	if err != nil {
		return err
	}
	if every <= 0 {
		return fmt.Errorf("every %v: want a positive period", every)
	}
	for ; total >= 0; total -= every {
		for _, l := range lines {
			if err := sc.exec(l); err != nil {
				return fmt.Errorf("%s: %w", l, err)
			}
		}
		if err := sc.advance(ctx, every); err != nil {
			return err
		}
	}
	return nil
}

// emitterTracks returns, for the stored detections of class (any class
// when empty), the tracks of each emitter (the scenario's emit ID, the
// first field of a detection ID).
func (sc *scenario) emitterTracks(class string) (map[string]map[string]bool, error) {
	if err := sc.eng.Flush(context.Background()); err != nil {
		return nil, err
	}
	sc.ts.Mu.Lock()
	defer sc.ts.Mu.Unlock()
	out := map[string]map[string]bool{}
	for _, r := range sc.ts.Dets {
		if class != "" && r.Class != class {
			continue
		}
		em, _, _ := strings.Cut(r.ID, "-")
		if out[em] == nil {
			out[em] = map[string]bool{}
		}
		out[em][r.Track] = true
	}
	return out, nil
}

func (sc *scenario) advance(ctx context.Context, d time.Duration) error {
	end := sc.now.Add(d)
	for sc.now.Before(end) {
		step := min(time.Second, end.Sub(sc.now))
		sc.now = sc.now.Add(step)
		if err := sc.eng.Tick(ctx, sc.now); err != nil {
			return err
		}
	}
	return nil
}

func (sc *scenario) emit(ctx context.Context, id string, m map[string]string) error {
	x, err1 := num(m, "x", 0)
	y, err2 := num(m, "y", 0)
	tx, err3 := num(m, "tx", 10)
	freq, err4 := num(m, "freq", 1.75e9)
	bw, err5 := num(m, "bw", 5e6)
	noise, err6 := num(m, "noise", 0)
	if err := firstErr(err1, err2, err3, err4, err5, err6); err != nil {
		return err
	}
	var stamp func() int64 // the detections' time_ns
	switch {
	case m["ahead"] != "":
		ahead, err := time.ParseDuration(m["ahead"])
		if err != nil {
			return err
		}
		stamp = func() int64 { return sc.now.Add(ahead).UnixNano() }
	case m["at"] != "":
		at, err := time.Parse(time.RFC3339, m["at"])
		if err != nil {
			return err
		}
		stamp = func() int64 { return at.UnixNano() }
	default:
		stamp = func() int64 { return sc.now.UnixNano() }
	}
	every, total := time.Duration(0), time.Duration(0)
	if v, ok := m["every"]; ok {
		var err error
		if every, err = time.ParseDuration(v); err != nil {
			return err
		}
		if total, err = time.ParseDuration(m["for"]); err != nil {
			return err
		}
	}
	var missed []string
	if v := m["missed"]; v != "" {
		missed = strings.Split(v, ",")
	}
	s := sc.eng.deps.Site
	// PredictDBm takes the model's profiled power: the EIRP less the
	// free-space loss at the 1 m reference distance.
	profiled := tx - sc.eng.Locator().RefLossDB(freq)
	floorDBm := sc.noiseDBmPerMHz + 10*math.Log10(bw/1e6)
	for {
		sc.lastMsg = sc.lastMsg[:0]
		for _, sn := range s.Sensors {
			p, err := sc.eng.Locator().PredictDBm(sn.ID, sn.Floor, site.Point{X: x, Y: y}, profiled)
			if err != nil {
				return err
			}
			p += noise * sc.rng.NormFloat64()
			if p-floorDBm < detectSNRDB || slices.Contains(missed, sn.ID) {
				continue
			}
			sc.n++
			stampNS := stamp()
			did := fmt.Sprintf("%s-%s-%d", id, sn.ID, sc.n)
			if sc.sensorIDs {
				if sc.seq == nil {
					sc.seq = map[string]int{}
				}
				sc.seq[sn.ID]++
				did = fmt.Sprintf("%s-00000000b007-%d-%d", sn.ID, stampNS, sc.seq[sn.ID])
			}
			d := event.Detection{Schema: 1, ID: did, Site: s.ID, Sensor: sn.ID,
				TimeNS: stampNS, DurationNS: int64(time.Millisecond), CenterHz: freq, BandwidthHz: bw,
				PowerDBm: p, SNRDB: p - floorDBm, Link: m["link"], Class: m["class"], Confidence: 0.9, Band: "test"}
			if d.Link == "" {
				d.Link = event.LinkUplink
			}
			b, err := event.Encode(d)
			if err != nil {
				return err
			}
			msg := Message{Topic: event.SensorTopic(s.ID, sn.ID, event.KindDetection), Payload: b}
			sc.lastMsg = append(sc.lastMsg, msg)
			if err := sc.handle(ctx, msg); err != nil && !errors.Is(err, ErrRejected) {
				return err
			}
		}
		if every == 0 || total < every {
			return nil
		}
		total -= every
		if err := sc.advance(ctx, every); err != nil {
			return err
		}
	}
}

// handle hands msg to the engine, through the intake journal when sc has
// one (jr).
func (sc *scenario) handle(ctx context.Context, msg Message) error {
	if sc.jr == nil {
		return sc.eng.Handle(ctx, msg)
	}
	var err error
	sc.jr.take(ctx, nil, []queued{{msg, noAck}}, func(q queued) { err = sc.eng.Handle(ctx, q.msg) })
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (sc *scenario) expect(f []string) error {
	switch f[0] {
	case "alert":
		m := kv(f[1:])
		var seen []string
		for _, a := range sc.eng.Alerts().All() {
			seen = append(seen, fmt.Sprintf("%s/%s/%s", a.Rule, a.State, a.Room))
			if a.Rule != m["rule"] || (m["state"] != "" && a.State != m["state"]) || (m["room"] != "" && !slices.Contains(strings.Split(m["room"], ","), a.Room)) {
				continue
			}
			if (m["acked"] == "true" && a.AckBy == "") || (m["acked"] == "false" && a.AckBy != "") || (m["sensor"] != "" && a.Sensor != m["sensor"]) {
				continue
			}
			if m["says"] != "" && !strings.Contains(a.Summary, strings.ReplaceAll(m["says"], "_", " ")) {
				seen = append(seen, fmt.Sprintf("(%q)", a.Summary))
				continue
			}
			if c, err := num(m, "confidence", a.Confidence); err != nil || a.Confidence != c {
				continue
			}
			return nil
		}
		return fmt.Errorf("no matching alert; have %v", seen)
	case "alerts":
		want, err := strconv.Atoi(f[1])
		if err != nil {
			return err
		}
		m := kv(f[2:])
		got := 0
		var seen []string
		for _, a := range sc.eng.Alerts().All() {
			seen = append(seen, fmt.Sprintf("%s/%s/%s/%s", a.Rule, a.State, a.Room, a.Track))
			if m["rule"] == "" || a.Rule == m["rule"] {
				got++
			}
		}
		if got != want {
			return fmt.Errorf("got %d alerts, want %d: %v", got, want, seen)
		}
		return nil
	case "location":
		m := kv(f[1:])
		locs := sc.eng.Located()
		if len(locs) == 0 {
			return fmt.Errorf("nothing located")
		}
		res := locs[len(locs)-1].Result
		minProb, err1 := num(m, "minprob", 0)
		top, err2 := num(m, "top", 1)
		heard, err3 := num(m, "heard", 0)
		if err := firstErr(err1, err2, err3); err != nil {
			return err
		}
		if heard > 0 && len(res.Sensors) != int(heard) {
			return fmt.Errorf("heard by %v, want %v sensors", res.Sensors, heard)
		}
		want := strings.Split(m["room"], ",")
		for i, rp := range res.Rooms {
			if i < int(top) && slices.Contains(want, rp.Room) && rp.Prob >= minProb {
				return nil
			}
		}
		return fmt.Errorf("want one of %v among the top %v (≥ %.2f); rooms %v", want, top, minProb, res.Rooms)
	case "zone":
		if got := sc.eng.Alerts().ZoneStatus(f[1]); got != f[2] {
			return fmt.Errorf("zone %s is %q, want %q", f[1], got, f[2])
		}
		return nil
	case "incidents":
		want, err := strconv.Atoi(f[1])
		if err != nil {
			return err
		}
		m := kv(f[2:])
		got := 0
		var seen []string
		for _, inc := range sc.eng.Alerts().Incidents() {
			seen = append(seen, fmt.Sprintf("%s:%v", inc.Kind, inc.Rooms))
			if m["kind"] == "" || inc.Kind == m["kind"] {
				got++
			}
		}
		if got != want {
			return fmt.Errorf("got %d incidents, want %d: %v", got, want, seen)
		}
		return nil
	case "detections":
		want, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		if got := testutil.ToFloat64(sc.eng.met.detections); got != want {
			return fmt.Errorf("got %v detections, want %v", got, want)
		}
		return nil
	case "dead_letters":
		want, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		reason := kv(f[2:])["reason"]
		if got := testutil.ToFloat64(sc.eng.met.deadLetter.WithLabelValues(reason)); got != want {
			return fmt.Errorf("metric dead letters reason=%s: got %v, want %v", reason, got, want)
		}
		return nil
	case "acks":
		want, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		result := kv(f[2:])["result"]
		if got := testutil.ToFloat64(sc.eng.met.acks.WithLabelValues(result)); got != want {
			return fmt.Errorf("metric acks result=%s: got %v, want %v", result, got, want)
		}
		return nil
	case "tracks":
		want, err := strconv.Atoi(f[1])
		if err != nil {
			return err
		}
		byEm, err := sc.emitterTracks(kv(f[2:])["class"])
		if err != nil {
			return err
		}
		tracks := map[string]bool{}
		for _, ts := range byEm {
			for tr := range ts {
				tracks[tr] = true
			}
		}
		if len(tracks) != want {
			return fmt.Errorf("got %d tracks, want %d: %v", len(tracks), want, byEm)
		}
		return nil
	case "own-tracks":
		byEm, err := sc.emitterTracks(kv(f[1:])["class"])
		if err != nil {
			return err
		}
		owner := map[string]string{}
		var shared []string
		for _, em := range slices.Sorted(maps.Keys(byEm)) {
			for tr := range byEm[em] {
				if o, ok := owner[tr]; ok {
					shared = append(shared, fmt.Sprintf("%s holds %s and %s", tr, o, em))
					continue
				}
				owner[tr] = em
			}
		}
		if len(shared) > 0 {
			return fmt.Errorf("tracks shared by emitters: %v", shared)
		}
		return nil
	case "reminders", "alerts_total":
		want, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		m := kv(f[2:])
		var got float64
		if f[0] == "reminders" {
			got = testutil.ToFloat64(sc.eng.met.reminders.WithLabelValues(m["rule"], m["severity"]))
		} else {
			got = testutil.ToFloat64(sc.eng.met.alerts.WithLabelValues(m["rule"], m["severity"], m["state"]))
		}
		if got != want {
			return fmt.Errorf("metric %s %v: got %v, want %v", f[0], m, got, want)
		}
		return nil
	}
	return fmt.Errorf("unknown expectation %q", f[0])
}
