// Package typedtext checks the text people type into rfwarden (a
// registry entry's name and notes, an acknowledgement's note, a closure's
// or reopening's reason, a search's outcome, a maintenance window's
// reason) before it is stored, audited and shown to others: valid UTF-8,
// not too long, no control characters but line breaks and tabs, and no
// bidirectional overrides, which make a name or note read differently
// from what it holds ("Trojan Source", CVE-2021-42574). A note that is
// required must hold a visible character (Blank): spaces, a NUL or a
// zero-width space are not a reason.
package typedtext
