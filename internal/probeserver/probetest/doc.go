// Package probetest checks that a running probe server (probeserver)
// lets go of hostile clients: a body announced and never sent, a
// kept-alive connection left idle, headers that never end or are too
// large. The sensor's and fusion's tests run it against their own
// servers.
package probetest
