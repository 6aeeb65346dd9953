// Package zonename names the time zone a service runs in (its IANA name,
// e.g. "Europe/London"), as the dashboard tells its pages and as fusion
// tells the dashboards in its status: the two must agree, since fusion
// matches the registry's weekly hours in its zone and the dashboard shows
// them in its own (docs/deploy.md, "Site time").
package zonename
