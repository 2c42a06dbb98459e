// Two agents on one ticket see each other; the one about to send over the other's reply is
// warned first, and can still send; once sent, nobody is shown writing. An assignment by
// someone else raises the count of notifications in the top bar while the page is open.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DESKTOP, openPage, screenshot, signIn, waitLive, useRapport,
} from "../support.mjs";

const world = useRapport();

test("agents on the same ticket see each other and are warned before a collision", async () => {
  const { rapport, browser } = world;
  const { base, api } = rapport;
  const ticket = await api("POST", "/api/v1/tickets", {
    subject: "Charged twice for November", body: "Two charges of 49 EUR on my card.", customer: { email: "lee@example.com", name: "Lee Chen" },
  });

  const sam = await openPage(browser, DESKTOP);
  await signIn(sam, base, "sam@rapport.test", "sam-browser-2026");
  await sam.goto(`${base}/tickets/${ticket.id}`);
  await waitLive(sam);
  const priya = await openPage(browser, DESKTOP);
  await signIn(priya, base, "priya@rapport.test", "priya-browser-2026");
  await priya.goto(`${base}/tickets/${ticket.id}`);
  await waitLive(priya);

  // Each sees the other.
  await sam.locator("#presence").getByText("Priya Raman is also looking at this ticket.").waitFor();
  await priya.locator("#presence").getByText("Sam Lindqvist is also looking at this ticket.").waitFor();

  // Priya starts writing; Sam sees it.
  await priya.click("#draft");
  await priya.keyboard.type("Hi Lee, I have refunded the second charge");
  await sam.locator("#presence").getByText("Priya Raman is writing on this ticket right now.").waitFor();
  await screenshot(sam, "presence-desktop");

  // Sam tries to send anyway: warned first, nothing sent.
  await sam.fill("#draft", "Hi Lee, I'm sorry about the double charge. I will refund it today and write to you once it is done.");
  await sam.click("#send");
  await sam.locator("#collision").getByText("Priya Raman is writing a reply").waitFor();
  assert.equal((await api("GET", `/api/v1/tickets/${ticket.id}`)).messages.length, 1, "nothing sent yet");
  await screenshot(sam, "collision-warning-desktop");

  // Priya, warned in turn that Sam is writing, sends first; Sam's page shows her reply live.
  await priya.keyboard.press("Control+Enter");
  await priya.locator("#collision").getByText("Sam Lindqvist is writing a reply").waitFor();
  await priya.check("input[name=send_anyway]");
  await priya.click("#send");
  await priya.getByText("Reply sent.").waitFor();
  await sam.locator("#timeline").getByText("I have refunded the second charge").waitFor({ timeout: 10000 });
  await sam.locator("#arrived").waitFor();
  // Once she has sent, Priya is no longer writing on Sam's page (issue 11).
  await sam.locator("#presence").getByText("Priya Raman is also looking at this ticket.").waitFor();
  assert.equal(await sam.locator("#presence").getByText("Priya Raman is writing").count(), 0);
  await sam.check("input[name=send_anyway]");
  await sam.click("#send");
  await sam.getByText("Reply sent.").waitFor();
  assert.equal((await api("GET", `/api/v1/tickets/${ticket.id}`)).messages.length, 3);
  await priya.locator("#presence").getByText("Sam Lindqvist is also looking at this ticket.").waitFor();

  // Assigned to Sam by someone else: the count in his top bar goes up while he looks.
  const agents = await api("GET", "/api/v1/agents");
  const samId = (agents.items ?? agents).find((a) => a.email === "sam@rapport.test").id;
  await api("PATCH", `/api/v1/tickets/${ticket.id}`, { assignee_id: samId });
  await sam.locator("#unread-count").getByText("1").waitFor({ timeout: 10000 });
  for (const page of [sam, priya]) {
    assert.deepEqual(page.problems, []);
    assert.deepEqual(page.dialogs, []);
  }
});
