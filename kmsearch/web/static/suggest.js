// Progressive enhancement for the contribution form's suggested links: "Accept" ticks the
// matching box in the form at once, without a round trip or a jump in the page. Without this
// script the button posts the form and the page comes back at the suggestions (#suggestions).
(function () {
  "use strict";
  var form = document.getElementById("note-form");
  var status = document.getElementById("autosave-status");
  if (!form) return;
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-group]");
    if (!button) return;
    var boxes = form.querySelectorAll("input[type=checkbox][name='" + button.getAttribute("data-group") + "']");
    var box = null;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].value === button.value) box = boxes[i];
    }
    if (!box) return; // no such box here: let the server add it
    event.preventDefault();
    box.checked = true;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    var linked = document.createElement("span");
    linked.className = "linked";
    linked.textContent = "Linked";
    var label = button.querySelector(".visually-hidden");
    var name = label ? label.textContent.trim() : button.value;
    button.replaceWith(linked);
    linked.tabIndex = -1;
    linked.focus();
    if (status) status.textContent = "Linked " + name + "; save to keep it.";
  });
})();
