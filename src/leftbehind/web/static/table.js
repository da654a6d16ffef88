/* Sortable tables: column headings sort in the page (links still work without JavaScript). */
(function () {
  "use strict";
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.querySelectorAll("thead th[data-key]");
    headers.forEach(function (th, col) {
      var link = th.querySelector("a");
      if (!link) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      button.innerHTML = link.innerHTML;
      th.replaceChild(button, link);
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var dir = current === "ascending" ? "descending" : "ascending";
        headers.forEach(function (other) {
          other.removeAttribute("aria-sort");
          var mark = other.querySelector(".sort-mark");
          if (mark) mark.textContent = "";
        });
        th.setAttribute("aria-sort", dir);
        var mark = th.querySelector(".sort-mark");
        if (mark) mark.textContent = dir === "ascending" ? "▲" : "▼";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-value");
          var y = b.cells[col].getAttribute("data-value");
          var nx = parseFloat(x), ny = parseFloat(y);
          var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
          if (x === "" && y !== "") cmp = 1;
          if (y === "" && x !== "") cmp = -1;
          return dir === "ascending" ? cmp : -cmp;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
