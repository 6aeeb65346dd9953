package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// routes declares every route of the dashboard in one place. The role after
// each API route is the least role allowed; state-changing routes also need
// the session's CSRF token in X-CSRF-Token.
func (s *server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.metrics)
	e.GET("/", s.index)
	e.GET("/static/*", s.static)

	e.POST("/api/v1/login", s.login)
	api := e.Group("/api/v1", s.requireSession, s.checkCSRF)
	api.POST("/logout", s.logout)
	api.GET("/me", s.me, s.role(RoleViewer))
	api.GET("/openapi.yaml", s.openapi, s.role(RoleViewer))
	api.GET("/events", s.events, s.role(RoleViewer))

	api.GET("/alerts", s.listAlerts, s.role(RoleViewer))
	api.GET("/alerts/export.csv", s.exportAlerts, s.role(RoleAnalyst))
	api.GET("/alerts/:id", s.getAlert, s.role(RoleViewer))
	api.POST("/alerts/ack", s.ackAlerts, s.role(RoleOfficer))
	api.POST("/alerts/:id/ack", s.ackAlert, s.role(RoleOfficer))

	api.GET("/site", s.getSite, s.role(RoleViewer))
	api.GET("/floors/:floor/svg", s.floorSVG, s.role(RoleViewer))
	api.GET("/heatmap", s.heatmap, s.role(RoleViewer))
	api.GET("/locations", s.locations, s.role(RoleViewer))
	api.GET("/search", s.searchList, s.role(RoleOfficer))
	api.POST("/search/outcome", s.searchOutcome, s.role(RoleOfficer))

	api.GET("/snippets/:name", s.snippet, s.role(RoleAnalyst)) // raw IQ: evidence, as the incident bundles

	api.GET("/sensors", s.sensors, s.role(RoleViewer))
	api.GET("/sensors/:id/health", s.sensorHealth, s.role(RoleViewer))
	api.POST("/sensors/:id/maintenance", s.startMaintenance, s.role(RoleAdmin))
	api.DELETE("/sensors/:id/maintenance", s.endMaintenance, s.role(RoleAdmin))

	api.GET("/registry", s.registryList, s.role(RoleAnalyst))
	api.GET("/registry/export.csv", s.registryExport, s.role(RoleAnalyst))
	api.GET("/registry/:id", s.registryGet, s.role(RoleAnalyst))
	api.GET("/registry/:id/history", s.registryHistory, s.role(RoleAnalyst))
	api.POST("/registry", s.registryAdd, s.role(RoleAdmin))
	api.PUT("/registry/:id", s.registryUpdate, s.role(RoleAdmin))
	api.POST("/registry/:id/expire", s.registryExpire, s.role(RoleAdmin))
	api.DELETE("/registry/:id", s.registryDelete, s.role(RoleAdmin))
	api.POST("/registry/import", s.registryImport, s.role(RoleAdmin))

	api.GET("/incidents", s.listIncidents, s.role(RoleAnalyst))
	api.GET("/incidents/export.csv", s.exportIncidents, s.role(RoleAnalyst))
	api.GET("/incidents/:id", s.getIncident, s.role(RoleAnalyst))
	api.GET("/incidents/:id/bundle.zip", s.incidentBundle, s.role(RoleAnalyst))
	api.POST("/incidents/:id/close", s.closeIncident, s.role(RoleAnalyst))
	api.POST("/incidents/:id/reopen", s.reopenIncident, s.role(RoleAnalyst))

	api.GET("/replay/recordings", s.replayList, s.role(RoleAnalyst))
	api.POST("/replay/upload", s.replayUpload, s.role(RoleAnalyst))
	api.POST("/replay/run", s.replayRun, s.role(RoleAnalyst))
	api.GET("/replay/progress", s.replayProgress, s.role(RoleAnalyst))
	api.GET("/replay/annotated", s.replayAnnotated, s.role(RoleAnalyst))

	api.GET("/audit", s.auditLog, s.role(RoleAdmin))
	api.GET("/audit/export.csv", s.auditExport, s.role(RoleAdmin))
	api.GET("/users", s.listUsers, s.role(RoleAdmin))
	api.POST("/users", s.createUser, s.role(RoleAdmin))
	api.PUT("/users/:name/role", s.setUserRole, s.role(RoleAdmin))
	api.POST("/users/:name/disable", s.disableUser, s.role(RoleAdmin))
	api.POST("/users/:name/enable", s.enableUser, s.role(RoleAdmin))
	api.POST("/users/:name/password", s.resetPassword, s.role(RoleAdmin))
	api.DELETE("/users/:name", s.deleteUser, s.role(RoleAdmin))
	api.POST("/me/password", s.changePassword, s.role(RoleViewer))
	// The group's catch-all answered 404 for a route's path with another
	// method (GET /api/v1/logout), as for no route at all
	// (TestAPIWrongMethod405).
	api.RouteNotFound("/*", apiNotFound(e.Routes()))
}

// apiNotFound answers a request no API route took: 405 with the Allow
// header when a route has its path under other methods, else 404.
func apiNotFound(routes []*echo.Route) echo.HandlerFunc {
	return func(c echo.Context) error {
		path := c.Request().URL.EscapedPath()
		var allow []string
		for _, r := range routes {
			if r.Method != echo.RouteNotFound && !slices.Contains(allow, r.Method) && routeMatches(r.Path, path) {
				allow = append(allow, r.Method)
			}
		}
		if len(allow) == 0 {
			return echo.ErrNotFound
		}
		slices.Sort(allow)
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(allow, ", "))
		return httpError(http.StatusMethodNotAllowed, "method %s not allowed here: use %s", trimForErr(c.Request().Method), strings.Join(allow, " or "))
	}
}

// routeMatches reports whether an escaped request path matches an echo
// route pattern: ":name" takes one segment, not empty; "*" the rest.
func routeMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		switch {
		case p == "*":
			return true
		case i >= len(xs):
			return false
		case strings.HasPrefix(p, ":"):
			if xs[i] == "" {
				return false
			}
		case p != xs[i]:
			return false
		}
	}
	return len(ps) == len(xs)
}
