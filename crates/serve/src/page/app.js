// The what-if planning page of `childcircle serve`: a Leaflet map drawn from
// the loaded data (no tiles), edits sent to the scenario API, figures and
// the before/after panel redrawn from each answer.
'use strict';

const $ = (s) => document.querySelector(s);
const ll = (p) => [p[1], p[0]];
const state = { base: null, scenario: null, map: null, busy: false };
window.childcircle = state;

async function api(method, path, body, raw) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = raw ? body : JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const j = await r.json().catch(() => ({ error: r.status + ' ' + r.statusText }));
  if (!r.ok) {
    const e = new Error(j.error || r.statusText);
    e.status = r.status;
    throw e;
  }
  return j;
}

function say(text, error) {
  const m = $('#message');
  m.textContent = text || '';
  m.className = error ? 'error' : '';
}

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function fmt(n) {
  return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
}

function delta(b, a) {
  if (b === null || a === null || b === undefined || a === undefined || a === b) return '';
  const d = a - b;
  return ` <span class="${d > 0 ? 'gain' : 'loss'}">(${d > 0 ? '+' : ''}${fmt(d)})</span>`;
}

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function category(id) {
  return state.base.categories.find((c) => c.id === id);
}

function catLabel(c) {
  return `${c.label_zh} ${c.label_en}`;
}

// ---- the map -------------------------------------------------------------

function drawBase() {
  const b = state.base;
  const map = L.map('map', { zoomSnap: 0.25, preferCanvas: false, attributionControl: true });
  state.map = map;
  map.attributionControl.setPrefix(false).addAttribution(esc(b.attribution));
  map.fitBounds([[b.bounds[1], b.bounds[0]], [b.bounds[3], b.bounds[2]]]);
  const canvas = L.canvas({ padding: 0.3 });
  L.polyline(b.streets.map((l) => l.map(ll)), {
    renderer: canvas, color: '#9a9a9a', weight: 1, interactive: false,
  }).addTo(map);
  state.communityLayers = b.communities.map((c) => {
    const poly = L.polygon(c.outline.map((r) => r.map(ll)), {
      renderer: canvas, weight: 1, color: '#555', fillOpacity: 0.45, interactive: true,
    });
    poly.bindTooltip(`${esc(c.name)}${c.population ? ' · ' + fmt(c.population) + ' 人' : ''}`, { sticky: true });
    poly.addTo(map);
    return poly;
  });
  state.districtLayer = L.layerGroup((b.districts || []).map((d) => {
    const line = L.polygon(d.outline.map((r) => r.map(ll)), {
      renderer: canvas, color: '#1f1f7a', weight: 2.2, dashArray: '6 4', fill: false, interactive: false,
    });
    return line;
  })).addTo(map);
  state.facilityPane = map.createPane('facilities');
  state.facilityPane.style.zIndex = 450;
  state.svg = L.svg({ pane: 'facilities' });
  state.facilityLayers = new Map();
  b.facilities.forEach((f) => addFacilityMarker(f.facility, f.category, f.lonlat, f.name));
  state.isoLayer = L.layerGroup().addTo(map);
  state.siteLayer = L.layerGroup().addTo(map);
  state.snapLayer = L.layerGroup().addTo(map);
  map.on('click', onMapClick);
  map.on('mousemove', onDragMove);
  map.on('mouseup', onDragEnd);
  legend(map);
}

function addFacilityMarker(slot, categoryId, lonlat, name) {
  const c = category(categoryId);
  const m = L.circleMarker(ll(lonlat), {
    renderer: state.svg, pane: 'facilities', radius: 5, weight: 1.5,
    color: '#222', fillColor: c.colour, fillOpacity: 0.95,
  });
  m.bindTooltip(`${esc(name || catLabel(c))} · #${slot}`);
  m.on('click', (e) => { L.DomEvent.stopPropagation(e); onFacilityClick(slot); });
  m.on('mousedown', (e) => onDragStart(e, slot));
  m.addTo(state.map);
  m.slot = slot;
  m.home = lonlat;
  state.facilityLayers.set(slot, m);
  return m;
}

function legend(map) {
  const box = L.control({ position: 'bottomleft' });
  box.onAdd = () => {
    const d = L.DomUtil.create('div', 'leaflet-bar');
    d.style.background = '#fff';
    d.style.padding = '4px 6px';
    const b = state.base;
    const req = b.categories.filter((c) => c.required).length;
    let h = '<b>满足类别 categories met</b><br>';
    for (let m = 0; m <= req; m += Math.max(1, Math.floor(req / 4))) {
      h += `<span class="swatch" style="background:${b.met_colours[m]}"></span>${m} `;
    }
    h += `<br><span class="swatch" style="background:#fff;border:2px solid ${b.life_circle_colour}"></span>生活圈 life circle`;
    if ((b.districts || []).length) h += '<br><span class="swatch" style="background:#fff;border:2px dashed #1f1f7a"></span>街道/区县 districts';
    h += '<br><span class="swatch site"></span>建议选址 suggested site';
    d.innerHTML = h;
    return d;
  };
  box.addTo(map);
}

function colourCommunities() {
  const b = state.base;
  const now = state.scenario.communities;
  state.communityLayers.forEach((layer, i) => {
    const code = now.charCodeAt(i) - 48;
    const met = code >> 1, lc = code & 1;
    layer.setStyle({
      fillColor: b.met_colours[Math.min(met, b.met_colours.length - 1)],
      color: lc ? b.life_circle_colour : '#666',
      weight: lc ? 2.5 : 0.7,
    });
  });
}

function syncFacilities() {
  const s = state.scenario;
  const changed = new Map(s.facilities.map((f) => [f.facility, f]));
  for (const [slot, m] of state.facilityLayers) {
    const f = changed.get(slot);
    if (slot >= state.base.facilities.length && (!f || f.state === 'removed')) {
      m.remove();
      state.facilityLayers.delete(slot);
      continue;
    }
    const removed = f && f.state === 'removed';
    m.setLatLng(ll(f && f.state !== 'removed' ? f.lonlat : m.home));
    m.setStyle(removed
      ? { fillOpacity: 0.15, opacity: 0.4, dashArray: '2 2', radius: 5 }
      : { fillOpacity: 0.95, opacity: 1, dashArray: null, radius: f ? 7 : 5 });
  }
  for (const f of s.facilities) {
    if (f.state === 'added' && !state.facilityLayers.has(f.facility)) {
      addFacilityMarker(f.facility, f.category, f.lonlat, f.name).setStyle({ radius: 7 });
    }
  }
  state.snapLayer.clearLayers();
  for (const f of s.facilities) {
    if (f.state !== 'removed' && f.snapped) {
      L.polyline([ll(f.lonlat), ll(f.snapped)], { color: '#000', weight: 1.5, dashArray: '3 3', interactive: false }).addTo(state.snapLayer);
      L.circleMarker(ll(f.snapped), { radius: 2.5, color: '#000', fillOpacity: 1, interactive: false }).addTo(state.snapLayer);
    }
  }
}

// ---- edits -------------------------------------------------------------

async function send(body) {
  if (state.busy) return;
  state.busy = true;
  document.body.dataset.busy = '1';
  try {
    const s = await api('POST', `/api/scenarios/${state.scenario.id}/edits`, body);
    show(s);
    if (s.applied && s.applied.snap_m !== null && s.applied.snap_m !== undefined) {
      say(`已吸附到道路 snapped to the network: ${s.applied.snap_m.toFixed(1)} m`);
    } else {
      say('');
    }
  } catch (e) {
    say(e.message, true);
    syncFacilities();
  } finally {
    state.busy = false;
    delete document.body.dataset.busy;
  }
}

async function onMapClick(e) {
  if (state.drag && state.drag.moved) return;
  const lon = e.latlng.lng, lat = e.latlng.lat;
  if (mode() === 'add') {
    await send({ op: 'add', category: $('#category').value, lon, lat });
  } else if (mode() === 'isochrone') {
    await isochrone(lon, lat);
  }
}

function onFacilityClick(slot) {
  if (mode() === 'remove') send({ op: 'remove', facility: slot });
}

function onDragStart(e, slot) {
  if (mode() !== 'move') return;
  L.DomEvent.stopPropagation(e);
  state.map.dragging.disable();
  state.drag = { slot, moved: false };
}

function onDragMove(e) {
  if (!state.drag) return;
  state.drag.moved = true;
  state.facilityLayers.get(state.drag.slot).setLatLng(e.latlng);
}

function onDragEnd(e) {
  const d = state.drag;
  if (!d) return;
  state.map.dragging.enable();
  setTimeout(() => { state.drag = null; }, 0);
  if (d.moved) send({ op: 'move', facility: d.slot, lon: e.latlng.lng, lat: e.latlng.lat });
}

async function isochrone(lon, lat) {
  try {
    const fc = await api('GET', `/api/isochrone?lon=${lon}&lat=${lat}`);
    state.isoLayer.clearLayers();
    const colours = { 5: '#08519c', 10: '#3182bd', 15: '#9ecae1' };
    L.geoJSON(fc, {
      interactive: false,
      style: (f) => ({ color: colours[f.properties.minutes] || '#6baed6', weight: 1.5, fillOpacity: 0.18 }),
    }).addTo(state.isoLayer);
    const by = fc.features.map((f) => `${f.properties.minutes} 分钟 min: ${f.properties.communities}`).reverse();
    say(`等时圈 isochrone (${fc.server_ms.toFixed(1)} ms) · 社区 communities ${by.join(' · ')}`);
  } catch (e) {
    say(e.message, true);
  }
}

async function suggest() {
  const cat = $('#category').value;
  const k = Math.max(1, Math.min(20, Number($('#suggest-k').value) || 5));
  try {
    say('建议选址计算中 finding sites…');
    const r = await api('GET', `/api/scenarios/${state.scenario.id}/suggestions?category=${encodeURIComponent(cat)}&k=${k}`);
    state.siteLayer.clearLayers();
    state.sites = r.sites;
    const c = category(cat);
    for (const site of r.sites) {
      const m = L.marker(ll(site.lonlat), {
        icon: L.divIcon({ className: 'site', html: `<span style="border-color:${c.colour}">${site.rank}</span>`, iconSize: [20, 20] }),
        pane: 'facilities', title: `#${site.rank}`,
      });
      m.bindTooltip(`${esc(catLabel(c))} #${site.rank}: +${site.newly_covered} 社区 communities`
        + `${site.population ? ' · ' + fmt(site.population) + ' 人' : ''}${site.children ? ' · 儿童 ' + fmt(site.children) : ''}`
        + ' · 点击添加 click to add');
      m.on('click', (e) => {
        L.DomEvent.stopPropagation(e);
        send({ op: 'add', category: cat, lon: site.lonlat[0], lat: site.lonlat[1], name: `建议 ${site.rank}` });
        m.remove();
      });
      m.addTo(state.siteLayer);
    }
    document.body.dataset.sites = String(r.sites.length);
    say(`建议选址 suggested sites: ${r.sites.length} (${esc(catLabel(c))}); 点击添加 click one to add it`);
  } catch (e) {
    say(e.message, true);
  }
}

// ---- panels ------------------------------------------------------------

function show(s) {
  state.scenario = s;
  colourCommunities();
  syncFacilities();
  figures(s);
  diffPanel(s);
  districts(s);
  editList(s);
  $('#undo').disabled = s.edits.length === 0;
  $('#redo').disabled = s.redo === 0;
  exportLinks(s);
  $('#timing').textContent = s.server_ms ? `服务器 server ${s.server_ms.toFixed(1)} ms` : '';
  document.body.dataset.edits = String(s.edits.length);
}

function exportLinks(s) {
  const base = `/api/scenarios/${s.id}`;
  $('#export-geojson').href = `${base}/facilities.geojson`;
  $('#export-new').href = `${base}/facilities.geojson?only=new`;
  $('#export-csv').href = `${base}/changed.csv`;
  $('#export-png').href = `${base}/map.png`;
  $('#export-html').href = `${base}/report.html?target=${Number($('#target').value) / 100}`;
}

function figures(s) {
  const b = s.before, a = s.after;
  let h = '<tr><th></th><th>现状 before</th><th>方案 after</th></tr>';
  h += `<tr><td>生活圈社区 communities in the life circle</td><td class="num">${fmt(b.life_circle.communities)} / ${fmt(b.communities)}</td>`
    + `<td class="num" id="lc-after" data-value="${a.life_circle.communities}">${fmt(a.life_circle.communities)}${delta(b.life_circle.communities, a.life_circle.communities)}</td></tr>`;
  if (b.population !== null) {
    h += `<tr><td>生活圈人口 population in the life circle</td><td class="num">${fmt(b.life_circle.population)}</td>`
      + `<td class="num" id="lc-pop-after">${fmt(a.life_circle.population)}${delta(b.life_circle.population, a.life_circle.population)}</td></tr>`;
  }
  if (b.children !== null && b.children !== undefined) {
    h += `<tr><td>生活圈儿童 children in the life circle</td><td class="num">${fmt(b.life_circle.children)} / ${fmt(b.children)}</td>`
      + `<td class="num" id="lc-children-after" data-value="${a.life_circle.children}">${fmt(a.life_circle.children)}${delta(b.life_circle.children, a.life_circle.children)}</td></tr>`;
  }
  const kids = b.children !== null && b.children !== undefined;
  a.categories.forEach((c, k) => {
    const bc = b.categories[k];
    h += `<tr><td><span class="swatch" style="background:${category(c.id).colour}"></span>${esc(c.label_zh)} ${esc(c.label_en)} ≤${c.minutes}′${c.required ? '' : ' *'}`
      + `<br><span class="muted">设施 facilities ${bc.facilities}${c.facilities !== bc.facilities ? ' → ' + c.facilities : ''}</span></td>`
      + `<td class="num">${fmt(bc.covered.communities)}${kids ? `<br><span class="muted">儿童 ${fmt(bc.covered.children)}</span>` : ''}</td>`
      + `<td class="num" id="cat-${esc(c.id)}" data-value="${c.covered.communities}">${fmt(c.covered.communities)}${delta(bc.covered.communities, c.covered.communities)}`
      + `${kids ? `<br><span class="muted" id="cat-children-${esc(c.id)}" data-value="${c.covered.children}">儿童 ${fmt(c.covered.children)}${delta(bc.covered.children, c.covered.children)}</span>` : ''}</td></tr>`;
  });
  $('#figures').innerHTML = h;
}

function changeList(title, ch) {
  if (!ch.joined_count && !ch.left_count) return '';
  const item = (x, sign) => `<li class="${sign > 0 ? 'gain' : 'loss'}">${sign > 0 ? '+' : '−'} ${esc(x.name)}${x.population ? ' · ' + fmt(x.population) + ' 人' : ''}</li>`;
  const more = (n, shown) => (n > shown ? `<li class="muted">… ${n - shown} more</li>` : '');
  let h = `<div><b>${title}</b>: <span class="gain">+${ch.joined_count}</span> <span class="loss">−${ch.left_count}</span>`;
  if (ch.population_gained || ch.population_lost) {
    h += ` <span class="muted">(人口 population +${fmt(ch.population_gained)} −${fmt(ch.population_lost)})</span>`;
  }
  if (ch.children_gained || ch.children_lost) {
    h += ` <span class="muted">(儿童 children +${fmt(ch.children_gained)} −${fmt(ch.children_lost)})</span>`;
  }
  h += '<ul>' + ch.joined.map((x) => item(x, 1)).join('') + more(ch.joined_count, ch.joined.length)
    + ch.left.map((x) => item(x, -1)).join('') + more(ch.left_count, ch.left.length) + '</ul></div>';
  return h;
}

function diffPanel(s) {
  let h = changeList('生活圈 life circle', s.diff.life_circle);
  for (const c of state.base.categories) h += changeList(esc(catLabel(c)), s.diff.categories[c.id]);
  $('#diff').innerHTML = h || '<span class="muted">尚无变化 no change yet</span>';
}

function districts(s) {
  const target = Number($('#target').value) / 100;
  let h = '<tr><th>街道 subdistrict</th><th>现状 before</th><th>方案 after</th></tr>';
  s.after.subdistricts.forEach((g, i) => {
    const b = s.before.subdistricts[i];
    const ok = g.share_life_circle >= target;
    h += `<tr><td>${esc(g.name)}</td><td class="num">${Math.round(100 * b.share_life_circle)}%</td>`
      + `<td class="num ${ok ? 'gain' : 'loss'}">${Math.round(100 * g.share_life_circle)}% ${ok ? '✓' : '✗'}`
      + `<br><span class="muted">${g.life_circle}/${g.communities}</span></td></tr>`;
  });
  $('#districts').innerHTML = h;
}

function editList(s) {
  const names = { add: '添加 add', move: '移动 move', remove: '删除 remove' };
  $('#edits').innerHTML = s.edits.map((e) => {
    const c = e.category ? category(e.category) : null;
    const where = e.lonlat ? ` @ ${e.lonlat[0].toFixed(5)}, ${e.lonlat[1].toFixed(5)}` : '';
    return `<li>${names[e.op]} ${c ? esc(catLabel(c)) : ''} #${e.facility}${where}</li>`;
  }).join('') || '<li class="muted">无 none</li>';
}

// ---- start -------------------------------------------------------------

async function scenario() {
  const id = new URLSearchParams(location.search).get('s');
  if (id) {
    try {
      return await api('GET', `/api/scenarios/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e.status !== 404) throw e;
      say('方案已过期，已新建 the scenario expired; a new one was started', true);
    }
  }
  const made = await api('POST', '/api/scenarios');
  history.replaceState(null, '', made.page);
  return api('GET', `/api/scenarios/${made.id}`);
}

async function start() {
  try {
    state.base = await api('GET', '/api/base');
  } catch (e) {
    say(`${e.message} — 请稍候刷新 reload in a moment`, true);
    return;
  }
  const b = state.base;
  $('#extract').textContent = `${b.extract}${b.synthetic ? ' · 模拟数据 synthetic model' : ''} · 吸附 snap ≤ ${b.max_snap_m} m`;
  $('#attribution').textContent = b.attribution;
  $('#category').innerHTML = b.categories.map((c) => `<option value="${esc(c.id)}">${esc(catLabel(c))} (≤${c.minutes}′)</option>`).join('');
  drawBase();
  show(await scenario());
  $('#undo').onclick = () => send({ op: 'undo' });
  $('#redo').onclick = () => send({ op: 'redo' });
  $('#suggest').onclick = suggest;
  $('#target').oninput = () => { districts(state.scenario); exportLinks(state.scenario); };
  $('#import').onchange = async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    try {
      show(await api('POST', `/api/scenarios/${state.scenario.id}/import`, await file.text(), true));
      say(`已导入 imported ${file.name}`);
    } catch (err) {
      say(err.message, true);
    }
    e.target.value = '';
  };
  document.body.dataset.ready = '1';
}

start().catch((e) => say(e.message, true));
