package store

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfwarden/rfwarden/event"
)

func TestHeatMarksRoundTrip(t *testing.T) {
	base := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	det := func(site string, at time.Time) DetectionRecord {
		return DetectionRecord{Detection: event.Detection{Site: site, TimeNS: at.UnixNano()}}
	}
	tests := []struct {
		name string
		recs []DetectionRecord
		want []heatKey
	}{
		{"one quarter hour twice", []DetectionRecord{det("s1", base), det("s1", base.Add(14*time.Minute))},
			[]heatKey{{"s1", bucketOf(base.UnixNano())}}},
		{"two quarter hours out of order", []DetectionRecord{det("s1", base.Add(15*time.Minute)), det("s1", base)},
			[]heatKey{{"s1", bucketOf(base.UnixNano()) + 1}, {"s1", bucketOf(base.UnixNano())}}},
		{"awkward site names", []DetectionRecord{det(`a b,c="d"\`, base), det("", base), det("x\ny", base)},
			[]heatKey{{`a b,c="d"\`, bucketOf(base.UnixNano())}, {"_", bucketOf(base.UnixNano())}, {"x\ny", bucketOf(base.UnixNano())}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			marks := heatMarks(tc.recs)
			rec := []byte(strings.Join(append(marks, "detection,site=s1 n=1i 1"), "\n"))
			keys, body, err := splitHeatMarks(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("keys = %v, want %v", keys, tc.want)
			}
			lines := strings.Split(string(body), "\n")
			if len(lines) != len(tc.want)+1 || lines[len(lines)-1] != "detection,site=s1 n=1i 1" {
				t.Fatalf("body = %q, want %d state points and the detection", body, len(tc.want))
			}
			for _, l := range lines[:len(tc.want)] {
				if !strings.HasPrefix(l, heatMeasurement+",site=") || !strings.Contains(l, " written=") {
					t.Errorf("state point %q", l)
				}
			}
		})
	}
}

func TestSplitHeatMarks(t *testing.T) {
	tests := []struct {
		name     string
		rec      string
		wantKeys []heatKey
		wantBody string
		wantErr  bool
	}{
		{"no header (older spool)", "detection,site=s1 n=1i 1\ndetection,site=s1 n=1i 2", nil, "detection,site=s1 n=1i 1\ndetection,site=s1 n=1i 2", false},
		{"header only", heatMarkPrefix + `5 "s1"`, []heatKey{{"s1", 5}}, "", false},
		{"bad hour", heatMarkPrefix + `x "s1"` + "\n" + heatMarkPrefix + `6 "s1"` + "\nd", []heatKey{{"s1", 6}}, "d", true},
		{"unquoted site", heatMarkPrefix + "5 s1\nd", nil, "d", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, body, err := splitHeatMarks([]byte(tc.rec))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !slices.Equal(keys, tc.wantKeys) || string(body) != tc.wantBody {
				t.Errorf("got %v %q, want %v %q", keys, body, tc.wantKeys, tc.wantBody)
			}
		})
	}
}

func TestQLQuoting(t *testing.T) {
	if got, want := qlString(`it's \ x`), `'it\'s \\ x'`; got != want {
		t.Errorf("qlString = %s, want %s", got, want)
	}
	if got, want := qlIdent(`a"b`), `"a\"b"`; got != want {
		t.Errorf("qlIdent = %s, want %s", got, want)
	}
}

func TestRoomCountsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]int64
		want map[heatCellKey]int64
	}{
		{"none", map[string]int64{}, map[heatCellKey]int64{}},
		{"plain and unlocated", map[string]int64{"B2-14": 3, "_": 2},
			map[heatCellKey]int64{{"B2-14", 7}: 3, {"", 7}: 2}},
		{"awkward names", map[string]int64{"a&b=c": 1, "50% + x": 4, "wing \"C\"\\cell": 5, "é": 6},
			map[heatCellKey]int64{{"a&b=c", 7}: 1, {"50% + x", 7}: 4, {"wing \"C\"\\cell", 7}: 5, {"é", 7}: 6}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc := encodeRoomCounts(tc.in)
			got := map[heatCellKey]int64{}
			if err := addEncodedCounts(got, 7, enc); err != nil {
				t.Fatalf("decode %q: %v", enc, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decode(%q) = %v, want %v", enc, got, tc.want)
			}
		})
	}
	if err := addEncodedCounts(map[heatCellKey]int64{}, 7, "A=x"); err == nil {
		t.Error("decoding a count that is not a number: no error")
	}
}
