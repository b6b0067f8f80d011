// The 地区カルテ's print button (CSP forbids inline handlers).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});

// Tables behind a disclosure are printed open: a paper copy has no button to press.
window.addEventListener("beforeprint", () => {
  document.querySelectorAll("details[data-print-open]").forEach((details) => {
    details.open = true;
  });
});
