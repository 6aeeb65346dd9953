// Package simeval holds no code: its test measures localisation accuracy of
// fusion/locate on engineer D's simulated standard wing (sensor/sim) against
// ground truth, beside the Cramér-Rao bound. Results are recorded in
// docs/localisation.md. It lives apart so that fusion's own packages do not
// depend on the simulator.
package simeval
