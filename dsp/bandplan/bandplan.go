package bandplan

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"github.com/goccy/go-yaml"
)

//go:embed bands.yaml
var defaultYAML []byte

// Link directions of a band.
const (
	LinkUplink   = "uplink"   // FDD handset-to-network half
	LinkDownlink = "downlink" // FDD network-to-handset half (or supplemental downlink)
	LinkTDD      = "tdd"      // both directions share the band in time
	LinkShared   = "shared"   // licence-exempt, no direction
)

// Band is one contiguous frequency range of a band plan.
type Band struct {
	// Name is the band's name, e.g. "LTE B3 DL".
	Name string `yaml:"name"`
	// Tech lists the technologies deployed in the band, e.g. ["lte"].
	Tech []string `yaml:"tech"`
	// Link is one of LinkUplink, LinkDownlink, LinkTDD or LinkShared.
	Link string `yaml:"link"`
	// LowHz and HighHz are the band edges in Hz.
	LowHz float64 `yaml:"low_hz"`
	// HighHz is the upper band edge in Hz.
	HighHz float64 `yaml:"high_hz"`
	// Pair names the duplex partner band (FDD only).
	Pair string `yaml:"pair"`
}

// HasTech reports whether tech is deployed in b.
func (b Band) HasTech(tech string) bool { return slices.Contains(b.Tech, tech) }

// Plan is a validated band plan.
type Plan struct {
	bands []Band
}

type planFile struct {
	Bands []Band `yaml:"bands"`
}

// ErrEmpty is returned by Load for a plan without bands.
var ErrEmpty = errors.New("band plan has no bands")

// Load decodes and validates a YAML (or JSON) band plan. Unknown fields,
// unknown links, inverted, non-positive, NaN or infinite edges, duplicate
// names, and pairs naming no band, the band itself or a band that is not
// the other half of an FDD pair are errors.
func Load(r io.Reader) (*Plan, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read band plan: %w", err)
	}
	var f planFile
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField(), yaml.Strict())
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrEmpty
		}
		return nil, fmt.Errorf("decode band plan: %w", err)
	}
	if len(f.Bands) == 0 {
		return nil, ErrEmpty
	}
	names := make(map[string]bool, len(f.Bands))
	for i, b := range f.Bands {
		if b.Name == "" {
			return nil, fmt.Errorf("band %d: missing name", i)
		}
		if names[b.Name] {
			return nil, fmt.Errorf("band %q: duplicate name", b.Name)
		}
		names[b.Name] = true
		switch b.Link {
		case LinkUplink, LinkDownlink, LinkTDD, LinkShared:
		default:
			return nil, fmt.Errorf("band %q: unknown link %q (want uplink, downlink, tdd or shared)", b.Name, b.Link)
		}
		// NaN fails each; an infinite high edge matched every lookup above low
		if !(b.LowHz > 0) || math.IsInf(b.LowHz, 0) {
			return nil, fmt.Errorf("band %q: bad edges: low_hz %v (want 0 < low_hz < high_hz < +Inf)", b.Name, b.LowHz)
		}
		if !(b.HighHz > b.LowHz) || math.IsInf(b.HighHz, 0) {
			return nil, fmt.Errorf("band %q: bad edges: high_hz %v with low_hz %v (want 0 < low_hz < high_hz < +Inf)", b.Name, b.HighHz, b.LowHz)
		}
		if len(b.Tech) == 0 {
			return nil, fmt.Errorf("band %q: no technology", b.Name)
		}
	}
	links := make(map[string]string, len(f.Bands))
	for _, b := range f.Bands {
		links[b.Name] = b.Link
	}
	// A pair is the other half of an FDD band: an uplink's a downlink, a
	// downlink's an uplink.
	other := map[string]string{LinkUplink: LinkDownlink, LinkDownlink: LinkUplink}
	for _, b := range f.Bands {
		switch {
		case b.Pair == "":
		case !names[b.Pair]:
			return nil, fmt.Errorf("band %q: pair %q names no band", b.Name, b.Pair)
		case b.Pair == b.Name:
			return nil, fmt.Errorf("band %q: pair %q names the band itself", b.Name, b.Pair)
		case links[b.Pair] != other[b.Link]:
			return nil, fmt.Errorf("band %q: pair %q is %s, and a %s band's pair is the other half of an FDD band (uplink with downlink)", b.Name, b.Pair, links[b.Pair], b.Link)
		}
	}
	return &Plan{bands: f.Bands}, nil
}

// Default returns the embedded default plan. It panics only if the embedded
// file is invalid, which the package tests rule out.
func Default() *Plan {
	p, err := Load(bytes.NewReader(defaultYAML))
	if err != nil {
		panic("bandplan: embedded bands.yaml: " + err.Error())
	}
	return p
}

// Bands returns a copy of all bands in file order.
func (p *Plan) Bands() []Band { return slices.Clone(p.bands) }

// Lookup returns every band overlapping the span centerHz ± bwHz/2, best first:
// bands holding the larger fraction of the span come first, then the narrower
// band (the more specific), then file order. A zero bwHz looks up one frequency.
func (p *Plan) Lookup(centerHz, bwHz float64) []Band {
	if bwHz < 0 {
		bwHz = -bwHz
	}
	lo, hi := centerHz-bwHz/2, centerHz+bwHz/2
	type scored struct {
		b    Band
		frac float64
		i    int
	}
	var hits []scored
	for i, b := range p.bands {
		var frac float64
		switch {
		case bwHz == 0:
			if centerHz < b.LowHz || centerHz > b.HighHz {
				continue
			}
			frac = 1
		default:
			ov := min(hi, b.HighHz) - max(lo, b.LowHz)
			if ov <= 0 {
				continue
			}
			frac = ov / bwHz
		}
		hits = append(hits, scored{b, frac, i})
	}
	sort.SliceStable(hits, func(a, c int) bool {
		ha, hc := hits[a], hits[c]
		if ha.frac != hc.frac {
			return ha.frac > hc.frac
		}
		wa, wc := ha.b.HighHz-ha.b.LowHz, hc.b.HighHz-hc.b.LowHz
		if wa != wc {
			return wa < wc
		}
		return ha.i < hc.i
	})
	out := make([]Band, len(hits))
	for i, h := range hits {
		out[i] = h.b
	}
	return out
}

// LookupTech is Lookup restricted to bands deploying tech.
func (p *Plan) LookupTech(centerHz, bwHz float64, tech string) []Band {
	var out []Band
	for _, b := range p.Lookup(centerHz, bwHz) {
		if b.HasTech(tech) {
			out = append(out, b)
		}
	}
	return out
}

// DroneTechs returns the technologies of drones and their controllers a
// band plan names: DJI DroneID telemetry, digital video/control links
// (OcuSync-like), analog FPV video and RC hoppers (ELRS, FrSky).
func DroneTechs() []string { return []string{"droneid", "drone", "fpv", "rc"} }

// DroneBands returns the bands deploying any of DroneTechs, in file order:
// where a drone, its video or its controller may be heard.
func (p *Plan) DroneBands() []Band {
	var out []Band
	for _, b := range p.bands {
		if slices.ContainsFunc(DroneTechs(), b.HasTech) {
			out = append(out, b)
		}
	}
	return out
}

// BandLink names the best band for a detection at centerHz of width bwHz and
// its link; ok is false when no band overlaps.
func (p *Plan) BandLink(centerHz, bwHz float64) (name, link string, ok bool) {
	bs := p.Lookup(centerHz, bwHz)
	if len(bs) == 0 {
		return "", "", false
	}
	return bs[0].Name, bs[0].Link, true
}
