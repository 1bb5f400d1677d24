// Progressive enhancement for the contribution form: every 30 seconds, if the form changed,
// post it to the autosave address so that a closed browser loses nothing. The page works
// fully without this script; the server keeps the form as an unvalidated draft.
(function () {
  "use strict";
  var INTERVAL = 30000;
  var form = document.getElementById("note-form");
  if (!form || !window.fetch || !window.FormData) return;
  var address = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  var draftInput = form.querySelector("input[name=draft_id]");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var saving = false;
  var leaving = false;

  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "draft_id") parts.push(key + "=" + value);
    });
    return parts.join("&");
  }

  var last = snapshot();

  function say(text) {
    if (status) status.textContent = text;
  }

  function save() {
    var now = snapshot();
    if (saving || leaving || now === last) return;
    saving = true;
    fetch(address, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" }
    }).then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    }).then(function (answer) {
      last = now;
      if (draftInput && answer.draft_id) draftInput.value = answer.draft_id;
      say("Autosaved at " + new Date().toLocaleTimeString() + ".");
    }).catch(function () {
      say("Autosave failed; use Save draft to keep your changes.");
    }).then(function () {
      saving = false;
    });
  }

  form.addEventListener("submit", function () { leaving = true; });
  window.setInterval(save, INTERVAL);
})();
