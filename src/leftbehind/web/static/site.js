/* Search suggestions: an accessible combobox (ARIA 1.2 pattern) enhancing a plain GET form. */
(function () {
  "use strict";
  var form = document.querySelector("form.search[data-suggest]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector("[role=listbox]");
  var status = form.querySelector("[role=status]");
  var editionField = form.querySelector("input[name=edition]");
  if (!input || !list) return;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  var items = [];
  var active = -1;
  var timer = null;
  var seq = 0;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function highlight(i) {
    var options = list.querySelectorAll("[role=option]");
    options.forEach(function (el, j) { el.setAttribute("aria-selected", j === i ? "true" : "false"); });
    active = i;
    if (i >= 0 && options[i]) {
      input.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }
  function go(i) {
    if (items[i]) window.location.href = items[i].url;
  }
  function render(data) {
    items = data.items || [];
    list.innerHTML = "";
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "q-opt-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var name = document.createElement("span");
      name.textContent = item.name + " (" + item.code + ")";
      var ctx = document.createElement("span");
      ctx.className = "muted";
      ctx.textContent = (item.kind === "la" ? "Local authority" : "Area") + (item.context ? ", " + item.context : "");
      li.appendChild(name);
      li.appendChild(ctx);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); go(i); });
      list.appendChild(li);
    });
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    } else {
      close();
    }
    active = -1;
    if (status) status.textContent = items.length ? items.length + " suggestions available." : "No suggestions.";
  }
  function fetchSuggestions() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    var mine = ++seq;
    var url = form.getAttribute("data-suggest") + "?limit=8&q=" + encodeURIComponent(q);
    if (editionField && editionField.value) url += "&edition=" + encodeURIComponent(editionField.value);
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) { if (mine === seq) render(data); })
      .catch(function () { close(); });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (ev) {
    var open = !list.hidden && items.length;
    if (ev.key === "ArrowDown") {
      ev.preventDefault();
      if (!open) { fetchSuggestions(); return; }
      highlight(Math.min(active + 1, items.length - 1));
    } else if (ev.key === "ArrowUp") {
      if (open) { ev.preventDefault(); highlight(Math.max(active - 1, 0)); }
    } else if (ev.key === "Enter") {
      if (open && active >= 0) { ev.preventDefault(); go(active); }
    } else if (ev.key === "Escape") {
      if (open) { ev.preventDefault(); close(); } else { input.value = ""; }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();

/* Wide tables and charts on narrow screens: they scroll sideways inside their box; a visible
   hint says so (and shadows at the edges show there is more), only while there is more. */
(function () {
  "use strict";
  var boxes = document.querySelectorAll(".table-scroll, .chart");
  if (!boxes.length) return;
  function update(box) {
    var more = box.scrollWidth > box.clientWidth + 2;
    box.classList.toggle("is-scrollable", more);
    // a box that scrolls can be reached and scrolled with the keyboard
    if (more && !box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
    var hint = box.previousElementSibling;
    if (!hint || !hint.classList || !hint.classList.contains("scroll-hint")) {
      if (!more) return;
      hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.setAttribute("aria-hidden", "true");
      hint.textContent = "Scroll sideways to see more \u2192";
      box.parentNode.insertBefore(hint, box);
    }
    hint.hidden = !more;
  }
  function all() { for (var i = 0; i < boxes.length; i++) update(boxes[i]); }
  all();
  window.addEventListener("resize", all);
})();
