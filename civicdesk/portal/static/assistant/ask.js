// Ask: live updates for the chat. Without this script the page is a plain form that posts a
// message and shows the whole conversation; with it, messages are sent and new ones (from the
// assistant or an adviser) are added in place, announced by the log's polite live region.
(function () {
  "use strict";
  var chat = document.getElementById("chat");
  var form = document.getElementById("ask-form");
  var log = document.querySelector("#chat-log ol");
  var status = document.getElementById("chat-status");
  if (!chat || !log || !window.fetch) { return; }
  var updates = chat.getAttribute("data-updates");
  var polling = null;

  function lastId() {
    var items = log.querySelectorAll("[data-id]");
    return items.length ? items[items.length - 1].getAttribute("data-id") : "0";
  }

  function refresh() {
    return fetch(updates + "?after=" + encodeURIComponent(lastId()), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) { return; }
      if (data.messages.trim()) {
        // Offers (forms) only belong on the latest message: drop the older ones' forms.
        log.querySelectorAll("li form").forEach(function (old) { old.remove(); });
        log.insertAdjacentHTML("beforeend", data.messages);
        var heading = document.getElementById("chat-heading");
        if (heading) { heading.classList.remove("govuk-visually-hidden"); }
      }
      // The box is a live region: writing the same words again would have screen readers
      // repeat "You are number 2..." every few seconds.
      var fresh = document.createElement("div");
      fresh.innerHTML = data.status;
      if (fresh.textContent.trim() !== status.textContent.trim()) { status.innerHTML = data.status; }
      chat.setAttribute("data-state", data.state);
      watch();
    });
  }

  function watch() {
    var waiting = ["waiting", "with_adviser"].indexOf(chat.getAttribute("data-state")) !== -1;
    if (waiting && !polling) {
      polling = window.setInterval(refresh, 4000);
    } else if (!waiting && polling) {
      window.clearInterval(polling);
      polling = null;
    }
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      var box = document.getElementById("message");
      if (!box.value.trim()) { return; } // the server shows the error summary
      event.preventDefault();
      var body = new FormData(form);
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok && response.status !== 302) { form.submit(); return null; }
          box.value = "";
          return refresh();
        })
        .catch(function () { form.submit(); })
        .then(function () { button.disabled = false; box.focus(); });
    });
  }
  watch();
})();
