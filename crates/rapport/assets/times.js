// Shows every <time datetime="..."> in the reader's own time zone (the page says UTC without
// script). Used by the workspace and the portal; the workspace calls it again on the parts of
// a page it refreshes live.
"use strict";

window.Rapport = window.Rapport || {};
window.Rapport.localizeTimes = function (root) {
  const format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  root.querySelectorAll("time[datetime]").forEach((el) => {
    const value = el.getAttribute("datetime");
    // A day alone (2026-09-21) is the same day everywhere: it keeps its words.
    if (!value.includes("T")) {
      return;
    }
    const at = new Date(value);
    if (!isNaN(at)) {
      el.title = el.textContent;
      el.textContent = format.format(at);
    }
  });
};
window.Rapport.localizeTimes(document);
