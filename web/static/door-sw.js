// The residents' door's service worker (served as /door-sw.js, scope: the whole site). It keeps
// the door's shell (styles, script, icons) for a slow network, and shows the pushes the server
// sends when the head answers; a tap opens the ticket page. Pages themselves are never kept: a
// resident's words stay off a shared phone's storage.
"use strict";
var SHELL = "door-shell-1";

self.addEventListener("install", function (event) {
  event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== SHELL; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/static/") !== 0) {
    return;
  }
  // A static file's URL carries its content's hash (?v=), so a kept copy is never stale: it
  // is used at once, and the network only for what the phone has not kept yet.
  event.respondWith(caches.open(SHELL).then(function (cache) {
    return cache.match(event.request).then(function (kept) {
      return kept || fetch(event.request).then(function (response) {
        if (response.ok) { cache.put(event.request, response.clone()); }
        return response;
      });
    });
  }));
});

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "",
    icon: "/static/door-icon-192.png",
    tag: data.url || "door",
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = new URL((event.notification.data && event.notification.data.url) || "/",
    self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (open) {
    for (var i = 0; i < open.length; i++) {
      if (open[i].url === url && "focus" in open[i]) { return open[i].focus(); }
    }
    return self.clients.openWindow(url);
  }));
});
