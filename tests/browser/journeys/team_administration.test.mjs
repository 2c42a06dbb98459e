// An admin runs the team from the browser: invites an agent, who chooses a password through
// the mailed link and lands on their team; then an agent leaves and everything they carried is
// handed to a colleague, with nothing left orphaned (checked through the API).

import { test } from "node:test";
import assert from "node:assert/strict";
import { DESKTOP, PHONE, openPage, screenshot, signIn, useRapport } from "../support.mjs";

const world = useRapport();

test("an admin invites an agent, who signs in through the link and is on the team", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const maya = await openPage(browser, DESKTOP);
  await signIn(maya, base, "maya@rapport.test", "maya-browser-2026");
  await maya.click("a[href='/admin']");
  await maya.waitForURL(`${base}/admin/agents`);
  await maya.click("a[href='/admin/teams']");
  await maya.fill("#team-name", "Support");
  await Promise.all([maya.waitForURL(/\/admin\/teams\?done=/), maya.click("#new-team button[type=submit]")]);
  assert.match(await maya.locator("main").innerText(), /Created the team Support/);

  await maya.goto(`${base}/admin/agents`);
  await maya.fill("#invite-name", "Noor Haddad");
  await maya.fill("#invite-email", "noor@rapport.test");
  await maya.selectOption("#invite-boss", { label: "Priya Raman" });
  await maya.getByLabel("Support").check();
  await Promise.all([maya.waitForURL(/\/admin\/agents\?done=/), maya.click("#invite button[type=submit]")]);
  assert.match(await maya.locator(".flash.ok").innerText(), /Invited Noor Haddad/);
  await screenshot(maya, "admin-agents-desktop");

  const mail = await rapport.mail("noor@rapport.test", /\/password\//);
  assert.match(mail, /Maya Okafor has invited you/);
  const link = mail.match(/https?:\/\/\S+\/password\/[A-Za-z0-9]+/)[0];

  const noor = await openPage(browser, PHONE);
  await noor.goto(link);
  assert.match(await noor.locator("h1").innerText(), /Welcome, Noor Haddad/);
  await noor.fill("#password", "harbour lights at dusk");
  await noor.fill("#repeat", "harbour lights at dusk");
  await screenshot(noor, "invitation-phone");
  await Promise.all([noor.waitForURL(`${base}/`), noor.click("button[type=submit]")]);
  assert.match(await noor.locator(".who").innerText(), /Noor Haddad/);

  const teams = await api("GET", "/api/v1/teams");
  const agents = await api("GET", "/api/v1/agents");
  const noorAgent = agents.items.find((a) => a.email === "noor@rapport.test");
  const priya = agents.items.find((a) => a.email === "priya@rapport.test");
  assert.deepEqual(teams.items.find((t) => t.name === "Support").member_ids, [noorAgent.id]);
  assert.equal(noorAgent.reports_to, priya.id);

  // The link worked once.
  await noor.goto(link);
  assert.match(await noor.locator("main").innerText(), /already been used/);
  for (const page of [maya, noor]) assert.deepEqual(page.problems, []);
});

test("an agent leaves and their open work is handed to a colleague, nothing orphaned", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const agents = (await api("GET", "/api/v1/agents")).items;
  const sam = agents.find((a) => a.email === "sam@rapport.test");
  const priya = agents.find((a) => a.email === "priya@rapport.test");
  const ticket = await api("POST", "/api/v1/tickets", {
    subject: "Invoice shows the wrong VAT", body: "Please correct it.", customer: { email: "ines@example.com", name: "Ines Moreau" },
  });
  await api("PATCH", `/api/v1/tickets/${ticket.id}`, { assignee_id: sam.id });
  await api("PATCH", `/api/v1/customers/${ticket.customer_id}`, { owner_id: sam.id });
  // Sam promises something himself, from his own signed-in browser.
  const samPage = await openPage(browser, DESKTOP);
  await signIn(samPage, base, "sam@rapport.test", "sam-browser-2026");
  const made = await samPage.evaluate(async (ticketId) => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const response = await fetch("/api/v1/promises", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ ticket_id: ticketId, kind: "other", what: "Send the corrected invoice", due_at: "2030-01-10T10:00:00Z" }),
    });
    return response.json();
  }, ticket.id);
  assert.equal(made.agent_id, sam.id);
  const before = await api("GET", `/api/v1/agents/${sam.id}/work`);
  assert.equal(before.tickets.length, 1);

  for (const viewport of [DESKTOP, PHONE]) {
    const maya = await openPage(browser, viewport);
    await signIn(maya, base, "maya@rapport.test", "maya-browser-2026");
    await maya.goto(`${base}/admin/agents/${sam.id}`);
    const moves = await maya.locator("ul.moves").innerText();
    assert.match(moves, /1 open ticket\(s\): #\d+ Invoice shows the wrong VAT/);
    assert.match(moves, /customer\(s\) they own: Ines Moreau/);
    const width = await maya.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width, `the page fits the screen (${width}px at ${viewport.width}px)`);
    await screenshot(maya, `admin-hand-over-${viewport.width}`);
    if (viewport === PHONE) {
      await maya.selectOption("#hand-to", String(priya.id));
      await maya.fill("#hand-note", "Ines waits for the corrected invoice; VAT number is in her last mail.");
      await Promise.all([maya.waitForURL(/\?done=/), maya.click("#deactivate button[type=submit]")]);
      assert.match(await maya.locator(".flash.ok").innerText(), /Deactivated/);
    }
    assert.deepEqual(maya.problems, []);
  }

  const moved = await api("GET", `/api/v1/tickets/${ticket.id}`);
  assert.equal(moved.assignee_id, priya.id);
  const customer = await api("GET", `/api/v1/customers/${ticket.customer_id}`);
  assert.equal(customer.owner_id, priya.id);
  const promises = await api("GET", `/api/v1/customers/${ticket.customer_id}/promises`);
  assert.equal(promises.items.find((p) => p.id === made.id).agent_id, priya.id);
  // Sam's browser is signed out.
  await samPage.goto(`${base}/`);
  assert.match(samPage.url(), /\/sign-in/);
  const priyaWork = await api("GET", `/api/v1/agents/${priya.id}/work`);
  assert.ok(priyaWork.tickets.some((t) => t.id === ticket.id));
  const left = (await api("GET", "/api/v1/agents")).items;
  assert.ok(!left.some((a) => a.id === sam.id), "Sam is no longer listed");
  const events = await api("GET", `/api/v1/tickets/${ticket.id}/events`);
  assert.ok(JSON.stringify(events).includes("ticket.handed_over"));
});
