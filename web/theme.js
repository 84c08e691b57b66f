// Light and dark themes: follow the system until the reader picks one; the choice is remembered.
// (theme-boot.js applies a saved choice before the first paint.)
import { icon } from "/icons.js";

const KEY = "parley.theme";
const ORDER = ["system", "light", "dark"];
const LABEL = { system: "Theme: system", light: "Theme: light", dark: "Theme: dark" };
const ICON = { system: "monitor", light: "sun", dark: "moon" };

export function currentTheme() {
  const saved = localStorage.getItem(KEY);
  return saved === "light" || saved === "dark" ? saved : "system";
}

export function applyTheme(theme) {
  if (theme === "system") {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(KEY, theme);
  }
}

/// Makes `button` cycle system → light → dark, showing the current choice.
export function bindThemeToggle(button) {
  const show = () => {
    const theme = currentTheme();
    button.replaceChildren(icon(ICON[theme]));
    button.setAttribute("aria-label", `${LABEL[theme]} (change)`);
    button.title = LABEL[theme];
    button.dataset.theme = theme;
  };
  button.addEventListener("click", () => {
    applyTheme(ORDER[(ORDER.indexOf(currentTheme()) + 1) % ORDER.length]);
    show();
  });
  show();
}
