package registry

import "testing"

// TestTextCellRoundTrip: every text a cell of the export holds reads back
// as itself on import, and none starts like a formula in a spreadsheet.
// A name "'=x" exported as itself, and the import took the apostrophe off
// as TextCell's: it came back as the formula "=x".
func TestTextCellRoundTrip(t *testing.T) {
	for _, tc := range []struct{ v, cell string }{
		{"Radio 1", "Radio 1"},
		{"=SUM(A1)", "'=SUM(A1)"},
		{"+44 7700", "'+44 7700"},
		{"-", "'-"},
		{"@home", "'@home"},
		{"'=x", "''=x"},
		{"''+1", "'''+1"},
		{"'quoted'", "'quoted'"},
		{"'", "'"},
		{"", ""},
	} {
		cell := TextCell(tc.v)
		if cell != tc.cell {
			t.Errorf("TextCell(%q) = %q, want %q", tc.v, cell, tc.cell)
		}
		if got := untextCell(cell); got != tc.v {
			t.Errorf("untextCell(TextCell(%q)) = %q, want it back", tc.v, got)
		}
	}
}
