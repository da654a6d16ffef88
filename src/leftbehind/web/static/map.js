/* The map of areas shaded by group (home page; an area page's small map, with the area outlined:
   data-highlight), local-authority outlines, hover names, click to open.
   Everything here is an enhancement: the page lists the same areas without JavaScript. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el) return;
  var hover = document.getElementById("map-hover");
  var COLOURS = { left_behind: "#a1350f", other_deprived: "#1f5f99", rest: "#dfe3e8" };
  var NAMES = { left_behind: "'left behind'", other_deprived: "other deprived", rest: "not in the most deprived 10%" };

  function fail(message) {
    el.setAttribute("data-state", "unavailable");
    var p = el.querySelector(".map-fallback") || document.createElement("p");
    p.className = "map-fallback";
    p.textContent = message + " The areas are listed below and can be found with the search box.";
    if (!p.parentNode) el.appendChild(p);
  }
  if (typeof maplibregl === "undefined") { fail("The map could not be loaded."); return; }

  var edition = el.getAttribute("data-edition");
  var mark = function (name) { if (window.performance && performance.mark) performance.mark(name); };
  mark("lb-map-start");
  var abs = function (u) { return new URL(u, window.location.href).href; };
  // Both layers are in the initial style, so the map's worker starts fetching and parsing them
  // as soon as the map exists (no copy of the data through the page).
  // Vector tiles cut when the store was built, where there are any (only the tiles in view are
  // fetched); otherwise the GeoJSON of every area, tiled by MapLibre in the browser.
  var tiles = el.getAttribute("data-tiles");
  var groupKey = tiles ? el.getAttribute("data-group-key") : "g";
  var areasSource = tiles
    ? { type: "vector", tiles: [abs(tiles).replace(/%7B/g, "{").replace(/%7D/g, "}")], minzoom: 0,
        maxzoom: parseInt(el.getAttribute("data-tile-max-zoom"), 10) || 12 }
    : { type: "geojson", data: abs(el.getAttribute("data-areas")), maxzoom: 12, tolerance: 0.5 };
  var onAreas = function (layer) {
    layer.source = "areas";
    if (tiles) layer["source-layer"] = "areas";
    return layer;
  };
  var style = {
    version: 8,
    sources: {
      areas: areasSource,
      outlines: { type: "geojson", data: abs(el.getAttribute("data-outlines")), maxzoom: 10, tolerance: 0.8 }
    },
    layers: [{ id: "background", type: "background", paint: { "background-color": "#eef1f4" } }]
  };
  var basemap = el.getAttribute("data-basemap");
  if (basemap) {
    style.sources.basemap = { type: "raster", tiles: [basemap], tileSize: 256 };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  style.layers.push(
    onAreas({
      id: "areas-fill", type: "fill",
      paint: {
        "fill-color": ["match", ["get", groupKey], "left_behind", COLOURS.left_behind,
          "other_deprived", COLOURS.other_deprived, COLOURS.rest],
        "fill-opacity": basemap ? 0.75 : 0.9
      }
    }),
    onAreas({ id: "areas-line", type: "line", minzoom: 8,
      paint: { "line-color": "#ffffff", "line-width": 0.5 } }),
    { id: "la-line", type: "line", source: "outlines",
      paint: { "line-color": "#2b2f36", "line-width": ["interpolate", ["linear"], ["zoom"], 5, 0.4, 10, 1.6] } },
    // Only the hovered area is laid out as a line (a filter, not a zero-width line for all).
    onAreas({ id: "areas-hover", type: "line", filter: ["==", ["get", "c"], ""],
      paint: { "line-color": "#000000", "line-width": 2.5 } })
  );
  // On an area page: the area itself, outlined.
  var highlight = el.getAttribute("data-highlight");
  if (highlight) {
    style.layers.push(onAreas({ id: "areas-selected", type: "line", filter: ["==", ["get", "c"], highlight],
      paint: { "line-color": "#000000", "line-width": 3.5 } }));
  }

  var initial = [[-6.5, 49.8], [1.9, 55.9]];
  try {
    var b = JSON.parse(el.getAttribute("data-bounds") || "null");
    if (b && b.length === 4) initial = [[b[0], b[1]], [b[2], b[3]]];
  } catch (e) { /* keep England */ }
  var map;
  try {
    el.innerHTML = "";
    map = new maplibregl.Map({
      container: el,
      style: style,
      bounds: initial,
      fitBoundsOptions: { padding: 10 },
      attributionControl: { compact: true, customAttribution: "Boundaries: ONS (OGL v3) · CNI: OCSI" },
      dragRotate: false,
      pitchWithRotate: false
    });
  } catch (err) {
    fail("Your browser cannot show the interactive map.");
    return;
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  var canvas = map.getCanvas();
  canvas.setAttribute("aria-label", "Map of areas shaded by group; use the arrow keys to pan and plus or minus to zoom");

  window.__map = map;
  map.on("load", function () {
    mark("lb-map-load");
    map.once("idle", function () {
      mark("lb-map-painted");
      el.setAttribute("data-state", "painted");
      document.documentElement.setAttribute("data-map", "painted");
    });
  });
  map.on("error", function (e) {
    if (e && e.sourceId) fail("The map data could not be loaded.");
  });

  var hovered = null;
  function setHover(id) {
    if (id === hovered) return;
    hovered = id;
    if (map.getLayer("areas-hover")) map.setFilter("areas-hover", ["==", ["get", "c"], id || ""]);
  }
  map.on("mousemove", "areas-fill", function (e) {
    var f = e.features && e.features[0];
    if (!f) return;
    map.getCanvas().style.cursor = "pointer";
    setHover(f.properties.c);
    var group = f.properties[groupKey];
    if (hover) hover.textContent = f.properties.n + " (" + f.properties.c + "): " + (NAMES[group] || group);
  });
  map.on("mouseleave", "areas-fill", function () {
    map.getCanvas().style.cursor = "";
    setHover(null);
    if (hover) hover.textContent = "";
  });
  map.on("click", "areas-fill", function (e) {
    var f = e.features && e.features[0];
    if (f) window.location.href = "/areas/" + encodeURIComponent(f.properties.c) + "?edition=" + encodeURIComponent(edition);
  });
})();
