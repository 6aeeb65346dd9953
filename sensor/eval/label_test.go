package eval

import (
	"math"
	"slices"
	"testing"

	"github.com/rfwarden/rfwarden/event"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		label       string
		class, link string
		kind        Kind
	}{
		// the real-iq vocabulary
		{"lte-dl", event.ClassLTE, event.LinkDownlink, KindTarget},
		{"lte-tdd", event.ClassLTE, event.LinkTDD, KindTarget},
		{"gsm-dl", event.ClassGSM, event.LinkDownlink, KindTarget},
		{"nr-dl", event.ClassNR, event.LinkDownlink, KindTarget},
		{"nr-ul", event.ClassNR, event.LinkUplink, KindTarget},
		{"droneid", event.ClassDroneID, "", KindTarget},
		{"wifi", event.ClassWiFi, "", KindTarget},
		{"noise", "", "", KindNoise},
		{"other", event.ClassUnknown, "", KindOther},
		// human text, as scan writes it
		{"LTE downlink (DCS-1800 DL, 15 kHz SCS)", event.ClassLTE, event.LinkDownlink, KindTarget},
		{"NR uplink (NR n78, 30 kHz SCS)", event.ClassNR, event.LinkUplink, KindTarget},
		{"LTE TDD downlink (LTE B39, 15 kHz SCS)", event.ClassLTE, event.LinkDownlink, KindTarget},
		{"TD-LTE frame", event.ClassLTE, event.LinkTDD, KindTarget},
		{"LTE/NR uplink (LTE B1 UL, unconfirmed: too short)", ClassCellular, event.LinkUplink, KindTarget},
		{"DJI DroneID drone telemetry burst (ISM 2.4 GHz)", event.ClassDroneID, "", KindTarget},
		{"Wi-Fi 802.11 OFDM (Wi-Fi 5 GHz U-NII-1/2A)", event.ClassWiFi, "", KindTarget},
		{"WLAN beacon", event.ClassWiFi, "", KindTarget},
		{"Bluetooth/BLE GFSK packet (ISM 2.4 GHz)", event.ClassBluetooth, "", KindTarget},
		{"GSM uplink (E-GSM-900 UL)", event.ClassGSM, event.LinkUplink, KindTarget},
		{"UMTS uplink (UMTS B1 UL)", event.ClassUMTS, event.LinkUplink, KindTarget},
		{"W-CDMA", event.ClassUMTS, "", KindTarget},
		{"drone video/control link, OcuSync-like OFDM (5.8 GHz SRD)", event.ClassDroneVideo, "", KindTarget},
		{"RC control link, narrow FHSS hop (ISM 2.4 GHz)", event.ClassRCFHSS, "", KindTarget},
		{"analog FPV video", event.ClassFPVAnalog, "", KindTarget},
		{"real receiver noise only", "", "", KindNoise},
		{"unknown", event.ClassUnknown, "", KindOther},
		{"unknown (classifier error)", event.ClassUnknown, "", KindOther},
		{"HackRF spur", event.ClassUnknown, "", KindOther},
		{"", event.ClassUnknown, "", KindOther},
		{"something else entirely", event.ClassUnknown, "", KindOther},
		// event and dsp/classify class names
		{"drone_video", event.ClassDroneVideo, "", KindTarget},
		{"drone-video", event.ClassDroneVideo, "", KindTarget},
		{"rc_fhss", event.ClassRCFHSS, "", KindTarget},
		{"rc-fhss", event.ClassRCFHSS, "", KindTarget},
		{"fpv_analog", event.ClassFPVAnalog, "", KindTarget},
		{"fpv-analog", event.ClassFPVAnalog, "", KindTarget},
		{"cellular", ClassCellular, "", KindTarget},
		{"bluetooth", event.ClassBluetooth, "", KindTarget},
		{"umts", event.ClassUMTS, "", KindTarget},
		// scan --annotate's short labels (pipeline.ShortLabel)
		{"cellular-ul", ClassCellular, event.LinkUplink, KindTarget},
		{"umts-ul", event.ClassUMTS, event.LinkUplink, KindTarget},
		{"gsm-ul", event.ClassGSM, event.LinkUplink, KindTarget},
		// a site's own words: a bare "802" is no Wi-Fi, a class word
		// beats "noise", and "phone" and "drone" name a family
		{"Bluetooth (802.15.1)", event.ClassBluetooth, "", KindTarget},
		{"Zigbee 802.15.4", event.ClassUnknown, "", KindOther},
		{"IEEE 802.11ac", event.ClassWiFi, "", KindTarget},
		// 802.11 as a token, not digits of a frequency or a power: until
		// 2026-12-05 these were Wi-Fi ("80211" in the words run together)
		{"GSM uplink 1880.211 MHz", event.ClassGSM, event.LinkUplink, KindTarget},
		{"gsm-dl 1880.2 11dBm", event.ClassGSM, event.LinkDownlink, KindTarget},
		{"NR 3780.211 MHz", event.ClassNR, "", KindTarget},
		{"LTE 18802.11 MHz", event.ClassLTE, "", KindTarget},
		{"802.110", event.ClassUnknown, "", KindOther},
		{"80211", event.ClassWiFi, "", KindTarget},
		{"ieee80211n beacon", event.ClassWiFi, "", KindTarget},
		{"wlan (802.11g)", event.ClassWiFi, "", KindTarget},
		{"802.11.", event.ClassWiFi, "", KindTarget},
		{"LTE noise floor", event.ClassLTE, "", KindTarget},
		{"not noise: phone", ClassPhone, "", KindTarget},
		{"mobile phone", ClassPhone, "", KindTarget},
		{"contraband phone uplink", ClassPhone, event.LinkUplink, KindTarget},
		{"drone", ClassDrone, "", KindTarget},
		{"DJI Mavic drone", ClassDrone, "", KindTarget},
		{"drone video", event.ClassDroneVideo, "", KindTarget},
		{"noise, no signal", "", "", KindNoise},
		// a band number run into the standard (TestSiteLabelBandNumber)
		// adds words and takes none away: a frequency in GHz is not a
		// generation ("5GHz" is no 5G, "2G4" no 2G), and 802.11's token
		// rule holds
		{"drone 5GHz", ClassDrone, "", KindTarget},
		{"noise 5GHz", "", "", KindNoise},
		{"jammer 2G4", event.ClassUnknown, "", KindOther},
		{"4GLTE1800 DL", event.ClassLTE, event.LinkDownlink, KindTarget},
		{"5GNR3500 UL", event.ClassNR, event.LinkUplink, KindTarget},
		{"WiFi6", event.ClassWiFi, "", KindTarget},
		{"802.15.4 2400MHz", event.ClassUnknown, "", KindOther},
		// makers that make only drones (TestSiteLabelDroneMaker), RC link names
		{"Autel EVO II", ClassDrone, "", KindTarget},
		{"ExpressLRS 2.4", event.ClassRCFHSS, "", KindTarget},
		{"TBS Crossfire", event.ClassRCFHSS, "", KindTarget},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			class, link, kind := ParseLabel(tt.label)
			if class != tt.class || link != tt.link || kind != tt.kind {
				t.Errorf("ParseLabel(%q) = %q, %q, %v; want %q, %q, %v", tt.label, class, link, kind, tt.class, tt.link, tt.kind)
			}
		})
	}
}

func TestNormClass(t *testing.T) {
	tests := map[string]string{
		"gsm": "gsm", "lte": "lte", "nr": "nr", "umts": "umts", "wifi": "wifi", "bluetooth": "bluetooth",
		"droneid": "droneid", "drone-video": "drone_video", "rc-fhss": "rc_fhss", "fpv-analog": "fpv_analog",
		"cellular": ClassCellular, "unknown": "unknown", "": "unknown", "noise": "unknown", "martian": "unknown",
		"phone": "unknown", "drone": "unknown", // families are truth only
	}
	for in, want := range tests {
		if got := NormClass(in); got != want {
			t.Errorf("NormClass(%q) = %q, want %q", in, got, want)
		}
	}
	// every class a detection can carry maps to itself
	for _, c := range PredictedClasses() {
		if got := NormClass(c); got != c {
			t.Errorf("NormClass(%q) = %q, want itself", c, got)
		}
	}
}

// FuzzParseLabel: any label maps into the vocabulary without panicking, and
// a target's class read back maps to itself.
func FuzzParseLabel(f *testing.F) {
	for _, s := range []string{"lte-dl", "noise", "other", "Wi-Fi 802.11", "LTE/NR uplink", "drone_video", "", "\xff\xfe", "nr ul tdd dl", "Zigbee 802.15.4", "not noise: phone", "DJI Mavic drone",
		"GSM uplink 1880.211 MHz", "gsm-dl 1880.2 11dBm", "NR 3780.211 MHz", "ieee80211n beacon"} {
		f.Add(s)
	}
	pred := PredictedClasses()
	links := []string{"", event.LinkUplink, event.LinkDownlink, event.LinkTDD}
	f.Fuzz(func(t *testing.T, label string) {
		class, link, kind := ParseLabel(label)
		if !slices.Contains(links, link) {
			t.Fatalf("ParseLabel(%q): link %q", label, link)
		}
		switch kind {
		case KindNoise:
			if class != "" {
				t.Fatalf("ParseLabel(%q): noise with class %q", label, class)
			}
		case KindOther:
			if class != event.ClassUnknown {
				t.Fatalf("ParseLabel(%q): other with class %q", label, class)
			}
		case KindTarget:
			if Family(class) != nil {
				return
			}
			if !slices.Contains(pred, class) || class == event.ClassUnknown {
				t.Fatalf("ParseLabel(%q): target class %q", label, class)
			}
			if NormClass(class) != class {
				t.Fatalf("ParseLabel(%q) = %q, which does not map to itself", label, class)
			}
		default:
			t.Fatalf("ParseLabel(%q): kind %d", label, kind)
		}
	})
}

// TestFamilyScoring: a "phone" target is found right by a detection
// naming any cellular class, which is a true positive of that class; a
// drone class on it is wrong.
func TestFamilyScoring(t *testing.T) {
	truth := []Truth{{Class: ClassPhone, Kind: KindTarget, StartSample: 0, SampleCount: 1000,
		FreqLowHz: math.Inf(-1), FreqHighHz: math.Inf(1), SNRDB: math.NaN()}}
	for _, tt := range []struct {
		pred    string
		correct bool
	}{{event.ClassLTE, true}, {event.ClassGSM, true}, {ClassCellular, true}, {event.ClassDroneVideo, false}} {
		dets := []Detection{{Class: tt.pred, StartSample: 100, SampleCount: 100, FreqLowHz: 1e9, FreqHighHz: 1.001e9}}
		m := Match(truth, dets)
		if got := m.Targets[0].Correct(); got != tt.correct {
			t.Errorf("%s on a phone: correct %v, want %v", tt.pred, got, tt.correct)
		}
		if got := m.Dets[0].TP(); got != tt.correct {
			t.Errorf("%s on a phone: TP %v, want %v", tt.pred, got, tt.correct)
		}
	}
}
