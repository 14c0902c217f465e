// Log a contact from the keyboard: one key for why the customer got in touch (digits), one for
// what happened (letters), Enter to save. The keys work only while focus is in the form, and the
// adviser can turn them off (WCAG 2.1.4); without this script the form works as plain radios.
(function () {
  "use strict";
  var form = document.querySelector('form[data-module="civicdesk-contact-keys"]');
  if (!form) {
    return;
  }
  var STORE = "civicdesk-contact-keys";
  var keyed = Array.prototype.slice.call(form.querySelectorAll("input[data-key]"));
  var hints = [];

  function keysOn() {
    try {
      return window.localStorage.getItem(STORE) !== "off";
    } catch (error) {
      return true;
    }
  }

  keyed.forEach(function (input) {
    var label = form.querySelector('label[for="' + input.id + '"]');
    if (!label) {
      return;
    }
    var hint = document.createElement("kbd");
    hint.className = "civicdesk-key";
    hint.setAttribute("aria-hidden", "true");
    hint.textContent = input.dataset.key;
    label.appendChild(document.createTextNode(" "));
    label.appendChild(hint);
    hints.push(hint);
  });

  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-4";
  form.insertBefore(toggle, form.firstElementChild);

  function show() {
    var on = keysOn();
    toggle.textContent = on ? "Turn off keyboard shortcuts" : "Turn on keyboard shortcuts";
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    hints.forEach(function (hint) {
      hint.hidden = !on;
    });
    keyed.forEach(function (input) {
      if (on) {
        input.setAttribute("aria-keyshortcuts", input.dataset.key);
      } else {
        input.removeAttribute("aria-keyshortcuts");
      }
    });
  }

  toggle.addEventListener("click", function () {
    try {
      window.localStorage.setItem(STORE, keysOn() ? "off" : "on");
    } catch (error) {
      return;
    }
    show();
  });

  function typing(target) {
    var tag = target.tagName;
    return (
      tag === "TEXTAREA" ||
      tag === "SELECT" ||
      tag === "BUTTON" ||
      (tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox")
    );
  }

  form.addEventListener("keydown", function (event) {
    if (!keysOn() || event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) {
      return;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    var wanted = event.key.toUpperCase();
    var input = keyed.find(function (candidate) {
      return candidate.dataset.key === wanted;
    });
    if (!input) {
      return;
    }
    event.preventDefault();
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.focus();
  });

  // Suggest the case about the service chosen, without choosing it.
  var service = form.querySelector("#service");
  var suggestion = form.querySelector("[data-suggestion]");
  var cases = form.querySelectorAll("#case option[data-service]");
  if (service && cases.length) {
    if (!suggestion) {
      suggestion = document.createElement("span");
      suggestion.dataset.suggestion = "";
      var caseHint = form.querySelector("#case-hint");
      caseHint.insertBefore(suggestion, caseHint.firstChild);
    }
    service.addEventListener("change", function () {
      var match = Array.prototype.find.call(cases, function (option) {
        return option.dataset.service === service.value;
      });
      suggestion.textContent = match
        ? "Suggested: " + match.value + " (" + match.dataset.serviceName + "), last updated " +
          match.dataset.updated + ". "
        : "";
    });
  }

  show();
  if (!document.querySelector(".govuk-error-summary")) {
    var firstReason = form.querySelector('input[name="reason"]:checked') ||
      form.querySelector('input[name="reason"]');
    if (firstReason) {
      firstReason.focus();
    }
  }
})();
