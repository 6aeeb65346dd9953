// Package simeval holds no code: its test measures localisation accuracy of
// fusion/locate on engineer D's simulated standard wing (sensor/sim) against
// ground truth, beside the Cramér-Rao bound, and on a wing made from
// docs/site.md's example site (sim.FromSite). Results are recorded in
// docs/localisation.md (the example site's in docs/simulator.md). It lives apart so that fusion's own packages do not
// depend on the simulator.
package simeval
