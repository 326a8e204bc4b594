/* circo — service worker of the PV entry page: keeps the page for offline use (network first,
 * the cached copy when offline). PVs waiting to be sent live in localStorage (pv.js). */
"use strict";

const CACHE = "circo-night-v2";
const SHELL = ["./", "pv.js", "/static/circo.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  const scope = new URL(self.registration.scope).pathname;
  if (!url.pathname.startsWith(scope) && url.pathname !== "/static/circo.css") return;
  const key = request.mode === "navigate" ? new Request(scope) : request;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok && !response.redirected) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(key, copy));
        }
        return response;
      })
      .catch(() => caches.match(key, { ignoreSearch: true }).then((hit) => hit || Response.error()))
  );
});
