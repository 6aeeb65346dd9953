package loadtest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rfwarden/rfwarden/event"
	"github.com/rfwarden/rfwarden/fusion/locate"
	"github.com/rfwarden/rfwarden/fusion/site"
	"github.com/rfwarden/rfwarden/sensor/sim"
)

// workload generates the detections of N simulated sensors over the
// standard wing. It is immutable after newWorkload and safe for concurrent
// use.
type workload struct {
	wing    *sim.Wing
	site    *site.Site
	sensors []string      // sensor IDs in publishing order
	base    []int         // index into the wing's sensors of each sensor's original
	emit    []sim.Emitter // the wing's emitters
	rxDBm   [][]float64   // rxDBm[emitter][original sensor]: mean received power
	heard   [][]int       // heard[original sensor]: emitters at or above the detection SNR
	common  []int         // emitters heard by at least locate.MinSensors original sensors
	phones  map[int]phoneSlot
	seed    uint64
}

// Handset rotation. An alert is raised once per track and room, and a
// phone that keeps transmitting stays one track, so the wing's few phones
// would give a run only a handful of alerts to time. Instead every phone
// emitter of the wing is a new handset each PhoneEvery: same place, same
// received powers, but a centre frequency that no track of its class
// holds, so fusion starts a new track and raises a new alert for it. A
// frequency is used again only after phoneReuse, longer than fusion's
// track gap (fusion.Config.TrackGap, default 2m), and frequencies of one
// class are further apart than 20 MHz plus the bandwidth: fusion's former
// track frequency continuity, far beyond a track's channel now (half the
// wider bandwidth plus fusion.Config.FreqTolHz), kept so that runs compare
// with earlier ones. This is a
// load model: the frequencies span a few GHz beyond the phone's band, and
// the power at each sensor is kept (the locator solves the transmit power).
const (
	// PhoneEvery is how often each phone of the wing becomes a new handset.
	PhoneEvery     = time.Second
	phoneReuse     = 130 * time.Second // > fusion's default TrackGap
	trackFreqTolHz = 20e6              // fusion's former track frequency continuity
)

// phoneSlot is a phone emitter's place in its class's frequency cycle.
type phoneSlot struct {
	baseHz, stepHz float64
	idx, perClass  int // this phone's index among its class's phones, and their number
	cycle          int // frequencies in the class's cycle
}

// phoneCenterHz returns the centre frequency of phone emitter e's handset
// of epoch n (n counts PhoneEvery from the start).
func (wl *workload) phoneCenterHz(e int, n int64) float64 {
	p := wl.phones[e]
	k := (n*int64(p.perClass) + int64(p.idx)) % int64(p.cycle)
	return p.baseHz + float64(k)*p.stepHz
}

// sensorID returns the ID of simulated sensor i: the wing's own IDs for the
// first copy, "cNNN-<id>" for later copies.
func sensorID(orig []site.Sensor, i int) string {
	c, k := i/len(orig), i%len(orig)
	if c == 0 {
		return orig[k].ID
	}
	return fmt.Sprintf("c%03d-%s", c, orig[k].ID)
}

// newWorkload builds the site model with n sensors and precomputes which
// emitter each original sensor hears at what power.
func newWorkload(n int, seed uint64) (*workload, error) {
	w := sim.StandardWing(seed)
	s, err := site.Load(bytes.NewReader(w.SiteYAML()))
	if err != nil {
		return nil, fmt.Errorf("load standard wing site: %w", err)
	}
	orig := append([]site.Sensor(nil), s.Sensors...)
	if len(orig) == 0 {
		return nil, fmt.Errorf("standard wing site has no sensors")
	}
	wl := &workload{wing: w, site: s, emit: w.Emitters(), seed: seed}
	s.Sensors = s.Sensors[:0]
	for i := range n {
		sn := orig[i%len(orig)]
		sn.ID = sensorID(orig, i)
		sn.Zones = append([]string(nil), sn.Zones...)
		s.Sensors = append(s.Sensors, sn)
		wl.sensors = append(wl.sensors, sn.ID)
		wl.base = append(wl.base, i%len(orig))
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("site with %d sensors: %w", n, err)
	}
	wl.rxDBm = make([][]float64, len(wl.emit))
	wl.heard = make([][]int, len(orig))
	for e, em := range wl.emit {
		wl.rxDBm[e] = make([]float64, len(orig))
		for k, sn := range orig {
			rx := w.ReceivedPowerDBm(em.ID, sn.ID)
			if math.IsNaN(rx) {
				return nil, fmt.Errorf("standard wing: no power for emitter %q at sensor %q", em.ID, sn.ID)
			}
			wl.rxDBm[e][k] = rx
			if rx-sim.NoiseFloorDBm(em.BandwidthHz) >= sim.DetectionMinSNRDB {
				wl.heard[k] = append(wl.heard[k], e)
			}
		}
	}
	for k, h := range wl.heard {
		if len(h) == 0 {
			return nil, fmt.Errorf("standard wing: sensor %q hears no emitter", orig[k].ID)
		}
	}
	for e := range wl.emit {
		n := 0
		for _, h := range wl.heard {
			if slices.Contains(h, e) {
				n++
			}
		}
		if n >= locate.MinSensors {
			wl.common = append(wl.common, e)
		}
	}
	if len(wl.common) == 0 {
		return nil, fmt.Errorf("standard wing: no emitter is heard by %d sensors", locate.MinSensors)
	}
	wl.phones = phoneSlots(wl.emit, wl.common)
	return wl, nil
}

// phoneSlots lays out the frequency cycles of the phone emitters among
// common, per class.
func phoneSlots(emit []sim.Emitter, common []int) map[int]phoneSlot {
	byClass := map[string][]int{}
	for _, e := range common {
		if emit[e].Kind == sim.KindPhone {
			byClass[emit[e].Class] = append(byClass[emit[e].Class], e)
		}
	}
	perPhone := int(math.Ceil(phoneReuse.Seconds() / PhoneEvery.Seconds()))
	out := map[int]phoneSlot{}
	for _, es := range byClass {
		base, bw := math.Inf(1), 0.0
		for _, e := range es {
			base, bw = math.Min(base, emit[e].CenterHz), math.Max(bw, emit[e].BandwidthHz)
		}
		for k, e := range es {
			out[e] = phoneSlot{baseHz: base, stepHz: trackFreqTolHz + bw + 1e6, idx: k, perClass: len(es), cycle: perPhone * len(es)}
		}
	}
	return out
}

// detection returns what sensor i reports in slot j at time at, with ID id
// and a duration of slotDur (at most sim.DetectionInterval). In slot j,
// copy c of the wing reports common[(j+c) mod len(common)], an emitter that
// enough sensors hear to be located; a sensor that cannot hear it reports
// one of the emitters it does hear. A phone is reported at the frequency of
// its handset of the slot's epoch (j·slotDur / PhoneEvery).
func (wl *workload) detection(i, j int, at time.Time, slotDur time.Duration, id string) event.Detection {
	k := wl.base[i]
	copyIdx := i / len(wl.heard)
	e := wl.common[(j+copyIdx)%len(wl.common)]
	if !slices.Contains(wl.heard[k], e) {
		e = wl.heard[k][(j+copyIdx)%len(wl.heard[k])]
	}
	em := wl.emit[e]
	if _, ok := wl.phones[e]; ok {
		em.CenterHz = wl.phoneCenterHz(e, int64(time.Duration(j)*slotDur/PhoneEvery))
	}
	rng := rand.New(rand.NewPCG(wl.seed, uint64(i)<<32|uint64(uint32(j))))
	meas := sim.MeasurementSigmaDB * rng.NormFloat64()
	rx := wl.rxDBm[e][k] + meas
	dur := min(slotDur, sim.DetectionInterval)
	const sampleRateHz = 20e6
	d := event.Detection{
		Schema: event.SchemaVersion, ID: id, Site: wl.site.ID, Sensor: wl.sensors[i],
		TimeNS: at.UnixNano(), DurationNS: int64(dur),
		CenterHz: em.CenterHz, BandwidthHz: em.BandwidthHz,
		PowerDBm: rx, PeakDBm: rx + 3, SNRDB: rx - sim.NoiseFloorDBm(em.BandwidthHz),
		Band: em.Band, Link: em.Link, Class: em.Class, Confidence: 0.9,
		SampleStart: int64(j) * int64(slotDur.Seconds()*sampleRateHz), SampleCount: int64(dur.Seconds() * sampleRateHz),
	}
	if em.BurstLenS > 0 && em.BurstPeriodS > 0 {
		d.DutyCycle = math.Min(1, em.BurstLenS/em.BurstPeriodS)
		d.PeriodNS = int64(em.BurstPeriodS * 1e9)
	}
	return d
}
