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
