// The main pages, checked with axe-core (WCAG 2 A and AA rules) at desktop and phone widths:
// agents work in them all day, and customers come from every kind of device and ability.
// The check runs in its own browser context that lets axe's script in past our
// Content-Security-Policy; the other journeys keep the policy on.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { DESKTOP, PHONE, signIn, useRapport } from "../support.mjs";

const world = useRapport();
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

async function violations(page) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

test("the workspace and the portal have no serious accessibility faults", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const ticket = await api("POST", "/api/v1/tickets", {
    subject: "Scanner shows E-17", body: "The lamp error again.", customer: { email: "ana@example.com", name: "Ana Silva" },
  });
  const organization = await api("POST", "/api/v1/organizations", { name: "Silva & Sons" });
  await api("POST", `/api/v1/organizations/${organization.id}/domains`, { domain: "example.com" });
  const link = await (async () => {
    const form = await fetch(`${base}/portal`);
    const cookie = form.headers.get("set-cookie").split(";")[0];
    const csrf = (await form.text()).match(/name="csrf" value="([0-9a-f]+)"/)[1];
    await fetch(`${base}/portal/sign-in`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: cookie },
      body: new URLSearchParams({ email: "ana@example.com", csrf, next: "/portal" }),
    });
    const mail = await rapport.mail("ana@example.com", /portal\/link\//);
    return mail.match(/https?:\/\/\S+\/portal\/link\/[A-Za-z0-9_-]+/)[0];
  })();

  const found = [];
  const check = async (page, label) => {
    found.push(...(await violations(page)).map((v) => `${label} @${page.viewportSize().width}px: ${v}`));
  };
  const agent = await (await browser.newContext({ viewport: DESKTOP, bypassCSP: true })).newPage();
  const customer = await (await browser.newContext({ viewport: DESKTOP, bypassCSP: true })).newPage();
  await agent.goto(`${base}/sign-in`);
  await check(agent, "/sign-in");
  await customer.goto(`${base}/portal`);
  await check(customer, "/portal (signed out)");
  await signIn(agent, base, "sam@rapport.test", "sam-browser-2026");
  const admin = await (await browser.newContext({ viewport: DESKTOP, bypassCSP: true })).newPage();
  await admin.goto(`${base}/password/forgot`);
  await check(admin, "/password/forgot");
  await signIn(admin, base, "maya@rapport.test", "maya-browser-2026");
  await customer.goto(link);
  await Promise.all([customer.waitForURL(`${base}/portal`), customer.click("button[type=submit]")]);

  // A notification for Sam, so his notifications page has something to show.
  const agents = await api("GET", "/api/v1/agents");
  const sam = (agents.items ?? agents).find((a) => a.email === "sam@rapport.test");
  const other = await api("POST", "/api/v1/tickets", {
    subject: "Invoice address", body: "Please change the address.", customer: { email: "noor@example.com", name: "Noor" },
  });
  await api("PATCH", `/api/v1/tickets/${other.id}`, { assignee_id: sam.id });
  // A policy and an exception Sam asked for, so the policy pages have something to show.
  const policy = await api("POST", "/api/v1/policies", {
    title: "Returns within 30 days", text: "Items come back within 30 days.", rationale: "After a month they cannot be sold again.",
    alternatives: ["Store credit"], keywords: ["return"], limit_count: 2, limit_days: 365,
  });
  const exception = await api("POST", `/api/v1/tickets/${ticket.id}/policy-exceptions`, {
    policy_id: policy.id, reason: "The courier held the parcel for five weeks.", cost_minor: 12900, currency: "EUR",
    decider_id: (agents.items ?? agents).find((a) => a.email === "priya@rapport.test").id,
  });

  for (const viewport of [DESKTOP, PHONE]) {
    await agent.setViewportSize(viewport);
    await customer.setViewportSize(viewport);
    for (const path of ["/", "/?view=waiting_on_us", `/tickets/${ticket.id}`, `/customers/${ticket.customer_id}`, `/organizations/${organization.id}`, "/tasks", "/notifications", "/account", "/escalations", "/admin/service-levels", "/policies", `/policies/${policy.id}`, "/exceptions?q=courier", `/exceptions/${exception.id}`]) {
      await agent.goto(base + path);
      await check(agent, path);
    }
    // The customer's edit form, opened, and the organization's domains as an admin sees them.
    await agent.goto(`${base}/customers/${ticket.customer_id}`);
    await agent.click("#edit-customer summary");
    await check(agent, "/customers/{id} (editing)");
    await admin.setViewportSize(viewport);
    await admin.goto(`${base}/organizations/${organization.id}`);
    await check(admin, "/organizations/{id} (admin)");
    for (const path of ["/admin/agents", `/admin/agents/${ticket.assignee_id ?? 1}`, "/admin/teams", "/admin/settings", "/admin/audit"]) {
      await admin.setViewportSize(viewport);
      await admin.goto(base + path);
      await check(admin, path);
    }
    for (const path of ["/portal", `/portal/tickets/${ticket.id}`, "/portal/tickets/new", "/portal/letter"]) {
      await customer.goto(base + path);
      await check(customer, path);
    }
  }
  assert.deepEqual(found, []);
});
