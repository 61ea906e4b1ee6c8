/* The builder's note on the chosen provider (templates/simulations/_offline_notice.html): marks
 * the notes' box with the kind of the provider chosen (blank: the offline default), and CSS shows
 * the matching note. Without script, CSS shows the offline note while the blank option is chosen.
 */
(function () {
  "use strict";

  function watch(box) {
    var select = box.closest("form") && box.closest("form").querySelector('select[name="provider"]');
    if (!select || box.dataset.watching) {
      return;
    }
    var kinds = {};
    box.dataset.providerKinds.trim().split(/\s+/).forEach(function (pair) {
      var parts = pair.split(":");
      if (parts.length === 2) {
        kinds[parts[0]] = parts[1];
      }
    });
    function update() {
      box.dataset.kind = select.value ? kinds[select.value] || "hosted" : "offline";
    }
    box.dataset.watching = "1";
    select.addEventListener("change", update);
    update();
  }

  function watchAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll(".provider-notices").forEach(watch);
  }

  document.addEventListener("DOMContentLoaded", function () { watchAll(document); });
  document.addEventListener("htmx:load", function (event) { watchAll(event.target); });
})();
