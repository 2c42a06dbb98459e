// An agent without rights cannot open another team's restricted ticket; a member can.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP, openPage, screenshot, signIn, useRapport,
} from "../support.mjs";

const world = useRapport();

test("a restricted team's ticket stays closed to agents outside the team", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const agents = await api("GET", "/api/v1/agents");
  const priya = (agents.items ?? agents).find((a) => a.email === "priya@rapport.test");
  const team = await api("POST", "/api/v1/teams", { name: "Legal", member_ids: [priya.id], restricted: true });
  const ticket = await api("POST", "/api/v1/tickets", {
    subject: "Subpoena for the 2025 records", body: "Attached is the court order.", customer: { email: "counsel@lawfirm.example" },
  });
  await api("PATCH", `/api/v1/tickets/${ticket.id}`, { team_id: team.id });

  const sam = await openPage(browser, DESKTOP);
  await signIn(sam, base, "sam@rapport.test", "sam-browser-2026");
  const response = await sam.goto(`${base}/tickets/${ticket.id}`);
  assert.equal(response.status(), 403);
  assert.match(await sam.locator("main").innerText(), /restricted team you are not in/);
  await screenshot(sam, "restricted-refused-desktop");
  await sam.goto(`${base}/?q=subpoena`);
  assert.match(await sam.locator("#inbox-list").innerText(), /Nothing matches/);
  await sam.goto(`${base}/?view=unassigned`);
  assert.doesNotMatch(await sam.locator("#inbox-list").innerText(), /Subpoena/);

  const member = await openPage(browser, DESKTOP);
  await signIn(member, base, "priya@rapport.test", "priya-browser-2026");
  const allowed = await member.goto(`${base}/tickets/${ticket.id}`);
  assert.equal(allowed.status(), 200);
  assert.match(await member.locator("h1").innerText(), /Subpoena/);
  assert.match(await member.locator("#ticket-state").innerText(), /team Legal/);
  for (const page of [sam, member]) {
    assert.deepEqual(page.problems, []);
  }
});
