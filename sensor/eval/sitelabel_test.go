package eval

import (
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

// TestLabelGigahertzShorthandIsAFrequency: "2.4G" and "5.8G" are how RC and
// video gear is sold and labelled ("2.4G remote", "1.2G video"). The
// label's words are cut at the point, so "2.4G" reads as "2" "4g": 4G,
// LTE; "1.2G" as 2G, GSM; "2.5G" (GPRS) as 5G, NR. A drone's remote is
// scored as an LTE target, silently (no unmapped label is reported).
func TestLabelGigahertzShorthandIsAFrequency(t *testing.T) {
	tests := []struct {
		label  string
		notCls string // the cellular class it must not be read as
	}{
		{"2.4G remote control", event.ClassLTE},
		{"2.4G video", event.ClassLTE},
		{"1.2G analog video", event.ClassGSM},
		{"2.5G GPRS", event.ClassNR},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, _, kind := ParseLabel(tt.label)
			if class == tt.notCls {
				t.Errorf("ParseLabel(%q) = %s %v: a frequency in GHz read as a generation", tt.label, class, kind)
			}
		})
	}
}

// TestLabelDigitalFPVAndFPVControlLink: "fpv" is checked before every other drone word
// and means fpv_analog. But DJI FPV, DJI O3/O4, HDZero and Walksnail are
// DIGITAL FPV systems (OFDM or digital video, what the classifier calls
// drone_video), and an FPV quad's ExpressLRS control link is an RC hopper.
// Scored as fpv_analog targets, a right drone_video or rc_fhss detection on
// them counts as a wrong class, and drone_video's precision falls.
func TestLabelDigitalFPVAndFPVControlLink(t *testing.T) {
	drone := []string{event.ClassDroneVideo, ClassDrone}
	tests := []struct {
		label string
		want  []string // any of these
	}{
		{"DJI FPV", drone},
		{"digital FPV (DJI O3)", drone},
		{"HDZero digital FPV", drone},
		{"FPV quad ELRS control link", []string{event.ClassRCFHSS}},
		{"ExpressLRS 2.4 on FPV quad", []string{event.ClassRCFHSS}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, _, _ := ParseLabel(tt.label)
			ok := false
			for _, w := range tt.want {
				ok = ok || class == w
			}
			if !ok {
				t.Errorf("ParseLabel(%q) = %s, want one of %v", tt.label, class, tt.want)
			}
		})
	}
}

// TestLabelDECTAndOpenDroneIDNotPhoneOrDroneID: "phone" makes the phone family (GSM,
// UMTS, LTE, NR, cellular), so a DECT cordless phone (1880-1900 MHz, the
// staff phones of a prison office, inside LTE B39/NR n39) is a phone
// target, and a detection the classifier names LTE or cellular on it
// counts as CORRECT: the false alert the site most needs to see is scored
// as a hit. Likewise "Open Drone ID" (ASTM F3411 Remote ID, a Bluetooth or
// Wi-Fi broadcast) is read as DJI's proprietary DroneID class, so a right
// Bluetooth or Wi-Fi name on it is scored wrong.
func TestLabelDECTAndOpenDroneIDNotPhoneOrDroneID(t *testing.T) {
	tests := []struct {
		label  string
		notCls []string
	}{
		{"DECT phone", Family(ClassPhone)},
		{"cordless phone (DECT)", Family(ClassPhone)},
		{"Open Drone ID (Bluetooth)", []string{event.ClassDroneID}},
		{"OpenDroneID Wi-Fi beacon", []string{event.ClassDroneID}},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, _, kind := ParseLabel(tt.label)
			if kind == KindTarget && (class == ClassPhone || strings.Contains(strings.Join(tt.notCls, ","), class)) {
				t.Errorf("ParseLabel(%q) = %s target: scored as a class it is not", tt.label, class)
			}
		})
	}
}

// TestLabelSiteVocabulary: words an RF engineer writes in a site's
// annotations name no class ParseLabel knows: the target becomes "other"
// (listed as unmapped, but left out of recall), and a right detection on
// it counts as a FALSE POSITIVE of the class it named (TP needs a target):
// an "eNB" carrier named LTE lowers LTE's precision.
func TestLabelSiteVocabulary(t *testing.T) {
	tests := []struct {
		label       string
		class, link string
	}{
		{"eNB", event.ClassLTE, event.LinkDownlink},
		{"gNB", event.ClassNR, event.LinkDownlink},
		{"GSM BCCH from BTS", event.ClassGSM, event.LinkDownlink}, // a BTS transmits the downlink
		{"BTS", event.ClassGSM, event.LinkDownlink},
		{"GPRS", event.ClassGSM, ""},
		{"EDGE", event.ClassGSM, ""},
		{"UE", ClassPhone, ""},
		{"n78 UL", event.ClassNR, event.LinkUplink},
		{"analog VTX", event.ClassFPVAnalog, ""},
		{"VTX", event.ClassFPVAnalog, ""},
		{"FlySky", event.ClassRCFHSS, ""},
		{"Spektrum DSMX", event.ClassRCFHSS, ""},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, link, kind := ParseLabel(tt.label)
			if kind != KindTarget || class != tt.class || link != tt.link {
				t.Errorf("ParseLabel(%q) = %q %q %v, want %q %q target (unmapped %v)", tt.label, class, link, kind, tt.class, tt.link, Unmapped(tt.label))
			}
		})
	}
}

// TestLabelNamingBothLinksNotScored: a label naming both links ("LTE DL/UL", a
// capture of an FDD pair, or "UL+DL") is read as downlink (the first case
// of the switch), and its link accuracy scored against downlink; like a
// TDD frame it holds both, and its link should not be scored.
func TestLabelNamingBothLinksNotScored(t *testing.T) {
	for _, l := range []string{"LTE DL/UL", "GSM UL+DL", "NR uplink and downlink"} {
		if _, link, _ := ParseLabel(l); link == event.LinkDownlink || link == event.LinkUplink {
			t.Errorf("ParseLabel(%q) link %q: a label naming both links scored as one", l, link)
		}
	}
}

// TestLabelNoiseWords: how a site declares a noise window is one
// word, "noise". "No signal", "empty band", "quiet" and "silence", what a
// person writes over a stretch with nothing in it, are labels naming no
// class: scored as "other", so the file adds no noise time and a false
// alarm there counts nowhere (listed as unmapped, but the noise line then
// reads "0 s" with nothing saying why).
func TestLabelNoiseWords(t *testing.T) {
	for _, l := range []string{"no signal", "empty band", "quiet", "silence"} {
		if _, _, kind := ParseLabel(l); kind != KindNoise {
			t.Errorf("ParseLabel(%q) kind %v, want a noise window", l, kind)
		}
	}
}

// TestLabelJammerIsOther: prisons run jammers and counter-drone kit, and a
// site labels them as what they jam: "GSM jammer", "cell phone jammer",
// "drone jammer". A class word wins, so each is a target of that class (or
// family): a jammer's noise named GSM, or any drone class, counts as a
// CORRECT detection of a phone or a drone, and a jammer left unnamed as a
// missed phone. Only "other", "unknown" and "spur" win over class words;
// "jammer" alone is unmapped (label.go's own example).
func TestLabelJammerIsOther(t *testing.T) {
	for _, l := range []string{"GSM jammer", "cell phone jammer", "drone jammer", "LTE jamming"} {
		if class, _, kind := ParseLabel(l); kind == KindTarget {
			t.Errorf("ParseLabel(%q) = %s target: a jammer scored as what it jams", l, class)
		}
	}
}

// TestLabelNewWordsKeepTheirLimits: the words added on 2026-12-06 for
// findings 3-9 of the review read only what they mean: "edge" in lower
// case is a band edge, not GSM EDGE; a GHz figure without a point is
// still read as before; Open Drone ID without its carrier is listed as
// unmapped rather than guessed.
func TestLabelNewWordsKeepTheirLimits(t *testing.T) {
	tests := []struct {
		label       string
		class, link string
		kind        Kind
		unmapped    bool
	}{
		{"band edge", event.ClassUnknown, "", KindOther, true},
		{"LTE band edge", event.ClassLTE, "", KindTarget, false},
		{"Open Drone ID", event.ClassUnknown, "", KindOther, true},
		{"wlan (802.11g)", event.ClassWiFi, "", KindTarget, false},
		{"5.8 GHz analog FPV", event.ClassFPVAnalog, "", KindTarget, false},
		{"gNB UL", event.ClassNR, event.LinkUplink, KindTarget, false},
		{"LTE DL", event.ClassLTE, event.LinkDownlink, KindTarget, false},
		{"quiet LTE carrier", event.ClassLTE, "", KindTarget, false},
		{"jammer", event.ClassUnknown, "", KindOther, false},
		// a 3GPP channel or signal names its link (until 2026-12-07 none), alone no class
		{"LTE PUSCH", event.ClassLTE, event.LinkUplink, KindTarget, false},
		{"NR PUCCH", event.ClassNR, event.LinkUplink, KindTarget, false},
		{"LTE PRACH", event.ClassLTE, event.LinkUplink, KindTarget, false},
		{"nr srs", event.ClassNR, event.LinkUplink, KindTarget, false},
		{"LTE PDSCH", event.ClassLTE, event.LinkDownlink, KindTarget, false},
		{"PDCCH LTE", event.ClassLTE, event.LinkDownlink, KindTarget, false},
		{"LTE PBCH", event.ClassLTE, event.LinkDownlink, KindTarget, false},
		{"5G NR SSB", event.ClassNR, event.LinkDownlink, KindTarget, false},
		{"LTE PUSCH/PDSCH", event.ClassLTE, "", KindTarget, false},
		{"PUSCH", event.ClassUnknown, "", KindOther, true},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, link, kind := ParseLabel(tt.label)
			if class != tt.class || link != tt.link || kind != tt.kind || Unmapped(tt.label) != tt.unmapped {
				t.Errorf("ParseLabel(%q) = %q %q %v unmapped %v, want %q %q %v unmapped %v",
					tt.label, class, link, kind, Unmapped(tt.label), tt.class, tt.link, tt.kind, tt.unmapped)
			}
		})
	}
}
