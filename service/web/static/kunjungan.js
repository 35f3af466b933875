// The briefing's "Cetak" (print) button: the browser's print dialog. A file of its own, since the console's
// Content-Security-Policy runs no inline script; without JavaScript the button stays hidden and Ctrl+P prints.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
