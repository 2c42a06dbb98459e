// What every browser journey needs: a real `rapport serve` on a fresh database (SQLite, or
// PostgreSQL when RAPPORT_TEST_DATABASE_URL is set), a real SMTP server (aiosmtpd) catching
// outgoing mail in a Maildir, headless Chromium from Debian's package, and screenshots saved
// as artifacts under target/browser-artifacts/.

import { chromium } from "playwright-core";
import { after, before } from "node:test";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const binary = process.env.RAPPORT_BIN || path.join(root, "target/debug/rapport");
export const artifacts = path.join(root, "target/browser-artifacts");
mkdirSync(artifacts, { recursive: true });

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitFor(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => { socket.end(); resolve(true); });
    socket.on("error", () => resolve(false));
  });
}

/** A real SMTP server writing what it receives into a Maildir. */
async function startSmtp(dir) {
  const port = await freePort();
  const maildir = path.join(dir, "maildir");
  const child = spawn("python3", ["-m", "aiosmtpd", "-n", "-l", `127.0.0.1:${port}`,
    "-c", "aiosmtpd.handlers.Mailbox", maildir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`aiosmtpd exited: ${stderr} (scripts/test installs it)`);
    return canConnect(port);
  }, "aiosmtpd");
  return { port, maildir, child };
}

/** A database for one run: a temporary SQLite file, or a new PostgreSQL database. */
function database(dir) {
  const url = process.env.RAPPORT_TEST_DATABASE_URL;
  if (!url) return { url: null, drop() {} };
  const name = `rapport_browser_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const run = (sql) => {
    const out = spawnSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-qc", sql], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`psql failed: ${out.stderr}`);
  };
  run(`CREATE DATABASE ${name}`);
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return { url: parsed.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Starts Rapport with a fresh workspace: an admin (Maya), a supervisor (Priya, reports to
 * Maya) and an agent (Sam, reports to Priya), all with the password "<first name>-browser-2026".
 */
export async function startRapport() {
  const dir = mkdtempSync(path.join(tmpdir(), "rapport-browser-"));
  const smtp = await startSmtp(dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const db = database(dir);
  const config = path.join(dir, "rapport.toml");
  writeFileSync(config, [
    `data_dir = ${JSON.stringify(path.join(dir, "data"))}`,
    db.url ? `database_url = ${JSON.stringify(db.url)}` : "",
    `listen = "127.0.0.1:${port}"`,
    `public_url = "${base}"`,
    `worker_interval_seconds = 1`,
    `mail_from = "support@rapport.test"`,
    `[smtp]`,
    `host = "127.0.0.1"`,
    `port = ${smtp.port}`,
    `security = "none"`,
    "",
  ].join("\n"));

  const cli = (args, input) => {
    const out = spawnSync(binary, ["--config", config, ...args], { input, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`rapport ${args.join(" ")} failed: ${out.stderr}`);
    return out.stdout.trim();
  };
  cli(["admin", "create-agent", "--email", "maya@rapport.test", "--name", "Maya Okafor", "--role", "admin", "--password-stdin"], "maya-browser-2026\n");
  cli(["admin", "create-agent", "--email", "priya@rapport.test", "--name", "Priya Raman", "--role", "supervisor", "--reports-to", "maya@rapport.test", "--password-stdin"], "priya-browser-2026\n");
  cli(["admin", "create-agent", "--email", "sam@rapport.test", "--name", "Sam Lindqvist", "--role", "agent", "--reports-to", "priya@rapport.test", "--password-stdin"], "sam-browser-2026\n");
  const token = cli(["admin", "create-token", "--email", "maya@rapport.test"]);
  // Mail is posted with its own credential, as a mail gateway would.
  const intakeToken = cli(["admin", "create-intake-token", "--label", "browser journeys"]);

  const server = spawn(binary, ["--config", config, "serve"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  server.stderr.on("data", (d) => { log += d; });
  await waitFor(async () => {
    if (server.exitCode !== null) throw new Error(`rapport serve exited: ${log}`);
    try {
      return (await fetch(`${base}/healthz`)).ok;
    } catch (_) {
      return false;
    }
  }, "rapport serve");

  const api = async (method, url, body) => {
    const response = await fetch(base + url, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };

  return {
    base,
    api,
    token,
    intakeToken,
    log: () => log,
    /** The newest mail to `to` whose text matches `pattern`, waiting for it to arrive. */
    async mail(to, pattern) {
      return waitFor(() => {
        const folder = path.join(smtp.maildir, "new");
        let files = [];
        try { files = readdirSync(folder); } catch (_) { return null; }
        for (const file of files.sort().reverse()) {
          const text = decodeMail(readFileSync(path.join(folder, file), "utf8"));
          if (text.includes(to) && pattern.test(text)) return text;
        }
        return null;
      }, `a mail to ${to}`);
    },
    async stop() {
      server.kill("SIGTERM");
      smtp.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A mail's text with a quoted-printable body decoded, as a mail program would show it. */
function decodeMail(raw) {
  if (!/^Content-Transfer-Encoding:\s*quoted-printable/im.test(raw)) return raw;
  return raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * For a test file: a fresh Rapport and a browser before its tests, both stopped after.
 * Returns an object whose `rapport` and `browser` are set once they run.
 */
export function useRapport() {
  const world = { rapport: null, browser: null };
  before(async () => {
    world.rapport = await startRapport();
    world.browser = await launchBrowser();
  });
  after(async () => {
    await world.browser?.close();
    await world.rapport?.stop();
  });
  return world;
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/**
 * A browser page that fails the test on any script error, and records every JavaScript
 * dialog (a stored script that runs would most likely open one).
 */
export async function openPage(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on("pageerror", (error) => page.problems.push(`script error: ${error.message}`));
  page.on("dialog", async (dialog) => {
    page.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  return page;
}

export async function signIn(page, base, email, password) {
  await page.goto(`${base}/sign-in`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(`${base}/**`), page.click("button[type=submit]")]);
}

/** Waits until the page's live connection (server-sent events) is open. */
export async function waitLive(page) {
  await page.waitForFunction(() => document.documentElement.dataset.live === "on", null, { timeout: 10000 });
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}
