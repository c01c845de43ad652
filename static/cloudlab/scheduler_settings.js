/* Admin → Scheduler. Switching the era fills in what the server offers for it (page.era_offers:
   that era's default filters in order, weighers and allocation ratios, or this cloud's saved
   settings for its own era) and greys the filters the placement era does not have
   (page.classic_only, each with its reason). Nothing is saved until the form is; the server checks everything again. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var form = document.getElementById("scheduler-form");
  var era = document.getElementById("id_era");
  var notice = document.getElementById("era-offer");
  var tbody = document.querySelector("#filter-table tbody");

  function filterRows() { return Array.from(tbody.querySelectorAll("tr[data-filter]")); }

  function markEra() {
    var placement = era.value === "placement";
    filterRows().forEach(function (row) {
      var gone = placement && Object.prototype.hasOwnProperty.call(page.classic_only, row.dataset.filter);
      var box = row.querySelector("input[type=checkbox]");
      var reason = row.querySelector(".cl-era-reason");
      if (gone) box.checked = false;
      box.disabled = gone;
      row.classList.toggle("text-body-secondary", gone);
      reason.textContent = gone ? page.classic_only[row.dataset.filter] : "";
      reason.classList.toggle("d-none", !gone);
    });
  }

  function apply(offer) {
    var rows = filterRows();
    rows.forEach(function (row) {
      var name = row.dataset.filter;
      row.querySelector("input[type=checkbox]").checked = offer.filters.indexOf(name) >= 0;
      row.querySelector("input[type=number]").value = offer.orders[name] || "";
      row.classList.remove("table-danger");
    });
    // The enabled filters first, in the order they run; the others keep their places.
    rows.map(function (row, index) {
      var position = offer.orders[row.dataset.filter];
      return { row: row, key: [position ? 0 : 1, position || 0, index] };
    }).sort(function (a, b) {
      for (var i = 0; i < 3; i++) { if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i]; }
      return 0;
    }).forEach(function (item) { tbody.appendChild(item.row); });
    form.querySelectorAll("input[name=weight_classes]").forEach(function (box) {
      box.checked = offer.weighers.indexOf(box.value) >= 0;
    });
    Object.keys(offer.ratios).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      if (input) input.value = offer.ratios[name];
    });
    notice.textContent = offer.notice;
    notice.classList.remove("d-none");
  }

  era.addEventListener("change", function () {
    var offer = page.era_offers[era.value];
    if (offer) apply(offer);
    markEra();
  });
  markEra();
})();
