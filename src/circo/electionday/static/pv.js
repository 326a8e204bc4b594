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
  const queueKey = "circo-night-queue-" + slug;
  const sentKey = "circo-night-sent-" + slug;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const form = document.getElementById("pv-form");
  const errorBox = document.getElementById("pv-error");
  const message = document.getElementById("pv-message");
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

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      let queue = load(queueKey);
      while (queue.length) {
        const pv = queue[0];
        let response;
        try {
          response = await fetch(api, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
            body: JSON.stringify(pv),
          });
        } catch (e) {
          message.textContent = "Hors connexion : le procès-verbal sera envoyé au retour du réseau.";
          break;
        }
        if (response.status >= 500 || response.status === 429) {
          message.textContent = "Serveur occupé : nouvel essai plus tard.";
          break;
        }
        const body = await response.json().catch(() => ({}));
        const sent = load(sentKey);
        if (response.ok) {
          const word = body.status === "confirmed" ? "confirmé" : body.status === "already" ? "déjà reçu" : "enregistré";
          sent.push({ station: body.station || pv.station, text: word });
          message.textContent = "Bureau " + (body.station || pv.station) + " : " + word + ".";
        } else {
          const text = (body.loc ? body.loc + " : " : "") + (body.message || "refusé");
          sent.push({ station: pv.station, text: "refusé — " + text });
          errorBox.textContent = text;
        }
        save(sentKey, sent.slice(-50));
        queue = load(queueKey).filter((item) => item.entry_key !== pv.entry_key);
        save(queueKey, queue);
        render();
      }
    } finally {
      sending = false;
      render();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errorBox.textContent = "";
    const pv = read();
    const problem = check(pv);
    if (problem) { errorBox.textContent = problem; return; }
    const queue = load(queueKey);
    queue.push(pv);
    save(queueKey, queue);
    form.elements.station.value = "";
    ["registered", "voters", "blank", "null_votes", "valid_votes"].forEach((name) => { form.elements[name].value = ""; });
    root.querySelectorAll(".pv-votes").forEach((input) => { input.value = ""; });
    message.textContent = "Procès-verbal gardé sur le téléphone.";
    render();
    flush();
  });
  document.getElementById("pv-sync").addEventListener("click", flush);
  window.addEventListener("online", () => { render(); flush(); });
  window.addEventListener("offline", render);
  render();
  flush();
})();
