// Counters for the dock: +/− buttons, arrow keys, Enter to the next field, live totals.
(function () {
  "use strict";
  var num = function (input) { var v = parseInt(String(input.value).replace(/\s/g, ""), 10); return isNaN(v) || v < 0 ? 0 : v; };

  function bump(input, step) {
    input.value = Math.max(0, num(input) + step);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    if (navigator.vibrate) { navigator.vibrate(8); }
  }

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest(".step");
    if (!button) { return; }
    var input = button.parentElement.querySelector("input.count");
    bump(input, parseInt(button.dataset.step, 10));
  });

  document.addEventListener("keydown", function (ev) {
    var input = ev.target;
    if (!input.classList || !input.classList.contains("count")) { return; }
    if (ev.key === "ArrowUp" || ev.key === "+") { ev.preventDefault(); bump(input, ev.shiftKey ? 10 : 1); }
    else if (ev.key === "ArrowDown" || ev.key === "-") { ev.preventDefault(); bump(input, ev.shiftKey ? -10 : -1); }
    else if (ev.key === "Enter" && !input.closest(".receipt-form")) {
      // Enter goes to the next count; on the last one it submits.
      var counts = Array.prototype.slice.call(input.form.querySelectorAll("input.count"));
      var next = counts[counts.indexOf(input) + 1];
      if (next) { ev.preventDefault(); next.focus(); next.select(); }
    }
  });
  document.addEventListener("focusin", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("count")) { ev.target.select(); }
  });

  // Sorting: running total against the received stock.
  var tally = document.querySelector("form.tally");
  if (tally) {
    var refresh = function () {
      var total = 0;
      tally.querySelectorAll("input.count").forEach(function (i) { total += num(i); });
      tally.querySelector(".total").textContent = total.toLocaleString("fr-FR");
      tally.querySelector(".over").hidden = total <= parseInt(tally.dataset.available, 10);
    };
    // The session survives a reload or a dropped connection: counts are kept on the phone until sent.
    var key = "boucle-" + tally.dataset.session;
    var counts = function () { return Array.prototype.slice.call(tally.querySelectorAll("input.count[id]")); };
    if (document.querySelector(".flash-success")) { try { localStorage.removeItem(key); } catch (e) { /* */ } }
    var fresh = counts().every(function (i) { return i.value === ""; });
    if (fresh && !tally.querySelector("input[name^='lq-']:not([value=''])")) {
      try {
        var kept = JSON.parse(localStorage.getItem(key) || "{}");
        counts().forEach(function (i) { if (kept[i.id]) { i.value = kept[i.id]; } });
      } catch (e) { /* nothing kept */ }
    }
    tally.addEventListener("input", function () {
      var kept = {};
      counts().forEach(function (i) { if (i.value) { kept[i.id] = i.value; } });
      try { localStorage.setItem(key, JSON.stringify(kept)); } catch (e) { /* private mode */ }
    });
    tally.addEventListener("input", refresh);
    refresh();
    tally.querySelectorAll(".add-label").forEach(function (add) {
      add.addEventListener("click", function () {
        var rows = add.parentElement.querySelector(".label-rows");
        var copy = rows.querySelector(".label-row").cloneNode(true);
        copy.querySelector("input").value = "";
        copy.querySelector("select").selectedIndex = 0;
        rows.appendChild(copy);
        copy.querySelector("input").focus();
      });
    });
  }

  // Wash batch: taken = accepted + rejects, per model.
  document.querySelectorAll(".wash-line").forEach(function (line) {
    var id = line.dataset.model;
    var refresh = function () {
      var taken = num(line.querySelector("[name='t-" + id + "']"));
      var accepted = num(line.querySelector("[name='a-" + id + "']"));
      var rejected = 0;
      line.querySelectorAll("input[name^='x-" + id + "-']").forEach(function (i) { rejected += num(i); });
      line.querySelector(".rej-total").textContent = rejected ? "(" + rejected + ")" : "";
      var rest = taken - accepted - rejected;
      var out = line.querySelector(".balance");
      if (!taken && !accepted && !rejected) { out.textContent = ""; out.className = "balance"; return; }
      out.textContent = rest === 0 ? "✓ Pris = conformes + rebuts" :
        (rest > 0 ? "Reste " + rest + " bouteilles à répartir" : (-rest) + " de trop par rapport au nombre pris");
      out.className = "balance " + (rest === 0 ? "ok" : "bad");
    };
    line.addEventListener("input", refresh);
    refresh();
  });

  // Receipt: the reason is asked only when the count differs from the declared one.
  var receipt = document.querySelector(".receipt-form");
  if (receipt) {
    var declared = parseInt(receipt.dataset.declared, 10);
    var counted = receipt.querySelector("#counted");
    var field = receipt.querySelector(".reason-field");
    var select = receipt.querySelector("#reason_id");
    var hint = receipt.querySelector(".diff");
    var update = function () {
      var diff = num(counted) - declared;
      field.hidden = diff === 0;
      select.required = diff !== 0;
      select.querySelectorAll("optgroup").forEach(function (g) {
        g.hidden = (diff < 0 && g.dataset.kind !== "loss") || (diff > 0 && g.dataset.kind !== "surplus");
        g.disabled = g.hidden;
      });
      hint.textContent = diff === 0 ? "Conforme à l'annonce." : (diff < 0 ? (-diff) + " manquante(s) : choisissez un motif." : diff + " en plus : choisissez un motif.");
    };
    counted.addEventListener("input", update);
    update();
  }
})();
