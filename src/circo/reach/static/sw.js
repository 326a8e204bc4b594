/* circo — service worker of the leaflet drop screen: keeps the app shell for offline use.
 * Pages and assets: network first, the cached copy when offline. The data (rounds, queue of
 * buildings done) lives in IndexedDB, managed by drops.js; API calls are never cached here. */
"use strict";

const CACHE = "circo-drops-v1";
const SHELL = ["./", "drops.js", "/static/circo.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  const scope = new URL(self.registration.scope).pathname;
  const isShell = url.pathname.startsWith(scope) || url.pathname === "/static/circo.css";
  if (!isShell) return;
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
