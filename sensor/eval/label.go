package eval

import (
	"regexp"
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
// is truth for a label saying "cellular" or naming both LTE and NR
// (ParseLabel), and a right prediction on an LTE or NR truth too (Names):
// "LTE or NR" is not false of either. On any other truth it is wrong.
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

// Class families: truth classes a site may label with when it knows what
// carries an emission but not which standard ("mobile phone", "DJI Mavic
// drone"). A detection naming any member class counts as correct on such a
// target (see Family).
const (
	// ClassPhone is a mobile phone or base station of any standard:
	// GSM, UMTS, LTE, NR or ClassCellular.
	ClassPhone = "phone"
	// ClassDrone is a drone or its controller on any of its links:
	// DroneID, drone video, RC FHSS or analog FPV.
	ClassDrone = "drone"
)

// Family returns the member classes of a class family (ClassPhone,
// ClassDrone), or nil for any other class.
func Family(class string) []string {
	switch class {
	case ClassPhone:
		return []string{event.ClassGSM, event.ClassUMTS, event.ClassLTE, event.ClassNR, ClassCellular}
	case ClassDrone:
		return slices.Clone(event.DroneClasses)
	}
	return nil
}

// Names reports whether a detection of class pred names truth class
// right: the same class, or a member of truth's family (Family).
// ClassCellular ("LTE or NR") is right on an LTE or NR truth: in an FDD
// uplink band the classifier names a phone's uplink so by design.
func Names(truth, pred string) bool {
	return pred == truth || slices.Contains(Family(truth), pred) ||
		pred == ClassCellular && (truth == event.ClassLTE || truth == event.ClassNR)
}

// ParseLabel maps a free-text label to an event class, a link and a Kind by
// its words, case-insensitively. It understands the real-iq vocabulary
// ("lte-dl", "lte-tdd", "gsm-dl", "nr-ul", "droneid", "wifi", "noise",
// "other"), human text ("LTE downlink", "NR uplink", "DJI DroneID", "Wi-Fi
// 802.11"), event classes ("drone_video") and dsp/classify classes
// ("rc-fhss", "cellular"). Link is event.LinkUplink, event.LinkDownlink,
// event.LinkTDD or "" when the label names none. A label naming both LTE
// and NR is ClassCellular; one saying only "phone" (or "handset") is
// ClassPhone, only "drone" (or a drone maker: "DJI", "Mavic") ClassDrone.
// A 3GPP channel or signal names its link: "pusch", "pucch", "prach",
// "srs" the uplink, "pdsch", "pdcch", "pbch", "ssb" the downlink (not a
// class: "PUSCH" alone names none).
// A label naming both links ("LTE DL/UL") has link "", as it holds both.
// "jammer", "DECT" and "cordless" make KindOther, like "spur": a jammer
// is no target of what it jams, a DECT handset no mobile phone. A GHz
// figure with a point ("2.4G", "1.2G") is a frequency, not a generation.
// docs/evaluation.md has the whole table of words.
// A band number run into the standard ("GSM900", "LTE1800", "5GNR") is
// read as its words (bandPieces). "other", "unknown" or "spur" make
// KindOther with class event.ClassUnknown; else a class word makes
// KindTarget, whatever else the label says ("LTE noise floor" is an LTE
// target); else "noise" makes KindNoise with class ""; a label naming no
// class at all is KindOther with class event.ClassUnknown (see Unmapped).
// 802.15 (Bluetooth, Zigbee) is not 802.11: only "802.11" (or "80211") as
// a token names Wi-Fi, not the digits of a number ("1880.211 MHz").
func ParseLabel(label string) (class, link string, kind Kind) {
	class, link, kind, _ = parseLabel(label)
	return class, link, kind
}

// Unmapped reports whether label names no class, noise or "other" that
// ParseLabel knows: it is scored as KindOther only because nothing in it
// was understood ("Zigbee", "LoRa"). A blank label ("", spaces) is
// unmapped too: until 2026-12-07 it was not, and TruthOf left its
// annotation out without a word.
func Unmapped(label string) bool {
	_, _, _, known := parseLabel(label)
	return !known
}

// ieee80211 matches 802.11 (or 80211) as a token of a lower-cased label:
// not preceded by a digit or a point nor followed by a digit, so the
// digits of a frequency or a power ("1880.211 MHz", "1880.2 11dBm", run
// together as words) are not Wi-Fi, while "802.11ac" and "ieee80211n" are.
var ieee80211 = regexp.MustCompile(`(^|[^0-9.])802\.?11([^0-9]|$)`)

// generationCompound matches a generation run into its standard's name,
// as sites write it: "5gnr", "4glte" (and a band after it: "5gnr3500").
var generationCompound = regexp.MustCompile(`^([2-5]g)(nr|lte)([0-9]*)$`)

// bandPieces returns the pieces of the label's words that run a band
// number into a standard's name, the way the trade writes it: "gsm900"
// gives "gsm" and "900", "dcs1800" "dcs", "lte1800ul" "lte", "1800" and
// "ul", "5gnr" "5g" and "nr". A word is cut where letters and digits
// meet; the whole words stay as they are ("11ac", "4g", "80211"), so a
// piece only adds words. A generation is cut off only before "nr" or
// "lte": "5ghz" is a frequency, not 5G.
func bandPieces(words []string) []string {
	var pieces []string
	for _, w := range words {
		if m := generationCompound.FindStringSubmatch(w); m != nil {
			pieces = append(pieces, m[1], m[2])
			continue
		}
		start := 0
		for i := 1; i <= len(w); i++ {
			if i == len(w) || isDigit(w[i]) != isDigit(w[i-1]) {
				if start > 0 || i < len(w) {
					pieces = append(pieces, w[start:i])
				}
				start = i
			}
		}
	}
	return pieces
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// droneMakers are makers and models of drones that a site writes for a
// drone it saw ("DJI", "DJI Mavic 3", "Autel EVO"): words that name
// nothing but drones, read as the drone family.
var droneMakers = []string{"dji", "mavic", "autel", "skydio", "phantom"}

// gigahertz matches a frequency in GHz with a decimal point or comma, as
// RC and video gear is labelled ("2.4G", "5.8 GHz", "1,2g"), keeping what
// went before it; not "802.11g" (a Wi-Fi standard).
var gigahertz = regexp.MustCompile(`(^|[^0-9.,])[0-9]{1,2}[.,][0-9]+ ?g(hz)?\b`)

// nrBand matches an NR band as a word: "n78", "n1".
var nrBand = regexp.MustCompile(`^n[0-9]{1,3}$`)

// parseLabel is ParseLabel, with known false when no word of the label
// was understood.
func parseLabel(label string) (class, link string, kind Kind, known bool) {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	// "2.4G", "5.8 GHz", "1,2G": a frequency, not "2" and "4g" (LTE).
	lower := strings.ToLower(label)
	words := split(gigahertz.ReplaceAllString(lower, "$1 ghz "))
	compact := strings.Join(words, "")
	words = append(words, bandPieces(words)...)
	has := func(ws ...string) bool {
		for _, w := range ws {
			if slices.Contains(words, w) {
				return true
			}
		}
		return false
	}
	// 3GPP physical channels and signals name their link ("LTE PUSCH")
	downlink := has("dl", "downlink", "pdsch", "pdcch", "pbch", "ssb")
	uplink := has("ul", "uplink", "pusch", "pucch", "prach", "srs")
	switch {
	case downlink && uplink:
		// both links (an FDD pair, "LTE DL/UL"): like a TDD frame, not scored
	case downlink:
		link = event.LinkDownlink
	case uplink:
		link = event.LinkUplink
	case has("tdd") || strings.Contains(compact, "tdlte"):
		link = event.LinkTDD
	case has("enb", "gnb", "bts"):
		link = event.LinkDownlink // a base station transmits the downlink
	}
	lte := has("lte", "4g", "tdlte", "eutra", "enb", "volte") || strings.Contains(compact, "nbiot")
	nr := has("nr", "5g", "gnb") || slices.ContainsFunc(words, nrBand.MatchString)
	wifi := strings.Contains(compact, "wifi") || ieee80211.MatchString(lower) || has("wlan", "11n", "11ac", "11a", "11g")
	bluetooth := has("bluetooth", "ble", "bt")
	remoteID := strings.Contains(compact, "opendroneid") || strings.Contains(compact, "remoteid")
	switch {
	case has("other", "unknown", "spur", "spurs"):
		return event.ClassUnknown, "", KindOther, true
	case has("jammer", "jammers", "jamming", "jam"):
		// a jammer or counter-drone kit: not a target of what it jams
		return event.ClassUnknown, "", KindOther, true
	case has("dect", "cordless"):
		// a DECT cordless phone (1880-1900 MHz, inside LTE B39 and NR
		// n39): not a mobile phone, and the false alert a site must see
		return event.ClassUnknown, "", KindOther, true
	case remoteID && bluetooth:
		class = event.ClassBluetooth // ASTM F3411 Remote ID, not DJI DroneID
	case remoteID && wifi:
		class = event.ClassWiFi
	case remoteID:
		return event.ClassUnknown, "", KindOther, false // its carrier not named: listed as unmapped
	case strings.Contains(compact, "droneid"):
		class = event.ClassDroneID
	case strings.Contains(compact, "dronevideo") || has("ocusync"):
		class = event.ClassDroneVideo
	case has("fhss", "rc", "elrs", "expresslrs", "crossfire", "frsky", "flysky", "spektrum", "dsmx", "dsm2"):
		class = event.ClassRCFHSS // an RC word wins over "fpv": an FPV quad's control link
	case has("fpv") && has("digital", "dji", "hdzero", "walksnail", "o3", "o4", "vista"):
		class = event.ClassDroneVideo // digital FPV is OFDM or digital video, not analog FM
	case has("fpv", "vtx") || has("analog", "analogue") && has("video"):
		class = event.ClassFPVAnalog
	case wifi:
		class = event.ClassWiFi
	case bluetooth:
		class = event.ClassBluetooth
	case has("cellular") || lte && nr:
		class = ClassCellular
	case lte:
		class = event.ClassLTE
	case nr:
		class = event.ClassNR
	case has("umts", "3g", "hspa") || strings.Contains(compact, "wcdma"):
		class = event.ClassUMTS
	case has("gsm", "dcs", "2g", "gmsk", "bts", "gprs", "bcch") || slices.Contains(split(label), "EDGE"):
		class = event.ClassGSM // EDGE only in capitals: "band edge" is no GSM
	case has("phone", "phones", "smartphone", "handset", "cellphone", "ue"):
		class = ClassPhone
	case has("drone", "drones", "uav", "uas") || has(droneMakers...):
		class = ClassDrone
	case has("noise", "quiet", "silence", "silent", "empty") || strings.Contains(compact, "nosignal"):
		return "", "", KindNoise, true
	default:
		return event.ClassUnknown, "", KindOther, false
	}
	return class, link, KindTarget, true
}

// NormClass maps a classifier's class name (dsp/classify spells some with
// hyphens, e.g. "drone-video") to the event class vocabulary, keeping
// ClassCellular; a name it does not know, or a family (ClassPhone,
// ClassDrone: truth only), is event.ClassUnknown.
func NormClass(c string) string {
	class, _, kind := ParseLabel(c)
	if kind != KindTarget || Family(class) != nil {
		return event.ClassUnknown
	}
	return class
}
