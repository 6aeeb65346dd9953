// Package jsondup finds a key given twice in one object of JSON data.
// Go's encoding/json, as many decoders, keeps the last value of such a
// key and others the first, so two readers of one document read two
// different things: strict readers (SigMF metadata, the MQTT payloads of
// package event) refuse it instead, naming the key and where it is.
//
// It scans the bytes rather than json.Decoder's tokens, which took more
// time than the rest of parsing SigMF metadata (1.9 s of 50 MB of
// annotations).
package jsondup
