'use strict';
// alco's web UI: the index list and the log view (search, context, live tail).
// Everything that comes from a log reaches the page through text nodes, attributes set one
// by one, or SVG geometry; nothing from the server is ever parsed as HTML.

// ---------- small helpers ----------

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

async function api(path, params) {
  const url = params ? path + '?' + params.toString() : path;
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : response.status + ' ' + response.statusText;
    throw new Error(detail);
  }
  return body;
}

function formatCount(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(n >= 1e7 ? 0 : 1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return String(n);
}

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

// "2026-11-25T21:05:51.852258+00:00" → "2026-11-25 21:05:51.852"
function shortTime(iso) {
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23);
}

function valueText(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// ---------- index list ----------

function sparkline(counts) {
  const w = 120, h = 24;
  const max = Math.max(1, ...counts);
  const s = svg('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, class: 'sparkline' });
  const step = w / Math.max(1, counts.length - 1);
  const points = counts.map((c, i) => `${(i * step).toFixed(1)},${(h - 1 - (c / max) * (h - 2)).toFixed(1)}`).join(' ');
  s.append(svg('polyline', { points, fill: 'none', class: 'spark-line' }));
  return s;
}

// Lines that arrived older than the index keeps are dropped at the next maintenance: say so
// where people look, with what keeps them.
function lateArrivalsRow(ix) {
  const late = ix.outside_retention;
  return el('tr', { class: 'late-arrivals' }, el('td', { colspan: 6 },
    `${formatCount(late.lines)} lines arrived older than the ${ix.retention_days}-day retention keeps (the oldest from `,
    el('time', {}, new Date(late.oldest).toISOString().slice(0, 19).replace('T', ' ')),
    ' UTC): they are dropped at the next maintenance. Keep such lines with ',
    el('code', {}, `curl -X PATCH ${location.origin}/api/v1/indexes/${ix.name} -d '{"retention_days": ${late.retention_days_needed}}'`),
    ' (or, with alco stopped, ', el('code', {}, `alco index alter ${ix.name} --retention-days ${late.retention_days_needed}`), ').'));
}

async function renderIndexList(app) {
  document.title = 'alco';
  const table = el('tbody');
  const shortcuts = el('ul', { class: 'shortcuts' });
  const error = el('div', { class: 'error', hidden: true });
  app.replaceChildren(
    el('header', { class: 'top' }, el('a', { href: '/', class: 'brand' }, 'alco'), el('span', { class: 'muted' }, 'logs you can grep')),
    error,
    el('main', { class: 'page' },
      el('h2', {}, 'Indexes'),
      el('table', { class: 'indexes' },
        el('thead', {}, el('tr', {}, ['index', 'last 5 min', 'last hour', 'lines', 'on disk', 'retention'].map(t => el('th', {}, t)))),
        table),
      el('p', { class: 'hint' }, 'Send JSON lines with ',
        el('code', {}, 'curl --data-binary @lines.jsonl http://HOST/api/v1/ingest/INDEX'),
        ', the Elasticsearch bulk API, RabbitMQ (python logcollect) or ', el('code', {}, 'alco ingest'), '.'),
      el('h2', {}, 'Shortcuts'), shortcuts));
  async function refresh() {
    try {
      const { indexes } = await api('/api/v1/indexes');
      table.replaceChildren(...indexes.flatMap(ix => [el('tr', {},
        el('td', {}, el('a', { href: '/grep/' + encodeURIComponent(ix.name) + '/', class: 'index-link' }, ix.name)),
        el('td', { class: 'num' }, formatCount(ix.last_5m)),
        el('td', {}, sparkline(ix.per_minute)),
        el('td', { class: 'num' }, formatCount(ix.documents)),
        el('td', { class: 'num' }, formatBytes(ix.disk_bytes)),
        el('td', { class: 'num' }, ix.retention_days + ' d')),
        ...(ix.outside_retention ? [lateArrivalsRow(ix)] : [])]));
      if (!indexes.length) table.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No index yet: alco index create NAME, or POST /api/v1/indexes.')));
      const list = await api('/api/v1/shortcuts');
      shortcuts.replaceChildren(...list.map(s => el('li', {},
        el('a', { href: s.url }, s.name), ' ',
        s.default_field ? el('code', { class: 'muted' }, '/grep/shortcut/' + s.name + '/<' + s.default_field + '>/') : null, ' ',
        el('span', { class: 'muted' }, s.description || ''), ' ',
        el('button', { class: 'link', onclick: async () => {
          await fetch('/api/v1/shortcuts/' + encodeURIComponent(s.name), { method: 'DELETE' });
          refresh();
        } }, 'remove'))));
      if (!list.length) shortcuts.append(el('li', { class: 'muted' }, 'None saved; use "save" in a log view.'));
      error.hidden = true;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    }
  }
  await refresh();
  const timer = setInterval(refresh, 10000);
  return () => clearInterval(timer);
}

// ---------- log view state (all of it lives in the URL) ----------

const RANGES = [['', 'all time'], ['15m', 'last 15 min'], ['1h', 'last hour'], ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'], ['7d', 'last 7 days'], ['30d', 'last 30 days'], ['custom', 'custom…']];

function readState() {
  const p = new URLSearchParams(location.search);
  return {
    q: p.get('q') || '',
    mode: p.get('mode') || 'extended',
    caseSensitive: p.get('case') === 'sensitive',
    since: p.get('since') || '',
    until: p.get('until') || '',
    fields: p.getAll('field'),
    patterns: p.getAll('pattern'),
    hidden: p.getAll('not_pattern'),
    columns: (p.get('cols') || '').split(',').filter(Boolean),
    context: p.get('ctx') || '',
    tail: p.get('tail') === '1',
  };
}

// Links in ALCO's form, as its Backbone router read them:
// /grep/<index>/?search=…&start_ts=…&end_ts=…&<field>=a,b&columns=a,b. `search` was a phrase
// on the line, the times ALCO's "YYYY-MM-DD HH:MM:SS" (or ISO 8601, or epoch seconds), every
// other key a filter whose comma-separated values are alternatives. Null when the URL is
// alco's own form.
const OWN_KEYS = new Set(['q', 'mode', 'case', 'since', 'until', 'field', 'pattern', 'not_pattern', 'cols', 'ctx', 'tail']);
const ALCO_KEYS = new Set(['search', 'start_ts', 'end_ts', 'columns']);
const ALCO_IGNORED = new Set(['context', 'page_size', 'cursor', 'format']);

function alcoLinkState(p) {
  const keys = [...p.keys()];
  if (!keys.some(k => ALCO_KEYS.has(k) || !OWN_KEYS.has(k))) return null;
  const fields = [];
  for (const [k, v] of p) {
    if (OWN_KEYS.has(k) || ALCO_KEYS.has(k) || ALCO_IGNORED.has(k)) continue;
    const key = k.endsWith('__in') ? k.slice(0, -4) : k;
    for (const value of v.split(',')) if (value) fields.push(key + ':' + value);
  }
  const search = (p.get('search') || '').replace(/["\\]/g, ' ').trim();
  return {
    q: search ? '@logline "' + search + '"' : '',
    mode: 'extended',
    caseSensitive: false,
    since: p.get('start_ts') || '',
    until: p.get('end_ts') || '',
    fields,
    patterns: [],
    hidden: [],
    columns: (p.get('columns') || '').split(',').filter(Boolean),
    context: '',
    tail: false,
  };
}

// Rewrites a link in ALCO's form to alco's own, in place (no history entry).
function adoptALCOLink() {
  const s = alcoLinkState(new URLSearchParams(location.search));
  if (!s) return;
  const q = stateQuery(s).toString();
  history.replaceState(null, '', location.pathname + (q ? '?' + q : ''));
}

function stateQuery(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.mode !== 'extended') p.set('mode', s.mode);
  if (s.caseSensitive) p.set('case', 'sensitive');
  if (s.since) p.set('since', s.since);
  if (s.until) p.set('until', s.until);
  for (const f of s.fields) p.append('field', f);
  for (const id of s.patterns || []) p.append('pattern', id);
  for (const id of s.hidden || []) p.append('not_pattern', id);
  if (s.columns.length) p.set('cols', s.columns.join(','));
  if (s.context) p.set('ctx', s.context);
  if (s.tail) p.set('tail', '1');
  return p;
}

// The API parameters of a search: the query, its filters and the time range.
function searchParams(index, s, { time = true } = {}) {
  const p = new URLSearchParams({ index });
  if (s.q) p.set('q', s.q);
  if (s.mode !== 'extended') p.set('mode', s.mode);
  if (s.caseSensitive) p.set('case', 'sensitive');
  for (const f of s.fields) p.append('field', f);
  for (const id of s.patterns || []) p.append('pattern', id);
  for (const id of s.hidden || []) p.append('not_pattern', id);
  if (time && s.since) p.set('since', s.since);
  if (time && s.until) p.set('until', s.until);
  return p;
}

// Marks the search's matches in unfiltered lines (context mode).
function highlightParams(p, s) {
  if (!s.q) return p;
  p.set('hl_q', s.q);
  if (s.mode !== 'extended') p.set('hl_mode', s.mode);
  if (s.caseSensitive) p.set('hl_case', 'sensitive');
  return p;
}

// `@host=web1 @level="warn ing" timeout` → filters host:web1, level:warn ing; query "timeout".
function splitInlineFilters(text) {
  const fields = [];
  const q = text.replace(/(^|\s)@([\w.-]+)=("([^"]*)"|(\S+))/g, (_, lead, key, _v, quoted, bare) => {
    fields.push(key + ':' + (quoted !== undefined ? quoted : bare));
    return lead;
  }).replace(/\s+/g, ' ').trim();
  return { q, fields };
}

// ---------- log view ----------

const PAGE = 200;
const MAX_ROWS = 20000;

class LogView {
  constructor(app, index) {
    this.app = app;
    this.index = index;
    this.state = readState();
    this.rows = [];          // {hit, node, isHit}
    this.selected = -1;
    this.hasOlder = false;
    this.hasNewer = false;
    this.loading = false;
    this.generation = 0;     // bumps on every reload, so late answers of an old view are dropped
    this.tailSource = null;
    this.unseen = 0;
    this.fieldsInfo = [];
    this.build();
  }

  // The page's skeleton; filled by load().
  build() {
    document.title = this.index + ' · alco';
    this.searchBox = el('input', { type: 'search', class: 'search', placeholder: 'search: words, "a phrase", a | b, -not, word*, @field=value  (/ to focus)', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'search' });
    this.modeSelect = el('select', { class: 'mode', title: 'how the query is read', 'aria-label': 'mode' },
      el('option', { value: 'extended' }, 'words'), el('option', { value: 'substring' }, 'substring'), el('option', { value: 'regex' }, 'regex'));
    this.caseBox = el('input', { type: 'checkbox', class: 'case' });
    this.rangeSelect = el('select', { class: 'range', 'aria-label': 'time range' }, RANGES.map(([v, t]) => el('option', { value: v }, t)));
    this.sinceBox = el('input', { type: 'text', class: 'since', placeholder: 'since 2026-11-25T10:00', size: 20 });
    this.untilBox = el('input', { type: 'text', class: 'until', placeholder: 'until (now)', size: 20 });
    this.customRange = el('span', { class: 'custom-range' }, this.sinceBox, ' – ', this.untilBox);
    this.tailButton = el('button', { class: 'tail-toggle', type: 'button', title: 'live tail (t)', onclick: () => this.toggleTail() }, 'tail');
    const form = el('form', { class: 'query', onsubmit: e => { e.preventDefault(); this.submit(); } },
      this.searchBox, this.modeSelect, el('label', { class: 'case-label', title: 'case-sensitive substring/regex' }, this.caseBox, 'Aa'),
      this.rangeSelect, this.customRange, el('button', { type: 'submit', class: 'go' }, 'search'), this.tailButton,
      el('button', { type: 'button', class: 'save', title: 'save as a shortcut', onclick: () => this.saveShortcut() }, 'save'));
    this.rangeSelect.addEventListener('change', () => {
      this.customRange.hidden = this.rangeSelect.value !== 'custom';
      if (this.rangeSelect.value !== 'custom') this.submit();
    });
    this.chips = el('div', { class: 'chips' });
    this.banner = el('div', { class: 'banner', hidden: true });
    this.error = el('div', { class: 'error', hidden: true });
    this.histogram = el('div', { class: 'histogram' });
    this.sidebar = el('aside', { class: 'sidebar' });
    this.list = el('div', { class: 'lines', tabindex: '0' });
    this.status = el('div', { class: 'status' });
    this.newLines = el('button', { class: 'new-lines', hidden: true, onclick: () => this.scrollToBottom() });
    this.app.replaceChildren(
      el('header', { class: 'top' }, el('a', { href: '/', class: 'brand' }, 'alco'), el('span', { class: 'index-name' }, this.index), form),
      this.chips, this.banner, this.error, this.histogram,
      el('div', { class: 'body' }, this.sidebar, el('div', { class: 'lines-wrap' }, this.list, this.newLines)),
      this.status);
    this.list.addEventListener('scroll', () => this.onScroll());
    this.list.addEventListener('click', e => this.onClick(e));
  }

  // Puts the state into the controls.
  showState() {
    const s = this.state;
    this.searchBox.value = s.q;
    this.modeSelect.value = s.mode;
    this.caseBox.checked = s.caseSensitive;
    const quick = RANGES.find(([v]) => v && v === s.since && !s.until);
    if (!s.since && !s.until) this.rangeSelect.value = '';
    else if (quick) this.rangeSelect.value = quick[0];
    else this.rangeSelect.value = 'custom';
    this.customRange.hidden = this.rangeSelect.value !== 'custom';
    this.sinceBox.value = this.rangeSelect.value === 'custom' ? s.since : '';
    this.untilBox.value = this.rangeSelect.value === 'custom' ? s.until : '';
    this.tailButton.classList.toggle('on', s.tail);
    this.renderChips();
  }

  // The filters in force, each with its remove button.
  renderChips() {
    const s = this.state;
    this.chips.replaceChildren(...s.fields.map(f => {
      const negated = f.startsWith('-');
      const [key, ...rest] = (negated ? f.slice(1) : f).split(':');
      return el('span', { class: 'chip' + (negated ? ' negated' : '') },
        el('b', {}, (negated ? 'not ' : '') + key), ' = ', rest.join(':'),
        el('button', { class: 'x', title: 'remove filter', onclick: () => this.change({ fields: this.state.fields.filter(x => x !== f) }) }, '×'));
    }), ...(s.patterns || []).map(id => el('span', { class: 'chip pattern-chip' },
      el('b', {}, 'pattern'), ' ', this.templateOf(id),
      el('button', { class: 'x', title: 'remove filter', onclick: () => this.change({ patterns: this.state.patterns.filter(x => x !== id) }) }, '×'))),
    ...(s.hidden || []).map(id => el('span', { class: 'chip negated pattern-chip' },
      el('b', {}, 'hidden'), ' ', this.templateOf(id),
      el('button', { class: 'x', title: 'show again', onclick: () => this.change({ hidden: this.state.hidden.filter(x => x !== id) }) }, '×'))));
  }

  // A pattern's template as last loaded (its id until the patterns panel has loaded).
  templateOf(id) {
    return (this.templates && this.templates.get(id)) || '#' + id;
  }

  // Reads the controls into a new state and loads it.
  submit() {
    const split = splitInlineFilters(this.searchBox.value);
    let since = this.rangeSelect.value, until = '';
    if (since === 'custom') { since = this.sinceBox.value.trim(); until = this.untilBox.value.trim(); }
    this.change({
      q: split.q, fields: [...this.state.fields, ...split.fields.filter(f => !this.state.fields.includes(f))],
      mode: this.modeSelect.value, caseSensitive: this.caseBox.checked, since, until, context: '',
    });
  }

  change(patch, { push = true } = {}) {
    this.state = Object.assign({}, this.state, patch);
    const url = location.pathname + (stateQuery(this.state).toString() ? '?' + stateQuery(this.state) : '');
    if (push) history.pushState(null, '', url); else history.replaceState(null, '', url);
    this.load();
  }

  // Everything the state shows: the lines, the histogram, the sidebar, the tail.
  async load() {
    this.generation++;
    this.stopTail();
    this.showState();
    this.error.hidden = true;
    this.rows = [];
    this.selected = -1;
    this.list.replaceChildren();
    const s = this.state;
    if (s.context) await this.loadContext(s.context); else await this.loadLatest();
    this.loadHistogram();
    this.loadSidebar();
    if (s.tail && !s.context) this.startTail();
  }

  fail(e) {
    this.error.textContent = e.message;
    this.error.hidden = false;
  }

  async guarded(work) {
    const generation = this.generation;
    this.loading = true;
    try {
      await work(() => generation === this.generation);
    } catch (e) {
      if (generation === this.generation) this.fail(e);
    } finally {
      this.loading = false;
      this.updateStatus();
    }
  }

  // Search mode: the newest page of hits, oldest of them at the top like a terminal.
  async loadLatest() {
    this.banner.hidden = true;
    await this.guarded(async current => {
      const p = searchParams(this.index, this.state);
      p.set('order', 'desc'); p.set('limit', PAGE); p.set('highlight', 'true');
      const r = await api('/api/v1/search', p);
      if (!current()) return;
      this.append(r.hits.reverse(), true);
      this.hasOlder = r.hits.length === PAGE;
      this.hasNewer = false;
      this.select(this.rows.length - 1, false);
      this.scrollToBottom();
    });
  }

  // Context mode: the unfiltered stream around one line, the search's matches still marked.
  async loadContext(id) {
    await this.guarded(async current => {
      const p = highlightParams(new URLSearchParams({ index: this.index, id, before: PAGE, after: PAGE }), this.state);
      const r = await api('/api/v1/context', p);
      if (!current()) return;
      this.append([...r.before, r.anchor, ...r.after], false);
      this.hasOlder = r.before.length === PAGE;
      this.hasNewer = r.after.length === PAGE;
      const at = r.before.length;
      this.select(at, false);
      this.rows[at].node.classList.add('anchor');
      this.rows[at].node.scrollIntoView({ block: 'center' });
      this.banner.replaceChildren(
        el('b', {}, 'context'), ' around ', shortTime(r.anchor.datetime), ' — every line, matches marked; ',
        el('kbd', {}, 'n'), '/', el('kbd', {}, 'N'), ' next/previous match, ',
        el('button', { class: 'link back', onclick: () => this.change({ context: '' }) }, 'back to results (Esc)'));
      this.banner.hidden = false;
    });
  }

  // Scrolling past the loaded lines loads more: filtered in search mode, every line in context.
  async loadMore(older) {
    if (this.loading || !this.rows.length) return;
    if (older ? !this.hasOlder : !this.hasNewer) return;
    const edge = older ? this.rows[0].hit.id : this.rows[this.rows.length - 1].hit.id;
    await this.guarded(async current => {
      const inContext = !!this.state.context;
      const p = inContext ? highlightParams(new URLSearchParams({ index: this.index }), this.state) : searchParams(this.index, this.state);
      if (!inContext) p.set('highlight', 'true');
      p.set(older ? 'before' : 'after', edge);
      p.set('order', older ? 'desc' : 'asc');
      p.set('limit', PAGE);
      const r = await api('/api/v1/search', p);
      if (!current()) return;
      const hits = older ? r.hits.reverse() : r.hits;
      if (older) {
        const before = this.list.scrollHeight;
        this.prepend(hits, !inContext);
        this.list.scrollTop += this.list.scrollHeight - before;
        this.hasOlder = r.hits.length === PAGE;
      } else {
        this.append(hits, !inContext);
        this.hasNewer = r.hits.length === PAGE;
      }
    });
  }

  onScroll() {
    const l = this.list;
    if (l.scrollTop < 400) this.loadMore(true);
    if (l.scrollHeight - l.scrollTop - l.clientHeight < 400) {
      this.loadMore(false);
      if (this.unseen) { this.unseen = 0; this.newLines.hidden = true; }
    }
  }

  atBottom() {
    const l = this.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
  }

  scrollToBottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.unseen = 0;
    this.newLines.hidden = true;
  }

  // ----- rows -----

  rowFor(hit, isHit) {
    const marked = isHit || (hit.highlight && hit.highlight.length > 0);
    const node = el('div', { class: 'line' + (marked ? ' hit' : ''), 'data-id': hit.id });
    node.append(el('span', { class: 'time', title: hit.datetime }, shortTime(hit.datetime)));
    for (const c of this.state.columns) {
      node.append(el('span', { class: 'col', title: c }, valueText(hit.js ? hit.js[c] : '')));
    }
    node.append(this.message(hit.logline, hit.highlight));
    return { hit, node, isHit: marked, open: false };
  }

  // The logline with the matched spans in <mark>, built from text nodes.
  message(text, spans) {
    const m = el('span', { class: 'msg' });
    let at = 0;
    for (const [start, end] of spans || []) {
      if (start > at) m.append(document.createTextNode(text.slice(at, start)));
      m.append(el('mark', {}, text.slice(start, end)));
      at = end;
    }
    if (at < text.length) m.append(document.createTextNode(text.slice(at)));
    return m;
  }

  append(hits, areHits) {
    const frag = document.createDocumentFragment();
    for (const h of hits) {
      const r = this.rowFor(h, areHits);
      this.rows.push(r);
      frag.append(r.node);
    }
    this.list.append(frag);
    this.trim(true);
  }

  prepend(hits, areHits) {
    const made = hits.map(h => this.rowFor(h, areHits));
    const frag = document.createDocumentFragment();
    for (const r of made) frag.append(r.node);
    this.list.prepend(frag);
    this.rows = made.concat(this.rows);
    if (this.selected >= 0) this.selected += made.length;
    this.trim(false);
  }

  // Keeps the page light: drops lines at the far end once there are too many.
  trim(fromTop) {
    const extra = this.rows.length - MAX_ROWS;
    if (extra <= 0) return;
    const gone = fromTop ? this.rows.splice(0, extra) : this.rows.splice(this.rows.length - extra, extra);
    const height = fromTop ? gone.reduce((sum, r) => sum + r.node.offsetHeight, 0) : 0;
    for (const r of gone) r.node.remove();
    if (fromTop) { this.list.scrollTop -= height; this.hasOlder = true; this.selected -= extra; }
    else this.hasNewer = true;
    if (this.selected < 0 || this.selected >= this.rows.length) this.selected = -1;
  }

  select(i, scroll = true) {
    if (i < 0 || i >= this.rows.length) return;
    if (this.selected >= 0 && this.rows[this.selected]) this.rows[this.selected].node.classList.remove('selected');
    this.selected = i;
    this.rows[i].node.classList.add('selected');
    if (scroll) this.rows[i].node.scrollIntoView({ block: 'nearest' });
    this.updateStatus();
  }

  onClick(e) {
    const node = e.target.closest('.line');
    if (!node || e.target.closest('.details')) return;
    const i = this.rows.findIndex(r => r.node === node);
    if (i < 0) return;
    if (window.getSelection && String(window.getSelection()).length) return;  // selecting text to copy
    this.select(i, false);
    this.toggleDetails(i);
  }

  // The line's fields under it, long values folded, with filter and context actions.
  toggleDetails(i) {
    const r = this.rows[i];
    if (r.open) {
      r.node.querySelector('.details').remove();
      r.open = false;
      return;
    }
    const table = el('table', {});
    for (const [k, v] of Object.entries(r.hit.js || {})) {
      const text = valueText(v);
      const long = text.length > 300 || text.includes('\n');
      const value = el('pre', { class: 'value' + (long ? ' folded' : '') }, text);
      table.append(el('tr', {},
        el('th', {}, k),
        el('td', {}, value, long ? el('button', { class: 'link more', onclick: () => value.classList.toggle('folded') }, 'expand/fold') : null),
        el('td', { class: 'actions' },
          el('button', { class: 'link', title: 'only lines with this value', onclick: () => this.addFilter(k, text, false, false) }, '+'),
          el('button', { class: 'link', title: 'exclude this value', onclick: () => this.addFilter(k, text, false, true) }, '−'),
          el('button', { class: 'link', title: 'show as a column', onclick: () => this.toggleColumn(k) }, 'col'))));
    }
    const details = el('div', { class: 'details' },
      el('div', { class: 'detail-bar' },
        el('span', { class: 'muted' }, 'id ' + r.hit.id + ' · ' + r.hit.datetime), ' ',
        el('button', { class: 'link context-button', onclick: () => this.openContext(i) }, 'context (c)')),
      table);
    r.node.append(details);
    r.open = true;
  }

  openContext(i) {
    const r = this.rows[i];
    if (!r) return;
    this.change({ context: r.hit.id, tail: false });
  }

  // n / N: the next or previous match, among the loaded lines or found by a search.
  async nextHit(forward) {
    const from = this.selected >= 0 ? this.selected : (forward ? -1 : this.rows.length);
    for (let i = from + (forward ? 1 : -1); i >= 0 && i < this.rows.length; i += forward ? 1 : -1) {
      if (this.rows[i].isHit) { this.select(i); return; }
    }
    if (!this.state.context || !this.state.q && !this.state.fields.length) return;
    const edge = this.rows[forward ? this.rows.length - 1 : 0];
    if (!edge) return;
    await this.guarded(async current => {
      const p = searchParams(this.index, this.state, { time: false });
      p.set(forward ? 'after' : 'before', edge.hit.id);
      p.set('order', forward ? 'asc' : 'desc');
      p.set('limit', '1');
      const r = await api('/api/v1/search', p);
      if (!current()) return;
      if (r.hits.length) this.change({ context: r.hits[0].id }, { push: false });
      else this.status.textContent = forward ? 'no later match' : 'no earlier match';
    });
  }

  // ----- filters and columns -----

  addFilter(key, value, alternative, exclude) {
    const f = (exclude ? '-' : '') + key + ':' + value;
    let fields = this.state.fields;
    if (!alternative && !exclude) fields = fields.filter(x => !x.startsWith(key + ':'));
    if (!fields.includes(f)) fields = [...fields, f];
    this.change({ fields, context: '' });
  }

  toggleColumn(key) {
    const cols = this.state.columns.includes(key) ? this.state.columns.filter(c => c !== key) : [...this.state.columns, key];
    this.state.columns = cols;
    history.replaceState(null, '', location.pathname + '?' + stateQuery(this.state));
    for (const r of this.rows) {
      const fresh = this.rowFor(r.hit, r.isHit);
      if (r.node.classList.contains('selected')) fresh.node.classList.add('selected');
      if (r.node.classList.contains('anchor')) fresh.node.classList.add('anchor');
      r.node.replaceWith(fresh.node);
      r.node = fresh.node;
      r.open = false;
    }
    this.renderSidebar();
  }

  async loadSidebar() {
    const generation = this.generation;
    try {
      const r = await api('/api/v1/fields', new URLSearchParams({ index: this.index }));
      if (generation !== this.generation) return;
      this.fieldsInfo = r.fields.filter(f => !f.excluded);
      this.open = this.open || new Set(this.fieldsInfo.filter(f => f.filtered).slice(0, 4).map(f => f.name));
      if (!this.open.size) this.fieldsInfo.slice(0, 3).forEach(f => this.open.add(f.name));
      this.renderSidebar();
    } catch (e) {
      this.fail(e);
    }
  }

  // The message patterns of the current search: click keeps one, alt-click hides it.
  async loadPatterns(box) {
    const generation = this.generation;
    const p = searchParams(this.index, this.state);
    p.set('limit', '15');
    try {
      const r = await api('/api/v1/patterns', p);
      if (generation !== this.generation) return;
      this.templates = this.templates || new Map();
      for (const x of r.patterns) this.templates.set(x.id, x.template);
      const total = r.patterns.reduce((s, x) => s + x.count, 0) || 1;
      box.replaceChildren(...r.patterns.map(x => {
        const li = el('li', { class: 'value-row pattern-row', 'data-pattern': x.id, title: 'click: only this pattern; alt-click: hide it' },
          el('span', { class: 'bar' }, ''),
          el('span', { class: 'value-text', title: x.template }, x.template),
          el('span', { class: 'count' }, formatCount(x.count)));
        li.querySelector('.bar').style.width = (100 * x.count / total).toFixed(1) + '%';
        li.addEventListener('click', e => {
          if (e.altKey) this.change({ hidden: [...new Set([...(this.state.hidden || []), x.id])], context: '' });
          else this.change({ patterns: [x.id], context: '' });
        });
        return li;
      }));
      if (r.distinct > r.patterns.length) box.append(el('li', { class: 'muted' }, (r.distinct - r.patterns.length) + ' more patterns'));
      if (!r.patterns.length) box.append(el('li', { class: 'muted' }, 'no patterns here'));
      this.renderChips();
    } catch (e) {
      box.replaceChildren(el('li', { class: 'muted' }, e.message));
    }
  }

  renderSidebar() {
    const patterns = el('ul', { class: 'values patterns' });
    this.sidebar.replaceChildren(el('div', { class: 'side-title' }, 'patterns'), patterns, el('div', { class: 'side-title' }, 'fields'));
    this.loadPatterns(patterns);
    for (const f of this.fieldsInfo) {
      const values = el('ul', { class: 'values' });
      const isOpen = this.open.has(f.name);
      const head = el('div', { class: 'field' + (isOpen ? ' open' : '') },
        el('input', { type: 'checkbox', title: 'show as a column', checked: this.state.columns.includes(f.name), onchange: () => this.toggleColumn(f.name) }),
        el('button', { class: 'field-name link', onclick: () => {
          if (this.open.has(f.name)) this.open.delete(f.name); else this.open.add(f.name);
          this.renderSidebar();
        } }, f.name));
      this.sidebar.append(el('div', { class: 'field-box', 'data-field': f.name }, head, values));
      if (isOpen) this.loadValues(f.name, values);
    }
  }

  async loadValues(name, list) {
    const generation = this.generation;
    const p = searchParams(this.index, this.state);
    p.set('name', name);
    p.set('limit', '10');
    try {
      const r = await api('/api/v1/values', p);
      if (generation !== this.generation) return;
      const total = r.values.reduce((s, v) => s + v.count, 0) || 1;
      list.replaceChildren(...r.values.map(v => {
        const text = v.value === null ? '' : v.value;
        const active = this.state.fields.includes(name + ':' + text);
        return el('li', { class: 'value-row' + (active ? ' active' : ''), title: 'click: only this; ctrl-click: add; alt-click: exclude' },
          el('span', { class: 'bar', style: null }, ''),
          el('span', { class: 'value-text' }, v.value === null ? '(none)' : text),
          el('span', { class: 'count' }, formatCount(v.count)));
      }));
      // Widths set through the CSSOM (no style attribute to inject into).
      [...list.children].forEach((li, i) => {
        li.querySelector('.bar').style.width = (100 * r.values[i].count / total).toFixed(1) + '%';
        li.addEventListener('click', e => {
          const v = r.values[i].value;
          if (v === null) return;
          this.addFilter(name, v, e.ctrlKey || e.metaKey, e.altKey);
        });
      });
      if (r.distinct > r.values.length) list.append(el('li', { class: 'muted' }, (r.distinct - r.values.length) + ' more values'));
      if (!r.values.length) list.append(el('li', { class: 'muted' }, 'no values here'));
    } catch (e) {
      list.replaceChildren(el('li', { class: 'muted' }, e.message));
    }
  }

  // ----- histogram: counts over time; drag (or click a bar) to zoom -----

  async loadHistogram() {
    const generation = this.generation;
    const p = searchParams(this.index, this.state);
    p.set('buckets', '80');
    try {
      const r = await api('/api/v1/histogram', p);
      if (generation !== this.generation) return;
      this.drawHistogram(r);
    } catch (e) {
      this.histogram.replaceChildren(el('span', { class: 'muted' }, e.message));
    }
  }

  drawHistogram(r) {
    const buckets = r.buckets;
    const width = Math.max(300, this.histogram.clientWidth || 800), height = 56;
    const max = Math.max(1, ...buckets.map(b => b.count));
    const barWidth = width / Math.max(1, buckets.length);
    const chart = svg('svg', { width, height, class: 'histo', viewBox: `0 0 ${width} ${height}` });
    buckets.forEach((b, i) => {
      const h = b.count ? Math.max(1, (b.count / max) * (height - 14)) : 0;
      const rect = svg('rect', { x: (i * barWidth).toFixed(1), y: (height - 12 - h).toFixed(1), width: Math.max(1, barWidth - 1).toFixed(1), height: h.toFixed(1), class: 'bar' });
      const title = svg('title', {});
      title.textContent = shortTime(b.start) + ': ' + b.count;
      rect.append(title);
      chart.append(rect);
    });
    const label = (text, x, anchor) => {
      const t = svg('text', { x, y: height - 1, 'text-anchor': anchor, class: 'axis' });
      t.textContent = text;
      chart.append(t);
    };
    if (buckets.length) {
      label(shortTime(buckets[0].start).slice(0, 16), 2, 'start');
      label(shortTime(buckets[buckets.length - 1].start).slice(0, 16), width - 2, 'end');
      label(formatCount(max) + ' max, ' + r.bucket_seconds + ' s buckets', width / 2, 'middle');
    }
    const band = svg('rect', { class: 'band', y: 0, height, x: 0, width: 0 });
    chart.append(band);
    let from = null;
    const xOf = e => Math.min(width, Math.max(0, e.clientX - chart.getBoundingClientRect().left));
    chart.addEventListener('mousedown', e => { from = xOf(e); band.setAttribute('x', from); band.setAttribute('width', 0); e.preventDefault(); });
    chart.addEventListener('mousemove', e => {
      if (from === null) return;
      const x = xOf(e);
      band.setAttribute('x', Math.min(from, x));
      band.setAttribute('width', Math.abs(x - from));
    });
    const finish = e => {
      if (from === null) return;
      let a = Math.floor(Math.min(from, xOf(e)) / barWidth), b = Math.floor(Math.max(from, xOf(e)) / barWidth);
      from = null;
      a = Math.max(0, Math.min(buckets.length - 1, a)); b = Math.max(0, Math.min(buckets.length - 1, b));
      if (!buckets.length) return;
      const start = Date.parse(buckets[a].start);
      const end = Date.parse(buckets[b].start) + r.bucket_seconds * 1000;
      this.change({ since: new Date(start).toISOString(), until: new Date(end - 1).toISOString(), context: '' });
    };
    chart.addEventListener('mouseup', finish);
    chart.addEventListener('mouseleave', () => { if (from !== null) { from = null; band.setAttribute('width', 0); } });
    this.histogram.replaceChildren(chart);
  }

  // ----- live tail (Server-Sent Events, resumed by the browser with Last-Event-ID) -----

  toggleTail() {
    this.change({ tail: !this.state.tail, context: '' });
  }

  startTail() {
    const p = searchParams(this.index, this.state, { time: false });
    p.set('highlight', 'true');
    const last = this.rows.length ? this.rows[this.rows.length - 1].hit.id : null;
    if (last) p.set('after', last);
    const source = new EventSource('/api/v1/tail?' + p);
    this.tailSource = source;
    const generation = this.generation;
    source.onmessage = e => {
      if (generation !== this.generation) return;
      const hit = JSON.parse(e.data);
      const follow = this.atBottom();
      this.append([hit], true);
      if (follow) this.scrollToBottom();
      else {
        this.unseen++;
        this.newLines.textContent = this.unseen + ' new line' + (this.unseen > 1 ? 's' : '') + ' below — paused (G)';
        this.newLines.hidden = false;
      }
      this.updateStatus();
    };
    source.onerror = () => this.updateStatus();
    source.onopen = () => this.updateStatus();
    this.updateStatus();
  }

  stopTail() {
    if (this.tailSource) this.tailSource.close();
    this.tailSource = null;
    this.unseen = 0;
    this.newLines.hidden = true;
  }

  updateStatus() {
    const parts = [this.rows.length + ' lines shown'];
    if (this.hasOlder) parts.push('more above');
    if (this.hasNewer) parts.push('more below');
    if (this.selected >= 0 && this.rows[this.selected]) parts.push('at ' + shortTime(this.rows[this.selected].hit.datetime));
    if (this.tailSource) {
      const live = this.tailSource.readyState === EventSource.OPEN;
      parts.push(live ? (this.unseen ? 'tail paused (scroll down or G)' : 'tailing live') : 'tail reconnecting…');
    }
    if (this.loading) parts.push('loading…');
    this.status.textContent = parts.join(' · ') + '   —   / search · j k move · Enter details · c context · n N matches · g G top bottom · t tail';
  }

  // ----- shortcuts -----

  async saveShortcut() {
    const name = prompt('Save this view as a shortcut named (letters, digits, _):');
    if (!name) return;
    const field = prompt('Default field, for links like /grep/shortcut/' + name + '/VALUE/ (leave empty for none):') || '';
    const state = Object.assign({}, this.state, { context: '', tail: false });
    const body = { url: location.pathname + (stateQuery(state).toString() ? '?' + stateQuery(state) : '') };
    if (field) body.default_field = field;
    const r = await fetch('/api/v1/shortcuts/' + encodeURIComponent(name), { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) { this.fail(new Error((await r.json()).detail)); return; }
    this.status.textContent = 'saved shortcut ' + name + (field ? ': /grep/shortcut/' + name + '/<' + field + '>/' : '');
  }

  // ----- keyboard, like less -----

  onKey(e) {
    const typing = e.target.matches('input, select, textarea');
    if (e.key === 'Escape') {
      if (typing) { e.target.blur(); this.list.focus(); return; }
      if (this.state.context) this.change({ context: '' });
      return;
    }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const actions = {
      '/': () => { this.searchBox.focus(); this.searchBox.select(); },
      j: () => this.select(Math.min(this.rows.length - 1, this.selected + 1)),
      k: () => this.select(Math.max(0, this.selected - 1)),
      g: () => { this.list.scrollTop = 0; this.select(0, false); },
      G: () => { this.scrollToBottom(); this.select(this.rows.length - 1, false); },
      c: () => { if (this.selected >= 0) this.openContext(this.selected); },
      t: () => this.toggleTail(),
      n: () => this.nextHit(true),
      N: () => this.nextHit(false),
      Enter: () => { if (this.selected >= 0) this.toggleDetails(this.selected); },
    };
    const action = actions[e.key];
    if (action) { e.preventDefault(); action(); }
  }
}

// ---------- routing ----------

let view = null;
let cleanup = null;

function route() {
  const app = document.getElementById('app');
  if (cleanup) { cleanup(); cleanup = null; }
  const m = location.pathname.match(/^\/grep\/([A-Za-z0-9_]+)\/?$/);
  if (m) {
    adoptALCOLink();
    if (!view || view.index !== m[1]) view = new LogView(app, m[1]);
    else view.state = readState();
    view.load();
  } else {
    if (view) view.stopTail();
    view = null;
    renderIndexList(app).then(stop => { cleanup = stop; });
  }
}

window.addEventListener('popstate', route);
document.addEventListener('keydown', e => { if (view) view.onKey(e); });
route();
