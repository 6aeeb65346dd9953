package locate

import (
	"math"
	"testing"
)

func TestNelderMead(t *testing.T) {
	tests := []struct {
		name    string
		f       func(x [2]float64) float64
		x0      [2]float64
		step    float64
		maxEval int
		want    [2]float64
		wantTol float64
	}{
		{"quadratic", func(x [2]float64) float64 { return (x[0]-1)*(x[0]-1) + 10*(x[1]+2)*(x[1]+2) }, [2]float64{0, 0}, 0.5, 1000, [2]float64{1, -2}, 1e-5},
		// Rosenbrock's valley from the classic start (-1.2, 1).
		{"rosenbrock", func(x [2]float64) float64 {
			a, b := 1-x[0], x[1]-x[0]*x[0]
			return a*a + 100*b*b
		}, [2]float64{-1.2, 1}, 0.5, 2000, [2]float64{1, 1}, 1e-4},
		// Minimum (3, 0) outside the feasible box |x|, |y| ≤ 1: the box's
		// nearest point is the answer.
		{"box", func(x [2]float64) float64 {
			if math.Abs(x[0]) > 1 || math.Abs(x[1]) > 1 {
				return math.Inf(1)
			}
			return (x[0]-3)*(x[0]-3) + x[1]*x[1]
		}, [2]float64{0, 0.5}, 0.25, 1000, [2]float64{1, 0}, 1e-4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			f := func(x [2]float64) float64 { n++; return tc.f(x) }
			x, fx := nelderMead(f, tc.x0, tc.step, tc.maxEval, 1e-9, 1e-12)
			if math.Abs(x[0]-tc.want[0]) > tc.wantTol || math.Abs(x[1]-tc.want[1]) > tc.wantTol {
				t.Errorf("got %v (f %v) after %d evaluations, want %v ± %v", x, fx, n, tc.want, tc.wantTol)
			}
			if fx != tc.f(x) {
				t.Errorf("returned value %v, f(x) = %v", fx, tc.f(x))
			}
			if n > tc.maxEval+2 {
				t.Errorf("%d evaluations, limit %d", n, tc.maxEval)
			}
		})
	}
	// The evaluation limit holds (within one step's evaluations).
	n := 0
	nelderMead(func(x [2]float64) float64 { n++; return x[0]*x[0] + x[1]*x[1] }, [2]float64{5, 5}, 1, 80, 0, 0)
	if n < 80 || n > 82 {
		t.Errorf("limit 80: %d evaluations", n)
	}
}
