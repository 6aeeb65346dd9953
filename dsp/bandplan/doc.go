// Package bandplan holds the radio band plans rfwarden uses to tell what a
// detection could be from where it sits in frequency: the 3GPP/ETSI cellular
// bands used in the UK and EU (GSM, UMTS, LTE, NR, with uplink, downlink or
// TDD), the TD-LTE bands of the real test recordings, and the licence-exempt
// bands of Wi-Fi, Bluetooth, drones and RC links.
//
// The default plan is embedded data (bands.yaml); Load reads another plan with
// strict decoding. The package does no IO beyond the embedded file.
package bandplan
