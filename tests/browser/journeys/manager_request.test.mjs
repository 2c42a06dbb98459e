// The journey from issue 12: a customer's email asks for a manager; the case goes to the
// handler's supervisor with a deadline; she sees it in her Escalated list (on a phone) and
// acknowledges it; the customer then reads her name in the portal.

import { test } from "node:test";
import assert from "node:assert/strict";
import { DESKTOP, PHONE, openPage, screenshot, signIn, useRapport } from "../support.mjs";

const world = useRapport();

function mail(from, subject, messageId, body) {
  return `From: ${from}\r\nTo: support@rapport.localhost\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\n` +
    `Date: Mon, 07 Dec 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
}

async function deliver(rapport, raw) {
  const response = await fetch(`${rapport.base}/api/v1/inbound/email`, {
    method: "POST",
    headers: { "Content-Type": "message/rfc822", Authorization: `Bearer ${rapport.intakeToken}` },
    body: raw,
  });
  const text = await response.text();
  assert.equal(response.status, 202, text);
  return JSON.parse(text);
}

test("an email asking for a manager reaches the supervisor, who acknowledges it, and the customer sees her name", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const agents = (await api("GET", "/api/v1/agents")).items;
  const sam = agents.find((a) => a.email === "sam@rapport.test");

  // Lena writes; Sam handles it.
  const first = await deliver(rapport, mail("Lena Park <lena@harbor.example>", "Invoice charged twice", "lena-1@harbor.example",
    "We were charged twice for November."));
  const ticketId = first.ticket_id;
  await api("PATCH", `/api/v1/tickets/${ticketId}`, { assignee_id: sam.id });

  // Her next mail asks for a manager: the case goes up to Priya, Sam's supervisor.
  await deliver(rapport, mail("Lena Park <lena@harbor.example>", `Re: Invoice charged twice [#${ticketId}]`, "lena-2@harbor.example",
    "Nobody has fixed this in two weeks. I want to speak to a manager."));

  // Priya, on her phone, finds it in her Escalated list, soonest deadline first.
  const priya = await openPage(browser, PHONE);
  await signIn(priya, base, "priya@rapport.test", "priya-browser-2026");
  await priya.goto(`${base}/escalations`);
  const line = priya.locator("#escalations tbody tr", { hasText: "Invoice charged twice" });
  await line.waitFor();
  assert.match(await line.innerText(), /email asks for a manager/);
  assert.match(await line.innerText(), /Priya Raman \(you\)/);
  await screenshot(priya, "escalated-phone");
  const width = await priya.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width + 1, `the list fits a phone (${width} px)`);

  // She opens the ticket and acknowledges it there.
  await priya.setViewportSize(DESKTOP);
  await priya.goto(`${base}/tickets/${ticketId}`);
  await priya.locator("#escalation").getByText("to acknowledge by").waitFor();
  await Promise.all([
    priya.waitForURL(/\/tickets\/\d+/),
    priya.getByRole("button", { name: "Acknowledge: it is mine" }).click(),
  ]);
  await priya.getByText("You acknowledged the escalation").waitFor();
  await screenshot(priya, "escalation-acknowledged-desktop");
  const [escalation] = (await api("GET", "/api/v1/escalations")).items;
  assert.ok(escalation.acknowledged_at, "recorded as acknowledged");

  // Lena signs in to the portal and reads who has her case.
  const lena = await openPage(browser, PHONE);
  await lena.goto(`${base}/portal`);
  await lena.fill("#email", "lena@harbor.example");
  await lena.click("button[type=submit]");
  await lena.getByText("Check your email").waitFor();
  const signIn_ = await rapport.mail("lena@harbor.example", /portal\/link\//);
  const link = signIn_.match(/https?:\/\/\S+\/portal\/link\/[A-Za-z0-9_-]+/)[0];
  await lena.goto(link);
  await Promise.all([lena.waitForURL(`${base}/portal`), lena.click("button[type=submit]")]);
  await lena.goto(`${base}/portal/tickets/${ticketId}`);
  await lena.getByText("Priya Raman has taken your case.").waitFor();
  assert.match(await lena.locator("#supervisor, #handler").first().innerText(), /Sam Lindqvist|Priya Raman/);
  await screenshot(lena, "portal-manager-named-phone");
});
