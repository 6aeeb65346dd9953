package fusion

import (
	"log/slog"
	"strings"

	"github.com/rfwarden/rfwarden/fusion/alert"
	"github.com/rfwarden/rfwarden/fusion/site"
)

// warnMissingKinds logs, for each location rule of ac naming a room kind
// the site has no room of, the rule and those kinds: the kind is valid (an
// alert config may serve several sites) but the rule cannot fire in it
// here, and not at all when the site has none of its kinds. The default
// rules name every kind, so with them (defaults) only a rule that can
// never fire is logged.
func warnMissingKinds(log *slog.Logger, ac alert.Config, s *site.Site, defaults bool) {
	missing := ac.MissingKinds(s)
	for _, r := range ac.Rules {
		m := missing[r.Name]
		if len(m) == 0 {
			continue
		}
		never := len(m) == len(r.RoomKinds)
		if defaults && !never {
			continue
		}
		msg := "alert rule names room kinds this site has no room of"
		if never {
			msg = "alert rule names only room kinds this site has no room of: it will never fire"
		}
		log.Warn(msg, "rule", r.Name, "missing", strings.Join(m, ", "), "site", s.ID)
	}
}
