// Package dashboard serves the rfwarden web dashboard and its JSON API with
// echo: live alerts over Server-Sent Events for the control room, floor-plan
// heatmaps and a ranked room search list for search teams, sensor health with a
// live spectrum, the authorised-emitter registry, incidents with evidence
// bundles, outcomes and a CSV report, and SigMF replay for analysts.
//
// Acknowledgements taken here are stored and then announced to fusion
// (AckAnnouncer, event.Ack on rfw/v1/{site}/ack), which publishes the alert
// again with them: every other dashboard's feed, the webhook and syslog
// learn of them at once. Closing an incident acknowledges its alerts that
// nobody had acknowledged.
//
// Security: local users with bcrypt-hashed passwords and four roles (viewer <
// officer < analyst < admin); server-side sessions in HttpOnly
// SameSite=Strict cookies, kept in SQLite as a hash of the token, so they
// survive a restart and serve every dashboard process on the database; a
// CSRF token per session checked on every state-changing request; login
// rate limiting per IP and user and per IP, each attempt counted before
// its password is checked (also on the current password of a password
// change), with few bcrypt checks at once and a flood of refusals summed
// up in the audit rather than written row by row; an audit trail through store.Auditor; account
// lifecycle (admins disable accounts, change roles and reset passwords,
// which ends the account's sessions and live feeds; every session rereads
// its account every 5 s, so a change made by another process reaches it;
// the last enabled admin keeps its role; a password an admin set must be
// replaced at first login); and strict security headers (CSP without
// inline script). /healthz and /metrics stay outside the login (Prometheus
// cannot log in); with Deps.MetricsToken set, /metrics needs that bearer
// token. Every route but /healthz answers 421 to a Host header that is
// not the dashboard's (an IP literal, localhost, the machine's name or
// Deps.AllowedHosts), against DNS rebinding; under TLS the session
// cookie carries the __Host- prefix. Assets are embedded with go:embed;
// no CDN is used.
//
// The floor plan (FloorSVG, web/app.js) is fitted to the floor's building,
// yard and perimeter; the site's "outside" catch-all is drawn but neither
// fitted nor coloured. Rooms are coloured by their unauthorised transmissions
// in the window (by default only what fusion may alert on: phones off the
// downlink, drones; store.HeatTargets), in steps scaled to the floor's
// busiest room (1+, max^½, max^0.8), so hot rooms stand out in a quiet hour
// and a busy week alike; the colours follow new detections while the page
// is open. Each track is drawn once, in the room named by most of its
// last 10 fixes that name a room (a tie: the one named last), at its
// latest fix there (a dot and the outline of its 95% ellipse), moved live
// as fusion publishes fixes (rfw/v1/{site}/location, through the Hub); a track whose room is
// on another floor, or whose latest fix is 30 minutes older than the
// newest fix, leaves this one. A target's room is outlined. A fix names
// no room when it gives its most likely room less than Deps.PlaceMinProb
// (fusion's PlaceMinProb, sent in GET /site), below which the heatmap
// does not count it either: a track none of whose fixes names one is
// drawn at its latest with a dashed ellipse and "location uncertain".
//
// Times are shown in the site's zone (Deps.Location, named to the page in
// GET /me), as the CSV exports give them, whatever the browser's zone.
//
// Everything the dashboard reads comes through small interfaces declared here
// (Registry, Acker, AckAnnouncer, ZoneStatus, Replayer) or in fusion/store, so tests use
// in-memory fakes. All routes are declared in routes.go.
package dashboard
