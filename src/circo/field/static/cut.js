/* circo — turf cutting from a map (plain JS, no build step, no tiles: the bureaux's own contours).
 * Click bureaux to select them; each change (selection, doors per turf) asks the server for a
 * preview of the turfs, drawn over the bureaux; "Enregistrer" posts the selection. */
(function () {
  "use strict";
  const root = document.getElementById("field-cut");
  if (!root) return;
  const slug = root.dataset.slug;
  const api = "/api/campaigns/" + encodeURIComponent(slug) + "/field/cut";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4"];
  const selected = new Set();
  let bureaux = [];
  let frame = null;
  let layer = null;
  let pending = 0;

  function svgEl(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
    return node;
  }
  function status(text) { $("fc-status").textContent = text; }

  function fit() {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    bureaux.forEach((b) => b.rings.forEach((ring) => ring.forEach(([x, y]) => {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    })));
    const width = 800, pad = 10;
    const scale = (width - 2 * pad) / Math.max(maxX - minX, maxY - minY, 1);
    const height = Math.round((maxY - minY) * scale + 2 * pad);
    return { width: width, height: height, px: (x, y) => [(pad + (x - minX) * scale).toFixed(1), (pad + (maxY - y) * scale).toFixed(1)] };
  }

  function draw() {
    frame = fit();
    const svg = svgEl("svg", { viewBox: "0 0 " + frame.width + " " + frame.height, role: "group",
      "aria-label": "Carte des bureaux : cliquez pour choisir" });
    bureaux.forEach((bureau) => {
      const d = bureau.rings.map((ring) => "M" + ring.map(([x, y]) => frame.px(x, y).join(",")).join("L") + "Z").join("");
      const path = svgEl("path", { d: d, "fill-rule": "evenodd", "data-bureau": bureau.code, tabindex: "0", role: "button",
        "aria-pressed": "false", class: "fc-bureau" + (bureau.approximate ? " approx" : "") });
      const title = svgEl("title");
      title.textContent = "Bureau " + bureau.code + " · " + bureau.addresses + " adresses" + (bureau.approximate ? " · contour approximatif" : "");
      path.appendChild(title);
      const toggle = () => {
        if (selected.has(bureau.code)) selected.delete(bureau.code); else selected.add(bureau.code);
        path.classList.toggle("selected", selected.has(bureau.code));
        path.setAttribute("aria-pressed", String(selected.has(bureau.code)));
        preview();
      };
      path.addEventListener("click", toggle);
      path.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); toggle(); } });
      svg.appendChild(path);
    });
    layer = svgEl("g", { class: "fc-turf-layer", "pointer-events": "none" });
    svg.appendChild(layer);
    $("fc-map").replaceChildren(svg);
    const approximate = bureaux.filter((b) => b.approximate).length;
    $("fc-legend").textContent = bureaux.length + " bureaux" + (approximate ? " (dont " + approximate + " au contour approximatif, tiré des adresses des électeurs : trait pointillé)" : "") + ".";
  }

  async function preview() {
    $("fc-bureaux").value = Array.from(selected).join(",");
    $("fc-save").disabled = !selected.size;
    layer.replaceChildren();
    $("fc-turfs").replaceChildren();
    if (!selected.size) { status("Aucun bureau choisi."); root.dataset.turfs = "0"; return; }
    const ticket = ++pending;
    status("Découpage en cours…");
    const response = await fetch(api + "/preview", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ bureaux: Array.from(selected), doors_per_turf: Number($("fc-doors").value) || 50 }),
    });
    if (ticket !== pending) return; // a newer selection is on its way
    if (!response.ok) {
      let detail = "";
      try { detail = (await response.json()).detail; } catch (error) { /* not JSON */ }
      status("Aperçu impossible : " + (typeof detail === "string" ? detail : "erreur " + response.status));
      return;
    }
    const body = await response.json();
    body.turfs.forEach((turf, index) => {
      const colour = COLOURS[index % COLOURS.length];
      layer.appendChild(svgEl("polyline", { points: turf.points.map(([x, y]) => frame.px(x, y).join(",")).join(" "),
        class: "fc-turf", stroke: colour, "data-turf": turf.id }));
      turf.points.forEach(([x, y]) => {
        const [cx, cy] = frame.px(x, y);
        layer.appendChild(svgEl("circle", { cx: cx, cy: cy, r: "1.6", fill: colour }));
      });
      const item = document.createElement("li");
      item.textContent = turf.id + " · bureau " + (turf.bureau || "—") + " · " + turf.doors + " portes · " + (turf.walk_m / 1000).toFixed(1).replace(".", ",") + " km";
      item.style.borderLeft = "6px solid " + colour;
      $("fc-turfs").appendChild(item);
    });
    root.dataset.turfs = String(body.turfs.length);
    status(selected.size + " bureau(x) choisi(s) : " + body.turfs.length + " secteurs, " + body.doors + " portes" +
      (body.unassigned ? ", " + body.unassigned + " adresses non placées" : "") + ".");
  }

  async function start() {
    const response = await fetch(api + "/bureaux", { credentials: "same-origin", headers: { Accept: "application/json" } });
    bureaux = response.ok ? await response.json() : [];
    if (!bureaux.length) {
      status("Aucun bureau à découper : importez les adresses du REU (circo import reu) et des contours, publiés ou approximatifs (circo approx-contours).");
      return;
    }
    draw();
    status("Cliquez sur les bureaux à découper.");
    $("fc-doors").addEventListener("change", preview);
    root.dataset.ready = "1";
  }
  start();
})();
