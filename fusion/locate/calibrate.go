package locate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// WalkSample is one row of a walk test: a transmitter of known power TxDBm
// at (X, Y) on Floor, received by Sensor at RxDBm (as the sensor reports it).
type WalkSample struct {
	X, Y   float64
	Floor  string
	Sensor string
	RxDBm  float64
	TxDBm  float64
}

// walkHeader is the required CSV header.
var walkHeader = []string{"x", "y", "floor", "sensor", "rx_dbm", "tx_dbm"}

// MaxWalkRows bounds the rows ReadWalkCSV accepts.
const MaxWalkRows = 1_000_000

// ReadWalkCSV parses a walk-test CSV with the header x,y,floor,sensor,rx_dbm,tx_dbm.
func ReadWalkCSV(r io.Reader) ([]WalkSample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(walkHeader)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("walk csv header: %w", err)
	}
	for i, h := range head {
		if strings.TrimSpace(strings.ToLower(h)) != walkHeader[i] {
			return nil, fmt.Errorf("walk csv header: column %d is %q, want %q (header %s)", i+1, h, walkHeader[i], strings.Join(walkHeader, ","))
		}
	}
	var out []WalkSample
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("walk csv: %w", err)
		}
		if len(out) >= MaxWalkRows {
			return nil, fmt.Errorf("walk csv: more than %d rows", MaxWalkRows)
		}
		var v [4]float64
		for i, col := range []int{0, 1, 4, 5} {
			f, err := strconv.ParseFloat(strings.TrimSpace(rec[col]), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
				return nil, fmt.Errorf("walk csv line %d: %s %q is not a finite number", line, walkHeader[col], rec[col])
			}
			v[i] = f
		}
		floor, sensor := strings.TrimSpace(rec[2]), strings.TrimSpace(rec[3])
		if floor == "" || sensor == "" {
			return nil, fmt.Errorf("walk csv line %d: floor and sensor must not be empty", line)
		}
		out = append(out, WalkSample{X: v[0], Y: v[1], Floor: floor, Sensor: sensor, RxDBm: v[2], TxDBm: v[3]})
	}
	if len(out) == 0 {
		return nil, errors.New("walk csv: no rows")
	}
	return out, nil
}

// Calibration is the result of fitting the path-loss model to a walk test.
type Calibration struct {
	Exponent  float64            `yaml:"exponent"`    // path-loss exponent n
	RefLossDB float64            `yaml:"ref_loss_db"` // loss at d0 (mean over sensors)
	OffsetsDB map[string]float64 `yaml:"offsets_db"`  // per sensor, to put in the site's offset_db; they sum to 0
	RMSDB     float64            `yaml:"rms_db"`      // residual RMS
	Samples   int                `yaml:"samples"`
}

// Sensors returns the calibrated sensor IDs, sorted.
func (c Calibration) Sensors() []string {
	ids := make([]string, 0, len(c.OffsetsDB))
	for id := range c.OffsetsDB {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Fit estimates the path-loss exponent, the reference loss and per-sensor
// offsets by linear least squares on
//
//	rx - tx - G + W + F = -K - n·10·log10(d/d0) - o_s
//
// (G the sensor's antenna gain, W walls, F floors, as in Locate) with the
// offsets constrained to sum to zero so K is identifiable. The site's
// current offsets are ignored. m supplies d0, heights and the floor loss.
func Fit(s *site.Site, samples []WalkSample, m Model) (Calibration, error) {
	m = m.withDefaults()
	l, err := New(&site.Site{ID: s.ID, Floors: s.Floors, Walls: s.Walls, Sensors: s.Sensors}, m)
	if err != nil {
		return Calibration{}, err
	}
	sensorCol := map[string]int{}
	for _, smp := range samples {
		if _, ok := l.sensors[smp.Sensor]; !ok {
			return Calibration{}, fmt.Errorf("calibrate: sensor %q not in the site", smp.Sensor)
		}
		if _, ok := l.floors[smp.Floor]; !ok {
			return Calibration{}, fmt.Errorf("calibrate: floor %q not in the site", smp.Floor)
		}
		if _, ok := sensorCol[smp.Sensor]; !ok {
			sensorCol[smp.Sensor] = len(sensorCol)
		}
	}
	ns := len(sensorCol)
	rows, cols := len(samples)+1, 2+ns
	if len(samples) < cols+1 {
		return Calibration{}, fmt.Errorf("calibrate: %d samples for %d unknowns; walk more", len(samples), cols)
	}
	a := mat.NewDense(rows, cols, nil)
	b := mat.NewVecDense(rows, nil)
	var minD, maxD = math.Inf(1), 0.0
	for i, smp := range samples {
		sn := l.sens[l.sensors[smp.Sensor]]
		fi := l.floors[smp.Floor]
		p := site.Point{X: smp.X, Y: smp.Y}
		dist := l.distLoss(sn, fi, p) / m.Exponent // 10·log10(d/d0)
		other := l.lossTo(sn, fi, p) - l.distLoss(sn, fi, p)
		minD, maxD = min(minD, dist), max(maxD, dist)
		a.Set(i, 0, -1)
		a.Set(i, 1, -dist)
		a.Set(i, 2+sensorCol[smp.Sensor], -1)
		b.SetVec(i, smp.RxDBm-smp.TxDBm-sn.AntennaGainDB+other)
	}
	if maxD-minD < 3 { // distances within a factor of 2: n is not identifiable
		return Calibration{}, errors.New("calibrate: walk distances span less than a factor of 2; walk nearer and farther")
	}
	const w = 1e3 // weight of the constraint Σ o_s = 0
	for j := range ns {
		a.Set(rows-1, 2+j, w)
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		return Calibration{}, fmt.Errorf("calibrate: least squares: %w", err)
	}
	var r mat.VecDense
	r.MulVec(a, &x)
	r.SubVec(&r, b)
	var ss float64
	for i := range samples {
		ss += r.AtVec(i) * r.AtVec(i)
	}
	c := Calibration{RefLossDB: x.AtVec(0), Exponent: x.AtVec(1), OffsetsDB: map[string]float64{},
		RMSDB: math.Sqrt(ss / float64(len(samples))), Samples: len(samples)}
	for id, j := range sensorCol {
		c.OffsetsDB[id] = x.AtVec(2 + j)
	}
	if !(c.Exponent > 0.5 && c.Exponent < 8) {
		return c, fmt.Errorf("calibrate: fitted exponent %.2f is implausible; check the walk file", c.Exponent)
	}
	return c, nil
}
