// The assets layer: points by category, switched on and off with the checkboxes of a
// form.asset-layer (which works as a plain link list without JavaScript). On the home page it
// joins the area map (window.__map, from map.js) and loads each category when first shown; on
// an area page it draws its own small map of the local authority's assets.
(function () {
  "use strict";
  var COLOURS = {
    library: "#1b7837", gp_practice: "#b2182b", hospital: "#2166ac",
    community: "#762a83"
  };
  var OFFICIAL = ["library", "gp_practice", "hospital"];

  function colourOf(category) {
    return COLOURS[category] || COLOURS.community;
  }

  function layerId(key) { return "assets-" + key; }

  function addPointLayer(map, key, source, filter) {
    var spec = {
      id: layerId(key), type: "circle", source: source,
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 1.8, 9, 3.5, 13, 6],
        "circle-color": colourOf(key),
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 5, 0.3, 10, 1]
      }
    };
    if (filter) spec.filter = filter;
    map.addLayer(spec);
  }

  function report(form, map, keys) {
    var shown = [];
    keys.forEach(function (k) {
      if (map.getLayer(layerId(k)) && map.getLayoutProperty(layerId(k), "visibility") !== "none") shown.push(k);
    });
    form.setAttribute("data-shown", shown.join(" "));
  }

  // Home map: one source per category, fetched the first time it is switched on.
  function homeLayer(map, form) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
    var keys = boxes.map(function (b) { return b.value; });
    function apply(box) {
      var key = box.value;
      var id = layerId(key);
      if (box.checked && !map.getSource(id)) {
        map.addSource(id, { type: "geojson", data: form.getAttribute("data-url") + "?category=" + encodeURIComponent(key) });
        addPointLayer(map, key, id);
        map.once("idle", function () { report(form, map, keys); });
      } else if (map.getLayer(id)) {
        map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
      }
      report(form, map, keys);
    }
    boxes.forEach(function (box) {
      box.addEventListener("change", function () { apply(box); });
      if (box.checked) apply(box);
    });
    form.setAttribute("data-state", "ready");
  }

  // Area map: the local authority's assets in one source, filtered by category.
  function areaMap(el, form) {
    if (!window.maplibregl) return;
    var map;
    try {
      el.innerHTML = "";
      map = new maplibregl.Map({
        container: el,
        style: { version: 8, sources: {}, layers: [
          { id: "background", type: "background", paint: { "background-color": "#eef1f4" } }
        ] },
        bounds: JSON.parse(el.getAttribute("data-bounds")),
        fitBoundsOptions: { padding: 20 },
        attributionControl: { compact: true, customAttribution: "Assets: ACE, NHS ODS, community editors" },
        dragRotate: false, pitchWithRotate: false
      });
    } catch (err) {
      el.setAttribute("data-state", "unavailable");
      return;
    }
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    map.getCanvas().setAttribute("aria-label", "Map of the assets listed below; use the arrow keys to pan and plus or minus to zoom");
    window.__assetMap = map;
    var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox]"));
    var keys = boxes.map(function (b) { return b.value; });
    map.on("load", function () {
      map.addSource("assets", { type: "geojson", data: el.getAttribute("data-geojson") });
      if (el.getAttribute("data-outline")) {
        map.addSource("outline", { type: "geojson", data: el.getAttribute("data-outline") });
        map.addLayer({ id: "outline", type: "line", source: "outline",
          paint: { "line-color": "#2b2f36", "line-width": 2 } });
      }
      keys.forEach(function (k) {
        var filter = k === "community"
          ? ["!", ["in", ["get", "category"], ["literal", OFFICIAL]]]
          : ["==", ["get", "category"], k];
        addPointLayer(map, k, "assets", filter);
      });
      boxes.forEach(function (box) {
        var set = function () {
          map.setLayoutProperty(layerId(box.value), "visibility", box.checked ? "visible" : "none");
          report(form, map, keys);
        };
        box.addEventListener("change", set);
        set();
      });
      map.once("idle", function () {
        el.setAttribute("data-state", "painted");
        form.setAttribute("data-state", "ready");
      });
    });
  }

  function start() {
    var form = document.querySelector("form.asset-layer");
    if (!form) return;
    form.classList.add("asset-layer-live");
    var areaEl = document.getElementById("asset-map");
    if (areaEl) { areaMap(areaEl, form); return; }
    var map = window.__map;
    if (!map) return;
    if (map.loaded()) homeLayer(map, form);
    else map.on("load", function () { homeLayer(map, form); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
