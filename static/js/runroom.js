/* The run room's live updates, on top of the htmx ws extension (no inline scripts: CSP).
 *
 * - Every frame carries #run-seq with its event's sequence number. A reconnect asks the server
 *   for events after the last one shown (the socket URL's ?after= is rewritten), and a frame
 *   already applied, or a post the server painted on first load, is dropped.
 * - New posts get the segment filter's mark, so the CSS filter keeps applying to them.
 * - A change of the run's status tells the controls to refresh themselves from the server (sn:status).
 */
(function () {
  "use strict";

  var room = document.getElementById("run-room");
  if (!room || !window.htmx) {
    return;
  }
  var SEQ = /id="run-seq"[^>]*data-seq="(\d+)"/;
  var POST = /<li id="(post-[A-Za-z0-9_-]+)"/;
  var statusBefore = "";

  function currentStatus() {
    var badge = document.getElementById("run-status");
    return badge ? badge.getAttribute("data-status") : "";
  }

  function lastSeq() {
    var marker = document.getElementById("run-seq");
    return marker ? parseInt(marker.getAttribute("data-seq"), 10) || 0 : 0;
  }

  function withAfter(url, seq) {
    return url.replace(/([?&]after=)\d+/, "$1" + seq);
  }

  function rememberSeq(seq) {
    var marker = document.getElementById("run-seq");
    if (marker) {
      marker.setAttribute("data-seq", String(seq));
    }
    var url = room.getAttribute("ws-connect");
    if (url) {
      room.setAttribute("ws-connect", withAfter(url, seq));
    }
  }

  // Settling copies attributes between a swapped element's old and new versions; under this
  // CSP (no inline styles) copying a "style" attribute, e.g. left by resizing a textarea, can
  // only be refused and logged, so only classes and sizes are settled.
  htmx.config.attributesToSettle = ["class", "width", "height"];

  // The extension re-creates the socket through this hook on every reconnect.
  htmx.createWebSocket = function (url) {
    var socket = new WebSocket(withAfter(url, lastSeq()), []);
    socket.binaryType = htmx.config.wsBinaryType;
    return socket;
  };

  function markSegment(scope) {
    var feed = document.getElementById("feed");
    var segment = feed ? feed.getAttribute("data-segment") : "";
    if (!segment) {
      return;
    }
    scope.querySelectorAll("li.post:not(.in-segment)").forEach(function (post) {
      var tokens = (post.getAttribute("data-segments") || "").split(" ");
      if (tokens.indexOf(segment) !== -1) {
        post.classList.add("in-segment");
      }
    });
  }

  function recount() {
    var feed = document.getElementById("feed");
    var all = document.getElementById("count-all");
    var negative = document.getElementById("count-negative");
    if (feed && all) {
      all.textContent = String(feed.querySelectorAll("li.post").length);
    }
    if (feed && negative) {
      negative.textContent = String(feed.querySelectorAll("li.post.is-negative").length);
    }
  }

  function setLive(state, text) {
    var indicator = document.getElementById("live-indicator");
    if (indicator) {
      indicator.setAttribute("data-state", state);
      indicator.textContent = text;
    }
  }

  room.addEventListener("htmx:wsBeforeMessage", function (event) {
    var message = event.detail.message || "";
    var seq = SEQ.exec(message);
    statusBefore = currentStatus();
    var number = seq ? parseInt(seq[1], 10) : 0;
    if (seq && number <= lastSeq()) {
      event.preventDefault(); // already applied before a reconnect
      return;
    }
    var post = POST.exec(message);
    if (post && document.getElementById(post[1])) {
      event.preventDefault(); // painted by the server on first load
      rememberSeq(number);
    }
  });

  room.addEventListener("htmx:wsAfterMessage", function () {
    rememberSeq(lastSeq());
    markSegment(document);
    recount();
    if (currentStatus() !== statusBefore) {
      htmx.trigger(document.body, "sn:status");
    }
  });

  room.addEventListener("htmx:wsOpen", function () {
    setLive("live", "live");
  });
  room.addEventListener("htmx:wsClose", function () {
    setLive("closed", "reconnecting…");
  });
})();
