// Canned answers on a complaint's forms: choosing one fills its field. A file of its own, since the console's
// Content-Security-Policy runs no inline script; without JavaScript the answers are listed to copy instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-canned]")) {
    const select = box.querySelector("select[data-canned-for]");
    const field = document.getElementById(select.dataset.cannedFor);
    if (!field) continue;
    box.hidden = false;
    const copy = box.nextElementSibling;  // the texts to copy: not needed once the select works
    if (copy && copy.matches("[data-canned-copy]")) copy.hidden = true;
    select.addEventListener("change", () => {
      if (select.value) field.value = select.value;
    });
  }
});
