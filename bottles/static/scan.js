/* Boucle scan station: many crates in a row, one confirmation (docs/architecture.md).
 *
 * CONTRACT (shared by collection_points and washer; keep it stable)
 * -----------------------------------------------------------------
 * Server side: the JSON API's POST /api/v1/events (api/writes.py), one event
 * per line (below); the texts come from bottles/scan.py `station_strings()`.
 *
 * Markup: render it with the Jinja macro `scan_station` of
 * bottles/templates/bottles/scan_station.html; this script finds every
 * element carrying `data-scan-station` and brings it to life.
 *
 * Ways in (all feed the same running list):
 *   - the text field: a typed code or a keyboard-wedge scanner's keystrokes
 *     ending with Enter; a full URL (…/c/CJ-00042-X?x) or a bare code, any
 *     case, with or without hyphens, also a QWERTY scanner on an AZERTY
 *     keyboard (same rules as bottles/codes.py `parse`);
 *   - the in-page camera (QR codes), read continuously until "Arrêter la
 *     caméra": by the browser's own BarcodeDetector where it reads QR codes,
 *     else by barcode-detector over zxing-wasm, served by Boucle
 *     (bottles/static/vendor/zxing/, loaded on the first start; the page's
 *     data-reader and data-wasm give their URLs). The camera box says which
 *     in data-decoder ("native" | "zxing") and how it is in data-camera-state.
 * Each code is checked here first: format and the Luhn mod 36 check
 * character, exactly as bottles/codes.py (tests/bottles/test_scan_station.py
 * compares both on thousands of codes). A code already in the list gets a
 * "déjà scanné" warning and is not added twice. Feedback: a short high beep
 * (WebAudio) + short vibration when added, two low beeps + long vibration
 * for a duplicate or an invalid code.
 *
 * Messages: every text this script shows comes from the page, in the
 * person's language: the macro renders bottles/scan.py `station_strings()` as
 * <script type="application/json" data-scan-strings> (no inline executable
 * script: the CSP stays strict). Placeholders are %(name)s; a plural message
 * comes as [singular, plural], picked by count (French: singular for 0 and 1,
 * English: for 1 only). Without that block (scan.js loaded alone) the French
 * source texts below are used, the same as bottles/codes.py says.
 *
 * Each code gets its own event id (a uuid4) and the phone's time (the field
 * time) the moment it is scanned; the list (with the ids and times) is kept in
 * localStorage, so a reload or a lost network loses nothing, a resend records
 * nothing twice, and a list sent days later is dated when it was scanned.
 *
 * ONE confirmation sends the whole list, one line after the other, each as one event of the JSON
 * API (POST /api/v1/events, api/writes.py, docs/api.md), signed in by the session cookie:
 *   headers: Content-Type: application/json, Accept: application/json,
 *            X-CSRFToken: <the station's data-csrf>
 *   body: {"id": "<the line's event id>", "kind": <the station's data-queue-kind, as the API names
 *          it: pickup → pickup, drop → crate_placed, receipt → receipt>, "crate": "CJ-00042-X",
 *          "occurred_at": "2026-11-27T08:12:03.412Z",  // the phone's clock when scanned (the field
 *                                                       // time; a resend keeps it)
 *          "counted": 48,                               // only with with_count and a number typed
 *          "<name>": "<value>", …}                      // the named inputs of the page's extra
 *                                                       // fields (the macro's caller block), named
 *                                                       // as the API names them: round_token,
 *                                                       // point_id, washer_id, loss_reason_id…
 * (window.BoucleQueue.eventOf and .post, bottles/static/queue.js, build and send it: the phone's
 * queue sends the same events the same way.) Each answer sets its line: 201 "recorded", 200
 * "already" (the same event id again: nothing recorded twice), a JSON refusal {code, message,
 * errors?, crate_state?} "refused" with its French message; a pickup refused while the crate
 * stands at its point (crate_state "at_point") offers "Déclarer pleine" (a link to the crate page);
 * a receipt recorded (or already) says the bottles counted against those declared, and the gap,
 * from the answer's event and its movements (receiptText).
 * "recorded" and "already" rows are done (greyed, kept visible); "refused" rows stay in the list
 * with the reason, to fix or remove (✕).
 * No network (navigator.onLine false, or a request fails), signed out (401), a stale CSRF token,
 * 429 or 5xx: the lines not answered move to the phone's queue (bottles/static/queue.js,
 * window.BoucleQueue) with their event ids, field times and the page's fields; it sends each by
 * itself when the network is back (or at the next page load) and lists the answers at the top of
 * the page (docs/architecture.md, "Offline").
 */
(function () {
  "use strict";
  if (window.BoucleScan) { return; }

  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  var N = ALPHABET.length;
  var BARE = /^([A-Z]{1,4})([0-9]{5})([0-9A-Z])$/;
  var AZERTY = {"à": "0", "&": "1", "é": "2", "\"": "3", "'": "4", "(": "5",
                "-": "6", "è": "7", "_": "8", "ç": "9", ")": "-"};

  function luhnTotal(text, startFactor) {
    var factor = startFactor, total = 0;
    for (var i = text.length - 1; i >= 0; i--) {
      var addend = factor * ALPHABET.indexOf(text.charAt(i));
      factor = factor === 2 ? 1 : 2;
      total += Math.floor(addend / N) + (addend % N);
    }
    return total;
  }

  function checkCharacter(payload) {
    return ALPHABET.charAt((N - (luhnTotal(payload, 2) % N)) % N);
  }

  /* The French source texts (the msgids), replaced by the page's translated ones (loadText). */
  var TEXT = {
    lang: "fr",
    no_code: "Aucun code saisi.",
    too_long: "Saisie trop longue pour un code de caisse.",
    bad_check: "Code « %(code)s » : le caractère de contrôle ne correspond pas. Vérifiez la saisie.",
    not_a_code: "« %(typed)s » n'est pas un code de caisse (attendu : CJ-00042-X).",
    status: {pending: "à valider", recorded: "enregistrée", already: "déjà enregistrée",
             refused: "refusée", sending: "envoi…"},
    crates: ["%(num)s caisse", "%(num)s caisses"],
    duplicate: "Déjà scanné : %(code)s est déjà dans la liste (%(status)s).",
    added: "%(code)s ajoutée (%(num)s à valider).",
    remove: "Retirer %(code)s de la liste",
    bad_count: "Le nombre pour %(code)s doit être un nombre entier positif.",
    sending: "Envoi de %(crates)s…",
    signed_out: "Vous n'êtes plus connecté(e) : reconnectez-vous dans un autre onglet puis revalidez ; la liste est gardée.",
    unreadable: "Réponse illisible du serveur (%(status)s).",
    offline: "Pas de réseau : la liste est gardée sur ce téléphone. Réessayez « %(label)s » dès que possible ; rien ne sera compté deux fois.",
    recorded: ["%(num)s caisse enregistrée", "%(num)s caisses enregistrées"],
    refused_tail: [", %(num)s refusée : voir la liste.", ", %(num)s refusées : voir la liste."],
    confirm_clear: ["Retirer la caisse non validée de la liste ?", "Retirer les %(num)s caisses non validées de la liste ?"],
    camera_starting: "Ouverture de la caméra…",
    camera_denied: "Accès à la caméra refusé : autorisez-le dans les réglages du navigateur, ou utilisez le champ de saisie.",
    camera_missing: "Aucune caméra trouvée sur cet appareil : utilisez le champ de saisie.",
    camera_busy: "La caméra est déjà utilisée par une autre application : fermez-la et réessayez, ou utilisez le champ de saisie.",
    camera_unavailable: "La caméra n'est pas disponible sur cette page (il faut une adresse en https) : utilisez le champ de saisie.",
    decoder_failed: "Le lecteur de QR codes n'a pas pu se charger : réessayez, ou utilisez le champ de saisie.",
    no_camera: "Caméra refusée ou absente : utilisez le champ de saisie ou l'appareil photo du téléphone.",
    declare_full: "Déclarer pleine",
    receipt_counted: ["Réceptionnée : %(num)s bouteille comptée", "Réceptionnée : %(num)s bouteilles comptées"],
    receipt_declared: [" sur %(num)s annoncée", " sur %(num)s annoncées"],
    receipt_missing: [", %(num)s manquante", ", %(num)s manquantes"],
    receipt_surplus: [", %(num)s en plus", ", %(num)s en plus"]
  };

  /* The page's translated texts (the first data-scan-strings block), over the French ones. */
  function loadText() {
    var block = document.querySelector("script[data-scan-strings]");
    if (!block) { return; }
    try {
      var given = JSON.parse(block.textContent);
      Object.keys(given).forEach(function (key) { TEXT[key] = given[key]; });
    } catch (e) { /* unreadable block: the French texts stay */ }
  }

  /* A message with its %(name)s placeholders filled. */
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && values.hasOwnProperty(name) ? String(values[name]) : whole;
    });
  }

  /* One of a message's two forms, by count: French says 0 and 1 in the singular, English 1 only. */
  function plural(forms, n, values) {
    var many = TEXT.lang.indexOf("fr") === 0 ? n > 1 : n !== 1;
    var all = {num: n};
    Object.keys(values || {}).forEach(function (key) { all[key] = values[key]; });
    return fmt(forms[many ? 1 : 0], all);
  }

  function crates(n) {
    return plural(TEXT.crates, n);
  }

  /* A receipt's line from the API's answer (the recorded event, sent again or not): the bottles
   * counted at the dock (every movement into "received") against those declared when the crate was
   * declared full (every movement out of "in_transit": received, or lost when fewer were counted),
   * and the gap; "" when the answer carries no movements. */
  function receiptText(event) {
    var moves = event && Array.isArray(event.movements) ? event.movements : [];
    if (!moves.length) { return ""; }
    var counted = 0, declared = 0;
    moves.forEach(function (m) {
      var n = parseInt(m.quantity, 10) || 0;
      if (m.to_stage === "received") { counted += n; }
      if (m.from_stage === "in_transit") { declared += n; }
    });
    var text = plural(TEXT.receipt_counted, counted) + plural(TEXT.receipt_declared, declared);
    if (counted < declared) { text += plural(TEXT.receipt_missing, declared - counted); }
    if (counted > declared) { text += plural(TEXT.receipt_surplus, counted - declared); }
    return text + ".";
  }

  function isValid(payloadWithCheck) {
    return luhnTotal(payloadWithCheck, 1) % N === 0;
  }

  function stripUrl(raw) {
    var text = raw.trim();
    var marker = text.toLowerCase().lastIndexOf("/c/");
    if (marker >= 0) { text = text.slice(marker + 3); }
    return text.split(/[?#\/]/)[0];
  }

  function azerty(raw) {
    return raw.split("").map(function (c) { return AZERTY.hasOwnProperty(c) ? AZERTY[c] : c; }).join("");
  }

  /* {code: "CJ-00042-X"} or {error: "message"}, like codes.parse. */
  function parseBare(text) {
    var compact = text.replace(/[\s\-]/g, "").toUpperCase();
    var m = BARE.exec(compact);
    if (!m) { return null; }
    if (!isValid(m[1] + m[2] + m[3])) {
      return {error: fmt(TEXT.bad_check, {code: m[1] + "-" + m[2] + "-" + m[3]})};
    }
    return {code: m[1] + "-" + m[2] + "-" + m[3]};
  }

  function parse(raw) {
    if (raw === null || raw === undefined || !String(raw).trim()) { return {error: TEXT.no_code}; }
    raw = String(raw);
    if (raw.length > 300) { return {error: TEXT.too_long}; }
    var result = parseBare(stripUrl(raw));
    if (result === null) { result = parseBare(stripUrl(azerty(raw))); }
    if (result === null) {
      return {error: fmt(TEXT.not_a_code, {typed: raw.trim().slice(0, 40)})};
    }
    return result;
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ---- feedback: sound and vibration ---- */
  var audio = null;
  function wakeAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
    } catch (e) { /* no sound available */ }
  }

  function beep(kind) {
    try {
      wakeAudio();
      var tones = kind === "ok" ? [[1175, 0, 0.09]] : kind === "warn" ? [[440, 0, 0.12], [440, 0.18, 0.12]]
        : [[220, 0, 0.35]];
      tones.forEach(function (t) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        osc.frequency.value = t[0];
        osc.type = kind === "ok" ? "sine" : "square";
        gain.gain.value = 0.15;
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + t[1]); osc.stop(audio.currentTime + t[1] + t[2]);
      });
    } catch (e) { /* no sound available: the message on screen is enough */ }
    if (navigator.vibrate) { navigator.vibrate(kind === "ok" ? 80 : [120, 80, 120]); }
  }

  function Station(root) {
    this.root = root;
    this.csrf = root.getAttribute("data-csrf");
    this.withCount = root.getAttribute("data-with-count") === "1";
    this.countLabel = root.getAttribute("data-count-label") || "";
    this.submitLabel = root.getAttribute("data-submit-label") || "";
    this.storeKey = "boucle-scan:" + (root.getAttribute("data-store") || root.getAttribute("data-queue-kind"));
    this.input = root.querySelector("[data-scan-input]");
    this.list = root.querySelector("[data-scan-list]");
    this.message = root.querySelector("[data-scan-message]");
    this.submit = root.querySelector("[data-scan-submit]");
    this.clear = root.querySelector("[data-scan-clear]");
    this.items = this.load();
    this.lastCamera = {value: "", at: 0};
    this.bind();
    this.render();
  }

  Station.prototype.load = function () {
    try { return JSON.parse(window.localStorage.getItem(this.storeKey) || "[]"); } catch (e) { return []; }
  };

  Station.prototype.save = function () {
    var keep = this.items.filter(function (i) { return i.status === "pending" || i.status === "refused"; });
    try { window.localStorage.setItem(this.storeKey, JSON.stringify(keep)); } catch (e) { /* private mode */ }
  };

  Station.prototype.say = function (text, kind) {
    this.message.textContent = text;
    this.message.className = "scan-message flash flash-" + (kind || "info");
    this.message.hidden = !text;
  };

  /* Add one scanned or typed value; returns "ok", "warn" or "error". */
  Station.prototype.add = function (raw) {
    var parsed = parse(raw);
    if (parsed.error) { this.say(parsed.error, "error"); beep("error"); return "error"; }
    var existing = this.items.filter(function (i) { return i.code === parsed.code; })[0];
    if (existing) {
      this.say(fmt(TEXT.duplicate, {code: parsed.code, status: TEXT.status[existing.status]}), "warning");
      beep("warn");
      this.flash(parsed.code);
      return "warn";
    }
    this.items.unshift({code: parsed.code, event_id: uuid4(), count: null, status: "pending", message: "",
                        occurred_at: new Date().toISOString()});  // the field time: when it was scanned
    this.say(fmt(TEXT.added, {code: parsed.code, num: this.pending().length}), "success");
    beep("ok");
    this.save();
    this.render();
    return "ok";
  };

  Station.prototype.pending = function () {
    return this.items.filter(function (i) { return i.status === "pending" || i.status === "refused"; });
  };

  Station.prototype.flash = function (code) {
    var row = this.list.querySelector('[data-code="' + code + '"]');
    if (row) { row.classList.remove("dup"); void row.offsetWidth; row.classList.add("dup"); }
  };

  Station.prototype.render = function () {
    var self = this;
    this.list.innerHTML = "";
    this.items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "scan-item status-" + item.status;
      li.setAttribute("data-code", item.code);
      var head = document.createElement("div");
      head.className = "scan-item-head";
      var code = document.createElement("strong");
      code.className = "scan-code";
      code.textContent = item.code;
      var status = document.createElement("span");
      status.className = "scan-status";
      status.textContent = TEXT.status[item.status] || item.status;
      head.appendChild(code); head.appendChild(status);
      if (item.status === "pending" || item.status === "refused") {
        var remove = document.createElement("button");
        remove.type = "button"; remove.className = "scan-remove"; remove.textContent = "✕";
        remove.setAttribute("aria-label", fmt(TEXT.remove, {code: item.code}));
        remove.addEventListener("click", function () {
          self.items = self.items.filter(function (i) { return i !== item; });
          self.save(); self.render(); self.input.focus();
        });
        head.appendChild(remove);
      }
      li.appendChild(head);
      if (self.withCount && (item.status === "pending" || item.status === "refused")) {
        var label = document.createElement("label");
        label.className = "scan-count";
        label.textContent = self.countLabel + " ";
        var count = document.createElement("input");
        count.type = "number"; count.inputMode = "numeric"; count.min = "0"; count.step = "1";
        count.value = item.count === null ? "" : item.count;
        count.setAttribute("aria-label", self.countLabel + " " + item.code);
        count.addEventListener("input", function () {
          item.count = count.value === "" ? null : count.value;
          self.save();
        });
        label.appendChild(count);
        li.appendChild(label);
      }
      if (item.message) {
        var msg = document.createElement("div");
        msg.className = "scan-reason";
        msg.textContent = item.message;
        li.appendChild(msg);
      }
      if (item.status === "refused" && item.action && item.action.url && item.action.url.charAt(0) === "/") {
        var act = document.createElement("a");
        act.className = "btn scan-action";
        act.href = item.action.url;
        act.textContent = item.action.label;
        li.appendChild(act);
      }
      self.list.appendChild(li);
    });
    var n = this.pending().length;
    this.submit.disabled = n === 0;
    this.submit.textContent = n === 0 ? this.submitLabel : this.submitLabel + " (" + crates(n) + ")";
    this.clear.hidden = this.items.length === 0;
  };

  Station.prototype.fields = function () {
    var out = {};
    this.root.querySelectorAll("[data-scan-fields] [name]").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      out[el.name] = el.value;
    });
    return out;
  };

  /* The line as the phone's queue keeps it (bottles/static/queue.js): the API's event is made from it. */
  Station.prototype.entry = function (item, fields) {
    return {id: item.event_id, kind: this.root.getAttribute("data-queue-kind") || "", label: this.submitLabel,
            code: item.code, occurred_at: item.occurred_at || new Date().toISOString(),
            count: this.withCount && item.count !== null && item.count !== "" ? parseInt(item.count, 10) : null,
            fields: fields};
  };

  /* Each line sent alone to the API, one after the other; what cannot go now goes to the phone's queue. */
  Station.prototype.send = function () {
    var self = this;
    var batch = this.pending();
    if (!batch.length) { return; }
    var bad = batch.filter(function (i) { return i.count !== null && i.count !== "" && !/^[0-9]+$/.test(String(i.count)); });
    if (bad.length) { this.say(fmt(TEXT.bad_count, {code: bad[0].code}), "error"); beep("error"); return; }
    var queue = window.BoucleQueue;
    if (!queue) { this.say(fmt(TEXT.offline, {label: this.submitLabel}), "error"); beep("error"); return; }
    if (navigator.onLine === false) { this.queue(batch); return; }
    var fields = this.fields(), done = 0, refused = 0, kept = null;
    var pickup = this.root.getAttribute("data-queue-kind") === "pickup";
    var receipt = this.root.getAttribute("data-queue-kind") === "receipt";
    batch.forEach(function (i) { i.status = "sending"; i.message = ""; i.action = null; });
    this.submit.disabled = true;
    this.render();
    this.say(fmt(TEXT.sending, {crates: crates(batch.length)}), "info");
    var chain = Promise.resolve(true);
    batch.forEach(function (item) {
      chain = chain.then(function (go) {
        if (!go) { return false; }
        return queue.post(queue.eventOf(self.entry(item, fields)), self.csrf).then(function (answer) {
          if (answer.keep) { kept = answer; return false; }
          item.status = answer.status; item.message = answer.message || "";
          if (receipt && answer.status !== "refused") { item.message = receiptText(answer.event); }
          item.action = pickup && answer.status === "refused" && answer.crateState === "at_point"
            ? {label: TEXT.declare_full, url: "/c/" + encodeURIComponent(item.code) + "#action"} : null;
          if (answer.status === "refused") { refused++; } else { done++; }
          self.save(); self.render();
          return true;
        }, function () { kept = {keep: null}; return false; });
      });
    });
    chain.then(function () {
      var left = batch.filter(function (i) { return i.status === "sending"; });
      left.forEach(function (i) { i.status = "pending"; });
      if (left.length) { self.queue(left, kept && kept.keep); return; }
      self.save(); self.render();
      self.say(plural(TEXT.recorded, done) + (refused ? plural(TEXT.refused_tail, refused) : "."),
               refused ? "warning" : "success");
      beep(refused ? "warn" : "ok");
    });
  };

  /* The lines not sent move to the phone's queue (bottles/static/queue.js), which sends them by
   * themselves when the network is back, each with its event id and field time; `why` says why. */
  Station.prototype.queue = function (batch, why) {
    var self = this, fields = this.fields();
    batch.forEach(function (i) { window.BoucleQueue.add(self.entry(i, fields)); });
    this.items = this.items.filter(function (i) { return batch.indexOf(i) < 0; });
    this.save(); this.render();
    this.say(why || window.BoucleQueue.text("queued_station"), "warning");
    this.queuedSaid = true;  // cleared when the network is back: the queue's list says the rest
    beep("warn");
  };

  Station.prototype.bind = function () {
    var self = this;
    var form = this.root.querySelector("[data-scan-form]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = self.input.value;
      self.input.value = "";
      if (value.trim()) { self.add(value); }
      self.input.focus();
    });
    this.submit.addEventListener("click", function () { self.send(); });
    window.addEventListener("online", function () {
      if (self.queuedSaid) { self.queuedSaid = false; self.say("", "info"); }
    });
    this.clear.addEventListener("click", function () {
      var pending = self.pending().length;
      if (pending && !window.confirm(plural(TEXT.confirm_clear, pending))) { return; }
      self.items = []; self.save(); self.render(); self.say("", "info"); self.input.focus();
    });
    this.setupCamera();
  };

  /* ---- the camera: the browser's own QR reader, or the one Boucle serves (vendor/zxing) ---- */
  var reader = null;  // the promise of {detector, kind}, shared by the page's stations

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  /* The browser's BarcodeDetector when it has one that reads QR codes, else null. */
  function nativeDetector() {
    if (!("BarcodeDetector" in window) || typeof window.BarcodeDetector.getSupportedFormats !== "function") {
      return Promise.resolve(null);
    }
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({formats: ["qr_code"]}) : null;
    }).catch(function () { return null; });
  }

  /* Boucle's own reader: barcode-detector over zxing-wasm, its .wasm fetched from Boucle (never a CDN). */
  function zxingDetector(box) {
    var wasm = new URL(box.getAttribute("data-wasm"), document.baseURI).href;
    var ready = window.BarcodeDetectionAPI ? Promise.resolve() : loadScript(box.getAttribute("data-reader"));
    return ready.then(function () {
      var api = window.BarcodeDetectionAPI;
      return Promise.resolve(api.prepareZXingModule({
        overrides: {locateFile: function (path, prefix) { return /\.wasm$/.test(path) ? wasm : prefix + path; }},
        fireImmediately: true
      })).then(function () { return new api.BarcodeDetector({formats: ["qr_code"]}); });
    });
  }

  function qrReader(box) {
    if (!reader) {
      reader = nativeDetector().then(function (native) {
        if (native) { return {detector: native, kind: "native"}; }
        return zxingDetector(box).then(function (detector) { return {detector: detector, kind: "zxing"}; });
      });
      reader.catch(function () { reader = null; });  // a failed load is tried again at the next start
    }
    return reader;
  }

  /* The French message for a getUserMedia refusal, by its DOMException name. */
  function cameraError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
      return TEXT.camera_denied;
    }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
      return TEXT.camera_missing;
    }
    if (name === "NotReadableError" || name === "TrackStartError") { return TEXT.camera_busy; }
    return TEXT.no_camera;
  }

  Station.prototype.setupCamera = function () {
    var self = this;
    var box = this.root.querySelector("[data-scan-camera]");
    if (!box) { return; }
    var start = box.querySelector("[data-camera-start]");
    var stopButton = box.querySelector("[data-camera-stop]");
    var view = box.querySelector("[data-camera-view]");
    var caption = box.querySelector("[data-camera-caption]");
    var hint = caption.textContent;
    var video = view.querySelector("video");
    var stream = null, timer = null, detector = null, seen = {}, run = 0;
    box.hidden = false;

    function state(name) { box.setAttribute("data-camera-state", name); }

    function stop() {
      run += 1;  // a detection or a start still under way ends quietly
      if (timer) { window.clearTimeout(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.srcObject = null;
      view.hidden = true; stopButton.hidden = true; start.hidden = false;
      state("stopped");
    }

    /* One scanned value: a code seen in the last 3 s (it stays in view) is not added again. */
    function found(raw) {
      var parsed = parse(raw), key = parsed.code || raw, now = Date.now();
      var fresh = !seen[key] || now - seen[key] > 3000;
      seen[key] = now;
      if (!fresh) { return; }
      var outcome = self.add(raw);
      caption.textContent = self.message.textContent;
      view.classList.remove("hit-ok", "hit-warn", "hit-error");
      void view.offsetWidth;  // restart the flash animation
      view.classList.add("hit-" + outcome);
    }

    function tick(mine) {
      timer = null;
      if (mine !== run) { return; }
      var next = function () { if (mine === run) { timer = window.setTimeout(function () { tick(mine); }, 200); } };
      if (video.readyState < 2) { next(); return; }
      detector.detect(video).then(function (codes) {
        if (mine !== run) { return; }
        codes.forEach(function (c) { if (c.rawValue) { found(c.rawValue); } });
      }, function () { /* a frame it could not read: the next one */ }).then(next);
    }

    start.addEventListener("click", function () {
      wakeAudio();  // iOS plays the beeps only from a sound started by a tap
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        self.say(TEXT.camera_unavailable, "error"); state("error"); return;
      }
      var mine = ++run;
      state("starting");
      self.say(TEXT.camera_starting, "info");
      var camera = navigator.mediaDevices.getUserMedia({
        video: {facingMode: "environment", width: {ideal: 1280}, height: {ideal: 720}}, audio: false
      }).catch(function (error) { throw {message: cameraError(error)}; });
      var decoder = qrReader(box).catch(function () { throw {message: TEXT.decoder_failed}; });
      decoder.catch(function () { /* said below, once the camera is open */ });
      camera.then(function (s) {
        if (mine !== run) { s.getTracks().forEach(function (t) { t.stop(); }); return null; }
        stream = s;
        video.srcObject = s;
        view.hidden = false; stopButton.hidden = false; start.hidden = true;
        caption.textContent = hint;
        view.classList.remove("hit-ok", "hit-warn", "hit-error");
        video.play().catch(function () {});
        view.scrollIntoView({block: "start"});
        return decoder;
      }).then(function (ready) {
        if (!ready || mine !== run) { return; }
        detector = ready.detector;
        box.setAttribute("data-decoder", ready.kind);
        state("running");
        self.say("", "info");
        tick(mine);
      }).catch(function (problem) {
        stop();
        state("error");
        self.say(problem && problem.message ? problem.message : TEXT.no_camera, "error");
        beep("error");
      });
    });
    stopButton.addEventListener("click", function () { stop(); start.focus(); });
    window.addEventListener("pagehide", stop);
    document.addEventListener("visibilitychange", function () { if (document.hidden && stream) { stop(); } });
  };

  function init() {
    loadText();
    document.querySelectorAll("[data-scan-station]").forEach(function (root) {
      if (!root.boucleStation) { root.boucleStation = new Station(root); }
    });
  }

  window.BoucleScan = {parse: parse, checkCharacter: checkCharacter, isValid: isValid, Station: Station, init: init};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
