// Stored script never runs: hostile HTML and script in a subject, a body, a customer's name
// and an HTML email, read by an agent in the inbox, search, ticket and customer pages, and by
// the customer in the portal. A script that ran would set window.pwned or open a dialog.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP, PHONE, openPage, screenshot, signIn, useRapport,
} from "../support.mjs";

const world = useRapport();

const SUBJECT = `<img src=x onerror="window.pwned=1;alert('subject')"> Invoice <script>window.pwned=1</script>`;
const BODY = `Hello <script>window.pwned=1;alert("body")</script> <svg onload="window.pwned=1;alert(2)"></svg>
"><iframe src="javascript:alert(3)"></iframe> <a href="javascript:window.pwned=1">click</a>`;

const EMAIL = [
  `From: "<script>alert('name')</script> Mallory" <mallory@evil.example>`,
  "To: support@rapport.test",
  `Subject: =?utf-8?q?=3Cimg_src=3Dx_onerror=3Dalert(4)=3E_Refund?=`,
  "Message-ID: <hostile-1@evil.example>",
  "MIME-Version: 1.0",
  "Content-Type: text/html; charset=utf-8",
  "",
  `<p>Please <b>refund</b> me.</p><script>window.pwned=1;alert(5)</script>`,
  `<img src="x" onerror="window.pwned=1;alert(6)"><a href="javascript:alert(7)">here</a>`,
  `<style>body{display:none}</style><iframe srcdoc="<script>parent.pwned=1</script>"></iframe>`,
  `<form action="https://evil.example"><input name=p></form><p onclick="alert(8)">text</p>`,
  "",
].join("\r\n");

async function assertNothingRan(page, where) {
  assert.equal(await page.evaluate(() => window.pwned), undefined, `no script ran on ${where}`);
  assert.deepEqual(page.dialogs, [], `no dialog opened on ${where}`);
  assert.deepEqual(page.problems, [], `no script error on ${where}`);
}

test("stored script in subjects, bodies, names and HTML mail never runs", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const created = await api("POST", "/api/v1/tickets", {
    subject: SUBJECT, body: BODY, customer: { email: "eve@evil.example", name: `<b onmouseover=alert(9)>Eve</b>` },
  });
  const inbound = await fetch(`${base}/api/v1/inbound/email`, {
    method: "POST",
    headers: { "Content-Type": "message/rfc822", Authorization: `Bearer ${rapport.intakeToken}` },
    body: EMAIL,
  });
  assert.equal(inbound.status, 202, await inbound.text());

  const agent = await openPage(browser, DESKTOP);
  await signIn(agent, base, "maya@rapport.test", "maya-browser-2026");
  for (const path of ["/?view=unassigned", "/?q=invoice", "/?q=refund", `/tickets/${created.id}`, `/customers/${created.customer_id}`]) {
    await agent.goto(base + path);
    await agent.waitForTimeout(300);
    await assertNothingRan(agent, path);
  }
  // The words are shown as words.
  await agent.goto(`${base}/tickets/${created.id}`);
  assert.match(await agent.locator("h1").innerText(), /<img src=x onerror=/);
  assert.match(await agent.locator("#timeline").innerText(), /<script>window\.pwned=1;alert\("body"\)<\/script>/);
  await screenshot(agent, "hostile-ticket-desktop");
  const mailTicket = await agent.evaluate(async () => {
    const response = await fetch("/?q=refund");
    const html = await response.text();
    return html.match(/\/tickets\/(\d+)/)?.[1];
  });
  assert.ok(mailTicket, "the mail became a ticket");
  await agent.goto(`${base}/tickets/${mailTicket}`);
  await agent.waitForTimeout(300);
  await assertNothingRan(agent, "the HTML mail");
  assert.match(await agent.locator("#timeline").innerText(), /Please refund me/);
  assert.equal(await agent.locator("#timeline script, #timeline iframe, #timeline [onerror], #timeline [onclick], #timeline form, #timeline style").count(), 0);
  await screenshot(agent, "hostile-mail-desktop");

  // The customer reads the same in the portal.
  const customer = await openPage(browser, PHONE);
  await customer.goto(`${base}/portal`);
  await customer.fill("#email", "eve@evil.example");
  await customer.click("button[type=submit]");
  const mail = await rapport.mail("eve@evil.example", /portal\/link\//);
  await customer.goto(mail.match(/https?:\/\/\S+\/portal\/link\/[A-Za-z0-9_-]+/)[0]);
  await Promise.all([customer.waitForURL(`${base}/portal`), customer.click("button[type=submit]")]);
  await assertNothingRan(customer, "the portal list");
  await customer.goto(`${base}/portal/tickets/${created.id}`);
  await customer.waitForTimeout(300);
  await assertNothingRan(customer, "the portal ticket");
  assert.match(await customer.locator("h1").innerText(), /<img src=x onerror=/);
  await screenshot(customer, "hostile-portal-phone");
});
