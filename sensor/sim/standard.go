package sim

import (
	"fmt"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// Config sets up the standard wing (New) or a site's (FromSite, which
// takes its site ID from the site file).
type Config struct {
	Seed   uint64
	Start  time.Time // scenario start; zero means DefaultStart()
	SiteID string    // zero means "hmp-demo"
}

// StandardWing returns the standard scenario used by the demo and the fusion
// tests, starting at DefaultStart().
func StandardWing(seed uint64) *Wing { return New(Config{Seed: seed}) }

// New returns the standard wing with cfg's seed and start: a 48 x 12 m block
// of two landings (L1, L2), each with ten cells on either side of a 4 m
// landing corridor and an office at the east end; a yard to the south, a
// perimeter strip beyond it and the outside beyond that. Nine sensors:
// three on the corridor walls of each landing (s1, s6, s2 on L1; s3, s7, s4
// on L2), staggered off the corridor axis, one in each office (s8, s9) and
// s5 on the yard wall.
func New(cfg Config) *Wing {
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart()
	}
	if cfg.SiteID == "" {
		cfg.SiteID = "hmp-demo"
	}
	w := &Wing{SiteID: cfg.SiteID, Name: "HMP Demo, A wing (simulated)", Seed: cfg.Seed, Start: cfg.Start.UTC()}
	w.Floors = []Floor{{ID: "L1", Name: "Landing 1", ElevationM: 0}, {ID: "L2", Name: "Landing 2", ElevationM: 3.5}}
	rect := func(x0, y0, x1, y1 float64) []Point {
		return []Point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
	}
	for _, f := range w.Floors {
		for i := range 10 {
			x := float64(4 * i)
			w.Rooms = append(w.Rooms,
				Room{ID: fmt.Sprintf("%s-S%02d", f.ID, i+1), Name: fmt.Sprintf("Cell %s south %d", f.ID, i+1), Floor: f.ID, Kind: "cell", Zone: "wing-a", Polygon: rect(x, 0, x+4, 4)},
				Room{ID: fmt.Sprintf("%s-N%02d", f.ID, i+1), Name: fmt.Sprintf("Cell %s north %d", f.ID, i+1), Floor: f.ID, Kind: "cell", Zone: "wing-a", Polygon: rect(x, 8, x+4, 12)})
		}
		w.Rooms = append(w.Rooms,
			Room{ID: f.ID + "-LAND", Name: "Landing " + f.ID, Floor: f.ID, Kind: "landing", Zone: "wing-a", Polygon: rect(0, 4, 40, 8)},
			Room{ID: f.ID + "-OFFICE", Name: "Office " + f.ID, Floor: f.ID, Kind: "office", Zone: "admin", Polygon: rect(40, 0, 48, 12)})
		wall := func(x0, y0, x1, y1, loss float64) {
			w.Walls = append(w.Walls, Wall{Floor: f.ID, A: Point{x0, y0}, B: Point{x1, y1}, LossDB: loss})
		}
		wall(0, 0, 48, 0, 15) // outer walls
		wall(0, 12, 48, 12, 15)
		wall(0, 0, 0, 12, 15)
		wall(48, 0, 48, 12, 15)
		wall(0, 4, 40, 4, 10) // corridor walls with cell doors
		wall(0, 8, 40, 8, 10)
		wall(40, 0, 40, 12, 12) // office
		for i := 1; i < 10; i++ {
			x := float64(4 * i)
			wall(x, 0, x, 4, 12) // cell partitions
			wall(x, 8, x, 12, 12)
		}
	}
	w.Rooms = append(w.Rooms,
		Room{ID: "YARD", Name: "Exercise yard", Floor: "L1", Kind: "yard", Zone: "yard", Polygon: rect(0, -20, 48, 0)},
		Room{ID: "PERIM", Name: "Perimeter", Floor: "L1", Kind: "perimeter", Zone: "perimeter", Polygon: rect(-10, -30, 58, -20)},
		Room{ID: "OUTSIDE", Name: "Outside the wall", Floor: "L1", Kind: "outside", Zone: "outside", Polygon: rect(-60, -150, 110, -30)})
	w.Walls = append(w.Walls, Wall{Floor: "L1", A: Point{-10, -20}, B: Point{58, -20}, LossDB: 3}) // yard fence
	// Three sensors per landing, wall-mounted at SensorHeightM on the
	// corridor walls, alternating south and north wall and 12 m apart, the
	// upper landing's shifted one cell (4 m) east, so no two sensors share
	// an axis: a north cell and the mirrored south cell are at different
	// distances from every sensor, and no sensor sits above another. Each
	// stands at a cell partition, so it faces two cells across the corridor
	// and two behind its own wall through one corridor wall only. With
	// 10-12 dB walls a phone in a cell is heard by few sensors, and the
	// locator needs three; two per landing left most cells with fewer.
	// Each landing's office, a separate zone behind a 12 dB wall that the
	// corridor sensors see only from the west, has its own sensor on its
	// outer wall (a staff area: the easiest place in a wing to mount, power
	// and protect one), on opposite walls on the two floors. s5 watches the
	// yard from the outer wall.
	w.sensors = []SensorInfo{
		{ID: "s1", Floor: "L1", Pos: Point{8, 7.8}, Zones: []string{"wing-a"}},
		{ID: "s2", Floor: "L1", Pos: Point{32, 7.8}, Zones: []string{"wing-a", "admin"}},
		{ID: "s3", Floor: "L2", Pos: Point{12, 4.2}, Zones: []string{"wing-a"}},
		{ID: "s4", Floor: "L2", Pos: Point{36, 4.2}, Zones: []string{"wing-a", "admin"}},
		{ID: "s5", Floor: "L1", Pos: Point{24, -1}, AntennaGainDB: 3, Zones: []string{"yard", "perimeter", "outside"}},
		{ID: "s6", Floor: "L1", Pos: Point{20, 4.2}, Zones: []string{"wing-a"}},
		{ID: "s7", Floor: "L2", Pos: Point{24, 7.8}, Zones: []string{"wing-a"}},
		{ID: "s8", Floor: "L1", Pos: Point{44, 11.8}, Zones: []string{"admin"}},
		{ID: "s9", Floor: "L2", Pos: Point{44, 0.2}, Zones: []string{"admin"}},
	}
	night := Schedule{Cycle: 20 * time.Minute, NightCount: [2]int{1, 3}, DayCount: [2]int{0, 1}, MinDur: 30 * time.Second, MaxDur: 5 * time.Minute}
	overs := Schedule{Cycle: 5 * time.Minute, NightCount: [2]int{1, 2}, DayCount: [2]int{2, 4}, MinDur: 5 * time.Second, MaxDur: 30 * time.Second}
	day := Schedule{DailyOnH: 8, DailyOffH: 20}
	drone := Schedule{Cycle: 30 * time.Minute, NightCount: [2]int{1, 1}, DayCount: [2]int{1, 1}, MinDur: 6 * time.Minute, MaxDur: 8 * time.Minute}
	from := Point{24, -120}
	hover := Point{24, -21}
	w.emit = []Emitter{
		{ID: "phone-lte-1", Kind: KindPhone, Class: event.ClassLTE, Link: event.LinkUplink, Band: "LTE B20 UL", Floor: "L1", Pos: Point{10, 2}, HeightM: 1, CenterHz: 847e6, BandwidthHz: 4.5e6, TxPowerDBm: 5, Schedule: night, BurstLenS: 1e-3, BurstPeriodS: 1e-3},
		{ID: "phone-gsm-1", Kind: KindPhone, Class: event.ClassGSM, Link: event.LinkUplink, Band: "E-GSM-900 UL", Floor: "L2", Pos: Point{26, 10}, HeightM: 1, CenterHz: 902.4e6, BandwidthHz: 250e3, TxPowerDBm: 10, Schedule: night},
		{ID: "phone-lte-2", Kind: KindPhone, Class: event.ClassLTE, Link: event.LinkUplink, Band: "LTE B3 UL", Floor: "L2", Pos: Point{6, 2}, HeightM: 1, CenterHz: 1747.5e6, BandwidthHz: 4.5e6, TxPowerDBm: 3, Schedule: night, BurstLenS: 2e-3, BurstPeriodS: 20e-3},
		{ID: "phone-nr-1", Kind: KindPhone, Class: event.ClassNR, Link: event.LinkTDD, Band: "NR n78", Floor: "L1", Pos: Point{34, 10}, HeightM: 1, CenterHz: 3550e6, BandwidthHz: 18.72e6, TxPowerDBm: 10, Schedule: night, SCSHz: 30e3},
		{ID: "radio-1", Kind: KindStaffRadio, Class: event.ClassUnknown, Link: event.LinkUnknown, Band: "TETRA 380-400", Floor: "L1", Pos: Point{20, 6}, HeightM: 1.2, CenterHz: 390.0125e6, BandwidthHz: 16e3, TxPowerDBm: 30, Authorised: true, Schedule: overs},
		{ID: "radio-2", Kind: KindStaffRadio, Class: event.ClassUnknown, Link: event.LinkUnknown, Band: "TETRA 380-400", Floor: "L2", Pos: Point{15, 6}, HeightM: 1.2, CenterHz: 392.5125e6, BandwidthHz: 16e3, TxPowerDBm: 30, Authorised: true, Schedule: overs},
		{ID: "tablet-1", Kind: KindTablet, Class: event.ClassWiFi, Link: event.LinkUnknown, Band: "ISM 2.4 GHz", Floor: "L1", Pos: Point{18, 2}, HeightM: 0.8, CenterHz: 2437e6, BandwidthHz: 16.25e6, TxPowerDBm: 15, Authorised: true, Schedule: day, BurstLenS: 300e-6, BurstPeriodS: 5e-3},
		{ID: "tablet-2", Kind: KindTablet, Class: event.ClassWiFi, Link: event.LinkUnknown, Band: "Wi-Fi 5 GHz U-NII-1/2A", Floor: "L2", Pos: Point{10, 10}, HeightM: 0.8, CenterHz: 5200e6, BandwidthHz: 16.25e6, TxPowerDBm: 15, Authorised: true, Schedule: day, BurstLenS: 300e-6, BurstPeriodS: 5e-3},
		{ID: "ap-office", Kind: KindAccessPoint, Class: event.ClassWiFi, Link: event.LinkUnknown, Band: "Wi-Fi 5 GHz U-NII-1/2A", Floor: "L1", Pos: Point{44, 6}, HeightM: 2.5, CenterHz: 5180e6, BandwidthHz: 16.25e6, TxPowerDBm: 20, Authorised: true, Schedule: Schedule{Always: true}},
		{ID: "ap-landing", Kind: KindAccessPoint, Class: event.ClassWiFi, Link: event.LinkUnknown, Band: "ISM 2.4 GHz", Floor: "L2", Pos: Point{35, 6}, HeightM: 2.5, CenterHz: 2412e6, BandwidthHz: 16.25e6, TxPowerDBm: 20, Authorised: true, Schedule: Schedule{Always: true}},
		{ID: "drone-id", Kind: KindDrone, Class: event.ClassDroneID, Link: event.LinkUnknown, Band: "ISM 2.4 GHz", Floor: "L1", Pos: hover, HeightM: 15, CenterHz: 2429.5e6, BandwidthHz: 9e6, TxPowerDBm: 20, Schedule: drone, Group: "drone-1", ApproachFrom: &from, ApproachDur: 90 * time.Second, BurstPeriodS: 200e-3},
		{ID: "drone-video", Kind: KindDrone, Class: event.ClassDroneVideo, Link: event.LinkDownlink, Band: "5.8 GHz SRD", Floor: "L1", Pos: hover, HeightM: 15, CenterHz: 5760e6, BandwidthHz: 9e6, TxPowerDBm: 20, Schedule: drone, Group: "drone-1", ApproachFrom: &from, ApproachDur: 90 * time.Second},
		{ID: "drone-rc", Kind: KindDrone, Class: event.ClassRCFHSS, Link: event.LinkUplink, Band: "ISM 2.4 GHz", Floor: "L1", Pos: from, HeightM: 1.5, CenterHz: 2440e6, BandwidthHz: 170e3, HopSpanHz: 80e6, TxPowerDBm: 20, Schedule: drone, Group: "drone-1"},
	}
	for i := range w.emit {
		w.emit[i].Room = w.RoomAt(w.emit[i].Floor, w.emit[i].Pos)
	}
	return w
}
