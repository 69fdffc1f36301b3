// What every form of the app does in the browser, without htmx and without inline script (the
// CSP refuses it). Without this file the forms still work: they submit unasked, and the server
// still checks everything.

// Confirm before an action that cannot be undone: a form, or the button that submits it,
// carrying data-confirm="question" asks with the browser's own dialog, and submits only on yes.
document.addEventListener("submit", (event) => {
  const asking = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
  if (asking && !window.confirm(asking)) {
    event.preventDefault();
  }
});

// A page that comes back with errors puts the cursor in the first field in error, scrolled
// into view, rather than leaving the person at the top of a long form on a phone; a refusal
// of the whole form (role="alert" with autofocus) is shown first instead.
document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[autofocus]")) {
    return;
  }
  const first = document.querySelector("[aria-invalid='true']");
  if (first) {
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  }
});
