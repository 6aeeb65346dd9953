// Package replay plays a SigMF or raw IQ recording (sensor/sigmf) as a
// sensor.Source, block by block, as fast as it is read; `rfwarden sensor`
// paces it to the wall clock, and Skip passes over the samples a host too
// slow to keep up would have lost.
// A block never spans two capture segments, so every block carries one
// tuning. Blocks reuse one sample buffer: a block's Samples are valid only
// until the next call to Next or Close, as sensor.Block documents. Each
// block reports its capture's receive gain (GainKey), and Seconds gives a
// recording's clock as `rfwarden scan` counts it (capture datetimes).
package replay
