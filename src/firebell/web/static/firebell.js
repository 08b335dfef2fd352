// Firebell's own script: small, no build step, no CDN. Pages work without it; it only enhances.
"use strict";

// Forms marked data-confirm ask before they submit (a resolve or a revoke deserves a second look).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
