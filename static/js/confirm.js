// Confirm before an action that cannot be undone: a form, or the button that submits it,
// carrying data-confirm="question" asks with the browser's own dialog, and submits only on
// yes. Plain forms keep working without htmx; without this script they submit unasked, and
// the server's own checks still hold.
document.addEventListener("submit", (event) => {
  const asking = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
  if (asking && !window.confirm(asking)) {
    event.preventDefault();
  }
});
