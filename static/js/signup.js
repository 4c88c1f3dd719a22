// Sign-up: send the browser's time zone along, as the restaurant's first guess
// (onboarding shows it to be confirmed). Without JavaScript the field stays empty: UTC.
document.addEventListener("DOMContentLoaded", () => {
  const field = document.querySelector("[data-browser-timezone]");
  if (!field || field.value) return;
  try {
    field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (_error) {
    // An old browser without Intl: leave it empty.
  }
});
