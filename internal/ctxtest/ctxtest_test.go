package ctxtest

import (
	"context"
	"errors"
	"testing"
)

func TestErrAfter(t *testing.T) {
	c := &ErrAfter{Context: context.Background(), N: 2}
	for i, want := range []error{nil, nil, context.Canceled, context.Canceled} {
		if err := c.Err(); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("call %d: Err() = %v, want %v", i, err, want)
		}
	}
}
