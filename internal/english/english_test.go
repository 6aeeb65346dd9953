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
