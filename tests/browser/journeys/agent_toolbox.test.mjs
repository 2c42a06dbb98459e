// The agent's everyday toolbox: a phone ticket for a new customer answered with a PDF (the
// mail that reaches the SMTP server has the file and an HTML part); a saved reply inserted,
// flagged by the coach for a cold phrase, fixed and sent; the inbox paged past a hundred
// tickets and thirty of them assigned at once; an angry request for a manager shown as such
// on the ticket and in the inbox.

import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DESKTOP, PHONE, openPage, screenshot, signIn, useRapport } from "../support.mjs";

const world = useRapport();

test("a phone ticket for a new customer, answered with a PDF", async () => {
  const { rapport, browser } = world;
  const { base } = rapport;
  const sam = await openPage(browser, DESKTOP);
  await signIn(sam, base, "sam@rapport.test", "sam-browser-2026");
  await sam.click("a[href='/tickets/new']");
  await sam.fill("#new-email", "lena@berg.example");
  await sam.fill("#new-name", "Lena Berg");
  await sam.check("input[name=channel][value=phone]");
  await sam.fill("#new-subject", "Invoice copy for March");
  await sam.fill("#new-body", "She needs a copy of the March invoice for her accountant.");
  await sam.check("input[name=log_call]");
  await sam.fill("#new-minutes", "4");
  await Promise.all([sam.waitForURL(/\/tickets\/\d+\?done=/), sam.click("form[action='/tickets'] button[type=submit]")]);
  await sam.getByText("Ticket opened.").waitFor();
  assert.match(await sam.locator("#timeline").innerText(), /March invoice/);

  const pdf = path.join(tmpdir(), "invoice-march.pdf");
  writeFileSync(pdf, "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
  await sam.fill("#draft", "Hello Lena, here is the March invoice for your accountant. Let me know if anything is missing.");
  await sam.setInputFiles("#files", pdf);
  await sam.click("#send");
  await sam.getByText("Reply sent.").waitFor();
  assert.match(await sam.locator("#timeline").innerText(), /invoice-march\.pdf/);
  const mail = await rapport.mail("lena@berg.example", /March invoice for your accountant/);
  assert.match(mail, /Content-Type: text\/html/i, "an HTML part");
  assert.match(mail, /filename="?invoice-march\.pdf/i, "the file is attached");
  assert.match(mail, /Content-Type: application\/pdf/i);
  assert.deepEqual(sam.problems, []);
});

test("a saved reply is inserted, flagged by the coach, fixed where it is kept, and sent", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const ticket = await api("POST", "/api/v1/tickets", {
    subject: "Refund still missing", body: "Where is my refund?", customer: { email: "omar@said.example", name: "Omar Said" },
  });
  const sam = await openPage(browser, DESKTOP);
  await signIn(sam, base, "sam@rapport.test", "sam-browser-2026");
  await sam.goto(`${base}/saved-replies`);
  await sam.fill("#saved-title", "Refund status");
  await sam.fill("#saved-body", "Hi {{customer.first_name}}, per policy refunds take time. If you don't respond within four days, the ticket will close.");
  await sam.fill("#saved-tags", "refund");
  await Promise.all([sam.waitForURL(/\/saved-replies\/\d+/), sam.click("form[action='/saved-replies'] button[type=submit]")]);
  assert.ok(await sam.locator("#coach-findings li.serious, #coach-findings li.warning").count() > 0, "the template is flagged where it is written");

  // Inserted into the composer, filled for this customer; the coach flags the cold phrase.
  await sam.goto(`${base}/tickets/${ticket.id}`);
  await sam.selectOption("#insert", { label: "Refund status" });
  await sam.click("#saved-replies button[type=submit]");
  await sam.waitForFunction(() => document.querySelector("#draft").value.includes("Hi Omar"));
  await sam.locator("#coach-findings li:not(.positive)").first().waitFor();
  assert.match(await sam.locator("#saved-reply-note").innerText(), /adds the tags refund/);

  // Fixed once, where it is kept, for everyone.
  const id = (await sam.locator("#saved-reply-id").inputValue());
  await sam.goto(`${base}/saved-replies/${id}`);
  await sam.fill("#saved-body", "Hi {{customer.first_name}}, I'm sorry the refund is taking this long. I have asked billing to send it today and will write to you by Friday to confirm. {{agent.name}}");
  await Promise.all([sam.waitForURL(/\?done=/), sam.click(`form[action='/saved-replies/${id}'] button[type=submit]`)]);
  assert.equal(await sam.locator("#coach-findings li.serious").count(), 0);

  await sam.goto(`${base}/tickets/${ticket.id}`);
  await sam.selectOption("#insert", { label: "Refund status" });
  await sam.click("#saved-replies button[type=submit]");
  await sam.waitForFunction(() => document.querySelector("#draft").value.includes("I'm sorry the refund"));
  await sam.click("#send");
  await sam.getByText("Reply sent.").waitFor();
  const after = await api("GET", `/api/v1/tickets/${ticket.id}`);
  assert.deepEqual(after.tags, ["refund"], "the saved reply's action followed the send");
  assert.deepEqual(sam.problems, []);
});

test("the inbox pages past a hundred tickets and thirty are assigned at once; an angry request shows", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const made = [];
  for (let i = 0; i < 110; i += 1) {
    made.push(await api("POST", "/api/v1/tickets", {
      subject: `Printer question ${i}`, body: "How do I change the toner?", customer: { email: `p${i}@print.example` },
    }));
  }
  const angry = await api("POST", "/api/v1/tickets", {
    subject: "Third time asking", customer: { email: "furious@print.example" },
    body: "This is the THIRD time I write about this!!! Nobody answers. I want to speak to your manager now.",
  });
  const agents = (await api("GET", "/api/v1/agents")).items;
  const priya = agents.find((a) => a.email === "priya@rapport.test");

  for (const viewport of [DESKTOP, PHONE]) {
    const maya = await openPage(browser, viewport);
    await signIn(maya, base, "maya@rapport.test", "maya-browser-2026");
    await maya.goto(`${base}/?view=unassigned&sort=newest`);
    const upset = maya.locator(`tr[data-ticket="${angry.id}"]`);
    assert.match(await upset.innerText(), /frustrated/);
    assert.match(await upset.innerText(), /wants a manager/);
    await screenshot(maya, `inbox-${viewport.width}`);
    const width = await maya.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= viewport.width + 1, `the inbox fits the screen (${width}px at ${viewport.width}px)`);
    if (viewport === DESKTOP) {
      const total = Number((await maya.locator("#view-total").innerText()).match(/\d+/)[0]);
      assert.ok(total > 100, `more than a page of a hundred: ${total}`);
      const seen = new Set();
      for (let page = 0; page < 5; page += 1) {
        for (const id of await maya.locator("tr[data-ticket]").evaluateAll((rows) => rows.map((r) => r.dataset.ticket))) seen.add(id);
        const next = maya.locator("a[rel=next]");
        if (await next.count() === 0) break;
        await next.click();
      }
      assert.equal(seen.size, total, "every unassigned ticket, across pages, once");
      await maya.goto(`${base}/?view=unassigned&sort=oldest`);
      const boxes = maya.locator("input[name=ticket_ids]");
      for (let i = 0; i < 30; i += 1) await boxes.nth(i).check();
      await maya.selectOption("#bulk select[name=action]", "assign");
      await maya.selectOption("#bulk select[name=assignee_id]", String(priya.id));
      await Promise.all([maya.waitForURL(/done=/), maya.click("#bulk button[type=submit]")]);
      assert.match(await maya.locator(".flash.ok").innerText(), /Changed 30 tickets/);
      const hers = await api("GET", `/api/v1/tickets?assignee_id=${priya.id}&limit=100`);
      assert.equal(hers.items.length, 30);
      await maya.goto(`${base}/tickets/${angry.id}`);
      assert.match(await maya.locator(`#message-${angry.messages[0].id} .insight`).innerText(), /frustrated.*wants a manager/s);
    }
    assert.deepEqual(maya.problems, []);
  }
});
