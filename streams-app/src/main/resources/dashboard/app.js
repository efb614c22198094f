// Live dashboard of caddy-lightstep's per-group latency windows.
// Everything that comes from log data (groups, routes, trace ids) reaches the DOM through
// textContent or attribute setters only: the page never parses data as HTML.
(function () {
  'use strict';

  const POLL_MS = 2000;
  const MAX_EXEMPLARS = 3;
  const TRACE_ID = /^[0-9a-f]{32}$/i;
  const INVALID_TRACE_ID = /^0{32}$/;
  const PLACEHOLDER = '{trace_id}';
  const COLORS = {
    p50: '#2b6cb0',
    p95: '#dd6b20',
    p99: '#c53030',
    requests: '#2b6cb0',
    errors: '#c53030',
    denied: '#805ad5'
  };
  const EDGE = 'edge';
  const UPSTREAM = 'upstream';
  const UPSTREAM_REST = 'upstream, rest';
  const EDGE_COLOR = '#718096';
  const UPSTREAM_REST_COLOR = '#cbd5e0';
  const BACKEND_STAGE_COLORS = ['#2b6cb0', '#dd6b20', '#38a169', '#805ad5', '#d69e2e', '#319795', '#d53f8c', '#4a5568'];
  const BURN_RATE_PERIODS = ['5m', '30m', '1h', '6h', '3d'];
  const SEVERITIES = ['page', 'ticket'];

  const state = {
    config: { trace_url_template: '', window_size_ms: 60000 },
    configLoaded: false,
    windowsByGroup: new Map(),
    // Each group's objectives; a group whose policy sets no target has none.
    objectivesByGroup: new Map(),
    selected: fromHash('group'),
    selectedRoute: fromHash('route'),
    routeRows: [],
    routesRequest: 0,
    // A backend stage keeps its colour from poll to poll, and in the group's view and the route's alike.
    stageColors: new Map(),
    polls: 0,
    charts: { latency: null, rate: null }
  };

  const el = {
    status: document.getElementById('status'),
    error: document.getElementById('error'),
    groupsBody: document.getElementById('groups-body'),
    detail: document.getElementById('detail'),
    selectedGroup: document.getElementById('selected-group'),
    latencyChart: document.getElementById('latency-chart'),
    rateChart: document.getElementById('rate-chart'),
    routesBody: document.getElementById('routes-body'),
    objectives: document.getElementById('objectives'),
    groupStages: document.getElementById('group-stages'),
    routeStages: document.getElementById('route-stages')
  };

  // ---- fetching -------------------------------------------------------------------------------

  async function fetchJson(path) {
    const response = await fetch(path, { cache: 'no-store', headers: { Accept: 'application/json' } });
    if (!response.ok) {
      throw new Error(path + ': HTTP ' + response.status);
    }
    return response.json();
  }

  async function loadConfig() {
    if (state.configLoaded) {
      return;
    }
    const config = await fetchJson('/api/dashboard-config');
    state.config = {
      trace_url_template: typeof config.trace_url_template === 'string' ? config.trace_url_template : '',
      window_size_ms: positiveNumber(config.window_size_ms) || 60000
    };
    state.configLoaded = true;
  }

  async function poll() {
    try {
      // Without its config the page still shows the numbers, only the trace links wait.
      const configProblem = await loadConfig().then(() => null, e => e);
      // Without the objectives the windows still show; the budgets keep their last answer, and the error says why.
      const [windows, objectivesProblem] = await Promise.all([fetchJson('/api/windows'), loadObjectives().then(() => null, e => e)]);
      if (!Array.isArray(windows)) {
        throw new Error('/api/windows: expected a JSON array');
      }
      state.windowsByGroup = byKey(windows, w => String(w.group));
      state.polls += 1;
      if (!state.windowsByGroup.has(state.selected)) {
        state.selected = busiestGroup(state.windowsByGroup);
      }
      render();
      showUpdated(windows.length);
      for (const problem of [configProblem, objectivesProblem]) {
        if (problem !== null) {
          showError(problem);
        }
      }
      await loadRoutes();
    } catch (e) {
      showError(e);
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  async function loadObjectives() {
    const answer = await fetchJson('/api/slo');
    if (!Array.isArray(answer)) {
      throw new Error('/api/slo: expected a JSON array');
    }
    state.objectivesByGroup = objectivesOf(answer);
  }

  async function loadRoutes() {
    const group = state.selected;
    const request = ++state.routesRequest;
    if (group === null) {
      return;
    }
    const routes = await fetchJson('/api/windows/' + encodeURIComponent(group) + '/routes');
    // A click on another group while this request was in flight wins.
    if (request !== state.routesRequest) {
      return;
    }
    state.routeRows = newestOfEachRoute(Array.isArray(routes) ? routes : []);
    if (!state.routeRows.some(row => row.route === state.selectedRoute)) {
      state.selectedRoute = state.routeRows.length > 0 ? state.routeRows[0].route : null;
    }
    renderRoutes();
  }

  // ---- shaping --------------------------------------------------------------------------------

  /** Windows grouped by key, each list sorted oldest first. */
  function byKey(windows, keyOf) {
    const result = new Map();
    for (const w of windows) {
      const key = keyOf(w);
      if (!result.has(key)) {
        result.set(key, []);
      }
      result.get(key).push(w);
    }
    for (const list of result.values()) {
      list.sort((a, b) => num(a.window_start_ms) - num(b.window_start_ms));
    }
    return result;
  }

  /** Each group's objectives from /api/slo, in its order. */
  function objectivesOf(answer) {
    const result = new Map();
    for (const g of answer) {
      if (g === null || typeof g !== 'object' || !Array.isArray(g.slos)) {
        continue;
      }
      const objectives = g.slos.filter(o => o !== null && typeof o === 'object').map(o => ({
        slo: String(o.slo),
        target: finiteOrNull(o.target),
        budget: finiteOrNull(o.budget_remaining),
        burnRates: o.burn_rates !== null && typeof o.burn_rates === 'object' ? o.burn_rates : {},
        firing: Array.isArray(o.firing) ? o.firing.map(String) : [],
        evaluatedAt: finiteOrNull(o.evaluated_at_ms)
      }));
      result.set(String(g.group), objectives);
    }
    return result;
  }

  function newest(list) {
    return list[list.length - 1];
  }

  function busiestGroup(windowsByGroup) {
    let best = null;
    let bestCount = -1;
    for (const [group, list] of windowsByGroup) {
      const count = num(newest(list).count);
      if (count > bestCount) {
        best = group;
        bestCount = count;
      }
    }
    return best;
  }

  function windowSeconds(w) {
    const length = num(w.window_end_ms) - num(w.window_start_ms);
    return (length > 0 ? length : state.config.window_size_ms) / 1000;
  }

  function requestRate(w) {
    return num(w.count) / windowSeconds(w);
  }

  function latency(w, key) {
    return finiteOrNull(w.latency_ms ? w.latency_ms[key] : undefined);
  }

  /** The newest window of each route, busiest first. */
  function newestOfEachRoute(routeWindows) {
    return Array.from(byKey(routeWindows, w => String(w.route)), ([route, list]) => ({ route, w: newest(list) }))
      .sort((a, b) => num(b.w.count) - num(a.w.count) || (a.route < b.route ? -1 : 1));
  }

  /**
   * Where a window's time went, or null when it has no upstream timing: Caddy's own time (edge), the
   * backend's stages from its Server-Timing, and the rest of the upstream call as Caddy timed it, each
   * as its total time (mean × count) so that stages seen on fewer requests weigh for what they took.
   */
  function timeBreakdown(w) {
    const stages = w.stages !== null && typeof w.stages === 'object' ? w.stages : {};
    // Object.entries, not stages[name]: a backend may name a stage "__proto__" or "constructor".
    const all = Object.entries(stages).map(([name, summary]) => stageSummary(name, summary)).filter(s => s !== null);
    const upstream = all.find(s => s.name === UPSTREAM);
    if (upstream === undefined || upstream.count === 0) {
      return null;
    }
    const edge = all.find(s => s.name === EDGE) || stageSummary(EDGE, {});
    const backend = all.filter(s => s.name !== EDGE && s.name !== UPSTREAM && s.count > 0)
      .sort((a, b) => b.totalMs - a.totalMs || (a.name < b.name ? -1 : 1));
    const backendMs = backend.reduce((sum, s) => sum + s.totalMs, 0);
    // The backend's clock is not Caddy's: its stages can add up to more than the call Caddy saw.
    const restMs = Math.max(0, upstream.totalMs - backendMs);
    const rest = backend.length === 0
      ? upstream
      : { name: UPSTREAM_REST, count: upstream.count, p99: null, totalMs: restMs };
    const parts = [edge, ...backend, rest];
    // Shares of the parts' sum, which is edge + upstream unless the backend over-reported: they add up to 100%.
    const tenths = tenthsOfAPercent(parts.map(s => s.totalMs));
    const segments = parts.map((s, i) => ({ ...s, tenths: tenths[i] }));
    return { upstream, backend, segments, total: segments.reduce((sum, s) => sum + s.totalMs, 0) };
  }

  function stageSummary(name, summary) {
    if (summary === null || typeof summary !== 'object') {
      return null;
    }
    const count = num(summary.count);
    return { name, count, p99: finiteOrNull(summary.p99), totalMs: count * num(summary.mean) };
  }

  /**
   * Each part as tenths of a percent of their sum, rounded so that they add up to exactly 1000 (the
   * largest remainders round up): a stack whose shares read 99.9% would look like a missing stage.
   */
  function tenthsOfAPercent(parts) {
    const total = parts.reduce((sum, part) => sum + part, 0);
    if (total <= 0) {
      return parts.map(() => 0);
    }
    const exact = parts.map(part => part / total * 1000);
    const tenths = exact.map(Math.floor);
    const remainderOrder = exact.map((_, i) => i).sort((a, b) => (exact[b] - tenths[b]) - (exact[a] - tenths[a]));
    let missing = 1000 - tenths.reduce((sum, t) => sum + t, 0);
    for (const i of remainderOrder) {
      if (missing <= 0) {
        break;
      }
      tenths[i] += 1;
      missing -= 1;
    }
    return tenths;
  }

  // ---- rendering ------------------------------------------------------------------------------

  function render() {
    renderGroups();
    renderDetail();
  }

  function renderGroups() {
    const groups = Array.from(state.windowsByGroup.keys()).sort();
    if (groups.length === 0) {
      el.groupsBody.replaceChildren(emptyRow(13, 'No windows yet: waiting for access logs.'));
      return;
    }
    el.groupsBody.replaceChildren(...groups.map(group => groupRow(group, newest(state.windowsByGroup.get(group)))));
  }

  function groupRow(group, w) {
    const tr = document.createElement('tr');
    tr.dataset.group = group;
    tr.tabIndex = 0;
    if (group === state.selected) {
      tr.classList.add('selected');
      tr.setAttribute('aria-selected', 'true');
    }
    tr.append(
      textCell('group', group),
      budgetsCell(state.objectivesByGroup.get(group) || []),
      textCell('window', clock(num(w.window_start_ms), false)),
      ...metricCells(w)
    );
    return tr;
  }

  function routeRow(route, w) {
    const tr = document.createElement('tr');
    tr.dataset.route = route;
    tr.tabIndex = 0;
    if (route === state.selectedRoute) {
      tr.classList.add('selected');
      tr.setAttribute('aria-selected', 'true');
    }
    tr.append(textCell('route', route), ...metricCells(w));
    return tr;
  }

  /** The cells both tables share, from the request rate to the exemplars. */
  function metricCells(w) {
    const count = num(w.count);
    return [
      numberCell('rate', requestRate(w), formatRate),
      numberCell('count', count, String),
      ratioCell('error-rate', num(w.errors), count),
      ratioCell('denial-rate', num(w.denied), count),
      misfireCell(w),
      sloCell(num(w.slo_breaches)),
      numberCell('p50', latency(w, 'p50'), formatMs),
      numberCell('p95', latency(w, 'p95'), formatMs),
      numberCell('p99', latency(w, 'p99'), formatMs),
      exemplarCell(Array.isArray(w.exemplars) ? w.exemplars : [])
    ];
  }

  function textCell(className, text) {
    const td = document.createElement('td');
    td.className = className;
    td.textContent = text;
    return td;
  }

  function numberCell(className, value, format) {
    const td = textCell(className + ' num', value === null ? '–' : format(value));
    if (value !== null) {
      td.dataset.value = String(value);
    }
    return td;
  }

  function ratioCell(className, part, count) {
    const td = textCell(className + ' num', count > 0 ? formatPercent(part / count) : '–');
    td.dataset.value = String(part);
    td.title = part + ' of ' + count;
    if (part > 0) {
      td.classList.add('warn');
    }
    return td;
  }

  function misfireCell(w) {
    const overPermissive = num(w.over_permissive);
    const overRestrictive = num(w.over_restrictive);
    const td = document.createElement('td');
    td.className = 'misfires num';
    td.dataset.value = String(num(w.misfires));
    td.title = overPermissive + ' over-permissive (allowed, policy says deny) / '
      + overRestrictive + ' over-restrictive (denied, policy says allow)';
    const split = document.createElement('span');
    split.className = 'misfire-split';
    split.append(
      '(',
      span('over-permissive' + (overPermissive > 0 ? ' warn' : ''), String(overPermissive)),
      ' / ',
      span('over-restrictive', String(overRestrictive)),
      ')'
    );
    td.append(span('misfire-total', String(num(w.misfires))), ' ', split);
    return td;
  }

  /** Each objective's budget left and target, and a badge for each of its alerts that fires. */
  function budgetsCell(objectives) {
    const td = document.createElement('td');
    td.className = 'budgets';
    for (const o of objectives) {
      const line = document.createElement('span');
      line.className = 'objective';
      line.dataset.slo = o.slo;
      line.title = o.slo + ': ' + formatBudget(o.budget) + ' of the last 3 days\' error budget left, target ' + formatTarget(o.target);
      line.append(span('slo-name', o.slo), ' ', budgetSpan(o.budget), ' left · ', span('target', formatTarget(o.target)),
        ...o.firing.flatMap(severity => [' ', alertBadge(o.slo, severity)]));
      td.append(line);
    }
    return td;
  }

  function budgetSpan(budget) {
    const level = budget === null ? '' : budget <= 0 ? ' spent' : budget < 0.25 ? ' low' : '';
    return span('budget' + level, formatBudget(budget));
  }

  function alertBadge(slo, severity) {
    // The class only from the known severities: the text is the answer's, the markup never is.
    const badge = span('badge alert' + (SEVERITIES.includes(severity) ? ' ' + severity : ''), severity);
    badge.title = slo + ' burn-rate alert firing: ' + severity;
    return badge;
  }

  function sloCell(breaches) {
    const td = document.createElement('td');
    td.className = 'slo num';
    td.dataset.value = String(breaches);
    td.append(span(breaches > 0 ? 'badge breach' : 'badge ok', String(breaches)));
    return td;
  }

  function exemplarCell(exemplars) {
    const td = document.createElement('td');
    td.className = 'exemplars';
    for (const exemplar of exemplars.slice(0, MAX_EXEMPLARS)) {
      td.append(traceElement(String(exemplar)));
    }
    return td;
  }

  function traceElement(traceId) {
    const href = traceHref(traceId);
    if (href === null) {
      const text = span('trace-id', traceId);
      text.title = traceId;
      return text;
    }
    const a = document.createElement('a');
    a.className = 'trace';
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.dataset.traceId = traceId;
    a.title = 'open trace ' + traceId;
    a.textContent = traceId;
    return a;
  }

  /** A link only from the configured template and a well-formed W3C trace id; null otherwise. */
  function traceHref(traceId) {
    const template = state.config.trace_url_template;
    if (!template || !template.includes(PLACEHOLDER) || !TRACE_ID.test(traceId) || INVALID_TRACE_ID.test(traceId)) {
      return null;
    }
    let url;
    try {
      url = new URL(template.split(PLACEHOLDER).join(traceId.toLowerCase()), window.location.href);
    } catch (e) {
      return null;
    }
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  }

  function span(className, text) {
    const s = document.createElement('span');
    s.className = className;
    s.textContent = text;
    return s;
  }

  function emptyRow(columns, message) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = textCell('empty', message);
    td.colSpan = columns;
    tr.append(td);
    return tr;
  }

  function renderDetail() {
    const list = state.windowsByGroup.get(state.selected);
    if (!list) {
      el.detail.hidden = true;
      return;
    }
    el.detail.hidden = false;
    el.detail.dataset.group = state.selected;
    el.selectedGroup.textContent = state.selected;
    renderCharts(list);
    renderObjectives(state.objectivesByGroup.get(state.selected) || []);
    renderBreakdown(el.groupStages, state.selected, 'all routes', newest(list));
  }

  // ---- objectives -----------------------------------------------------------------------------

  function renderObjectives(objectives) {
    if (objectives.length === 0) {
      const p = document.createElement('p');
      p.className = 'no-objectives';
      p.textContent = 'No objectives: the group\'s policy sets no target, or none of its windows has closed yet.';
      el.objectives.replaceChildren(p);
      return;
    }
    const table = document.createElement('table');
    table.className = 'data objectives';
    const head = document.createElement('thead');
    head.append(headRow(['Objective', ''], ['Target', 'num'], ['Budget left', 'num'],
      ...BURN_RATE_PERIODS.map(period => ['Burn ' + period, 'num']), ['Alerts', ''], ['Evaluated', '']));
    const body = document.createElement('tbody');
    body.append(...objectives.map(objectiveRow));
    table.append(head, body);
    el.objectives.replaceChildren(table);
  }

  function objectiveRow(o) {
    const tr = document.createElement('tr');
    tr.dataset.slo = o.slo;
    const budget = textCell('budget num', '');
    budget.append(budgetSpan(o.budget));
    const alerts = textCell('alerts', '');
    alerts.append(...o.firing.map(severity => alertBadge(o.slo, severity)));
    tr.append(
      textCell('slo', o.slo),
      textCell('target num', formatTarget(o.target)),
      budget,
      ...BURN_RATE_PERIODS.map(period => burnRateCell(o.burnRates[period])),
      alerts,
      textCell('evaluated', o.evaluatedAt === null ? '–' : clock(o.evaluatedAt, false))
    );
    return tr;
  }

  function burnRateCell(value) {
    const rate = finiteOrNull(value);
    const td = numberCell('burn-rate', rate, formatRate);
    if (rate !== null && rate > 1) {
      td.classList.add('burning');
    }
    return td;
  }

  function renderRoutes() {
    const rows = state.routeRows;
    const chosen = rows.find(row => row.route === state.selectedRoute);
    el.routeStages.hidden = chosen === undefined;
    if (chosen !== undefined) {
      renderBreakdown(el.routeStages, chosen.route, 'route', chosen.w);
    }
    if (rows.length === 0) {
      el.routesBody.replaceChildren(emptyRow(11, 'No routes in this group yet.'));
      return;
    }
    el.routesBody.replaceChildren(...rows.map(row => routeRow(row.route, row.w)));
  }

  // ---- where the time goes --------------------------------------------------------------------

  function renderBreakdown(container, name, scope, w) {
    const title = document.createElement('h4');
    title.append(span('scope-name', name), ' ', span('hint', scope));
    container.dataset.name = name;
    const breakdown = timeBreakdown(w);
    if (breakdown === null) {
      container.replaceChildren(title, noStagesMessage(w));
      return;
    }
    const coverage = document.createElement('p');
    coverage.className = 'coverage';
    coverage.textContent = breakdown.upstream.count + ' of ' + num(w.count)
      + ' requests went upstream: the shares are of their time, the p99s of each stage\'s own requests.';
    container.replaceChildren(title, coverage, stackBar(breakdown), stageTable(breakdown));
  }

  function noStagesMessage(w) {
    const p = document.createElement('p');
    p.className = 'no-stages';
    // During a rolling upgrade an instance that predates stage timing answers without the field at all.
    p.textContent = w.stages === undefined
      ? 'No stage timings: this window comes from an instance that does not record them.'
      : 'No stage timings: none of the ' + num(w.count) + ' requests of this window went upstream with timing.';
    return p;
  }

  function stackBar(breakdown) {
    const bar = document.createElement('div');
    bar.className = 'stack';
    bar.setAttribute('role', 'img');
    bar.setAttribute('aria-label', breakdown.segments.map(s => s.name + ' ' + formatTenths(s.tenths)).join(', '));
    for (const s of breakdown.segments) {
      if (s.totalMs <= 0) {
        continue;
      }
      const segment = document.createElement('span');
      segment.className = 'segment';
      segment.dataset.stage = s.name;
      segment.title = s.name + ' ' + formatTenths(s.tenths) + (s.p99 === null ? '' : ' · p99 ' + formatMs(s.p99) + ' ms');
      segment.style.width = (s.totalMs / breakdown.total * 100) + '%';
      segment.style.background = stageColor(s.name);
      bar.append(segment);
    }
    return bar;
  }

  function stageTable(breakdown) {
    const table = document.createElement('table');
    table.className = 'data stages';
    const head = document.createElement('thead');
    head.append(headRow(['Stage', ''], ['Share', 'num'], ['p99 ms', 'num'], ['Requests', 'num']));
    const body = document.createElement('tbody');
    const [edge, ...upstreamParts] = breakdown.segments;
    body.append(stageRow(edge, false));
    // With backend stages the upstream call is their sum: its own row carries the p99 none of its parts has.
    if (breakdown.backend.length > 0) {
      body.append(upstreamRow(breakdown.upstream, upstreamParts));
    }
    body.append(...upstreamParts.map(s => stageRow(s, breakdown.backend.length > 0)));
    table.append(head, body);
    return table;
  }

  function headRow(...columns) {
    const tr = document.createElement('tr');
    for (const [text, className] of columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.className = className;
      th.textContent = text;
      tr.append(th);
    }
    return tr;
  }

  function stageRow(s, nested) {
    const tr = document.createElement('tr');
    tr.dataset.stage = s.name;
    if (nested) {
      tr.className = 'nested';
    }
    const name = textCell('stage', '');
    name.append(swatch(stageColor(s.name)), s.name);
    tr.append(
      name,
      textCell('share num', formatTenths(s.tenths)),
      numberCell('p99', s.p99, formatMs),
      numberCell('requests', s.count, String)
    );
    return tr;
  }

  function upstreamRow(upstream, parts) {
    const tr = document.createElement('tr');
    tr.dataset.stage = upstream.name;
    tr.className = 'subtotal';
    tr.append(
      textCell('stage', upstream.name),
      textCell('upstream-share num', formatTenths(parts.reduce((sum, s) => sum + s.tenths, 0))),
      numberCell('p99', upstream.p99, formatMs),
      numberCell('requests', upstream.count, String)
    );
    return tr;
  }

  function swatch(color) {
    const s = span('swatch', '');
    s.style.background = color;
    return s;
  }

  function stageColor(name) {
    if (name === EDGE) {
      return EDGE_COLOR;
    }
    if (name === UPSTREAM_REST || name === UPSTREAM) {
      return UPSTREAM_REST_COLOR;
    }
    if (!state.stageColors.has(name)) {
      state.stageColors.set(name, BACKEND_STAGE_COLORS[state.stageColors.size % BACKEND_STAGE_COLORS.length]);
    }
    return state.stageColors.get(name);
  }

  // ---- charts ---------------------------------------------------------------------------------

  function renderCharts(list) {
    const xs = list.map(w => num(w.window_start_ms) / 1000);
    const latencyData = [xs, ...['p50', 'p95', 'p99'].map(key => list.map(w => latency(w, key)))];
    const rateData = [
      xs,
      list.map(requestRate),
      list.map(w => num(w.errors) / windowSeconds(w)),
      list.map(w => num(w.denied) / windowSeconds(w))
    ];
    state.charts.latency = draw(state.charts.latency, el.latencyChart, latencyOptions, latencyData);
    state.charts.rate = draw(state.charts.rate, el.rateChart, rateOptions, rateData);
  }

  function draw(chart, container, options, data) {
    if (typeof window.uPlot !== 'function') {
      return null;
    }
    if (chart === null) {
      return new window.uPlot(options(chartSize(container)), data, container);
    }
    chart.setData(data);
    return chart;
  }

  function chartSize(container) {
    return { width: Math.max(280, container.clientWidth), height: 220 };
  }

  // Windows are whole minutes of log time, so the time axis never needs a tick finer than one.
  const MINUTE_TICKS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

  function timeAxis() {
    return { space: 60, incrs: MINUTE_TICKS, values: (u, ticks) => ticks.map(t => clock(t * 1000, false)) };
  }

  function timeSeries() {
    return { value: (u, t) => (t === null ? '–' : clock(t * 1000, false)) };
  }

  function series(label, stroke, format) {
    return { label, stroke, width: 2, points: { size: 5 }, value: (u, v) => (v === null ? '–' : format(v)) };
  }

  // Away from the cursor the legend shows the newest window rather than dashes.
  function legendAtNewest(u) {
    const newestIndex = u.data[0].length - 1;
    if (u.legend.idx == null && newestIndex >= 0) {
      u.setLegend({ idx: newestIndex }, false);
    }
  }

  function commonOptions(size) {
    return {
      ...size,
      scales: {
        x: { time: true, range: xRange },
        y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] }
      },
      hooks: { ready: [legendAtNewest], setData: [legendAtNewest], setLegend: [legendAtNewest] }
    };
  }

  function latencyOptions(size) {
    return {
      ...commonOptions(size),
      series: [
        timeSeries(),
        series('p50', COLORS.p50, formatMs),
        series('p95', COLORS.p95, formatMs),
        series('p99', COLORS.p99, formatMs)
      ],
      axes: [timeAxis(), { size: 56 }]
    };
  }

  function rateOptions(size) {
    return {
      ...commonOptions(size),
      series: [
        timeSeries(),
        series('requests', COLORS.requests, formatRate),
        series('errors', COLORS.errors, formatRate),
        series('denied', COLORS.denied, formatRate)
      ],
      axes: [timeAxis(), { size: 56 }]
    };
  }

  // A group's first window is a single point, which uPlot would put at the left of a whole day.
  function xRange(u, min, max) {
    const xs = u.data[0];
    if (xs.length !== 1) {
      return [min, max];
    }
    const windowSeconds = state.config.window_size_ms / 1000;
    return [xs[0] - windowSeconds, xs[0] + windowSeconds];
  }

  function resizeCharts() {
    for (const [chart, container] of [[state.charts.latency, el.latencyChart], [state.charts.rate, el.rateChart]]) {
      if (chart !== null) {
        chart.setSize(chartSize(container));
      }
    }
  }

  // ---- selection ------------------------------------------------------------------------------

  function select(group) {
    if (!state.windowsByGroup.has(group) || group === state.selected) {
      return;
    }
    state.selected = group;
    state.selectedRoute = null;
    state.routeRows = [];
    history.replaceState(null, '', '#group=' + encodeURIComponent(group));
    el.routesBody.replaceChildren();
    el.routeStages.hidden = true;
    render();
    loadRoutes().catch(showError);
  }

  function selectRoute(route) {
    if (!state.routeRows.some(row => row.route === route) || route === state.selectedRoute) {
      return;
    }
    state.selectedRoute = route;
    history.replaceState(null, '', '#group=' + encodeURIComponent(state.selected) + '&route=' + encodeURIComponent(route));
    renderRoutes();
  }

  function fromHash(name) {
    return new URLSearchParams(window.location.hash.slice(1)).get(name);
  }

  /** A click, Enter or Space on a row of the table body chooses that row's data-{key}. */
  function choosableRows(body, key, choose) {
    const rowOf = event => (event.target instanceof Element ? event.target.closest('tr[data-' + key + ']') : null);
    body.addEventListener('click', event => {
      // Let trace links open without also switching the selection.
      if (event.target instanceof Element && event.target.closest('a')) {
        return;
      }
      const row = rowOf(event);
      if (row !== null) {
        choose(row.dataset[key]);
      }
    });
    body.addEventListener('keydown', event => {
      const row = rowOf(event);
      if (row !== null && (event.key === 'Enter' || event.key === ' ')) {
        event.preventDefault();
        choose(row.dataset[key]);
      }
    });
  }

  choosableRows(el.groupsBody, 'group', select);
  choosableRows(el.routesBody, 'route', selectRoute);

  window.addEventListener('resize', resizeCharts);

  // ---- status ---------------------------------------------------------------------------------

  function showUpdated(windowCount) {
    const now = new Date();
    el.status.textContent = 'updated ' + clock(now.getTime(), true) + ' · ' + windowCount + ' windows';
    el.status.dataset.windows = String(windowCount);
    el.status.dataset.polls = String(state.polls);
    el.status.dataset.updatedMs = String(now.getTime());
    el.status.classList.remove('stale');
    el.error.hidden = true;
    el.error.textContent = '';
  }

  function showError(error) {
    el.status.classList.add('stale');
    el.error.hidden = false;
    el.error.textContent = 'Cannot refresh: ' + (error && error.message ? error.message : String(error))
      + ' · retrying every ' + POLL_MS / 1000 + ' s';
  }

  // ---- formatting -----------------------------------------------------------------------------

  function num(value) {
    const n = Number(value);
    return isFinite(n) ? n : 0;
  }

  function positiveNumber(value) {
    const n = Number(value);
    return isFinite(n) && n > 0 ? n : 0;
  }

  function formatMs(ms) {
    if (ms >= 100) {
      return ms.toFixed(0);
    }
    return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
  }

  function formatRate(perSecond) {
    if (perSecond >= 100) {
      return perSecond.toFixed(0);
    }
    return perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
  }

  function formatPercent(fraction) {
    return (fraction * 100).toFixed(1) + '%';
  }

  function formatBudget(budget) {
    return budget === null ? '–' : formatPercent(budget);
  }

  /** 0.99 as 99%, 0.999 as 99.9%: as many decimals as the target has. */
  function formatTarget(target) {
    return target === null ? '–' : String(Math.round(target * 100000) / 1000) + '%';
  }

  function formatTenths(tenths) {
    return (tenths / 10).toFixed(1) + '%';
  }

  function finiteOrNull(value) {
    return typeof value === 'number' && isFinite(value) ? value : null;
  }

  function clock(epochMs, withSeconds) {
    const d = new Date(epochMs);
    const parts = [d.getHours(), d.getMinutes()].concat(withSeconds ? [d.getSeconds()] : []);
    return parts.map(n => String(n).padStart(2, '0')).join(':');
  }

  poll();
})();
