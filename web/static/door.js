// The residents' door, made lighter where the phone runs scripts: photos are resized before
// upload (the server resizes them otherwise) and the location is asked for on a tap; the
// service worker is registered (the shell cached, pushes shown) and, after a tap on "tell me
// when the head answers", the browser's push subscription is sent. Every form works without
// this file; a browser without push keeps the page as it is.
(function () {
  "use strict";
  var MAX_SIDE = 1600, QUALITY = 0.82, MAX_PHOTOS = 5;
  document.documentElement.className += " js";

  function resize(file) {
    return new Promise(function (done) {
      if (!window.URL || !document.createElement("canvas").toBlob) { done(file); return; }
      var image = new Image(), url = URL.createObjectURL(file);
      image.onload = function () {
        var scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.width * scale);
        canvas.height = Math.round(image.height * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) {
          done(blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", QUALITY);
      };
      image.onerror = function () { URL.revokeObjectURL(url); done(file); };
      image.src = url;
    });
  }

  function photos(input) {
    var next = document.getElementById("next"), state = document.getElementById("photo-state");
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files, 0, MAX_PHOTOS);
      if (!window.DataTransfer || !window.Promise) { return; }
      if (next) { next.disabled = true; }
      Promise.all(files.map(resize)).then(function (resized) {
        try {
          var list = new DataTransfer();
          resized.forEach(function (f) { list.items.add(f); });
          input.files = list.files;
        } catch (e) { /* an old browser: the server resizes */ }
        if (state) { state.textContent = input.files.length + " / " + MAX_PHOTOS; }
        if (next) { next.disabled = false; }
      });
    });
  }

  function locate(button) {
    var state = document.getElementById("locate-state");
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { state.textContent = state.dataset.fail; return; }
      navigator.geolocation.getCurrentPosition(function (where) {
        document.getElementById("lat").value = where.coords.latitude.toFixed(6);
        document.getElementById("lon").value = where.coords.longitude.toFixed(6);
        state.textContent = state.dataset.ok;
      }, function () { state.textContent = state.dataset.fail; }, { timeout: 15000 });
    });
  }

  function serverKey(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function notify(button) {
    var state = document.getElementById("push-state");
    function say(what) { state.textContent = state.dataset[what]; }
    if (!("serviceWorker" in navigator) || !window.PushManager || !window.Notification ||
        !window.fetch || !window.Promise) { say("none"); return; }
    if (Notification.permission === "denied") { say("denied"); return; }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (known) { if (known) { say("on"); } else { button.hidden = false; } });
    button.addEventListener("click", function () {
      // Asked only now, after the resident's own tap.
      Promise.resolve(Notification.requestPermission()).then(function (answer) {
        if (answer !== "granted") { say("denied"); return; }
        return navigator.serviceWorker.ready.then(function (registration) {
          return registration.pushManager.subscribe({
            userVisibleOnly: true, applicationServerKey: serverKey(button.dataset.key)
          });
        }).then(function (subscription) {
          var body = new FormData();
          body.append("csrf", button.dataset.csrf);
          body.append("subscription", JSON.stringify(subscription));
          return fetch("/door/push", { method: "POST", body: body, credentials: "same-origin" });
        }).then(function (answered) {
          say(answered.ok ? "on" : "bad");
          button.hidden = answered.ok;
        });
      }).catch(function () { say("bad"); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("photo"), button = document.getElementById("locate");
    var push = document.getElementById("push");
    if (input) { photos(input); }
    if (button) { locate(button); }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/door-sw.js").catch(function () { /* the page is enough */ });
    }
    if (push) { notify(push); }
  });
})();
