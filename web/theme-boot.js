// Applies a saved theme before the first paint (the module scripts run too late and would flash).
try {
  const theme = localStorage.getItem("parley.theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // Storage may be unavailable; the system theme applies.
}
