package registry

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

// TestMatchesAtItsBounds checks Entry.Matches on each side of every bound
// an entry sets: its validity (valid_until is the first instant it no
// longer authorises, as Expire and the dashboard's "ended" read it), its
// band (a tenth of the detection's bandwidth of tolerance, no more) and its
// weekly schedule, whose windows end before their end minute, also a window
// that runs past midnight into the next day.
func TestMatchesAtItsBounds(t *testing.T) {
	mon := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // a Monday
	if mon.Weekday() != time.Monday {
		t.Fatalf("%v is a %v, want a Monday", mon, mon.Weekday())
	}
	at := func(day, h, m int) time.Time {
		return mon.AddDate(0, 0, day).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	base := Entry{ID: 1, Name: "tablet", Kind: KindInCellTablet,
		Signature: Signature{Class: event.ClassLTE, FreqMinHz: 1900e6, FreqMaxHz: 1920e6},
		ValidFrom: at(0, 0, 0).Add(-24 * time.Hour)}
	// a 1 MHz wide LTE uplink centred at c: a tenth of its bandwidth is 100 kHz of tolerance
	det := func(c float64) event.Detection {
		return event.Detection{Class: event.ClassLTE, CenterHz: c, BandwidthHz: 1e6, PowerDBm: -60}
	}
	inBand := det(1910e6)
	until := at(0, 12, 0)
	expiring := base
	expiring.ValidUntil = until
	overnight := base // Monday 22:00 to Tuesday 02:00, and Saturday 23:00 to Sunday 01:00
	overnight.Schedule = []Window{{Weekday: time.Monday, StartMin: 22 * 60, EndMin: 26 * 60}, {Weekday: time.Saturday, StartMin: 23 * 60, EndMin: 25 * 60}}
	for _, tc := range []struct {
		name string
		e    Entry
		d    event.Detection
		at   time.Time
		want bool
	}{
		{"valid, in band", base, inBand, at(0, 10, 0), true},
		{"before valid_from", base, inBand, base.ValidFrom.Add(-time.Nanosecond), false},
		{"at valid_from", base, inBand, base.ValidFrom, true},
		{"just before valid_until", expiring, inBand, until.Add(-time.Nanosecond), true},
		{"at valid_until", expiring, inBand, until, false},
		{"after valid_until", expiring, inBand, until.Add(time.Minute), false},
		// lower edge at 1899.95 MHz: 50 kHz under the band, within tolerance
		{"low edge within tolerance", base, det(1900.45e6), at(0, 10, 0), true},
		// lower edge at 1899.8 MHz: 200 kHz under, twice the tolerance
		{"low edge past tolerance", base, det(1900.3e6), at(0, 10, 0), false},
		{"high edge within tolerance", base, det(1919.55e6), at(0, 10, 0), true},
		{"high edge past tolerance", base, det(1919.7e6), at(0, 10, 0), false},
		{"other class", base, event.Detection{Class: event.ClassNR, CenterHz: 1910e6, BandwidthHz: 1e6, PowerDBm: -60}, at(0, 10, 0), false},
		{"monday 21:59, before the window", overnight, inBand, at(0, 21, 59), false},
		{"monday 22:00", overnight, inBand, at(0, 22, 0), true},
		{"tuesday 01:59, past midnight", overnight, inBand, at(1, 1, 59), true},
		{"tuesday 02:00, the window's end", overnight, inBand, at(1, 2, 0), false},
		{"wednesday 01:00, no window the day before", overnight, inBand, at(2, 1, 0), false},
		{"sunday 00:59, saturday's window", overnight, inBand, at(6, 0, 59), true},
		{"sunday 01:00, saturday's window's end", overnight, inBand, at(6, 1, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Matches(tc.d, Place{}, tc.at, time.UTC); got != tc.want {
				t.Errorf("Matches(%s at %.2f MHz ±%.2f MHz, %v) = %v, want %v", tc.d.Class, tc.d.CenterHz/1e6, tc.d.BandwidthHz/2e6, tc.at.Format("Mon 15:04:05.000000000"), got, tc.want)
			}
		})
	}
}

// TestValidateScheduleWindow checks each bound Validate puts on a weekly
// window: a window that ends where it starts (or before) holds no minute,
// and is refused as a mistake rather than kept as an entry that never
// authorises. The error names the window, the field and its value
// plainly: a weekday of 9 was printed "schedule[0] {Weekday:%!Weekday(9)
// StartMin:-5 EndMin:99999}" until 2026-12-07 (time.Weekday's String has
// no name for it).
func TestValidateScheduleWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Window
		want string // "" for accepted, else the error's text after ErrInvalid's
	}{
		{"one minute", Window{Weekday: time.Monday, StartMin: 600, EndMin: 601}, ""},
		{"whole day", Window{Weekday: time.Sunday, StartMin: 0, EndMin: 1440}, ""},
		{"into the next day, to its end", Window{Weekday: time.Saturday, StartMin: 1439, EndMin: 2880}, ""},
		{"ends where it starts", Window{Weekday: time.Monday, StartMin: 600, EndMin: 600},
			"schedule[0]: end_min 600: use 601 to 2880 (minutes after midnight, after start_min 600; past 1440 it runs into the next day)"},
		{"ends before it starts", Window{Weekday: time.Monday, StartMin: 600, EndMin: 599}, "schedule[0]: end_min 599: use 601 to 2880"},
		{"starts at 24:00", Window{Weekday: time.Monday, StartMin: 1440, EndMin: 1500}, "schedule[0]: start_min 1440: use 0 to 1439 (minutes after midnight)"},
		{"negative start", Window{Weekday: time.Monday, StartMin: -1, EndMin: 60}, "schedule[0]: start_min -1: use 0 to 1439"},
		{"past the next day", Window{Weekday: time.Monday, StartMin: 600, EndMin: 2881}, "schedule[0]: end_min 2881: use 601 to 2880"},
		{"weekday 7", Window{Weekday: 7, StartMin: 600, EndMin: 660}, "schedule[0]: weekday 7: use 0 (Sunday) to 6 (Saturday)"},
		{"weekday -1", Window{Weekday: -1, StartMin: 600, EndMin: 660}, "schedule[0]: weekday -1: use 0 (Sunday) to 6 (Saturday)"},
		{"weekday 9, start and end out too", Window{Weekday: 9, StartMin: -5, EndMin: 99999}, "schedule[0]: weekday 9: use 0 (Sunday) to 6 (Saturday)"},
		{"end far out", Window{Weekday: time.Saturday, StartMin: 0, EndMin: 99999}, "schedule[0]: end_min 99999: use 1 to 2880"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry{Name: "tablet", Kind: KindInCellTablet, Signature: Signature{FreqMinHz: 1900e6, FreqMaxHz: 1920e6},
				Schedule: []Window{tc.w}}
			err := e.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want ok", err)
			case tc.want == "":
			case err == nil:
				t.Fatalf("Validate ok, want an error")
			case !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), ErrInvalid.Error()+": "+tc.want) || strings.Contains(err.Error(), "%!"):
				t.Fatalf("Validate: %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
	// the index is the window's
	e := Entry{Name: "tablet", Kind: KindInCellTablet, Signature: Signature{FreqMinHz: 1900e6, FreqMaxHz: 1920e6},
		Schedule: []Window{{Weekday: time.Monday, StartMin: 0, EndMin: 60}, {Weekday: 9, StartMin: 0, EndMin: 60}}}
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "schedule[1]: weekday 9") {
		t.Errorf("Validate of a second window with weekday 9: %v, want it named schedule[1]", err)
	}
}
