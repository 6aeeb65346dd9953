package dashboard

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rfwarden/rfwarden/fusion/store"
)

// downTS is a time series store whose heatmap and locations fail as an
// InfluxDB that does not answer makes them fail, while down is set.
type downTS struct {
	*fakeTS
	down *atomic.Bool
}

// errInfluxDown is what a read of an InfluxDB nothing answers at returns.
var errInfluxDown = &store.InfluxCheckError{Setting: store.InfluxSettingURL, Err: fmt.Errorf("influx heat query: %w",
	&url.Error{Op: "Post", URL: "http://127.0.0.1:1/api/v2/query?org=", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}})}

func (d downTS) Heatmap(ctx context.Context, site string, from, to time.Time, kind store.HeatKind) ([]store.HeatCell, error) {
	if d.down.Load() {
		return nil, errInfluxDown
	}
	return d.fakeTS.Heatmap(ctx, site, from, to, kind)
}

func (d downTS) Locations(ctx context.Context, site string, from, to time.Time, limit int) ([]store.LocationRecord, error) {
	if d.down.Load() {
		return nil, errInfluxDown
	}
	return d.fakeTS.Locations(ctx, site, from, to, limit)
}

// TestBrowserHeatmapInfluxDown: given InfluxDB down, when the floor plan
// is opened, expect its page to say that InfluxDB does not answer, and
// why, as /healthz does; once it answers and the plan is read again (a
// control changed), the message goes; down again, the next read says so
// again. It said "Not shown: internal error", and a read made by a
// control or a refresh failed in the console alone.
func TestBrowserHeatmapInfluxDown(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	ctx, _, srv := browserDashboard(t, func(d *Deps) {
		d.TimeSeries = downTS{fakeTS: d.TimeSeries.(*fakeTS), down: &down}
		d.Influx = &Probe{Name: "influxdb", Public: func(err error) string { return "not reachable: connection refused (RFW_INFLUX_URL (--influx))" }}
	})
	browserLogin(t, ctx, srv.URL, "viewer", "viewer-password")
	const want = "Not shown: InfluxDB, where the time series are read, does not answer: not reachable: connection refused (RFW_INFLUX_URL (--influx))"
	pageError := `(document.querySelector('#page-heatmap > .page-error') || {}).textContent`
	within(t, ctx, 20*time.Second, "the floor plan while InfluxDB is down",
		chromedp.Navigate(srv.URL+"/#heatmap"),
		chromedp.Poll[chromedp.Void](pageError+` === `+jsString(want)))
	down.Store(false)
	within(t, ctx, 20*time.Second, "read again once InfluxDB answers",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('h-window').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](`document.querySelector('#floor svg') !== null && `+pageError+` === ''`))
	down.Store(true)
	within(t, ctx, 20*time.Second, "down again at the next read",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('h-show').dispatchEvent(new Event('change'))`),
		chromedp.Poll[chromedp.Void](pageError+` === `+jsString(want)))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
