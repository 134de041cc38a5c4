// WebKitGTK (Safari's engine) and Firefox ESR for the Node test scripts, with a page API shaped like the parts of
// playwright-core's that tests/package/run.mjs uses. Playwright's own WebKit is a patched build it
// downloads, which this closed network cannot, so this speaks plain W3C WebDriver (global fetch, no
// dependencies) to Debian's WebKitWebDriver, which drives MiniBrowser (scripts/lib.sh ensure_apt_packages).
//
//   const page = await launchWebKit();
//   await page.goto(url);
//   await page.waitForFunction(() => document.getElementById("status").textContent === "ready", 30000);
//   const out = await page.evaluate((args) => window.runPackageTest(args), { ... });
//   const errors = await page.consoleErrors();
//   await page.close();
import { spawn } from "node:child_process";
import { createServer } from "node:net";

export const MINIBROWSER = process.env.WEBKIT_MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

// `features`: WebKit feature flags for MiniBrowser's --features, e.g. ["+WebGPU"] (MiniBrowser
// --features=help lists them).
export function launchWebKit({ features = [], scriptTimeoutMs = 600_000 } = {}) {
  return launch("webkit", { features, scriptTimeoutMs });
}

// Debian's Firefox ESR through geckodriver (scripts/lib.sh ensure_apt_packages, ensure_geckodriver), headless, with the
// same page API: playwright-core can drive only its own patched Firefox.
export function launchFirefox({ scriptTimeoutMs = 600_000 } = {}) {
  return launch("firefox", { scriptTimeoutMs });
}

async function launch(browser, { features = [], scriptTimeoutMs }) {
  const webkit = browser === "webkit";
  const driverName = webkit ? "WebKitWebDriver" : process.env.GECKODRIVER || "geckodriver";
  const children = [];
  const killAll = () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL"));
  // A crashed or interrupted test must not leave an X server and a browser behind. (Killing the
  // driver orphans MiniBrowser, but it exits when its X server goes.)
  const onSignal = (signal) => { killAll(); process.kill(process.pid, signal); };
  process.on("exit", killAll).once("SIGINT", onSignal).once("SIGTERM", onSignal);
  const detach = () => process.off("exit", killAll).off("SIGINT", onSignal).off("SIGTERM", onSignal);
  let base, session;
  try {
    const env = { ...process.env };
    if (webkit) {
      // MiniBrowser has no headless mode. -displayfd lets Xvfb pick a free display itself (no race
      // with other test runs or a desktop on :0) and tell us which.
      const xvfb = spawn("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: ["ignore", "ignore", "pipe", "pipe"] });
      children.push(xvfb);
      env.DISPLAY = `:${await new Promise((resolve, reject) => {
        let text = "";
        xvfb.stdio[3].on("data", (d) => (text += d).includes("\n") && resolve(text.trim()));
        xvfb.on("error", reject).on("exit", (code) => reject(new Error(`Xvfb exited (${code}); is xvfb installed?`)));
      })}`;
    }

    const port = await freePort();
    const driver = spawn(driverName, [`--port=${port}`], { env, stdio: ["ignore", "ignore", "pipe"] });
    children.push(driver);
    let stderr = "";
    driver.stderr.on("data", (d) => (stderr = (stderr + d).slice(-2000)));
    driver.on("error", (e) => (stderr += String(e)));
    // localhost, not 127.0.0.1: the driver may listen on ::1 only.
    base = `http://localhost:${port}`;
    for (let i = 0; ; i++) {
      if (driver.exitCode !== null || /ENOENT/.test(stderr)) throw new Error(`${driverName} did not start (is it installed?): ${stderr}`);
      if (await fetch(`${base}/status`).then((r) => r.json()).then((j) => j.value?.ready, () => false)) break;
      if (i > 100) throw new Error(`${driverName} not ready after 10 s: ${stderr}`);
      await sleep(100);
    }
    const { sessionId } = await call(base, "POST", "/session", {
      capabilities: {
        alwaysMatch: {
          // WebDriver's default script timeout (30 s) is too short for a model load on a slow CPU.
          timeouts: { script: scriptTimeoutMs, pageLoad: 120_000 },
          ...(webkit
            ? { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation", ...(features.length ? [`--features=${features.join(",")}`] : [])] } }
            : { browserName: "firefox", "moz:firefoxOptions": { args: ["-headless"] } }),
        },
      },
    });
    session = `/session/${sessionId}`;
  } catch (error) {
    killAll();
    detach();
    throw error;
  }

  const exec = (script, args = []) => call(base, "POST", `${session}/execute/sync`, { script, args });
  return {
    // Waits for the load event. A page that fails to load (connection refused ...) does not throw:
    // WebKit shows an error page, so check the page's state afterwards.
    async goto(url) {
      await call(base, "POST", `${session}/url`, { url });
      // WebDriver classic has no console events, and WebKit prints console messages only for
      // non-ephemeral sessions (automation ones are ephemeral), so record errors in the page.
      // Errors thrown before the load event (and in workers) are not seen.
      await exec(`if (!window.__webkitErrors) {
        const errors = (window.__webkitErrors = []), original = console.error;
        console.error = function (...a) { errors.push(a.map(String).join(" ")); return original.apply(this, a); };
        addEventListener("error", (e) => errors.push(String(e.error ?? e.message)));
        addEventListener("unhandledrejection", (e) => errors.push("Unhandled rejection: " + String(e.reason)));
      }`);
    },
    async waitForFunction(fn, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await exec(`return !!(${fn})()`))) {
        if (Date.now() > deadline) throw new Error(`waitForFunction timed out after ${timeoutMs} ms: ${fn}`);
        await sleep(100);
      }
    },
    // `fn` is sent as source, so it cannot close over Node variables; `arg` and the result travel as
    // JSON (undefined comes back as null). A rejection or throw in the page is rethrown here with
    // String(error) and its `code` (as ja-rerank's errors carry).
    async evaluate(fn, arg = null) {
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${fn})(arguments[0])).then(
          (value) => done({ ok: true, value: value === undefined ? null : value }),
          (e) => done({ ok: false, error: String(e), code: e?.code ?? null }));`;
      const out = await call(base, "POST", `${session}/execute/async`, { script, args: [arg] });
      if (out.ok) return out.value;
      throw Object.assign(new Error(`in ${browser}: ${out.error}`), { code: out.code });
    },
    // console.error calls, uncaught errors and unhandled rejections on the current page since goto.
    consoleErrors: () => exec("return window.__webkitErrors ?? []"),
    async close() {
      try { if (session) await call(base, "DELETE", session); } catch {} finally { killAll(); detach(); }
    },
  };
}

// One WebDriver command. WebDriver errors come with a 4xx/5xx status (a 200 body may well hold an
// `error` field of the script's own); they are thrown with the driver's error and message.
async function call(base, method, path, body) {
  const res = await fetch(base + path, { method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error ?? res.status}: ${json.value?.message ?? res.statusText}`);
  return json.value;
}

// A port free now; the driver binds it a moment later (a race we accept, as test runners do).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "localhost", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
