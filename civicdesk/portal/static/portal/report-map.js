// The report map: an extra on top of the text box and the latitude and longitude inputs,
// which work without it. It draws the council boundary (no tile server is needed) and a
// click on the map fills in the latitude and longitude.
(function () {
  "use strict";
  var wrapper = document.querySelector("[data-report-map]");
  if (!wrapper || typeof L === "undefined") {
    return;
  }
  var latitude = document.getElementById(wrapper.getAttribute("data-latitude"));
  var longitude = document.getElementById(wrapper.getAttribute("data-longitude"));
  var chosen = document.getElementById("report-map-chosen");
  var boundaryElement = document.getElementById("report-boundary");
  var boundary = boundaryElement ? JSON.parse(boundaryElement.textContent) : null;
  wrapper.hidden = false;

  var map = L.map("report-map", { zoomSnap: 0.25 });
  var tileUrl = wrapper.getAttribute("data-tile-url");
  if (tileUrl) {
    L.tileLayer(tileUrl, {
      maxZoom: 19,
      attribution: wrapper.getAttribute("data-tile-attribution") || ""
    }).addTo(map);
  }
  var area = null;
  if (boundary && boundary.type) {
    area = L.geoJSON(boundary, {
      interactive: false,
      style: { color: "#1d70b8", weight: 3, fillColor: "#1d70b8", fillOpacity: 0.08 }
    }).addTo(map);
    map.fitBounds(area.getBounds());
  } else {
    map.setView([52.7, -2.5], 10);
  }

  var marker = null;
  function place(lat, lng) {
    if (marker) {
      marker.setLatLng([lat, lng]);
    } else {
      marker = L.circleMarker([lat, lng], {
        radius: 9, color: "#0b0c0c", weight: 3, fillColor: "#ffdd00", fillOpacity: 1
      }).addTo(map);
    }
  }

  if (latitude && longitude && latitude.value && longitude.value) {
    var lat = parseFloat(latitude.value);
    var lng = parseFloat(longitude.value);
    if (!isNaN(lat) && !isNaN(lng)) {
      place(lat, lng);
    }
  }

  map.on("click", function (event) {
    var lat = event.latlng.lat.toFixed(6);
    var lng = event.latlng.lng.toFixed(6);
    latitude.value = lat;
    longitude.value = lng;
    place(event.latlng.lat, event.latlng.lng);
    chosen.textContent = "You chose a place on the map. Select Continue, or choose again.";
  });
})();
