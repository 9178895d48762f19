// A thin client for the hub's presigned S3 multipart uploads, for when media live in a
// bucket: the hub signs one URL per part and the browser PUTs the bytes straight to the
// bucket, so the web server never carries them. It behaves like tus-js-client's Upload as
// far as the story form needs (start, abort, onProgress, onSuccess, onError) and adds
// onWaiting, so the form can say that it waits for the connection instead of failing.
//
// What was sent survives a reload: the upload's id and the parts stored with their ETags
// sit in localStorage under the story and the file's name, size and date; choosing the
// same file again asks the hub which parts the bucket holds and sends only the rest.
(function () {
  "use strict";

  var PREFIX = "advocacy-s3::";
  var PARALLEL = 3;
  var BACKOFF = [1000, 2000, 4000, 8000, 15000, 30000];

  function storageKey(story, file) {
    return PREFIX + story + "::" +
      [encodeURIComponent(file.name), file.size, file.lastModified].join("::");
  }

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function save(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  function forget(key) {
    try { localStorage.removeItem(key); } catch (e) { /* private mode */ }
  }

  // An error the hub answered with: its JSON message is written for people, so it is shown;
  // a status of 0 is the network, and is worth waiting out.
  function HubError(status, body) {
    this.status = status;
    this.code = body && body.error ? body.error.code : "";
    this.message = body && body.error ? body.error.message : "";
  }

  function transient(error) {
    return error.status === 0 || error.status === 408 || error.status === 429 ||
      error.status >= 500;
  }

  function S3Upload(file, options) {
    this.file = file;
    this.options = options;
    this.key = storageKey(options.story, file);
    this.state = null;
    this.requests = [];
    this.loaded = {};  // bytes of the parts in flight, by part number
    this.stopped = false;
  }

  S3Upload.prototype.api = function (method, path, body) {
    var headers = Object.assign({ Accept: "application/json" }, this.options.headers || {});
    if (body) { headers["Content-Type"] = "application/json"; }
    return fetch(this.options.endpoint + path, {
      method: method, credentials: "same-origin", headers: headers,
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        if (!response.ok) { throw new HubError(response.status, json); }
        return json;
      });
    }, function () { throw new HubError(0, null); });
  };

  S3Upload.prototype.start = function () {
    var self = this;
    self.stopped = false;
    var stored = load(self.key);
    var begun;
    if (stored && new Date(stored.expires_at) > new Date()) {
      // Reconcile with the bucket: a part PUT just before the reload may be there already,
      // and one remembered here may have gone with an abort.
      begun = self.withRetry(function () {
        return self.api("GET", "/" + stored.id + "/parts");
      }).then(function (answer) {
        stored.parts = (answer.parts || []).map(function (p) {
          return { number: p.number, etag: p.etag };
        });
        return stored;
      }, function (error) {
        if (transient(error)) { throw error; }
        forget(self.key);  // gone or expired on the hub's side: start over
        return null;
      });
    } else {
      forget(self.key);
      begun = Promise.resolve(null);
    }
    begun.then(function (state) {
      if (state) { return state; }
      return self.withRetry(function () {
        return self.api("POST", "/s3", {
          filename: self.file.name, filetype: self.file.type || "application/octet-stream",
          size: self.file.size, story: self.options.story,
        });
      }).then(function (created) {
        return { id: created.id, media_id: created.media_id, part_size: created.part_size,
                 parts_count: created.parts_count, expires_at: created.expires_at, parts: [] };
      });
    }).then(function (state) {
      self.state = state;
      self.mediaId = state.media_id;
      save(self.key, state);
      self.progress();
      return self.sendParts();
    }).then(function () {
      if (self.stopped) { return null; }
      var parts = self.state.parts.slice().sort(function (a, b) { return a.number - b.number; });
      return self.withRetry(function () {
        return self.api("POST", "/" + self.state.id + "/complete", { parts: parts });
      }).then(function (media) {
        forget(self.key);
        if (media && media.id) { self.mediaId = media.id; }
        if (self.options.onSuccess) { self.options.onSuccess(); }
      });
    }).catch(function (error) { self.fail(error); });
  };

  S3Upload.prototype.fail = function (error) {
    if (this.stopped) { return; }
    this.stopped = true;
    this.requests.forEach(function (xhr) { xhr.abort(); });
    if (this.options.onError) { this.options.onError(error); }
  };

  // Runs attempt() until it succeeds, waiting between tries; offline, it waits for the
  // browser to say it is back online rather than counting tries.
  S3Upload.prototype.withRetry = function (attempt) {
    var self = this;
    var tries = 0;
    function go() {
      if (self.stopped) { return Promise.reject(new HubError(-1, null)); }
      return attempt().catch(function (error) {
        if (self.stopped || !transient(error)) { throw error; }
        var delay = BACKOFF[Math.min(tries, BACKOFF.length - 1)];
        tries += 1;
        var offline = navigator.onLine === false;
        if (self.options.onWaiting) { self.options.onWaiting(offline ? null : delay); }
        return new Promise(function (resolve) {
          if (!offline) { setTimeout(resolve, delay); return; }
          window.addEventListener("online", function back() {
            window.removeEventListener("online", back);
            resolve();
          });
        }).then(function () {
          if (self.options.onResumed) { self.options.onResumed(); }
          return go();
        });
      });
    }
    return go();
  };

  S3Upload.prototype.sendParts = function () {
    var self = this;
    var done = {};
    self.state.parts.forEach(function (p) { done[p.number] = true; });
    var queue = [];
    for (var n = 1; n <= self.state.parts_count; n++) {
      if (!done[n]) { queue.push(n); }
    }
    function worker() {
      var number = queue.shift();
      if (number === undefined || self.stopped) { return Promise.resolve(); }
      return self.withRetry(function () { return self.sendPart(number); }).then(function (etag) {
        self.state.parts.push({ number: number, etag: etag });
        delete self.loaded[number];
        save(self.key, self.state);
        self.progress();
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < (self.options.parallel || PARALLEL); i++) { workers.push(worker()); }
    return Promise.all(workers);
  };

  S3Upload.prototype.partBlob = function (number) {
    var size = this.state.part_size;
    return this.file.slice((number - 1) * size, Math.min(number * size, this.file.size));
  };

  // One part: a fresh presigned URL each try (an old one may have expired), then the PUT.
  S3Upload.prototype.sendPart = function (number) {
    var self = this;
    self.loaded[number] = 0;
    return self.api("GET", "/" + self.state.id + "/parts/" + number).then(function (signed) {
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        self.requests.push(xhr);
        function done() { self.requests = self.requests.filter(function (r) { return r !== xhr; }); }
        xhr.open("PUT", signed.url);
        xhr.upload.onprogress = function (event) {
          self.loaded[number] = event.loaded;
          self.progress();
        };
        xhr.onload = function () {
          done();
          var etag = xhr.getResponseHeader("ETag");
          if (xhr.status >= 200 && xhr.status < 300 && etag) { resolve(etag); return; }
          self.loaded[number] = 0;
          // The bucket refusing a signed URL (403: expired) is worth one more signature.
          reject(new HubError(xhr.status === 403 || !etag ? 503 : xhr.status, null));
        };
        xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
          done();
          self.loaded[number] = 0;
          self.progress();
          reject(new HubError(0, null));
        };
        xhr.send(self.partBlob(number));
      });
    });
  };

  S3Upload.prototype.progress = function () {
    if (!this.options.onProgress || !this.state) { return; }
    var size = this.state.part_size;
    var total = this.file.size;
    var sent = 0;
    this.state.parts.forEach(function (p) {
      sent += Math.min(size, total - (p.number - 1) * size);
    });
    Object.keys(this.loaded).forEach(function (n) { sent += this.loaded[n]; }, this);
    this.options.onProgress(Math.min(sent, total), total);
  };

  // Stops sending; with terminate the hub aborts the multipart upload and forgets it.
  S3Upload.prototype.abort = function (terminate) {
    this.stopped = true;
    this.requests.forEach(function (xhr) { xhr.abort(); });
    if (!terminate) { return Promise.resolve(); }
    forget(this.key);
    if (!this.state) { return Promise.resolve(); }
    return this.api("DELETE", "/" + this.state.id).catch(function () { return null; });
  };

  // Uploads of this story that a reload interrupted: [{key, name, size, sent}].
  S3Upload.pending = function (story) {
    var found = [];
    var prefix = PREFIX + story + "::";
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key.indexOf(prefix) !== 0) { continue; }
      var state = load(key);
      var fields = key.slice(prefix.length).split("::");
      if (!state || new Date(state.expires_at) <= new Date()) { forget(key); continue; }
      var size = parseInt(fields[1], 10);
      var sent = state.parts.length * state.part_size;
      found.push({ key: key, name: decodeURIComponent(fields[0]), size: size,
                   sent: Math.min(sent, size), id: state.id });
    }
    return found;
  };

  S3Upload.forget = forget;
  S3Upload.storageKey = storageKey;

  window.S3Upload = S3Upload;
})();
