/* casebridge: small progressive enhancements; every page works without them. */
(function () {
  "use strict";
  // "Copy" buttons: data-copy="<id of the element whose text to copy>".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.innerText).then(function () {
      var label = button.textContent;
      button.textContent = "✓";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
  // Sign-up: say at once when the address typed is not the enquiry's (the
  // enquiry would not be linked to the account). The page says it in words too.
  document.querySelectorAll("input[data-enquiry-email]").forEach(function (input) {
    var warning = document.querySelector("[data-other-address]");
    if (!warning) return;
    var wanted = input.getAttribute("data-enquiry-email").trim().toLowerCase();
    var check = function () {
      var typed = input.value.trim().toLowerCase();
      warning.hidden = !typed || typed === wanted;
    };
    input.addEventListener("input", check);
    input.addEventListener("change", check);
    check();
  });
  // htmx: send the CSRF token (read from any form on the page) with every request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) event.detail.headers["X-CSRFToken"] = token.value;
  });
  // The framed summary takes its full height (no box scrolling inside the page);
  // without this script it keeps the stylesheet's height and scrolls.
  var fit = function (frame) {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.documentElement) return;
      frame.style.height = doc.documentElement.scrollHeight + 2 + "px";
    } catch (error) { /* not readable: keep the stylesheet's height */ }
  };
  document.querySelectorAll("iframe[data-fit-height]").forEach(function (frame) {
    frame.addEventListener("load", function () { fit(frame); });
    window.addEventListener("resize", function () { fit(frame); });
    fit(frame);
  });
  // A form sent back with errors: move to its error summary (NHS pattern), so a
  // screen reader reads it first and a phone shows it.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
})();
