// Package hackrfsrc has the two sensor.Sources over a HackRF One, both
// receive only, sharing their options, tuning limits, gain split and sample
// clock (receiver.go):
//
//   - Source drives Debian's hackrf_transfer in receive mode
//     (firmware/hackrf.Runner), for nodes where the cgo binding is unwanted.
//     Each tuning or gain runs one hackrf_transfer process; a change stops it
//     and starts the next, which costs the USB re-open (a few hundred
//     milliseconds), so it suits dwell plans more than fast sweeps.
//   - DeviceSource drives libhackrf directly through the cgo binding in
//     firmware/hackrf. It streams continuously; a retune or gain change is a
//     register write, after which the samples queued and in flight from
//     before it are thrown away (libhackrf 2022.09 keeps 4 transfers of
//     256 KiB in flight: 26 ms at 20 Msps, so dwells should be longer than
//     that). A read that fails (the stream ended, gave nothing until
//     Next's deadline, a USB error; not the caller's cancellation) stops
//     the stream, and the next Next writes every setting and starts it
//     again; when that fails the board is gone (unplugged): it is closed,
//     and opened again by its serial at each later Next until it is back
//     (NewDeviceReopen; OpenDevice gives it hackrf.Open). OpenDevice needs
//     the "hackrf" build tag and cgo; in the default build it returns
//     ErrNotBuilt.
//
// Both implement sensor.Source, sensor.Tuner and sensor.GainSetter. The RF
// amplifier stays off. A receiver never runs out of samples: a stream that
// ends (hackrf_transfer exited, the board stopped streaming) is an error
// wrapping ErrStreamEnded, with what the tool said on stderr, never the
// io.EOF by which a finite source (a recording) ends; the next Next starts
// the stream again, and its first block is marked Retuned (not contiguous
// with those before) with its time taken afresh.
//
// Both stamp blocks by a sample clock, the stream's start time plus the
// samples counted since, kept on the host clock: once it strays more than
// ClockBound (a step of the host clock, a crystal's error added up) it is
// re-anchored, and the block says by how much in Block.ClockStep. A
// DeviceSource's clock starts when its stream starts; a Source's at its
// first block, taken as captured when it was read, since hackrf_transfer
// opens the board (hundreds of milliseconds) before it streams.
package hackrfsrc
