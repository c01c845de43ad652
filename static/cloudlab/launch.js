/* The Launch Instance dialog. Which flavors are usable, and why not, is decided by the server
   (the same checks the launch action makes); this script only shows it. */
(function () {
  "use strict";
  var page = CloudLab.pageData();
  var esc = CloudLab.escapeHtml;
  var choices = page.launch;
  var form = document.getElementById("launch-form");
  var imageSelect = document.getElementById("launch-image");
  var groupSelect = document.getElementById("launch-server-group");
  var countInput = document.getElementById("launch-count");
  var flavorBody = document.querySelector("#launch-flavors tbody");
  var modalEl = document.getElementById("launch-modal");

  function selectedFlavor() {
    var radio = form.querySelector("input[name=flavor]:checked");
    return radio ? choices.flavors.find(function (f) { return f.id === radio.value; }) : null;
  }

  function renderImages() {
    var current = imageSelect.value;
    imageSelect.innerHTML = '<option value="">' + esc(gettext("Select an image")) + "</option>" +
      choices.images.map(function (image) {
        return '<option value="' + esc(image.id) + '">' + esc(image.name) + " (" +
          esc(interpolate(gettext("%s MB"), [image.size_mb])) + ")</option>";
      }).join("");
    if (current) imageSelect.value = current;
  }

  /* Horizon's "Server Groups" step: the project's groups; the first option (none) is the template's. */
  function renderGroups() {
    var current = groupSelect.value;
    while (groupSelect.options.length > 1) groupSelect.remove(1);
    (choices.server_groups || []).forEach(function (group) {
      var option = document.createElement("option");
      option.value = group.id;
      option.textContent = group.label;  /* "name (policy)", worded by the server */
      groupSelect.appendChild(option);
    });
    groupSelect.value = current;
    if (groupSelect.value !== current) groupSelect.value = "";
  }

  function renderFlavors() {
    var imageId = imageSelect.value;
    var chosen = selectedFlavor();
    flavorBody.innerHTML = choices.flavors.map(function (flavor) {
      var reasons = flavor.quota.concat(imageId ? (flavor.image[imageId] || []) : []);
      var disabled = reasons.length > 0;
      var id = "flavor-" + flavor.id;
      var html = '<tr class="' + (disabled ? "cl-disabled" : "") + '" data-flavor="' + esc(flavor.name) + '">' +
        '<td><input class="form-check-input" type="radio" name="flavor" id="' + esc(id) + '" value="' + esc(flavor.id) + '"' +
        (disabled ? " disabled" : "") + (chosen && chosen.id === flavor.id && !disabled ? " checked" : "") + "></td>" +
        '<td><label for="' + esc(id) + '">' + esc(flavor.name) + "</label>" +
        (disabled ? '<div class="small text-danger cl-flavor-reason">' + reasons.map(esc).join("<br>") + "</div>" : "") + "</td>" +
        "<td>" + flavor.vcpus + "</td><td>" + esc(interpolate(gettext("%s MB"), [flavor.ram])) + "</td>" +
        "<td>" + esc(interpolate(gettext("%s GB"), [flavor.disk])) + "</td></tr>";
      return html;
    }).join("");
    var image = choices.images.find(function (i) { return i.id === imageId; });
    document.getElementById("launch-image-help").textContent = image ?
      interpolate(gettext("Needs at least %s MB RAM and %s GB disk."), [image.min_ram, image.min_disk]) : "";
    renderLimits();
  }

  function bar(label, used, adding, limit, unit) {
    var unlimited = limit < 0;
    var total = used + adding;
    var pct = unlimited ? 0 : Math.min(100, (used / Math.max(limit, 1)) * 100);
    var addPct = unlimited ? 0 : Math.min(100 - pct, (adding / Math.max(limit, 1)) * 100);
    var over = !unlimited && total > limit;
    return '<div class="mb-2"><div class="d-flex small"><span>' + esc(label) + '</span><span class="ms-auto' + (over ? " text-danger fw-semibold" : "") + '">' +
      esc(unlimited ? interpolate(gettext("%s of unlimited"), [total + unit]) : interpolate(gettext("%s of %s"), [total + unit, limit + unit])) +
      '</span></div><div class="progress" role="progressbar" aria-label="' + esc(label) + '">' +
      '<div class="progress-bar" style="width:' + pct + '%"></div>' +
      '<div class="progress-bar ' + (over ? "bg-danger" : "bg-info") + '" style="width:' + addPct + '%"></div></div></div>';
  }

  function renderLimits() {
    var flavor = selectedFlavor();
    var count = Math.max(0, parseInt(countInput.value, 10) || 0);
    var u = choices.usage, l = choices.limits;
    document.getElementById("launch-limits").innerHTML =
      bar(gettext("Instances"), u.instances, count, l.instances, "") +
      bar(gettext("VCPUs"), u.cores, flavor ? flavor.vcpus * count : 0, l.cores, "") +
      bar(gettext("RAM"), u.ram, flavor ? flavor.ram * count : 0, l.ram, " MB");
  }

  function clearErrors() {
    document.getElementById("launch-error").classList.add("d-none");
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    form.querySelectorAll(".invalid-feedback").forEach(function (el) { el.textContent = ""; });
  }

  function showError(field, message) {
    var feedback = field && form.querySelector('.invalid-feedback[data-for="' + field + '"]');
    if (feedback) {
      feedback.textContent = message;
      var input = form.querySelector('[name="' + field + '"]');
      if (input) input.classList.add("is-invalid");
    } else {
      var box = document.getElementById("launch-error");
      box.textContent = message;
      box.classList.remove("d-none");
    }
  }

  function refreshChoices() {
    return fetch(page.launch_url + "choices/", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (fresh) { if (fresh) { choices = fresh; renderImages(); renderGroups(); renderFlavors(); } });
  }

  imageSelect.addEventListener("change", renderFlavors);
  countInput.addEventListener("input", renderLimits);
  flavorBody.addEventListener("change", renderLimits);
  modalEl.addEventListener("show.bs.modal", function () { clearErrors(); refreshChoices(); });
  modalEl.addEventListener("shown.bs.modal", function () { document.getElementById("launch-name").focus(); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    var submit = document.getElementById("launch-submit");
    submit.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return { ok: false, message: gettext("The server refused the request.") + " (" + response.status + ")" }; });
      })
      .then(function (result) {
        if (!result.ok) { showError(result.field, result.message); return; }
        result.rows.forEach(function (row) {
          CloudLab.instancesTable.upsert(row);
          CloudLab.notifyLink(interpolate(gettext("%s: watch the scheduler decide"), [row.name]),
                              page.decision_url.replace("00000000-0000-0000-0000-000000000000", row.id) + "?from=start");
        });
        bootstrap.Modal.getOrCreateInstance(modalEl).hide();
        form.reset();
        countInput.value = 1;
        refreshChoices();
      })
      .catch(function () { showError(null, gettext("Could not reach CloudLab. Check your connection and try again.")); })
      .finally(function () { submit.disabled = false; });
  });

  renderImages();
  renderGroups();
  renderFlavors();
})();
