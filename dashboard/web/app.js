// rfwarden dashboard: vanilla JS, no build step. All text goes through
// textContent (never innerHTML with data) except our own server-made SVG.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  // The roles, least privileged first: the server's (dashboard.Roles, TestWebKnowsEveryRole);
  // the role selects are made from it.
  const ranks = { viewer: 1, officer: 2, analyst: 3, admin: 4 };
  // The drones' classes, the server's (event.DroneClasses, TestWebKnowsDroneClasses): a
  // drone's marker stands at its latest fix (shownFix).
  const droneClasses = ['droneid', 'drone_video', 'rc_fhss', 'fpv_analog'];
  // A time reads "2026-01-15 21:04:56 UTC" whatever the browser's locale:
  // the date in ISO order, a 24-hour clock (the locale's "1/15/2026, 9:04:56
  // PM" is misread in a UK control room), the zone's abbreviation as the
  // locale names it. isoFormat makes such a formatter (format(date)) from
  // Intl options (a timeZone, a timeZoneName) (TestBrowserTimesISO).
  const fmtParts = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', numberingSystem: 'latn' };
  function isoFormat(opts) {
    const f = new Intl.DateTimeFormat(undefined, { ...fmtParts, ...opts });
    return { format(d) {
      const p = {};
      for (const x of f.formatToParts(d)) p[x.type] = x.value;
      return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + (p.timeZoneName ? ' ' + p.timeZoneName : '');
    } };
  }
  const st = { zone: { fmt: isoFormat({ timeZoneName: 'short' }), shiftMS: 0, suffix: '' }, me: null, alerts: new Map(), alertsLoaded: false, alertRows: new Map(), selected: new Set(), alertSeq: 0, site: null, es: null, spec: null, specSensor: '', audio: null, replay: null, feedWasOpen: false, tracks: new Map() };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  }
  // Times are shown in the site's zone (GET /me), in which the CSV exports,
  // the maintenance notes and the heatmap's hour of day are too, not the
  // browser's: a control-room PC left on UTC was an hour off the reports
  // all summer. A zone without an IANA name (a fixed offset) is shown as
  // UTC shifted by its offset. st.zone is set by siteZone.
  // Every time carries its zone as it was then: the abbreviation or offset
  // of a named zone ("01:30 BST", "01:30 GMT"; "GMT+1" in American
  // English), the offset of a fixed one ("UTC+05:30"), so the hour the
  // clocks go back over, which happens twice, reads as two hours
  // (TestTUIRepeatedHourTimesDistinct) and matches the CSV exports' offsets.
  const fmtT = (ns) => ns ? st.zone.fmt.format(new Date(ns / 1e6 + st.zone.shiftMS)) + st.zone.suffix : '';
  // siteZone sets st.zone from /me's time_zone and utc_offset_s and names
  // the zone in the header (zoneLabel).
  function siteZone(me) {
    let name = me.time_zone || '', shiftMS = 0, fixed = '';
    try { if (name) new Intl.DateTimeFormat(undefined, { timeZone: name }); } catch (e) { name = ''; } // a name the browser does not know
    if (!name) {
      const off = me.utc_offset_s || 0, a = Math.abs(off);
      name = 'UTC'; shiftMS = off * 1000;
      fixed = 'UTC' + (off ? (off < 0 ? '−' : '+') + String(Math.floor(a / 3600)).padStart(2, '0') + ':' + String(Math.floor(a % 3600 / 60)).padStart(2, '0') : '');
    }
    // parts reads the wall time in a named zone (zoneOffsetMS); a fixed
    // offset has none, its offset is shiftMS
    const parts = shiftMS || name === 'UTC' ? null : new Intl.DateTimeFormat('en-US', { timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    // a named zone's times name it themselves; a fixed offset's are UTC
    // shifted, and say the offset after them
    const zoned = fixed ? {} : { timeZoneName: 'short' };
    st.zone = { name, fixed, suffix: fixed ? ' ' + fixed : '', fmt: isoFormat({ timeZone: name, ...zoned }), shiftMS, parts,
      hm: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: name, ...zoned }) };
    zoneLabel();
    // the zone's name alone where times are entered: the abbreviation now
    // is not the one of every date
    document.querySelectorAll('.zone-name').forEach((n) => { n.textContent = fixed || name; });
  }
  // zoneLabel names the site's zone in the header with its abbreviation
  // now. It is worked out again on each report of the live feed (every
  // 15 s), each reload of the alert list and each minute, so a screen left
  // open across a clock change stops saying BST within a minute
  // (TestTUIZoneLabelFollowsClockChange). Now is the server's clock
  // (serverNow), as for every time the page shows: until 2026-12-08 it was
  // the browser's, and a browser whose clock was off near a change named
  // the other abbreviation (TestTUIZoneLabelServerClock).
  function zoneLabel() {
    const z = st.zone;
    if (!z.name) return;
    let label = z.fixed;
    if (!label) {
      const now = new Date(serverNow() / 1e6 || Date.now());
      const abbr = new Intl.DateTimeFormat(undefined, { timeZone: z.name, timeZoneName: 'short' }).formatToParts(now).find((p) => p.type === 'timeZoneName');
      label = z.name + (abbr && abbr.value !== z.name ? ' (' + abbr.value + ')' : '');
    }
    if ($('tz').textContent !== label) $('tz').textContent = label;
  }
  setInterval(zoneLabel, 60000);
  // zoneOffsetMS is the site zone's offset from UTC, in ms, at the instant
  // ms (UTC milliseconds).
  function zoneOffsetMS(ms) {
    if (!st.zone.parts) return st.zone.shiftMS;
    const p = {};
    for (const x of st.zone.parts.formatToParts(new Date(ms))) p[x.type] = x.value;
    return Date.UTC(+p.year, p.month - 1, +p.day, p.hour % 24, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  // siteInput is an RFC 3339 time as a datetime-local field shows it: the
  // site's wall time, to the minute; '' for none (Go's zero time).
  function siteInput(iso) {
    const ms = iso && !iso.startsWith('0001') ? Date.parse(iso) : NaN;
    return isFinite(ms) ? new Date(ms + zoneOffsetMS(ms)).toISOString().slice(0, 16) : '';
  }
  // fromSiteInput reads a datetime-local value as the site's wall time and
  // returns it as RFC 3339 UTC. A wall time the zone skips or repeats at a
  // clock change is read with one of the two offsets.
  function fromSiteInput(v) {
    const wall = Date.parse(v + 'Z'); // the wall time's digits, as if UTC
    return new Date(wall - zoneOffsetMS(wall - zoneOffsetMS(wall))).toISOString();
  }
  // fmtToday is fmtT without the date when it is today's in the site's
  // zone ("10:30:00 GMT"; the whole time in title), for a column where
  // every row would repeat today's date (the sensors' last heartbeat).
  function fmtToday(ns) {
    const t = fmtT(ns);
    return t && t.slice(0, 10) === fmtT(serverNow()).slice(0, 10) ? t.slice(11) : t;
  }
  // fmtISO shows an RFC 3339 time in the site's zone, '—' for none.
  const fmtISO = (iso) => iso && !iso.startsWith('0001') ? fmtT(Date.parse(iso) * 1e6) : '—';

  // openable lets a list's row open its detail from the keyboard as by a
  // click: the row takes focus (Tab), and Enter or Space on it opens the
  // detail (open), whose card then takes the focus; Escape in the
  // card brings it back to the row (TestTUIKeyboardOpensAlert). A control
  // in the row (the selection box) keeps its own keys.
  // A click (a tap) that opens a card below the screen's bottom (one
  // column, on a phone: the card comes after the list) scrolls it into
  // view: it opened unseen under a long list, the Acknowledge button with
  // it (TestBrowserPhoneAckOnScreen).
  function openable(tr, detail, open) {
    tr.tabIndex = 0;
    tr.addEventListener('click', () => Promise.resolve(open()).then(() => {
      const d = $(detail);
      if (!d.classList.contains('hidden') && d.getBoundingClientRect().top >= innerHeight) d.scrollIntoView({ block: 'start' });
    }).catch((e) => console.error(e)));
    tr.addEventListener('keydown', (ev) => {
      if (ev.target !== tr || (ev.key !== 'Enter' && ev.key !== ' ') || ev.repeat) return;
      ev.preventDefault();
      const rowSel = rowSelector(tr);
      Promise.resolve(open()).then(() => {
        const d = $(detail);
        if (d.classList.contains('hidden')) return;
        d.tabIndex = -1; d.dataset.row = rowSel; d.focus();
      }).catch((e) => console.error(e));
    });
    return tr;
  }
  // rowSelector names row tr by its tbody and data-* key, which outlive
  // the row (the lists are drawn again as they change).
  function rowSelector(tr) {
    const [k, v] = Object.entries(tr.dataset).find(([k]) => k === 'id' || k === 'sensor') || [];
    return '#' + tr.parentNode.id + ' tr[data-' + k + '="' + CSS.escape(v || '') + '"]';
  }
  // keepRowFocus runs draw, which makes a list's rows again, and gives the
  // focus back to the row (or its selection box) that had it, so a live
  // update does not throw a keyboard user's place away.
  function keepRowFocus(tbody, draw) {
    const a = document.activeElement, tr = a && a.closest && a.closest('#' + tbody + ' tr');
    const sel = tr && rowSelector(tr), onBox = tr && a.matches('input.sel');
    draw();
    if (!sel || (tr.isConnected && tr.contains(a))) return;
    const n = document.querySelector(sel);
    if (n) ((onBox && n.querySelector('input.sel')) || n).focus({ preventScroll: true });
  }
  // keepFocusIn runs draw, which makes detail card box's content again,
  // and gives the focus back to the control that had it (the same id,
  // else the same kind of control at the same place), or to the card when
  // it is gone (an alert acknowledged meanwhile): the open detail's
  // refresh every 15 s threw a keyboard user's place away.
  function keepFocusIn(box, draw) {
    const f = document.activeElement, inside = !!f && f !== box && box.contains(f);
    const sel = inside ? (f.id ? '#' + CSS.escape(f.id) : f.tagName.toLowerCase() + [...f.classList].map((c) => '.' + CSS.escape(c)).join('')) : '';
    const at = inside ? [...box.querySelectorAll(sel)].indexOf(f) : -1;
    draw();
    if (!inside || f.isConnected) return;
    const n = box.querySelectorAll(sel)[Math.max(at, 0)];
    if (n) { n.focus({ preventScroll: true }); return; }
    box.tabIndex = -1; box.focus({ preventScroll: true });
  }
  // focusResult puts the focus on n (a result message, a row) after an
  // action whose control went away or was disabled, rather than on <body>.
  function focusResult(n) {
    if (!n) return;
    if (n.tabIndex < 0 && !n.hasAttribute('tabindex')) n.tabIndex = -1;
    n.focus({ preventScroll: true });
  }
  // Escape takes the blinking banner away (it also goes on a click, or
  // with its Dismiss button: TestTUIBannerDismissByKeyboard); with no
  // banner shown, Escape in an open detail goes back to its row.
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    if (!$('banner').classList.contains('hidden')) { $('banner').classList.add('hidden'); return; }
    const d = document.activeElement && document.activeElement.closest && document.activeElement.closest('.detail[data-row]');
    const row = d && document.querySelector(d.dataset.row);
    if (row) { ev.preventDefault(); row.focus(); }
  });
  // announce reads text out to a screen reader (the polite log
  // #announce): the alerts that came live without the critical banner.
  // It keeps the latest five.
  function announce(text) {
    const log = $('announce');
    log.append(el('p', { text }));
    while (log.children.length > 5) log.firstChild.remove();
  }

  // emptyNote says under a list that nothing is in it (on) with text: an
  // empty list read, apart from one still loading (nothing said) and one
  // that failed (the page's error). A bare table header said nothing
  // (TestBrowserEmptyListsSaid).
  function emptyNote(id, on, text) {
    $(id).textContent = on ? text : '';
    $(id).classList.toggle('hidden', !on);
  }

  // drawn says a page's fetched data is on screen: a performance mark
  // 'rfw-drawn-<page>' (startTime in ms since navigation start) and
  // data-drawn=<n> on the page's section; the browser tests wait for both.
  function drawn(page, n) { performance.mark('rfw-drawn-' + page); $('page-' + page).dataset.drawn = n; }

  // signal, when given, aborts the request (AbortController).
  async function api(method, path, body, raw, signal) {
    const opt = { method, headers: {}, credentials: 'same-origin', signal };
    if (st.me && method !== 'GET') opt.headers['X-CSRF-Token'] = st.me.csrf;
    if (body instanceof FormData || raw) opt.body = body;
    else if (body !== undefined) { opt.headers['Content-Type'] = 'application/json'; opt.body = JSON.stringify(body); }
    const r = await fetch('/api/v1' + path, opt);
    if (r.status === 401 && path !== '/login') { showLogin(); throw new Error('log in first'); }
    const ct = r.headers.get('Content-Type') || '';
    const data = ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) { const err = new Error((data && data.error) || r.statusText); err.status = r.status; throw err; }
    return data;
  }

  // showLogin shows the login form in place of the app, its live stream
  // closed. The critical banner goes, and its beep stops: it blinked over
  // the login form of a session ended elsewhere or expired
  // (TestBrowserBannerGoesAtLogin); a banner still due comes back with the
  // alerts after login.
  function showLogin(note) {
    $('app').classList.add('hidden'); $('login').classList.remove('hidden'); if (st.es) { st.es.close(); st.es = null; }
    if (!$('banner').classList.contains('hidden')) st.bannerDue = $('banner').dataset.id;
    $('banner').classList.add('hidden'); hush();
    if (note) $('login-note').textContent = note; // kept through the 401s of requests still under way
  }

  async function start() {
    const site = api('GET', '/site').catch(() => null); // in parallel with /me: one round trip less
    try { st.me = await api('GET', '/me'); } catch (e) { showLogin(); return; }
    $('login').classList.add('hidden'); $('app').classList.remove('hidden');
    $('who').textContent = st.me.user + ' (' + st.me.role + ')';
    syncClock(st.me.now_ns); // before siteZone: its label is the server's now's
    siteZone(st.me);
    document.querySelectorAll('[data-role]').forEach((n) => n.classList.toggle('hidden', ranks[st.me.role] < ranks[n.dataset.role]));
    st.site = await site;
    if (st.site) {
      const zones = [...new Set(st.site.rooms.map((r) => r.zone).filter(Boolean))].sort();
      $('f-zone').replaceChildren(el('option', { value: '', text: 'all' }), ...zones.map((z) => el('option', { value: z, text: z })));
      $('h-floor').replaceChildren(...st.site.floors.map((f) => el('option', { value: f.id, text: f.name || f.id })));
    }
    $('pw-required').classList.toggle('hidden', !st.me.must_change);
    wakeSound(); showSound();
    if (!st.me.must_change) connect(); // until then the feed is refused
    route(); // loads the page shown; the alert feed page loads the alert list
  }

  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-error').textContent = ''; $('login-note').textContent = '';
    try {
      st.me = await api('POST', '/login', { user: $('login-user').value, password: $('login-pass').value });
      $('login-pass').value = '';
      start();
    } catch (e) { $('login-error').textContent = e.message; }
  });
  $('logout').addEventListener('click', async () => {
    // a logout the server could not record leaves the session open: say so
    // rather than show the login form over it (a 401 shows the form itself)
    // (in #logout-msg beside the button: errors are said where they happen, not in a dialog)
    $('logout-msg').textContent = '';
    try { await api('POST', '/logout'); } catch (e) { if (e.message !== 'log in first') { $('logout-msg').textContent = 'Not logged out: ' + e.message; return; } }
    st.me = null; showLogin();
  });

  // ---- routing
  const loaders = { alerts: loadAlerts, heatmap: loadHeatmap, sensors: loadSensors, registry: loadRegistry, incidents: loadIncidents, replay: loadReplay, audit: loadAudit, users: loadUsers, account: loadAccount };
  function route() {
    // an administrator set this password: choose your own first
    const page = st.me && st.me.must_change ? 'account' : (location.hash || '#alerts').slice(1);
    if (!loaders[page]) return;
    document.querySelectorAll('.page').forEach((p) => p.classList.toggle('hidden', p.id !== 'page-' + page));
    document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === page));
    if (page !== 'sensors') leaveSensor();
    // A page the server refuses (a viewer opening #audit: 403 "needs role
    // admin or higher") says so at its top, not in the console alone
    // under an empty table (TestBrowserRefusedPageSaysSo).
    const sec = $('page-' + page);
    let err = sec.querySelector(':scope > .page-error');
    if (!err) { err = el('p', { class: 'error page-error', role: 'alert' }); sec.prepend(err); }
    err.textContent = '';
    loaders[page]().catch((e) => {
      console.error(e);
      if (e.message !== 'log in first') err.textContent = 'Not shown: ' + e.message + (e.status === 403 && st.me ? ' (you are logged in as ' + st.me.user + ', ' + st.me.role + ')' : '');
    });
  }
  window.addEventListener('hashchange', route);

  // ---- live feed
  // setLive writes the feed's state in the header of the alerts and the
  // floor plan (every .live): cls ok (live), warn (no live feed from the
  // broker: the pages reload every minute) or bad (no stream: no alerts).
  function setLive(text, cls, title) {
    for (const n of document.querySelectorAll('.live')) { n.textContent = text; n.className = 'live' + (cls ? ' ' + cls : ''); n.title = title || ''; }
  }
  // An open stream is not a live page: the dashboard says on it whether its
  // own feed from the broker is connected (event: feed, when the stream
  // opens, on every change and every 15 s), and the page says "live" only
  // then. st.feed is the latest such state, null while the stream is not
  // open (or has not said yet).
  function showFeed() {
    const f = st.feed;
    if (!f) { setLive('connecting…'); return; }
    if (f.state === 'connected') { setLive('live', 'ok'); return; }
    if (f.state === 'down') {
      setLive('live feed down since ' + fmtHM(f.since_ns) + ' (' + feedCause(f.reason) + ')', 'warn',
        (f.reason || 'not connected to the MQTT broker') + ' — no phone or drone reaches the map live; alerts and the map are read again every minute');
      return;
    }
    if (f.state === 'refused') {
      // connected, and the broker sends nothing: no retry mends its ACL
      setLive('live feed refused by the broker since ' + fmtHM(f.since_ns) + ' (' + (/no answer/i.test(f.reason || '') ? 'no answer to its subscription' : 'its ACL denies the topics') + ')', 'warn',
        (f.reason || 'the broker did not grant the live feed\'s subscription') + ' — an admin must let the dashboard\'s MQTT user read its topics; alerts and the map are read again every minute');
      return;
    }
    setLive('no live feed (not configured): map updates every minute', 'warn',
      'the dashboard runs without --mqtt: it hears nothing live; alerts and the map are read again every minute');
  }
  const feedLive = () => !!st.feed && st.feed.state === 'connected';
  // showFusion shows the fusion banner, in the warning colour on every
  // page, while fusion is not online by its status topic (the feed
  // event's fusion list, one per site): stopped, its last will (the broker
  // lost its connection), or no word since the dashboard connected. No
  // new alert can be raised then, and the alerts shown stay as they were.
  // It goes when fusion is online again. Before 2026-12-07 the page said
  // "live" while fusion was stopped. Deaf (connected, a subscription the
  // broker refused) shows it too: until 2026-12-07 that was online.
  // deafWhy says in a few words why fusion says it is deaf (its problem):
  // the broker refused its subscription, or (behind mosquitto, which
  // grants it and withholds the messages) no sensor message reaches it.
  const deafWhy = (x) => (x.problem || '').startsWith('subscription refused') || !x.problem
    ? 'the broker refused its subscription' : 'no sensor message reaches it';
  // A fusion in another time zone than the dashboard (zone_differs: it
  // matches the registry's weekly hours in its zone, the pages show
  // them in the site's) is said too, online or not, until both agree
  // (TestBrowserFusionZoneDiffers).
  function showFusion(list) {
    const b = $('fusion-banner');
    const down = (list || []).filter((x) => x.state !== 'online'), zoned = (list || []).filter((x) => x.zone_differs);
    st.fusionDown = down;
    showStale(down);
    if (!down.length && !zoned.length) { b.classList.add('hidden'); b.textContent = ''; b.title = ''; return; }
    const zoneSay = (x) => 'Fusion' + (!st.site && x.site ? ' of site ' + x.site : '') + ' runs in time zone ' + x.time_zone + ', this dashboard in ' + (st.zone.fixed || st.zone.name) +
      ': the registry\'s hours are matched in fusion\'s zone, shown here in the dashboard\'s';
    const zoneWhy = 'set the zone of both hosts to the prison\'s (timedatectl set-timezone, or TZ= in both units; docs/deploy.md, Site time)';
    const say = (x) => {
      const who = 'Fusion' + (!st.site && x.site ? ' of site ' + x.site : '');
      if (x.state === 'offline') return who + ' is offline since ' + fmtHM(x.since_ns) + ' (' + (x.reason === 'stopped' ? 'stopped' : 'connection lost') + '): no new alerts can be raised';
      if (x.state === 'deaf') return who + ' hears nothing from the sensors since ' + fmtHM(x.since_ns) + ' (' + deafWhy(x) + '): no new alerts can be raised';
      return 'No word from fusion since the dashboard connected at ' + fmtHM(x.since_ns) + ': no new alerts can be raised while it is down';
    };
    const why = (x) => x.state === 'offline'
      ? (x.reason === 'stopped' ? 'fusion stopped and said so' : 'the broker lost fusion\'s connection and sent its last will (a crash, its host or the network down)')
      : x.state === 'deaf' ? 'fusion is connected and hears no sensor (' + (x.problem || 'subscription refused') + '): the broker\'s ACL must let fusion\'s user read the sensors\' topics, and the sensors must run'
      : 'no status of fusion came since the dashboard connected to the broker: fusion not running, older than the dashboard, the broker\'s ACL withholds its status from the dashboard, or the broker lost it in a restart';
    b.textContent = down.map(say).concat(zoned.map(zoneSay)).join(' · ');
    b.title = down.map(why).concat(zoned.length ? [zoneWhy] : []).join('; ') + (down.length ? ' — the alerts shown are as they were; see fusion\'s own /healthz and journal' : '');
    b.classList.remove('hidden');
  }
  // showStale marks what fusion keeps up to date as stale while it is not
  // online (down: the feed's fusion states that are not): the alert list
  // says its states are as of when fusion stopped (offline, deaf) or of
  // when the dashboard connected (no word), and each open alert's state
  // says "as of" that time; the sensors page says its sensors' states are
  // heard live by the dashboard, and that fusion raises no sensor alert
  // meanwhile. Before 2026-12-07 an old alert showed "firing" as if it
  // were now.
  // While the dashboard itself is unreachable (st.lostSince) the alert
  // list is as of then, whatever fusion does.
  function showStale(down) {
    const lost = st.lostSince ? [{ since_ns: st.lostSince }] : [], both = down.concat(lost);
    const since = both.length ? Math.min(...both.map((x) => x.since_ns || Infinity)) : 0;
    const was = st.staleSince || 0;
    st.staleSince = Number.isFinite(since) ? since : 0;
    const a = $('alerts-stale'), s = $('sensors-stale');
    const at = fmtHM(st.staleSince), what = down.some((x) => x.state === 'offline') ? 'fusion went offline' : down.some((x) => x.state === 'deaf') ? 'fusion stopped hearing the sensors'
      : down.length ? 'the dashboard connected with no word from fusion' : 'the dashboard became unreachable';
    if (!both.length) { a.classList.add('hidden'); a.textContent = ''; } else {
      a.textContent = 'Alert states as of ' + at + ', when ' + what + ': an alert shown firing may have ended since, and a new one is not ' +
        (down.length ? 'raised until fusion is back.' : 'shown until the dashboard answers again.');
      a.classList.remove('hidden');
    }
    if (!down.length) { s.classList.add('hidden'); s.textContent = ''; } else {
      s.textContent = 'No sensor alert (offline, tampered, jammed) is raised since ' + at + ', when ' + what + ': the states below are the sensors\' own, heard by the dashboard live.';
      s.classList.remove('hidden');
    }
    if (was !== st.staleSince && st.alertsLoaded) { st.alertRows.clear(); renderAlerts(''); } // the rows' "as of" changes
  }
  // fmtHM is a time of the server's clock (ns) as the site's hours and
  // minutes, with the date when it is not within the last 20 hours.
  function fmtHM(ns) {
    if (!ns) return '?';
    if (serverNow() - ns > 20 * 3600e9 || !st.zone.hm) return fmtT(ns);
    return st.zone.hm.format(new Date(ns / 1e6 + st.zone.shiftMS));
  }
  // feedCause says in a few words why the feed is down, from the server's
  // reason (the whole reason is the indicator's tooltip).
  function feedCause(reason) {
    const r = (reason || '').replace(/^not connected to the MQTT broker:?\s*/, '');
    if (!r) return 'not connected to the broker';
    if (/not authori[sz]ed|bad user ?name or password/i.test(r)) return 'broker refused the login';
    if (/connection refused|no route to host|network is unreachable|no such host|i\/o timeout|timed out|dial /i.test(r)) return 'broker unreachable';
    if (/EOF|reset by peer|lost|closed/i.test(r)) return 'connection lost';
    return r.length > 60 ? r.slice(0, 59) + '…' : r;
  }
  // showUnreachable shows the #dash-banner, in fusion's warning colour,
  // while the page's stream from the dashboard is broken (the dashboard
  // stopped, the network gone) and the browser tries again (on), since the
  // first failure, and the alert list "as of" then (showStale); it goes
  // when the stream opens again. Before, a grey "reconnecting…" in the
  // header said so, the alerts shown firing and the banner blinking
  // (TestBrowserDashboardUnreachable). It shows once the stream has been
  // down unreachableAfterMS, saying the time the drop began: a drop of a
  // second (a stream cut and opened again at once) flashed it
  // (TestBrowserQuickReconnectNoBar).
  const unreachableAfterMS = 5000;
  function showUnreachable(on) {
    if (!on) { clearTimeout(st.dropTimer); st.dropTimer = 0; st.dropSince = 0; markUnreachable(0); return; }
    if (st.dropSince) return; // down already: the browser tries again every few seconds
    st.dropSince = serverNow();
    st.dropTimer = setTimeout(() => { st.dropTimer = 0; if (st.es && st.dropSince) markUnreachable(st.dropSince); }, unreachableAfterMS);
  }
  // markUnreachable shows the #dash-banner and the alert list as of since
  // (server ns), or neither (0).
  function markUnreachable(since) {
    if (since === (st.lostSince || 0)) return;
    st.lostSince = since;
    const b = $('dash-banner');
    b.textContent = since ? 'Dashboard unreachable since ' + fmtHM(since) + ': the alerts shown are as of then' : '';
    b.title = since ? 'the browser gets no answer from the dashboard (it stopped, or the network is down) and tries again every few seconds' : '';
    b.classList.toggle('hidden', !since);
    showStale(st.fusionDown || []);
  }
  function connect() {
    if (st.es) st.es.close();
    let url = '/api/v1/events';
    if (st.specSensor) url += '?sensor=' + encodeURIComponent(st.specSensor);
    const es = new EventSource(url);
    st.es = es; st.feed = null;
    es.onopen = () => {
      showUnreachable(false);
      showFeed(); // "live" once the stream says the feed is connected
      // what was published while the feed was down (a network blip, a
      // dashboard restart) is in the store: read it again
      if (st.feedWasOpen) loadAlerts().catch((e) => console.error(e));
      st.feedWasOpen = true;
    };
    es.onerror = () => {
      st.feed = null;
      if (es.readyState !== EventSource.CLOSED) { setLive('reconnecting…'); showUnreachable(true); return; }
      // The browser gives up on an answer that is no stream (429: too many
      // live feeds for this login; 401: logged out) and never tries again:
      // say why, loudly (this screen gets no alerts), and try every 30 s.
      setLive('LIVE UPDATES STOPPED', 'bad');
      feedRefusal(url).then((why) => {
        if (st.es !== es) return;
        if (why === null) showUnreachable(true); else if (why) setLive('LIVE UPDATES STOPPED: ' + why + ' (trying again every 30 s)', 'bad');
      });
      setTimeout(() => { if (st.es === es) connect(); }, 30000);
    };
    es.addEventListener('feed', (m) => {
      const f = JSON.parse(m.data), was = st.feed;
      syncClock(f.now_ns);
      zoneLabel();
      st.feed = f;
      if (!was || was.state !== f.state || was.since_ns !== f.since_ns || was.reason !== f.reason) showFeed();
      showFusion(f.fusion);
      ageTracks(true);
      // the feed came back: what it missed meanwhile is in the store
      if (was && was.state !== 'connected' && f.state === 'connected') { loadAlerts().catch((e) => console.error(e)); refreshTracks().catch((e) => console.error(e)); }
    });
    es.addEventListener('alert', (m) => onAlert(JSON.parse(m.data), true));
    es.addEventListener('location', (m) => { onLocation(JSON.parse(m.data)); scheduleHeatRefresh(); });
    es.addEventListener('spectrum', (m) => drawSpectrum(JSON.parse(m.data)));
    es.addEventListener('health', () => { if (!$('page-sensors').classList.contains('hidden')) loadSensors(); });
    es.addEventListener('status', () => { if (!$('page-sensors').classList.contains('hidden')) loadSensors(); });
    es.addEventListener('dropped', () => setTimeout(connect, 1000));
  }

  // feedRefusal asks the feed's URL once more, as a plain request, for the
  // server's reason to refuse it; a stream that opens is closed at once.
  // null: no answer (the dashboard unreachable).
  async function feedRefusal(url) {
    const ctl = new AbortController();
    try {
      const r = await fetch(url, { credentials: 'same-origin', signal: ctl.signal });
      if (r.ok) { ctl.abort(); return ''; }
      if (r.status === 401) { showLogin('Your session ended: log in again.'); return 'logged out'; }
      const data = await r.json().catch(() => ({}));
      return data.error || r.statusText;
    } catch (e) { return null; }
  }

  // audio is the page's AudioContext, made as the app starts. Made
  // before any click or key on the page (a wall display that reloads
  // itself), the browser keeps it suspended and every beep silent: it is
  // resumed on each beep and on the first click or key, and #sound-off
  // says so while it is suspended (TestBrowserSoundOffNotice).
  function audio() {
    try {
      if (!st.audio && window.AudioContext) { st.audio = new AudioContext(); st.audio.onstatechange = showSound; }
    } catch (e) { console.error(e); } // no sound is no reason not to show the alerts
    return st.audio;
  }
  function showSound() { $('sound-off').classList.toggle('hidden', !st.audio || st.audio.state !== 'suspended'); }
  function wakeSound() {
    const ac = audio();
    if (ac && ac.state === 'suspended') ac.resume().then(showSound, () => { });
  }
  document.addEventListener('click', wakeSound, true);
  document.addEventListener('keydown', wakeSound, true);
  window.rfwAudioState = () => st.audio ? st.audio.state : 'none'; // the browser test's look

  function beep() {
    try {
      wakeSound();
      const ac = audio(), o = ac.createOscillator(), g = ac.createGain();
      o.frequency.value = 880; o.connect(g); g.connect(ac.destination);
      g.gain.setValueAtTime(0.3, ac.currentTime); g.gain.exponentialRampToValueAtTime(0.001, ac.currentTime + 0.8);
      o.start(); o.stop(ac.currentTime + 0.8);
      st.beeping = o;
    } catch (e) { }
  }
  // hush stops the beep sounding, if one is.
  function hush() {
    try { if (st.beeping) st.beeping.stop(); } catch (e) { }
    st.beeping = null;
  }

  // alarm says whether alert a, as this screen learns it, calls for the
  // banner and the beep, and why: 'fired' when a critical alert fires that
  // this screen last knew as pending or not at all (so a screen opened, or
  // whose feed reconnected, while it was pending sounds when it fires, and a
  // pending alert that never fires stays silent), 'reminder' when fusion
  // publishes a firing alert again while nobody acknowledges it; '' else,
  // so one transition sounds once however often the alert is published.
  function alarm(a, old) {
    if (a.ack_by || a.state !== 'firing') return '';
    if (old && (a.escalations || 0) > (old.escalations || 0)) return 'reminder';
    return a.severity === 'critical' && (!old || old.state !== 'firing') ? 'fired' : '';
  }
  function raiseBanner(a, why) {
    const b = $('banner');
    if (!$('login').classList.contains('hidden')) return; // a list read as the session ended: not over the login form
    $('banner-text').textContent = (why === 'reminder' ? 'STILL UNACKNOWLEDGED after ' + Math.round((a.escalated_ns - a.active_ns) / 6e10) + ' min: ' : 'CRITICAL: ') +
      a.summary + (a.room ? ' — ' + a.room : '');
    b.dataset.id = a.id;
    b.classList.remove('hidden');
    beep();
  }
  // settleBanner hides the banner once its alert is acknowledged (on this
  // screen or another) or over.
  function settleBanner() {
    const a = st.alerts.get($('banner').dataset.id);
    if (a && (a.ack_by || a.state === 'resolved')) $('banner').classList.add('hidden');
  }

  function onAlert(a, live) {
    const old = st.alerts.get(a.id);
    st.alerts.set(a.id, a);
    a.liveSeq = ++st.alertSeq; // loadAlerts keeps what came live while it read the list
    const why = live ? alarm(a, old) : '';
    if (why) raiseBanner(a, why); else settleBanner();
    // a new alert that raises no banner flashes its row: say it too
    if (live && !old && !why) announce('New ' + a.severity + ' alert, ' + a.state + ': ' + a.summary + (a.room ? ' — ' + a.room : ''));
    renderAlerts(live && (!old || why) ? a.id : '');
  }
  $('banner').addEventListener('click', () => $('banner').classList.add('hidden')); // its Dismiss button too

  async function loadAlerts() {
    const seq = st.alertSeq, live = (id) => (st.alerts.get(id)?.liveSeq || 0) > seq; // came live while the list was read
    const list = await api('GET', '/alerts?window=week');
    zoneLabel();
    // After the page's first load, what the store says fired meanwhile
    // (while the feed was down, or its publication was lost) sounds as it
    // would have live; the first such alert listed takes the banner.
    let news = null;
    for (const a of list) {
      const why = st.alertsLoaded ? alarm(a, st.alerts.get(a.id)) : '';
      if (why && !news) news = [a, why];
      if (!live(a.id)) st.alerts.set(a.id, a);
    }
    // The screen keeps what the list holds (every open alert, the week's
    // resolved ones), and what came live meanwhile: a screen open all
    // shift kept every alert it had seen.
    const listed = new Set(list.map((a) => a.id));
    for (const id of st.alerts.keys()) if (!listed.has(id) && !live(id)) st.alerts.delete(id);
    st.alertsLoaded = true;
    // the banner hidden by the login form, its alert still firing and unacknowledged
    const due = st.bannerDue && $('login').classList.contains('hidden') ? list.find((a) => a.id === st.bannerDue) : null;
    if (due !== null) st.bannerDue = '';
    if (!news && due && !due.ack_by && due.state === 'firing') news = [due, due.escalations ? 'reminder' : 'fired'];
    if (news) raiseBanner(...news); else settleBanner();
    const rules = new Set([...st.alerts.values()].map((a) => a.rule));
    const sel = $('f-type'), cur = sel.value;
    sel.replaceChildren(el('option', { value: '', text: 'all' }), ...[...rules].sort().map((r) => el('option', { value: r, text: r })));
    sel.value = cur;
    renderAlerts('');
    drawn('alerts', $('alert-rows').children.length);
  }
  ['f-zone', 'f-type', 'f-unacked', 'f-state', 'f-sev'].forEach((id) => $(id).addEventListener('change', () => renderAlerts('')));
  window.rfwLoadAlerts = loadAlerts; // the browser test's reload
  // While the Alerts page is not shown (the list is not read again), the
  // resolved alerts the feed brought leave the screen after the list's
  // week, as they leave the list.
  setInterval(() => {
    const old = serverNow() - 7 * 24 * 3600e9;
    let gone = 0;
    for (const [id, a] of st.alerts) if (a.state === 'resolved' && a.updated_ns < old) { st.alerts.delete(id); gone++; }
    if (gone) renderAlerts('');
  }, 60000);
  // and every minute: acknowledgements taken by another dashboard process
  // come through fusion's publication, or, when that was lost (the broker
  // was down), only through the store
  setInterval(() => { if (st.me && !$('page-alerts').classList.contains('hidden')) loadAlerts().catch(() => { }); }, 60000);

  // alertOrder is the list's order, the API's (dashboard alertTriage): the
  // open alerts nobody acknowledged, then the acknowledged open ones, each
  // critical first and newest active first; then the resolved ones, newest
  // active first. A row keeps its place while its evidence, room
  // probabilities or reminders change: sorted newest updated first, rows
  // jumped under the pointer, out of the order of the times shown.
  const sevRank = { critical: 3, warning: 2, info: 1 };
  const acked = (a) => !!(a.ack_ns || a.ack_by);
  const ackable = (a) => !!a && a.state !== 'resolved' && !acked(a);
  const triageGroup = (a) => a.state === 'resolved' ? 2 : acked(a) ? 1 : 0;
  function alertOrder(x, y) {
    const gx = triageGroup(x), gy = triageGroup(y);
    if (gx !== gy) return gx - gy;
    if (gx < 2 && x.severity !== y.severity) return (sevRank[y.severity] || 0) - (sevRank[x.severity] || 0);
    if (x.active_ns !== y.active_ns) return y.active_ns - x.active_ns;
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  }
  // alertFilter reads the list's filters once and returns the test of an
  // alert against them.
  // alertFiltered says whether any of the list's filters is set.
  const alertFiltered = () => ['f-zone', 'f-type', 'f-state', 'f-sev'].some((id) => $(id).value) || $('f-unacked').checked;
  function alertFilter() {
    const zone = $('f-zone').value, type = $('f-type').value, unacked = $('f-unacked').checked, state = $('f-state').value, sev = $('f-sev').value;
    return a => (!zone || a.zone === zone) && (!type || a.rule === type) && (!unacked || !acked(a)) &&
      (!state || (state === 'open' ? a.state !== 'resolved' : a.state === state)) && (!sev || a.severity === sev);
  }
  // alertRow makes alert a's row; an officer's has a box to select it for
  // "Acknowledge selected" while it is open and nobody acknowledged it.
  // A firing alert nobody acknowledged is marked (class unacked: a bar at
  // its left, app.css) for as long as it is: after its row's three
  // flashes it looked like a resolved one (TestBrowserUnackedRowMarked).
  function alertRow(a, newID) {
    const tr = el('tr', { class: 'sev-' + a.severity + (acked(a) ? ' acked' : a.state === 'firing' ? ' unacked' : '') + (a.id === newID ? ' new' : ''), 'data-id': a.id, 'data-updated': String(a.updated_ns) },
      el('td', { class: 'time', text: fmtT(a.active_ns) }), el('td', { class: 'sev', text: a.severity }), el('td', { class: 'rule', text: a.rule }),
      el('td', { class: 'summary' }, el('div', { class: 'clamp', title: a.summary, text: a.summary })), el('td', { class: 'room', text: a.room || '' }), el('td', { class: 'zone', text: a.zone || '' }),
      el('td', { class: 'state', text: a.state + (st.staleSince && a.state !== 'resolved' ? ' (as of ' + fmtHM(st.staleSince) + ')' : '') + (a.ack_by ? ' ✓ ' + a.ack_by : a.escalations ? ' · unacknowledged, reminder ' + a.escalations : ''),
        title: a.ack_ns ? 'acknowledged ' + fmtT(a.ack_ns) : '' }));
    tr.alert = a;
    openable(tr, 'alert-detail', () => openAlert(a.id));
    if (!st.me || ranks[st.me.role] < ranks.officer) return tr;
    const td = el('td', { class: 'sel' });
    td.addEventListener('click', (ev) => ev.stopPropagation()); // selecting is not opening
    if (ackable(a)) {
      const box = el('input', { type: 'checkbox', class: 'sel', title: 'select for Acknowledge selected', 'aria-label': 'select alert ' + a.id + ': ' + a.summary });
      box.checked = st.selected.has(a.id);
      box.addEventListener('change', () => { if (box.checked) st.selected.add(a.id); else st.selected.delete(a.id); selectionChanged(); });
      td.append(box);
    }
    tr.prepend(td);
    return tr;
  }
  // renderAlerts shows the alerts the filters pass, in alertOrder. A row
  // is made again only when its alert changed, and moved only when its
  // place did, so a click is not lost to a live update elsewhere; the
  // selection and the open detail stay as they were.
  function renderAlerts(newID) {
    const shown = [...st.alerts.values()].filter(alertFilter()).sort(alertOrder);
    const ids = new Set(shown.map((a) => a.id));
    for (const id of st.selected) if (!ids.has(id) || !ackable(st.alerts.get(id))) st.selected.delete(id); // acknowledge what is shown
    const trs = shown.map((a) => {
      let tr = st.alertRows.get(a.id);
      if (!tr || tr.alert !== a || a.id === newID) { tr = alertRow(a, newID); st.alertRows.set(a.id, tr); }
      return tr;
    });
    for (const id of st.alertRows.keys()) if (!ids.has(id)) st.alertRows.delete(id);
    const body = $('alert-rows'), keep = new Set(trs);
    keepRowFocus('alert-rows', () => {
      for (const tr of [...body.children]) if (!keep.has(tr)) tr.remove();
      trs.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
    });
    markShownRow();
    showSelection();
    emptyNote('alerts-empty', !trs.length && st.alertsLoaded, alertFiltered() ? 'no alerts match these filters' : 'no open alerts, none resolved in the last 7 days');
  }
  // markShownRow outlines the row whose detail is open.
  function markShownRow() {
    const box = $('alert-detail'), id = box.classList.contains('hidden') ? '' : box.dataset.id;
    for (const tr of $('alert-rows').children) tr.classList.toggle('shown', tr.dataset.id === id);
  }
  function showSelection() {
    const n = st.selected.size, boxes = [...$('alert-rows').querySelectorAll('input.sel')];
    $('bulk-count').textContent = n + ' selected';
    $('bulk-ack').disabled = n === 0;
    $('sel-all').checked = boxes.length > 0 && boxes.every((b) => b.checked);
  }
  // selectionChanged shows a selection the user changed (a box, "select
  // all shown", Clear): the line saying what became of the last
  // Acknowledge selected, or why it was refused, goes with the selection
  // it was about; it said "acknowledged 2" for ever
  // (TestBrowserBulkResultClears). Not on a timer: a refusal stays until
  // it is acted on.
  function selectionChanged() {
    $('bulk-result').textContent = ''; $('bulk-result').classList.remove('error');
    showSelection();
  }
  // "select all shown": every row shown that nobody acknowledged
  $('sel-all').addEventListener('change', () => {
    const on = $('sel-all').checked;
    for (const b of $('alert-rows').querySelectorAll('input.sel')) {
      b.checked = on;
      const id = b.closest('tr').dataset.id;
      if (on) st.selected.add(id); else st.selected.delete(id);
    }
    selectionChanged();
  });
  $('bulk-note').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !$('bulk-ack').disabled) { e.preventDefault(); $('bulk-ack').click(); } });
  $('bulk-clear').addEventListener('click', () => { st.selected.clear(); for (const b of $('alert-rows').querySelectorAll('input.sel')) b.checked = false; selectionChanged(); });
  // Acknowledge selected: one note for them all (POST /alerts/ack, at
  // most 200 ids a request), each acknowledged as on its own, and a line
  // saying what became of them. A failed one stays selected.
  // A critical alert among them needs the note (the server refuses the
  // whole request without one, naming them): the page asks first.
  $('bulk-ack').addEventListener('click', async () => {
    const ids = [...st.selected], note = $('bulk-note').value, n = {}, by = new Set();
    if (!ids.length) return;
    const crit = ids.map((id) => st.alerts.get(id)).filter((a) => ackable(a) && a.severity === 'critical');
    if (crit.length && !note.trim()) {
      $('bulk-result').textContent = 'Write a note first: ' + (crit.length === 1 ? 'a critical alert' : crit.length + ' critical alerts') +
        ' selected (' + crit.slice(0, 3).map((a) => a.summary).join('; ') + (crit.length > 3 ? '; …' : '') + ') ' + (crit.length === 1 ? 'needs' : 'need') + ' one saying what was done. Nothing acknowledged.';
      $('bulk-result').classList.add('error');
      $('bulk-note').focus();
      return;
    }
    $('bulk-result').classList.remove('error');
    $('bulk-ack').disabled = true;
    $('bulk-result').textContent = 'acknowledging ' + ids.length + '…';
    try {
      for (let i = 0; i < ids.length; i += 200) {
        const r = await api('POST', '/alerts/ack', { ids: ids.slice(i, i + 200), note });
        for (const x of r.results) {
          n[x.result] = (n[x.result] || 0) + 1;
          if (x.result === 'not_found') st.alerts.delete(x.id); else if (x.alert) st.alerts.set(x.id, x.alert);
          if (x.result === 'already_acked' && x.alert) by.add(x.alert.ack_by);
          if (x.result !== 'failed') st.selected.delete(x.id);
        }
      }
      $('bulk-result').textContent = ['acknowledged ' + (n.acked || 0),
        n.already_acked ? n.already_acked + ' acknowledged already (by ' + [...by].join(', ') + ')' : '',
        n.resolved ? n.resolved + ' resolved meanwhile (left as they were)' : '', n.not_found ? n.not_found + ' gone' : '',
        n.failed ? n.failed + ' failed: still selected, try again' : ''].filter(Boolean).join(', ');
      if (!n.failed) $('bulk-note').value = '';
    } catch (e) { $('bulk-result').textContent = 'not acknowledged: ' + e.message; $('bulk-result').classList.add('error'); }
    settleBanner();
    renderAlerts('');
    // the button is disabled now: the focus goes to what became of them
    if (document.activeElement === document.body || document.activeElement === $('bulk-ack')) focusResult($('bulk-result'));
    const box = $('alert-detail');
    if (!box.classList.contains('hidden') && ids.includes(box.dataset.id)) showAlert(box.dataset.id).catch(() => { });
  });

  // openAlert shows alert id's detail. When it cannot be read (the
  // dashboard unreachable: "Failed to fetch") the card says so, for that
  // alert, in place of the one shown before, and a page that got no answer
  // tries again with the open detail's refresh (followAlertDetail). Before,
  // the card kept the alert shown before, the error in the console alone
  // (TestBrowserAlertDetailUnreachable).
  function openAlert(id) {
    return showAlert(id).catch((e) => {
      if (e.message === 'log in first') return;
      const box = $('alert-detail'), a = st.alerts.get(id), noAnswer = e instanceof TypeError;
      box.replaceChildren(el('h2', { text: a ? a.severity.toUpperCase() + ': ' + a.summary : 'Alert ' + id }),
        el('p', { id: 'alert-detail-msg', class: 'error', role: 'alert',
          text: 'Not shown: ' + (noAnswer ? 'the dashboard did not answer (' + e.message + '); tried again every 15 s' : e.message) }));
      box.classList.remove('hidden');
      box.dataset.id = id; box.dataset.live = noAnswer ? '1' : '';
      markShownRow();
    });
  }
  async function showAlert(id) {
    const d = await api('GET', '/alerts/' + encodeURIComponent(id));
    const a = d.alert, box = $('alert-detail');
    listStored(a);
    box.classList.remove('hidden');
    const probs = Object.entries(a.room_probs || {}).sort((x, y) => y[1] - x[1])
      .map(([r, p]) => el('li', { text: r + ': ' + (p * 100).toFixed(0) + '%' }));
    const dets = d.detections.map((r) => {
      const li = el('li', { text: fmtT(r.time_ns) + ' ' + (r.label || r.class) + ' ' + (r.center_hz / 1e6).toFixed(3) + ' MHz ' + r.power_dbm.toFixed(0) + ' dBm @' + r.sensor + ' ' });
      if (r.snippet && (d.snippets_gone || []).includes(r.snippet)) {
        li.append(el('span', { class: 'snippet-gone', text: 'IQ not on this server', title: 'the sensor has not sent it (yet), or rotated it out before the alert asked to keep it' }));
      } else if (r.snippet && ranks[st.me.role] >= ranks.analyst) { // raw IQ is evidence: analysts only, as the server says
        li.append(el('a', { href: '/api/v1/snippets/' + encodeURIComponent(r.snippet), text: 'IQ (.sigmf)', title: 'the detection\'s IQ snippet as a SigMF archive' }));
        const b = el('button', { class: 'replay-snippet', text: 'replay', title: 'run the snippet through the pipeline on the Replay page' });
        b.addEventListener('click', () => { st.replayPick = snippetPath(r.snippet); location.hash = '#replay'; });
        li.append(' ', b);
      }
      return li;
    });
    // What the officer acts on comes first: the alert's state and room,
    // then the acknowledgement (or who gave it), then what it rests on.
    // A firing alert gathers up to 50 detections: the first 10 are shown,
    // the rest behind "show all N" (kept open while the detail follows the
    // alert), so the Acknowledge button is not 5,000 px down the card
    // (TestBrowserAlertDetailAckFirst).
    // The summary's room probabilities are as fusion announced them, at
    // firing (a drone rule's alert's follow its fixes, whatever its class:
    // the server says its rule_kind; docs/alerts.md); the list of rooms
    // below follows the store (every minute): each says when it is of, so
    // two numbers for a room do not read as a contradiction
    // (TestBrowserAlertProbsSayWhen).
    const drone = d.rule_kind === 'drone';
    const kids = [el('h2', { text: a.severity.toUpperCase() + ': ' + a.summary }),
      el('p', { id: 'summary-when', class: 'note', text: 'Summary: ' + (drone ? 'as of its latest fix (' + fmtToday(a.updated_ns) : 'at firing (' + fmtToday(a.active_ns)) + ')' }),
      el('p', { class: 'alert-state', text: 'Rule ' + a.rule + ' · room ' + (a.room || '?') + ' · zone ' + (a.zone || '?') + ' · ' + a.state })];
    if (a.ack_by) kids.push(el('p', { class: 'acked-by', text: 'Acknowledged by ' + a.ack_by + (a.ack_ns ? ' at ' + fmtT(a.ack_ns) : '') + ': ' + (a.ack_note || '') }));
    else if (ranks[st.me.role] >= ranks.officer) {
      // A critical alert is acknowledged only with a note saying what was
      // done (the server refuses one without: 400); the page asks for it
      // before sending. A form: Enter in the note acknowledges. A refusal
      // is shown under it, the note keeping what was typed.
      const crit = a.severity === 'critical';
      const note = el('input', { id: 'ack-note', maxlength: '2000', 'aria-describedby': 'ack-msg', 'aria-label': 'acknowledgement note (what was done)',
        placeholder: crit ? 'what was done (required)' : 'what was done' });
      if (crit) note.setAttribute('aria-required', 'true');
      const btn = el('button', { id: 'ack-btn', type: 'submit', text: 'Acknowledge' });
      const msg = el('p', { id: 'ack-msg', class: 'error', role: 'alert' });
      const form = el('form', { id: 'ack-form', class: 'row', novalidate: '' }, note, btn);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (crit && !note.value.trim()) {
          msg.textContent = 'A critical alert needs a note to be acknowledged: say what was done (searched, found, false alarm).';
          note.focus();
          return;
        }
        msg.textContent = '';
        btn.disabled = true;
        // onAlert settles the banner: it stays while it is about another
        // alert still firing unacknowledged (TestBrowserAckKeepsOtherBanner)
        // then the focus goes to the alert's row (TestBrowserAlertFocusKept)
        try {
          onAlert(await api('POST', '/alerts/' + encodeURIComponent(a.id) + '/ack', { note: note.value }), false);
          await openAlert(a.id);
          focusResult(document.querySelector('#alert-rows tr[data-id="' + CSS.escape(a.id) + '"]') || box);
        }
        catch (e) { msg.textContent = 'Not acknowledged: ' + e.message; btn.disabled = false; note.focus(); }
      });
      kids.push(form, msg);
    }
    const shownDets = 10, all = st.evidenceAll === a.id;
    dets.forEach((li, i) => li.classList.toggle('hidden', i >= shownDets && !all));
    kids.push(el('h3', { id: 'probs-when', text: 'Room probabilities ' + (a.state === 'resolved' ? 'at the end' : 'now') + ' (' + fmtToday(a.updated_ns) + ')' }), el('ul', {}, ...probs),
      el('h3', { text: 'Sensors that heard it' }), el('p', { text: d.sensors.join(', ') || '—' }),
      el('h3', { text: 'Evidence' + (dets.length > shownDets ? ' (' + dets.length + ' detections)' : '') }), el('ul', { id: 'evidence' }, ...dets));
    if (dets.length > shownDets) {
      const more = el('button', { type: 'button', id: 'evidence-more', class: 'small', 'aria-controls': 'evidence' });
      const show = (on) => {
        st.evidenceAll = on ? a.id : '';
        dets.forEach((li, i) => li.classList.toggle('hidden', i >= shownDets && !on));
        more.textContent = on ? 'show the first ' + shownDets + ' only' : 'show all ' + dets.length;
        more.setAttribute('aria-expanded', String(on));
      };
      show(all);
      more.addEventListener('click', () => show(st.evidenceAll !== a.id));
      kids.push(more);
    }
    keepFocusIn(box, () => box.replaceChildren(...kids));
    box.dataset.id = a.id;
    box.dataset.live = a.state === 'pending' || a.state === 'firing' ? '1' : '';
    markShownRow();
  }
  // listStored puts alert a as the store has it (the detail reads it)
  // into the list when it is as new as the list's, or newer: fusion
  // stores what changes between its publications without publishing it
  // (a drone's summary as it stays in its room, docs/alerts.md), and the
  // row kept the summary the list last read, up to a minute, while the
  // detail beside it showed the new one (TestBrowserAlertListFollowsDetail).
  // The row is made again only when what it shows changed.
  const rowOf = (a) => JSON.stringify([a.summary, a.room, a.zone, a.state, a.severity, a.rule, a.active_ns, a.ack_by, a.ack_ns, a.escalations]);
  function listStored(a) {
    const cur = st.alerts.get(a.id);
    if (!cur || a.updated_ns < cur.updated_ns || rowOf(a) === rowOf(cur)) return;
    a.liveSeq = ++st.alertSeq; // a list read meanwhile began before it: it keeps this
    st.alerts.set(a.id, a);
    settleBanner();
    renderAlerts('');
  }
  // An open detail of a live alert follows the evidence and room
  // probabilities fusion stores every 10 s without publishing them
  // (docs/alerts.md), unless an officer is writing an acknowledgement note.
  function followAlertDetail() {
    const box = $('alert-detail'), note = $('ack-note');
    if (!st.me || $('page-alerts').classList.contains('hidden') || box.classList.contains('hidden') || !box.dataset.live) return false;
    if (note && (note.value || document.activeElement === note)) return false;
    return showAlert(box.dataset.id).then(() => true, () => false);
  }
  setInterval(followAlertDetail, 15000);
  window.rfwFollowAlertDetail = followAlertDetail; // the browser test's tick

  // ---- heatmap
  // heatSteps scales the colours to the floor's busiest room (but for the
  // outside catch-alls): 1+, about max^½ and max^0.8, so the rooms that stand
  // out stay visible whether the window holds ten detections or ten thousand.
  function heatSteps(max) {
    const a = Math.max(2, Math.round(Math.sqrt(max))), b = Math.max(a + 1, Math.round(Math.pow(max, 0.8)));
    return [1, a, b];
  }
  // The steps are viridis's (blue, green, yellow): they grow lighter as the
  // count grows, so they stay apart for red-green colour-blind officers
  // (TestTUIHeatColoursTellApartColourBlind), and each room's count is
  // written on it as well (roomCount).
  const heatColour = (n, [s1, s2, s3]) => n >= s3 ? '#fde725' : n >= s2 ? '#35b779' : n >= s1 ? '#31688e' : '#1d2633';
  // heatStep is the step of heatColour, 0 (none) to 3 (the yellow): the
  // room's data-heat, by which its outlines (app.css) and hatch (#hatch
  // light over the dark steps, #hatch-dark over the green and the yellow)
  // keep 3:1 against its colour (TestTUIHeatOverlayContrast).
  const heatStep = (n, [s1, s2, s3]) => n >= s3 ? 3 : n >= s2 ? 2 : n >= s1 ? 1 : 0;
  async function loadHeatmap() {
    if (!st.site) { $('floor').textContent = 'No site model loaded.'; return; }
    delete $('page-heatmap').dataset.drawn;
    const floor = $('h-floor').value || st.site.floors[0].id, hour = $('h-hour').value;
    st.floorSVG = st.floorSVG || new Map(); // a floor's drawing never changes while the page is open
    const [svg, heat, locs] = await Promise.all([
      st.floorSVG.get(floor) || api('GET', '/floors/' + encodeURIComponent(floor) + '/svg'),
      api('GET', '/heatmap?window=' + $('h-window').value + '&hour=' + (hour < 0 ? 'all' : hour) + '&show=' + $('h-show').value),
      api('GET', '/locations?minutes=' + trackMinutes())]);
    st.floorSVG.set(floor, svg);
    $('leg-ttl').textContent = trackMinutes();
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    $('floor').replaceChildren(document.importNode(doc.documentElement, true));
    roomsFocusable();
    paintHeat(heat, floor);
    drawTracks(locs);
    drawn('heatmap', heat.length);
    loadSearch();
    return true;
  }
  // paintHeat colours the drawn floor's rooms by heat (the /heatmap answer)
  // and writes each room's count on it, under its name, and into its
  // tooltip.
  function paintHeat(heat, floor) {
    const outside = new Set(st.site.rooms.filter((r) => r.kind === 'outside').map((r) => r.id));
    const steps = heatSteps(Math.max(0, ...heat.filter((h) => h.floor === floor && !outside.has(h.room)).map((h) => h.count)));
    steps.forEach((v, i) => { $('leg-' + (i + 1)).textContent = v + '+'; });
    for (const h of heat) {
      const p = $('floor').querySelector('polygon[data-room="' + CSS.escape(h.room) + '"]');
      if (!p) continue;
      p.dataset.count = h.count; p.dataset.status = h.status;
      // the outside catch-alls lie around (and under) the building: left
      // uncoloured, or their heat would tint every room drawn over them
      if (!outside.has(h.room)) {
        p.setAttribute('fill', heatColour(h.count, steps));
        p.dataset.heat = heatStep(h.count, steps);
        hatch(p, h.status === 'unknown');
        roomCount(p, h.count);
      }
      const title = p.querySelector('title');
      title.dataset.name ??= title.textContent;
      title.textContent = title.dataset.name + ' — ' + h.count + ($('h-show').value === 'targets' ? ' located phone/drone transmissions' : ' located unauthorised transmissions') + (h.status === 'unknown' ? ' (zone unknown)' : '');
    }
  }
  // roomsFocusable lets the drawn floor's rooms be reached by keyboard as
  // by the pointer: each takes the focus (Tab), is named by its name and
  // ID, and Enter or Space on it does what a click does (showRoom). They
  // could only be hovered (TestBrowserRoomsByKeyboard).
  function roomsFocusable() {
    for (const p of $('floor').querySelectorAll('polygon.room')) {
      const name = (p.querySelector('title')?.textContent || '').replace(/ \([^()]*\)$/, ''), id = p.dataset.room;
      p.setAttribute('tabindex', '0'); p.setAttribute('role', 'button');
      p.setAttribute('aria-label', 'room ' + (name && name !== id ? name + ' (' + id + ')' : id));
    }
  }
  // showRoom selects room p (outlined) and says under the plan what its
  // tooltip says (its name, zone and count) and which markers are in it.
  function showRoom(p) {
    for (const q of $('floor').querySelectorAll('polygon.room.selected')) q.classList.remove('selected');
    p.classList.add('selected');
    const marks = [...$('floor').querySelectorAll('#emitters g[data-track]')].filter((e) => e.dataset.room === p.dataset.room).map((e) => e.dataset.track);
    $('room-info').textContent = p.querySelector('title').textContent + (marks.length ? '; located in it now: ' + marks.join(', ') : '');
  }
  $('floor').addEventListener('click', (ev) => { const p = ev.target.closest && ev.target.closest('polygon.room'); if (p) showRoom(p); });
  $('floor').addEventListener('keydown', (ev) => {
    const p = ev.target.closest && ev.target.closest('polygon.room');
    if (!p || (ev.key !== 'Enter' && ev.key !== ' ') || ev.repeat) return;
    ev.preventDefault(); showRoom(p);
  });
  // roomCount writes count n on room p, a line under the room's name (the
  // server's text.room-label after the polygon and its hatch), at its size.
  function roomCount(p, n) {
    let label = p.nextElementSibling;
    if (label && label.classList.contains('hatch')) label = label.nextElementSibling;
    if (!(label && label.classList.contains('room-label'))) return; // a room too odd to be labelled
    let c = label.nextElementSibling;
    if (!(c && c.classList.contains('room-count'))) {
      c = document.createElementNS('http://www.w3.org/2000/svg', 'text');
      const size = parseFloat(label.getAttribute('font-size'));
      for (const [k, v] of [['class', 'room-count'], ['x', label.getAttribute('x')], ['y', parseFloat(label.getAttribute('y')) + size * 1.15],
        ['font-size', size], ['text-anchor', 'middle'], ['dominant-baseline', 'middle'], ['pointer-events', 'none']]) c.setAttribute(k, v);
      c.dataset.room = p.dataset.room;
      label.after(c);
    }
    c.textContent = String(n);
  }
  // hatch marks room p's zone as of unknown coverage (on) or not: a
  // see-through hatched copy of its polygon over it, so its heat colour
  // stays visible under the hatching (a sensor offline does not hide a
  // week's heat), and clicks and tooltips go to the room. Its lines are
  // light over the dark steps and dark over the green and the yellow
  // (p.dataset.heat: heatStep).
  function hatch(p, on) {
    let h = p.nextElementSibling;
    if (!(h && h.classList.contains('hatch'))) h = null;
    if (!on) { if (h) h.remove(); return; }
    if (!h) {
      h = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
      h.setAttribute('class', 'hatch'); h.setAttribute('data-room', p.dataset.room);
      h.setAttribute('points', p.getAttribute('points'));
      h.setAttribute('pointer-events', 'none');
      p.after(h);
    }
    h.setAttribute('fill', Number(p.dataset.heat) >= 2 ? 'url(#hatch-dark)' : 'url(#hatch)');
  }
  // While the floor plan is on screen its heat and search list follow the
  // new detections: a few seconds after a fix arrives (at most every 5 s),
  // and every minute (the window slides).
  async function refreshHeat() {
    if ($('page-heatmap').classList.contains('hidden') || document.hidden || !$('floor').querySelector('svg')) return;
    const floor = $('floor').querySelector('svg').dataset.floor, hour = $('h-hour').value;
    const heat = await api('GET', '/heatmap?window=' + $('h-window').value + '&hour=' + (hour < 0 ? 'all' : hour) + '&show=' + $('h-show').value);
    if ($('floor').querySelector('svg')?.dataset.floor !== floor) return; // the floor changed meanwhile
    paintHeat(heat, floor);
    loadSearch();
    return true;
  }
  // heatFailed says at the top of the floor plan page why its heat or
  // tracks are not shown (InfluxDB down: 503 with what is wrong), as the
  // page's first load does (route), for its refreshes and its controls;
  // heatShown clears it once they read again (each returns true when it
  // read). They failed in the console alone, under a plan that kept its
  // old colours.
  function heatFailed(e) {
    console.error(e);
    const err = $('page-heatmap').querySelector(':scope > .page-error');
    if (err && e.message !== 'log in first') err.textContent = 'Not shown: ' + e.message;
  }
  function heatShown() {
    const err = $('page-heatmap').querySelector(':scope > .page-error');
    if (err) err.textContent = '';
  }
  const heatRead = (p) => p.then((read) => { if (read) heatShown(); }, heatFailed);
  // Without the live feed from the broker, the tracks are read again each
  // minute too (no fix arrives live).
  // A floor plan not drawn for want of its heat (InfluxDB down) is
  // loaded again then, so it comes back by itself.
  setInterval(() => {
    if (st.site && !$('page-heatmap').classList.contains('hidden') && !document.hidden && !$('floor').querySelector('svg')) {
      heatRead(loadHeatmap());
      return;
    }
    heatRead(refreshHeat());
    if (!feedLive()) heatRead(refreshTracks());
  }, 60000);
  // A page shown again (a laptop woken, a tab brought back) reads the
  // tracks and heat again: nothing was drawn or aged meanwhile.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    heatRead(refreshTracks());
    heatRead(refreshHeat());
  });
  function scheduleHeatRefresh() {
    if (st.heatTimer) return;
    const wait = Math.max(1000, 5000 - (Date.now() - (st.heatAt || 0)));
    st.heatTimer = setTimeout(() => {
      st.heatTimer = null; st.heatAt = Date.now();
      heatRead(refreshHeat());
    }, wait);
  }
  ['h-floor', 'h-window', 'h-show'].forEach((id) => $(id).addEventListener('change', () => heatRead(loadHeatmap())));
  $('h-hour').addEventListener('input', () => { const v = $('h-hour').value; $('h-hour-label').textContent = v < 0 ? 'all' : v + ':00'; });
  $('h-hour').addEventListener('change', () => heatRead(loadHeatmap()));

  // A track stays drawn for the server's track window after its last fix
  // (GET /site's track_minutes, 30; the page reads /locations over it),
  // reckoned on the server's clock (serverNow): a phone heard at 00:25 is
  // off a screen left open on a quiet night at 00:55, with its room's
  // outline. Every 15 s, and whenever the server sends its clock, the
  // markers are aged: taken off after the window, their label saying how
  // old their fix is, fading as it ages.
  const trackMinutes = () => (st.site && st.site.track_minutes) || 30;
  // The server's clock, in ns: the latest now_ns it sent (GET /me, the
  // live feed's feed events: at connect, on change, every 15 s) plus the
  // time since on this browser, counted by differences of Date.now() alone
  // (they count a laptop's sleep; the browser's own clock may be off, and
  // the demo's is simulated). A fix's time is the sensor's clock, up to
  // fusion's 30 s (MaxAhead) ahead of the server's: it is "now" only until
  // the server's clock is known. Until 2026-12-08 now was never before the
  // newest fix, and one sensor stamping ahead aged every track early
  // (TestBrowserTrackAgeIgnoresFixAhead).
  function syncClock(ns) { if (ns > 0) st.clock = { ns, at: Date.now() }; }
  function serverNow() {
    const c = st.clock;
    return c ? c.ns + (Date.now() - c.at) * 1e6 : st.newestFix || 0;
  }
  function ageTracks(mark = true) {
    const svg = $('floor').querySelector('svg');
    if (!svg) return;
    const now = serverNow(), ttl = trackMinutes() * 60e9;
    let gone = false;
    for (const e of svg.querySelectorAll('#emitters g[data-track]')) {
      const age = now - Number(e.dataset.time);
      if (age > ttl) { e.remove(); gone = true; } else showAge(e, age, ttl);
    }
    for (const [id, t] of st.tracks) if (now - t.latest.time_ns > ttl) st.tracks.delete(id);
    spaceAges(svg);
    if (gone && mark) markLocated(svg);
  }
  setInterval(() => ageTracks(true), 15000);
  window.rfwAgeTracks = () => ageTracks(true); // the browser test's tick
  // showAge labels marker e with its fix's age and fades it, down to 40%
  // at the end of the window.
  function showAge(e, age, ttl) {
    const min = Math.floor(Math.max(0, age) / 60e9), text = min < 1 ? 'just now' : min + ' min ago';
    const label = e.querySelector('text.emitter-age'), title = e.querySelector('title');
    if (label && label.textContent !== text) label.textContent = text;
    if (title) title.textContent = e.dataset.title + ' (' + text + ')';
    e.style.opacity = (1 - 0.6 * Math.min(1, Math.max(0, age) / ttl)).toFixed(2);
  }
  // spaceAges leaves off the age label of a marker whose label box would
  // cross a newer marker's (the newer kept first): close fixes wrote their
  // ages over each other. The age of one left off is in its tooltip
  // (TestBrowserTrackAgesApart). The labels are all shown, then measured,
  // then hidden: one layout, not one per label as each fix arrives.
  function spaceAges(svg) {
    const labels = [...svg.querySelectorAll('#emitters g[data-track]')].sort((x, y) => Number(y.dataset.time) - Number(x.dataset.time))
      .map((e) => e.querySelector('text.emitter-age')).filter(Boolean);
    for (const t of labels) t.removeAttribute('display');
    const boxes = labels.map((t) => t.getBBox()), kept = [];
    const cross = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    labels.forEach((t, i) => { if (kept.some((k) => cross(boxes[i], k))) t.setAttribute('display', 'none'); else kept.push(boxes[i]); });
  }
  // drawTracks draws the tracks of a /locations answer (its fixes newest
  // first from the store), each where its counted fixes put it
  // (shownFix). Given before (a st.fixSeq), it first takes off the drawn
  // tracks the answer lacks that no fix updated after before. An answer a
  // bound cut (truncated: too many fixes or tracks in the window) is said
  // so under the floor plan.
  function drawTracks(ans, before) {
    const svg = $('floor').querySelector('svg');
    if (!svg) return;
    const cut = $('tracks-cut');
    cut.classList.toggle('hidden', !ans.truncated);
    cut.textContent = ans.truncated ? 'Too many fixes in the last ' + trackMinutes() + ' min to draw them all: only the tracks heard after ' +
      fmtT(ans.complete_from_ns) + ' are drawn (at most ' + ans.max_tracks + ' tracks).' : '';
    const tracks = new Map();
    for (const l of ans.fixes) tracks.set(l.track, noteFix(l));
    if (before !== undefined) {
      for (const e of svg.querySelectorAll('#emitters g[data-track]')) {
        if (!tracks.has(e.dataset.track) && Number(e.dataset.seq) <= before) { e.remove(); st.tracks.delete(e.dataset.track); }
      }
    }
    for (const t of tracks.values()) drawTrack(t, false);
    ageTracks(false);
    markLocated(svg);
  }
  // refreshTracks reads the tracks again while the floor plan is shown.
  async function refreshTracks() {
    if (!st.me || $('page-heatmap').classList.contains('hidden') || document.hidden || !$('floor').querySelector('svg')) return;
    const floor = $('floor').querySelector('svg').dataset.floor, before = st.fixSeq || 0;
    const locs = await api('GET', '/locations?minutes=' + trackMinutes());
    if ($('floor').querySelector('svg')?.dataset.floor !== floor) return; // the floor changed meanwhile
    drawTracks(locs, before);
    return true;
  }

  // onLocation records fix l in its track's history (noteFix) and draws
  // (or moves) the track's marker (drawTrack): a dot and its 95% ellipse.
  // A fix whose most likely room has less than the site's place_min_prob
  // (fusion's PlaceMinProb, below which the heatmap does not count it
  // either), or ties with more rooms than place_max_tie (placed), names no
  // room: it is not counted, for the room that won a near tie of many (a
  // drone's controller outside the wall, 4% on each of twenty rooms) is no
  // more where the target is than the others. A track none of whose fixes
  // is counted is drawn at its latest as "location uncertain": no room
  // outlined or named.
  // placed is fusion's rule for counting a fix l on the heatmap
  // (store.Counts): its most likely room at least place_min_prob likely (a
  // negative one places every fix), tied with no more than place_max_tie
  // rooms (four cells at 20% each: fusion counts none on the heatmap and
  // its alert names none), and, under place_weak_prob, at least
  // place_margin times as likely as the next room not tied with it (11%
  // against 9% is counted nowhere).
  function placed(l) { return !unplacedWhy(l); }
  // unplacedWhy says which of those rules a fix l fails ('' when placed),
  // for the marker's tooltip: "no room reaches 10%" was said of a fix at
  // 27% that failed the margin.
  function unplacedWhy(l) {
    const min = st.site.place_min_prob, pc = (p) => (p * 100).toFixed(0) + '%';
    if (min < 0) return '';
    if (!(l.room_prob >= min)) return 'no room reaches ' + pc(min);
    const near = l.room_prob - (st.site.place_tie_tolerance || 0) * l.room_prob;
    const probs = Object.values(l.room_probs || {});
    const ties = probs.filter((p) => p >= near).length;
    if (st.site.place_max_tie > 0 && ties > st.site.place_max_tie) return ties + ' rooms alike at ' + pc(l.room_prob);
    if (!(l.room_prob < st.site.place_weak_prob)) return '';
    const next = Math.max(0, ...probs.filter((p) => p < near));
    return l.room_prob >= st.site.place_margin * next ? '' : 'its likeliest room, ' + pc(l.room_prob) + ', not ' + st.site.place_margin + ' times the next, ' + pc(next);
  }

  // A phone's marker stands for the room most of its last countLast
  // counted fixes (those naming a room: placed) on its floor name, not for
  // its latest fix alone: a phone that lay still in a cell for 20 minutes
  // and whose last fix strayed to the next cell, or named no room,
  // outlined the next cell or none (TestBrowserTrackKeepsItsRoom).
  const countLast = 10;
  // noteFix records fix l in its track's history (st.tracks): its latest
  // fix and, oldest first, its last countLast counted fixes heard within
  // the track window before the latest; a fix already recorded (the same
  // time, from the live feed and a reading of /locations) counts once.
  function noteFix(l) {
    let t = st.tracks.get(l.track);
    if (!t) st.tracks.set(l.track, t = { latest: l, counted: [] });
    if (l.time_ns > t.latest.time_ns) t.latest = l;
    if (placed(l) && !t.counted.some((c) => c.time_ns === l.time_ns)) t.counted.push(l);
    const from = t.latest.time_ns - trackMinutes() * 60e9;
    t.counted = t.counted.filter((c) => c.time_ns >= from).sort((a, b) => a.time_ns - b.time_ns).slice(-countLast);
    return t;
  }
  // shownFix is the fix track t's marker is drawn at, how many of the
  // counted fixes it went by name that fix's room (n) and how many it went
  // by (of). A drone's is its latest fix: a drone alert follows every fix
  // (docs/alerts.md), and its marker lagged the alert's card while its age
  // said the latest fix. A phone's: of the rooms named by its counted
  // fixes since it came to its latest fix's floor (a floor change starts
  // afresh: a phone carried upstairs stayed drawn downstairs until most of
  // its last 10 fixes were upstairs), the one most of them name (a tie:
  // the one named latest), at its latest fix there; with none, its latest
  // fix (n 0).
  function shownFix(t) {
    const last = t.latest;
    if (droneClasses.includes(last.class)) return { fix: last, n: placed(last) ? 1 : 0, of: 1 };
    let i = t.counted.length;
    while (i > 0 && t.counted[i - 1].floor === last.floor) i--;
    const on = t.counted.slice(i), by = new Map();
    for (const c of on) by.set(c.room, { fix: c, n: (by.get(c.room)?.n || 0) + 1 }); // oldest first: fix is the room's latest
    let best = { fix: last, n: 0 };
    for (const v of by.values()) if (v.n > best.n || (v.n === best.n && v.fix.time_ns > best.fix.time_ns)) best = v;
    return { ...best, of: on.length };
  }

  function onLocation(l, mark = true) {
    if ($('floor').querySelector('svg')) drawTrack(noteFix(l), mark);
  }
  // drawTrack draws (or moves) track t's marker at its shownFix. A track
  // whose shown fix is on another floor, or whose latest fix is of an
  // authorised device (or not a target, when only targets are shown), is
  // taken off this floor. Rooms holding a drawn track are outlined
  // ("located"), unless mark is false (the caller marks them once after
  // many fixes). The marker's age and its going after the track window
  // are its latest fix's.
  function drawTrack(t, mark) {
    const svg = $('floor').querySelector('svg');
    if (!svg) return;
    const g = svg.querySelector('#emitters'), yf = parseFloat(svg.dataset.yflip);
    const ns = 'http://www.w3.org/2000/svg';
    const last = t.latest, { fix: l, n, of } = shownFix(t);
    let e = g.querySelector('[data-track="' + CSS.escape(last.track) + '"]');
    if (svg.dataset.floor !== l.floor || last.authorised || (!last.target && $('h-show').value === 'targets')) {
      if (e) { e.remove(); if (mark) markLocated(svg); }
      return;
    }
    if (!e) {
      e = document.createElementNS(ns, 'g'); e.setAttribute('data-track', l.track);
      const age = document.createElementNS(ns, 'text'); age.setAttribute('class', 'emitter-age');
      e.append(document.createElementNS(ns, 'ellipse'), document.createElementNS(ns, 'circle'), document.createElementNS(ns, 'title'), age);
      g.append(e);
    }
    e.dataset.seq = st.fixSeq = (st.fixSeq || 0) + 1;
    const vague = n === 0;
    e.dataset.time = last.time_ns; e.dataset.room = vague ? '' : l.room; e.dataset.target = last.target ? '1' : '0';
    e.classList.toggle('vague', vague);
    const [ell, dot, , age] = e.children, y = yf - l.y_m;
    // the dot keeps a readable size whatever the drawing's scale
    const vb = svg.viewBox.baseVal, r = Math.max(0.3, Math.max(vb.width, vb.height) / 150);
    // an emitter fusion does not alert on (a downlink, Wi-Fi, unnamed
    // energy) is drawn muted, when all unauthorised ones are shown
    const other = last.target ? '' : ' other';
    ell.setAttribute('class', 'emitter' + other); ell.setAttribute('cx', l.x_m); ell.setAttribute('cy', y);
    ell.setAttribute('rx', Math.max(l.semi_major_m, 0.2)); ell.setAttribute('ry', Math.max(l.semi_minor_m, 0.2));
    ell.setAttribute('stroke-width', r / 3);
    ell.setAttribute('transform', 'rotate(' + (-l.angle_rad * 180 / Math.PI) + ' ' + l.x_m + ' ' + y + ')');
    dot.setAttribute('class', 'emitter-dot' + other); dot.setAttribute('cx', l.x_m); dot.setAttribute('cy', y); dot.setAttribute('r', r);
    e.dataset.title = last.class + (last.link && last.link !== 'unknown' ? ' ' + last.link : '') + ' ' + last.track +
      (vague ? ': location uncertain (' + unplacedWhy(l) + ')' : ' in ' + l.room + ' (' + (l.room_prob * 100).toFixed(0) + '%)' +
        (of > 1 ? ', named by ' + n + ' of its last ' + of + ' fixes that name a room' : '')) +
      ', ' + fmtT(l.time_ns) + (l !== last ? '; last heard ' + fmtT(last.time_ns) : '');
    // its age beside the dot, readable over any room
    age.setAttribute('x', l.x_m + r * 1.6); age.setAttribute('y', y); age.setAttribute('font-size', r * 1.5);
    age.setAttribute('stroke-width', r / 2.5); age.setAttribute('dominant-baseline', 'middle');
    st.newestFix = Math.max(st.newestFix || 0, last.time_ns);
    if (mark) { ageTracks(false); markLocated(svg); } else showAge(e, serverNow() - last.time_ns, trackMinutes() * 60e9); // the caller ages them all
  }
  function markLocated(svg) {
    if (!svg) return;
    // only a target outlines its room: a muted downlink does not mark a
    // cell, nor does a fix too vague to name one
    const rooms = new Set([...svg.querySelectorAll('#emitters g[data-target="1"]:not(.vague)')].map((e) => e.dataset.room));
    for (const p of svg.querySelectorAll('polygon.room')) p.classList.toggle('located', rooms.has(p.dataset.room));
  }

  // loadSearch lists the rooms to search, each with a note field, found /
  // not found, and the room's last outcome (GET /search's outcome: who,
  // when, the note) while it is kept; a later outcome replaces an earlier
  // one, so a misclick is put right by clicking the right one. The list
  // follows the heat (every few seconds): it is not drawn again while a
  // note is being typed (#search-paused says so), and a note typed is kept
  // (st.searchNotes) until it is sent.
  // scoreTitle says what room r's score is made of, with the parts GET
  // /search gives (emitters: each phone or drone located in the last 30
  // min adds its probability of being in the room, one emitter weighs at
  // most 1; located: each transmission located there in the last hour
  // adds the answer's recent_weight, up to its recent_max, never a copy of
  // either). "score 7.48" was unexplained (TestBrowserSearchScoreSaid).
  function scoreTitle(r, ans) {
    const n = r.recent || 0, each = n ? ', ' + ans.recent_weight + ' for each, at most ' + ans.recent_max : '';
    return 'score ' + r.score.toFixed(2) + ' = ' + r.emitters.toFixed(2) + ' (phones and drones located in the last 30 min, each by its probability of being here: one emitter weighs at most 1) + ' +
      r.located.toFixed(2) + ' (' + n + ' transmissions located here in the last hour' + each + ')';
  }
  async function loadSearch() {
    if (ranks[st.me.role] < ranks.officer) { $('search-legend').hidden = true; $('search-list').replaceChildren(el('li', { text: 'officers only' })); return; }
    const typing = () => document.activeElement && document.activeElement.matches('#search-list input');
    // while a note has focus the list is not redrawn, and says so: an
    // officer who left the cursor in a note saw an old ranking otherwise
    const paused = (on) => { $('search-paused').hidden = !on; };
    if (typing()) { paused(true); return; }
    const ans = await api('GET', '/search'), rooms = ans.rooms;
    if (typing()) { paused(true); return; }
    paused(false);
    // the legend quotes the answer's weight and cap, so it is shown once
    // an answer has given them (it read "plus  for each ... up to ." before
    // the first, and always to a viewer; TestBrowserSearchLegendNoBlanks)
    $('leg-rw').textContent = ans.recent_weight; $('leg-rmax').textContent = ans.recent_max;
    $('search-legend').hidden = false;
    st.searchNotes = st.searchNotes || new Map();
    st.searchErrors = st.searchErrors || new Map();
    $('search-list').replaceChildren(...rooms.map((r) => {
      const where = r.name || r.room;
      const found = el('button', { text: 'found', 'aria-label': 'found in ' + where }), none = el('button', { text: 'not found', 'aria-label': 'not found in ' + where });
      const note = el('input', { type: 'text', class: 'search-note', maxlength: '2000', placeholder: 'note (optional)', 'aria-label': 'note for ' + (r.name || r.room) });
      note.value = st.searchNotes.get(r.room) || '';
      note.addEventListener('input', () => { if (note.value) st.searchNotes.set(r.room, note.value); else st.searchNotes.delete(r.room); });
      // a refusal is said in the room's line (st.searchErrors keeps it
      // through the list's refreshes until an outcome for the room is stored)
      const msg = el('span', { class: 'error search-msg', role: 'alert', text: st.searchErrors.get(r.room) || '' });
      const rec = async (f) => {
        found.disabled = none.disabled = true;
        msg.textContent = ''; st.searchErrors.delete(r.room);
        try {
          await api('POST', '/search/outcome', { room: r.room, found: f, note: note.value });
          st.searchNotes.delete(r.room);
          note.value = '';
          await loadSearch();
        } catch (e) { st.searchErrors.set(r.room, 'Not recorded: ' + e.message); msg.textContent = st.searchErrors.get(r.room); } finally { found.disabled = none.disabled = false; }
      };
      found.addEventListener('click', () => rec(true)); none.addEventListener('click', () => rec(false));
      const li = el('li', { 'data-room': r.room }, el('span', { text: where + ' (' + r.zone + ') ' }),
        el('abbr', { class: 'score', title: scoreTitle(r, ans), text: 'score ' + r.score.toFixed(2) }), el('span', { text: (r.status === 'unknown' ? ' — zone unknown' : '') + ' ' }), note, found, none, msg);
      const o = r.outcome;
      if (o) {
        li.classList.add('searched');
        li.dataset.outcome = o.found ? 'found' : 'not_found';
        li.append(el('div', { class: 'outcome', title: 'a later outcome for this room replaces it', text: 'Last search: ' + (o.found ? 'found' : 'not found') + ' by ' + o.user + ', ' + fmtT(o.time_ns) + (o.note ? ' — ' + o.note : '') + ' (a later outcome replaces it)' }));
      }
      return li;
    }));
    if (!rooms.length) $('search-list').replaceChildren(el('li', { text: 'no rooms to search' }));
    // a window of more fixes than one read walks (GET /search's truncated)
    if (ans.truncated) $('search-list').append(el('li', { class: 'note cut', text: 'Too many fixes in the last 30 min: the list weighs the emitters located after ' + fmtT(ans.complete_from_ns) + ' only.' }));
  }

  // ---- sensors
  // The list puts the sensors that need someone first (statusRank: tampered
  // or jammed, then offline, stalled or never heard, then overloaded or
  // degraded), each by name, and says a problem status in a warning mark
  // (.st-*), not the muted grey an offline sensor was in. A sensor's noise
  // floors and revisit times are a line (bandList: the range or the
  // slowest, the bands behind a disclosure), where they wrapped a row to
  // ~600 px (TestBrowserSensorsCompact).
  const statusRank = { tampered: 0, jammed: 0, offline: 1, stalled: 1, unheard: 1, overloaded: 2, degraded: 2 };
  const rankOf = (s) => statusRank[s.status] ?? 3;
  // bandList is a cell of per-band values: up to two inline, more as a
  // summary (sum) with the whole list behind it.
  function bandList(items, sum) {
    const td = el('td', { class: 'bands' });
    if (items.length <= 2) { td.textContent = items.join(', '); return td; }
    const det = el('details', {}, el('summary', { text: sum }), el('ul', {}, ...items.map((t) => el('li', { text: t }))));
    det.addEventListener('click', (ev) => ev.stopPropagation()); // opening the list is not choosing the sensor
    td.append(det);
    return td;
  }
  async function loadSensors() {
    const ss = await api('GET', '/sensors');
    ss.sort((a, b) => rankOf(a) - rankOf(b) || (a.sensor < b.sensor ? -1 : a.sensor > b.sensor ? 1 : 0));
    st.sensors = new Map(ss.map((s) => [s.sensor, s]));
    if (st.specSensor) { showMaintenance(st.specSensor); specNote(); }
    // a disclosure opened stays open when the list is drawn again (every health report)
    const open = new Set([...$('sensor-rows').querySelectorAll('details[open]')].map((d) => d.closest('tr').dataset.sensor + '|' + d.closest('td').cellIndex));
    keepRowFocus('sensor-rows', () => $('sensor-rows').replaceChildren(...ss.map((s) => {
      const h = s.health || {};
      const nfs = Object.entries(h.noise_floor_dbm || {}), nv = nfs.map(([, v]) => v);
      const nf = bandList(nfs.map(([b, v]) => b + ' ' + v.toFixed(0) + ' dBm'), nfs.length + ' bands, ' + Math.min(...nv).toFixed(0) + '…' + Math.max(...nv).toFixed(0) + ' dBm');
      const span = (b) => { const r = (h.scan_bands_hz || {})[b]; return r ? ' ' + (r[0] / 1e6).toFixed(1) + '–' + (r[1] / 1e6).toFixed(1) + ' MHz' : ''; };
      const rvs = Object.entries(h.revisit_s || {});
      const rv = bandList(rvs.map(([b, v]) => b + span(b) + ' ' + v.toFixed(1) + 's'), rvs.length + ' bands, ≤ ' + Math.max(...rvs.map(([, v]) => v)).toFixed(1) + ' s');
      const bad = rankOf(s) < 3;
      const tr = el('tr', { 'data-sensor': s.sensor, class: bad ? 'problem' : '' }, el('td', { text: s.sensor }),
        el('td', { class: 'st-' + s.status }, el('span', { class: 'badge', text: (bad ? '⚠ ' : '') + s.status })),
        el('td', { class: 'time', text: fmtToday(s.last_heartbeat_ns), title: fmtT(s.last_heartbeat_ns) }), nf, rv, el('td', { text: String(h.outbox_depth || 0) }),
        el('td', { class: 'maint', text: s.maintenance ? 'until ' + fmtT(s.maintenance.until_ns) + ' (' + s.maintenance.by + ': ' + s.maintenance.reason + ')' : '' }));
      for (const d of tr.querySelectorAll('details')) if (open.has(s.sensor + '|' + d.closest('td').cellIndex)) d.open = true;
      return openable(tr, 'sensor-detail', () => { chooseSensor(s.sensor).catch((e) => console.error(e)); });
    })));
  }
  // showMaintenance offers an admin the sensor's maintenance window: start
  // one (no sensor alerts from it meanwhile), or end the running one.
  // A refresh of the list (every health report) leaves the form alone
  // unless the window changed, so a reason being typed stays.
  function showMaintenance(id) {
    const s = st.sensors && st.sensors.get(id), m = s && s.maintenance;
    const key = id + '|' + (m ? m.until_ns + m.reason : '');
    if (st.maintShown === key) return;
    st.maintShown = key;
    // a refusal ("reason: say what is done to the sensor") is said under
    // the form (#maint-msg); the button waits while the request runs
    const msg = el('p', { id: 'maint-msg', class: 'error', role: 'alert' });
    const act = async (btn, method, body) => {
      msg.textContent = ''; btn.disabled = true;
      try { await api(method, '/sensors/' + encodeURIComponent(id) + '/maintenance', body); await loadSensors(); }
      catch (e) { msg.textContent = (method === 'DELETE' ? 'Not ended: ' : 'Not started: ') + e.message; }
      finally { btn.disabled = false; }
    };
    if (m) {
      const end = el('button', { id: 'maint-end', text: 'End maintenance' });
      end.addEventListener('click', () => act(end, 'DELETE'));
      $('maint').replaceChildren(el('span', { text: 'In maintenance until ' + fmtT(m.until_ns) + ': ' + m.reason }), end, msg);
      return;
    }
    const mins = el('select', { id: 'maint-minutes', 'aria-label': 'maintenance duration' }, ...[[30, '30 min'], [60, '1 hour'], [120, '2 hours'], [240, '4 hours'], [480, '8 hours'], [1440, '1 day']]
      .map(([v, t]) => el('option', { value: String(v), text: t })));
    mins.value = '60';
    const why = el('input', { id: 'maint-reason', placeholder: 'reason, e.g. new antenna', title: 'work on the node: no sensor alerts meanwhile', 'aria-label': 'maintenance reason (what is done to the sensor)' });
    const start = el('button', { id: 'maint-start', text: 'Start maintenance' });
    start.addEventListener('click', () => act(start, 'POST', { minutes: Number(mins.value), reason: why.value }));
    $('maint').replaceChildren(mins, why, start, msg);
  }
  // leaveSensor stops the chosen sensor's spectrum when its page is left:
  // the live feed is opened again without ?sensor=, so the frames stop
  // coming and the hidden canvases are not drawn (they streamed on every
  // page before: TestBrowserSpectrumStopsOffSensors). The page opened
  // again asks for a sensor anew.
  function leaveSensor() {
    if (!st.specSensor) return;
    st.specSensor = ''; st.spec = null; st.maintShown = '';
    $('spec-title').textContent = 'Spectrum: choose a sensor';
    specNote();
    $('maint').replaceChildren();
    clearCanvases('spectrum', 'waterfall', 'noise');
    if (st.es) connect();
  }
  function clearCanvases(...ids) {
    for (const id of ids) { const c = $(id); c.getContext('2d').clearRect(0, 0, c.width, c.height); }
  }
  async function chooseSensor(id) {
    st.specSensor = id; st.spec = null; $('spec-title').textContent = 'Spectrum: ' + id;
    clearCanvases('spectrum', 'waterfall');
    showMaintenance(id);
    specNote();
    connect();
    const hs = await api('GET', '/sensors/' + encodeURIComponent(id) + '/health?window=day');
    const c = $('noise'), x = c.getContext('2d');
    x.fillStyle = '#000'; x.fillRect(0, 0, c.width, c.height);
    const bands = [...new Set(hs.flatMap((h) => Object.keys(h.noise_floor_dbm || {})))];
    const cols = ['#58a6ff', '#3fb950', '#d29922', '#f85149', '#bc8cff'];
    bands.forEach((b, i) => {
      const pts = hs.filter((h) => h.noise_floor_dbm && b in h.noise_floor_dbm);
      if (!pts.length) return;
      const vs = pts.map((h) => h.noise_floor_dbm[b]), lo = Math.min(...vs) - 3, hi = Math.max(...vs) + 3;
      const t0 = pts[0].time_ns, t1 = pts[pts.length - 1].time_ns || t0 + 1;
      x.strokeStyle = cols[i % cols.length]; x.beginPath();
      pts.forEach((h, j) => { const px = (h.time_ns - t0) / Math.max(1, t1 - t0) * c.width, py = c.height - (h.noise_floor_dbm[b] - lo) / (hi - lo) * c.height; j ? x.lineTo(px, py) : x.moveTo(px, py); });
      x.stroke(); x.fillStyle = cols[i % cols.length]; x.fillText(b, 5, 12 + 12 * i);
    });
  }
  function colour(v, lo, hi) {
    const t = Math.max(0, Math.min(1, (v - lo) / (hi - lo)));
    return [Math.round(255 * Math.min(1, t * 2)), Math.round(255 * Math.max(0, t * 2 - 1)), Math.round(255 * (1 - t) * 0.6)];
  }
  // specNote says over the chosen sensor's spectrum why none is drawn: the
  // sensor is offline (stalled, never heard) since its last heartbeat, or
  // its first frame has not come yet; the boxes stayed black without a
  // word (TestBrowserSpectrumOfflineSaid). Nothing once a frame is drawn.
  function specNote() {
    const n = $('spec-note'), s = st.sensors && st.sensors.get(st.specSensor);
    let text = '';
    if (st.specSensor && !st.spec) {
      if (s && statusRank[s.status] === 1) {
        text = 'no spectrum: sensor ' + (s.status === 'unheard' || !s.last_heartbeat_ns ? s.status + ', never heard' : s.status + ' since ' + fmtHM(s.last_heartbeat_ns) + ' (its last heartbeat)');
      } else text = 'waiting for the first spectrum';
    }
    n.textContent = text;
    n.classList.toggle('hidden', !text);
  }
  function drawSpectrum(s) {
    if (s.sensor !== st.specSensor) return;
    if (!st.spec) { st.spec = s.time_ns || 1; specNote(); }
    const c = $('spectrum'), x = c.getContext('2d'), p = s.power_dbm;
    const lo = Math.min(...p), hi = Math.max(...p) + 1;
    x.fillStyle = '#000'; x.fillRect(0, 0, c.width, c.height); x.strokeStyle = '#3fb950'; x.beginPath();
    p.forEach((v, i) => { const px = i / p.length * c.width, py = c.height - (v - lo) / (hi - lo) * c.height; i ? x.lineTo(px, py) : x.moveTo(px, py); });
    x.stroke(); x.fillStyle = '#8b949e';
    x.fillText(((s.center_hz - s.sample_rate_hz / 2) / 1e6).toFixed(2) + ' MHz', 4, c.height - 4);
    x.fillText(((s.center_hz + s.sample_rate_hz / 2) / 1e6).toFixed(2) + ' MHz', c.width - 80, c.height - 4);
    const w = $('waterfall'), wx = w.getContext('2d');
    wx.drawImage(w, 0, 0, w.width, w.height - 1, 0, 1, w.width, w.height - 1);
    const row = wx.createImageData(w.width, 1);
    for (let i = 0; i < w.width; i++) {
      const [r, g, b] = colour(p[Math.floor(i / w.width * p.length)], lo, hi);
      row.data.set([r, g, b, 255], i * 4);
    }
    wx.putImageData(row, 0, 0);
  }

  // ---- registry
  async function loadRegistry() {
    const es = await api('GET', '/registry');
    $('reg-rows').replaceChildren(...es.map((e) => {
      // An entry stored before a rule it breaks, or whose stored body does
      // not decode (it has no name then), authorises nothing until fixed: say so.
      // One naming rooms or zones the site no longer has (unknown_places)
      // authorises nothing there only: its problem says where it still does.
      // One that keeps the rules may authorise other than it seems (its
      // warnings: phone uplinks in every cell, no drone in a drone band).
      const name = e.name || 'entry ' + e.id;
      const warned = !e.problem && e.warnings && e.warnings.length;
      const nameCell = e.problem ? el('td', { text: '⚠ ' + name + ' (' + problemText(e) + ')', class: 'error' })
        : warned ? el('td', { text: '⚠ ' + name + ' (warning: ' + e.warnings.join('; ') + ')', class: 'warn' }) : el('td', { text: name });
      const tr = el('tr', { 'data-id': e.id }, el('td', { text: String(e.id) }),
        nameCell, el('td', { text: e.kind }),
        el('td', { text: e.signature.class || 'any' }), el('td', { text: (e.signature.freq_min_hz / 1e6).toFixed(3) + '–' + (e.signature.freq_max_hz / 1e6).toFixed(3) + (fmtBounds(e.signature) ? ' (' + fmtBounds(e.signature) + ')' : '') }),
        el('td', { text: [...(e.rooms || []), ...(e.zones || [])].join(', ') || 'anywhere' }),
        el('td', { class: 'hours', text: fmtSchedule(e.schedule) || 'always' }),
        el('td', { text: fmtISO(e.valid_from) }), el('td', { text: fmtISO(e.valid_until) }));
      return openable(tr, 'reg-detail', () => editEntry(e));
    }));
  }
  // An entry's weekly hours (its schedule: windows of minutes from the
  // weekday's midnight, in the site's local time, as fusion matches them)
  // read like "Mon-Fri 08:00-20:00; Sat 22:00-06:00": the days that share
  // hours in runs, an end past midnight as the next day's time
  // (TestTUIRegistryShowsSchedule). '' for none: at all hours.
  const dayNames = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const hhmm = (m) => String(Math.floor(m / 60) % 24).padStart(2, '0') + ':' + String(m % 60).padStart(2, '0');
  function fmtSchedule(ws) {
    const by = new Map();
    for (const w of ws || []) {
      const k = hhmm(w.start_min) + '-' + (w.end_min === 1440 ? '24:00' : hhmm(w.end_min));
      if (!by.has(k)) by.set(k, new Set());
      by.get(k).add(w.weekday);
    }
    return [...by].map(([k, days]) => {
      const runs = [];
      let run = null;
      for (const d of [1, 2, 3, 4, 5, 6, 0]) { // Monday first
        if (!days.has(d)) { run = null; continue; }
        if (run) run[1] = d; else runs.push(run = [d, d]);
      }
      return runs.map(([a, b]) => dayNames[a] + (a === b ? '' : '-' + dayNames[b])).join(',') + ' ' + k;
    }).join('; ');
  }
  // parseSchedule reads hours as fmtSchedule writes them (windows apart by
  // ";", "|" or a new line; day names or runs apart by ","; "daily" for
  // every day) into the API's schedule, or throws saying what is wrong.
  function parseSchedule(text) {
    const ws = [];
    for (const part of text.split(/[;|\n]/).map((x) => x.trim()).filter(Boolean)) {
      const m = /^(.+?)\s+(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$/.exec(part);
      if (!m) throw new Error('hours: "' + part + '" is not like "Mon-Fri 08:00-20:00"');
      const start = +m[2] * 60 + +m[3];
      let end = +m[4] * 60 + +m[5];
      if (+m[3] > 59 || +m[5] > 59 || start >= 1440 || end > 1440) throw new Error('hours: "' + part + '" has a time that is not between 00:00 and 24:00');
      if (end <= start) end += 1440; // past midnight
      const day = (n) => {
        const i = dayNames.findIndex((d) => d.toLowerCase() === n.trim().slice(0, 3).toLowerCase());
        if (i < 0) throw new Error('hours: "' + n.trim() + '" is not a day (Mon, Tue, ... Sun)');
        return i;
      };
      const days = new Set();
      for (const d of m[1].split(',')) {
        if (/^\s*(daily|every ?day)\s*$/i.test(d)) { for (let i = 0; i < 7; i++) days.add(i); continue; }
        const [a, b] = d.split('-');
        const from = day(a), to = b === undefined ? from : day(b);
        for (let i = from; ; i = (i + 1) % 7) { days.add(i); if (i === to) break; }
      }
      for (const d of [...days].sort()) ws.push({ weekday: d, start_min: start, end_min: end });
    }
    return ws;
  }
  // An entry's bandwidth and power bounds (set by the CSV import or the
  // API; the form has no fields for them and keeps them on Save), e.g.
  // "bandwidth 0.1–0.3 MHz, power ≥ -80 dBm"; '' for none. Until
  // 2026-12-07 neither the list nor the form showed them, and an admin
  // saving the form kept bounds it could not see (TestBrowserRegistryBounds).
  function fmtBounds(s) {
    const range = (lo, hi, unit) => lo != null && hi != null ? lo + '–' + hi + ' ' + unit : lo != null ? '≥ ' + lo + ' ' + unit : hi != null ? '≤ ' + hi + ' ' + unit : '';
    const mhz = (hz) => hz ? hz / 1e6 : null;
    return [['bandwidth', range(mhz(s.bandwidth_min_hz), mhz(s.bandwidth_max_hz), 'MHz')], ['power', range(s.power_min_dbm, s.power_max_dbm, 'dBm')]]
      .filter(([, r]) => r).map(([what, r]) => what + ' ' + r).join(', ');
  }
  const problemText = (e) => e.unknown_places ? e.problem : 'authorises nothing: ' + e.problem;
  const split = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  async function editEntry(e) {
    const f = $('reg-form'); $('reg-detail').classList.remove('hidden'); $('reg-error').textContent = e && e.problem ? (e.unknown_places ? 'Fix: ' + e.problem : 'Authorises nothing until fixed: ' + e.problem)
      : e && e.warnings && e.warnings.length ? 'Warning: ' + e.warnings.join('; ') : '';
    f.id.value = e ? e.id : ''; f.name.value = e ? e.name : ''; f.kind.value = e ? e.kind : 'staff_radio';
    f.class.value = e ? e.signature.class : ''; f.fmin.value = e ? e.signature.freq_min_hz / 1e6 : ''; f.fmax.value = e ? e.signature.freq_max_hz / 1e6 : '';
    const bounds = e ? fmtBounds(e.signature) : '';
    $('reg-bounds').textContent = bounds ? 'Also bounded (set by CSV or API, kept on Save): ' + bounds + '.' : 'No bandwidth or power bounds.';
    f.rooms.value = e ? (e.rooms || []).join(', ') : ''; f.zones.value = e ? (e.zones || []).join(', ') : ''; f.notes.value = e ? e.notes || '' : '';
    f.schedule.value = e ? fmtSchedule(e.schedule) : '';
    f.dataset.schedule = f.schedule.value;
    f.valid_from.value = e ? siteInput(e.valid_from) : ''; f.valid_until.value = e ? siteInput(e.valid_until) : '';
    f.dataset.entry = JSON.stringify(e || {});
    f.dataset.shown = JSON.stringify([f.valid_from.value, f.valid_until.value]);
    // Expire now and Delete act on a stored entry: not offered for a new one
    for (const b of [$('reg-expire'), $('reg-delete')]) b.classList.toggle('hidden', !e || ranks[st.me.role] < ranks[b.dataset.role]);
    $('reg-history').replaceChildren();
    if (e) {
      const h = await api('GET', '/registry/' + e.id + '/history');
      $('reg-history').replaceChildren(...h.map((a) => el('li', { text: fmtT(a.time_ns) + ' ' + a.user + ' ' + a.action })));
    }
  }
  $('reg-new').addEventListener('click', () => editEntry(null));
  $('reg-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target, base = JSON.parse(f.dataset.entry || '{}');
    // the band in the form's MHz, checked before it is sent: the server
    // says it in Hz ("freq_max_hz is 8.8e+08, not above freq_min_hz 9e+08")
    const fmin = Number(f.fmin.value), fmax = Number(f.fmax.value);
    if (!(fmax > fmin)) { $('reg-error').textContent = 'Freq max MHz (' + f.fmax.value + ') must be above Freq min MHz (' + f.fmin.value + ').'; f.fmax.focus(); return; }
    const e = Object.assign(base, { name: f.name.value, kind: f.kind.value, rooms: split(f.rooms.value), zones: split(f.zones.value), notes: f.notes.value,
      signature: Object.assign(base.signature || {}, { class: f.class.value, freq_min_hz: f.fmin.value * 1e6, freq_max_hz: f.fmax.value * 1e6 }) });
    // valid_from only as the user (or the stored entry) set it: missing, the
    // server reads it on the system's clock, which fusion matches on (the
    // browser's may be ahead, and the demo's is simulated). A time left as
    // shown keeps the stored value (the field shows minutes only); one
    // typed is the site's wall time; one cleared is not sent (no start:
    // now, or the stored one when editing; no end: none).
    // hours left as shown keep the stored schedule; changed, they replace
    // it (cleared: at all hours)
    if (f.schedule.value.trim() !== (f.dataset.schedule || '')) {
      try { e.schedule = parseSchedule(f.schedule.value); } catch (err) { $('reg-error').textContent = err.message; return; }
    }
    const shown = JSON.parse(f.dataset.shown || '["", ""]');
    ['valid_from', 'valid_until'].forEach((k, i) => {
      const v = f[k].value;
      if (v === shown[i]) return;
      if (v) e[k] = fromSiteInput(v); else delete e[k];
    });
    // Saved with a warning it did not have when the form was opened (it
    // authorises phone uplinks in every cell, or no drone in a drone
    // band): the form stays open and says so. One it had is on the form
    // and in the list already.
    const had = (base.warnings || []).join('\n');
    try {
      const saved = f.id.value ? await api('PUT', '/registry/' + f.id.value, e) : await api('POST', '/registry', e);
      loadRegistry();
      if (saved && saved.warnings && saved.warnings.length && saved.warnings.join('\n') !== had) editEntry(saved); else $('reg-detail').classList.add('hidden');
    } catch (err) { $('reg-error').textContent = err.message; }
  });
  $('reg-expire').addEventListener('click', async () => {
    const id = $('reg-form').id.value; if (!id) return;
    // the form then shows the entry as expired: a Save from the form as it
    // was would send the end from before, and undo the expiry
    try { const e = await api('POST', '/registry/' + id + '/expire'); loadRegistry(); editEntry(e); } catch (err) { $('reg-error').textContent = err.message; }
  });
  $('reg-delete').addEventListener('click', async () => {
    const f = $('reg-form'), id = f.id.value; if (!id) return;
    // only an entry that authorises nothing any more: one in force is
    // refused (409), saying to expire it first
    if (!confirm('Delete registry entry ' + id + ' (' + (f.name.value || 'no name') + ')? It cannot be undone; the audit log keeps its changes.')) return;
    try { await api('DELETE', '/registry/' + id); $('reg-detail').classList.add('hidden'); loadRegistry(); } catch (err) { $('reg-error').textContent = err.message; }
  });
  $('reg-import').addEventListener('change', async (ev) => {
    const f = ev.target.files[0]; if (!f) return;
    // All or nothing: a refusal (409: the file is older than an entry's
    // change, would undo an expiry, or adds a device the register has)
    // imports no row. "undo expiries" lets rows without a revision do it.
    const force = $('reg-import-force').checked ? '?force=1' : '';
    ev.target.value = ''; // the same file may be chosen again after a fix
    // what became of it is said under the toolbar (#reg-import-msg), not in a dialog
    const msg = $('reg-import-msg');
    msg.className = 'note'; msg.textContent = 'importing ' + f.name + '…';
    try {
      const r = await api('POST', '/registry/import' + force, await f.text(), true);
      // with the warnings of the entries it stored, by line
      msg.replaceChildren('Imported ' + f.name + ': ' + r.imported + ' (' + r.added + ' added, ' + r.updated + ' updated, ' + r.unchanged + ' unchanged)',
        ...(r.warnings && r.warnings.length ? [el('ul', { class: 'notes' }, ...r.warnings.map((w) => el('li', { text: 'Warning: ' + w })))] : []));
      loadRegistry();
    } catch (err) { msg.className = 'error'; msg.textContent = 'Not imported (' + f.name + '): ' + err.message; }
  });

  // ---- incidents
  // idList is a cell of ids ("a-101, a-102"), each kept on its line
  // (span.id): they wrapped at their hyphen.
  const idList = (ids) => el('td', { class: 'ids' }, ...(ids || []).flatMap((id, k) => [k ? ', ' : '', el('span', { class: 'id', text: id })]));
  async function loadIncidents() {
    const state = $('inc-state').value;
    const is = await api('GET', '/incidents' + (state ? '?state=' + state : ''));
    $('inc-rows').replaceChildren(...is.map((i) => {
      const tr = el('tr', { 'data-id': i.id }, el('td', { text: fmtT(i.opened_ns) }), el('td', { text: i.kind }), el('td', { text: i.summary }),
        el('td', { text: i.state === 'closed' ? 'closed: ' + (i.outcome || '').replace('_', ' ') : i.reopened_ns ? 'open (reopened)' : i.state }), idList(i.rooms));
      return openable(tr, 'inc-detail', () => showIncident(i.id));
    }));
    emptyNote('inc-empty', !is.length, { '': 'no incidents in the last 7 days', open: 'no open incidents', closed: 'none closed in the last 7 days' }[state]);
  }
  $('inc-state').addEventListener('change', () => loadIncidents());
  async function showIncident(id) {
    const d = await api('GET', '/incidents/' + encodeURIComponent(id));
    $('inc-detail').classList.remove('hidden');
    const inc = d.incident, kids = [el('h2', { text: inc.kind + ': ' + inc.summary }),
      el('a', { class: 'button', href: '/api/v1/incidents/' + encodeURIComponent(id) + '/bundle.zip', text: 'Export evidence bundle' })];
    // the case's outcome: closed by staff, or open again after a new alert joined it
    if (inc.closed_by) {
      const how = 'by ' + inc.closed_by + ' ' + fmtT(inc.closed_ns) + ': ' + outcomeText[inc.outcome] + (inc.note ? ' — ' + inc.note : '');
      const who = inc.reopened_by ? 'by ' + inc.reopened_by : 'by a new alert';
      kids.push(el('p', { id: 'inc-outcome', class: 'acked-by', text: inc.state === 'closed' ? 'Closed ' + how : 'Reopened ' + fmtT(inc.reopened_ns) + ' ' + who + ' (closed before ' + how + ')' }));
    }
    // every closure and reopening, oldest first, once there is more than the one closure said above
    const hist = inc.history || [];
    if (hist.length > 1) {
      kids.push(el('h3', { text: 'Closures and reopenings' }), el('ol', { id: 'inc-history' }, ...hist.map((h) => el('li', {
        text: fmtT(h.at_ns) + ' ' + h.action + ' by ' + h.by + (h.outcome ? ': ' + outcomeText[h.outcome] : '') + (h.note ? ' — ' + h.note : '') }))));
    }
    if (inc.state === 'closed') {
      // a case closed in error, or to be closed with another outcome
      const why = el('input', { id: 'inc-reopen-note', placeholder: 'why it is reopened', 'aria-label': 'why the incident is reopened' });
      const btn = el('button', { id: 'inc-reopen', type: 'submit', text: 'Reopen incident' });
      const msg = el('p', { id: 'inc-reopen-msg', class: 'error', role: 'alert' });
      // a form, as the closing note's: Enter in the reason reopens the
      // case as the button does (TestBrowserIncidentReopenByEnter)
      const form = el('form', { id: 'inc-reopen-form', class: 'row wrap', novalidate: '' }, why, btn);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (btn.disabled) return; // one reopening at a time
        msg.textContent = ''; btn.disabled = true;
        try { await api('POST', '/incidents/' + encodeURIComponent(id) + '/reopen', { note: why.value }); await loadIncidents(); await showIncident(id); focusResult($('inc-outcome')); }
        catch (e) { msg.textContent = 'Not reopened: ' + e.message; btn.disabled = false; }
      });
      kids.push(form, msg);
    }
    if (inc.state !== 'closed') {
      // No outcome is chosen for the user: "found" was, and one click
      // closed a case as found. The case's alerts still open that nobody
      // acknowledged are named beside the button (TestBrowserIncidentCloseNeedsOutcome).
      const outcome = el('select', { id: 'inc-outcome-pick', required: '', 'aria-label': 'outcome of the incident' }, el('option', { value: '', text: 'choose the outcome…', disabled: '', selected: '' }),
        ...Object.entries(outcomeText).map(([v, t]) => el('option', { value: v, text: t })));
      const note = el('input', { id: 'inc-note', placeholder: 'note (what was found, where)', 'aria-label': 'closing note (what was found, where)' });
      const btn = el('button', { id: 'inc-close', type: 'submit', text: 'Close incident' });
      const msg = el('p', { id: 'inc-close-msg', class: 'error', role: 'alert' });
      const open = (d.alerts || []).filter(ackable);
      const warn = open.length ? el('p', { id: 'inc-open-alerts', class: 'note cut', text: open.length + (open.length === 1 ? ' alert of this case is' : ' alerts of this case are') +
        ' still open and unacknowledged (' + open.slice(0, 3).map((a) => a.severity + ': ' + a.summary).join('; ') + (open.length > 3 ? '; …' : '') + '): closing the case does not acknowledge them.' }) : null;
      // a form, as the acknowledgement's: Enter in the note closes the
      // case as the button does (TestBrowserIncidentCloseByEnter)
      const form = el('form', { id: 'inc-close-form', class: 'row wrap', novalidate: '' }, outcome, note, btn);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        msg.textContent = '';
        if (!outcome.value) { msg.textContent = 'Choose the outcome first: how did the case end?'; outcome.focus(); return; }
        btn.disabled = true; // one close at a time
        try { await api('POST', '/incidents/' + encodeURIComponent(id) + '/close', { outcome: outcome.value, note: note.value }); await loadIncidents(); await showIncident(id); focusResult($('inc-outcome')); }
        catch (e) { msg.textContent = 'Not closed: ' + e.message; btn.disabled = false; }
      });
      kids.push(el('h3', { text: 'Close the case' }), form);
      if (warn) kids.push(warn);
      kids.push(msg);
    }
    kids.push(el('h3', { text: 'Timeline' }),
      el('ol', { class: 'timeline' }, ...d.timeline.map((t) => el('li', { class: t.kind, text: fmtT(t.time_ns) + ' — ' + t.summary }))));
    $('inc-detail').replaceChildren(...kids);
  }
  // the outcomes an incident is closed with (store.IncidentOutcomes)
  const outcomeText = { found: 'found (device or package seized)', not_found: 'searched, nothing found', false_alarm: 'false alarm (no contraband)',
    authorised: 'authorised device (register it)', other: 'other (see note)' };

  // ---- replay
  // snippetPath is the replay path of a detection's evidence snippet.
  const snippetPath = (name) => 'snippet:' + name + '.sigmf-meta';
  async function loadReplay() {
    let files;
    try {
      const ans = await api('GET', '/replay/recordings?not_offered=1'); files = ans.recordings;
      // what the folder holds and the list leaves out, and why (REC.SIGMF-META: rename it)
      $('r-left').replaceChildren(...ans.not_offered.map((n) => el('li', { text: 'Not offered: ' + n.path + ': ' + n.why })));
    } catch (e) { $('r-file').replaceChildren(); $('r-status').textContent = e.message; return; }
    const pick = st.replayPick; st.replayPick = null;
    if (pick && !files.includes(pick)) files.unshift(pick); // older than the listed snippets
    const before = $('r-file').value, cur = pick || before;
    $('r-file').replaceChildren(...files.map((f) => el('option', { value: f, text: f.startsWith('snippet:') ? 'evidence: ' + f.slice(8) : f })));
    if (cur && files.includes(cur)) $('r-file').value = cur;
    // an alert's evidence, or the list without the recording shown: start afresh
    if (pick || $('r-file').value !== before) resetReplay();
    if (!files.length) { $('r-status').textContent = 'No recordings yet: upload a SigMF archive (.sigmf) or pair (both files), or replay a detection\'s evidence from an alert.'; return; }
    if (pick) await runReplay();
  }
  // say puts text in the status line unless it is there already: the line
  // is a live region, and progress told again and again is noise.
  function say(text) { if ($('r-status').textContent !== text) $('r-status').textContent = text; }
  const mib = (n) => (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + ' MiB';
  // uploadReplay sends an upload (POST /replay/upload) as api() does,
  // but with XMLHttpRequest, which tells how much of the body is sent
  // (fetch does not): the status says how far the upload is, in steps of
  // 5 %, then that the server checks the recording (its hash, every
  // sample), which takes a while for a large one.
  function uploadReplay(query, fd) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open('POST', '/api/v1/replay/upload' + query);
      x.setRequestHeader('X-CSRF-Token', st.me.csrf);
      say('uploading…');
      x.upload.addEventListener('progress', (ev) => {
        if (ev.lengthComputable && ev.total > 0) say('uploading… ' + Math.floor(20 * ev.loaded / ev.total) * 5 + '% of ' + mib(ev.total));
      });
      x.upload.addEventListener('load', () => say('upload sent; checking the recording…'));
      x.addEventListener('load', () => {
        if (x.status === 401) { showLogin(); reject(new Error('log in first')); return; }
        let data = x.responseText;
        if ((x.getResponseHeader('Content-Type') || '').includes('json')) { try { data = JSON.parse(data); } catch (e) { /* shown as text */ } }
        if (x.status < 200 || x.status > 299) { const err = new Error((data && data.error) || x.statusText || 'upload failed (' + x.status + ')'); err.status = x.status; reject(err); return; }
        resolve(data);
      });
      x.addEventListener('error', () => reject(new Error('upload failed: the connection to the dashboard broke off')));
      x.send(fd);
    });
  }
  // replaySeq numbers the runs: the answer of a run that is no longer the
  // latest (another run began, or another recording was chosen) is dropped,
  // so it cannot fill Tuning with another recording's tunings.
  let replaySeq = 0;
  // replayCtl aborts the run under way. A run the page drops (another run
  // began, another recording was chosen, Cancel) is aborted, not only
  // ignored: the server ends a run whose request ends, and so frees the
  // one replay slot that every analyst's run waits for.
  let replayCtl = null;
  function abortReplay() {
    if (replayCtl) { replayCtl.abort(); replayCtl = null; }
    $('r-cancel').classList.add('hidden');
  }
  // clearReplayResults empties what a run showed, Download included (it
  // serves the session's last successful run, maybe of another recording).
  function clearReplayResults() {
    st.replay = null;
    const c = $('replay'), x = c.getContext('2d');
    x.fillStyle = '#000'; x.fillRect(0, 0, c.width, c.height);
    $('r-boxes').replaceChildren(); $('r-rows').replaceChildren(); $('r-notes').replaceChildren();
    $('r-sensor-rows').replaceChildren(); $('r-sensor').classList.add('hidden');
    $('r-download').classList.add('hidden');
  }
  // resetReplay is done on every path that changes the recording (the
  // list, an alert's replay button, an upload): its own tunings, from its
  // start, none of the earlier results, no answer of a run under way.
  function resetReplay() {
    replaySeq++;
    abortReplay();
    $('r-tune').replaceChildren(); $('r-tune-label').classList.add('hidden'); $('r-start').value = 0;
    clearReplayResults();
    $('r-status').textContent = ''; delete $('r-status').dataset.count;
  }
  $('r-thr').addEventListener('input', () => { $('r-thr-label').textContent = $('r-thr').value; drawReplay(); });
  $('r-thr').addEventListener('change', runReplay);
  $('r-pfa').addEventListener('change', runReplay);
  $('r-run').addEventListener('click', runReplay);
  $('r-cancel').addEventListener('click', () => {
    const focused = document.activeElement === $('r-cancel');
    replaySeq++; abortReplay(); clearReplayResults();
    $('r-status').textContent = 'cancelled'; delete $('r-status').dataset.count;
    if (focused) $('r-run').focus(); // the hidden button no longer holds the keyboard's place
  });
  $('r-tune').addEventListener('change', runReplay);
  $('r-start').addEventListener('change', runReplay);
  $('r-file').addEventListener('change', resetReplay);
  // An upload is a SigMF archive (NAME.sigmf, of one recording or several),
  // a pair (NAME.sigmf-meta and its data file: NAME.sigmf-data, or the
  // file its core:dataset names), or one raw capture with its datatype,
  // rate and centre; a name already uploaded is replaced only when the
  // analyst confirms. Names are matched in any case: the server says what
  // to rename REC.SIGMF to.
  $('r-upload').addEventListener('change', async (ev) => {
    const fs = [...ev.target.files], low = (f) => f.name.toLowerCase(), meta = fs.find((f) => low(f).endsWith('.sigmf-meta')),
      archive = fs.find((f) => low(f).endsWith('.sigmf'));
    ev.target.value = ''; // so choosing the same files again (after a refusal) uploads them again
    const fd = new FormData();
    if (archive && fs.length === 1) fd.append('archive', archive);
    else if (meta && fs.length === 2) { fd.append('meta', meta); fd.append('data', fs.find((f) => f !== meta)); }
    else if (fs.length === 1 && !low(fs[0]).includes('.sigmf')) {
      fd.append('raw', fs[0]); fd.append('datatype', $('r-raw-type').value);
      fd.append('sample_rate', $('r-raw-rate').value.trim()); fd.append('center_hz', $('r-raw-center').value.trim());
    } else { $('r-status').textContent = 'choose a NAME.sigmf archive, both NAME.sigmf-meta and its data file, or one raw capture (with its datatype, rate and centre)'; return; }
    const send = async (query) => {
      const r = await uploadReplay(query, fd); await loadReplay(); $('r-file').value = r.path; resetReplay();
      const several = r.paths && r.paths.length > 1 ? ' ' + r.paths.length + ' recordings, each in the list by its name: ' + r.paths.join(', ') : '';
      $('r-status').textContent = (r.replaced ? 'uploaded, replacing the earlier ' + r.replaced_paths.join(', ') : 'uploaded') + several;
    };
    try { await send(''); }
    catch (e) {
      if (e.status !== 409 || !confirm(e.message + '\n\nReplace it?')) { $('r-status').textContent = e.message; return; }
      try { await send('?replace=1'); } catch (e2) { $('r-status').textContent = e2.message; }
    }
  });
  // runProgress says how far a run is (GET /replay/progress): its share
  // of samples analysed, or that it waits for another analyst's run (one
  // runs at a time), which began when and is how far.
  function runProgress(p) {
    if (!p.waiting) return 'running… ' + Math.floor(p.done_pct) + '% of the samples analysed';
    const other = p.other_started ? ' (started ' + fmtT(Date.parse(p.other_started) * 1e6) + ', ' + Math.floor(p.other_done_pct || 0) + '% done)' : '';
    return 'waiting for another replay run' + other + ': one runs at a time';
  }
  let replayRunN = 0;
  async function runReplay() {
    const path = $('r-file').value; if (!path) return;
    const seq = ++replaySeq;
    abortReplay();
    const ctl = new AbortController(); replayCtl = ctl;
    $('r-cancel').classList.remove('hidden');
    $('r-status').textContent = 'running…';
    delete $('r-status').dataset.count;
    // the run's name for GET /replay/progress, asked every second while it runs
    const runId = 'run-' + (++replayRunN) + '-' + Math.random().toString(36).slice(2, 10);
    const poll = setInterval(async () => {
      try {
        const p = await api('GET', '/replay/progress?run=' + runId, undefined, false, ctl.signal);
        if (replayCtl === ctl) say(runProgress(p)); // not after the run's answer, nor after Cancel
      } catch (e) { /* not begun yet, or ended: the run's answer says how it went */ }
    }, 1000);
    try {
      const r = await api('POST', '/replay/run', { path, threshold_db: Number($('r-thr').value), pfa: Number($('r-pfa').value),
        start_s: Math.max(0, Number($('r-start').value) || 0), center_hz: Number($('r-tune').value) || 0, run_id: runId }, false, ctl.signal);
      if (seq !== replaySeq) return; // a later run's, or another recording's, answer stands
      st.replay = r;
      const sg = r.spectrogram, secs = (v, unit) => (unit ?? v) < 0.1 ? (v * 1e3).toFixed(3) + ' ms' : v.toFixed(3) + ' s';
      $('r-status').textContent = r.detections.length + (r.detections.length === 1 ? ' detection' : ' detections') +
        ' · analysed ' + secs(r.analysed_from_s, r.analysed_to_s) + '–' + secs(r.analysed_to_s) + (r.truncated ? ' of ' + secs(r.recording_s) + ' (capped)' : '') +
        ' · spectrogram of ' + (sg.center_hz / 1e6).toFixed(3) + ' MHz (' + (sg.freq_low_hz / 1e6).toFixed(2) + '–' + (sg.freq_high_hz / 1e6).toFixed(2) + ' MHz) · time runs down';
      $('r-status').dataset.count = r.detections.length;
      $('r-download').classList.toggle('hidden', !r.annotated_ready);
      // the tunings of a scanning sensor's recording: the spectrogram shows one
      const tunes = r.tunings || [];
      $('r-tune').replaceChildren(...tunes.map((t) => el('option', { value: t.center_hz,
        text: (t.center_hz / 1e6).toFixed(3) + ' MHz · ' + secs(t.duration_s) + ' in ' + t.captures + (t.captures === 1 ? ' capture' : ' captures') + ' · ' + t.detections + ' det.' })));
      $('r-tune').value = sg.center_hz;
      $('r-tune-label').classList.toggle('hidden', tunes.length < 2);
      // what the analyst must know: nothing found, the sensor's label not confirmed, what was not analysed
      $('r-notes').replaceChildren(...(r.notes || []).map((n) => el('li', { class: n.startsWith('Judged against') ? 'info' : '', text: n })));
      const sls = r.sensor_labels || [];
      $('r-sensor').classList.toggle('hidden', !sls.length);
      $('r-sensor-rows').replaceChildren(...sls.map((l) => el('tr', {},
        el('td', { text: (l.detection_id || '') + ' · ' + secs(l.start_s, l.end_s) + '–' + secs(l.end_s) }),
        el('td', { text: l.label + (l.class ? ' (' + l.class + (l.link ? ' ' + l.link : '') + ')' : '') }),
        el('td', { text: l.replay.length ? l.replay.join('; ') : 'nothing' }),
        el('td', { class: l.confirmed ? 'confirmed' : 'unconfirmed', text: l.confirmed ? 'confirmed' : 'not confirmed', title: l.note || '' }))));
      const fmtWall = (d) => d.time ? fmtT(Date.parse(d.time) * 1e6) : '';
      $('r-rows').replaceChildren(...r.detections.map((d) => el('tr', {}, el('td', { text: d.start_s.toFixed(6) }), el('td', { text: d.end_s.toFixed(6) }),
        el('td', { text: fmtWall(d) }), el('td', { text: (d.tune_center_hz / 1e6).toFixed(3) }),
        el('td', { text: (d.freq_low_hz / 1e6).toFixed(3) }), el('td', { text: (d.freq_high_hz / 1e6).toFixed(3) }), el('td', { text: d.class || '' }),
        el('td', { text: d.link || '' }), el('td', { text: d.band || '' }), el('td', { text: (d.snr_db || 0).toFixed(1) }), el('td', { text: d.power_db.toFixed(1) }),
        el('td', { text: d.label }))));
      drawReplay();
    } catch (e) {
      if (seq !== replaySeq) return;
      clearReplayResults(); // not the last run's results under this run's error
      $('r-status').textContent = e.message;
    } finally {
      clearInterval(poll);
      if (replayCtl === ctl) { replayCtl = null; $('r-cancel').classList.add('hidden'); }
    }
  }
  // boxLabel names a detection on the spectrogram: class and link, then SNR.
  function boxLabel(d) {
    const name = d.class ? d.class + (d.link && d.link !== 'unknown' ? ' ' + d.link : '') : d.label;
    return name + (d.snr_db ? ' · ' + d.snr_db.toFixed(1) + ' dB' : '');
  }
  function drawReplay() {
    const r = st.replay; if (!r) return;
    const c = $('replay'), x = c.getContext('2d'), sg = r.spectrogram, rows = sg.rows_db;
    // Draw at the displayed size so text and lines are not stretched.
    const cw = Math.round(c.clientWidth), ch = Math.round(c.clientHeight);
    if (cw > 0 && ch > 0 && (c.width !== cw || c.height !== ch)) { c.width = cw; c.height = ch; }
    x.fillStyle = '#000'; x.fillRect(0, 0, c.width, c.height);
    if (rows.length && rows[0].length) {
      let lo = Infinity, hi = -Infinity;
      for (const row of rows) for (const v of row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      const img = x.createImageData(rows[0].length, rows.length);
      rows.forEach((row, t) => row.forEach((v, f) => img.data.set([...colour(v, lo, hi + 1e-9), 255], (t * row.length + f) * 4)));
      const tmp = document.createElement('canvas'); tmp.width = img.width; tmp.height = img.height;
      tmp.getContext('2d').putImageData(img, 0, 0);
      x.imageSmoothingEnabled = false; x.drawImage(tmp, 0, 0, c.width, c.height);
    }
    // Boxes: strokes on the canvas, labels as elements over it (readable at any size, and testable).
    const thr = Number($('r-thr').value), span = sg.freq_high_hz - sg.freq_low_hz, boxes = [];
    x.lineWidth = 2;
    for (const d of r.detections) {
      // only the spectrogram's tuning's detections, where the server placed them
      if ((d.snr_db || thr) < thr || !d.on_spectrogram) continue;
      const px = (d.freq_low_hz - sg.freq_low_hz) / span * c.width, pw = Math.max(2, (d.freq_high_hz - d.freq_low_hz) / span * c.width);
      const py = d.spec_y0 * c.height, ph = Math.max(2, (d.spec_y1 - d.spec_y0) * c.height);
      x.strokeStyle = '#fff'; x.strokeRect(px, py, pw, ph);
      const b = el('div', { class: 'r-box', 'data-class': d.class || d.label, title: d.label }, el('span', { text: boxLabel(d) }));
      Object.assign(b.style, { left: px / c.width * 100 + '%', top: py / c.height * 100 + '%', width: pw / c.width * 100 + '%', height: ph / c.height * 100 + '%' });
      boxes.push(b);
    }
    $('r-boxes').replaceChildren(...boxes);
    // Axes: frequency ticks along the bottom, time ticks down the left.
    x.font = '14px sans-serif'; x.textBaseline = 'bottom';
    const tag = (text, tx, ty) => {
      const w = x.measureText(text).width + 8;
      tx = Math.min(Math.max(tx, 0), c.width - w);
      x.fillStyle = 'rgba(0,0,0,.7)'; x.fillRect(tx, ty - 18, w, 18);
      x.fillStyle = '#e6edf3'; x.fillText(text, tx + 4, ty - 2);
    };
    for (let i = 0; i <= 4; i++) {
      const fx = i / 4 * c.width, f = (sg.freq_low_hz + i / 4 * span) / 1e6;
      x.fillStyle = '#e6edf3'; x.fillRect(Math.min(fx, c.width - 1), c.height - 6, 1, 6);
      tag(f.toFixed(2) + ' MHz', fx - 40, c.height - 6);
    }
    // time down the left: each row's start on the detections' clock (a
    // scanning sensor's captures of one tuning may lie seconds apart)
    const starts = sg.row_start_s || [], ms = starts.length && starts[starts.length - 1] < 0.1;
    for (let i = 1; i <= 3; i++) {
      const ty = i / 4 * c.height, tv = starts.length ? starts[Math.min(starts.length - 1, Math.floor(i / 4 * starts.length))] : i / 4 * sg.duration_s;
      x.fillStyle = '#e6edf3'; x.fillRect(0, ty, 6, 1);
      tag(ms ? (tv * 1e3).toFixed(3) + ' ms' : tv.toFixed(3) + ' s', 8, ty + 9);
    }
  }

  // ---- users (admin) and the user's own account
  async function loadUsers() {
    const us = await api('GET', '/users');
    const act = async (path, method, body) => {
      $('user-error').textContent = ''; $('user-result').textContent = '';
      try {
        const r = await api(method || 'POST', path, body); await loadUsers();
        if (r && r.warning) $('user-error').textContent = r.warning;
        return r;
      } catch (err) { $('user-error').textContent = err.message; await loadUsers(); }
    };
    $('user-rows').replaceChildren(...us.map((u) => {
      const self = u.name === st.me.user, path = '/users/' + encodeURIComponent(u.name);
      const role = el('select', { 'aria-label': 'role of ' + u.name }, ...Object.keys(ranks).map((r) => el('option', { value: r, text: r })));
      role.value = u.role; role.disabled = self;
      role.addEventListener('change', () => act(path + '/role', 'PUT', { role: role.value }));
      const buttons = el('td', {});
      if (!self) {
        const onOff = el('button', { text: u.disabled_ns ? 'Enable' : 'Disable' });
        onOff.addEventListener('click', () => {
          if (u.disabled_ns || confirm('Disable ' + u.name + '? Their open sessions end now.')) act(path + (u.disabled_ns ? '/enable' : '/disable'));
        });
        const reset = el('button', { text: 'Reset password' });
        reset.addEventListener('click', async () => {
          if (!confirm('Give ' + u.name + ' a new password? Their open sessions end now.')) return;
          const r = await act(path + '/password');
          if (r) $('user-result').replaceChildren('New password for ' + r.name + ' (shown once): ', el('span', { class: 'secret', text: r.password }));
        });
        const del = el('button', { text: 'Delete' });
        del.addEventListener('click', () => {
          if (confirm('Delete the account ' + u.name + '? Their open sessions end now, and it cannot be undone; the audit log keeps the rows that name them.')) act(path, 'DELETE');
        });
        buttons.append(onOff, reset, del);
      }
      return el('tr', { class: u.disabled_ns ? 'disabled' : '', 'data-user': u.name }, el('td', { text: u.name + (self ? ' (you)' : '') }), el('td', {}, role),
        el('td', { text: u.disabled_ns ? 'disabled ' + fmtT(u.disabled_ns) : 'enabled' }), el('td', { text: fmtT(u.created_ns) }),
        el('td', { text: String(u.sessions) }), buttons);
    }));
    drawn('users', us.length);
    $('page-users').dataset.gen = String(+($('page-users').dataset.gen || 0) + 1); // each redraw, for the browser test
  }
  $('user-form').role.replaceChildren(...Object.keys(ranks).map((r) => el('option', { value: r, text: r })));
  $('user-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    $('user-error').textContent = ''; $('user-result').textContent = '';
    try {
      const r = await api('POST', '/users', { name: f.name.value, role: f.role.value, password: f.password.value });
      $('user-result').textContent = 'Created ' + f.name.value + ' (' + f.role.value + ').';
      if (r && r.warning) $('user-error').textContent = r.warning;
      f.reset(); loadUsers();
    } catch (err) { $('user-error').textContent = err.message; }
  });

  async function loadAccount() { $('pw-form').user.value = st.me.user; $('pw-error').textContent = ''; }
  $('pw-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    $('pw-error').textContent = '';
    if (f.new.value !== f.again.value) { $('pw-error').textContent = 'the new passwords differ'; return; }
    try {
      await api('POST', '/me/password', { current: f.current.value, new: f.new.value });
      f.reset(); st.me = null; location.hash = '';
      showLogin('Password changed: log in with the new one.');
    } catch (err) { $('pw-error').textContent = err.message; }
  });

  // ---- audit
  // The filter's rows come a page at a time (newest first); "Older rows"
  // reads the next page (before), the CSV link all of them.
  function auditQuery() {
    const f = $('audit-filter'), q = new URLSearchParams();
    for (const k of ['user', 'action', 'object', 'from', 'to']) if (f[k].value.trim()) q.set(k, f[k].value.trim());
    return q;
  }
  async function loadAudit(before) {
    const q = auditQuery();
    $('audit-export').href = '/api/v1/audit/export.csv' + (q.toString() ? '?' + q : '');
    if (before) q.set('before', before);
    const r = await fetch('/api/v1/audit' + (q.toString() ? '?' + q : ''), { credentials: 'same-origin' }); // api() keeps no headers
    if (r.status === 401) { showLogin(); throw new Error('log in first'); }
    const es = await r.json();
    if (!r.ok) { const err = new Error(es.error || r.statusText); err.status = r.status; throw err; }
    const rows = es.map((a) => el('tr', {}, el('td', { text: fmtT(a.time_ns) }), el('td', { text: a.user }), el('td', { text: a.action }),
      el('td', { text: a.object }), el('td', { text: [a.before, a.after].filter(Boolean).join(' → ') }), el('td', { text: a.addr || '' })));
    if (before) $('audit-rows').append(...rows); else $('audit-rows').replaceChildren(...rows);
    const next = r.headers.get('X-RFW-Next-Before');
    $('audit-older').dataset.before = next || '';
    $('audit-older').classList.toggle('hidden', !next);
    drawn('audit', $('audit-rows').children.length);
  }
  $('audit-filter').addEventListener('submit', (ev) => { ev.preventDefault(); loadAudit().catch((e) => console.error(e)); });
  $('audit-older').addEventListener('click', () => loadAudit($('audit-older').dataset.before).catch((e) => console.error(e)));

  start();
})();
