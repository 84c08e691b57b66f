// Logging in and creating an account.
import { ApiError, Session, Site } from "/api.js";
import { $ } from "/dom.js";

let mode = "login";

/// Shows the form; `onAuthenticated(session)` is called after a successful login.
export function initAuth(onAuthenticated) {
  $("tab-login").addEventListener("click", () => setMode("login"));
  $("tab-register").addEventListener("click", () => setMode("register"));
  for (const tab of [$("tab-login"), $("tab-register")]) {
    tab.addEventListener("keydown", (event) => {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        setMode(mode === "login" ? "register" : "login");
        $(mode === "login" ? "tab-login" : "tab-register").focus();
      }
    });
  }
  // Another account (or no account) asks for a code again only if it needs one.
  $("auth-username").addEventListener("input", () => askForCode(false));
  $("auth-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("auth-username").value.trim();
    const password = $("auth-password").value;
    const displayName = $("auth-display-name").value.trim();
    const code = $("auth-code-field").hidden ? "" : $("auth-code").value.trim();
    const problem = check(username, password);
    if (problem) {
      showProblem(problem, [problem.includes("password") ? "auth-password" : "auth-username"]);
      return;
    }
    if (!$("auth-code-field").hidden && !code) {
      showProblem("Enter the code from your authenticator app.", ["auth-code"]);
      $("auth-code").focus();
      return;
    }
    showProblem(null);
    $("auth-submit").disabled = true;
    try {
      if (mode === "register") await Session.register(username, password, displayName || undefined);
      const session = await Session.login(username, password, code);
      $("auth-password").value = "";
      askForCode(false);
      await onAuthenticated(session);
    } catch (error) {
      if (error.code === "two_factor_required") {
        // The password was right: the account also wants a code from its app.
        askForCode(true);
        showProblem("Enter the code from your authenticator app.", ["auth-code"]);
        $("auth-code").focus();
        return;
      }
      showProblem(describe(error), fieldsOf(error));
      // Closed since this page asked: the sign-up tab goes.
      if (error.code === "registration_closed") checkRegistration();
      if (error.code === "invalid_code") {
        $("auth-code").select();
      }
    } finally {
      $("auth-submit").disabled = false;
    }
  });
}

/// Shows (or hides and clears) the code field of the login form.
function askForCode(ask) {
  $("auth-code-field").hidden = !ask;
  if (!ask) $("auth-code").value = "";
}

function check(username, password) {
  if (!username) return "Enter your username.";
  if (mode === "register" && !/^[A-Za-z0-9_.-]{3,32}$/.test(username)) return "A username is 3–32 letters, digits, “_”, “.” or “-”.";
  if (!password) return "Enter your password.";
  if (mode === "register" && new TextEncoder().encode(password).length < 8) return "A password is at least 8 characters.";
  return null;
}

/// Shows a problem with the form (or clears it), marking the fields it is about: invalid, and
/// described by it, so a screen reader says it again on the field, not only once (a hunt).
function showProblem(message, fields = []) {
  $("auth-error").textContent = message ?? "";
  for (const id of ["auth-username", "auth-password", "auth-code"]) {
    if (message && fields.includes(id)) {
      $(id).setAttribute("aria-invalid", "true");
      $(id).setAttribute("aria-describedby", "auth-error");
    } else {
      $(id).removeAttribute("aria-invalid");
      $(id).removeAttribute("aria-describedby");
    }
  }
}

/// The fields a refusal is about (none for one about the server or the connection).
function fieldsOf(error) {
  if (!(error instanceof ApiError) || error.status === 429) return [];
  if (error.code === "invalid_code") return ["auth-code"];
  if (/username/u.test(error.code)) return ["auth-username"];
  if (/password/u.test(error.code)) return ["auth-password"];
  return error.status === 401 ? ["auth-username", "auth-password"] : [];
}

function describe(error) {
  if (!(error instanceof ApiError)) return "Cannot reach Parley. Check your connection and try again.";
  if (error.code === "username_taken") return "That username is taken.";
  if (error.status === 429) return `Too many attempts. Try again${error.retryAfter ? ` in ${error.retryAfter} s` : " later"}.`;
  return error.message;
}

function setMode(next) {
  mode = next;
  const register = mode === "register";
  $("tab-login").setAttribute("aria-selected", String(!register));
  $("tab-register").setAttribute("aria-selected", String(register));
  $("tab-login").tabIndex = register ? -1 : 0;
  $("tab-register").tabIndex = register ? 0 : -1;
  $("auth-form").setAttribute("aria-labelledby", register ? "tab-register" : "tab-login");
  $("auth-display-field").hidden = !register;
  $("auth-hint").hidden = !register;
  $("auth-password").autocomplete = register ? "new-password" : "current-password";
  $("auth-submit").textContent = register ? "Create account" : "Log in";
  showProblem(null);
  askForCode(false);
}

export function showAuth(message = "") {
  $("boot").hidden = true;
  $("chat").hidden = true;
  $("auth").hidden = false;
  showProblem(message);
  $("auth-username").focus();
  checkRegistration();
}

/// Offers "Create account" only while the site takes new accounts (a site admin may leave making
/// them to site admins). Unknown (no answer), it is offered: the server refuses if it must.
async function checkRegistration() {
  let closed = false;
  try {
    closed = (await Site.settings()).settings.registration === "closed";
  } catch {
    // offered
  }
  // (The tabs go with it: "Log in" alone is no choice.)
  $("tab-register").parentElement.hidden = closed;
  $("auth-closed").hidden = !closed;
  if (closed && mode === "register") setMode("login");
}

/// The login form for `username` (after a password reset), with a notice.
export function showLogin(username, message) {
  setMode("login");
  showAuth(message);
  $("auth-username").value = username;
  $("auth-password").value = "";
  $("auth-password").focus();
}
