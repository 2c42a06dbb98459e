// Two-factor sign-in in a real browser: an agent sets it up on the Account page (the code
// computed here as an authenticator app would: HMAC-SHA1 over the 30-second step), keeps the
// recovery codes, then signs in on a phone with the password and a code, and once with a
// recovery code. The new pages are checked with axe-core at both widths.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DESKTOP, PHONE, openPage, screenshot, signIn, useRapport } from "../support.mjs";

const world = useRapport();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The code an authenticator app shows, `stepsAhead` steps of 30 seconds from now. */
function totp(secret, stepsAhead = 0) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + stepsAhead));
  const hash = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = hash[hash.length - 1] & 0xf;
  return String((hash.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

async function violations(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

test("an agent sets up two-factor sign-in and signs in with a code on a phone", async () => {
  const { rapport, browser } = world;
  const { base } = rapport;

  const desk = await openPage(browser, DESKTOP);
  await signIn(desk, base, "sam@rapport.test", "sam-browser-2026");
  await desk.click("a[href='/account']");
  assert.match(await desk.locator("#two-factor").innerText(), /Off\./);
  await desk.click("text=Set up two-factor sign-in");
  const secret = (await desk.locator("#secret").innerText()).replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.match(await desk.locator("a[href^='otpauth://totp/Rapport:']").getAttribute("href"), new RegExp(`secret=${secret}&issuer=Rapport$`));
  await screenshot(desk, "two-factor-setup-desktop");
  await desk.fill("#confirm-code", totp(secret));
  await desk.click("text=Turn on");
  const codes = await desk.locator("#recovery-codes code").allInnerTexts();
  assert.equal(codes.length, 10);
  for (const code of codes) assert.match(code, /^[a-z2-7]{5}-[a-z2-7]{5}$/);
  await screenshot(desk, "two-factor-recovery-codes-desktop");
  await desk.click("text=I have kept them");
  assert.match(await desk.locator("#two-factor").innerText(), /On since/);
  assert.match(await desk.locator("#two-factor").innerText(), /10 of your recovery codes are left/);

  // On a phone: the password, then the code (the next step's: the app's clock may be ahead,
  // and the code of now was spent on the set-up).
  const phone = await openPage(browser, PHONE);
  await phone.goto(`${base}/tasks`);
  await phone.fill("#email", "sam@rapport.test");
  await phone.fill("#password", "sam-browser-2026");
  await Promise.all([phone.waitForURL(`${base}/sign-in/code**`), phone.click("button[type=submit]")]);
  assert.match(await phone.locator("h1").innerText(), /Enter your code/);
  await screenshot(phone, "two-factor-code-phone");
  await phone.fill("#code", "000000x");
  await phone.click("button[type=submit]");
  assert.match(await phone.locator("[role=alert]").innerText(), /A code is the 6 digits/);
  await phone.fill("#code", totp(secret, 1));
  await Promise.all([phone.waitForURL(`${base}/tasks`), phone.click("button[type=submit]")]);
  assert.match(await phone.locator("h1").innerText(), /My tasks/);

  // A recovery code works once in place of a code.
  const spare = await openPage(browser, PHONE);
  await spare.goto(`${base}/sign-in`);
  await spare.fill("#email", "sam@rapport.test");
  await spare.fill("#password", "sam-browser-2026");
  await Promise.all([spare.waitForURL(`${base}/sign-in/code**`), spare.click("button[type=submit]")]);
  await spare.fill("#code", codes[0].toUpperCase());
  await Promise.all([spare.waitForURL(`${base}/`), spare.click("button[type=submit]")]);
  await spare.goto(`${base}/account`);
  assert.match(await spare.locator("#two-factor").innerText(), /9 of your recovery codes are left/);
  await screenshot(spare, "two-factor-account-phone");

  for (const page of [desk, phone, spare]) assert.deepEqual(page.problems, []);

  // The new pages have no serious accessibility faults, at either width.
  const found = [];
  const checker = await (await browser.newContext({ viewport: DESKTOP, bypassCSP: true })).newPage();
  await checker.goto(`${base}/sign-in`);
  await checker.fill("#email", "sam@rapport.test");
  await checker.fill("#password", "sam-browser-2026");
  await Promise.all([checker.waitForURL(`${base}/sign-in/code**`), checker.click("button[type=submit]")]);
  for (const viewport of [DESKTOP, PHONE]) {
    await checker.setViewportSize(viewport);
    await checker.reload();
    found.push(...(await violations(checker)).map((v) => `/sign-in/code @${viewport.width}px: ${v}`));
  }
  await checker.fill("#code", codes[1]);
  await Promise.all([checker.waitForURL(`${base}/`), checker.click("button[type=submit]")]);
  for (const viewport of [DESKTOP, PHONE]) {
    await checker.setViewportSize(viewport);
    await checker.goto(`${base}/account`);
    found.push(...(await violations(checker)).map((v) => `/account @${viewport.width}px: ${v}`));
  }
  assert.deepEqual(found, []);
});
