/* circo — PV entry on a phone. Each PV gets its own id when it is saved; it waits in
 * localStorage until the server has acknowledged it (sent again after a failure or when the
 * network comes back: the id makes the retry harmless). Arithmetic is checked here too, with
 * the line at fault, and again by the server. */
"use strict";
(function () {
  const root = document.getElementById("pv-app");
  if (!root) return;
  const slug = root.dataset.slug;
  const api = "/api/campaigns/" + slug + "/night/pv";
  const photoApi = api + "/photo";
  const queueKey = "circo-night-queue-" + slug;
  const sentKey = "circo-night-sent-" + slug;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const form = document.getElementById("pv-form");
  const errorBox = document.getElementById("pv-error");
  const message = document.getElementById("pv-message");
  const photoInput = document.getElementById("pv-photo");
  const preview = document.getElementById("pv-preview");
  let sending = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/c/" + slug + "/night/pv/sw.js", { scope: "/c/" + slug + "/night/pv/" }).catch(() => {});
  }

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function render() {
    document.getElementById("pv-pending").textContent = String(load(queueKey).length);
    document.getElementById("pv-network").textContent = navigator.onLine ? "en ligne" : "hors connexion";
    const list = document.getElementById("pv-sent");
    list.textContent = "";
    load(sentKey).slice(-20).reverse().forEach((item) => {
      const li = document.createElement("li");
      li.textContent = item.station + " — " + item.text;
      list.appendChild(li);
    });
  }

  function number(name) {
    const value = form.elements[name].value.trim();
    return value === "" ? NaN : Number(value);
  }

  function read() {
    const pv = {
      entry_key: newId(),
      election: form.elements.election.value.trim().toLowerCase(),
      round: Number(form.elements.round.value),
      station: form.elements.station.value.trim(),
      registered: number("registered"),
      voters: number("voters"),
      blank: number("blank"),
      null_votes: number("null_votes"),
      valid_votes: number("valid_votes"),
      candidates: [],
    };
    root.querySelectorAll(".pv-candidate").forEach((row) => {
      const name = row.querySelector(".pv-name").value.trim();
      const votes = row.querySelector(".pv-votes").value.trim();
      if (name) pv.candidates.push({ name: name, votes: votes === "" ? NaN : Number(votes) });
    });
    return pv;
  }

  function check(pv) {
    const labels = { registered: "Inscrits", voters: "Votants", blank: "Blancs", null_votes: "Nuls", valid_votes: "Exprimés" };
    for (const key of Object.keys(labels)) {
      if (!Number.isInteger(pv[key]) || pv[key] < 0) return "ligne « " + labels[key] + " » : un nombre entier positif est attendu";
    }
    if (!pv.candidates.length) return "voix par candidat : au moins un candidat est attendu";
    for (const c of pv.candidates) {
      if (!Number.isInteger(c.votes) || c.votes < 0) return "ligne « " + c.name + " » : un nombre de voix est attendu";
    }
    if (pv.voters > pv.registered) return "ligne « Votants » : votants (" + pv.voters + ") > inscrits (" + pv.registered + ")";
    const ballots = pv.blank + pv.null_votes + pv.valid_votes;
    if (pv.voters !== ballots) return "ligne « Votants » : votants (" + pv.voters + ") ≠ blancs + nuls + exprimés (" + ballots + ")";
    const total = pv.candidates.reduce((sum, c) => sum + c.votes, 0);
    if (total !== pv.valid_votes) return "ligne « Exprimés » : somme des voix des candidats (" + total + ") ≠ exprimés (" + pv.valid_votes + ")";
    return "";
  }

  function markSent(station, text) {
    const sent = load(sentKey);
    sent.push({ station: station, text: text });
    save(sentKey, sent.slice(-50));
  }

  function drop(entryKey) {
    save(queueKey, load(queueKey).filter((item) => item.entry_key !== entryKey));
  }

  function update(entryKey, changes) {
    save(queueKey, load(queueKey).map((item) => (item.entry_key === entryKey ? Object.assign(item, changes) : item)));
  }

  async function post(url, body, type) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": type, "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body,
    });
  }

  function dataBlob(dataUrl) {
    const [head, data] = dataUrl.split(",");
    const type = head.slice(5).split(";")[0];
    const bytes = atob(data);
    const array = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i += 1) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type: type });
  }

  // One item: the PV (unless already acknowledged), then its photo. Returns false to stop the
  // queue (network down, server busy): the item stays, with what is already done.
  async function sendOne(item) {
    let response;
    if (!item.result_id) {
      const pv = Object.assign({}, item);
      delete pv.photo; delete pv.result_id;
      try {
        response = await post(api, JSON.stringify(pv), "application/json");
      } catch (e) {
        message.textContent = "Hors connexion : le procès-verbal sera envoyé au retour du réseau.";
        return false;
      }
      if (response.status >= 500 || response.status === 429) {
        message.textContent = "Serveur occupé : nouvel essai plus tard.";
        return false;
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const text = (body.loc ? body.loc + " : " : "") + (body.message || "refusé");
        markSent(item.station, "refusé — " + text);
        errorBox.textContent = text;
        drop(item.entry_key);
        return true;
      }
      const word = body.status === "confirmed" ? "confirmé" : body.status === "already" ? "déjà reçu" : "enregistré";
      markSent(body.station || item.station, word);
      message.textContent = "Bureau " + (body.station || item.station) + " : " + word + ".";
      item.result_id = body.id;
      item.station = body.station || item.station;
      if (!item.photo) { drop(item.entry_key); return true; }
      update(item.entry_key, { result_id: body.id, station: item.station });
    }
    try {
      response = await post(photoApi + "?result=" + item.result_id + "&photo=" + encodeURIComponent(item.photo.key), dataBlob(item.photo.data), item.photo.type);
    } catch (e) {
      message.textContent = "Hors connexion : la photo sera envoyée au retour du réseau.";
      return false;
    }
    if (response.status >= 500 || response.status === 429) {
      message.textContent = "Serveur occupé : nouvel essai plus tard.";
      return false;
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      markSent(item.station, body.status === "already" ? "photo déjà reçue" : "photo reçue");
      message.textContent = "Bureau " + item.station + " : photo reçue.";
    } else {
      const text = (body.loc ? body.loc + " : " : "") + (body.message || "refusée");
      markSent(item.station, "photo refusée — " + text);
      errorBox.textContent = text;
    }
    drop(item.entry_key);
    return true;
  }

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      let queue = load(queueKey);
      while (queue.length) {
        if (!(await sendOne(queue[0]))) break;
        queue = load(queueKey);
        render();
      }
    } finally {
      sending = false;
      render();
    }
  }

  // The photo, made smaller on the phone (at most 1600 px, JPEG) so that it fits the phone's
  // storage while it waits for the network, and sends quickly on a weak one.
  function readPhoto(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => {
        const scale = Math.min(1, 1600 / Math.max(image.naturalWidth, image.naturalHeight));
        const canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        resolve({ key: newId(), type: "image/jpeg", data: canvas.toDataURL("image/jpeg", 0.8) });
      };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("image")); };
      image.src = url;
    });
  }

  photoInput.addEventListener("change", () => {
    const file = photoInput.files && photoInput.files[0];
    if (!file) { preview.hidden = true; return; }
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.textContent = "";
    const pv = read();
    const problem = check(pv);
    if (problem) { errorBox.textContent = problem; return; }
    const file = photoInput.files && photoInput.files[0];
    if (file) {
      try {
        pv.photo = await readPhoto(file);
      } catch (e) {
        errorBox.textContent = "ligne « Photo du procès-verbal » : image illisible (JPEG, PNG ou WebP attendu)";
        return;
      }
    }
    const queue = load(queueKey);
    queue.push(pv);
    try {
      save(queueKey, queue);
    } catch (e) {
      errorBox.textContent = "Mémoire du téléphone pleine : envoyez d'abord les procès-verbaux en attente (ou enregistrez sans photo).";
      return;
    }
    form.elements.station.value = "";
    ["registered", "voters", "blank", "null_votes", "valid_votes"].forEach((name) => { form.elements[name].value = ""; });
    root.querySelectorAll(".pv-votes").forEach((input) => { input.value = ""; });
    photoInput.value = "";
    preview.hidden = true;
    message.textContent = pv.photo ? "Procès-verbal et photo gardés sur le téléphone." : "Procès-verbal gardé sur le téléphone.";
    render();
    flush();
  });
  document.getElementById("pv-sync").addEventListener("click", flush);
  window.addEventListener("online", () => { render(); flush(); });
  window.addEventListener("offline", render);
  render();
  flush();
})();
