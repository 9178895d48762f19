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

// Videos on the story form: each chosen video uploads at once, resumably (tus with local
// storage, presigned S3 multipart with a bucket), while the author goes on writing. A
// dropped connection or a sleeping phone only pauses it; after a reload, choosing the same
// file again continues where it stopped. Then the item follows the video's processing
// (polled) until it plays or says in words why it cannot. Every text comes from the page,
// translated; the server checks everything again.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var WAIT_MS = [1000, 3000, 5000, 10000, 20000, 30000];

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] === undefined ? all : values[name];
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function clock(seconds) {
    var whole = Math.max(0, Math.round(seconds));
    var s = whole % 60;
    return Math.floor(whole / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  // The hub's errors are {error: {code, message}} with the message written for people.
  function reasonOf(body, fallback) {
    try {
      var parsed = typeof body === "string" ? JSON.parse(body) : body;
      if (parsed && parsed.error && parsed.error.message) { return parsed.error.message; }
    } catch (e) { /* not JSON: a proxy's page */ }
    return fallback;
  }

  function setup(box) {
    var s = JSON.parse(box.getAttribute("data-strings"));
    var form = box.closest("form");
    var list = box.querySelector("[data-video-list]");
    var announcer = box.querySelector("[data-video-announce]");
    var inputs = box.querySelectorAll("[data-video-input]");
    var csrf = form.querySelector("[name=csrf_token]").value;
    var lang = document.documentElement.lang || undefined;
    var percentFormat = new Intl.NumberFormat(lang, { style: "percent" });
    var decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    var storyId = box.getAttribute("data-story-id") || "";
    var shown = {};  // media id -> item of a video the hub knows about
    var unmatched = [];  // rows of finished uploads whose media id is not known yet
    var offers = {};  // "name/size" -> row offering to continue an interrupted upload
    var active = [];  // uploads sending bytes now
    var pollTimer = null;

    box.hidden = false;

    function say(text) {
      // A fresh node each time, so the same words said twice are announced twice.
      announcer.textContent = "";
      announcer.appendChild(document.createTextNode(text));
    }

    function speed(bytesPerSecond) {
      if (bytesPerSecond >= 1048576) {
        return decimal.format(bytesPerSecond / 1048576) + " MB/s";
      }
      return Math.max(1, Math.round(bytesPerSecond / 1024)) + " kB/s";
    }

    function timeLeft(seconds) {
      var whole = Math.max(1, Math.round(seconds));
      if (whole < 60) { return fill(s.seconds, { seconds: whole }); }
      return fill(s.minutes, { minutes: Math.floor(whole / 60), seconds: whole % 60 });
    }

    // One row of the list: name, progress bar, status line, buttons, and later the video.
    function makeItem(name) {
      var item = { node: element("li", "video-item") };
      item.media = element("div", "video-media");
      item.name = element("p", "video-name", name);
      item.bar = element("progress");
      item.bar.max = 100;
      item.bar.value = 0;
      item.bar.setAttribute("aria-label", fill(s.progressLabel, { name: name }));
      item.status = element("p", "video-status");
      item.actions = element("div", "video-actions");
      [item.media, item.name, item.bar, item.status, item.actions].forEach(function (n) {
        item.node.appendChild(n);
      });
      list.appendChild(item.node);
      return item;
    }

    function setState(item, state, text, announce) {
      item.node.setAttribute("data-state", state);
      item.bar.hidden = state !== "uploading" && state !== "waiting";
      item.status.textContent = text;
      item.node.classList.toggle("bad", state === "failed");
      if (announce) { say(item.name.textContent + ": " + text); }
    }

    function button(item, label, action, className) {
      var b = element("button", className || "secondary", label);
      b.type = "button";
      b.addEventListener("click", action);
      item.actions.appendChild(b);
      return b;
    }

    function clearActions(item) { item.actions.textContent = ""; }

    function dropItem(item, message) {
      item.node.remove();
      if (message) { say(message); }
    }

    // -- progress, speed and time left -------------------------------------------------

    function meter(item) {
      var samples = [];
      var lastSaid = -1;
      return function (sent, total) {
        var now = Date.now();
        samples.push([now, sent]);
        while (samples.length > 2 && now - samples[0][0] > 5000) { samples.shift(); }
        var first = samples[0];
        var rate = now > first[0] ? (sent - first[1]) * 1000 / (now - first[0]) : 0;
        var fraction = total ? sent / total : 0;
        item.bar.value = Math.floor(fraction * 100);
        var text = percentFormat.format(Math.floor(fraction * 100) / 100);
        if (rate > 0 && sent < total) {
          text = fill(s.progress, { percent: text, speed: speed(rate),
                                    left: timeLeft((total - sent) / rate) });
        } else {
          text = fill(s.progressShort, { percent: text });
        }
        setState(item, "uploading", text, false);
        // Screen readers hear every quarter, not every tick.
        var quarter = Math.floor(fraction * 4);
        if (quarter !== lastSaid && quarter < 4) {
          if (lastSaid !== -1 || quarter > 0) { say(item.name.textContent + ": " + text); }
          lastSaid = quarter;
        }
      };
    }

    // -- the hub's view of the story's videos ------------------------------------------

    function show(video) {
      var item = shown[video.id];
      if (item && item.adopted && item.state === "uploading" && video.status !== "uploading" &&
          unmatched.length) {
        // The page listed this video as unfinished, and an upload from here just finished
        // it: the page's row goes on, the upload's row goes.
        unmatched.shift().node.remove();
      }
      if (!item && unmatched.length) {
        item = unmatched.shift();
        item.id = video.id;
        shown[video.id] = item;
      }
      if (!item) {
        item = makeItem(video.filename || fill(s.videoN, { n: Object.keys(shown).length + 1 }));
        item.id = video.id;
        shown[video.id] = item;
      }
      if (item.state === video.status) { return; }
      var first = item.state === undefined;
      item.state = video.status;
      clearActions(item);
      if (video.status === "processing") {
        setState(item, "processing", s.processing, !first);
      } else if (video.status === "uploading") {
        setState(item, "stalled", s.stalled, false);
      } else if (video.status === "ready") {
        item.media.textContent = "";
        var player = element("video");
        player.controls = true;
        player.preload = "metadata";
        player.setAttribute("playsinline", "");
        var poster = video.poster || {};
        poster = poster.feed || poster.large || poster.thumb;
        if (poster) { player.poster = poster.url; }
        player.src = video.url;
        player.setAttribute("aria-label", fill(s.videoLabel, { name: item.name.textContent }));
        item.media.appendChild(player);
        var ready = video.duration ? fill(s.ready, { duration: clock(video.duration) })
          : s.readyNoDuration;
        setState(item, "ready", ready, !first);
      } else if (video.status === "failed") {
        var reason = video.error && video.error.message ? video.error.message : s.genericError;
        setState(item, "failed", fill(s.failed, { reason: reason }), !first);
      }
      if (!item.adopted) { button(item, s.remove, function () { removeVideo(item); }); }
    }

    function poll() {
      clearTimeout(pollTimer);
      if (!storyId) { return; }
      fetch(fill(box.getAttribute("data-media-url"), { id: storyId }),
            { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("media state: " + response.status); }
          return response.json();
        })
        .then(function (answer) {
          var videos = (answer.media || answer.items || answer).filter(function (m) {
            return m.kind === "video";
          });
          var waiting = false;
          videos.forEach(function (video) {
            // A video still uploading shows its progress here, or the offer to continue it.
            if (video.status === "uploading" && !shown[video.id] &&
                (active.length || Object.keys(offers).length)) { return; }
            show(video);
            if (video.status === "processing") { waiting = true; }
          });
          if (waiting) { pollTimer = setTimeout(poll, POLL_MS); }
        })
        .catch(function () { pollTimer = setTimeout(poll, POLL_MS * 5); });
    }

    // Removing goes through the story form itself (its "remove" field, saved as a draft), so
    // the text typed meanwhile is saved with it rather than lost.
    function removeVideo(item) {
      setState(item, item.node.getAttribute("data-state"), s.removing, true);
      saveDraft({ remove_media: String(item.id) }).then(function () {
        delete shown[item.id];
        dropItem(item, s.removed);
      }, function (error) {
        setState(item, "failed", fill(s.removeFailed, { reason: error.message }), true);
      });
    }

    // -- uploading -------------------------------------------------------------------------

    function waitForNetwork(then, attempt) {
      if (navigator.onLine === false) {
        window.addEventListener("online", function back() {
          window.removeEventListener("online", back);
          then();
        });
        return;
      }
      setTimeout(then, WAIT_MS[Math.min(attempt, WAIT_MS.length - 1)]);
    }

    function waiting(item, delay) {
      var text = delay === null || navigator.onLine === false ? s.offline
        : fill(s.retrying, { seconds: Math.max(1, Math.round(delay / 1000)) });
      if (item.status.textContent !== text) { setState(item, "waiting", text, true); }
    }

    function finished(upload, item) {
      active = active.filter(function (u) { return u !== upload; });
      clearActions(item);
      item.bar.value = 100;
      setState(item, "processing", s.processing, true);
      item.state = "processing";
      // From here on the hub's list drives this row: by the media id the upload answered
      // with, or else as the next video the list shows that this page did not know.
      var listed = upload.mediaId && shown[upload.mediaId];
      if (listed) {  // the page listed it as unfinished: that row goes on, this one goes
        item.node.remove();
        listed.state = "processing";
        setState(listed, "processing", s.processing, false);
      } else if (upload.mediaId) {
        item.id = upload.mediaId;
        shown[upload.mediaId] = item;
      } else {
        unmatched.push(item);
      }
      poll();
    }

    function failed(upload, item, reason) {
      active = active.filter(function (u) { return u !== upload; });
      clearActions(item);
      setState(item, "failed", fill(s.uploadFailed, { reason: reason }), true);
      button(item, s.dismiss, function () { dropItem(item); });
    }

    function tusUpload(file, item, onStart) {
      var upload = null;
      var retries = 0;
      var status = function (error) {
        return error && error.originalResponse ? error.originalResponse.getStatus() : 0;
      };
      upload = new window.tus.Upload(file, {
        endpoint: box.getAttribute("data-tus-endpoint"),
        chunkSize: parseInt(box.getAttribute("data-chunk-size"), 10) || Infinity,
        retryDelays: [0, 1000, 3000, 5000],
        headers: { "X-CSRFToken": csrf },
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream",
                    story: String(storyId) },
        fingerprint: function (f) {
          return Promise.resolve(["advocacy", storyId, f.name, f.type, f.size,
                                  f.lastModified].join("-"));
        },
        removeFingerprintOnSuccess: true,
        onShouldRetry: function (error) {
          var code = status(error);
          var retry = navigator.onLine !== false &&
            (code === 0 || code === 409 || code === 423 || code >= 500);
          if (retry) { waiting(item, 1000); }
          return retry;
        },
        onAfterResponse: function (request, response) {
          var media = response.getHeader("Upload-Media-Id");
          if (media) { upload.mediaId = parseInt(media, 10); }
        },
        onProgress: (function () {
          var progress = meter(item);
          return function (sent, total) { retries = 0; progress(sent, total); };
        })(),
        onSuccess: function () { finished(upload, item); },
        onError: function (error) {
          var code = status(error);
          if (code === 0 || code >= 500 || navigator.onLine === false) {
            // Out of quick retries, or offline: wait as long as it takes, then carry on
            // from the offset the hub has (tus asks for it with HEAD).
            waiting(item, navigator.onLine === false ? null : WAIT_MS[retries]);
            waitForNetwork(function () {
              if (active.indexOf(upload) === -1) { return; }
              setState(item, "waiting", s.resuming, true);
              upload.start();
            }, retries++);
            return;
          }
          failed(upload, item, reasonOf(error.originalResponse &&
                                        error.originalResponse.getBody(), s.genericError));
        },
      });
      upload.cancel = function () { return upload.abort(true); };
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          upload.resumeFromPreviousUpload(previous[0]);
          setState(item, "waiting", s.resuming, true);
        }
        onStart();
        upload.start();
      });
      return upload;
    }

    function s3Upload(file, item, onStart) {
      var upload = new window.S3Upload(file, {
        endpoint: box.getAttribute("data-s3-endpoint"),
        story: String(storyId),
        headers: { "X-CSRFToken": csrf },
        parallel: parseInt(box.getAttribute("data-parallel-parts"), 10) || undefined,
        onProgress: meter(item),
        onWaiting: function (delay) { waiting(item, delay); },
        onResumed: function () { setState(item, "waiting", s.resuming, true); },
        onSuccess: function () { finished(upload, item); },
        onError: function (error) { failed(upload, item, error.message || s.genericError); },
      });
      upload.cancel = function () { return upload.abort(true); };
      onStart();
      upload.start();
      return upload;
    }

    function begin(file, item) {
      clearActions(item);
      var start = box.getAttribute("data-upload-protocol") === "s3" ? s3Upload : tusUpload;
      var upload = start(file, item, function () {
        setState(item, "uploading", s.starting, true);
      });
      active.push(upload);
      button(item, s.cancel, function () {
        active = active.filter(function (u) { return u !== upload; });
        upload.cancel();
        dropItem(item, s.cancelled);
      });
      forgetOffer(file);
    }

    // -- a story that has no id yet: save the draft first, with everything typed ------------

    function saveDraft(extra) {
      var data = new FormData();
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!field.name || field.disabled || field.type === "file" || field.name === "action" ||
            ((field.type === "checkbox" || field.type === "radio") && !field.checked)) {
          return;
        }
        data.append(field.name, field.value);
      });
      data.append("action", "save");
      Object.keys(extra || {}).forEach(function (name) { data.append(name, extra[name]); });
      // getAttribute: form.action is the form's "action" buttons, not its address.
      return fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          var found = /\/stories\/(\d+)$/.exec(new URL(response.url).pathname);
          if (response.redirected && found) { return found[1]; }
          return response.text().then(function (html) {
            var page = new DOMParser().parseFromString(html, "text/html");
            var problems = Array.prototype.map.call(page.querySelectorAll("form .errors li"),
              function (li) { return li.textContent.trim(); });
            throw new Error(problems.join(" ") || s.genericError);
          });
        }, function () { throw new Error(s.offline); });
    }

    function becameDraft(id) {
      storyId = id;
      box.setAttribute("data-story-id", id);
      var editUrl = fill(box.getAttribute("data-edit-url"), { id: id });
      form.setAttribute("action", editUrl);
      history.replaceState(null, "", editUrl);
      var heading = document.querySelector("main h1");
      if (heading) { heading.textContent = s.editTitle; }
      document.title = document.title.replace(s.newTitle, s.editTitle);
    }

    function choose(file) {
      var item = makeItem(file.name);
      var type = file.type || "";
      if (type && type.indexOf("video/") !== 0) {
        failed(null, item, fill(s.notVideo, { name: file.name }));
        return;
      }
      var max = parseInt(box.getAttribute("data-max-bytes"), 10);
      if (max && file.size > max) {
        failed(null, item, fill(s.tooLarge, { name: file.name }));
        return;
      }
      if (storyId) { begin(file, item); return; }
      setState(item, "waiting", s.savingDraft, true);
      saveDraft().then(function (id) {
        becameDraft(id);
        say(s.draftSaved);
        begin(file, item);
      }, function (error) {
        clearActions(item);
        setState(item, "failed", fill(s.draftFailed, { reason: error.message }), true);
        button(item, s.retry, function () { item.node.remove(); choose(file); });
        button(item, s.dismiss, function () { dropItem(item); });
      });
    }

    // -- uploads a reload interrupted: offer to continue them -------------------------------

    function offer(name, size, key, id) {
      var item = makeItem(name);
      item.bar.hidden = true;
      setState(item, "stalled", fill(s.resumeOffer, { name: name }), false);
      button(item, s.chooseAgain, function () {
        box.querySelector("[data-video-input]:not([capture])").click();
      });
      button(item, s.discard, function () {
        item.node.remove();
        delete offers[name + "/" + size];
        if (key.indexOf("tus::") === 0) {
          var entry = JSON.parse(localStorage.getItem(key) || "{}");
          localStorage.removeItem(key);
          if (entry.uploadUrl) {
            window.tus.Upload.terminate(entry.uploadUrl, { headers: { "X-CSRFToken": csrf } })
              .catch(function () { return null; });
          }
        } else {
          window.S3Upload.forget(key);
          fetch(box.getAttribute("data-s3-endpoint") + "/" + id, {
            method: "DELETE", credentials: "same-origin", headers: { "X-CSRFToken": csrf },
          }).catch(function () { return null; });
        }
      }, "link");
      offers[name + "/" + size] = item;
    }

    function forgetOffer(file) {
      var item = offers[file.name + "/" + file.size];
      if (item) { item.node.remove(); delete offers[file.name + "/" + file.size]; }
    }

    // Offer an interrupted tus upload only while the hub still has it (not expired, not
    // removed with its video).
    function stillThere(entry, key) {
      fetch(entry.uploadUrl, { method: "HEAD", credentials: "same-origin",
                               headers: { "Tus-Resumable": "1.0.0" } })
        .then(function (response) {
          if (response.ok) { offer(entry.metadata.filename, entry.size, key, null); }
          else if (response.status === 404 || response.status === 410) {
            localStorage.removeItem(key);
          }
        }, function () { offer(entry.metadata.filename, entry.size, key, null); });
    }

    function offerInterrupted() {
      if (!storyId) { return; }
      if (box.getAttribute("data-upload-protocol") === "s3") {
        window.S3Upload.pending(storyId).forEach(function (p) {
          offer(p.name, p.size, p.key, p.id);
        });
        return;
      }
      var prefix = "tus::advocacy-" + storyId + "-";
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key.indexOf(prefix) !== 0) { continue; }
        try {
          var entry = JSON.parse(localStorage.getItem(key));
          stillThere(entry, key);
        } catch (e) { localStorage.removeItem(key); }
      }
    }

    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files || [], choose);
        input.value = "";  // the same file may be chosen again, and the form never sends it
      });
    });

    // Leaving the page stops an upload (a reload can resume it): ask first.
    window.addEventListener("beforeunload", function (event) {
      if (active.length) { event.preventDefault(); event.returnValue = ""; }
    });

    // The videos the page was rendered with: polling updates them where they are.
    form.querySelectorAll("[data-video-item]").forEach(function (node) {
      var item = { node: node, adopted: true, id: parseInt(node.getAttribute("data-media-id"), 10),
                   state: node.getAttribute("data-state") };
      item.name = node.querySelector(".video-name");
      item.status = node.querySelector(".video-status");
      item.status.removeAttribute("role");  // announced through this widget's live region
      item.media = node.querySelector(".video-media") || element("div", "video-media");
      if (!item.media.parentNode) { node.insertBefore(item.media, item.status); }
      item.bar = element("progress");
      item.bar.hidden = true;
      item.actions = element("div", "video-actions");
      node.appendChild(item.actions);
      if (item.state === "uploading") { item.status.textContent = s.stalled; }
      shown[item.id] = item;
    });

    offerInterrupted();
    poll();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-video-uploads]").forEach(setup);
  });
})();
