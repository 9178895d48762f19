// Progressive enhancement for the story form: preview chosen photos and catch
// obvious problems (too large, not a photo, too many) before the upload, so a
// phone on a slow connection does not send 20 MB to hear "no".
(function () {
  "use strict";
  var ACCEPTED = ["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"];

  function setup(form) {
    var inputs = form.querySelectorAll("[data-photo-input]");
    var preview = form.querySelector("[data-photo-preview]");
    var errorBox = form.querySelector("[data-photo-errors]");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var maxPhotos = parseInt(form.dataset.maxPhotos, 10);
    var existing = parseInt(form.dataset.existing || "0", 10);

    function chosen() {
      var files = [];
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
      });
      return files;
    }

    function problems(files) {
      var found = [];
      if (existing + files.length > maxPhotos) { found.push(form.dataset.msgTooMany); }
      files.forEach(function (f) {
        if (f.size > maxBytes) { found.push(form.dataset.msgTooLarge.replace("{name}", f.name)); }
        else if (f.type && ACCEPTED.indexOf(f.type) === -1) {
          found.push(form.dataset.msgNotPhoto.replace("{name}", f.name));
        }
      });
      return found;
    }

    function render() {
      var files = chosen();
      preview.textContent = "";
      files.forEach(function (f) {
        var item = document.createElement("li");
        if (f.type && f.type.indexOf("image/") === 0 && f.type !== "image/heic") {
          var img = document.createElement("img");
          img.alt = "";
          img.src = URL.createObjectURL(f);
          img.onload = function () { URL.revokeObjectURL(img.src); };
          item.appendChild(img);
        }
        item.appendChild(document.createTextNode(f.name));
        preview.appendChild(item);
      });
      var found = problems(files);
      errorBox.hidden = found.length === 0;
      errorBox.textContent = found.join(" ");
      return found;
    }

    inputs.forEach(function (input) { input.addEventListener("change", render); });
    form.addEventListener("submit", function (event) {
      if (render().length) { event.preventDefault(); errorBox.focus && errorBox.scrollIntoView(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.story-form").forEach(setup);
  });
})();
