// Firebell's own script: small, no build step, no CDN. Pages work without it; it only enhances.
"use strict";

// Forms marked data-confirm ask before they submit (a resolve or a revoke deserves a second look).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// Copy buttons (data-copy = the id of the field to copy): shown only where this script runs; without
// it the field is still there to select by hand.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    if (!field) return;
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Press Ctrl+C";  // no clipboard permission: the text is selected
    }
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
}
