package locate

import "math"

// nelderMead minimises f over the plane from x0 with the Nelder-Mead
// simplex method in the form of Lagarias, Reeds, Wright and Wright,
// "Convergence properties of the Nelder-Mead simplex method in low
// dimensions", SIAM J. Optim. 9(1), 1998: reflection 1, expansion 2,
// contraction 1/2, shrink 1/2; the first simplex is x0 and x0 plus step
// along each axis. f may return +Inf (outside a feasible box): such a point
// is never kept unless the whole simplex is infinite. It stops when the
// simplex is within xTol of its best vertex on both axes and the values
// within fTol of the best (zero tolerances: when it has collapsed), or after
// maxEval evaluations, and returns the best vertex and its value.
//
// It runs in the caller's goroutine: gonum's optimize.Minimize runs its
// method in a goroutine of its own and hands every evaluation over a
// channel; for this cheap 2-D cost that took about half of a localisation's
// CPU time.
func nelderMead(f func(x [2]float64) float64, x0 [2]float64, step float64, maxEval int, xTol, fTol float64) ([2]float64, float64) {
	var v [3][2]float64
	var fv [3]float64
	v[0], v[1], v[2] = x0, x0, x0
	v[1][0] += step
	v[2][1] += step
	for i := range v {
		fv[i] = f(v[i])
	}
	evals := 3
	comb := func(a [2]float64, t float64, b [2]float64) [2]float64 { // a + t(b - a)
		return [2]float64{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
	}
	for {
		// Order best, middle, worst.
		if fv[1] < fv[0] {
			v[0], v[1], fv[0], fv[1] = v[1], v[0], fv[1], fv[0]
		}
		if fv[2] < fv[1] {
			v[1], v[2], fv[1], fv[2] = v[2], v[1], fv[2], fv[1]
			if fv[1] < fv[0] {
				v[0], v[1], fv[0], fv[1] = v[1], v[0], fv[1], fv[0]
			}
		}
		if evals >= maxEval || converged(v, fv, xTol, fTol) {
			return v[0], fv[0]
		}
		c := comb(v[0], 0.5, v[1]) // centroid of the best two
		xr := comb(c, -1, v[2])    // reflection: c + (c - worst)
		fr := f(xr)
		evals++
		switch {
		case fr < fv[0]:
			xe := comb(c, -2, v[2]) // expansion: c + 2(c - worst)
			fe := f(xe)
			evals++
			if fe < fr {
				v[2], fv[2] = xe, fe
			} else {
				v[2], fv[2] = xr, fr
			}
		case fr < fv[1]:
			v[2], fv[2] = xr, fr
		default:
			var xc [2]float64
			if fr < fv[2] {
				xc = comb(c, 0.5, xr) // outside contraction
			} else {
				xc = comb(c, 0.5, v[2]) // inside contraction
			}
			fc := f(xc)
			evals++
			if fc < min(fr, fv[2]) {
				v[2], fv[2] = xc, fc
				continue
			}
			for i := 1; i < 3; i++ { // shrink towards the best
				v[i] = comb(v[0], 0.5, v[i])
				fv[i] = f(v[i])
			}
			evals += 2
		}
	}
}

// converged reports whether the simplex v (best first) lies within xTol of
// its best vertex on both axes with values within fTol of the best.
func converged(v [3][2]float64, fv [3]float64, xTol, fTol float64) bool {
	for i := 1; i < 3; i++ {
		if math.Abs(v[i][0]-v[0][0]) > xTol || math.Abs(v[i][1]-v[0][1]) > xTol || !(fv[i]-fv[0] <= fTol) {
			return false
		}
	}
	return true
}
