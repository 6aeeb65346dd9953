package eval

import (
	"slices"
	"strings"
	"unicode"

	"github.com/rfwarden/rfwarden/event"
)

// Kind says what a truth record is for scoring.
type Kind int

// Kinds of truth record.
const (
	// KindOther is activity that is no target: spurs, lines, unnamed
	// emitters. Detections on it are neither hits nor false alarms, but a
	// detection there that names a class counts against that class's precision.
	KindOther Kind = iota
	// KindTarget is an emission of a named class that should be found.
	KindTarget
	// KindNoise is a window of receiver noise only: a detection lying mostly
	// inside it is a false alarm.
	KindNoise
)

// String returns "other", "target" or "noise".
func (k Kind) String() string {
	switch k {
	case KindTarget:
		return "target"
	case KindNoise:
		return "noise"
	}
	return "other"
}

// ClassCellular is the predicted class of an LTE or NR emission whose
// numerology the classifier could not confirm (classify.ClassCellular). It
// is truth only for a label saying "cellular" or naming both LTE and NR
// (ParseLabel); on any other truth it is a wrong prediction.
const ClassCellular = "cellular"

// ClassMissed is the confusion-matrix column of truth that no detection overlaps.
const ClassMissed = "missed"

// ClassNone is the confusion-matrix row of detections that overlap no target.
const ClassNone = "none"

// Classes lists the event classes a truth record can carry, in report order.
func Classes() []string {
	return []string{event.ClassGSM, event.ClassUMTS, event.ClassLTE, event.ClassNR, event.ClassWiFi,
		event.ClassBluetooth, event.ClassDroneID, event.ClassDroneVideo, event.ClassRCFHSS, event.ClassFPVAnalog}
}

// PredictedClasses lists every class a detection can be labelled with, in
// report order: Classes, then ClassCellular and event.ClassUnknown.
func PredictedClasses() []string {
	return append(Classes(), ClassCellular, event.ClassUnknown)
}

// ParseLabel maps a free-text label to an event class, a link and a Kind by
// its words, case-insensitively. It understands the real-iq vocabulary
// ("lte-dl", "lte-tdd", "gsm-dl", "nr-ul", "droneid", "wifi", "noise",
// "other"), human text ("LTE downlink", "NR uplink", "DJI DroneID", "Wi-Fi
// 802.11"), event classes ("drone_video") and dsp/classify classes
// ("rc-fhss", "cellular"). Link is event.LinkUplink, event.LinkDownlink,
// event.LinkTDD or "" when the label names none. A label naming both LTE
// and NR is ClassCellular. A label naming no class (or "unknown", "other")
// is KindOther with class event.ClassUnknown; "noise" is KindNoise with
// class "". Anything else is KindTarget.
func ParseLabel(label string) (class, link string, kind Kind) {
	words := strings.FieldsFunc(strings.ToLower(label), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	compact := strings.Join(words, "")
	has := func(ws ...string) bool {
		for _, w := range ws {
			if slices.Contains(words, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("dl", "downlink"):
		link = event.LinkDownlink
	case has("ul", "uplink"):
		link = event.LinkUplink
	case has("tdd") || strings.Contains(compact, "tdlte"):
		link = event.LinkTDD
	}
	lte := has("lte", "4g", "tdlte", "eutra")
	nr := has("nr", "5g")
	switch {
	case has("noise"):
		return "", "", KindNoise
	case has("other", "unknown", "spur", "spurs"):
		return event.ClassUnknown, "", KindOther
	case strings.Contains(compact, "droneid"):
		class = event.ClassDroneID
	case strings.Contains(compact, "dronevideo") || has("ocusync"):
		class = event.ClassDroneVideo
	case has("fpv"):
		class = event.ClassFPVAnalog
	case has("fhss", "rc", "elrs", "frsky"):
		class = event.ClassRCFHSS
	case strings.Contains(compact, "wifi") || has("wlan", "802", "80211", "11n", "11ac", "11a", "11g"):
		class = event.ClassWiFi
	case has("bluetooth", "ble", "bt"):
		class = event.ClassBluetooth
	case has("cellular") || lte && nr:
		class = ClassCellular
	case lte:
		class = event.ClassLTE
	case nr:
		class = event.ClassNR
	case has("umts", "3g", "hspa") || strings.Contains(compact, "wcdma"):
		class = event.ClassUMTS
	case has("gsm", "dcs", "2g", "gmsk"):
		class = event.ClassGSM
	default:
		return event.ClassUnknown, "", KindOther
	}
	return class, link, KindTarget
}

// NormClass maps a classifier's class name (dsp/classify spells some with
// hyphens, e.g. "drone-video") to the event class vocabulary, keeping
// ClassCellular; a name it does not know is event.ClassUnknown.
func NormClass(c string) string {
	class, _, kind := ParseLabel(c)
	if kind != KindTarget {
		return event.ClassUnknown
	}
	return class
}
