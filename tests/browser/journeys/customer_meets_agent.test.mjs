// The journey from the issue: a customer opens a ticket in the portal (on a phone), an agent
// sees it appear live, types a cold reply and sees the coach flag it, rewrites and sends it;
// the customer sees the reply and says it is not fixed, then asks for a manager and sees the
// supervisor's name.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP, PHONE, openPage, screenshot, signIn, waitLive, useRapport,
} from "../support.mjs";

const world = useRapport();

const COLD = "You should have read the manual. If you don't respond within four days, the ticket will close.";
const WARM =
  "Hi Ana, I'm sorry the plotter is still not printing from the new machines; that must be holding up your drawings. " +
  "I will install the driver on each machine this afternoon and call you by 4 pm today to check that everything prints. " +
  "Thank you for your patience.";

test("a customer's request meets an agent, the coach, and a manager", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  // Ana has written to us before: the portal knows her address.
  await api("POST", "/api/v1/customers", { name: "Ana Silva", email: "ana@harbor.example" });

  // The agent's inbox is open and live before the request arrives.
  const agent = await openPage(browser, DESKTOP);
  await signIn(agent, base, "sam@rapport.test", "sam-browser-2026");
  await agent.goto(`${base}/?view=unassigned`);
  await waitLive(agent);
  await agent.evaluate(() => { window.stillHere = true; });
  await screenshot(agent, "inbox-desktop-empty");

  // The customer signs in with a link sent by email, on a phone.
  const customer = await openPage(browser, PHONE);
  await customer.goto(`${base}/portal`);
  await screenshot(customer, "portal-sign-in-phone");
  await customer.fill("#email", "ana@harbor.example");
  await customer.click("button[type=submit]");
  await customer.getByText("Check your email").waitFor();
  const mail = await rapport.mail("ana@harbor.example", /portal\/link\//);
  const link = mail.match(/https?:\/\/\S+\/portal\/link\/[A-Za-z0-9_-]+/)[0];
  await customer.goto(link);
  await Promise.all([customer.waitForURL(`${base}/portal`), customer.click("button[type=submit]")]);

  // She opens a request, with a screenshot attached.
  await customer.click("text=New request");
  await customer.fill("#subject", "Plotter will not print from the new office");
  await customer.fill("#body", "Since we moved, none of the new machines can print to the large plotter. We have drawings due Friday.");
  await customer.setInputFiles("#files", { name: "error.txt", mimeType: "text/plain", buffer: Buffer.from("Driver not found (0x80070002)") });
  await Promise.all([customer.waitForURL(/\/portal\/tickets\/\d+/), customer.getByRole("button", { name: "Send", exact: true }).click()]);
  await customer.getByText("We have your request").waitFor();
  await customer.getByRole("link", { name: "error.txt" }).waitFor();
  const ticketUrl = customer.url().split("?")[0];
  const ticketId = ticketUrl.match(/(\d+)$/)[1];
  await screenshot(customer, "portal-ticket-phone-new");

  // It appears in the agent's inbox without a reload.
  const row = agent.locator(`#inbox-list tr[data-ticket="${ticketId}"]`);
  await row.waitFor({ timeout: 10000 });
  assert.equal(await agent.evaluate(() => window.stillHere), true, "the inbox updated in place, not by reloading");
  assert.match(await row.innerText(), /Plotter will not print/);
  await screenshot(agent, "inbox-desktop-live");

  // The agent opens it, takes it (a), and starts a reply (r).
  await row.locator("a").first().click();
  await agent.waitForURL(`${base}/tickets/${ticketId}`);
  await agent.keyboard.press("a");
  await agent.getByText("Assigned to you.").waitFor();
  await waitLive(agent);
  await agent.keyboard.press("r");
  await agent.keyboard.type(COLD);

  // The coach flags the cold reply, with the words marked in the draft.
  await agent.locator("#coach-findings li:not(.positive)").first().waitFor();
  const coldScore = Number((await agent.locator("#coach-facets .score").innerText()).match(/\d+/)[0]);
  const flagged = await agent.locator("#coach-findings li:not(.positive)").allInnerTexts();
  assert.ok(flagged.some((text) => text.includes("You should have")), `the blame is flagged: ${flagged}`);
  assert.ok(await agent.locator("#coach-findings li.serious[data-kind=closure_threat]").count() === 1, "the closure threat is serious");
  assert.match(await agent.locator("#highlights mark.serious").innerText(), /^If you don't respond/, "the threat is marked where it stands");
  const marked = await agent.locator("#highlights mark").allInnerTexts();
  assert.ok(marked.includes("You should have"), `the blame is marked in the draft: ${marked}`);
  await screenshot(agent, "ticket-desktop-cold-reply");

  // Rewritten, the reply scores better and nothing serious is left.
  await agent.fill("#draft", WARM);
  await agent.waitForFunction((cold) => {
    const score = document.querySelector("#coach-facets .score");
    return score && Number(score.textContent.match(/\d+/)[0]) >= cold + 30;
  }, coldScore, { timeout: 10000 });
  assert.equal(await agent.locator("#coach-findings li.serious").count(), 0, "no serious finding is left");
  assert.equal(await agent.locator("#highlights mark.serious").count(), 0);
  await screenshot(agent, "ticket-desktop-warm-reply");
  await agent.keyboard.press("Control+Enter");
  await agent.getByText("Reply sent.").waitFor();
  assert.match(await agent.locator("#timeline").innerText(), /install the driver on each machine/);
  // The reply also reaches her by mail, with the way back to the portal.
  const replyMail = await rapport.mail("ana@harbor.example", /install the driver on each machine/);
  assert.ok(replyMail.includes(`/portal/tickets/${ticketId}`), "the mail links to the request in the portal");

  // The fix is in: the agent asks "did this fix it?".
  await Promise.all([
    agent.waitForURL(/done=/),
    agent.getByRole("button", { name: "Propose resolution" }).click(),
  ]);

  // The customer sees the reply, with who wrote it, and says it is not fixed.
  await customer.goto(ticketUrl);
  const messages = await customer.locator("#messages").innerText();
  assert.match(messages, /install the driver on each machine/);
  assert.match(messages, /Sam Lindqvist/);
  assert.match(await customer.locator("#status").innerText(), /please tell us/i);
  await customer.fill("#words", "Still nothing prints from the two machines by the window.");
  await Promise.all([customer.waitForURL(/done=/), customer.getByRole("button", { name: "It is not fixed yet" }).click()]);
  assert.match(await customer.locator("#status").innerText(), /working on it/i);

  // The agent's open page shows her answer without a reload.
  await agent.evaluate(() => { window.stillHere = true; });
  await agent.locator("#timeline").getByText("Still nothing prints").waitFor({ timeout: 10000 });
  assert.equal(await agent.evaluate(() => window.stillHere), true);

  // She asks for a manager and sees who that is.
  assert.match(await customer.locator("#handler").innerText(), /Sam Lindqvist/);
  assert.match(await customer.locator("#supervisor").innerText(), /Priya Raman/);
  await customer.click("text=Ask for a manager");
  await customer.fill("#reason", "This has taken a week and our deadline is Friday.");
  await Promise.all([customer.waitForURL(/done=/), customer.getByRole("button", { name: "Ask for a manager" }).click()]);
  assert.match(await customer.locator(".flash.ok").innerText(), /Priya Raman/);
  assert.match(await customer.locator("#escalated").innerText(), /Priya Raman/);
  assert.match(await customer.locator("#supervisor").innerText(), /priya@rapport\.test/);
  await screenshot(customer, "portal-ticket-phone-escalated");
  // The agent's open page shows the request without a reload, and the composer kept its place.
  await agent.locator("#escalation").getByText("The customer asked for a manager").waitFor({ timeout: 10000 });
  assert.equal(await agent.evaluate(() => window.stillHere), true);

  // The supervisor finds it among the escalated tickets.
  const supervisor = await openPage(browser, DESKTOP);
  await signIn(supervisor, base, "priya@rapport.test", "priya-browser-2026");
  await supervisor.goto(`${base}/?view=escalated`);
  assert.match(await supervisor.locator("#inbox-list").innerText(), /Plotter will not print/);
  await screenshot(supervisor, "inbox-desktop-escalated");

  // The same pages at the other width, for the record.
  await customer.setViewportSize(DESKTOP);
  await customer.goto(`${base}/portal`);
  await screenshot(customer, "portal-list-desktop");
  await agent.setViewportSize(PHONE);
  await agent.goto(`${base}/tickets/${ticketId}`);
  await screenshot(agent, "ticket-phone");
  await agent.goto(`${base}/customers/${(await api("GET", `/api/v1/tickets/${ticketId}`)).customer_id}`);
  await screenshot(agent, "customer-phone");
  await agent.goto(`${base}/?view=waiting_on_us`);
  await screenshot(agent, "inbox-phone");
  await agent.goto(`${base}/tasks`);
  await screenshot(agent, "tasks-phone");
  await customer.goto(`${base}/portal/tickets/new`);
  await screenshot(customer, "portal-new-request-desktop");

  // The keyboard help opens on ?.
  await agent.setViewportSize(DESKTOP);
  await agent.goto(`${base}/`);
  await agent.keyboard.press("?");
  assert.equal(await agent.locator("#help").isVisible(), true);
  await screenshot(agent, "keyboard-help-desktop");

  for (const page of [agent, customer, supervisor]) {
    assert.deepEqual(page.problems, [], "no script errors");
    assert.deepEqual(page.dialogs, [], "no dialogs");
  }
});
