/* Sale form (resales/templates/resales/new.html): a running total, the models of the chosen
 * washer, "+ une ligne"; on the delivery note, the print button. A static file, so a strict
 * Content-Security-Policy allows it. The total is a help while typing: the server computes the
 * sale's amount again and the delivery note is what counts. */
(function () {
  "use strict";

  var euros = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-GB" : "fr-FR",
                                     { style: "currency", currency: "EUR" });

  function count(text) {
    var digits = (text || "").replace(/[\s\u202f\u00a0]/g, "");
    return /^\d+$/.test(digits) ? parseInt(digits, 10) : 0;
  }

  function cents(text, fallback) {
    var clean = (text || "").replace(/[\s\u202f\u00a0€]/g, "").replace(",", ".");
    if (clean === "") { clean = fallback || ""; }
    return /^\d{1,6}(\.\d{1,2})?$/.test(clean) ? Math.round(parseFloat(clean) * 100) : 0;
  }

  function total(form) {
    var sum = 0;
    form.querySelectorAll(".sale-line").forEach(function (line) {
      var price = line.querySelector("[name=unit_price]");
      sum += count(line.querySelector("[name=quantity]").value) *
        cents(price.value, (price.dataset.default || "").replace(",", "."));
    });
    var out = form.querySelector("#sale-total");
    if (out) { out.textContent = euros.format(sum / 100); }
  }

  function showWasherModels(form) {
    var washer = form.querySelector("select[name=washer_id]");
    if (!washer) { return; }
    form.querySelectorAll("select[name=model_id]").forEach(function (select) {
      select.querySelectorAll("optgroup").forEach(function (group) {
        var mine = group.dataset.washer === washer.value;
        group.hidden = !mine;
        group.disabled = !mine;
        if (!mine && select.selectedOptions[0] && select.selectedOptions[0].parentNode === group) {
          select.selectedIndex = 0;
        }
      });
    });
  }

  function addLine(form) {
    var lines = form.querySelector(".lines");
    var copy = lines.lastElementChild.cloneNode(true);
    var index = lines.children.length;
    copy.querySelectorAll(".field-error").forEach(function (p) { p.remove(); });
    copy.querySelectorAll("[id]").forEach(function (el) {
      el.id = el.id.replace(/-\d+$/, "-" + index);
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    copy.querySelectorAll("label[for]").forEach(function (label) {
      label.htmlFor = label.htmlFor.replace(/-\d+$/, "-" + index);
    });
    copy.querySelector("select").selectedIndex = 0;
    copy.querySelector("[name=quantity]").value = "";
    lines.appendChild(copy);
    copy.querySelector("select").focus();
    total(form);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    var form = document.querySelector("form.sale");
    if (!form) { return; }
    form.addEventListener("input", function () { total(form); });
    form.addEventListener("change", function (event) {
      if (event.target.name === "washer_id") { showWasherModels(form); }
      total(form);
    });
    var add = form.querySelector(".add-line");
    if (add) { add.addEventListener("click", function () { addLine(form); }); }
    showWasherModels(form);
    total(form);
  });
}());
