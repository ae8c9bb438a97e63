/* Boucle's service worker (served at /sw.js by bottles/offline.py, scope "/"; docs/architecture.md, "Offline").
 *
 * - Static files (any path with /static/): cache first, in a cache named after a hash of every
 *   static file (VERSION, filled in by the server): a new release installs a new worker and drops
 *   the old cache.
 * - Pages (navigations): network first; the pages worth having in the field (home, crate pages,
 *   drivers' and washers' scan stations) are kept per URL and shown when the network is gone.
 *   A page never visited: the offline page, or for /c/<CODE> the offline crate page, which can
 *   still queue "full" or "picked up" (bottles/static/queue.js).
 * - Never kept: anything but GET, the API, /login, /logout, a redirected answer. A signed-out page
 *   (the sign-in page after a logout) deletes the pages kept (queue.js), so nobody sees another's.
 * Actions taken offline are not the worker's business: pages queue and send them (queue.js).
 */
"use strict";

var VERSION = "__VERSION__";
var PRECACHE = ["__PRECACHE__"];
var STATIC = "boucle-static-" + VERSION;
var PAGES = "boucle-pages";
var OFFLINE = "/hors-ligne";
var OFFLINE_CRATE = "/hors-ligne/caisse";

/* The pages kept for the field: home, crate pages, scan stations (not the sign-in page, API, exports). */
function keepsPage(url) {
  var path = url.pathname;
  if (/\.(pdf|png|svg|csv|xlsx)$/.test(path)) { return false; }
  return path === "/" || /^\/c\/[^\/]+$/.test(path) || /^\/tournee(\/|$)/.test(path) ||
    /^\/lavage\/reception(\/|$)/.test(path);
}

function isStatic(url) {
  return url.pathname.indexOf("/static/") >= 0;
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) { return new Request(url, {credentials: "same-origin"}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("boucle-static-") === 0 && name !== STATIC;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function staticFirst(request) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

/* A page kept earlier, else the offline crate page (for /c/<CODE>) or the offline page. */
function fallback(request, url) {
  return caches.open(PAGES).then(function (pages) { return pages.match(request, {ignoreVary: true}); })
    .then(function (hit) {
      if (hit) { return hit; }
      var spare = /^\/c\/[^\/]+$/.test(url.pathname) ? OFFLINE_CRATE : OFFLINE;
      return caches.open(STATIC).then(function (cache) { return cache.match(spare); }).then(function (page) {
        return page || new Response("Pas de réseau / No network", {status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}});
      });
    });
}

function keep(request, response) {
  if (response.ok && !response.redirected && response.type === "basic" &&
      (response.headers.get("Content-Type") || "").indexOf("text/html") === 0) {
    var copy = response.clone();
    caches.open(PAGES).then(function (pages) { return pages.put(request.url, copy); });
  }
  return response;
}

function networkFirst(request, url) {
  return fetch(request).then(function (response) {
    return keepsPage(url) ? keep(request, response) : response;
  }, function () { return fallback(request, url); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (isStatic(url)) { event.respondWith(staticFirst(request)); return; }
  if (request.mode === "navigate") {
    if (url.pathname === "/login" || url.pathname === "/logout") { return; }
    event.respondWith(networkFirst(request, url));
  }
});

/* A page shown before this worker took over: keep it and its files now (queue.js asks). */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "visited") {
    var url = new URL(data.page, self.location.origin);
    var work = [];
    if (url.origin === self.location.origin && keepsPage(url)) {
      work.push(caches.open(PAGES).then(function (pages) {
        return pages.match(url.href).then(function (hit) {
          return hit || fetch(url.href, {credentials: "same-origin"}).then(function (r) { keep(new Request(url.href), r); });
        });
      }));
    }
    (data.assets || []).forEach(function (asset) {
      var a = new URL(asset, self.location.origin);
      if (a.origin === self.location.origin && isStatic(a)) { work.push(staticFirst(new Request(a.href)).catch(function () {})); }
    });
    event.waitUntil(Promise.all(work).catch(function () {}));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});
