/* The scheduling view's "why (not) host X?" panel: the filter that removed a host with its reason
   and numbers, or how it lost the weighing, or why it won. The server wrote the explanation
   (data.why, in the reader's language); this only lays it out. */
(function () {
  "use strict";
  window.CloudLab.decisionWhy = function (view) {
    var Model = view.model, el = view.el, esc = view.esc, fmt = Model.fmt, named = view.named, state = view.state;

    function numbersHtml(numbers) {
      var keys = Object.keys(numbers || {});
      if (!keys.length) return "";
      return '<table class="table table-sm small cl-numbers"><tbody>' + keys.map(function (k) {
        return "<tr><th scope=\"row\"><code>" + esc(k) + "</code></th><td class=\"text-end\">" + esc(fmt(numbers[k])) + "</td></tr>";
      }).join("") + "</tbody></table>";
    }

    function perWeigherHtml(rows, host, winner) {
      if (!rows || !rows.length) return "";
      return '<div class="table-responsive"><table class="table table-sm small align-middle cl-why-weighers"><thead><tr><th>' + esc(view.pod ? gettext("Plugin") : gettext("Weigher")) + '</th><th class="text-end">' +
        esc(host) + '<div class="fw-normal text-muted">' + esc(view.pod ? gettext("raw → normalised × weight") : gettext("raw → normalised × multiplier")) + "</div></th>" +
        (winner ? '<th class="text-end">' + esc(winner) + '</th><th class="text-end">' + esc(gettext("difference")) + "</th>" : "") + "</tr></thead><tbody>" +
        rows.map(function (r) {
          var diff = r.difference;
          return "<tr><td>" + esc(r.name) + '</td><td class="text-end"><div class="text-muted">' + esc(fmt(r.raw)) + " → " + esc(fmt(r.normalized)) + " × " + esc(fmt(r.multiplier)) +
            '</div><strong>' + esc(fmt(r.weighted)) + "</strong></td>" +
            (winner ? '<td class="text-end">' + esc(fmt(r.winner_weighted)) + '</td><td class="text-end fw-semibold ' + (diff < 0 ? "text-danger" : diff > 0 ? "text-success" : "") + '">' +
              (diff > 0 ? "+" : "") + esc(fmt(diff)) + "</td>" : "") + "</tr>";
        }).join("") + "</tbody></table></div>";
    }

    function open(host) {
      var m = state.m, excluded = Model.excludedHost(m, host), html = [];
      var w = excluded ? { outcome: "excluded", explanation: excluded.reason } : (m.why[host] || { outcome: "not_seen" }), outcome = w.outcome || "not_seen";
      state.picked = host;
      el.why.dataset.host = host;
      el.why.dataset.outcome = outcome;
      if (view.pod) el.whyTitle.textContent = outcome === "chosen" ? interpolate(gettext("Why node %s?"), [host]) : interpolate(gettext("Why not node %s?"), [host]);
      else el.whyTitle.textContent = outcome === "chosen" ? interpolate(gettext("Why %s?"), [host]) : interpolate(gettext("Why not %s?"), [host]);
      html.push('<p><span class="badge cl-why-outcome cl-why-' + esc(outcome) + '">' + esc(view.verdictLabel(outcome)) + "</span></p>");
      if (outcome === "filtered") {
        html.push("<p>" + esc(view.pod ? gettext("The Filter plugin that rejected it:") : gettext("The first filter it failed:")) + " <code class=\"fs-6\">" + esc(w.filter) + "</code></p>");
        html.push('<p class="cl-why-reason">' + (view.pod ? view.k8s(w.reason) : esc(w.reason)) + "</p>");
        html.push(numbersHtml(w.numbers));
        var gone = Model.firstRemoval(m, host);
        if (gone) html.push('<button type="button" class="btn btn-sm btn-outline-primary mb-3" data-goto-pos="' + gone.pos + '"><i class="bi bi-skip-forward" aria-hidden="true"></i> ' + esc(gettext("Show that stage")) + "</button>");
      } else if (outcome === "lost") {
        html.push("<p>" + esc(named(view.pod ? gettext("It passed every Filter plugin, but its total score was %(margin)s less than that of %(winner)s.") : gettext("It passed every filter, but its total weight was %(margin)s less than that of %(winner)s."), { margin: fmt(w.margin), winner: w.winner })) + "</p>");
        html.push(perWeigherHtml(w.per_weigher, host, w.winner));
      } else if (outcome === "excluded") {
        html.push('<p class="cl-why-reason">' + esc(w.explanation) + "</p>");
      } else if (outcome === "chosen") {
        html.push("<p>" + esc(view.pod ? gettext("It passed every Filter plugin and had the highest total score (or was drawn among the nodes tied at the top).") : gettext("It passed every filter and had the highest total weight (or was picked among the best, with host_subset_size above 1).")) + "</p>");
        html.push(perWeigherHtml(w.per_weigher || Model.ownWeights(m, host), host, null));
      }
      if (w.explanation && outcome !== "excluded") html.push('<p class="small text-muted">' + esc(w.explanation) + "</p>");
      el.whyBody.innerHTML = html.join("");
      view.cards.pick(host);
      bootstrap.Offcanvas.getOrCreateInstance(el.why).show();
      el.why.focus({ preventScroll: true });  // no focus trap (the cards stay clickable), so take the focus there ourselves
    }

    function isOpen() { return el.why.classList.contains("show"); }
    function close() { bootstrap.Offcanvas.getOrCreateInstance(el.why).hide(); }

    el.whyBody.addEventListener("click", function (event) {
      var button = event.target.closest("[data-goto-pos]");
      if (button) { view.replay.pause(); view.go(Number(button.dataset.gotoPos)); }
    });
    el.why.addEventListener("hidden.bs.offcanvas", function () {
      state.picked = null;
      view.cards.pick(null);
    });

    return { open: open, isOpen: isOpen, close: close };
  };
})();
