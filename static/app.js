// Progressive enhancement for the story form: preview chosen photos and catch
// obvious problems (too large, not a photo, too many) before the upload, so a
// phone on a slow connection does not send 20 MB to hear "no". The server
// checks everything again; this only saves the trip.
(function () {
  "use strict";

  // A file's type comes from its name; its first bytes say what it really is.
  function looksLikePhoto(bytes) {
    function at(offset, text) {
      for (var i = 0; i < text.length; i++) {
        if (bytes[offset + i] !== text.charCodeAt(i)) { return false; }
      }
      return true;
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) { return true; } // JPEG
    if (bytes[0] === 0x89 && at(1, "PNG")) { return true; }
    if (at(0, "RIFF") && at(8, "WEBP")) { return true; }
    return at(4, "ftyp") && ["heic", "heix", "mif1", "msf1", "heim", "heis", "hevc", "avif"]
      .some(function (brand) { return at(8, brand); });
  }

  function sniff(file) {
    if (!file.slice || !window.Response) { return Promise.resolve(true); }
    return new Response(file.slice(0, 16)).arrayBuffer().then(function (buffer) {
      return looksLikePhoto(new Uint8Array(buffer));
    }, function () { return true; });
  }

  function setup(form) {
    var inputs = form.querySelectorAll("[data-photo-input]");
    var preview = form.querySelector("[data-photo-preview]");
    var errorBox = form.querySelector("[data-photo-errors]");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var maxPhotos = parseInt(form.dataset.maxPhotos, 10);
    var existing = parseInt(form.dataset.existing || "0", 10);
    var found = [];

    function chosen() {
      var files = [];
      inputs.forEach(function (input) {
        Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
      });
      return files;
    }

    function render() {
      var files = chosen();
      preview.textContent = "";
      return Promise.all(files.map(sniff)).then(function (isPhoto) {
        found = [];
        if (existing + files.length > maxPhotos) { found.push(form.dataset.msgTooMany); }
        files.forEach(function (f, index) {
          var item = document.createElement("li");
          var problem = null;
          if (f.size > maxBytes) { problem = form.dataset.msgTooLarge; }
          else if (!isPhoto[index]) { problem = form.dataset.msgNotPhoto; }
          if (problem) {
            found.push(problem.replace("{name}", f.name));
            item.className = "bad";
          } else if (f.type !== "image/heic" && f.type !== "image/heif") {
            var img = document.createElement("img");
            img.alt = "";
            img.src = URL.createObjectURL(f);
            img.onload = function () { URL.revokeObjectURL(img.src); };
            item.appendChild(img);
          }
          item.appendChild(document.createTextNode(f.name));
          preview.appendChild(item);
        });
        errorBox.hidden = found.length === 0;
        errorBox.textContent = found.join(" ");
        return found;
      });
    }

    inputs.forEach(function (input) { input.addEventListener("change", render); });
    form.addEventListener("submit", function (event) {
      if (found.length) {
        event.preventDefault();
        errorBox.tabIndex = -1;
        errorBox.focus();
        errorBox.scrollIntoView({ block: "center" });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.story-form").forEach(setup);
  });
})();

// Live guideline check: the author's pre-flight while writing and the admin's "try a text".
// The server renders the findings (translated, escaped); this only fetches them.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // POST the form's CSRF token and fields(data) to url and show the answer in target when
  // accept(html) says it is the fragment wanted. Findings (200) or a size error (413/422)
  // come as a fragment; anything else (an expired form, a signed-out session) leaves the
  // panel as it was. A newer call cancels the one still on its way.
  function fragmentLoader(form, target, url, accept, after) {
    var pending = null;
    return function (fields) {
      var data = new FormData();
      data.append("csrf_token", form.querySelector("[name=csrf_token]").value);
      fields(data);
      if (pending) { pending.abort(); }
      pending = new AbortController();
      target.setAttribute("aria-busy", "true");
      fetch(url, { method: "POST", body: data, credentials: "same-origin",
                   headers: { "X-Requested-With": "fetch" }, signal: pending.signal })
        .then(function (response) {
          if (!response.ok && response.status !== 413 && response.status !== 422) {
            throw new Error("check failed: " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          target.removeAttribute("aria-busy");
          if (!accept(html)) { return; }
          target.innerHTML = html;
          if (after) { after(target); }
        }, function () { target.removeAttribute("aria-busy"); });
    };
  }

  function isFindings(html) { return html.indexOf("data-findings") !== -1; }

  function liveCheck(form, target, url, fields, after) {
    var load = fragmentLoader(form, target, url, isFindings, after);
    var run = debounce(function () { load(fields); }, 600);
    form.addEventListener("input", run);
    form.addEventListener("change", run);
  }

  function topics(form, data) {
    form.querySelectorAll("[name=topics]:checked").forEach(function (box) {
      data.append("topics", box.value);
    });
  }

  document.querySelectorAll("[data-preflight]").forEach(function (target) {
    var form = target.closest("form");
    var explanation = form.querySelector("[data-explanation]");
    liveCheck(form, target, target.getAttribute("data-url"), function (data) {
      data.append("title", form.querySelector("[name=title]").value);
      data.append("text", form.querySelector("[name=body]").value);
      topics(form, data);
    }, function (panel) {
      var findings = panel.querySelector("[data-findings]");
      var warned = findings && findings.getAttribute("data-warnings") !== "0";
      var typed = explanation && explanation.querySelector("textarea").value.trim() !== "";
      if (explanation) { explanation.hidden = !(warned || typed); }
    });
  });

  // The review desk tells the queue, every minute, that this curator is still looking.
  document.querySelectorAll("[data-presence]").forEach(function (desk) {
    setInterval(function () {
      if (document.hidden) { return; }
      var data = new FormData();
      data.append("csrf_token", desk.getAttribute("data-csrf"));
      fetch(desk.getAttribute("data-presence"), { method: "POST", body: data,
                                                   credentials: "same-origin" });
    }, 60000);
  });

  document.querySelectorAll("[data-live-check]").forEach(function (form) {
    var target = form.parentElement.querySelector("[data-live-result]");
    liveCheck(form, target, form.getAttribute("action").split("#")[0], function (data) {
      ["text", "network", "department"].forEach(function (name) {
        data.append(name, form.querySelector("[name=" + name + "]").value);
      });
      topics(form, data);
    });
  });

  // The share composer: the counter, guideline findings and duplicate warning follow the
  // text as it is typed (rendered by the server, which counts the way each network does),
  // the curator's caption follows the chosen network until the ambassador edits it, and a
  // required disclosure is one click away.
  document.querySelectorAll("form[data-composer]").forEach(function (form) {
    var text = form.querySelector("[name=text]");
    var panel = form.querySelector("[data-share-panel]");
    var mastodon = form.querySelector("[data-mastodon]");
    var timer = null;
    var load = fragmentLoader(form, panel, form.getAttribute("data-check-url"), function (html) {
      return html.indexOf("data-share-check") !== -1 || isFindings(html);
    });

    function network() {
      var chosen = form.querySelector("[name=network]:checked");
      return chosen ? chosen.value : "";
    }

    function showMastodon() {
      if (mastodon) { mastodon.hidden = network() !== "mastodon"; }
    }

    function check() {
      clearTimeout(timer);  // checked now: the check waiting for the typing to pause is moot
      load(function (data) {
        data.append("network", network());
        data.append("text", text.value);
      });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    }

    var lastCaption = (form.querySelector("[name=network]:checked") || {}).dataset;
    lastCaption = lastCaption ? lastCaption.caption || "" : "";
    form.querySelectorAll("[name=network]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        // The curator's suggestion follows the network until the ambassador makes it theirs.
        if (text.value.trim() === lastCaption.trim() && radio.dataset.caption) {
          text.value = radio.dataset.caption;
        }
        lastCaption = radio.dataset.caption || "";
        showMastodon();
        check();
      });
    });
    text.addEventListener("input", later);
    panel.addEventListener("click", function (event) {
      var button = event.target.closest("[data-add-text]");
      if (!button) { return; }
      var addition = button.getAttribute("data-add-text");
      text.value = text.value.replace(/\s+$/, "") + (text.value.trim() ? " " : "") + addition;
      text.focus();
      check();
    });
    showMastodon();
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) { return; }
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });
})();
