// Progressive enhancement for the contribution form: every 30 seconds, if the form changed,
// post it to the autosave address so that a closed browser loses nothing; and a form larger
// than the server accepts is refused here, before sending, naming the field to shorten. The
// page works fully without this script: the server keeps the form as an unvalidated draft and
// answers an oversized post with the form as typed.
(function () {
  "use strict";
  var INTERVAL = 30000;
  var form = document.getElementById("note-form");
  if (!form || !window.fetch || !window.FormData) return;
  var address = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  var draftInput = form.querySelector("input[name=draft_id]");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var sizeError = document.getElementById("size-error");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
  var saving = false;
  var leaving = false;

  // The size the browser will send: the form urlencoded, as a plain form post is.
  function encodedSize(key, value) {
    return new URLSearchParams([[key, value]]).toString().length;
  }

  // Fields to shorten, largest first, with about how many characters to cut from each.
  function oversize() {
    var sizes = [];
    var total = 0;
    new FormData(form).forEach(function (value, key) {
      if (typeof value !== "string") return;
      var size = encodedSize(key, value);
      total += size + 1;
      if (key !== "csrf_token") sizes.push({ key: key, value: value, size: size });
    });
    var over = total - 1 - maxBytes;
    if (!maxBytes || over <= 0) return null;
    sizes.sort(function (a, b) { return b.size - a.size; });
    var cuts = [];
    for (var i = 0; i < sizes.length && over > 0; i++) {
      var cut = Math.min(over, sizes[i].size);
      cuts.push({ key: sizes[i].key, characters: Math.ceil(cut * sizes[i].value.length / sizes[i].size) });
      over -= cut;
    }
    return { total: total - 1, cuts: cuts };
  }

  function labelOf(key) {
    var input = form.querySelector("[name='" + key + "']");
    var label = input && input.id ? form.querySelector("label[for='" + input.id + "']") : null;
    var text = label ? label.textContent.replace(/\((required|optional)\)/g, "") : key;
    return text.replace(/\s+/g, " ").trim();
  }

  function refuse(found) {
    if (!sizeError) return;
    sizeError.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = "Too long to send";
    var intro = document.createElement("p");
    intro.textContent = "Nothing was sent and nothing is lost: the form comes to " +
      found.total.toLocaleString("en") + " bytes and this site accepts " +
      maxBytes.toLocaleString("en") + " at once. Shorten, then save again:";
    var list = document.createElement("ul");
    found.cuts.forEach(function (cut) {
      var item = document.createElement("li");
      var input = form.querySelector("[name='" + cut.key + "']");
      var link = document.createElement("a");
      link.href = "#" + (input && input.id ? input.id : "note-form");
      link.textContent = labelOf(cut.key) + ": too long by about " +
        cut.characters.toLocaleString("en") + " characters";
      item.appendChild(link);
      list.appendChild(item);
    });
    sizeError.appendChild(heading);
    sizeError.appendChild(intro);
    sizeError.appendChild(list);
    sizeError.hidden = false;
    sizeError.focus();
  }

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
    var found = oversize();
    if (found) {
      say("Too long to autosave: shorten " + labelOf(found.cuts[0].key) + " by about " +
        found.cuts[0].characters.toLocaleString("en") + " characters.");
      return;
    }
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

  form.addEventListener("submit", function (event) {
    var found = oversize();
    if (found) {
      event.preventDefault();
      refuse(found);
      return;
    }
    if (sizeError) sizeError.hidden = true;
    leaving = true;
  });
  window.setInterval(save, INTERVAL);
})();
