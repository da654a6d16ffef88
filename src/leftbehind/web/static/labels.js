/* Place names on the home map, offline: no glyphs or tiles from other servers. Names are HTML
   labels placed by MapLibre markers: local authorities (a point inside each boundary, from
   /api/map-labels) when zoomed out, and the areas in view (their names from the map's own
   features) when zoomed in. Labels that would overlap a label already placed are left out,
   councils with the most 'left behind' areas first. The labels repeat what the page lists, so
   they are hidden from screen readers. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var map = window.__map;
  if (!el || !map || typeof maplibregl === "undefined") return;
  var url = el.getAttribute("data-labels");
  if (!url) return;

  var AREA_ZOOM = 10.5; // from here on, areas are named instead of councils
  var MAX_LABELS = 80;
  var councils = [];
  var markers = [];

  function clear() {
    for (var i = 0; i < markers.length; i++) markers[i].remove();
    markers = [];
  }

  function label(text, kind) {
    var div = document.createElement("div");
    div.className = "map-label map-label-" + kind;
    div.setAttribute("aria-hidden", "true");
    div.textContent = text;
    return div;
  }

  // A box around a label centred at p (screen pixels), from the text's length.
  function box(p, text, kind) {
    var w = text.length * (kind === "area" ? 6.2 : 7) + 8, h = kind === "area" ? 16 : 18;
    return [p.x - w / 2, p.y - h / 2, p.x + w / 2, p.y + h / 2];
  }
  function overlaps(a, placed) {
    for (var i = 0; i < placed.length; i++) {
      var b = placed[i];
      if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) return true;
    }
    return false;
  }

  // Candidate area labels: for each area in view, the centre of its largest drawn piece,
  // kept only where that point is inside the area itself.
  function areaCandidates() {
    var seen = {};
    var feats = map.queryRenderedFeatures({ layers: ["areas-fill"] });
    for (var i = 0; i < feats.length; i++) {
      var f = feats[i], code = f.properties.c, g = f.geometry;
      if (!code || !g) continue;
      var rings = g.type === "Polygon" ? [g.coordinates[0]] :
        g.type === "MultiPolygon" ? g.coordinates.map(function (p) { return p[0]; }) : [];
      for (var r = 0; r < rings.length; r++) {
        var ring = rings[r], w = 180, s = 90, e = -180, n = -90;
        for (var k = 0; k < ring.length; k++) {
          var c = ring[k];
          if (c[0] < w) w = c[0]; if (c[0] > e) e = c[0];
          if (c[1] < s) s = c[1]; if (c[1] > n) n = c[1];
        }
        var size = (e - w) * (n - s);
        if (!seen[code] || seen[code].size < size) {
          seen[code] = { size: size, lng: (w + e) / 2, lat: (s + n) / 2, name: f.properties.n };
        }
      }
    }
    var out = [];
    for (var key in seen) {
      if (Object.prototype.hasOwnProperty.call(seen, key)) out.push(seen[key]);
    }
    out.sort(function (a, b) { return b.size - a.size; });
    return out;
  }

  function place() {
    clear();
    var canvas = map.getCanvas();
    var width = canvas.clientWidth, height = canvas.clientHeight;
    var placed = [];
    var zoomedIn = map.getZoom() >= AREA_ZOOM;
    var items = zoomedIn ? areaCandidates() : councils;
    var kind = zoomedIn ? "area" : "council";
    for (var i = 0; i < items.length && markers.length < MAX_LABELS; i++) {
      var it = items[i];
      var lngLat = zoomedIn ? [it.lng, it.lat] : [it.x, it.y];
      var name = zoomedIn ? it.name : it.n;
      if (!name) continue;
      var p = map.project(lngLat);
      var b = box(p, name, kind);
      if (b[0] < 2 || b[1] < 2 || b[2] > width - 2 || b[3] > height - 2) continue; // whole label in view
      if (overlaps(b, placed)) continue;
      if (zoomedIn) {
        var hit = map.queryRenderedFeatures(p, { layers: ["areas-fill"] });
        if (!hit.length || hit[0].properties.n !== name) continue;
      }
      placed.push(b);
      markers.push(new maplibregl.Marker({ element: label(name, kind), anchor: "center" })
        .setLngLat(lngLat).addTo(map));
    }
    el.setAttribute("data-labels-shown", String(markers.length));
    el.setAttribute("data-labels-kind", kind);
  }

  function start() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { local_authorities: [] }; })
      .then(function (data) {
        councils = data.local_authorities || [];
        place();
        map.on("moveend", function () { map.once("idle", place); });
      })
      .catch(function () { /* the map works without names */ });
  }
  if (map.loaded()) start(); else map.once("idle", start);
})();
