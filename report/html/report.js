"use strict";
// The report's script: it reads the data the page carries (meta, the
// connection table as columns, and one line of detail a connection) and
// draws the overview, the table and, for the connection picked, the four
// figures. It fetches nothing: the page works from file:// offline.
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const meta = JSON.parse($("meta").textContent);
  const C = JSON.parse($("conns").textContent);
  const detailText = $("detail").textContent;
  const N = C.id.length;

  // ---- helpers ----
  function svg(tag, attrs, parent, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, attrs, parent, text) {
    const e = document.createElement(tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function title(parent, text) { svg("title", {}, parent, text); }
  function fmtMs(ms) {
    if (ms === 0) return "0";
    const a = Math.abs(ms);
    if (a < 1) return (ms * 1000).toFixed(0) + " µs";
    if (a < 1000) return (a < 10 ? ms.toFixed(3) : ms.toFixed(1)) + " ms";
    if (a < 120000) return (ms / 1000).toFixed(3) + " s";
    return (ms / 60000).toFixed(1) + " min";
  }
  function fmtRel(us) { return fmtMs(us / 1000); }
  const F = {};
  meta.flags.forEach((f) => { F[f.name] = f.bit; });
  const RX = meta.retrans.reduce((m, e) => m | (1 << e), 0);
  function ctl(flags) {
    const c = flags & ~(F.PSH | F.ECE | F.CWR);
    return meta.flags.filter((f) => c & f.bit).map((f) => f.name).join(",");
  }
  // The segment in RFC 9293's figure notation, as the text ladder writes it.
  function notation(p) {
    let s = "<SEQ=" + p.seq + ">";
    if (p.flags & F.ACK) s += "<ACK=" + p.ack + ">";
    const c = ctl(p.flags);
    if (c) s += "<CTL=" + c + ">";
    if (p.len > 0) s += "<DATA=" + p.len + ">";
    return s;
  }
  function segLabels(p) {
    const out = [];
    for (let e = 1; e < meta.segevents.length; e++) {
      if (p.ev & (1 << e)) out.push(e === meta.dupack ? meta.segevents[e] + " #" + p.dup : meta.segevents[e]);
    }
    return out;
  }
  const roleName = ["client", "server"];
  function stateName(s) { return meta.states[s] || "?"; }
  function cellLabel(ev) {
    return ev.seg === meta.timeout ? meta.kinds[ev.seg] : meta.dirs[ev.dir] + " " + meta.kinds[ev.seg];
  }
  // The --explain sentence of an event (report.Explanation): its table
  // cell's note for a transition, its code's explanation otherwise.
  function explanation(e) {
    if (e.kind === 0) return meta.strings[meta.rules[e.from][e.dir * meta.kinds.length + e.seg][2]];
    const c = meta.codes[e.code];
    return c.explain + " (" + c.rfc + ")";
  }
  function swatch(parent, color) { h("span", { class: "swatch", style: "background:" + color }, parent); }

  // ---- theme ----
  const root = document.documentElement;
  function darkNow() {
    const t = root.getAttribute("data-theme");
    return t ? t === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function themeButton() { $("theme").textContent = darkNow() ? "Light" : "Dark"; }
  $("theme").addEventListener("click", () => {
    root.setAttribute("data-theme", darkNow() ? "light" : "dark");
    themeButton();
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", themeButton);
  themeButton();

  // ---- overview ----
  function overview() {
    $("file").textContent = meta.file;
    const facts = $("facts");
    const dur = N ? Math.max(...C.start.map((s, i) => s + C.dur[i])) : 0;
    const rows = [
      ["capture", meta.file],
      ["first segment", meta.first || "none"],
      ["last segment", meta.last || "none"],
      ["span", fmtMs(dur)],
      ["packets read", meta.packets],
      ["TCP segments", meta.tcp],
      ["not decoded", meta.undecoded],
      ["connections", meta.connections],
    ];
    if (meta.filtered) rows.push(["rejected by the filter", meta.filtered]);
    if (meta.duplicates) rows.push(["duplicates dropped", meta.duplicates]);
    if (meta.evicted) rows.push(["evicted (idle)", meta.evicted]);
    meta.counters.forEach((c) => rows.push([c[0] + ": " + c[1], c[2]]));
    if (meta.read_error) rows.push(["read error", meta.read_error]);
    rows.forEach(([k, v]) => { h("dt", {}, facts, k); h("dd", {}, facts, String(v)); });

    const fin = $("final");
    const used = meta.states.map((_, s) => meta.final[0][s] + meta.final[1][s] > 0);
    const t = h("table", { class: "plain" }, fin);
    const hr = h("tr", {}, h("thead", {}, t));
    h("th", {}, hr, "role");
    meta.states.forEach((name, s) => {
      if (!used[s]) return;
      const th = h("th", { class: "n" }, hr);
      swatch(th, meta.colors[s]);
      th.appendChild(document.createTextNode(name));
    });
    const tb = h("tbody", {}, t);
    [0, 1].forEach((r) => {
      const tr = h("tr", {}, tb);
      h("th", {}, tr, roleName[r]);
      meta.states.forEach((_, s) => { if (used[s]) h("td", { class: "n" }, tr, String(meta.final[r][s])); });
    });
    if (!used.some((u) => u)) fin.textContent = "No connections.";

    const fd = $("findings");
    if (!meta.findings || !meta.findings.length) fd.textContent = "None.";
    (meta.findings || []).forEach((f) => {
      const d = h("div", { class: "finding", "data-code": f.code }, fd);
      const head = h("div", {}, d);
      h("span", { class: "sev-" + f.severity }, head, f.code + " (" + f.severity + ")");
      head.appendChild(document.createTextNode(" ×" + f.count + (f.target ? " at " + f.target : "") + ": " + f.message));
      if (f.detail) h("div", { class: "muted" }, d, f.detail);
      if (f.conns && f.conns.length) {
        const cl = h("div", {}, d, "connections: ");
        f.conns.slice(0, 20).forEach((id, i) => {
          if (i) cl.appendChild(document.createTextNode(", "));
          h("a", { href: "#conn=" + id }, cl, String(id));
        });
        if (f.conns.length > 20) cl.appendChild(document.createTextNode(" and " + (f.conns.length - 20) + " more"));
        cl.appendChild(document.createTextNode(" "));
        const b = h("button", { type: "button" }, cl, "Show in the table");
        b.addEventListener("click", () => { filterIDs(f.conns, f.code); location.hash = "#connections"; });
      }
      h("div", { class: "check" }, d, "Check: " + f.check);
    });

    const vd = $("violations");
    if (!meta.violations || !meta.violations.length) vd.textContent = "None.";
    else {
      const t = h("table", { class: "plain" }, vd);
      const hr = h("tr", {}, h("thead", {}, t));
      ["code", "severity", "rule", "what happened", "connections", "times"].forEach((x, i) => h("th", i > 3 ? { class: "n" } : {}, hr, x));
      const tb = h("tbody", {}, t);
      meta.violations.forEach((v) => {
        const tr = h("tr", {}, tb);
        const a = h("a", { href: "#connections" }, h("td", { class: "mono" }, tr), v.code);
        a.addEventListener("click", () => { $("f-text").value = v.code; applyFilters(); });
        h("span", { class: "sev-" + v.severity }, h("td", {}, tr), v.severity);
        h("td", {}, tr, v.rfc);
        h("td", {}, tr, v.summary);
        h("td", { class: "n" }, tr, String(v.conns));
        h("td", { class: "n" }, tr, String(v.times));
      });
    }
    connTimeline(dur);
  }

  // Outcomes: a colour and a shape each, and a name in the legend.
  const outColor = ["#009e73", "#d55e00", "#cc79a7", "#e69f00", "#0072b2", "#9e9e9e"];
  function outMark(g, o, x, y, r) {
    const a = { fill: outColor[o], stroke: outColor[o] };
    switch (o) {
      case 0: return svg("circle", Object.assign(a, { cx: x, cy: y, r: r }), g);
      case 1: return svg("path", { d: `M${x - r} ${y - r}L${x + r} ${y + r}M${x - r} ${y + r}L${x + r} ${y - r}`, stroke: outColor[o], "stroke-width": 2 }, g);
      case 2: return svg("path", Object.assign(a, { d: `M${x} ${y - r}L${x + r} ${y + r}L${x - r} ${y + r}Z` }), g);
      case 3: return svg("rect", Object.assign(a, { x: x - r, y: y - r, width: 2 * r, height: 2 * r }), g);
      case 4: return svg("path", Object.assign(a, { d: `M${x} ${y - r}L${x + r} ${y}L${x} ${y + r}L${x - r} ${y}Z` }), g);
      default: return svg("path", { d: `M${x - r} ${y}L${x + r} ${y}`, stroke: outColor[o], "stroke-width": 2 }, g);
    }
  }
  function legendOutcomes(parent) {
    const lg = h("div", { class: "legend" }, parent);
    meta.outcomes.forEach((name, o) => {
      const s = h("span", {}, lg);
      const m = svg("svg", { width: 14, height: 14, "aria-hidden": "true" }, s);
      outMark(m, o, 7, 7, 5);
      s.appendChild(document.createTextNode(" " + name));
    });
  }
  // The connections' starts and ends. Up to 400 connections, one line
  // each from start to end, marked at the end by its outcome; more, and
  // the starts are counted in 120 bins, stacked by outcome.
  function connTimeline(span) {
    const box = $("ctimeline");
    if (!N) { box.textContent = "No connections."; return; }
    legendOutcomes(box);
    const W = 1000, left = 60, right = 20;
    const x = (ms) => left + (span > 0 ? (ms / span) * (W - left - right) : 0);
    if (N <= 400) {
      const rowH = N > 100 ? 4 : 10, H = 30 + N * rowH + 24;
      const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Each connection from its first to its last segment" }, box);
      axis(s, x, span, H - 20, 20);
      for (let i = 0; i < N; i++) {
        const y = 24 + i * rowH;
        const g = svg("g", { class: "cline", "data-id": C.id[i] }, s);
        title(g, `conn ${C.id[i]}: ${C.client[i]} → ${C.server[i]}, ${meta.outcomes[C.out[i]]}, ${fmtMs(C.dur[i])}`);
        svg("line", { x1: x(C.start[i]), x2: Math.max(x(C.start[i] + C.dur[i]), x(C.start[i]) + 1), y1: y, y2: y, stroke: outColor[C.out[i]], "stroke-width": Math.max(1, rowH - 3) }, g);
        outMark(g, C.out[i], x(C.start[i] + C.dur[i]), y, Math.max(2, rowH / 2));
        g.addEventListener("click", () => { location.hash = "#conn=" + C.id[i]; });
        g.style.cursor = "pointer";
      }
      return;
    }
    const bins = 120, counts = [], ends = [];
    for (let b = 0; b < bins; b++) { counts.push(new Array(meta.outcomes.length).fill(0)); ends.push(0); }
    const bin = (ms) => Math.min(bins - 1, span > 0 ? Math.floor((ms / span) * bins) : 0);
    for (let i = 0; i < N; i++) { counts[bin(C.start[i])][C.out[i]]++; ends[bin(C.start[i] + C.dur[i])]++; }
    const most = Math.max(1, ...counts.map((c) => c.reduce((a, b) => a + b, 0)), ...ends);
    const H = 260, base = 200, hmax = 160;
    const s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Connections started per interval, by outcome, and ended (line)" }, box);
    axis(s, x, span, base, 14);
    svg("text", { x: 4, y: 14, class: "muted" }, s, "starts per bin, stacked by outcome; the line: ends");
    svg("text", { x: left - 6, y: base - hmax + 4, "text-anchor": "end", "font-size": 11 }, s, String(most));
    svg("text", { x: left - 6, y: base + 4, "text-anchor": "end", "font-size": 11 }, s, "0");
    const bw = (W - left - right) / bins;
    const pts = [];
    for (let b = 0; b < bins; b++) {
      let y = base;
      counts[b].forEach((n, o) => {
        if (!n) return;
        const hh = (n / most) * hmax;
        const r = svg("rect", { x: left + b * bw, y: y - hh, width: Math.max(1, bw - 1), height: hh, fill: outColor[o] }, s);
        title(r, `${n} ${meta.outcomes[o]}`);
        y -= hh;
      });
      pts.push(`${left + b * bw + bw / 2},${base - (ends[b] / most) * hmax}`);
    }
    svg("polyline", { points: pts.join(" "), fill: "none", stroke: "currentColor", "stroke-width": 1.5, "stroke-dasharray": "4 2", style: "color:var(--fg)" }, s);
  }
  function axis(s, x, span, y, top) {
    const g = svg("g", { class: "axis" }, s);
    svg("line", { x1: x(0), x2: x(span), y1: y, y2: y }, g);
    for (let k = 0; k <= 5; k++) {
      const t = (span * k) / 5;
      svg("line", { x1: x(t), x2: x(t), y1: y, y2: y + 4 }, g);
      svg("line", { x1: x(t), x2: x(t), y1: top, y2: y, class: "grid" }, g);
      svg("text", { x: x(t), y: y + 16, "text-anchor": "middle", "font-size": 11 }, g, fmtMs(t));
    }
  }

  // ---- the connection table ----
  const cols = [
    { name: "conn", key: (i) => C.id[i], cell: (i) => String(C.id[i]) },
    { name: "client", key: (i) => C.client[i], cell: (i) => C.client[i] },
    { name: "server", key: (i) => C.server[i], cell: (i) => C.server[i] },
    { name: "client state", key: (i) => C.cst[i], state: (i) => C.cst[i] },
    { name: "server state", key: (i) => C.sst[i], state: (i) => C.sst[i] },
    { name: "conn_state", key: (i) => C.zs[i], cell: (i) => C.zs[i] },
    { name: "history", key: (i) => C.hist[i], cell: (i) => C.hist[i] },
    { name: "duration", key: (i) => C.dur[i], cell: (i) => fmtMs(C.dur[i]) },
    { name: "rexmit", key: (i) => C.rx[i], cell: (i) => String(C.rx[i]) },
    { name: "viol", key: (i) => C.vi[i], cell: (i) => String(C.vi[i]), bad: (i) => C.vi[i] > 0 },
    { name: "packets", key: (i) => C.pk[i][0] + C.pk[i][1], cell: (i) => C.pk[i][0] + "/" + C.pk[i][1] },
    { name: "violations and notes", key: (i) => (C.codes[i] || []).join(",") + C.notes[i], cell: (i) => (C.codes[i] || []).concat(C.notes[i] ? [C.notes[i]] : []).join(", ") },
  ];
  const rowH = 26;
  let view = new Int32Array(N);
  for (let i = 0; i < N; i++) view[i] = i;
  let sortCol = 0, sortDir = 1, selected = -1, onlyIDs = null;
  const thead = $("thead"), vp = $("viewport"), spacer = $("spacer"), table = $("table");

  function tableInit() {
    cols.forEach((c, k) => {
      const b = h("button", { type: "button", role: "columnheader", "aria-sort": k === 0 ? "ascending" : "none", title: "Sort by " + c.name }, thead, c.name);
      b.addEventListener("click", () => {
        if (sortCol === k) sortDir = -sortDir; else { sortCol = k; sortDir = 1; }
        thead.querySelectorAll("button").forEach((x, j) => x.setAttribute("aria-sort", j === sortCol ? (sortDir > 0 ? "ascending" : "descending") : "none"));
        sortView();
        renderRows(true);
      });
    });
    const st = $("f-state");
    meta.states.forEach((name, s) => h("option", { value: s }, st, name));
    const zs = $("f-zs");
    [...new Set(C.zs)].sort().forEach((z) => h("option", { value: z, title: meta.zeek[z] || "" }, zs, z));
    ["f-state", "f-zs", "f-port", "f-vi", "f-rx", "f-dur", "f-text"].forEach((id) => $(id).addEventListener("input", () => { onlyIDs = null; applyFilters(); }));
    $("f-clear").addEventListener("click", () => {
      ["f-state", "f-zs", "f-port", "f-vi", "f-rx", "f-dur", "f-text"].forEach((id) => { $(id).value = ""; });
      onlyIDs = null;
      applyFilters();
    });
    vp.addEventListener("scroll", () => renderRows(false));
    spacer.addEventListener("click", (ev) => {
      const r = ev.target.closest(".row");
      if (r) location.hash = "#conn=" + C.id[+r.dataset.i];
    });
    spacer.addEventListener("keydown", (ev) => {
      const r = ev.target.closest(".row");
      if (!r) return;
      const k = +r.getAttribute("aria-rowindex") - 2;
      if (ev.key === "Enter") { location.hash = "#conn=" + C.id[+r.dataset.i]; ev.preventDefault(); }
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        const to = Math.max(0, Math.min(view.length - 1, k + (ev.key === "ArrowDown" ? 1 : -1)));
        if (to * rowH < vp.scrollTop) vp.scrollTop = to * rowH;
        if ((to + 1) * rowH > vp.scrollTop + vp.clientHeight) vp.scrollTop = (to + 1) * rowH - vp.clientHeight;
        renderRows(true);
        const next = spacer.querySelector(`.row[aria-rowindex="${to + 2}"]`);
        if (next) next.focus();
      }
    });
    applyFilters();
  }
  function filterIDs(ids, label) {
    onlyIDs = new Set(ids);
    ["f-state", "f-zs", "f-port", "f-vi", "f-rx", "f-dur"].forEach((id) => { $(id).value = ""; });
    $("f-text").value = "";
    applyFilters(label);
  }
  function applyFilters(label) {
    const st = $("f-state").value === "" ? -1 : +$("f-state").value;
    const zs = $("f-zs").value;
    const port = $("f-port").value === "" ? -1 : +$("f-port").value;
    const vi = +($("f-vi").value || 0), rx = +($("f-rx").value || 0);
    const dur = +($("f-dur").value || 0) * 1000;
    const text = $("f-text").value.trim().toLowerCase();
    const out = [];
    for (let i = 0; i < N; i++) {
      if (onlyIDs && !onlyIDs.has(C.id[i])) continue;
      if (st >= 0 && C.cst[i] !== st && C.sst[i] !== st) continue;
      if (zs && C.zs[i] !== zs) continue;
      if (port >= 0 && C.port[i] !== port) continue;
      if (C.vi[i] < vi || C.rx[i] < rx || C.dur[i] < dur) continue;
      if (text && !(C.client[i].toLowerCase().includes(text) || C.server[i].toLowerCase().includes(text) ||
        (C.codes[i] || []).some((c) => c.includes(text)) || C.notes[i].toLowerCase().includes(text) || C.hist[i].toLowerCase() === text)) continue;
      out.push(i);
    }
    view = Int32Array.from(out);
    sortView();
    $("f-count").textContent = (onlyIDs && label ? label + ": " : "") + view.length + " of " + N + " connections";
    table.setAttribute("aria-rowcount", String(view.length + 1));
    vp.scrollTop = 0;
    renderRows(true);
  }
  function sortView() {
    const key = cols[sortCol].key, d = sortDir;
    const keys = new Array(N);
    for (const i of view) keys[i] = key(i);
    const arr = Array.from(view);
    arr.sort((a, b) => (keys[a] < keys[b] ? -d : keys[a] > keys[b] ? d : C.id[a] - C.id[b]));
    view = Int32Array.from(arr);
  }
  let drawn = [-1, -1];
  function renderRows(force) {
    spacer.style.height = view.length * rowH + "px";
    vp.style.height = Math.min(420, Math.max(3, view.length) * rowH + 2) + "px";
    const first = Math.max(0, Math.floor(vp.scrollTop / rowH) - 5);
    const last = Math.min(view.length, Math.ceil((vp.scrollTop + vp.clientHeight) / rowH) + 5);
    if (!force && drawn[0] === first && drawn[1] === last) return;
    drawn = [first, last];
    const frag = document.createDocumentFragment();
    for (let k = first; k < last; k++) {
      const i = view[k];
      const r = h("div", { class: "row" + (i === selected ? " sel" : ""), role: "row", tabindex: 0, "aria-rowindex": k + 2, "data-i": i, style: `top:${k * rowH}px` }, frag);
      cols.forEach((c) => {
        const cell = h("span", { role: "gridcell" }, r);
        if (c.state) {
          const s = c.state(i);
          const st = h("span", { class: "st" }, cell);
          swatch(st, meta.colors[s]);
          st.appendChild(document.createTextNode(meta.states[s]));
        } else {
          cell.textContent = c.cell(i);
          if (c.bad && c.bad(i)) cell.className = "bad";
        }
      });
    }
    spacer.replaceChildren(frag);
  }

  // ---- one connection ----
  let cur = null; // the connection drawn
  function parseConn(i) {
    const d = JSON.parse(detailText.substr(C.off[i], C.len[i]));
    const ps = [];
    let t = 0;
    const last = [[0, 0, 0], [0, 0, 0]];
    for (let k = 0; k < d.p.length; k += 8) {
      t += d.p[k];
      const sd = d.p[k + 1] >> 8, l = last[sd];
      l[0] += d.p[k + 2]; l[1] += d.p[k + 3]; l[2] += d.p[k + 4];
      ps.push({ t: t, side: sd, flags: d.p[k + 1] & 255, seq: l[0], ack: l[1], win: l[2], len: d.p[k + 5], ev: d.p[k + 6], dup: d.p[k + 7] });
    }
    const evs = [];
    let et = 0;
    for (let k = 0; k < d.e.length; k += 9) {
      et += d.e[k + 8];
      const e = { at: d.e[k], kind: d.e[k + 1], side: d.e[k + 2], from: d.e[k + 3], to: d.e[k + 4], code: d.e[k + 5], dir: d.e[k + 6], seg: d.e[k + 7], t: et };
      e.expl = explanation(e);
      evs.push(e);
    }
    const sacks = [];
    for (let k = 0; k < d.k.length; k += 3) sacks.push({ at: d.k[k], left: d.k[k + 1], right: d.k[k + 2] });
    const init = [0, 0];
    [0, 1].forEach((s) => { const e = evs.find((e) => e.kind === 0 && e.side === s); if (e) init[s] = e.from; });
    return { i: i, id: C.id[i], ps: ps, evs: evs, sacks: sacks, delays: d.d || null, dropped: d.x || 0, init: init };
  }
  function openConn(id) {
    const i = C.id.indexOf(id);
    if (i < 0) return false;
    selected = i;
    ladderMax = 400;
    renderRows(true);
    cur = parseConn(i);
    $("conn-none").hidden = true;
    $("conn-sec").hidden = false;
    $("conn-title").textContent = `Connection ${id}: client ${C.client[i]}, server ${C.server[i]}`;
    $("conn-facts").textContent = `${C.pk[i][0]}/${C.pk[i][1]} packets, ${C.by[i][0]}/${C.by[i][1]} octets, ${fmtMs(C.dur[i])}; ` +
      `final states client ${meta.states[C.cst[i]]}, server ${meta.states[C.sst[i]]}; conn_state ${C.zs[i]}, history ${C.hist[i] || "-"}` +
      (cur.dropped ? `; ${cur.dropped} more segments not kept (--timeline-max)` : "");
    drawLadder();
    bandScale = "";
    drawBands();
    zoom = null;
    drawTSG();
    drawDiagram();
    drawRules();
    setStep(-1);
    return true;
  }

  // The ladder, in RFC 9293's figure notation: the client's lifeline on
  // the left, the server's on the right, each shaded by its state; one
  // row a segment, in capture order; each arrow crosses the capture
  // point's line at its row, slanted by the one-way delays on each side.
  const L = 200, R = 760, H = 22, pitch = 34, top = 78;
  let ladderMax = 400; // rows drawn; stepping further draws more
  function drawLadder() {
    const box = $("ladder");
    box.replaceChildren();
    const ps = cur.ps.slice(0, ladderMax), n = ps.length;
    const more = cur.ps.length - n;
    let dc = 1, ds = 1;
    if (cur.delays && cur.delays[0] + cur.delays[1] > 0) { dc = cur.delays[0]; ds = cur.delays[1]; }
    const frac = dc / (dc + ds), capX = L + (R - L) * frac;
    // Rows, with room for a break mark in long idle gaps.
    const gaps = [];
    for (let k = 1; k < n; k++) gaps.push(ps[k].t - ps[k - 1].t);
    const med = gaps.length ? gaps.slice().sort((a, b) => a - b)[Math.floor(gaps.length / 2)] : 0;
    const ys = [], breaks = [];
    let y = top + 20;
    for (let k = 0; k < n; k++) {
      if (k > 0) {
        const g = ps[k].t - ps[k - 1].t;
        y += pitch;
        if (g > 1e6 && g > 10 * med) { breaks.push([y + 4, g]); y += 18; }
      }
      ys.push(y);
    }
    const timers = more ? [] : cur.evs.filter((e) => e.kind === 0 && e.seg === meta.timeout);
    const bottom = y + pitch + (timers.length ? pitch : 0) + (cur.dropped || more ? 20 : 0);
    const W = R + 420;
    const s = svg("svg", { width: W, height: bottom + 10, viewBox: `0 0 ${W} ${bottom + 10}`, role: "img", "aria-label": "Ladder diagram", class: "ladder" }, box);
    const defs = svg("defs", {}, s);
    [["ah", ""], ["ah-rx", "rx"], ["ah-cur", "cur"]].forEach(([id, cls]) => {
      const m = svg("marker", { id: id, class: cls, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" }, defs);
      svg("path", { d: "M0,0L10,5L0,10z" }, m);
    });
    svg("text", { x: L, y: 18, "text-anchor": "middle", "font-weight": 700 }, s, "client " + C.client[cur.i]);
    svg("text", { x: R, y: 18, "text-anchor": "middle", "font-weight": 700 }, s, "server " + C.server[cur.i]);
    svg("text", { x: capX, y: 40, "text-anchor": "middle", class: "muted", "font-size": 11 }, s, "capture point");
    if (!cur.delays) svg("text", { x: (L + R) / 2, y: 56, "text-anchor": "middle", "font-size": 11 }, s, "(one-way delays unknown: no handshake seen)");
    else svg("text", { x: (L + R) / 2, y: 56, "text-anchor": "middle", "font-size": 11 }, s, `one-way delay ≈ ${fmtRel(cur.delays[0])} to the client, ${fmtRel(cur.delays[1])} to the server`);
    svg("line", { x1: capX, x2: capX, y1: 46, y2: bottom, class: "capture" }, s);
    // State changes of each side, at the arrow's start (the sender's) or
    // end (the receiver's) of the segment that caused them.
    const fsOf = (side) => (side === 0 ? frac : 1 - frac);
    const changes = [[[top, cur.init[0], null]], [[top, cur.init[1], null]]];
    let timerY = ys.length ? ys[n - 1] + pitch : top + 20;
    cur.evs.forEach((e) => {
      if (e.kind !== 0 || (more && e.seg === meta.timeout)) return;
      let yy;
      if (e.seg === meta.timeout || e.at === 0) yy = e.at === 0 ? top : timerY;
      else {
        const p = ps[e.at - 1];
        if (!p) return; // past the rows drawn
        const fs = fsOf(p.side);
        yy = e.side === p.side ? ys[e.at - 1] - H * fs : ys[e.at - 1] + H * (1 - fs);
      }
      changes[e.side].push([yy, e.to, e]);
    });
    [0, 1].forEach((side) => {
      const x = side === 0 ? L : R;
      const ch = changes[side];
      let labelY = -100;
      for (let k = 0; k < ch.length; k++) {
        const y0 = ch[k][0], y1 = k + 1 < ch.length ? ch[k + 1][0] : bottom, st = ch[k][1];
        const r = svg("rect", { class: "band", x: x - 7, y: y0, width: 14, height: Math.max(0, y1 - y0), fill: meta.colors[st], "data-side": roleName[side], "data-state": meta.states[st] }, s);
        title(r, `${roleName[side]}: ${meta.states[st]}`);
        labelY = Math.max(y0 + 11, labelY + 13);
        svg("text", { x: side === 0 ? x - 12 : x + 12, y: labelY, "text-anchor": side === 0 ? "end" : "start", class: "statelabel" }, s, meta.states[st]);
      }
    });
    breaks.forEach(([by, g]) => svg("text", { x: (L + R) / 2, y: by + 6, "text-anchor": "middle", class: "gap" }, s, "⋯ " + fmtRel(g)));
    const segs = svg("g", {}, s);
    ps.forEach((p, k) => {
      const y = ys[k], fs = fsOf(p.side);
      const xs = p.side === 0 ? L + 7 : R - 7, xr = p.side === 0 ? R - 7 : L + 7;
      const y1 = y - H * fs, y2 = y + H * (1 - fs);
      const rx = (p.ev & RX) !== 0;
      const g = svg("g", { class: "seg" + (rx ? " rx" : ""), "data-i": k }, segs);
      const labels = segLabels(p);
      const evs = cur.evs.filter((e) => e.at === k + 1);
      const lines = [notation(p)].concat(labels.map((l) => "[" + l + "]"));
      evs.forEach((e) => {
        if (e.kind === 0) lines.push(`${roleName[e.side]}: ${meta.states[e.from]} → ${meta.states[e.to]} (${cellLabel(e)}): ${e.expl}`);
        else lines.push(`${e.kind === 1 ? "violation" : "note"} ${meta.codes[e.code].name} by the ${roleName[e.side]}: ${e.expl}`);
      });
      title(g, lines.join("\n"));
      svg("line", { class: "hit", x1: xs, y1: y1, x2: xr, y2: y2 }, g);
      svg("line", { class: "arrow", x1: xs, y1: y1, x2: xr, y2: y2, "marker-end": rx ? "url(#ah-rx)" : "url(#ah)" }, g);
      svg("text", { x: 6, y: y + 4, class: "tag mono" }, g, fmtRel(p.t));
      svg("text", { x: (L + R) / 2, y: y - 7, "text-anchor": "middle", class: "note mono" }, g, notation(p));
      let nx = R + 110;
      const marks = labels.map((l) => ["tag", "[" + l + "]"]);
      evs.forEach((e) => { if (e.kind === 1) marks.push(["viol", "! " + meta.codes[e.code].name]); else if (e.kind === 2) marks.push(["tag", "- " + meta.codes[e.code].name]); });
      marks.forEach(([cls, text]) => {
        const t = svg("text", { x: nx, y: y + 4, class: cls }, g, text);
        nx += 8 + text.length * 6.3;
        if (cls === "viol") t.setAttribute("data-code", text.slice(2));
      });
      g.addEventListener("click", () => setStep(k));
    });
    if (timers.length) {
      svg("text", { x: (L + R) / 2, y: timerY + 4, "text-anchor": "middle", class: "gap" }, s, "(" + meta.kinds[meta.timeout] + ")");
      svg("text", { x: 6, y: timerY + 4, class: "tag mono" }, s, fmtRel(timers[0].t));
    }
    if (more) {
      const b = h("button", { type: "button" }, box, `Draw the ${more} more segments`);
      b.addEventListener("click", () => { ladderMax = Infinity; drawLadder(); setStep(step_); });
    } else if (cur.dropped) svg("text", { x: (L + R) / 2, y: bottom - 6, "text-anchor": "middle", class: "gap" }, s, `… ${cur.dropped} more segments (--timeline-max)`);
    cur.ladderY = ys;
  }

  // The state timeline: a band per endpoint, one rectangle a state, with
  // its name when it fits. Its x axis is time; when some state would be
  // too narrow to see in time (a handshake before a long transfer), it is
  // the segments in order, and the axis says so.
  let bandScale = "";
  function drawBands() {
    const box = $("bands");
    box.replaceChildren();
    const ps = cur.ps, n = ps.length;
    let end = n ? ps[n - 1].t : 0;
    cur.evs.forEach((e) => { end = Math.max(end, e.t); });
    const W = 1000, left = 70, right = 40, span = W - left - right;
    const pieces = [0, 1].map((side) => {
      const pts = [{ t: 0, at: 0, st: cur.init[side] }];
      cur.evs.forEach((e) => {
        if (e.kind !== 0 || e.side !== side) return;
        // Two changes on one segment (a FIN sent, then the peer's FIN
        // that crossed it) each get a piece of its slot.
        const at = Math.max(e.seg === meta.timeout ? e.at + 0.5 : e.at, pts[pts.length - 1].at + 0.4);
        pts.push({ t: e.t, at: at, st: e.to });
      });
      return pts;
    });
    const byTime = (us) => left + (end > 0 ? (us / end) * span : 0);
    let narrow = false;
    pieces.forEach((pts) => pts.forEach((p, k) => {
      const t1 = k + 1 < pts.length ? pts[k + 1].t : end;
      if (byTime(t1) - byTime(p.t) < 2 && (k + 1 < pts.length)) narrow = true;
    }));
    const scale = bandScale || (narrow ? "segments" : "time");
    const last = n + 1;
    const x = scale === "time" ? (p) => byTime(p.t) : (p) => left + (p.at / last) * span;
    const endP = { t: end, at: last };
    const bar = h("div", { class: "legend noprint" }, box);
    const sel = h("select", { "aria-label": "x axis of the state timeline" }, h("label", {}, bar, "x axis "));
    [["time", "time"], ["segments", "segments in order"]].forEach(([v, t]) => { const o = h("option", { value: v }, sel, t); if (v === scale) o.selected = true; });
    sel.addEventListener("change", () => { bandScale = sel.value; drawBands(); setStep(step_); });
    const s = svg("svg", { width: W, height: 116, viewBox: `0 0 ${W} 116`, role: "img", "aria-label": "State timeline of both endpoints", "data-scale": scale }, box);
    [0, 1].forEach((side) => {
      const y = 10 + side * 36;
      svg("text", { x: 4, y: y + 17 }, s, roleName[side]);
      const pts = pieces[side];
      pts.forEach((p, k) => {
        const q = k + 1 < pts.length ? pts[k + 1] : endP;
        const w = Math.max(1, x(q) - x(p)), st = p.st;
        const r = svg("rect", { class: "band", x: x(p), y: y, width: w, height: 26, fill: meta.colors[st], "data-side": roleName[side], "data-state": meta.states[st] }, s);
        title(r, `${roleName[side]} ${meta.states[st]} for ${fmtRel(q.t - p.t)} (from ${fmtRel(p.t)} to ${fmtRel(q.t)})`);
        const label = w > meta.states[st].length * 7 + 6 ? meta.states[st] : w > meta.abbrev[st].length * 7 + 4 ? meta.abbrev[st] : "";
        if (label) svg("text", { x: x(p) + 3, y: y + 17, "font-size": 11, style: "fill:#000" }, s, label);
      });
    });
    const g = svg("g", { class: "axis" }, s);
    for (let k = 0; k <= 5; k++) {
      const f = k / 5, xx = left + f * span;
      svg("line", { x1: xx, x2: xx, y1: 84, y2: 88 }, g);
      svg("text", { x: xx, y: 100, "text-anchor": "middle", "font-size": 11 }, g, scale === "time" ? fmtRel(f * end) : "#" + Math.round(f * last));
    }
    svg("text", { x: left, y: 114, "font-size": 11, class: "muted" }, g, scale === "time" ? "time since the connection's first segment" : "segments in capture order (not to scale in time)");
    cur.bandX = (t, k) => (scale === "time" ? byTime(t) : left + ((k + 1) / last) * span);
    cur.bandCursor = svg("line", { x1: -10, x2: -10, y1: 4, y2: 84, class: "tsg-cur" }, s);
  }

  // The time-sequence graph of one direction, in the tcptrace/Stevens
  // style: each segment a vertical bar over the sequence numbers it
  // carries (retransmissions in another colour, with a diamond), the
  // peer's ACK line and its receive window's right edge as steps, its SACK
  // blocks, and shaded the times it advertised a zero window.
  let zoom = null;
  function drawTSG() {
    const box = $("tsg");
    box.replaceChildren();
    const dir = +$("tsg-dir").value;
    const ps = cur.ps;
    const data = [], acks = [], sack = [], zeros = [];
    let zeroFrom = -1;
    ps.forEach((p, k) => {
      if (p.side === dir) {
        const l = p.len + (p.flags & F.SYN ? 1 : 0) + (p.flags & F.FIN ? 1 : 0);
        if (l > 0) data.push({ t: p.t, a: p.seq, b: p.seq + l, rx: (p.ev & RX) !== 0, k: k });
      } else if (p.flags & F.ACK && !(p.flags & F.RST)) {
        acks.push({ t: p.t, ack: p.ack, edge: p.ack + p.win });
        if (p.win === 0 && !(p.flags & F.SYN)) { if (zeroFrom < 0) zeroFrom = p.t; } else if (zeroFrom >= 0) { zeros.push([zeroFrom, p.t]); zeroFrom = -1; }
      }
    });
    cur.sacks.forEach((b) => { const p = ps[b.at - 1]; if (p && p.side !== dir) sack.push({ t: p.t, a: b.left, b: b.right }); });
    const tEnd = ps.length ? ps[ps.length - 1].t : 1;
    if (zeroFrom >= 0) zeros.push([zeroFrom, tEnd]);
    if (!data.length && !acks.length) { box.textContent = "No segments in this direction."; return; }
    let x0 = 0, x1 = Math.max(tEnd, 1), y0 = Infinity, y1 = -Infinity;
    data.forEach((d) => { y0 = Math.min(y0, d.a); y1 = Math.max(y1, d.b); });
    acks.forEach((a) => { y0 = Math.min(y0, a.ack); y1 = Math.max(y1, a.ack); });
    if (!isFinite(y0)) { y0 = 0; y1 = 1; }
    const winMax = Math.max(y1, ...acks.map((a) => a.edge));
    y1 = Math.max(y1, Math.min(winMax, y1 + (y1 - y0) * 0.5 + 1));
    if (y1 === y0) y1 = y0 + 1;
    // By default the graph shows the span the data was sent in: a quick
    // transfer followed by a long idle time would be squeezed to a line.
    let note = "";
    const payload = data.filter((d) => ps[d.k].len > 0);
    if (zoom === null && payload.length > 1) {
      const a = payload[0].t, b = payload[payload.length - 1].t;
      if (b > a && (b - a) < 0.5 * (x1 - x0)) {
        const pad = (b - a) * 0.03;
        note = `showing ${fmtRel(Math.max(0, a - pad))} to ${fmtRel(b + pad)}, where the data was sent, of ${fmtRel(x1)}: Reset zoom shows all`;
        x0 = Math.max(0, a - pad);
        x1 = b + pad;
      }
    }
    if (zoom) [x0, x1, y0, y1] = zoom;
    const W = 1000, Hh = 380, left = 80, right = 40, topM = 14, bottomM = 34;
    const X = (t) => left + ((t - x0) / (x1 - x0)) * (W - left - right);
    const Y = (v) => Hh - bottomM - ((v - y0) / (y1 - y0)) * (Hh - topM - bottomM);
    const s = svg("svg", { width: W, height: Hh, viewBox: `0 0 ${W} ${Hh}`, role: "img", "aria-label": "Time-sequence graph, " + (dir === 0 ? "client to server" : "server to client") }, box);
    const clip = svg("clipPath", { id: "tsg-clip" }, svg("defs", {}, s));
    svg("rect", { x: left, y: topM, width: W - left - right, height: Hh - topM - bottomM }, clip);
    const g = svg("g", { "clip-path": "url(#tsg-clip)" }, s);
    zeros.forEach(([a, b]) => { const r = svg("rect", { class: "tsg-zero", x: X(a), y: topM, width: Math.max(2, X(b) - X(a)), height: Hh - topM - bottomM }, g); title(r, "zero window for " + fmtRel(b - a)); });
    const step = (key) => {
      let d = "";
      acks.forEach((a, k) => { d += (k ? `H${X(a.t)}V` : `M${X(a.t)} `) + Y(a[key]); });
      if (acks.length) d += `H${X(x1)}`;
      return d;
    };
    if (acks.length) {
      svg("path", { class: "tsg-win", d: step("edge") }, g);
      svg("path", { class: "tsg-ack", d: step("ack") }, g);
    }
    sack.forEach((b) => svg("line", { class: "tsg-sack", x1: X(b.t), x2: X(b.t), y1: Y(b.a), y2: Y(b.b) }, g));
    data.forEach((d) => {
      const l = svg("line", { class: "tsg-seg" + (d.rx ? " rx" : ""), x1: X(d.t), x2: X(d.t), y1: Y(d.a), y2: Math.min(Y(d.a) - 1.5, Y(d.b)), "data-i": d.k }, g);
      title(l, `${fmtRel(d.t)}: ${d.a}–${d.b}${d.rx ? " (retransmission)" : ""}`);
      if (d.rx) { const x = X(d.t), y = Y(d.b) - 5; svg("path", { class: "tsg-rxmark", d: `M${x} ${y - 4}L${x + 4} ${y}L${x} ${y + 4}L${x - 4} ${y}Z` }, g); }
    });
    const ax = svg("g", { class: "axis" }, s);
    svg("line", { x1: left, x2: W - right, y1: Hh - bottomM, y2: Hh - bottomM }, ax);
    svg("line", { x1: left, x2: left, y1: topM, y2: Hh - bottomM }, ax);
    for (let k = 0; k <= 5; k++) {
      const t = x0 + ((x1 - x0) * k) / 5;
      svg("text", { x: X(t), y: Hh - bottomM + 16, "text-anchor": "middle", "font-size": 11 }, ax, fmtRel(t));
      svg("line", { x1: X(t), x2: X(t), y1: topM, y2: Hh - bottomM, class: "grid" }, ax);
    }
    // Sequence ticks at round numbers: 1, 2 or 5 times a power of ten.
    const raw = (y1 - y0) / 6, pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    const stepV = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= raw));
    for (let v = Math.ceil(y0 / stepV) * stepV; v <= y1; v += stepV) {
      svg("text", { x: left - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11 }, ax, String(Math.round(v)));
      svg("line", { x1: left - 3, x2: left, y1: Y(v), y2: Y(v) }, ax);
    }
    svg("text", { x: left, y: Hh - 4, "font-size": 11 }, ax, note || "time since the connection's first segment; sequence numbers relative to the sender's ISS");
    const lg = h("div", { class: "legend" }, box);
    [["tsg-seg", "segment (bar: its octets)"], ["tsg-seg rx", "retransmission (◆)"], ["tsg-ack", "ACK line"], ["tsg-win", "receive window edge"], ["tsg-sack", "SACK block"]].forEach(([c, t]) => {
      const sp = h("span", {}, lg);
      const m = svg("svg", { width: 22, height: 10, "aria-hidden": "true" }, sp);
      svg("line", { class: c, x1: 1, x2: 21, y1: 5, y2: 5 }, m);
      sp.appendChild(document.createTextNode(" " + t));
    });
    const zsp = h("span", {}, lg); h("span", { class: "swatch", style: "background:var(--zero)" }, zsp); zsp.appendChild(document.createTextNode("zero window"));
    cur.tsgX = X;
    cur.tsgCursor = svg("line", { class: "tsg-cur", x1: -10, x2: -10, y1: topM, y2: Hh - bottomM }, s);
    // Drag to zoom into the rectangle.
    let startPt = null, boxEl = null;
    const pt = (ev) => { const r = s.getBoundingClientRect(); return [(ev.clientX - r.left) * (W / r.width), (ev.clientY - r.top) * (Hh / r.height)]; };
    s.addEventListener("mousedown", (ev) => { startPt = pt(ev); boxEl = svg("rect", { class: "zoombox", x: startPt[0], y: startPt[1], width: 0, height: 0 }, s); ev.preventDefault(); });
    s.addEventListener("mousemove", (ev) => {
      if (!startPt) return;
      const p = pt(ev);
      boxEl.setAttribute("x", Math.min(p[0], startPt[0])); boxEl.setAttribute("y", Math.min(p[1], startPt[1]));
      boxEl.setAttribute("width", Math.abs(p[0] - startPt[0])); boxEl.setAttribute("height", Math.abs(p[1] - startPt[1]));
    });
    s.addEventListener("mouseup", (ev) => {
      if (!startPt) return;
      const p = pt(ev), a = startPt;
      startPt = null;
      if (Math.abs(p[0] - a[0]) < 5 || Math.abs(p[1] - a[1]) < 5) { boxEl.remove(); return; }
      const inv = (px, py) => [x0 + ((px - left) / (W - left - right)) * (x1 - x0), y0 + ((Hh - bottomM - py) / (Hh - topM - bottomM)) * (y1 - y0)];
      const [ta, va] = inv(Math.min(a[0], p[0]), Math.max(a[1], p[1]));
      const [tb, vb] = inv(Math.max(a[0], p[0]), Math.min(a[1], p[1]));
      zoom = [ta, tb, va, vb];
      drawTSG();
      setStep(step_);
    });
  }
  $("tsg-dir").addEventListener("change", () => { zoom = null; drawTSG(); setStep(step_); });
  $("tsg-reset").addEventListener("click", () => { zoom = null; drawTSG(); setStep(step_); });

  // The state diagram: the one fsm-dot draws, with the edges this
  // connection took drawn bold.
  function drawDiagram() {
    const box = $("fsm");
    // Moved, not copied, out of its hidden holder: its markers' ids stay
    // unique and visible.
    const src = $("fsm-src").querySelector("svg");
    if (src) box.replaceChildren(src);
    if (!box.querySelector("svg")) { box.textContent = "(no diagram)"; return; }
    box.querySelectorAll(".taken, .cur").forEach((x) => x.classList.remove("taken", "cur"));
    cur.evs.forEach((e) => { if (e.kind === 0) edgesOf(e).forEach((x) => x.classList.add("taken")); });
  }
  function edgesOf(e) {
    const box = $("fsm");
    const label = cellLabel(e);
    return Array.from(box.querySelectorAll(".edge")).filter((x) =>
      x.getAttribute("data-from") === meta.states[e.from] && x.getAttribute("data-to") === meta.states[e.to] &&
      (x.getAttribute("data-label") || "").split(/\s*[\n|/]\s*/).includes(label));
  }

  // The transition table: a row a state, a column a kind of segment sent
  // or received, each cell the state it leads to ("=" stays).
  function drawRules() {
    const box = $("rules");
    if (box.firstChild) { box.querySelectorAll(".cur").forEach((x) => x.classList.remove("cur")); return; }
    const t = h("table", {}, box);
    const th = h("thead", {}, t);
    const r1 = h("tr", {}, th), r2 = h("tr", {}, th);
    h("th", { rowspan: 2 }, r1, "state");
    meta.dirs.forEach((d) => h("th", { colspan: meta.kinds.length }, r1, d));
    meta.dirs.forEach(() => meta.kinds.forEach((k) => h("th", {}, r2, k)));
    const tb = h("tbody", {}, t);
    meta.rules.forEach((row, s) => {
      const tr = h("tr", { "data-state": meta.states[s] }, tb);
      const hd = h("th", {}, tr);
      swatch(hd, meta.colors[s]);
      hd.appendChild(document.createTextNode(meta.states[s]));
      row.forEach((cell, c) => {
        const next = cell[0] === meta.keep ? "=" : meta.abbrev[cell[0]];
        const alt = cell[1] === meta.keep || cell[1] === cell[0] ? "" : "/" + meta.abbrev[cell[1]];
        const td = h("td", { "data-cell": s + ":" + c, class: cell[0] === meta.keep ? "same" : "" }, tr, next + alt);
        td.title = meta.states[s] + ", " + meta.dirs[Math.floor(c / meta.kinds.length)] + " " + meta.kinds[c % meta.kinds.length] + ": " + meta.strings[cell[2]];
      });
    });
  }

  // Stepping: segment k (-1: before the first) highlighted in every
  // figure, with the two states after it and what the RFC says.
  let step_ = -1;
  // The two states after segment k: its transitions and those before it.
  // A timer fires after its segment: it counts only from the next step,
  // or, after the last segment, at the last step.
  function statesAfter(k) {
    const st = cur.init.slice(), last = k === cur.ps.length - 1;
    cur.evs.forEach((e) => {
      if (e.kind !== 0) return;
      const timer = e.seg === meta.timeout;
      if (e.at <= k || (e.at === k + 1 && (!timer || last))) st[e.side] = e.to;
    });
    return st;
  }
  function setStep(k) {
    if (!cur) return;
    const n = cur.ps.length;
    k = Math.max(-1, Math.min(n - 1, k));
    step_ = k;
    $("ladder").querySelectorAll(".seg.cur").forEach((x) => { x.classList.remove("cur"); const a = x.querySelector(".arrow"); a.setAttribute("marker-end", x.classList.contains("rx") ? "url(#ah-rx)" : "url(#ah)"); });
    $("fsm").querySelectorAll(".cur").forEach((x) => x.classList.remove("cur"));
    $("rules").querySelectorAll(".cur").forEach((x) => x.classList.remove("cur"));
    const st = statesAfter(k);
    const ex = $("explain");
    ex.replaceChildren();
    if (k < 0) {
      $("step-text").textContent = `before the first segment: client ${meta.states[st[0]]}, server ${meta.states[st[1]]}`;
      ex.textContent = n ? "Step through the connection with next › or the → key: each segment is highlighted in the ladder, the graph, the state diagram and the transition table." : "No segments kept.";
      [cur.bandCursor, cur.tsgCursor].forEach((c) => c && c.setAttribute("x1", -10));
      return;
    }
    const p = cur.ps[k];
    if (k >= ladderMax) { ladderMax = k + 200; drawLadder(); }
    const g = $("ladder").querySelector(`.seg[data-i="${k}"]`);
    if (g) {
      g.classList.add("cur");
      g.querySelector(".arrow").setAttribute("marker-end", "url(#ah-cur)");
      const r = g.getBoundingClientRect();
      if (r.top < 60 || r.bottom > innerHeight) g.scrollIntoView({ block: "center" });
    }
    $("step-text").textContent = `segment ${k + 1} of ${n}, ${fmtRel(p.t)}: ${roleName[p.side]} → ${roleName[1 - p.side]}; now client ${meta.states[st[0]]}, server ${meta.states[st[1]]}`;
    h("div", { class: "mono" }, ex, `${roleName[p.side]} sent ${notation(p)} ${segLabels(p).map((l) => "[" + l + "]").join(" ")}`);
    const evs = cur.evs.filter((e) => e.at === k + 1 || (k === n - 1 && e.at > n));
    if (!evs.some((e) => e.kind === 0)) h("div", {}, ex, "No state changed.");
    evs.forEach((e) => {
      if (e.kind === 0) {
        h("div", {}, ex, `${roleName[e.side]}: ${meta.states[e.from]} → ${meta.states[e.to]}, on ${cellLabel(e)}. ${e.expl}`);
        edgesOf(e).forEach((x) => x.classList.add("cur"));
        const c = e.dir * meta.kinds.length + e.seg;
        const td = $("rules").querySelector(`td[data-cell="${e.from}:${c}"]`);
        if (td) { td.classList.add("cur"); td.parentElement.classList.add("cur"); }
        const node = $("fsm").querySelector(`.node:not(.sink)[data-state="${meta.states[e.to]}"]`);
        if (node) node.classList.add("cur");
      } else {
        h("div", { class: e.kind === 1 ? "bad" : "" }, ex, `${e.kind === 1 ? "Violation" : "Note"} ${meta.codes[e.code].name} (${meta.codes[e.code].rfc}), by the ${roleName[e.side]}: ${meta.codes[e.code].summary}. ${e.expl}`);
      }
    });
    if (cur.bandCursor) { const x = cur.bandX(p.t, k); cur.bandCursor.setAttribute("x1", x); cur.bandCursor.setAttribute("x2", x); }
    if (cur.tsgCursor) { const x = cur.tsgX(p.t); cur.tsgCursor.setAttribute("x1", x); cur.tsgCursor.setAttribute("x2", x); }
  }
  $("s-first").addEventListener("click", () => setStep(-1));
  $("s-prev").addEventListener("click", () => setStep(step_ - 1));
  $("s-next").addEventListener("click", () => setStep(step_ + 1));
  $("s-last").addEventListener("click", () => setStep(cur ? cur.ps.length - 1 : -1));
  document.addEventListener("keydown", (ev) => {
    if (!cur || ev.target.closest("input, select, textarea, .row")) return;
    if (ev.key === "ArrowRight") { setStep(step_ + 1); ev.preventDefault(); }
    if (ev.key === "ArrowLeft") { setStep(step_ - 1); ev.preventDefault(); }
  });

  function route() {
    const m = /^#conn=(\d+)$/.exec(location.hash);
    if (m && openConn(+m[1])) $("connection").scrollIntoView();
  }
  window.addEventListener("hashchange", route);

  overview();
  tableInit();
  route();
  // For tests and the benchmark: when the page became usable, and a few
  // handles on its state.
  window.tcpflowReport = {
    ready: performance.now(),
    rows: () => view.length,
    open: (id) => openConn(id),
    step: (k) => setStep(k),
    current: () => (cur ? { id: cur.id, segments: cur.ps.length, events: cur.evs, step: step_ } : null),
  };
  root.setAttribute("data-ready", "1");
})();
