package english

import "testing"

func TestPlural(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{-1, "files"},
		{0, "files"},
		{1, "file"},
		{2, "files"},
		{1000, "files"},
	}
	for _, tt := range tests {
		if got := Plural(tt.n, "file", "files"); got != tt.want {
			t.Errorf("Plural(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := Plural(uint8(1), "is", "are"); got != "is" {
		t.Errorf("Plural(uint8(1)) = %q, want is", got)
	}
}

// TestSome: a list cut short names the first few and counts the rest;
// one no longer than that is named whole.
func TestSome(t *testing.T) {
	for _, tc := range []struct {
		items []string
		most  int
		want  string
	}{
		{nil, 3, ""},
		{[]string{"a"}, 3, "a"},
		{[]string{"a", "b", "c"}, 3, "a, b, c"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, 5, "a, b, c, d, e and 2 more"},
		{[]string{"L1-S01", "L1-S02", "L1-S03"}, 1, "L1-S01 and 2 more"},
	} {
		if got := Some(tc.items, tc.most); got != tc.want {
			t.Errorf("Some(%q, %d) = %q, want %q", tc.items, tc.most, got, tc.want)
		}
	}
}
