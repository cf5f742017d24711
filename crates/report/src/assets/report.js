// The interactive map of report.html: the analysis layers drawn with Leaflet
// on a plain background (no tiles: the report works offline). DATA is written
// by src/report/html.rs.
(function () {
  "use strict";
  var cats = DATA.categories;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function minutes(t) {
    return t == null ? "> " + DATA.limit : t.toFixed(1);
  }

  // A community's walking time to every category, met or not.
  function communityPopup(p) {
    var rows = cats.map(function (c, k) {
      return '<tr class="' + (p.ok[k] ? "ok" : "no") + '"><td>' + esc(c.zh) + " " + esc(c.en) +
        (c.required ? "" : " <small>(" + esc(DATA.text.optional) + ")</small>") +
        '</td><td class="num">' + minutes(p.t[k]) + '</td><td class="num">' + c.minutes +
        "</td><td>" + (p.ok[k] ? "✓" : "✗") + "</td></tr>";
    }).join("");
    return '<div class="popup"><b>' + esc(p.name) + "</b>" +
      (p.subdist ? " · " + esc(p.subdist) : "") +
      (p.pop != null ? "<br>" + esc(DATA.text.population) + " " + p.pop.toLocaleString() : "") +
      "<br>" + p.met + " / " + cats.length + " " + esc(DATA.text.met) + " · " +
      (p.circle ? '<span class="ok">' + esc(DATA.text.inCircle) + "</span>"
                : '<span class="no">' + esc(DATA.text.notInCircle) + "</span>") +
      "<table><tr><th>" + esc(DATA.text.category) + "</th><th>" + esc(DATA.text.walk) +
      "</th><th>" + esc(DATA.text.threshold) + "</th><th></th></tr>" + rows + "</table></div>";
  }

  function facilityPopup(p) {
    var c = cats[p.k];
    return '<div class="popup"><b>' + esc(p.name || c.zh) + "</b><br>" + esc(c.zh) + " " + esc(c.en) +
      " · " + esc(c.space) + "<br>" + esc(DATA.text.served) + " " + p.served + "</div>";
  }

  function sitePopup(p) {
    var c = cats[p.k];
    return '<div class="popup"><b>' + esc(DATA.text.newSite) + " " + esc(c.zh) + " #" + p.rank +
      "</b><br>" + esc(DATA.text.newlyCovered) + " " + p.n + (p.pop > 0 ? " · " + esc(DATA.text.population) +
      " " + p.pop.toLocaleString() : "") + "<br><small>" + esc(p.names) + "</small></div>";
  }

  // Squares for indoor spaces, circles for outdoor ones, as on the static map.
  function facilityIcon(c) {
    var shape = c.space === "indoor" ? "fac-indoor" : "fac-outdoor";
    return L.divIcon({
      className: "fac " + shape,
      html: '<span style="background:' + c.colour + '"></span>',
      iconSize: [12, 12],
    });
  }

  var map = L.map("map", { zoomSnap: 0.25, preferCanvas: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(DATA.attribution);
  L.control.scale({ imperial: false }).addTo(map);

  // The walking network under every layer, as on the static map.
  var streets = L.geoJSON(DATA.streets, {
    style: function (f) {
      return { color: "#b8b2a0", weight: f.properties.major ? 2.4 : 0.8, opacity: 0.9 };
    },
    interactive: false,
  });

  var communities = L.geoJSON(DATA.communities, {
    style: function (f) {
      var p = f.properties;
      return {
        fillColor: DATA.metColours[p.met], fillOpacity: 0.85,
        color: p.circle ? DATA.circleOutline : "#ffffff",
        weight: p.circle ? 2.5 : 0.6, className: "community",
      };
    },
    onEachFeature: function (f, layer) {
      layer.bindPopup(communityPopup(f.properties), { maxWidth: 420 });
      layer.bindTooltip(esc(f.properties.name), { sticky: true });
    },
  });

  var facilities = L.layerGroup(DATA.facilities.map(function (p) {
    return L.marker([p.lat, p.lon], { icon: facilityIcon(cats[p.k]), title: p.name || cats[p.k].zh })
      .bindPopup(facilityPopup(p));
  }));

  var sites = L.layerGroup(DATA.sites.map(function (p) {
    return L.marker([p.lat, p.lon], {
      icon: L.divIcon({
        className: "site",
        html: '<span style="background:' + p.colour + '">' + p.rank + "</span>",
        iconSize: [26, 26],
      }),
      zIndexOffset: 1000,
    }).bindPopup(sitePopup(p));
  }));

  var districts = L.geoJSON(DATA.districts, {
    style: { color: DATA.districtColour, weight: 2, dashArray: "10 4 2 4", fill: false },
    interactive: false,
  });

  var overlays = {};
  overlays[DATA.text.streets] = streets;
  overlays[DATA.text.communities] = communities;
  overlays[DATA.text.facilities] = facilities;
  if (DATA.sites.length) overlays[DATA.text.sites] = sites;
  if (DATA.districts.features.length) overlays[DATA.text.districts] = districts;
  DATA.coverage.forEach(function (layer) {
    overlays[layer.title] = L.geoJSON(layer.data, {
      style: function (f) {
        return f.properties.kind === "gap"
          ? { color: DATA.gapColour, weight: 0.8, fillColor: DATA.gapColour, fillOpacity: 0.45 }
          : { color: DATA.coveredColour, weight: 0.5, fillColor: DATA.coveredColour, fillOpacity: 0.3 };
      },
      interactive: false,
    });
  });
  if (DATA.isochrones.features.length) {
    overlays[DATA.text.isochrones] = L.geoJSON(DATA.isochrones, {
      style: function (f) {
        var c = DATA.bandColours[f.properties.b];
        return { color: c, weight: 0.5, fillColor: c, fillOpacity: 0.12 };
      },
      interactive: false,
    });
  }

  streets.addTo(map);
  communities.addTo(map);
  districts.addTo(map);
  facilities.addTo(map);
  sites.addTo(map);
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  map.fitBounds(communities.getBounds(), { padding: [10, 10] });
})();
