/* Boucle's queue on the phone: actions taken with no network, sent by themselves later
 * (docs/architecture.md, "Offline"). Loaded by base.html on every page; also registers the
 * service worker (/sw.js, bottles/static/sw.js).
 *
 * An item: {id (its event id), kind (full | place | pickup | drop | receipt), label, code, count,
 *           occurred_at (the phone's clock when it was done: the field time), fields (the API's
 *           fields the page adds: point_id, round_token, washer_id…), user}, kept in localStorage
 *           ("boucle-queue"): a reload, a closed tab or a restarted worker loses nothing.
 * Sending: on each page load and on the "online" event, each waiting item of the person signed
 * in is POSTed alone to the JSON API, POST /api/v1/events (docs/api.md), as one event:
 *   {"id", "kind": crate_full | crate_placed | pickup | receipt, "crate", "occurred_at",
 *    "count" (full) | "counted" (pickup, receipt), …fields}
 * signed in by the session cookie with the page's CSRF token (<meta name="csrf-token">, header
 * X-CSRFToken). The answer (201 recorded | 200 already recorded | a JSON refusal {code, message,
 * errors, crate_state} in French) moves the item to the results list, shown at the top of the
 * page (#envois) until dismissed; a pickup refused while its crate stands at its point
 * (crate_state at_point) offers "Déclarer pleine". No network, signed out (401), a stale CSRF
 * token (400 jeton_csrf_invalide), 429 or 5xx: the item waits for the next try. The event id makes
 * a resend harmless: the API answers it "already recorded". The scan stations (scan.js) send
 * their lines through the same `post` and `eventOf`.
 * Who: the page says who is signed in (<meta name="boucle-user">); items are sent and counted
 * for that person only. The offline pages do not know; their items go to the last one seen.
 * Entry points: forms carrying data-queue (the crate page's and the offline crate page's), and
 * window.BoucleQueue.add (the scan stations, when their list cannot be sent).
 * Texts: bottles/scan.py queue_strings(), rendered as <script type="application/json"
 * data-queue-strings> (no inline script).
 */
(function () {
  "use strict";
  if (window.BoucleQueue) { return; }

  var KEY = "boucle-queue", USER = "boucle-queue-user", ROLE = "boucle-queue-role";
  var TEXT = {
    lang: "fr",
    waiting_badge: "%(num)s en attente d'envoi",
    waiting: "en attente d'envoi",
    sending: "envoi…",
    status: {recorded: "enregistrée", already: "déjà enregistrée", refused: "refusée"},
    kind: {full: "Pleine", place: "Posée au point", pickup: "Enlevée", drop: "Déposée", receipt: "Réceptionnée"},
    at: "le %(when)s",
    count: "%(num)s bouteilles",
    dismiss: "Retirer ce résultat de la liste",
    cancel: "Annuler cet envoi",
    confirm_cancel: "Annuler cet envoi en attente ? Rien ne sera enregistré pour cette caisse.",
    declare_full: "Déclarer pleine",
    count_label: "Nombre de bouteilles",
    queued: "Pas de réseau : « %(what)s » pour %(code)s est gardée sur ce téléphone et partira dès le retour du réseau.",
    queued_station: "Pas de réseau : la liste est gardée en attente d'envoi sur ce téléphone ; elle partira d'elle-même dès le retour du réseau.",
    signed_out: "Reconnectez-vous : les envois en attente partiront ensuite.",
    retry_later: "Envoi impossible pour l'instant (%(status)s) : nouvel essai au prochain chargement de page.",
    bad_count: "Indiquez un nombre entier de bouteilles, au moins 1.",
    bad_code: "Cette adresse ne contient pas de code de caisse lisible."
  };
  var CODE = /^([A-Z]{1,4})([0-9]{5})([0-9A-Z])$/;
  var API_EVENTS = "/api/v1/events";  // the JSON API's write endpoint (api/writes.py)
  var API_KIND = {full: "crate_full", place: "crate_placed", drop: "crate_placed", pickup: "pickup",
                  receipt: "receipt"};
  var COUNT_FIELD = {crate_full: "count", pickup: "counted", receipt: "counted"};
  var sending = {}, flushing = false;

  function loadText() {
    var block = document.querySelector("script[data-queue-strings]");
    if (!block) { return; }
    try {
      var given = JSON.parse(block.textContent);
      Object.keys(given).forEach(function (key) { TEXT[key] = given[key]; });
    } catch (e) { /* the French texts stay */ }
  }

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && values.hasOwnProperty(name) ? String(values[name]) : whole;
    });
  }

  function meta(name) {
    var tag = document.querySelector('meta[name="' + name + '"]');
    return tag ? tag.getAttribute("content") : null;
  }

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var pageUser = meta("boucle-user");  // null: an offline page; "": signed out; else the person's id

  function get(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } }
  function put(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } }

  function currentUser() { return pageUser !== null ? pageUser : (get(USER) || ""); }

  function state() {
    var s;
    try { s = JSON.parse(get(KEY) || "{}"); } catch (e) { s = {}; }
    s.waiting = Array.isArray(s.waiting) ? s.waiting : [];
    s.results = Array.isArray(s.results) ? s.results : [];
    return s;
  }

  function save(s) { put(KEY, JSON.stringify(s)); render(); }

  /* Items of the person signed in; an item queued while nobody was known goes to the next one. */
  function mine(item) { return !item.user || String(item.user) === String(currentUser()); }

  function kindLabel(item) { return (item.kind && TEXT.kind[item.kind]) || item.label || item.kind; }

  function when(iso) {
    try { return new Date(iso).toLocaleString(TEXT.lang, {dateStyle: "short", timeStyle: "short"}); }
    catch (e) { return iso; }
  }

  function say(text) {
    var box = document.querySelector("[data-queue-message]");
    if (!box) { return; }
    box.textContent = text || "";
    box.hidden = !text;
    render();
  }

  /* Queue one action; sent at once when the network is there. */
  function add(entry) {
    var s = state();
    if (!s.waiting.some(function (i) { return i.id === entry.id; })) {
      entry.id = entry.id || uuid4();
      entry.occurred_at = entry.occurred_at || new Date().toISOString();
      entry.user = currentUser();
      s.waiting.push(entry);
      save(s);
    }
    if (navigator.onLine !== false) { flush(); }
  }

  /* The API's event for a queued action or a station's line: its id, kind, crate, field time, the
   * page's fields (blank ones left out) and the count under the kind's name. */
  function eventOf(item) {
    var kind = API_KIND[item.kind] || item.kind;
    var body = {id: item.id, kind: kind, crate: item.code, occurred_at: item.occurred_at};
    var fields = item.fields || {};
    Object.keys(fields).forEach(function (name) {
      var value = fields[name];
      if (value !== null && value !== undefined && String(value).trim() !== "") { body[name] = String(value).trim(); }
    });
    var count = item.count;
    if (COUNT_FIELD[kind] && count !== null && count !== undefined && String(count).trim() !== "") {
      body[COUNT_FIELD[kind]] = /^[0-9]+$/.test(String(count).trim()) ? parseInt(count, 10) : String(count);
    }
    return body;
  }

  /* The API's answer as {status: recorded | already | refused, message, crateState, event (the
   * recorded event, its movements: what the scan stations say of a line)}, or {keep: why,
   * signedOut} when the item must wait (signed out, stale CSRF token, too many requests, server down). */
  function outcome(response) {
    if (response.status === 401) { return Promise.resolve({keep: TEXT.signed_out, signedOut: true}); }
    return response.json().then(function (data) {
      data = data || {};
      if (response.ok) { return {status: data.created ? "recorded" : "already", message: "", event: data.event || null}; }
      if (response.status === 429 || response.status >= 500 || data.code === "jeton_csrf_invalide") {
        return {keep: fmt(TEXT.retry_later, {status: response.status})};
      }
      var message = data.message || String(response.status), details = [];
      Object.keys(data.errors || {}).forEach(function (name) {
        [].concat(data.errors[name]).forEach(function (text) {
          if (text && text !== message && details.indexOf(String(text)) < 0) { details.push(String(text)); }
        });
      });
      return {status: "refused", message: details.length ? message + " " + details.join(" ") : message,
              crateState: data.crate_state || null};
    }, function () { return {keep: fmt(TEXT.retry_later, {status: response.status})}; });
  }

  /* POST one event to the API with the session cookie and the page's CSRF token; a network failure rejects. */
  function post(body, csrf) {
    return fetch(API_EVENTS, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf || ""},
      body: JSON.stringify(body)}).then(outcome);
  }

  function sendOne(item, csrf) {
    return post(eventOf(item), csrf).then(function (r) {
      if (r.keep) { return r; }
      var offer = item.kind === "pickup" && r.status === "refused" && r.crateState === "at_point";
      return {result: {status: r.status, message: r.message,
                       action: offer ? {kind: "full", label: TEXT.declare_full} : null}};
    });
  }

  /* Send every waiting item of the person signed in, one after the other; stop at the first network failure. */
  function flush() {
    var csrf = meta("csrf-token");
    if (flushing || !csrf || !pageUser || navigator.onLine === false) { return Promise.resolve(); }
    var todo = state().waiting.filter(mine);
    if (!todo.length) { return Promise.resolve(); }
    flushing = true;
    var chain = Promise.resolve(true);
    todo.forEach(function (item) {
      chain = chain.then(function (go) {
        if (!go) { return false; }
        sending[item.id] = true; render();
        return sendOne(item, csrf).then(function (outcome) {
          delete sending[item.id];
          if (outcome.keep) { say(outcome.keep); return false; }
          var s = state(), r = outcome.result;
          s.waiting = s.waiting.filter(function (i) { return i.id !== item.id; });
          s.results.unshift({id: item.id, kind: item.kind, label: item.label, code: item.code, count: item.count,
                             occurred_at: item.occurred_at, user: item.user || currentUser(), status: r.status,
                             message: r.message || "", action: r.status === "refused" ? r.action || null : null});
          s.results = s.results.slice(0, 50);
          save(s);
          return true;
        }, function () { delete sending[item.id]; render(); return false; });
      });
    });
    return chain.then(function () {
      flushing = false;
      if (!state().waiting.filter(mine).length) { say(""); }  // "kept on this phone" is over: all sent
    }, function () { flushing = false; });
  }

  function button(text, label, onClick) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "btn queue-remove"; b.textContent = text;
    b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }

  /* "Déclarer pleine" on a refused pickup: a count, then the full action queued for that crate. */
  function declareFullForm(result) {
    var form = document.createElement("form");
    form.className = "queue-declare";
    var id = "queue-count-" + result.id;
    var label = document.createElement("label");
    label.setAttribute("for", id); label.textContent = TEXT.count_label;
    var input = document.createElement("input");
    input.id = id; input.type = "number"; input.inputMode = "numeric"; input.min = "1"; input.step = "1"; input.required = true;
    var go = document.createElement("button");
    go.type = "submit"; go.className = "btn primary"; go.textContent = result.action.label || TEXT.declare_full;
    form.appendChild(label); form.appendChild(input); form.appendChild(go);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var n = parseInt(input.value, 10);
      if (!/^[0-9]+$/.test(input.value) || n < 1) { say(TEXT.bad_count); input.focus(); return; }
      dismiss(result.id);
      add({id: uuid4(), kind: "full", code: result.code, count: n, occurred_at: new Date().toISOString(),
           fields: {}});
    });
    return form;
  }

  function dismiss(id) {
    var s = state();
    s.results = s.results.filter(function (r) { return r.id !== id; });
    save(s);
  }

  function row(item, waiting) {
    var li = document.createElement("li");
    var status = waiting ? (sending[item.id] ? "sending" : "waiting") : item.status;
    li.className = "queue-item status-" + status;
    li.setAttribute("data-queue-item", item.id);
    var head = document.createElement("div");
    head.className = "queue-head";
    var code = document.createElement("strong");
    code.textContent = item.code;
    var what = document.createElement("span");
    what.textContent = kindLabel(item) + (item.count ? " · " + fmt(TEXT.count, {num: item.count}) : "") +
      " · " + fmt(TEXT.at, {when: when(item.occurred_at)});
    var tag = document.createElement("span");
    tag.className = "queue-status";
    tag.textContent = waiting ? (sending[item.id] ? TEXT.sending : TEXT.waiting) : (TEXT.status[item.status] || item.status);
    head.appendChild(code); head.appendChild(what); head.appendChild(tag);
    if (waiting) {
      head.appendChild(button("✕", TEXT.cancel + " " + item.code, function () {
        if (!window.confirm(TEXT.confirm_cancel)) { return; }
        var s = state();
        s.waiting = s.waiting.filter(function (i) { return i.id !== item.id; });
        save(s);
      }));
    } else {
      head.appendChild(button("✕", TEXT.dismiss + " " + item.code, function () { dismiss(item.id); }));
    }
    li.appendChild(head);
    if (item.message) {
      var reason = document.createElement("p");
      reason.className = "queue-reason";
      reason.textContent = item.message;
      li.appendChild(reason);
    }
    if (!waiting && item.status === "refused" && item.action && item.action.kind === "full") {
      li.appendChild(declareFullForm(item));
    } else if (!waiting && item.status === "refused" && item.action && String(item.action.url || "").charAt(0) === "/") {
      var link = document.createElement("a");
      link.className = "btn"; link.href = item.action.url; link.textContent = item.action.label;
      li.appendChild(link);
    }
    return li;
  }

  function render() {
    var s = state();
    var waiting = s.waiting.filter(mine), results = s.results.filter(mine);
    var badge = document.querySelector("[data-queue-badge]");
    if (badge) {
      var text = fmt(TEXT.waiting_badge, {num: waiting.length});
      if (badge.textContent !== text) { badge.textContent = text; }
      badge.hidden = waiting.length === 0;
      badge.setAttribute("data-count", String(waiting.length));
    }
    var panel = document.querySelector("[data-queue-panel]");
    var list = document.querySelector("[data-queue-list]");
    if (!panel || !list) { return; }
    var focused = document.activeElement && list.contains(document.activeElement);
    if (focused && document.activeElement.tagName === "INPUT") { return; }  // typing a count: leave it be
    list.innerHTML = "";
    waiting.forEach(function (item) { list.appendChild(row(item, true)); });
    results.forEach(function (item) { list.appendChild(row(item, false)); });
    var message = document.querySelector("[data-queue-message]");
    panel.hidden = !waiting.length && !results.length && (!message || message.hidden);
  }

  /* The crate's code read from the address (/c/CJ-00042-X), as bottles/codes.py writes it; null if none. */
  function codeFromAddress() {
    var m = /\/c\/([^\/?#]+)/.exec(window.location.pathname);
    if (!m) { return null; }
    var text = decodeURIComponent(m[1]).replace(/[\s\-]/g, "").toUpperCase();
    var parts = CODE.exec(text);
    return parts ? parts[1] + "-" + parts[2] + "-" + parts[3] : null;
  }

  function valueOf(form, name) {
    var field = form.querySelector('[name="' + name + '"]');
    return field ? String(field.value || "").trim() : "";
  }

  /* A crate form (data-queue): queued instead of lost when there is no network; the offline crate page's always. */
  function bindForm(form) {
    form.addEventListener("submit", function (event) {
      var offlinePage = !form.getAttribute("action");
      if (!offlinePage && navigator.onLine !== false) { return; }  // the network is there: the form posts as usual
      event.preventDefault();
      var kind = form.getAttribute("data-queue");
      var code = form.getAttribute("data-code") || codeFromAddress();
      if (!code) { say(TEXT.bad_code); return; }
      var count = valueOf(form, kind === "pickup" ? "counted" : "count");
      if (kind === "full" && (!/^[0-9]+$/.test(count) || parseInt(count, 10) < 1)) { say(TEXT.bad_count); return; }
      var id = valueOf(form, "event_id") || uuid4();
      var fields = kind === "pickup" ? {round_token: valueOf(form, "round_token") || id}
        : kind === "place" ? {point_id: valueOf(form, "point_id")} : {};
      add({id: id, kind: kind, code: code, count: count === "" ? null : parseInt(count, 10),
           occurred_at: new Date().toISOString(), fields: fields});
      var eventField = form.querySelector('[name="event_id"]');
      if (eventField) { eventField.value = uuid4(); }  // a second action from this page is a new event
      say(fmt(TEXT.queued, {what: TEXT.kind[kind] || kind, code: code}));
      var panel = document.querySelector("[data-queue-panel]");
      if (panel && panel.scrollIntoView) { panel.scrollIntoView({block: "start"}); }
    });
  }

  function setupOfflineCrate() {
    var box = document.querySelector("[data-offline-crate]");
    if (!box) { return; }
    var code = codeFromAddress();
    var shown = box.querySelector("[data-offline-code]");
    var actions = document.querySelector("[data-offline-actions]");
    if (code) {
      shown.textContent = code;
      document.title = code + " · Boucle";
    } else {
      var error = box.querySelector("[data-offline-error]");
      error.textContent = TEXT.bad_code; error.hidden = false;
      if (actions) { actions.hidden = true; }
    }
    if (get(ROLE) === "point" && actions) {  // picked up is the drivers' action
      var pickup = actions.querySelector('form[data-queue="pickup"]');
      if (pickup) { pickup.hidden = true; }
    }
  }

  /* Forget the pages kept on this phone: nobody signed in any more (after a logout). */
  function forgetPages() {
    if (window.caches && window.caches.keys) {
      window.caches.keys().then(function (names) {
        names.filter(function (n) { return n.indexOf("boucle-pages") === 0; }).forEach(function (n) { window.caches.delete(n); });
      }).catch(function () {});
    }
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline copy */ });
    if (!pageUser) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      var assets = [];
      document.querySelectorAll("link[rel=stylesheet][href], script[src], link[rel=icon][href]").forEach(function (el) {
        assets.push(el.href || el.src);
      });
      if (registration.active) {
        registration.active.postMessage({type: "visited", page: window.location.href.split("#")[0], assets: assets});
      }
    }).catch(function () {});
  }

  function init() {
    loadText();
    if (pageUser !== null) {  // a page from the server: it says who is signed in
      put(USER, pageUser);
      put(ROLE, meta("boucle-role") || "");
      if (!pageUser) { forgetPages(); }
    }
    document.querySelectorAll("form[data-queue]").forEach(bindForm);
    setupOfflineCrate();
    render();
    registerWorker();
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("storage", function (event) { if (event.key === KEY) { render(); } });
    flush();
  }

  window.BoucleQueue = {add: add, flush: flush, render: render, text: function (key) { return TEXT[key]; },
                        post: post, eventOf: eventOf,
                        waiting: function () { return state().waiting.filter(mine); },
                        results: function () { return state().results.filter(mine); }};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
