// Package registry is the list of authorised transmitters (staff radios, in-cell
// tablets, kiosks, Wi-Fi APs, authorised drones): who may transmit what, where
// and when. Entries hold signal signatures only, never phone identities. Every
// change is stored with its audit row in one transaction; entries import
// (all or nothing) from and export to CSV.
package registry
