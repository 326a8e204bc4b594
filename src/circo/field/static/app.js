/* circo — volunteer app (plain JS, no build step).
 *
 * Offline first: the assignments, walk lists and questionnaire are kept in IndexedDB; each visit
 * is written to IndexedDB (with a UUID made here, its idempotency key) BEFORE any network call and
 * removed only when the server acknowledged it ("created" or "duplicate"). Closing the app in the
 * middle of a sync loses nothing: the next start sends the queue again and the server drops what
 * it already has.
 */
(function () {
  "use strict";

  const root = document.getElementById("field-app");
  if (!root) return;
  const slug = root.dataset.slug;
  const api = "/api/campaigns/" + encodeURIComponent(slug) + "/field";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const $ = (id) => document.getElementById(id);
  const state = { me: null, turf: null, stop: null, syncing: false, retryAt: 0, retryTimer: null };

  // --- IndexedDB ---------------------------------------------------------------------------
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open("circo-field-" + slug, 1);
        request.onupgradeneeded = () => {
          request.result.createObjectStore("kv");
          request.result.createObjectStore("queue", { keyPath: "key" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }
  async function tx(store, mode, action) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(store, mode);
      const result = action(transaction.objectStore(store));
      transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
  const kvGet = (key) => tx("kv", "readonly", (s) => s.get(key));
  const kvSet = (key, value) => tx("kv", "readwrite", (s) => s.put(value, key));
  const queueAll = () => tx("queue", "readonly", (s) => s.getAll());
  const queuePut = (visit) => tx("queue", "readwrite", (s) => s.put(visit));
  const queueDelete = (keys) => tx("queue", "readwrite", (s) => keys.forEach((k) => s.delete(k)));

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // --- network -----------------------------------------------------------------------------
  // One request at a time: gentle on a phone's connection and on a small (SQLite) server.
  let chain = Promise.resolve();
  function serial(task) {
    const next = chain.then(task, task);
    chain = next.catch(() => undefined);
    return next;
  }
  async function getJson(path) {
    const response = await fetch(api + path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  async function refresh() {
    try {
      const me = await getJson("/me");
      await kvSet("me", me);
      for (const turf of me.turfs) {
        await kvSet("turf:" + turf.id, await getJson("/turfs/" + turf.id));
      }
      // The argument sheets, for the search when the network is gone.
      if (me.assistant_search) await kvSet("arguments", await getJson("/arguments"));
      state.me = me;
      message("Listes à jour (" + new Date().toLocaleTimeString("fr-FR") + ").");
    } catch (error) {
      state.me = (await kvGet("me")) || state.me;
      message(state.me ? "Hors connexion : listes enregistrées sur le téléphone." : "Hors connexion et aucune liste enregistrée.");
    }
    renderTurfs();
    setupSearch();
  }

  // An overloaded server answers 503 (or 429) with Retry-After: wait that long, plus up to
  // 50 % at random so that the phones refused together do not all come back together.
  function retryDelay(response) {
    const header = response.headers.get("Retry-After") || "";
    let seconds = Number(header);
    if (!header || Number.isNaN(seconds)) {
      const when = Date.parse(header);
      seconds = Number.isNaN(when) ? 30 : Math.max(1, (when - Date.now()) / 1000);
    }
    return Math.max(1, seconds) * 1000 * (1 + Math.random() * 0.5);
  }

  function retryLater(delay) {
    state.retryAt = Date.now() + delay;
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => serial(sync), delay);
    message("Serveur occupé : nouvel essai dans " + Math.ceil(delay / 1000) + " s (les visites restent sur le téléphone).");
  }

  async function sync() {
    if (state.syncing) return;
    const pending = await queueAll();
    await showPending();
    if (!pending.length || !navigator.onLine) return;
    if (Date.now() < state.retryAt) return; // the server asked us to wait (Retry-After)
    state.syncing = true;
    try {
      const batch = pending.filter((v) => !v.rejected).slice(0, 200);
      if (!batch.length) return;
      const response = await fetch(api + "/visits/sync", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
        body: JSON.stringify({ visits: batch.map((v) => v.payload) }),
      });
      if (response.status === 503 || response.status === 429) {
        retryLater(retryDelay(response));
        return;
      }
      if (!response.ok) throw new Error("HTTP " + response.status);
      const result = await response.json();
      const done = result.results.filter((r) => r.status !== "rejected").map((r) => r.key);
      await queueDelete(done);
      for (const item of result.results.filter((r) => r.status === "rejected")) {
        const visit = pending.find((v) => v.key === item.key);
        if (visit) { visit.rejected = item.message || "refusée"; await queuePut(visit); }
      }
      message(done.length + " visite(s) envoyée(s).");
    } catch (error) {
      message("Envoi impossible pour l'instant : les visites restent sur le téléphone.");
    } finally {
      state.syncing = false;
      await showPending();
    }
  }

  // --- rendering ---------------------------------------------------------------------------
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    });
    children.forEach((child) => child && node.appendChild(child));
    return node;
  }
  function message(text) { $("fa-message").textContent = text; }
  function showNetwork() {
    const online = navigator.onLine;
    $("fa-network").textContent = online ? "En ligne" : "Hors ligne";
    $("fa-network").dataset.state = online ? "online" : "offline";
  }
  async function showPending() {
    const pending = await queueAll();
    $("fa-pending").textContent = String(pending.length);
    return pending;
  }
  function show(section) {
    ["fa-turfs", "fa-turf", "fa-visit"].forEach((id) => { $(id).hidden = id !== section; });
  }

  function renderTurfs() {
    const list = $("fa-turf-list");
    list.replaceChildren();
    const turfs = (state.me && state.me.turfs) || [];
    if (!turfs.length) list.appendChild(el("li", { text: "Aucun secteur ne vous est affecté pour l'instant." }));
    const days = {};
    ((state.me && state.me.assignments) || []).forEach((a) => { if (a.turf_id) days[a.turf_id] = a.day; });
    turfs.forEach((turf) => {
      list.appendChild(el("li", { "data-turf": String(turf.id) },
        el("span", { text: turf.name + (days[turf.id] ? " — " + days[turf.id] : "") + " · " + turf.doors + " portes" }),
        el("button", { type: "button", text: "Ouvrir", onclick: () => openTurf(turf.id) })));
    });
    show("fa-turfs");
    const wanted = /^#turf-(\d+)$/.exec(location.hash);
    if (wanted) openTurf(Number(wanted[1]));
  }

  async function openTurf(turfId) {
    const turf = await kvGet("turf:" + turfId);
    if (!turf) { message("Ce secteur n'est pas enregistré sur le téléphone."); return; }
    state.turf = turf;
    const pending = await queueAll();
    $("fa-turf-title").textContent = turf.name;
    $("fa-turf-meta").textContent = turf.doors + " portes · " + (turf.walk_m / 1000).toFixed(1) + " km · bureau " + (turf.bureau || "—");
    const list = $("fa-stops");
    list.replaceChildren();
    drawMap(turf, pending);
    turf.stops.forEach((stop) => {
      const local = pending.filter((v) => v.payload.stop_id === stop.id).length;
      const count = stop.visits + local;
      list.appendChild(el("li", { "data-stop": String(stop.id), class: count ? "done" : "" },
        el("span", { text: stop.position + ". " + (stop.label || stop.ref) + " · " + stop.dwellings + " porte(s)" + (count ? " · " + count + " visite(s)" : "") }),
        el("button", { type: "button", text: "Visite", onclick: () => openVisit(stop) })));
    });
    show("fa-turf");
  }

  // --- offline map: drawn from the walk list kept in IndexedDB (no tiles, no network) --------
  const SVG = "http://www.w3.org/2000/svg";
  function svgEl(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
    return node;
  }
  function visitedCount(stop, pending) {
    return stop.visits + pending.filter((v) => v.payload.stop_id === stop.id).length;
  }
  function drawMap(turf, pending) {
    const box = $("fa-map");
    const next = $("fa-next");
    box.replaceChildren();
    next.replaceChildren();
    const stops = turf.stops || [];
    box.hidden = !stops.length;
    next.hidden = !stops.length;
    if (!stops.length) return;
    const rings = (turf.outline && turf.outline.rings) || [];
    const lat0 = stops.reduce((sum, s) => sum + s.lat, 0) / stops.length;
    const k = Math.cos(lat0 * Math.PI / 180);
    const project = (lon, lat) => [lon * k, -lat];
    // Framed on the turf's doors: the bureau's outline is context, clipped by the frame.
    const all = stops.map((s) => project(s.lon, s.lat));
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
    const span = Math.max(maxX - minX, maxY - minY, 1e-5);
    const width = 360, pad = 24;
    const scale = (width - 2 * pad) / span;
    const height = Math.max(160, Math.round((maxY - minY) * scale + 2 * pad));
    const px = (lon, lat) => {
      const [x, y] = project(lon, lat);
      return [(pad + (x - minX) * scale).toFixed(1), (pad + (y - minY) * scale).toFixed(1)];
    };
    const svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, role: "img", overflow: "hidden", "data-testid": "turf-map",
      "aria-label": "Plan du secteur : " + stops.length + " adresses dans l'ordre du parcours" });
    if (rings.length) {
      const d = rings.map((ring) => "M" + ring.map(([lon, lat]) => px(lon, lat).join(",")).join("L") + "Z").join("");
      const outline = svgEl("path", { d: d, class: "fa-outline" + (turf.outline.approximate ? " approx" : ""), "fill-rule": "evenodd" });
      outline.appendChild(svgEl("title")).textContent = turf.outline.approximate
        ? "Contour approximatif du bureau (d'après les adresses des électeurs)" : "Contour du bureau";
      svg.appendChild(outline);
    }
    svg.appendChild(svgEl("polyline", { class: "fa-route", points: stops.map((s) => px(s.lon, s.lat).join(",")).join(" ") }));
    const nextStop = stops.find((s) => !visitedCount(s, pending));
    // The next door last, drawn on top of its neighbours.
    stops.filter((s) => s !== nextStop).concat(nextStop ? [nextStop] : []).forEach((stop) => {
      const [cx, cy] = px(stop.lon, stop.lat);
      const done = visitedCount(stop, pending) > 0;
      const isNext = stop === nextStop;
      const dot = svgEl("circle", { cx: cx, cy: cy, r: isNext ? 9 : 5, "data-stop": String(stop.id),
        class: "fa-dot" + (done ? " done" : "") + (isNext ? " next" : "") });
      dot.appendChild(svgEl("title")).textContent = stop.position + ". " + (stop.label || stop.ref);
      dot.addEventListener("click", () => openVisit(stop));
      svg.appendChild(dot);
      if (isNext) {
        const label = svgEl("text", { x: cx, y: String(Number(cy) + 3.5), class: "fa-dot-label" });
        label.textContent = String(stop.position);
        svg.appendChild(label);
      }
    });
    box.appendChild(svg);
    if (turf.outline && turf.outline.approximate) {
      box.appendChild(el("p", { class: "muted", text: "Contour du bureau approximatif (d'après les adresses des électeurs)." }));
    }
    if (!nextStop) { next.appendChild(el("p", { text: "Toutes les adresses du secteur ont une visite." })); return; }
    const where = nextStop.lat.toFixed(6) + "," + nextStop.lon.toFixed(6);
    next.appendChild(el("p", { "data-testid": "next-door" },
      el("strong", { text: "Prochaine porte : " }),
      document.createTextNode(nextStop.position + ". " + (nextStop.label || nextStop.ref) + " · " + nextStop.dwellings + " porte(s)")));
    next.appendChild(el("p", { class: "fa-next-actions" },
      el("a", { href: "geo:" + where + "?q=" + where, class: "button", "data-testid": "directions" , text: "Itinéraire" }),
      el("a", { href: "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=%3B" + encodeURIComponent(where),
        rel: "noopener", target: "_blank", text: "Itinéraire (OpenStreetMap)" }),
      el("button", { type: "button", text: "Visite", onclick: () => openVisit(nextStop) })));
  }

  function questionField(question) {
    const box = el("fieldset", { "data-question": question.key }, el("legend", { text: question.label }));
    const name = "q-" + question.key;
    if (question.kind === "single" || question.kind === "multiple") {
      question.choices.forEach((choice) => box.appendChild(el("label", {},
        el("input", { type: question.kind === "single" ? "radio" : "checkbox", name: name, value: choice.value }),
        document.createTextNode(" " + choice.label))));
    } else if (question.kind === "scale") {
      for (let n = question.min; n <= question.max; n++) {
        box.appendChild(el("label", {}, el("input", { type: "radio", name: name, value: String(n) }), document.createTextNode(" " + n)));
      }
    } else {
      box.appendChild(el("textarea", { name: name, maxlength: "1000", "aria-label": question.label }));
    }
    return box;
  }

  function openVisit(stop) {
    const questionnaire = state.me.questionnaire;
    state.stop = stop;
    $("fa-visit-form").reset();
    $("fa-visit-title").textContent = "Visite — " + stop.position + ". " + (stop.label || stop.ref);
    const outcomes = $("fa-outcomes");
    outcomes.replaceChildren(el("legend", { text: "Résultat" }));
    questionnaire.outcomes.forEach((outcome) => outcomes.appendChild(el("label", {},
      el("input", { type: "radio", name: "outcome", value: outcome.value, required: "required" }),
      document.createTextNode(" " + outcome.label))));
    const questions = $("fa-questions");
    questions.replaceChildren(...questionnaire.questions.map(questionField));
    $("fa-consent-contact-text").textContent = questionnaire.recontact_wording;
    $("fa-consent-opinions-text").textContent = questionnaire.opinion_consent_wording;
    toggleTalked();
    show("fa-visit");
  }

  function toggleTalked() {
    const chosen = document.querySelector('input[name="outcome"]:checked');
    const talked = chosen && chosen.value === "talked";
    $("fa-questions").hidden = !talked;
    $("fa-recontact").hidden = !talked;
    $("fa-recontact-fields").hidden = !$("fa-recontact-on").checked;
  }

  function collectAnswers() {
    const answers = {};
    state.me.questionnaire.questions.forEach((question) => {
      const name = "q-" + question.key;
      if (question.kind === "multiple") {
        const values = Array.from(document.querySelectorAll('input[name="' + name + '"]:checked')).map((i) => i.value);
        if (values.length) answers[question.key] = values;
      } else if (question.kind === "text") {
        const text = document.querySelector('textarea[name="' + name + '"]').value.trim();
        if (text) answers[question.key] = text;
      } else {
        const checked = document.querySelector('input[name="' + name + '"]:checked');
        if (checked) answers[question.key] = question.kind === "scale" ? Number(checked.value) : checked.value;
      }
    });
    return answers;
  }

  async function saveVisit(event) {
    event.preventDefault();
    const chosen = document.querySelector('input[name="outcome"]:checked');
    if (!chosen) { message("Choisissez le résultat de la porte."); return; }
    const talked = chosen.value === "talked";
    const payload = {
      key: uuid(),
      turf_id: state.turf.id,
      stop_id: state.stop.id,
      door: $("fa-door").value.trim(),
      outcome: chosen.value,
      answers: talked ? collectAnswers() : {},
      visited_at: new Date().toISOString(),
      questionnaire_id: state.me.questionnaire.id,
    };
    if (talked && $("fa-recontact-on").checked && ($("fa-email").value || $("fa-phone").value)) {
      payload.recontact = {
        email: $("fa-email").value.trim() || null,
        phone: $("fa-phone").value.trim() || null,
        first_name: $("fa-first-name").value.trim(),
        consent_contact: $("fa-consent-contact").checked,
        consent_opinions: $("fa-consent-opinions").checked,
      };
    }
    await queuePut({ key: payload.key, payload: payload, saved_at: Date.now() });
    message("Visite enregistrée sur le téléphone.");
    await openTurf(state.turf.id);
    serial(sync);
  }

  // --- assistant search (shown only when the campaign's assistant exposes it) --------------
  // Online: the server's search. Offline (or when it fails): the argument sheets kept in
  // IndexedDB, searched here — accents and case ignored, every word of the query must match.
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function localSearch(passages, query) {
    const words = fold(query).split(/[^a-z0-9]+/).filter((w) => w.length > 1);
    if (!words.length) return [];
    return passages
      .map((p) => {
        const haystack = fold(p.heading + " " + p.text + " " + p.document);
        let score = 0;
        for (const word of words) {
          const hits = haystack.split(word).length - 1;
          if (!hits) return null;
          score += hits + (fold(p.heading).includes(word) ? 3 : 0);
        }
        return { item: p, score: score };
      })
      .filter(Boolean)
      .sort((a, b) => b.score - a.score)
      .map((hit) => hit.item);
  }
  function showResults(items, note) {
    const results = $("fa-search-results");
    results.replaceChildren();
    items.slice(0, 8).forEach((item) => results.appendChild(el("li", {},
      el("strong", { text: item.document || item.title || item.source || "" }),
      item.heading ? el("span", { class: "muted", text: " — " + item.heading }) : null,
      el("p", { text: item.text || item.snippet || item.excerpt || "" }))));
    if (!items.length) results.appendChild(el("li", { text: "Aucun résultat." }));
    $("fa-search-note").textContent = note || "";
  }
  async function setupSearch() {
    const url = state.me && state.me.assistant_search;
    $("fa-search").hidden = !url;
    if (!url || $("fa-search-form").dataset.ready) return;
    $("fa-search-form").dataset.ready = "1";
    $("fa-search-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = $("fa-search-q").value;
      if (navigator.onLine) {
        try {
          const response = await fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" });
          if (!response.ok) throw new Error("HTTP " + response.status);
          const body = await response.json();
          showResults(Array.isArray(body) ? body : (body.results || body.passages || []), "");
          return;
        } catch (error) { /* fall back to the sheets kept on the phone */ }
      }
      const passages = (await kvGet("arguments")) || [];
      if (!passages.length) { showResults([], "Argumentaire non enregistré sur le téléphone : recherche indisponible hors connexion."); return; }
      showResults(localSearch(passages, query), "Hors connexion : recherche dans l'argumentaire enregistré sur le téléphone.");
    });
  }

  // --- start -------------------------------------------------------------------------------
  $("fa-back").addEventListener("click", () => { history.replaceState(null, "", location.pathname); renderTurfs(); });
  $("fa-cancel").addEventListener("click", () => openTurf(state.turf.id));
  $("fa-visit-form").addEventListener("change", toggleTalked);
  $("fa-visit-form").addEventListener("submit", saveVisit);
  $("fa-sync").addEventListener("click", () => serial(sync));
  window.addEventListener("online", () => { showNetwork(); serial(sync).then(() => serial(refresh)); });
  window.addEventListener("offline", showNetwork);
  setInterval(() => serial(sync), 20000);
  showNetwork();

  async function start() {
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register("sw.js", { scope: "./" });
        await navigator.serviceWorker.ready;
      } catch (error) { /* the app still works online without it */ }
    }
    state.me = (await kvGet("me")) || null;
    if (state.me) renderTurfs();
    await serial(refresh);
    await serial(sync);
    root.dataset.ready = "1";
  }
  start();
})();
