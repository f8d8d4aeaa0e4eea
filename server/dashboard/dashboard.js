// The maasflow dashboard: plain browser JavaScript, no build step. It reads the
// open GET routes of the control API, follows GET /v1/metrics/stream (SSE) and
// sends approve / reject with the token the user typed (kept in sessionStorage,
// so it lives only as long as the tab).
(() => {
  'use strict';

  const TOKEN_KEY = 'maasflow.token';
  const MAX_POINTS = 720;
  const $ = (id) => document.getElementById(id);

  // ---- small helpers (text only: nothing from the API is parsed as HTML) ----
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const tag = (text) => el('span', { class: `tag ${text}` }, text);
  // Local time as YYYY-MM-DD HH:MM:SS (the charts' axis is local time too).
  const time = (ms) => (ms === null || ms === undefined ? '–' : new Date(ms).toLocaleString('sv-SE'));
  const when = (ms) => el('td', { class: 'time' }, time(ms));
  const num = (x, digits = 3) => (x === null || x === undefined ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
  function fill(tableId, rows) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren(...rows);
    return rows.length;
  }
  function say(text, ok = false) {
    const box = $('message');
    box.textContent = text;
    box.className = ok ? 'ok' : '';
    box.hidden = !text;
  }

  // ---- API ----
  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  // `npm start` prints the dashboard URL with #token=...: taken once, then dropped from the address bar
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    token = fromUrl;
    sessionStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', location.pathname + location.search);
  }
  async function errorText(res) {
    try {
      const body = await res.json();
      return body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`;
    } catch {
      return `HTTP ${res.status}`;
    }
  }
  async function getJson(path) {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`${path}: ${await errorText(res)}`);
    return res.json();
  }
  async function send(method, path, body) {
    if (!token) throw new Error('enter the API token first (top of the page)');
    const res = await fetch(path, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body || {}) });
    if (!res.ok) throw new Error(await errorText(res));
    return res.json();
  }

  // ---- token ----
  function showToken() {
    $('token-state').textContent = token ? 'token set: changes allowed' : 'no token: read-only';
    $('token-input').value = token;
  }
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token-input').value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    showToken();
  });

  // ---- tables ----
  // What a version changes against its parent: `top_k 5 → 8`.
  function changes(v, byName) {
    const parent = v.parent && byName.get(v.parent);
    if (!parent) return '–';
    const diff = Object.keys(v.params).filter((k) => v.params[k] !== parent.params[k]).map((k) => `${k} ${parent.params[k]} → ${v.params[k]}`);
    return diff.join(', ') || 'none';
  }
  function renderParameters(versions) {
    const active = versions.find((v) => v.active);
    if (active) $('active-version').textContent = active.version;
    const byName = new Map(versions.map((v) => [v.version, v]));
    fill('parameters-table', [...versions].reverse().map((v) =>
      el('tr', { class: v.active ? 'active' : v.status === 'rolled_back' ? 'rolled-back' : '', dataset: { version: v.version, status: v.status }, 'data-testid': `version-${v.version}` },
        el('td', {}, v.version), el('td', { class: 'status' }, tag(v.status)), el('td', {}, v.parent || '–'), el('td', {}, changes(v, byName)),
        el('td', {}, v.reason), el('td', {}, v.initiator), when(v.activated_at))));
  }
  function renderAudit(entries) {
    fill('audit-table', [...entries].reverse().map((a) =>
      el('tr', { dataset: { seq: a.seq } },
        el('td', { class: 'num' }, a.seq), when(a.at), el('td', {}, a.action), el('td', {}, a.version || '–'), el('td', {}, a.from_version || '–'),
        el('td', {}, a.initiator), el('td', {}, a.experiment_id || '–'), el('td', {}, a.reason))));
  }
  function renderExperiments(list) {
    fill('experiments-table', list.map((e) =>
      el('tr', { dataset: { experiment: e.id }, 'data-testid': `experiment-${e.id}` },
        el('td', {}, e.id), el('td', {}, tag(e.status)), el('td', {}, [e.spec.baseline.name, ...e.spec.variants.map((v) => v.name)].join(', ')),
        el('td', {}, e.spec.primary_metrics.join(', ')), el('td', {}, e.verdict ? tag(e.verdict) : '–'), when(e.created_at))));
  }
  function renderApprovals(list) {
    const pending = list.filter((a) => a.status === 'pending');
    const n = fill('approvals-table', pending.map((a) =>
      el('tr', { dataset: { approval: a.id }, 'data-testid': `approval-${a.id}` },
        el('td', {}, a.id), el('td', { class: 'num' }, a.cycle),
        el('td', {}, `${a.from_version} → ${a.version}: ${a.changes.map((c) => `${c.param} ${c.from} → ${c.to}`).join(', ')}`), el('td', {}, a.reason),
        el('td', { class: 'actions' },
          el('button', { class: 'approve', type: 'button', 'data-testid': `approve-${a.id}`, onclick: (ev) => decide(a.id, 'approve', ev.target) }, 'Approve'),
          el('button', { class: 'reject', type: 'button', 'data-testid': `reject-${a.id}`, onclick: (ev) => decide(a.id, 'reject', ev.target) }, 'Reject')))));
    $('approvals-empty').hidden = n > 0;
  }
  function renderCycles(list) {
    fill('cycles-table', [...list].reverse().map((c) =>
      el('tr', { dataset: { cycle: c.cycle } },
        el('td', { class: 'num' }, c.cycle), el('td', {}, c.type),
        el('td', {}, c.active_before === c.active_after ? c.active_after : `${c.active_before} → ${c.active_after}`),
        el('td', {}, c.verdict ? tag(c.verdict) : '–'), el('td', {}, c.decisions.join('; ')))));
  }
  function renderReports(list) {
    $('reports-list').replaceChildren(...[...list].reverse().map((r) =>
      el('li', { 'data-testid': `report-${r.cycle}` },
        `cycle ${r.cycle} (${r.type}, ${time(r.created_at)}): `,
        el('a', { href: `/v1/reports/${r.cycle}/report.md`, target: '_blank' }, 'Markdown'), ' · ',
        el('a', { href: `/v1/reports/${r.cycle}`, target: '_blank' }, 'JSON'))));
  }

  const SOURCES = [
    ['/v1/parameters', renderParameters], ['/v1/parameters/audit', renderAudit], ['/v1/experiments', renderExperiments],
    ['/v1/approvals', renderApprovals], ['/v1/cycles', renderCycles], ['/v1/reports', renderReports],
  ];
  async function refresh(paths) {
    const chosen = paths ? SOURCES.filter(([p]) => paths.includes(p)) : SOURCES;
    const results = await Promise.allSettled(chosen.map(async ([path, render]) => render(await getJson(path))));
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    if (failed.length > 0) say(failed.join('\n'));
    document.body.dataset.refreshed = String(Date.now());
  }

  async function decide(id, decision, button) {
    button.disabled = true;
    try {
      const result = await send('POST', `/v1/approvals/${encodeURIComponent(id)}/${decision}`, {});
      say(`${id} ${result.status}${decision === 'approve' ? `: ${result.version} is active` : ''}`, true);
    } catch (err) {
      say(`${decision} ${id}: ${err.message}`);
      button.disabled = false;
    }
    await refresh(['/v1/parameters', '/v1/parameters/audit', '/v1/approvals']);
  }

  // A cycle runs on the server (POST /v1/cycles answers when it finished); the live figures arrive over SSE meanwhile.
  async function runCycle(type) {
    const buttons = document.querySelectorAll('button[data-cycle]');
    buttons.forEach((b) => (b.disabled = true));
    say(`${type} cycle running…`, true);
    try {
      const record = await send('POST', '/v1/cycles', { type });
      say(`cycle ${record.cycle} (${record.type}) done: active ${record.active_after}`, true);
    } catch (err) {
      say(`${type} cycle: ${err.message}`);
    }
    buttons.forEach((b) => (b.disabled = false));
    await refresh();
  }
  document.querySelectorAll('button[data-cycle]').forEach((b) => b.addEventListener('click', () => runCycle(b.dataset.cycle)));
  $('stop-cycle').addEventListener('click', async () => {
    try {
      const { cycle } = await send('POST', '/v1/cycles/stop', { reason: 'stopped from the dashboard' });
      say(`cycle ${cycle}: its traffic stops; nothing is adopted`, true);
    } catch (err) {
      say(`stop: ${err.message}`);
    }
  });

  // ---- live charts (uPlot) ----
  const series = { t: [], q: [], precision: [], recall: [], correct: [], latency: [] };
  function makeChart(id, lines) {
    const box = $(id);
    const opts = {
      width: Math.max(300, box.clientWidth), height: 220, legend: { live: true },
      scales: { x: { time: true } }, axes: [{}, { size: 60 }],
      series: [{}, ...lines.map(([label, stroke]) => ({ label, stroke, width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
    };
    return new uPlot(opts, [[], ...lines.map(() => [])], box);
  }
  const quality = makeChart('chart-quality', [['Q', '#111827'], ['precision@k', '#2563eb'], ['recall@k', '#16a34a'], ['correct rate', '#d97706']]);
  const latency = makeChart('chart-latency', [['p95 ms', '#b91c1c']]);
  window.addEventListener('resize', () => {
    for (const [chart, id] of [[quality, 'chart-quality'], [latency, 'chart-latency']]) chart.setSize({ width: Math.max(300, $(id).clientWidth), height: 220 });
  });

  function addFigure(m) {
    const t = m.at / 1000;
    if (series.t.length > 0 && t <= series.t[series.t.length - 1]) return; // a reconnect sends the snapshot again
    const v = (name) => (m.metrics[name] === undefined ? null : m.metrics[name]);
    series.t.push(t); series.q.push(m.q); series.precision.push(v('precision_at_k'));
    series.recall.push(v('recall_at_k')); series.correct.push(v('correct_rate')); series.latency.push(v('latency_p95_ms'));
    if (series.t.length > MAX_POINTS) for (const list of Object.values(series)) list.shift();
    quality.setData([series.t, series.q, series.precision, series.recall, series.correct]);
    latency.setData([series.t, series.latency]);
    $('chart-quality').dataset.points = $('chart-latency').dataset.points = String(series.t.length);
  }

  // ---- live figures over SSE ----
  let seen = { cycle: null, version: null };
  function showLive(m) {
    $('run-count').textContent = String(m.runs);
    $('cycle').textContent = String(m.cycle);
    $('q-value').textContent = num(m.q);
    $('live-at').textContent = time(m.at);
    $('active-version').textContent = m.active_version;
    addFigure(m);
    // A new cycle or version changes the tables: read them again.
    if (seen.cycle !== null && (seen.cycle !== m.cycle || seen.version !== m.active_version)) refresh();
    seen = { cycle: m.cycle, version: m.active_version };
  }
  function follow() {
    const status = $('stream-status');
    const stream = new EventSource('/v1/metrics/stream');
    stream.addEventListener('open', () => { status.textContent = 'live'; status.className = 'pill live'; });
    stream.addEventListener('error', () => { status.textContent = 'reconnecting…'; status.className = 'pill down'; });
    stream.addEventListener('metrics', (event) => showLive(JSON.parse(event.data)));
  }

  showToken();
  refresh();
  follow();
})();
