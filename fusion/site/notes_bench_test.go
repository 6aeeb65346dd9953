package site

import "testing"

// BenchmarkNotesStandard: Notes of the demo's two-floor site, which fusion
// runs once at its start and --check once.
func BenchmarkNotesStandard(b *testing.B) {
	s, err := LoadFile("../../testdata/sites/standard.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s.Notes()
	}
}

// BenchmarkNotesWing: Notes of the test wing, its yard around it.
func BenchmarkNotesWing(b *testing.B) {
	s, err := LoadFile("../../testdata/sites/wing.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s.Notes()
	}
}
