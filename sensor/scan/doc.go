// Package scan is the sensor's scan scheduler: it decides which tuning the
// receiver dwells on next, mixing wideband sweep steps with dwells on uplink
// bands, under a hard bound on every band's revisit time.
//
// Each band is cut into cells, tunings whose usable span (UsableFraction of
// the sample rate, avoiding the filter edges) covers part of the band. Every
// cell has a deadline: its last visit plus the band's MaxRevisit. The
// scheduler runs in two modes, deterministic given the times passed to Next:
//
//   - guard mode: when some cell's deadline is within the guard time G (the sum
//     of all dwells plus the longest dwell), the cell with the earliest deadline
//     is served (earliest deadline first);
//   - free mode: otherwise the cell with the highest score is served, where the
//     score grows with how overdue it is relative to its MaxRevisit, the band's
//     priority, dwell kind, and a boost while something was recently Seen there.
//
// New refuses a plan in which some MaxRevisit is shorter than 2G. Under that
// condition the bound holds (start-to-start gap <= MaxRevisit for every cell),
// provided Next is called when the previous step's dwell ends: once a cell is in
// guard mode, each other cell is served at most once before it, because a
// served cell's new deadline lies at least 2G ahead.
package scan
