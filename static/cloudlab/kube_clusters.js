/* The clusters list: a delete asks first (the form says what goes and what stays). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();

/* The control plane cannot be a worker too: its own box is unticked and greyed. */
(function () {
  "use strict";
  var select = document.getElementById("control-plane");
  if (!select) return;
  function sync() {
    document.querySelectorAll("#cluster-workers input[name=workers]").forEach(function (box) {
      var isControl = box.value === select.value;
      if (isControl) box.checked = false;
      box.disabled = isControl;
    });
  }
  select.addEventListener("change", sync);
  sync();
})();
