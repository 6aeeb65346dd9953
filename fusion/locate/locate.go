package locate

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/rfwarden/rfwarden/fusion/site"
)

// Model holds the propagation parameters. Zero fields take the defaults
// given on each field.
type Model struct {
	Exponent    float64 // path-loss exponent n; default 3
	RefDistM    float64 // d0 in metres; default 1
	ShadowingDB float64 // σ of the log-normal shadowing; default 4
	FloorLossDB float64 // loss per floor crossed; default 15
	GridStepM   float64 // room grid spacing; default 0.5
	// SensorHeightM and EmitterHeightM are antenna heights above their
	// floors; they enter the 3-D distance. Default 0 (same height).
	SensorHeightM  float64
	EmitterHeightM float64
	// MaxTxDBm bounds the transmit power (EIRP) of any emitter the site
	// expects; default 33 dBm (2 W, a GSM-900 handset's class-4 maximum;
	// LTE/NR handsets stop at 23 dBm, Wi-Fi and TETRA handhelds near 30).
	// It applies to measurements that carry CenterHz; +Inf disables it.
	MaxTxDBm float64
	// MinTxDBm bounds the transmit power (EIRP) from below when CenterHz is
	// known; default -10 dBm. 3GPP lets an LTE/NR handset go down to
	// -40 dBm (TS 36.101 §6.3.2, TS 38.101-1 §6.3.1) and a GSM-900 one to
	// 5 dBm (TS 45.005 §4.1.1), but a handset indoors behind prison walls,
	// far from its cell or under a managed-access system, transmits well
	// above that; -10 dBm is a conservative floor. Without it one sensor
	// cannot tell a faint phone next to it from a strong one far away.
	// -Inf disables it.
	MinTxDBm float64
	// AreaPrior makes the prior uniform per unit area over the site. By
	// default every room has the same prior probability, uniform within
	// it: a yard or "outside" polygon is drawn as large as is convenient,
	// and with a per-area prior its extent, not the radio evidence, decides
	// how much of an emission heard by one sensor lands there.
	AreaPrior bool
}

func (m Model) withDefaults() Model {
	if m.Exponent == 0 {
		m.Exponent = 3
	}
	if m.RefDistM == 0 {
		m.RefDistM = 1
	}
	if m.ShadowingDB == 0 {
		m.ShadowingDB = 4
	}
	if m.FloorLossDB == 0 {
		m.FloorLossDB = 15
	}
	if m.GridStepM == 0 {
		m.GridStepM = 0.5
	}
	if m.MaxTxDBm == 0 {
		m.MaxTxDBm = 33
	}
	if m.MinTxDBm == 0 {
		m.MinTxDBm = -10
	}
	return m
}

// Measurement is one sensor's received power of the emission.
type Measurement struct {
	Sensor   string
	PowerDBm float64 // as reported by the sensor, before its calibration offset
	// CenterHz is the emission's centre frequency; zero means unknown.
	// When known it bounds the profiled transmit power (Model.MaxTxDBm).
	CenterHz float64
}

// RoomProb is the posterior probability that the emitter is in Room.
type RoomProb struct {
	Room string
	Prob float64
}

// Ellipse is a confidence ellipse around a position.
type Ellipse struct {
	SemiMajorM float64
	SemiMinorM float64
	AngleRad   float64 // of the major axis from +x, counter-clockwise
}

// Result is one localisation.
type Result struct {
	Floor   string
	Pos     site.Point // maximum-likelihood position
	TxDBm   float64    // profiled transmit power (up to the d0 reference loss)
	Rooms   []RoomProb // every room with probability > 0.001, most likely first; of rooms that tie, the one holding Pos, then by ID
	Ellipse Ellipse    // 95%
	Sensors []string   // sensors used
}

// Room returns the most likely room and its probability ("" when none).
func (r Result) Room() (string, float64) {
	if len(r.Rooms) == 0 {
		return "", 0
	}
	return r.Rooms[0].Room, r.Rooms[0].Prob
}

// RoomProbs returns the room probabilities as a map.
func (r Result) RoomProbs() map[string]float64 {
	m := make(map[string]float64, len(r.Rooms))
	for _, rp := range r.Rooms {
		m[rp.Room] = rp.Prob
	}
	return m
}

// ErrTooFewSensors is returned when fewer sensors heard an emission than
// the query asks for.
var ErrTooFewSensors = errors.New("locate: too few sensors")

// MinSensors is the fewest distinct sensors Locate needs for a fix from
// the heard powers alone (P_tx takes one degree of freedom, the position
// two). LocateQuery goes down to one sensor: the transmit-power bounds and
// the sensors that did not hear the emission then carry the rest, and the
// room probabilities spread accordingly.
const MinSensors = 3

// DefaultMissProb is Query.MissProb's default.
const DefaultMissProb = 0.1

// Silence is a sensor that was listening in the emission's band around its
// time and did not report it: its received power was probably below
// ThresholdDBm.
type Silence struct {
	Sensor string
	// ThresholdDBm is the weakest power the sensor reports in the
	// emission's bandwidth, in its reported units (before its calibration
	// offset, like Measurement.PowerDBm).
	ThresholdDBm float64
}

// Query is one emission to locate.
type Query struct {
	Heard  []Measurement // at least one
	Silent []Silence     // listening sensors that did not hear it
	// MinSensors is the fewest distinct sensors that must have heard the
	// emission; 0 means 1.
	MinSensors int
	// With TxBounds set, MinTxDBm and MaxTxDBm replace the model's EIRP
	// bounds for this emission (e.g. 23 dBm for an LTE power class 3
	// handset). They apply, like the model's, when CenterHz is known.
	TxBounds           bool
	MinTxDBm, MaxTxDBm float64
	// RoomPrior multiplies the prior of the named rooms (missing: 1), e.g.
	// to make a drone's broadcast unlikely inside a cell. Weights must be
	// finite and non-negative, and leave some room with weight > 0.
	RoomPrior map[string]float64
	// MissProb is the probability that a listening sensor misses an
	// emission it would have heard: tuned elsewhere in its scan at that
	// instant, a burst between revisits, a dropped message. It caps what one
	// silence can say. 0 means DefaultMissProb; it must be below 1.
	MissProb float64
}

// chi2_95 is the 95% quantile of the chi-squared distribution with 2 degrees of freedom.
const chi2_95 = 5.991464547107979

type gridPoint struct {
	floor int
	p     site.Point
	room  int     // index into Locator.rooms
	w     float64 // prior weight: cell area, or its share of its room
}

// blockSide is the side of a grid block in grid steps. LocateQuery bounds
// the log-likelihood over each block from the range of every sensor's loss
// within it and evaluates only the blocks that can reach within e^-40 of the
// peak (typically 1-3% of a site's points when three or more sensors heard
// the emission).
const blockSide = 4

// block is a run of grid points (in Locator.grid order) within one
// blockSide × blockSide square of one floor.
type block struct {
	lo, hi         int32 // grid points [lo, hi)
	roomLo, roomHi int32 // its distinct rooms: Locator.blockRooms[roomLo:roomHi]
}

// Locator locates emitters on one site. Build it once: it precomputes the
// path loss from every sensor to every grid point. It is safe for concurrent use.
type Locator struct {
	site   *site.Site
	model  Model
	floors map[string]int
	elev   []float64
	rooms  []string
	// roomFloor is each room's floor index, roomIdx each room's index by ID.
	roomFloor []int
	roomIdx   map[string]int
	grid      []gridPoint // block by block
	// rank[j] is grid point j's position in floor, x, y order (ties and
	// sums go by it), slot[rank] its index in grid; byRank is the grid in
	// that order.
	rank, slot []int32
	byRank     []gridPoint
	blocks     []block
	// blockRooms lists each block's rooms; floorRooms each floor's rooms in
	// the order their first grid point comes (by rank).
	blockRooms []int32
	floorRooms [][]int
	sensors    map[string]int
	sens       []site.Sensor
	loss       [][]float64 // loss[sensor][grid point]
	// blockMid and blockHalf are the centre and half-width of the range of
	// loss[sensor] over each block's points: blockMid[sensor][block].
	blockMid  [][]float64
	blockHalf [][]float64
	pool      sync.Pool // *scratch
	silMu     sync.Mutex
	silTabs   map[float64]silenceTable // by miss probability
	// exhaustive evaluates every block (tests compare it with the pruned
	// search).
	exhaustive bool
}

// scratch is one localisation's working memory.
type scratch struct {
	ll   []float64 // log-likelihood per grid point by rank (only evaluated ones are set)
	ub   []float64 // upper bound per block
	sums []float64 // blockBounds' four sums per block
	// kept has a bit per rank for the evaluated points within e^-40 of the
	// peak at the time (a superset of those within e^-40 of the final peak).
	kept []uint64
	pts  []int32 // the points within e^-40 of the final peak, in rank order
	rows [][]float64
}

// New builds a Locator for s.
func New(s *site.Site, m Model) (*Locator, error) {
	m = m.withDefaults()
	if m.Exponent <= 0 || m.RefDistM <= 0 || m.ShadowingDB <= 0 || m.GridStepM <= 0 || m.FloorLossDB < 0 || math.IsNaN(m.MaxTxDBm) || math.IsNaN(m.MinTxDBm) || m.MinTxDBm > m.MaxTxDBm {
		return nil, fmt.Errorf("locate: invalid model %+v", m)
	}
	l := &Locator{site: s, model: m, floors: map[string]int{}, sensors: map[string]int{}}
	for i, f := range s.Floors {
		l.floors[f.ID] = i
		l.elev = append(l.elev, f.ElevationM)
	}
	roomIdx := map[string]int{}
	l.roomIdx = roomIdx
	for _, r := range s.Rooms {
		fi, ok := l.floors[r.Floor]
		if !ok {
			return nil, fmt.Errorf("locate: room %q on unknown floor %q", r.ID, r.Floor)
		}
		roomIdx[r.ID] = len(l.rooms)
		l.rooms = append(l.rooms, r.ID)
		l.roomFloor = append(l.roomFloor, fi)
	}
	// One grid per floor over the bounding box of its rooms; each point
	// belongs to the room RoomAt gives (first listed wins). Points are
	// stored block by block.
	h := m.GridStepM
	boxes := roomBoxes(s, l.floors, roomIdx)
	l.floorRooms = make([][]int, len(s.Floors))
	var rank int32
	for fi, f := range s.Floors {
		lo, hi, ok := s.FloorBounds(f.ID)
		if !ok {
			continue
		}
		nx, ny := int((hi.X-lo.X)/h)+1, int((hi.Y-lo.Y)/h)+1
		if nx*ny > 2_000_000 {
			return nil, fmt.Errorf("locate: floor %q grid of %d×%d points is too large; raise GridStepM", f.ID, nx, ny)
		}
		inFloor := map[int]bool{}
		floorStart := len(l.grid)
		for bx := 0; bx < nx; bx += blockSide {
			for by := 0; by < ny; by += blockSide {
				b := block{lo: int32(len(l.grid)), roomLo: int32(len(l.blockRooms))}
				for ix := bx; ix < min(bx+blockSide, nx); ix++ {
					for iy := by; iy < min(by+blockSide, ny); iy++ {
						p := site.Point{X: lo.X + (float64(ix)+0.5)*h, Y: lo.Y + (float64(iy)+0.5)*h}
						ri, ok := boxes.roomAt(fi, p)
						if !ok {
							continue
						}
						l.grid = append(l.grid, gridPoint{floor: fi, p: p, room: ri, w: h * h})
						l.rank = append(l.rank, int32(ix*ny+iy))
						if !slices.Contains(l.blockRooms[b.roomLo:], int32(ri)) {
							l.blockRooms = append(l.blockRooms, int32(ri))
						}
					}
				}
				b.hi, b.roomHi = int32(len(l.grid)), int32(len(l.blockRooms))
				if b.hi > b.lo {
					l.blocks = append(l.blocks, b)
				}
			}
		}
		// Ranks so far count the floor's whole bounding box; make them
		// consecutive in floor, x, y order.
		order := make([]int, len(l.grid)-floorStart)
		for i := range order {
			order[i] = floorStart + i
		}
		slices.SortFunc(order, func(a, b int) int { return int(l.rank[a] - l.rank[b]) })
		for _, j := range order {
			l.rank[j] = rank
			rank++
			if room := l.grid[j].room; !inFloor[room] {
				inFloor[room] = true
				l.floorRooms[fi] = append(l.floorRooms[fi], room)
			}
		}
	}
	if !m.AreaPrior {
		count := make([]int, len(l.rooms))
		for _, g := range l.grid {
			count[g.room]++
		}
		for j := range l.grid {
			l.grid[j].w = 1 / float64(count[l.grid[j].room])
		}
	}
	n, nb := len(l.grid), len(l.blocks)
	l.slot = make([]int32, n)
	l.byRank = make([]gridPoint, n)
	for j, r := range l.rank {
		l.slot[r] = int32(j)
		l.byRank[r] = l.grid[j]
	}
	l.pool.New = func() any {
		return &scratch{ll: make([]float64, n), ub: make([]float64, nb), sums: make([]float64, 4*nb), kept: make([]uint64, (n+63)/64)}
	}
	for i, sn := range s.Sensors {
		if _, ok := l.floors[sn.Floor]; !ok {
			return nil, fmt.Errorf("locate: sensor %q on unknown floor %q", sn.ID, sn.Floor)
		}
		l.sensors[sn.ID] = i
		l.sens = append(l.sens, sn)
	}
	// The path-loss table takes most of New's time on a large site: its
	// rows are built on GOMAXPROCS goroutines, each row by one of them
	// alone, so the table does not depend on how they share the work.
	l.loss = make([][]float64, len(l.sens))
	l.blockMid = make([][]float64, len(l.sens))
	l.blockHalf = make([][]float64, len(l.sens))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(l.sens)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(l.sens); i = int(next.Add(1) - 1) {
				l.lossRow(i)
			}
		})
	}
	wg.Wait()
	return l, nil
}

// roomBox is a room with its bounding box, widened by far more than
// rounding: site.Contains cannot find a point outside it in the room.
type roomBox struct {
	room   int // index into Locator.rooms
	poly   []site.Point
	lo, hi site.Point
}

// floorBoxes holds each floor's rooms in site order.
type floorBoxes [][]roomBox

// roomBoxes returns the rooms of s by floor index (floors), each with
// its index by ID (roomIdx).
func roomBoxes(s *site.Site, floors, roomIdx map[string]int) floorBoxes {
	fb := make(floorBoxes, len(s.Floors))
	for _, r := range s.Rooms {
		lo, hi := site.Bounds(r.Polygon)
		pad := 1e-9 * (1 + max(math.Abs(lo.X), math.Abs(lo.Y), math.Abs(hi.X), math.Abs(hi.Y)))
		fi := floors[r.Floor]
		fb[fi] = append(fb[fi], roomBox{room: roomIdx[r.ID], poly: r.Polygon,
			lo: site.Point{X: lo.X - pad, Y: lo.Y - pad}, hi: site.Point{X: hi.X + pad, Y: hi.Y + pad}})
	}
	return fb
}

// roomAt is site.RoomAt on floor fi, returning the room's index: the first
// room in site order that contains p.
func (fb floorBoxes) roomAt(fi int, p site.Point) (int, bool) {
	for _, b := range fb[fi] {
		if p.X >= b.lo.X && p.X <= b.hi.X && p.Y >= b.lo.Y && p.Y <= b.hi.Y && site.Contains(b.poly, p) {
			return b.room, true
		}
	}
	return 0, false
}

// Model returns the locator's model with its defaults filled in.
func (l *Locator) Model() Model { return l.model }

// lossRow sets sensor i's row of the path-loss table (lossTo at every grid
// point) and its loss range over each block.
func (l *Locator) lossRow(i int) {
	sn := l.sens[i]
	sf := l.floors[sn.Floor]
	dz := make([]float64, len(l.elev))
	for fi := range dz {
		dz[fi] = l.dz(sn, fi)
	}
	fan := l.site.WallFan(sn.Floor, sn.Pos)
	row := make([]float64, len(l.grid))
	for j, g := range l.grid {
		row[j] = l.lossFrom(sf, g.floor, dz[g.floor], sn.Pos, fan.LossDB(g.p), g.p)
	}
	mid, half := make([]float64, len(l.blocks)), make([]float64, len(l.blocks))
	for b, bl := range l.blocks {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range row[bl.lo:bl.hi] {
			lo, hi = min(lo, v), max(hi, v)
		}
		mid[b], half[b] = (lo+hi)/2, (hi-lo)/2
	}
	l.loss[i], l.blockMid[i], l.blockHalf[i] = row, mid, half
}

// lossTo returns L(x) from sensor sn to point p on floor fi, in dB.
func (l *Locator) lossTo(sn site.Sensor, fi int, p site.Point) float64 {
	return l.lossFrom(l.floors[sn.Floor], fi, l.dz(sn, fi), sn.Pos, l.site.WallLossDB(sn.Floor, sn.Pos, p), p)
}

// lossFrom is lossTo with the sensor's floor index sf and position at, the
// height dz of floor fi above the sensor and the loss wallDB of the walls
// between the sensor and p given.
func (l *Locator) lossFrom(sf, fi int, dz float64, at site.Point, wallDB float64, p site.Point) float64 {
	loss := l.distLossDZ(at, dz, p) + wallDB
	if fi != sf {
		loss += l.model.FloorLossDB * math.Abs(float64(fi-sf))
	}
	return loss
}

// corrected returns m_i: reported power plus offset minus antenna gain.
func corrected(sn site.Sensor, powerDBm float64) float64 {
	return powerDBm + sn.OffsetDB - sn.AntennaGainDB
}

// Locate returns the room posterior, position and 95% ellipse of one emission
// from the powers at least MinSensors distinct sensors received. A sensor
// listed twice has its powers averaged.
func (l *Locator) Locate(ms []Measurement) (Result, error) {
	return l.LocateQuery(Query{Heard: ms, MinSensors: MinSensors})
}

// LocateQuery locates one emission from the sensors that heard it (at least
// q.MinSensors, default 1) and those that were listening and did not.
//
// With fewer than three sensors the heard powers do not fix a position: the
// posterior is then spread over the grid points whose path loss makes the
// implied transmit power plausible (between the EIRP bounds) and where the
// silent sensors would probably not have heard it. The position is the
// posterior mean of the most likely room, not a maximum-likelihood point.
func (l *Locator) LocateQuery(q Query) (Result, error) {
	ms := q.Heard
	idx := make([]int, 0, len(ms))
	val := make([]float64, 0, len(ms))
	cnt := make([]int, 0, len(ms))
	var freqHz float64
	for _, m := range ms {
		if m.CenterHz > 0 && !math.IsInf(m.CenterHz, 0) && freqHz == 0 {
			freqHz = m.CenterHz
		}
		si, ok := l.sensors[m.Sensor]
		if !ok {
			return Result{}, fmt.Errorf("locate: unknown sensor %q", m.Sensor)
		}
		if math.IsNaN(m.PowerDBm) || math.IsInf(m.PowerDBm, 0) {
			return Result{}, fmt.Errorf("locate: sensor %q power not finite", m.Sensor)
		}
		v := corrected(l.sens[si], m.PowerDBm)
		found := false
		for k, j := range idx {
			if j == si {
				val[k] += v
				cnt[k]++
				found = true
			}
		}
		if !found {
			idx, val, cnt = append(idx, si), append(val, v), append(cnt, 1)
		}
	}
	minSensors := max(q.MinSensors, 1)
	if len(idx) < minSensors {
		return Result{}, fmt.Errorf("%w: %d heard it, need %d", ErrTooFewSensors, len(idx), minSensors)
	}
	for k := range val {
		val[k] /= float64(cnt[k])
	}
	if len(l.grid) == 0 {
		return Result{}, errors.New("locate: site has no rooms to locate in")
	}
	missProb := q.MissProb
	if missProb == 0 {
		missProb = DefaultMissProb
	}
	if !(missProb > 0 && missProb < 1) {
		return Result{}, fmt.Errorf("locate: miss probability %v not in (0, 1)", q.MissProb)
	}
	var sil []int
	var thr []float64
	for _, sc := range q.Silent {
		si, ok := l.sensors[sc.Sensor]
		if !ok {
			return Result{}, fmt.Errorf("locate: unknown silent sensor %q", sc.Sensor)
		}
		if math.IsNaN(sc.ThresholdDBm) || math.IsInf(sc.ThresholdDBm, 0) {
			return Result{}, fmt.Errorf("locate: silent sensor %q threshold not finite", sc.Sensor)
		}
		if slices.Contains(idx, si) || slices.Contains(sil, si) {
			continue // heard it after all, or listed twice
		}
		sil, thr = append(sil, si), append(thr, corrected(l.sens[si], sc.ThresholdDBm))
	}
	minTx, maxTx := l.model.MinTxDBm, l.model.MaxTxDBm
	if q.TxBounds {
		if math.IsNaN(q.MinTxDBm) || math.IsNaN(q.MaxTxDBm) || q.MinTxDBm > q.MaxTxDBm {
			return Result{}, fmt.Errorf("locate: transmit power bounds [%v, %v] dBm invalid", q.MinTxDBm, q.MaxTxDBm)
		}
		minTx, maxTx = q.MinTxDBm, q.MaxTxDBm
	}
	txLo, txHi := l.profiledBounds(freqHz, minTx, maxTx)
	var logPrior []float64 // per room; nil = all 0
	if len(q.RoomPrior) > 0 {
		logPrior = make([]float64, len(l.rooms))
		anyPos := false
		for i, r := range l.rooms {
			w, ok := q.RoomPrior[r]
			if !ok {
				w = 1
			}
			if !(w >= 0) || math.IsInf(w, 1) {
				return Result{}, fmt.Errorf("locate: room %q prior weight %v not finite and non-negative", r, w)
			}
			anyPos = anyPos || w > 0
			logPrior[i] = math.Log(w)
		}
		if !anyPos {
			return Result{}, errors.New("locate: room prior weights are all zero")
		}
	}
	k := float64(len(idx))
	sigma := l.model.ShadowingDB
	pq := prepared{idx: idx, val: val, sil: sil, thr: thr, txLo: txLo, txHi: txHi, logPrior: logPrior,
		inv2s2: 1 / (2 * sigma * sigma),
		// A silent sensor's expected power is P̂_tx - L_j(x); P̂_tx carries
		// the heard sensors' shadowing averaged (variance σ²/k) on top of
		// the silent sensor's own.
		invSilent: 1 / (sigma * math.Sqrt(1+1/k))}
	if len(sil) > 0 {
		pq.silTab = l.silenceTable(missProb)
	}
	sc := l.pool.Get().(*scratch)
	defer l.pool.Put(sc)
	best, bestLL := l.search(&pq, sc)
	ll := sc.ll
	// The points within e^-40 of the peak, in rank order: the sums below
	// then add in the same order whatever blocks the search skipped.
	kept := sc.pts[:0]
	for w, word := range sc.kept {
		for ; word != 0; word &= word - 1 {
			r := w*64 + bits.TrailingZeros64(word)
			if !(ll[r]-bestLL < -40) {
				kept = append(kept, int32(r))
			}
		}
	}
	clear(sc.kept)
	sc.pts = kept
	probs := make([]float64, len(l.rooms))
	mom := make([]moments, len(l.site.Floors))
	var total float64
	for _, r := range kept {
		g := &l.byRank[r]
		w := math.Exp(ll[r]-bestLL) * g.w
		probs[g.room] += w
		mom[g.floor].add(w, g.p)
		total += w
	}
	res := Result{}
	for i, p := range probs {
		if p/total > 0.001 {
			res.Rooms = append(res.Rooms, RoomProb{Room: l.rooms[i], Prob: p / total})
		}
	}
	sort.Slice(res.Rooms, func(a, b int) bool {
		if res.Rooms[a].Prob != res.Rooms[b].Prob {
			return res.Rooms[a].Prob > res.Rooms[b].Prob
		}
		return res.Rooms[a].Room < res.Rooms[b].Room
	})
	// The floor is the most likely room's, the position the best grid
	// point on it, so floor, position and Rooms[0] agree. Of rooms that tie
	// for most likely on different floors, the floor with the most
	// posterior mass wins (the room holding the position then goes first,
	// below). Until 2026-12-07 the floor was always the one with the most
	// mass, over all its rooms: on the standard wing the yard, perimeter
	// and outside lie on L1, and a cell on L1 with them (47% + 6%)
	// outweighed the top room, a cell on L2 (47%), so the fix said L1,
	// drew its dot in an L1 room and named the L2 cell.
	bestFloor, topP := -1, slices.Max(probs)
	for i, p := range probs {
		if fi := l.roomFloor[i]; p == topP && (bestFloor < 0 || mom[fi].w > mom[bestFloor].w) {
			bestFloor = fi
		}
	}
	if bestFloor != l.grid[best].floor {
		bestOn := math.Inf(-1)
		for _, r := range kept {
			if l.byRank[r].floor == bestFloor && ll[r] > bestOn {
				best, bestOn = int(l.slot[r]), ll[r]
			}
		}
	}
	g := l.grid[best]
	res.Floor = l.site.Floors[g.floor].ID
	if len(idx) >= MinSensors {
		res.Pos = l.refine(best, idx, val, txLo, txHi)
	}
	// The position lies in the most likely room (or one tied with it): with
	// fewer than three sensors, and when the maximum-likelihood point lies
	// elsewhere, it is that room's posterior mean. Until 2026-12-07 the
	// refined point stood wherever it fell: of the standard wing's
	// handset fixes from three sensors or more (TestStandardWingFewSensors)
	// 57% drew their dot in another room than the one they named, or in
	// none.
	if at, ok := l.site.RoomAt(res.Floor, res.Pos); len(idx) < MinSensors || !ok || probs[l.roomIdx[at.ID]] != topP {
		res.Pos = l.roomMean(g.floor, probs, ll, kept, bestLL, g.p)
	}
	// Rooms that tie for the top probability (a weak fix from one sensor
	// leaves many alike) are ordered by ID above; the one holding the
	// position goes first, so the room reported and the position drawn
	// agree.
	if at, ok := l.site.RoomAt(res.Floor, res.Pos); ok {
		for i := 1; i < len(res.Rooms) && res.Rooms[i].Prob == res.Rooms[0].Prob; i++ {
			if res.Rooms[i].Room == at.ID {
				top := res.Rooms[i]
				copy(res.Rooms[1:i+1], res.Rooms[:i])
				res.Rooms[0] = top
				break
			}
		}
	}
	res.TxDBm = min(max(l.profiledTx(g.floor, res.Pos, idx, val), txLo), txHi)
	for _, si := range idx {
		res.Sensors = append(res.Sensors, l.sens[si].ID)
	}
	q2 := l.model.GridStepM * l.model.GridStepM / 12
	res.Ellipse = ellipse95(mom[g.floor].about(res.Pos, q2))
	return res, nil
}

// logSilence is the log-probability that a listening sensor did not report
// an emission whose expected power is z standard deviations below its
// threshold: log(pMiss + (1 - pMiss)·Φ(z)).
func logSilence(z, missProb float64) float64 {
	return math.Log(missProb + (1-missProb)*0.5*math.Erfc(-z/math.Sqrt2))
}

// silenceTable tabulates logSilence for one miss probability over
// [silZLo, silZHi] (linear interpolation; outside, the limits): one
// localisation evaluates it for every silent sensor at every grid point.
type silenceTable struct{ v, d []float64 } // values, and d[i] = v[i+1] - v[i]

const (
	silZLo, silZHi = -8.0, 8.0
	silStep        = 1.0 / 64
)

func newSilenceTable(missProb float64) silenceTable {
	n := int((silZHi-silZLo)/silStep) + 1
	t := silenceTable{v: make([]float64, n), d: make([]float64, n)}
	for i := range t.v {
		t.v[i] = logSilence(silZLo+float64(i)*silStep, missProb)
	}
	for i := range n - 1 {
		t.d[i] = t.v[i+1] - t.v[i]
	}
	return t
}

// silenceTable returns the table for missProb, built once per locator for
// the first few miss probabilities queries use (1025 erfc and log each).
func (l *Locator) silenceTable(missProb float64) silenceTable {
	l.silMu.Lock()
	defer l.silMu.Unlock()
	if t, ok := l.silTabs[missProb]; ok {
		return t
	}
	t := newSilenceTable(missProb)
	if len(l.silTabs) < 8 {
		if l.silTabs == nil {
			l.silTabs = map[float64]silenceTable{}
		}
		l.silTabs[missProb] = t
	}
	return t
}

func (t silenceTable) at(z float64) float64 {
	if !(z > silZLo) {
		return t.v[0]
	}
	if z >= silZHi {
		return 0 // Φ(z) = 1 to double precision
	}
	f := (z - silZLo) * (1 / silStep) // = / silStep exactly: a power of two
	i := int(f)
	f -= float64(i)
	return t.v[i] + f*t.d[i]
}

// prepared is one query in the locator's indices.
type prepared struct {
	idx        []int     // heard sensors
	val        []float64 // their corrected powers (averaged per sensor)
	sil        []int     // silent sensors
	thr        []float64 // their corrected thresholds
	txLo, txHi float64   // profiled transmit power bounds
	logPrior   []float64 // per room; nil = all 0
	inv2s2     float64   // 1/(2σ²)
	invSilent  float64   // 1/(σ·sqrt(1+1/k))
	silTab     silenceTable
}

// pruneSlack widens the e^-40 cutoff for whole blocks to absorb rounding
// in their bounds, in nats.
const pruneSlack = 1e-3

// search evaluates the log-likelihood of q on the grid into sc.ll and
// returns the best point and its value. Blocks whose upper bound lies more
// than 40 below the best point found so far are skipped: their points fall
// below the posterior's e^-40 cutoff. The block with the highest bound goes
// first, so the best point is near its final value early. sc.kept gets the
// ranks of the evaluated points within 40 of the best at the time (a
// superset of those within 40 of the final best).
//
// The best point is the first in rank order among equals, and every point
// that passes the cutoff has the value an evaluation of the whole grid gives
// it: the result does not depend on which blocks were skipped.
func (l *Locator) search(q *prepared, sc *scratch) (best int, bestLL float64) {
	sc.rows = sc.rows[:0]
	for _, si := range q.idx {
		sc.rows = append(sc.rows, l.loss[si])
	}
	l.blockBounds(q, sc)
	top, topUB := 0, math.Inf(-1)
	for b, u := range sc.ub {
		if u > topUB {
			top, topUB = b, u
		}
	}
	best, bestLL = l.evalBlock(q, sc, top, -1, math.Inf(-1))
	for b, u := range sc.ub {
		if b == top || (!l.exhaustive && u-bestLL < -40-pruneSlack) {
			continue
		}
		best, bestLL = l.evalBlock(q, sc, b, best, bestLL)
	}
	if best < 0 { // every point -Inf: cannot happen with a room of weight > 0
		best = int(l.slot[0])
	}
	return best, bestLL
}

// blockBounds sets sc.ub to an upper bound on the log-likelihood of q over
// each block's points. Within a block sensor a's loss lies within w_a of
// its centre c_a, so the residuals r lie within ||w|| of those at the
// centres, r_c. The heard term is -dist(r, C)²/(2σ²), where C = {t·1 : t
// within the transmit power bounds} (a segment, or the line without
// bounds); the distance to a convex set is 1-Lipschitz, so dist(r, C) ≥
// dist(r_c, C) - ||w||. Each silence term grows with the silent sensor's
// loss and falls with the profiled power; it is bounded at the block's
// largest loss and smallest profiled power. Sums run sensor by sensor over
// all blocks.
func (l *Locator) blockBounds(q *prepared, sc *scratch) {
	nb := len(l.blocks)
	sum, sum2, w2, wsum := sc.sums[0*nb:1*nb], sc.sums[1*nb:2*nb], sc.sums[2*nb:3*nb], sc.sums[3*nb:4*nb]
	clear(sc.sums)
	for a, si := range q.idx {
		v := q.val[a]
		mid, half := l.blockMid[si][:nb], l.blockHalf[si][:nb]
		for b := range nb {
			c, w := v+mid[b], half[b]
			sum[b] += c
			sum2[b] += c * c
			w2[b] += w * w
			wsum[b] += w
		}
	}
	k := float64(len(q.idx))
	ub := sc.ub[:nb]
	for b := range nb {
		mean := sum[b] / k
		ss := max(sum2[b]-sum[b]*mean, 0)
		if d := mean - q.clampTx(mean); d != 0 {
			ss += k * d * d
		}
		u := 0.0
		if lb := math.Sqrt(ss) - math.Sqrt(w2[b]); lb > 0 {
			u = -lb * lb * q.inv2s2
		}
		if q.logPrior != nil {
			bl := l.blocks[b]
			m := math.Inf(-1)
			for _, r := range l.blockRooms[bl.roomLo:bl.roomHi] {
				m = max(m, q.logPrior[r])
			}
			u += m
		}
		ub[b] = u
		wsum[b] = q.clampTx(mean - wsum[b]/k) // from here: the least profiled power
	}
	for a, si := range q.sil {
		mid, half := l.blockMid[si][:nb], l.blockHalf[si][:nb]
		for b := range nb {
			ub[b] += q.silTab.at((q.thr[a] - wsum[b] + mid[b] + half[b]) * q.invSilent)
		}
	}
}

// better reports whether grid point j with log-likelihood v beats best
// with bestV (best -1: none yet); ties go to the point first in floor, x, y
// order.
func (l *Locator) better(j int, v float64, best int, bestV float64) bool {
	return v > bestV || (v == bestV && best >= 0 && l.rank[j] < l.rank[best])
}

// clampTx holds a profiled transmit power within the query's bounds.
func (q *prepared) clampTx(tx float64) float64 {
	if tx < q.txLo {
		return q.txLo
	}
	if tx > q.txHi {
		return q.txHi
	}
	return tx
}

// evalBlock evaluates block b's points into sc.ll and returns the best
// point and value so far (best -1: none yet). The sums over sensors run
// sensor by sensor over the block's points.
func (l *Locator) evalBlock(q *prepared, sc *scratch, b int, best int, bestLL float64) (int, float64) {
	bl := l.blocks[b]
	lo, n := int(bl.lo), int(bl.hi-bl.lo)
	var sumA, sum2A [blockSide * blockSide]float64
	sum, sum2 := sumA[:n], sum2A[:n]
	for a, row := range sc.rows {
		v := q.val[a]
		for i, x := range row[lo : lo+n] {
			r := v + x
			sum[i] += r
			sum2[i] += r * r
		}
	}
	k := float64(len(q.idx))
	var vA, txA [blockSide * blockSide]float64
	v, tx := vA[:n], txA[:n]
	top := math.Inf(-1)
	for i := range v {
		mean := sum[i] / k
		ss := sum2[i] - sum[i]*mean // Σ(r - r̄)²
		tx[i] = q.clampTx(mean)
		if d := mean - tx[i]; d != 0 {
			ss += k * d * d // Σ(r - bound)²: P_tx held at its bound
		}
		v[i] = -ss * q.inv2s2
		if q.logPrior != nil {
			v[i] += q.logPrior[l.grid[lo+i].room]
		}
		top = max(top, v[i])
	}
	// Silences only lower v: a block already below the cutoff skips them.
	// Otherwise every point gets them, sensor by sensor; a point below the
	// cutoff without them stays below it, so which points are kept and
	// their values do not change.
	if len(q.sil) > 0 && top-bestLL >= -40 {
		for a, si := range q.sil {
			thr := q.thr[a]
			for i, x := range l.loss[si][lo : lo+n] {
				v[i] += q.silTab.at((thr - (tx[i] - x)) * q.invSilent)
			}
		}
	}
	ll, kept, ranks := sc.ll, sc.kept, l.rank[lo:lo+n]
	for i, r := range ranks {
		ll[r] = v[i]
		if j := lo + i; v[i] >= bestLL && l.better(j, v[i], best, bestLL) {
			best, bestLL = j, v[i]
		}
		if v[i]-bestLL >= -40 {
			kept[r/64] |= 1 << (r % 64)
		}
	}
	return best, bestLL
}

// roomMean returns the posterior mean position within the most likely room
// on floor fi (the room's posterior mass is in probs, the log-likelihoods
// in ll, the points within e^-40 of the peak in kept, by rank). With
// one or two sensors the likelihood is flat over a region and its maximum
// says little; the mean of the most likely room is where an officer should
// start looking. When the mean falls outside that room (a non-convex room),
// the room's best grid point is used; fallback when the floor has no room
// with mass.
func (l *Locator) roomMean(fi int, probs, ll []float64, kept []int32, bestLL float64, fallback site.Point) site.Point {
	top := -1
	for _, r := range l.floorRooms[fi] {
		if top < 0 || probs[r] > probs[top] {
			top = r
		}
	}
	if top < 0 {
		return fallback
	}
	var m moments
	bestJ, bestV := -1, math.Inf(-1)
	for _, r := range kept {
		g := &l.byRank[r]
		if g.room != top || g.floor != fi {
			continue
		}
		m.add(math.Exp(ll[r]-bestLL)*g.w, g.p)
		if ll[r] > bestV {
			bestJ, bestV = int(r), ll[r]
		}
	}
	if !(m.w > 0) {
		return fallback
	}
	p := site.Point{X: m.x / m.w, Y: m.y / m.w}
	if r, ok := l.site.RoomAt(l.site.Floors[fi].ID, p); ok && r.ID == l.rooms[top] {
		return p
	}
	return l.byRank[bestJ].p
}

// moments accumulates the weighted first and second moments of grid points
// (one floor's posterior).
type moments struct{ w, x, y, xx, xy, yy float64 }

func (m *moments) add(w float64, p site.Point) {
	m.w += w
	m.x += w * p.X
	m.y += w * p.Y
	m.xx += w * p.X * p.X
	m.xy += w * p.X * p.Y
	m.yy += w * p.Y * p.Y
}

// about returns the second moments [a b c] of the posterior about p, with q
// added to the diagonal: each grid point stands for a uniform square of
// side h, whose variance per axis is h²/12. Unlike the Fisher information,
// the posterior sees the walls (the likelihood jumps across them) and a
// second mode (a mirrored room), so the ellipse it gives covers what the
// room probabilities express.
func (m moments) about(p site.Point, q float64) [3]float64 {
	if !(m.w > 0) {
		return [3]float64{math.Inf(1), 0, math.Inf(1)}
	}
	ex, ey := m.x/m.w, m.y/m.w
	a := m.xx/m.w - 2*p.X*ex + p.X*p.X
	b := m.xy/m.w - p.X*ey - p.Y*ex + p.X*p.Y
	c := m.yy/m.w - 2*p.Y*ey + p.Y*p.Y
	return [3]float64{max(a, 0) + q, b, max(c, 0) + q}
}

// profiledBounds returns the lowest and highest profiled transmit power
// (P_tx less the free-space loss at d0, which the model leaves out) an
// emitter at freqHz can have: the EIRP bounds less RefLossDB(freqHz).
// Without a frequency there are no bounds. A far-away position that would
// need more power than any handset or radio has is thereby penalised (with
// P_tx free, the profile likelihood of distant points tends to a constant,
// and a large outdoor area would collect posterior mass it does not
// deserve), and so, with the lower bound, is a position so close to a
// sensor that a handset would have to whisper.
func (l *Locator) profiledBounds(freqHz, minTxDBm, maxTxDBm float64) (lo, hi float64) {
	if freqHz <= 0 {
		return math.Inf(-1), math.Inf(1)
	}
	ref := l.RefLossDB(freqHz)
	return minTxDBm - ref, maxTxDBm - ref
}

// RefLossDB is the free-space loss at the reference distance d0 at freqHz,
// 20·log10(4π·d0·f/c): what separates an EIRP from the profiled transmit
// power of the model (Result.TxDBm, PredictDBm's txDBm).
func (l *Locator) RefLossDB(freqHz float64) float64 {
	const c = 299_792_458.0
	return 20 * math.Log10(4*math.Pi*l.model.RefDistM*freqHz/c)
}

func (l *Locator) profiledTx(fi int, p site.Point, idx []int, val []float64) float64 {
	var sum float64
	for a, si := range idx {
		sum += val[a] + l.lossTo(l.sens[si], fi, p)
	}
	return sum / float64(len(idx))
}

// refine maximises the continuous profile likelihood from grid point j
// (the best) with Nelder-Mead, staying within two grid steps. The wall and
// floor losses are held at their values at the start point (they are
// piecewise constant), so only the distance term varies. It stops after 80
// evaluations, as it did with gonum's Nelder-Mead. That is not always
// converged (up to 0.3 m short of where 400 evaluations go), but running to
// convergence made the simulator's position RMSE 0.01 m worse in four rows
// of docs/localisation.md and better in one: with the walls held, the
// continuous optimum is no better an estimate than a point near the grid's.
func (l *Locator) refine(j int, idx []int, val []float64, txLo, txHi float64) site.Point {
	h := l.model.GridStepM
	fi, start := l.grid[j].floor, l.grid[j].p
	n, d0 := l.model.Exponent, l.model.RefDistM
	type term struct{ base, x, y, dz2 float64 } // r_a = base + distLoss
	var buf [16]term
	terms := buf[:0]
	for a, si := range idx {
		sn := l.sens[si]
		dz := l.dz(sn, fi)
		terms = append(terms, term{base: val[a] + (l.loss[si][j] - l.distLoss(sn, fi, start)), x: sn.Pos.X, y: sn.Pos.Y, dz2: dz * dz})
	}
	k := float64(len(idx))
	cost := func(x [2]float64) float64 {
		if math.Abs(x[0]-start.X) > 2*h || math.Abs(x[1]-start.Y) > 2*h {
			return math.Inf(1)
		}
		var sum, sum2 float64
		for _, t := range terms {
			dx, dy := x[0]-t.x, x[1]-t.y
			d := max(math.Sqrt(dx*dx+dy*dy+t.dz2), d0)
			r := t.base + 10*n*math.Log10(d/d0) // distLoss
			sum += r
			sum2 += r * r
		}
		ss := sum2 - sum*sum/k
		mean := sum / k
		if d := mean - min(max(mean, txLo), txHi); d != 0 {
			ss += k * d * d
		}
		return ss
	}
	x0 := [2]float64{start.X, start.Y}
	x, fx := nelderMead(cost, x0, h/2, 80, 0, 0)
	if !(fx <= cost(x0)) {
		return start
	}
	return site.Point{X: x[0], Y: x[1]}
}

// dz is the height of an emitter on floor fi above sensor sn's antenna.
func (l *Locator) dz(sn site.Sensor, fi int) float64 {
	return l.elev[fi] + l.model.EmitterHeightM - l.elev[l.floors[sn.Floor]] - l.model.SensorHeightM
}

// distLoss is the distance term 10·n·log10(d/d0) of the loss.
func (l *Locator) distLoss(sn site.Sensor, fi int, p site.Point) float64 {
	return l.distLossDZ(sn.Pos, l.dz(sn, fi), p)
}

// distLossDZ is distLoss from a sensor at s, dz below p.
func (l *Locator) distLossDZ(s site.Point, dz float64, p site.Point) float64 {
	dx, dy := p.X-s.X, p.Y-s.Y
	d := max(math.Sqrt(dx*dx+dy*dy+dz*dz), l.model.RefDistM)
	return 10 * l.model.Exponent * math.Log10(d/l.model.RefDistM)
}

// fisher returns the Fisher information J (2×2, symmetric: a, b, c for
// [[a b][b c]]) of the position at p, with P_tx profiled out.
func (l *Locator) fisher(fi int, p site.Point, idx []int) (a, b, c float64) {
	k := float64(len(idx))
	gx := make([]float64, len(idx))
	gy := make([]float64, len(idx))
	var mx, my float64
	f := 10 * l.model.Exponent / math.Ln10
	for i, si := range idx {
		sn := l.sens[si]
		dx, dy := p.X-sn.Pos.X, p.Y-sn.Pos.Y
		dz := l.dz(sn, fi)
		d2 := max(dx*dx+dy*dy+dz*dz, l.model.RefDistM*l.model.RefDistM)
		gx[i], gy[i] = f*dx/d2, f*dy/d2
		mx += gx[i]
		my += gy[i]
	}
	mx /= k
	my /= k
	for i := range idx {
		x, y := gx[i]-mx, gy[i]-my
		a += x * x
		b += x * y
		c += y * y
	}
	s2 := l.model.ShadowingDB * l.model.ShadowingDB
	return a / s2, b / s2, c / s2
}

// covariance returns J⁻¹ as [a b c] or false when J is singular.
func (l *Locator) covariance(fi int, p site.Point, idx []int) ([3]float64, bool) {
	a, b, c := l.fisher(fi, p, idx)
	det := a*c - b*b
	if !(det > 1e-12*(a*c+1e-300)) {
		return [3]float64{}, false
	}
	return [3]float64{c / det, -b / det, a / det}, true
}

func ellipse95(cov [3]float64) Ellipse {
	a, b, c := cov[0], cov[1], cov[2]
	tr, det := a+c, a*c-b*b
	disc := math.Sqrt(max(tr*tr/4-det, 0))
	l1, l2 := tr/2+disc, max(tr/2-disc, 0)
	return Ellipse{
		SemiMajorM: math.Sqrt(chi2_95 * l1),
		SemiMinorM: math.Sqrt(chi2_95 * l2),
		AngleRad:   0.5 * math.Atan2(2*b, a-c),
	}
}

// CRB returns the Cramér-Rao bound on the position RMSE in metres,
// sqrt(trace(J⁻¹)), for an emitter at p on floor heard by the given sensors.
func (l *Locator) CRB(floor string, p site.Point, sensors []string) (float64, error) {
	fi, ok := l.floors[floor]
	if !ok {
		return 0, fmt.Errorf("locate: unknown floor %q", floor)
	}
	idx := make([]int, 0, len(sensors))
	for _, s := range sensors {
		si, ok := l.sensors[s]
		if !ok {
			return 0, fmt.Errorf("locate: unknown sensor %q", s)
		}
		idx = append(idx, si)
	}
	cov, ok := l.covariance(fi, p, idx)
	if !ok {
		return math.Inf(1), nil
	}
	return math.Sqrt(cov[0] + cov[2]), nil
}

// PredictDBm returns the power sensor would report for an emitter of txDBm
// at p on floor under the model without shadowing (for simulation and tests).
func (l *Locator) PredictDBm(sensor, floor string, p site.Point, txDBm float64) (float64, error) {
	si, ok := l.sensors[sensor]
	if !ok {
		return 0, fmt.Errorf("locate: unknown sensor %q", sensor)
	}
	fi, ok := l.floors[floor]
	if !ok {
		return 0, fmt.Errorf("locate: unknown floor %q", floor)
	}
	sn := l.sens[si]
	return txDBm - l.lossTo(sn, fi, p) - sn.OffsetDB + sn.AntennaGainDB, nil
}
