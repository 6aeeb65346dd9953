// Package classify names what a detected emission is: GSM, UMTS, LTE or NR
// (with uplink or downlink), Wi-Fi, Bluetooth, DJI DroneID, drone video, RC
// frequency hoppers, analog FPV video, or unknown.
//
// Classifiers are listed in one ordered table (see Default), rtl_433 style.
// Each documents the emitter it recognises and the features it reads, and
// returns a confidence; the most confident above MinConfidence wins, earlier
// entries winning ties. Features are measured once per emission from the IQ
// samples: the occupied band, cyclic-prefix correlation at each standard's
// OFDM symbol length, 802.11 short-training periodicity, envelope constancy,
// burst timing and the UMTS chip-rate cyclic feature. The band plan
// (package bandplan) says which standards may be present and the link.
//
// The package is pure: no IO, no global state; Classify never panics. It
// never decodes phone traffic content or identities.
// See docs/classifiers.md for the thresholds and why.
package classify
