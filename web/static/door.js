// The residents' door, made lighter where the phone runs scripts: photos are resized before
// upload (the server resizes them otherwise) and the location is asked for on a tap. Every
// form works without this file.
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

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("photo"), button = document.getElementById("locate");
    if (input) { photos(input); }
    if (button) { locate(button); }
  });
})();
