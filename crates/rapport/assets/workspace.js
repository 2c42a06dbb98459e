// Rapport agent workspace: progressive enhancement over server-rendered pages.
// Everything here is optional; without it the pages read and the forms submit.
// - live updates by server-sent events (/live), presence and "someone is writing"
// - the reply coach beside the composer, updating as the agent types
// - keyboard shortcuts (press ? for the list)
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  // Times in the viewer's zone: times.js, loaded first, does the page; refreshed parts again.
  const localizeTimes = window.Rapport?.localizeTimes || (() => {});

  // Date-and-time fields are sent in UTC; with script, people type their own local time.
  document.querySelectorAll("input[type=datetime-local][data-utc]").forEach((input) => {
    const zone = input.labels?.[0]?.querySelector(".zone");
    if (zone) zone.textContent = "(your time)";
    input.form?.addEventListener("submit", () => {
      const local = new Date(input.value);
      if (!isNaN(local)) input.value = local.toISOString().slice(0, 16);
    });
  });

  // ---- Replacing parts of the page with a fresh copy from the server --------------------
  async function refresh(ids) {
    const response = await fetch(location.href, { headers: { Accept: "text/html" } });
    if (!response.ok) return null;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ids) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (now && next) {
        now.replaceWith(next);
        localizeTimes(next);
      } else if (now && !next) {
        now.remove();
      }
    }
    return fresh;
  }

  // ---- The count of unread notifications in the top bar ---------------------------------
  // Every page's live stream sends it when it changes; the number comes from the database.
  const unreadCount = document.getElementById("unread-count");
  const unread = document.getElementById("unread");
  function showUnread(data) {
    if (!unreadCount || typeof data.unread !== "number") return;
    unreadCount.textContent = String(data.unread);
    if (unread) unread.hidden = data.unread === 0;
  }
  let listening = false;

  // ---- Keyboard shortcuts ---------------------------------------------------------------
  const help = document.getElementById("help");
  document.querySelector(".help-button")?.addEventListener("click", () => help?.showModal());
  let pendingG = false;

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function rows() {
    return Array.from(document.querySelectorAll("#inbox-list tbody tr[data-href]"));
  }

  function select(delta) {
    const all = rows();
    if (!all.length) return;
    let index = all.findIndex((row) => row.classList.contains("selected"));
    index = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + delta));
    all.forEach((row) => row.classList.remove("selected"));
    all[index].classList.add("selected");
    all[index].scrollIntoView({ block: "nearest" });
  }

  // The inbox remembers its order, so ] and [ on a ticket go to the next and previous one.
  function rememberOrder() {
    const ids = rows().map((row) => row.dataset.ticket).filter(Boolean);
    if (ids.length) sessionStorage.setItem("rapport.order", JSON.stringify(ids));
  }

  function neighbour(delta) {
    const page = document.querySelector("[data-live=ticket]");
    if (!page) return;
    let order = [];
    try { order = JSON.parse(sessionStorage.getItem("rapport.order") || "[]"); } catch (_) { /* none */ }
    const index = order.indexOf(page.dataset.ticket);
    const next = order[index + delta];
    if (index >= 0 && next) location.href = "/tickets/" + next;
  }

  function compose(mode) {
    const composer = document.getElementById("composer");
    if (!composer) return;
    const radio = composer.querySelector(`input[name=visibility][value=${mode}]`);
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    document.getElementById("draft")?.focus();
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "draft") {
      event.preventDefault();
      document.getElementById("composer")?.requestSubmit();
      return;
    }
    if (event.key === "Escape" && typing(event.target)) {
      event.target.blur();
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (pendingG) {
      pendingG = false;
      if (event.key === "i") location.href = "/";
      return;
    }
    switch (event.key) {
      case "?": help?.open ? help.close() : help?.showModal(); break;
      case "/": event.preventDefault(); document.getElementById("search")?.focus(); break;
      case "g": pendingG = true; setTimeout(() => { pendingG = false; }, 1000); break;
      case "j": select(1); break;
      case "k": select(-1); break;
      case "Enter": {
        const row = document.querySelector("#inbox-list tr.selected");
        if (row) location.href = row.dataset.href;
        break;
      }
      case "]": neighbour(1); break;
      case "[": neighbour(-1); break;
      case "r": event.preventDefault(); compose("public"); break;
      case "n": event.preventDefault(); compose("internal"); break;
      case "a": document.getElementById("assign-to-me")?.requestSubmit(); break;
      default: return;
    }
  });

  // ---- Inbox ----------------------------------------------------------------------------
  const inbox = document.querySelector("[data-live=inbox]");
  if (inbox) {
    rememberOrder();
    document.addEventListener("click", (event) => {
      const row = event.target.closest?.("#inbox-list tr[data-href]");
      // A click on the row opens the ticket; one on its link or its tick box does only that.
      if (row && !event.target.closest("a, input, label, select, button")) location.href = row.dataset.href;
    });
    listen(null, {
      change: debounce(async () => {
        const selected = document.querySelector("#inbox-list tr.selected")?.dataset.href;
        // Ticks for a bulk change, and what the bulk form says, survive the fresh list.
        const ticked = new Set(Array.from(document.querySelectorAll("input[name=ticket_ids]:checked"), (box) => box.value));
        const bulk = document.getElementById("bulk");
        const bulkValues = bulk ? Array.from(bulk.elements, (field) => [field.name, field.value]) : [];
        await refresh(["inbox-list", "views"]);
        if (selected) document.querySelector(`#inbox-list tr[data-href="${CSS.escape(selected)}"]`)?.classList.add("selected");
        document.querySelectorAll("input[name=ticket_ids]").forEach((box) => { box.checked = ticked.has(box.value); });
        const freshBulk = document.getElementById("bulk");
        if (freshBulk) {
          for (const [name, value] of bulkValues) {
            const field = name && freshBulk.elements.namedItem(name);
            if (field && field.type !== "hidden" && "value" in field) field.value = value;
          }
        }
        rememberOrder();
      }, 200),
    });
  }

  // ---- Ticket page ----------------------------------------------------------------------
  const ticketPage = document.querySelector("[data-live=ticket]");
  if (ticketPage) {
    const ticketId = Number(ticketPage.dataset.ticket);
    const me = Number(ticketPage.dataset.agent);
    const composer = document.getElementById("composer");
    const draft = document.getElementById("draft");
    const seen = composer?.querySelector("input[name=seen_message_id]");
    const presence = document.getElementById("presence");
    let others = [];

    function showPresence() {
      if (!presence) return;
      presence.textContent = "";
      for (const viewer of others) {
        const line = document.createElement("p");
        line.className = viewer.composing ? "someone" : "muted small";
        line.textContent = viewer.composing
          ? `${viewer.name} is writing on this ticket right now.`
          : `${viewer.name} is also looking at this ticket.`;
        presence.appendChild(line);
      }
    }

    function newestMessageId() {
      const ids = Array.from(document.querySelectorAll("#timeline [data-message]"))
        .map((el) => Number(el.dataset.message));
      return ids.length ? Math.max(...ids) : 0;
    }

    const refreshTicket = debounce(async () => {
        const before = newestMessageId();
        await refresh(["timeline", "ticket-state", "escalation", "relationship"]);
        const after = newestMessageId();
        if (after > before && draft && draft.value.trim() !== "") {
          let note = document.getElementById("arrived");
          if (!note) {
            note = document.createElement("p");
            note.id = "arrived";
            note.className = "flash warn";
            presence?.after(note);
          }
          note.textContent = "A new message arrived while you were writing. Read it before you send.";
        } else if (after > before && seen) {
          seen.value = String(after);
        }
      }, 150);
    // Composing: tell the others, so they see it and get a warning before sending. Writing
    // belongs to this page, which its stream names: another tab of ours is not writing, and
    // when this page goes away, so does its writing.
    let composingSent = false;
    let idle = null;
    let pageName = null;
    listen(ticketId, {
      change: (data) => {
        if (data.ticket_id === undefined || data.ticket_id === ticketId) refreshTicket();
      },
      presence: (data) => {
        others = (data.viewers || []).filter((v) => v.agent_id !== me);
        showPresence();
      },
      page: (data) => {
        // A new stream (the tab was hidden, then shown) is a new page: say again if writing.
        pageName = data.page || null;
        if (composingSent) {
          composingSent = false;
          tellComposing(true);
        }
      },
    });

    function tellComposing(composing) {
      if (composing === composingSent) return;
      composingSent = composing;
      // keepalive: sent as the page goes away (after "Send", or leaving it), the signal
      // must still arrive, or the others keep seeing this agent writing.
      fetch("/live/composing", {
        method: "POST",
        keepalive: true,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ ticket_id: ticketId, composing, page: pageName }),
      }).catch(() => {});
    }

    if (composer && draft) {
      // The coach reads as one types; the button for pages without script is not needed.
      composer.querySelector(".coach-check")?.setAttribute("hidden", "");
      const isInternal = () => composer.querySelector("input[name=visibility]:checked")?.value === "internal";
      composer.addEventListener("change", (event) => {
        if (event.target.name === "visibility") {
          composer.classList.toggle("internal", isInternal());
          review();
        }
      });
      // The customer's concerns are ticked off as the draft uses their words (compared
      // without endings, as the coach does: "invoices" answers "invoice").
      const concerns = [...document.querySelectorAll("#concerns li[data-keywords]")];
      const stem = (word) => {
        for (const suffix of ["ing", "ed", "es", "s", "ly"]) {
          if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
        }
        return word;
      };
      const tickConcerns = () => {
        const words = new Set((draft.value.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).map(stem));
        for (const item of concerns) {
          const keys = item.dataset.keywords.toLowerCase().split(/\s+/).filter(Boolean).map(stem);
          item.classList.toggle("answered", keys.some((key) => words.has(key)));
        }
      };
      tickConcerns();
      draft.addEventListener("input", () => {
        tickConcerns();
        tellComposing(draft.value.trim() !== "");
        clearTimeout(idle);
        idle = setTimeout(() => tellComposing(false), 15000);
        reviewSoon();
      });
      // A saved reply goes into the draft where the cursor is, filled for this ticket, and the
      // coach reads it like anything typed; its actions follow the send.
      const saved = document.getElementById("saved-replies");
      saved?.addEventListener("submit", async (event) => {
        event.preventDefault();
        const id = saved.querySelector("select[name=insert]").value;
        const ticket = composer.getAttribute("action").split("/")[2];
        const response = await fetch(`/api/v1/saved-replies/${id}/fill?ticket_id=${ticket}`, { headers: { Accept: "application/json" } });
        if (!response.ok) {
          saved.submit();
          return;
        }
        const filled = await response.json();
        const at = draft.selectionStart ?? draft.value.length;
        draft.value = draft.value.slice(0, at) + filled.text + draft.value.slice(draft.selectionEnd ?? at);
        draft.focus();
        document.getElementById("saved-reply-id").value = String(filled.id);
        const note = document.getElementById("saved-reply-note");
        const title = saved.querySelector("select[name=insert] option:checked").textContent;
        const does = [];
        if (filled.actions.add_tags?.length) does.push(`adds the tags ${filled.actions.add_tags.join(", ")}`);
        if (filled.actions.priority) does.push(`sets the priority to ${filled.actions.priority}`);
        if (filled.actions.propose_resolution) does.push("asks the customer whether this fixed it");
        note.textContent = `From the saved reply “${title}”${does.length ? `; sending it also ${does.join("; ")}` : ""}.`;
        note.hidden = false;
        draft.dispatchEvent(new Event("input"));
      });
      // Files dropped on the message join the file input, so they are sent with it.
      const files = composer.querySelector("input[type=file]");
      if (files) {
        draft.addEventListener("dragover", (event) => {
          if (event.dataTransfer?.types.includes("Files")) {
            event.preventDefault();
            composer.classList.add("dropping");
          }
        });
        draft.addEventListener("dragleave", () => composer.classList.remove("dropping"));
        draft.addEventListener("drop", (event) => {
          if (!event.dataTransfer?.files.length) return;
          event.preventDefault();
          composer.classList.remove("dropping");
          const all = new DataTransfer();
          for (const file of files.files) all.items.add(file);
          for (const file of event.dataTransfer.files) all.items.add(file);
          files.files = all.files;
        });
      }
      draft.addEventListener("scroll", () => {
        const marks = document.getElementById("highlights");
        if (marks) marks.scrollTop = draft.scrollTop;
      });
      composer.addEventListener("submit", (event) => {
        // Warn before sending over someone else's reply; the server checks again.
        const writing = others.filter((v) => v.composing).map((v) => v.name);
        const anyway = composer.querySelector("input[name=send_anyway]");
        if (!isInternal() && writing.length && !(anyway && anyway.checked)) {
          event.preventDefault();
          if (anyway) {
            anyway.focus();
            return;
          }
          const box = document.createElement("div");
          box.id = "collision";
          box.className = "flash warn";
          box.setAttribute("role", "alert");
          const text = document.createElement("p");
          text.textContent = `${writing.join(" and ")} is writing a reply on this ticket right now. Agree who answers, or tick “Send anyway” and send again.`;
          const label = document.createElement("label");
          label.className = "inline";
          const box2 = document.createElement("input");
          box2.type = "checkbox";
          box2.name = "send_anyway";
          box2.value = "yes";
          label.append(box2, " Send anyway");
          box.append(text, label);
          draft.closest(".draft-area").before(box);
          return;
        }
        tellComposing(false);
      });
      window.addEventListener("pagehide", () => tellComposing(false));

      // ---- The coach ----
      const facets = document.getElementById("coach-facets");
      const findings = document.getElementById("coach-findings");
      const empty = document.getElementById("coach-empty");
      const marks = document.getElementById("highlights");
      let timer = null;
      let asked = 0;
      function reviewSoon() {
        clearTimeout(timer);
        timer = setTimeout(review, 250);
      }

      function clearCoach(message) {
        facets.textContent = "";
        findings.textContent = "";
        marks.textContent = "";
        empty.hidden = false;
        empty.textContent = message;
      }

      async function review() {
        const text = draft.value;
        if (isInternal()) {
          clearCoach("Internal notes are for colleagues; the coach reads replies to customers.");
          return;
        }
        if (text.trim() === "") {
          clearCoach("Start writing: the coach reads your reply as the customer would.");
          return;
        }
        const ask = ++asked;
        let result;
        try {
          const response = await fetch("/api/v1/coach/reply", {
            method: "POST",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
            body: JSON.stringify({ text, ticket_id: ticketId }),
          });
          if (!response.ok) return;
          result = await response.json();
        } catch (_) {
          return;
        }
        if (ask !== asked) return; // an older answer; a newer one is on its way
        showReview(text, result);
      }

      function showReview(text, result) {
        empty.hidden = true;
        facets.textContent = "";
        findings.textContent = "";
        if (result.score === null || result.score === undefined) {
          empty.hidden = false;
          empty.textContent = result.note || "The coach reads English, German, Spanish and French only.";
          marks.textContent = "";
          return;
        }
        const score = document.createElement("span");
        score.className = "score";
        score.textContent = `Score ${result.score}/100`;
        facets.append(score);
        for (const [name, value] of Object.entries(result.facets || {})) {
          const facet = document.createElement("span");
          facet.textContent = `${name} ${value}`;
          facets.append(facet);
        }
        for (const finding of result.findings) {
          const item = document.createElement("li");
          item.className = finding.positive ? "positive" : finding.severity;
          item.dataset.kind = finding.kind;
          const what = document.createElement("strong");
          what.textContent = finding.excerpt ? `“${finding.excerpt}”: ` : "";
          const why = document.createElement("span");
          why.textContent = finding.explanation + (finding.suggestion ? " " + finding.suggestion : "");
          item.append(what, why);
          findings.append(item);
        }
        highlight(result.analysed_text || text, result.findings);
      }

      // Marks each finding's span in a layer behind the textarea. Spans count Unicode
      // characters, so the text is split by code points, not UTF-16 units.
      function highlight(text, found) {
        marks.textContent = "";
        if (text !== draft.value) return; // HTML drafts: spans refer to the analysed text
        const chars = Array.from(text);
        // Where findings overlap, the more serious one is marked.
        const rank = { serious: 3, warning: 2, info: 1, positive: 0 };
        const candidates = found
          .filter((f) => f.excerpt && f.span && f.span.end > f.span.start)
          .map((f) => ({ start: f.span.start, end: f.span.end, cls: f.positive ? "positive" : f.severity }))
          .sort((a, b) => (rank[b.cls] ?? 0) - (rank[a.cls] ?? 0) || a.start - b.start);
        const spans = [];
        for (const span of candidates) {
          if (spans.every((kept) => span.end <= kept.start || span.start >= kept.end)) spans.push(span);
        }
        spans.sort((a, b) => a.start - b.start);
        let at = 0;
        for (const span of spans) {
          if (span.start < at) continue;
          marks.append(chars.slice(at, span.start).join(""));
          const mark = document.createElement("mark");
          mark.className = span.cls;
          mark.textContent = chars.slice(span.start, span.end).join("");
          marks.append(mark);
          at = span.end;
        }
        marks.append(chars.slice(at).join("") + "\n");
        marks.scrollTop = draft.scrollTop;
      }

      if (draft.value.trim() !== "") review();
    }
  }

  // ---- Server-sent events ---------------------------------------------------------------
  // One stream per visible tab. Browsers allow about six connections to a server over
  // HTTP/1.1, and agents keep many tabs open: a hidden tab lets its stream go, and catches up
  // (a "change" with no ticket refreshes everything) when it is shown again.
  function listen(ticketId, handlers) {
    if (!window.EventSource) return;
    listening = true;
    handlers = { notifications: showUnread, ...handlers };
    const url = ticketId ? `/live?ticket=${ticketId}` : "/live";
    let source = null;
    const open = () => {
      source = new EventSource(url);
      for (const [name, handler] of Object.entries(handlers)) {
        source.addEventListener(name, (event) => {
          let data = {};
          try { data = JSON.parse(event.data); } catch (_) { /* keep-alive or empty */ }
          handler(data);
        });
      }
      document.documentElement.dataset.live = "connecting";
      source.addEventListener("open", () => { document.documentElement.dataset.live = "on"; });
    };
    document.addEventListener("visibilitychange", () => {
      if (document.hidden && source) {
        source.close();
        source = null;
        document.documentElement.dataset.live = "paused";
      } else if (!document.hidden && !source) {
        open();
        handlers.change?.({});
      }
    });
    if (!document.hidden) open();
  }

  // A page without its own live updates still keeps the count current.
  if (!listening && unreadCount) listen(null, {});

  function debounce(fn, ms) {
    let timer = null;
    let last = null;
    return (data) => {
      last = data;
      clearTimeout(timer);
      timer = setTimeout(() => fn(last), ms);
    };
  }
})();
