// The report map: an extra on top of the text box and the latitude and longitude inputs,
// which work without it. It draws the council boundary (no tile server is needed) and a
// click on the map fills in the latitude and longitude. Keyboard users move the map with the
// arrow keys (Leaflet's own keyboard handling) and press Enter or Space to put the pin at the
// cross in the middle.
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

  var map = L.map("report-map", { zoomSnap: 0.25, keyboard: true });
  var crosshair = document.createElement("div");
  crosshair.className = "civicdesk-report-map__crosshair";
  crosshair.setAttribute("aria-hidden", "true");
  map.getContainer().appendChild(crosshair);
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

  function choose(latlng) {
    latitude.value = latlng.lat.toFixed(6);
    longitude.value = latlng.lng.toFixed(6);
    place(latlng.lat, latlng.lng);
    chosen.textContent = "You chose a place on the map. Select Continue, or choose again.";
  }

  map.on("click", function (event) {
    choose(event.latlng);
  });

  // Enter or Space on the map itself (not on its zoom buttons or links) places the pin at the
  // middle of what is shown, where the cross is.
  map.getContainer().addEventListener("keydown", function (event) {
    if (event.target !== map.getContainer()) {
      return;
    }
    if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
      event.preventDefault();
      choose(map.getCenter());
    }
  });
})();
