/* The scheduling view's what-if panel (instructors): change one thing, rerun the same request on
   a frozen copy of the moment, and show both decisions side by side. Loaded before decision.js,
   which calls it with the shared view. The kinds of change, the host fields and the eras the
   form offers are the server's (rendered into decision.html from the engine's lists). */
(function () {
  "use strict";
  window.CloudLab.decisionWhatif = function (view) {
    var state = view.state, page = view.page, esc = view.esc, $ = view.$, Model = view.model, fmt = Model.fmt;
    var MULTIPLIER_OPTIONS = page.multiplier_options || {};  // weigher class → its nova.conf option (the engine's names)

    var form = $("whatif-form"), linked = null;
    if (form && page.whatif_url) linked = setUpWhatif(form);

    /* The words of a service field's two values, as the host cards say them. */
    var FLAG_WORDS = { enabled: [gettext("enabled"), gettext("disabled")], up: [gettext("up"), gettext("down")] };

    function setUpWhatif(form) {
      var d = state.real, trace = d.trace || {}, first = (trace.instances || [])[0] || {};
      var named = function (n) { return form.querySelector("[name=" + n + "]"); };
      var kind = named("kind"), host = named("host"), field = named("field"), name = named("name");
      var value = $("whatif-value"), flag = $("whatif-flag");
      host.innerHTML = (d.hosts || []).map(function (h) { return "<option>" + esc(h.name) + "</option>"; }).join("");
      var flavorName = ((d.request || {}).flavor || {}).name;
      named("flavor").innerHTML = (page.flavors || []).map(function (f) {
        return '<option value="' + esc(f.id) + '"' + (f.name === flavorName ? " selected" : "") + ">" + esc(f.name + " · " + view.sizesText(f)) + "</option>";
      }).join("");
      var era = trace.era || (d.record || {}).era, eras = Array.prototype.map.call(named("era").options, function (o) { return o.value; });
      named("era").value = eras.filter(function (e) { return e !== era; })[0] || era;  // the other era
      var enabledFilters = [];
      (trace.instances || []).forEach(function (inst) { (inst.filters || []).forEach(function (f) { if (enabledFilters.indexOf(f.name) < 0) enabledFilters.push(f.name); }); });
      var filters = (page.available_filters || enabledFilters).slice();
      var weighers = (first.weighers || []).filter(function (w) { return MULTIPLIER_OPTIONS[w.name]; });

      function fillNames() {
        if (kind.value === "filter") {
          name.innerHTML = filters.map(function (f) {
            var on = enabledFilters.indexOf(f) >= 0;
            return '<option value="' + esc(f) + '" data-on="' + on + '">' + esc(f + " (" + (on ? gettext("on now") : gettext("off now")) + ")") + "</option>";
          }).join("");
        } else if (kind.value === "multiplier") {
          name.innerHTML = weighers.map(function (w) {
            return '<option value="' + esc(MULTIPLIER_OPTIONS[w.name]) + '" data-current="' + esc(w.multiplier) + '">' + esc(MULTIPLIER_OPTIONS[w.name] + " (" + w.name + ", " + interpolate(gettext("now %s"), [fmt(w.multiplier)]) + ")") + "</option>";
          }).join("");
        }
      }
      /* The kind of value the chosen host field takes (the server's: count, ratio, boolean). */
      function fieldType() { var o = field.options[field.selectedIndex]; return kind.value === "host" && o ? o.dataset.type : "number"; }
      /* A service field (enabled, up) is set with a yes/no choice, every other value typed in:
         only the control in use is enabled, so the form posts one value. */
      function setValueControl() {
        var boolean = fieldType() === "boolean";
        form.querySelectorAll("[data-value]").forEach(function (box) {
          var on = box.dataset.kinds.split(" ").indexOf(kind.value) >= 0 && (box.dataset.value === "boolean") === boolean;
          box.classList.toggle("d-none", !on);
          box.querySelectorAll("input, select").forEach(function (c) { c.disabled = !on; });
        });
      }
      function prefill() {
        setValueControl();
        if (kind.value === "host") {
          var h = (d.hosts || []).filter(function (x) { return x.name === host.value; })[0] || {}, type = fieldType(), now = h[field.value];
          if (type === "boolean") {
            var words = FLAG_WORDS[field.value] || ["true", "false"];
            flag.options[0].textContent = words[0]; flag.options[1].textContent = words[1];
            flag.value = now === false ? "true" : "false";  // the other state: what if it were up, or enabled?
          } else {
            value.value = now !== undefined ? now : "";
            value.step = type === "ratio" ? "any" : "1"; value.min = "0";
          }
        } else if (kind.value === "multiplier") {
          var opt = name.options[name.selectedIndex];
          value.value = opt ? opt.dataset.current : "";
          value.step = "any"; value.removeAttribute("min");
        } else if (kind.value === "filter") {
          var o = name.options[name.selectedIndex];
          named("enabled").value = o && o.dataset.on === "true" ? "false" : "true";
        }
      }
      function setKind() {
        var k = kind.value;
        form.querySelectorAll(".cl-whatif-field").forEach(function (box) {
          var on = box.dataset.kinds.split(" ").indexOf(k) >= 0;
          box.classList.toggle("d-none", !on);
          box.querySelectorAll("input, select").forEach(function (c) { c.disabled = !on; });
        });
        form.querySelectorAll("[data-kind-label]").forEach(function (span) { span.classList.toggle("d-none", span.dataset.kindLabel !== k); });
        fillNames();
        prefill();
        hideError();
      }
      kind.addEventListener("change", setKind);
      [host, field, name].forEach(function (c) { c.addEventListener("change", prefill); });
      setKind();

      function hideError() { $("whatif-error").classList.add("d-none"); $("whatif-error").textContent = ""; }
      function showError(text) { var box = $("whatif-error"); box.textContent = text; box.classList.remove("d-none"); }

      /* Runs the what-if the form describes; `then` gets the result (the server's, with the
         form's own query, which a link to one of its stages carries). */
      function run(then) {
        hideError();
        if (!value.disabled && String(value.value).trim() === "") { showError(gettext("Enter the new value.")); value.focus(); return; }
        var submit = $("whatif-submit"), query = new URLSearchParams(new FormData(form));
        query.delete("csrfmiddlewaretoken");
        submit.disabled = true;
        fetch(page.whatif_url, {
          method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(form)),
          headers: { "X-CSRFToken": CloudLab.csrfToken(), "Accept": "application/json" },
        }).then(function (response) {
          return response.json().catch(function () { return { ok: false, message: interpolate(gettext("The server could not run the what-if (HTTP %s)."), [response.status]) }; });
        }).then(function (result) {
          if (!result.ok) { showError(result.message || gettext("The what-if could not be run.")); return; }
          result.query = query.toString();
          renderWhatif(result);
          if (then) then(result);
        }).catch(function () {
          showError(gettext("The server could not be reached."));
        }).then(function () { submit.disabled = false; });
      }
      form.addEventListener("submit", function (event) { event.preventDefault(); run(null); });

      /* A what-if's link (?whatif=<the form's query>&stage=N): fill the form as it was, run it,
         and watch its decision at that stage. */
      return function openLinked(query, stage) {
        var wanted = new URLSearchParams(query);
        if (!wanted.get("kind")) return;
        kind.value = wanted.get("kind");
        setKind();
        ["host", "field", "name"].forEach(function (n) { if (wanted.has(n)) { named(n).value = wanted.get(n); prefill(); } });
        ["enabled", "flavor", "era"].forEach(function (n) { if (wanted.has(n)) named(n).value = wanted.get(n); });
        if (wanted.has("value")) (flag.disabled ? value : flag).value = wanted.get("value");
        run(function (result) {
          var m = Model.analyse(result.decision), p = m.posOf[stage];
          view.show(result.decision, result, p === undefined ? m.stages.length - 1 : p);
        });
      };
    }

    /* Opens the what-if a link names, if this viewer may run one. */
    function openLinked() {
      var params = new URL(location.href).searchParams;
      if (linked && params.get("whatif")) linked(params.get("whatif"), page.stage_param);
    }

    function sideHtml(title, d, cls) {
      var s = Model.summary(d);
      return '<div class="col-md-6"><div class="card h-100 ' + cls + '"><div class="card-header fw-semibold">' + esc(title) + '</div><div class="card-body">' +
        '<div class="small text-muted">' + esc(gettext("Chosen host")) + '</div><div class="fs-5 fw-semibold cl-side-chosen">' +
        (s.error ? '<span class="text-danger">' + esc(s.error) + "</span>" : esc(s.chosen.join(", "))) + "</div>" +
        '<div class="small text-muted mt-2">' + esc(gettext("Hosts after each filter")) + "</div>" +
        s.funnels.map(function (f) { return '<div class="cl-side-funnel">' + esc(f) + "</div>"; }).join("") + "</div></div></div>";
    }

    function verdictHtml(v) {
      v = v || {};
      return '<span class="badge cl-why-outcome cl-why-' + esc(v.outcome || "") + '">' + esc(v.outcome ? view.verdictLabel(v.outcome) : "–") + "</span>" +
        (v.filter ? " <code>" + esc(v.filter) + "</code>" : "") + (v.reason ? '<div class="small">' + esc(v.reason) + "</div>" : "");
    }
    function side(row, which) {
      if (row[which]) return row[which];
      return { outcome: row[which + "_outcome"], filter: row[which + "_filter"], reason: row[which + "_reason"] };
    }

    function renderWhatif(result) {
      var box = $("whatif-result"), compare = result.compare || {}, rows = compare.hosts || [];
      var changed = rows.filter(function (r) { return r.changed; }).length;
      box.innerHTML = '<div class="alert alert-secondary small py-2"><i class="bi bi-shield-check" aria-hidden="true"></i> ' +
        esc(gettext("The live cloud is unchanged: this ran on a frozen copy of the moment of the decision.")) + "</div>" +
        (result.change ? '<p class="fw-semibold" id="whatif-change">' + esc(result.change) + "</p>" : "") +
        '<div class="row g-2 mb-3">' + sideHtml(gettext("Before: the real decision"), state.real, "cl-side-before") + sideHtml(gettext("After: what if"), result.decision, "cl-side-after border-info") + "</div>" +
        (compare.summary ? '<p id="whatif-summary">' + esc(compare.summary) + "</p>" : "") +
        '<div class="d-flex flex-wrap align-items-center gap-3 mb-2"><button type="button" class="btn btn-sm btn-outline-primary" id="whatif-watch"><i class="bi bi-play-circle" aria-hidden="true"></i> ' +
        esc(gettext("Watch the what-if decision")) + '</button><div class="form-check form-switch mb-0"><input class="form-check-input" type="checkbox" id="whatif-only-changed"' + (rows.length > 20 ? " checked" : "") +
        '><label class="form-check-label small" for="whatif-only-changed">' + esc(interpolate(ngettext("Only the %s host that changed", "Only the %s hosts that changed", changed), [changed])) + "</label></div></div>" +
        '<div class="table-responsive"><table class="table table-sm align-middle" id="whatif-compare"><thead><tr><th>' + esc(gettext("Host")) + "</th><th>" + esc(gettext("Before")) +
        "</th><th>" + esc(gettext("After")) + "</th></tr></thead><tbody>" + rows.map(function (r) {
          return '<tr class="cl-compare-row' + (r.changed ? " table-warning" : "") + '" data-host="' + esc(r.host) + '" data-changed="' + (r.changed ? "true" : "false") + '"><th scope="row">' +
            (r.changed ? '<i class="bi bi-arrow-left-right" aria-label="' + esc(gettext("changed")) + '"></i> ' : "") + esc(r.host) + "</th><td>" + verdictHtml(side(r, "before")) + "</td><td>" + verdictHtml(side(r, "after")) + "</td></tr>";
        }).join("") + "</tbody></table></div>";
      box.classList.remove("d-none");
      var only = $("whatif-only-changed");
      var filterRows = function () { box.querySelectorAll(".cl-compare-row[data-changed=false]").forEach(function (tr) { tr.classList.toggle("d-none", only.checked); }); };
      only.addEventListener("change", filterRows);
      filterRows();
      $("whatif-watch").addEventListener("click", function () {
        view.replay.pause();
        view.show(result.decision, result, 0);
        window.scrollTo({ top: 0, behavior: view.reduceMotion ? "auto" : "smooth" });
        view.replay.play();
      });
    }

    return { openLinked: openLinked };
  };
})();
