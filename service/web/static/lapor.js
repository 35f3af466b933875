// Progressive enhancement of the public complaint pages: the forms work without it.
(function () {
  "use strict";
  var locate = document.querySelector(".lapor-locate");
  if (locate && "geolocation" in navigator) {
    var status = document.querySelector(".lapor-locate-status");
    var field = document.getElementById("titik");
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = locate.dataset.busy;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          field.value = position.coords.latitude.toFixed(6) + ", " + position.coords.longitude.toFixed(6);
          status.textContent = locate.dataset.done;
        },
        function () {
          status.textContent = locate.dataset.failed;
        },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
      );
    });
  }
  // The map: a click fills the point here instead of sending the form (without JavaScript the server does it),
  // by the projection the server drew the map with; the image is drawn again with the point marked.
  var map = document.querySelector(".lapor-map-image");
  if (map) {
    var point = document.getElementById("titik");
    var fromMap = document.getElementById("peta_titik");
    var mapStatus = document.querySelector(".lapor-map-status");
    map.addEventListener("click", function (event) {
      var d = map.dataset;
      var unit = Number(d.unit) * Number(map.getAttribute("width")) / map.clientWidth;
      var x = event.offsetX * unit, y = event.offsetY * unit;
      var lat = Number(d.north) - (y - Number(d.padding)) / Number(d.yScale);
      var lon = Number(d.west) + (x - Number(d.padding)) / Number(d.xScale);
      if (!isFinite(lat) || !isFinite(lon)) { return; }
      event.preventDefault();
      var text = lat.toFixed(6) + ", " + lon.toFixed(6);
      point.value = text;
      fromMap.value = text;
      map.src = map.src.split("?")[0] + "?titik=" + encodeURIComponent(lat.toFixed(6) + "," + lon.toFixed(6));
      mapStatus.textContent = d.picked.replace("{point}", text);
    });
  }
  var print = document.querySelector(".lapor-print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  var copy = document.querySelector(".lapor-copy");
  if (copy && navigator.clipboard) {
    var copied = document.querySelector(".lapor-copy-status");
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.dataset.text).then(function () {
        copied.textContent = copy.dataset.copied;
      });
    });
  }
})();
