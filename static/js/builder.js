// The experiment builder's control (variant A) shows the post as written while the post is the only
// stimulus and nobody has edited A by hand; the server fills an empty A the same way, so this only
// makes visible what Start would run. No inline script: the content security policy forbids it.
(function () {
  "use strict";
  var STIMULUS_TEXT = /^stimuli-\d{1,3}-text$/;

  function stimulusTexts(form) {
    return Array.prototype.filter.call(form.querySelectorAll("textarea"), function (area) {
      return STIMULUS_TEXT.test(area.name) && area.value.trim();
    });
  }

  function mirror(form, control) {
    if (control.dataset.edited === "1") { return; }
    var texts = stimulusTexts(form);
    control.value = texts.length === 1 ? texts[0].value : "";
  }

  function start() {
    var form = document.getElementById("builder-form");
    var control = document.getElementById("id_variants-0-stimulus_text");
    if (!form || !control) { return; }
    var texts = stimulusTexts(form);
    var mirrored = texts.length === 1 && control.value === texts[0].value;
    control.dataset.edited = control.value.trim() && !mirrored ? "1" : "";
    form.addEventListener("input", function (event) {
      if (event.target === control) {
        control.dataset.edited = control.value.trim() ? "1" : "";
      } else if (STIMULUS_TEXT.test(event.target.name || "")) {
        mirror(form, control);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
