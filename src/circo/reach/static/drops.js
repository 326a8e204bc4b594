/* circo — leaflet drop phone screen (plain JS, no build step).
 *
 * Offline first, as the door-to-door app: the rounds are kept in IndexedDB; a building marked
 * done is written to IndexedDB BEFORE any network call and removed only when the server
 * acknowledged it ("created" or "duplicate": the server keeps one row per round and building,
 * so sending twice is harmless). Closing the page mid-sync loses nothing.
 */
(function () {
  "use strict";

  const root = document.getElementById("drops-app");
  if (!root) return;
  const slug = root.dataset.slug;
  const api = "/api/campaigns/" + encodeURIComponent(slug) + "/drops";
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const $ = (id) => document.getElementById(id);
  const state = { rounds: [], round: null, syncing: false };

  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open("circo-drops-" + slug, 1);
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
  const queuePut = (item) => tx("queue", "readwrite", (s) => s.put(item));
  const queueDelete = (keys) => tx("queue", "readwrite", (s) => keys.forEach((k) => s.delete(k)));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    });
    children.forEach((child) => node.append(child));
    return node;
  }
  function message(text) { $("da-message").textContent = text; }

  async function getJson(path) {
    const response = await fetch(api + path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  async function refresh() {
    try {
      const rounds = await getJson("");
      await kvSet("rounds", rounds);
      for (const round of rounds) await kvSet("round:" + round.id, await getJson("/" + round.id));
      state.rounds = rounds;
      message("Tournées à jour.");
    } catch (error) {
      state.rounds = (await kvGet("rounds")) || [];
      message(state.rounds.length ? "Hors connexion : tournées enregistrées sur le téléphone." : "Hors connexion et aucune tournée enregistrée.");
    }
    renderRounds();
  }

  function renderRounds() {
    const list = $("da-round-list");
    list.replaceChildren();
    if (!state.rounds.length) list.append(el("li", { class: "muted", text: "Aucune tournée de tractage." }));
    for (const round of state.rounds) {
      const button = el("button", { type: "button", class: "link", text: round.name + " — " + round.leaflet });
      button.addEventListener("click", () => openRound(round.id));
      list.append(el("li", {}, button));
    }
  }

  async function openRound(id) {
    const round = await kvGet("round:" + id);
    if (!round) { message("Tournée absente du téléphone : reconnectez-vous."); return; }
    const pending = new Set((await queueAll()).filter((q) => q.round === id).map((q) => q.building));
    state.round = round;
    $("da-rounds").hidden = true;
    $("da-round").hidden = false;
    $("da-round-title").textContent = round.name;
    $("da-round-meta").textContent = "Tract : " + round.leaflet;
    const box = $("da-turfs");
    box.replaceChildren();
    for (const turf of round.turfs) {
      const list = el("ol", { class: "fa-stops" });
      for (const building of turf.buildings) {
        const done = building.done || pending.has(building.id);
        const item = el("li", { "data-building": String(building.id), "data-done": done ? "1" : "0" },
          el("span", { text: building.label + " · " + building.letterboxes + " boîte(s) " }));
        const button = el("button", { type: "button", class: done ? "" : "primary", text: done ? "Fait ✔" : "Fait" });
        button.setAttribute("aria-label", "Fait : " + building.label);
        if (done) button.disabled = true;
        button.addEventListener("click", () => markDone(round.id, building, item, button));
        item.append(button);
        list.append(item);
      }
      const doneCount = turf.buildings.filter((b) => b.done || pending.has(b.id)).length;
      const summary = el("summary", { text: turf.name + " — " + doneCount + " / " + turf.buildings.length + " immeuble(s) faits" });
      const section = el("details", { "data-turf": String(turf.id) }, summary, list);
      // The first turf not finished is open; the others fold (a round has many buildings).
      if (!box.querySelector("details[open]") && doneCount < turf.buildings.length) section.open = true;
      box.append(section);
    }
  }

  async function markDone(roundId, building, item, button) {
    await queuePut({ key: roundId + ":" + building.id, round: roundId, building: building.id, done_at: new Date().toISOString() });
    building.done = true;
    const stored = await kvGet("round:" + roundId);
    if (stored) {
      stored.turfs.forEach((t) => t.buildings.forEach((b) => { if (b.id === building.id) b.done = true; }));
      await kvSet("round:" + roundId, stored);
    }
    item.dataset.done = "1";
    button.textContent = "Fait ✔";
    button.className = "";
    button.disabled = true;
    await showPending();
    sync();
  }

  async function showPending() {
    $("da-pending").textContent = String((await queueAll()).filter((q) => !q.rejected).length);
    $("da-network").textContent = navigator.onLine ? "en ligne" : "hors connexion";
  }

  async function sync() {
    if (state.syncing) return;
    const pending = (await queueAll()).filter((q) => !q.rejected);
    await showPending();
    if (!pending.length || !navigator.onLine) return;
    state.syncing = true;
    let sent = 0;
    try {
      const rounds = [...new Set(pending.map((q) => q.round))];
      for (const roundId of rounds) {
        const batch = pending.filter((q) => q.round === roundId).slice(0, 500);
        const response = await fetch(api + "/" + roundId + "/done", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
          body: JSON.stringify({ items: batch.map((q) => ({ building: q.building, done_at: q.done_at })) }),
        });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const result = await response.json();
        const key = (r) => roundId + ":" + r.building;
        await queueDelete(result.results.filter((r) => r.status !== "rejected").map(key));
        for (const r of result.results.filter((r) => r.status === "rejected")) {
          const item = batch.find((q) => q.building === r.building);
          if (item) { item.rejected = r.message || "refusé"; await queuePut(item); }
        }
        sent += result.results.length;
      }
      message(sent + " immeuble(s) envoyé(s).");
    } catch (error) {
      message("Envoi impossible pour l'instant : les immeubles faits restent sur le téléphone.");
    } finally {
      state.syncing = false;
      await showPending();
    }
  }

  $("da-back").addEventListener("click", () => { $("da-round").hidden = true; $("da-rounds").hidden = false; });
  $("da-sync").addEventListener("click", () => sync());
  window.addEventListener("online", () => sync());
  window.addEventListener("offline", () => showPending());
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch(() => undefined);
  }
  refresh().then(() => { root.dataset.ready = "1"; return sync(); });
})();
