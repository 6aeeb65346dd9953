// Package locate places an emitter from the powers several sensors received.
//
// Model (log-distance path loss with walls):
//
//	m_i = P_tx - 10·n·log10(d_i/d0) - W_i(x) - F_i(x) + ε_i,   ε_i ~ N(0, σ²)
//
// where m_i is sensor i's reported power plus its calibration offset minus its
// antenna gain (dBm), d_i the 3-D distance (floors at their elevation plus antenna
// heights, clamped at d0), W_i the summed loss of the walls the straight path crosses on the
// sensor's floor (in plan view, also when the emitter is on another floor), F_i a per-floor loss for each floor crossed, and σ the
// shadowing. P_tx is unknown; for a fixed position the model is linear in it,
// so it is profiled out in closed form (its ML estimate is the mean of
// m_i + L_i(x)) and the log-likelihood becomes -Σ(r_i - r̄)²/(2σ²).
//
// P_tx is bounded: when the measurements carry the emission's centre
// frequency, its estimate must lie within [Model.MinTxDBm, Model.MaxTxDBm]
// (or the query's bounds) less the free-space loss at d0
// (20·log10(4π·d0·f/c), which the model otherwise leaves out); outside, the
// residuals are taken about the bound. Without the upper bound the profile
// likelihood of far-away points tends to a constant and a large outdoor room
// gathers probability no handset could justify.
//
// LocateQuery also takes sensors that were listening and did not hear the
// emission (Silence): each multiplies the likelihood by
// pMiss + (1-pMiss)·Φ((T - (P̂_tx - L_j(x)))/(σ·sqrt(1+1/k))), the chance its
// power stayed below its threshold T. With the bounds this locates from one
// or two sensors: the posterior spreads over the places where a plausible
// handset would be heard by those sensors and not by the silent ones.
//
// The answer is a probability per room — the likelihood summed over a grid
// covering each room's polygon, normalised over the site (equal prior per
// room, uniform within it; Model.AreaPrior for uniform per unit area) —
// plus the floor with the most probability, the maximum-likelihood position
// on it (refined with Nelder-Mead; with fewer than three sensors the
// posterior mean of the most likely room) and a 95% ellipse from the second moments of the grid posterior on that floor
// about the position (semi-axes sqrt(5.991·λ)). The posterior sees the
// walls and a mirrored second mode; the Fisher information
//
//	J = (1/σ²) Gᵀ (I - 11ᵀ/k) G,   G_i = ∂L_i/∂(x, y) = 10n/ln10 · (x - x_i)/d_i²
//
// (P_tx a nuisance parameter) does not, and its ellipse covered only 85-88%
// of true positions on the test wing.
//
// Speed: path losses from every sensor to every grid point are tabulated
// when the Locator is built, with their range over each block of 4×4 grid
// points. A localisation first bounds the log-likelihood over every block
// (the residuals move at most the norm of the loss half-ranges from those
// at the block's centre, and the profiled residual norm is 1-Lipschitz) and
// evaluates only the blocks that can come within e^-40 of the peak, which
// is where the sums stop anyway: the result is the same, to the bit, as
// evaluating every point (TestPruneExact).
//
// The Cramér-Rao bound on the position RMSE for a geometry is sqrt(trace(J⁻¹))
// evaluated at the true position (CRB).
package locate
