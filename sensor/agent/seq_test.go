package agent

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rfwarden/rfwarden/sensor"
	"github.com/rfwarden/rfwarden/sensor/pipeline"
)

// invalidEvenPipeline is everyPipeline{every: 1} whose results of even
// blocks have a NaN power: detections that do not validate.
type invalidEvenPipeline struct{ everyPipeline }

func (p *invalidEvenPipeline) Process(b sensor.Block, dst []pipeline.Result) ([]pipeline.Result, error) {
	n := len(dst)
	dst, err := p.everyPipeline.Process(b, dst)
	if len(dst) > n && (b.FirstSample/int64(len(b.Samples)))%2 == 0 {
		dst[n].PowerDBm = math.NaN()
	}
	return dst, err
}

// TestSeqCountsPublishedDetections: the SEQs of a boot's detection IDs
// are 1, 2, 3, ... over the detections published: a detection dropped
// for not validating takes none. Fusion counts a gap in them as
// detections it never received (fusion.TestSeqGaps...); until 2026-12-08
// an invalid detection took its SEQ and left such a gap.
func TestSeqCountsPublishedDetections(t *testing.T) {
	cfg := testConfig(t)
	rc := &recClient{connected: true}
	a, err := New(cfg, Deps{Source: newSynth(nil, 10), Pipeline: &invalidEvenPipeline{everyPipeline{every: 1}}, ClientFactory: rc.factory()})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, d := range rc.detections(t) {
		n, err := strconv.ParseInt(d.ID[strings.LastIndex(d.ID, "-")+1:], 10, 64)
		if err != nil {
			t.Fatalf("ID %q: %v", d.ID, err)
		}
		seqs = append(seqs, n)
	}
	slices.Sort(seqs)
	seqs = slices.Compact(seqs) // a detection may be sent twice
	if len(seqs) != 5 {
		t.Fatalf("published SEQs %v, want the 5 valid detections of 10 blocks", seqs)
	}
	for i, n := range seqs {
		if n != int64(i+1) {
			t.Fatalf("published SEQs %v, want 1..%d without a gap", seqs, len(seqs))
		}
	}
}
