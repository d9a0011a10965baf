"""The scripts the console benchmark runs inside the page. Every time in them is the page's own clock
(`performance.now()`, from the navigation's start), so a figure never mixes two processes' clocks."""

from __future__ import annotations

from typing import Final

__all__ = ["FETCH_TIME", "MARKS", "PUT_UNTIL_SHOWN", "SIGN_IN_TIMELINE", "TRANSFERRED"]

# Added to every page before its own scripts: it records when the sign-in form first became usable, when it was
# submitted and when the things list first showed `window.__benchRows` rows after that. A MutationObserver sees
# each change as React commits it, with no polling in between.
MARKS: Final = """
(() => {
  const marks = (window.__bench = {});
  const usable = () => {
    const form = document.querySelector("form[aria-label='Sign in']");
    const button = form && form.querySelector("button[type=submit]");
    const user = form && form.querySelector("input[autocomplete=username]");
    return !!button && !button.disabled && !!user && !user.disabled;
  };
  const listed = () =>
    document.querySelectorAll("table[aria-label='Things'] tbody tr td:first-child a").length;
  new MutationObserver(() => {
    const now = performance.now();
    if (marks.usable === undefined && usable()) marks.usable = now;
    if (marks.submitted !== undefined && marks.listed === undefined && listed() >= window.__benchRows) {
      marks.listed = now;
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
  document.addEventListener("submit", () => { marks.submitted = performance.now(); }, true);
})();
"""

# What the page's loading transferred (the document and every resource so far): bytes on the wire (headers and
# the compressed bodies; 0 for what the HTTP cache served), compressed and decoded body sizes, the requests.
TRANSFERRED: Final = """
() => {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  const sum = (key) => entries.reduce((total, entry) => total + entry[key], 0);
  return {
    requests: entries.length,
    from_cache: entries.filter((entry) => entry.transferSize === 0).length,
    transferred: sum("transferSize"),
    encoded_body: sum("encodedBodySize"),
    decoded_body: sum("decodedBodySize"),
  };
}
"""

# One request timed from the page with fetch, its body read: the floor of what the page does.
FETCH_TIME: Final = """
async ({ url, authorization }) => {
  const headers = authorization ? { Authorization: authorization } : {};
  const started = performance.now();
  const response = await fetch(url, { headers, cache: "no-store", credentials: "omit" });
  await response.text();
  const elapsed = performance.now() - started;
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return elapsed;
}
"""

# PUTs one at a time, each after the previous value appeared: per PUT, the time from sending it to its `seq`
# standing in the Overview's cell `p/seq` of the feature's properties table. The observer is set before the
# request leaves, so a change that arrives before the response is not missed.
PUT_UNTIL_SHOWN: Final = """
async ({ url, authorization, table, leaf, first, count, timeoutMs }) => {
  const shown = () => {
    const rows = document.querySelectorAll(`table[aria-label='${table}'] tbody tr`);
    for (const row of rows) {
      const cells = row.querySelectorAll("td");
      if (cells.length > 1 && cells[0].textContent === leaf) return cells[1].textContent;
    }
    return null;
  };
  const latencies = [];
  for (let seq = first; seq < first + count; seq++) {
    let observer;
    const seen = new Promise((resolve, reject) => {
      observer = new MutationObserver(() => {
        if (shown() === String(seq)) resolve(performance.now());
      });
      observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      setTimeout(() => reject(new Error(`seq ${seq} not shown within ${timeoutMs} ms`)), timeoutMs);
    });
    const sent = performance.now();
    const response = await fetch(url, {
      method: "PUT", credentials: "omit", body: JSON.stringify({ t: Date.now(), seq }),
      headers: { Authorization: authorization, "Content-Type": "application/json" },
    });
    if (response.status !== 204) throw new Error(`PUT answered ${response.status}`);
    try {
      latencies.push((await seen) - sent);
    } finally {
      observer.disconnect();
    }
  }
  return latencies;
}
"""

# Where a sign-in's time went: each API request after the form's submission (Resource Timing), sent and
# answered in ms after it, and when the list showed its rows.
SIGN_IN_TIMELINE: Final = """
() => {
  const { submitted, listed } = window.__bench;
  const after = (time) => Math.round((time - submitted) * 10) / 10;
  const requests = performance.getEntriesByType("resource")
    .filter((entry) => entry.startTime >= submitted && entry.name.includes("/api/"))
    .map((entry) => ({ path: new URL(entry.name).pathname, query: new URL(entry.name).search,
                       sent_ms: after(entry.startTime),
                       answered_ms: after(entry.responseEnd) }));
  return { requests, listed_ms: after(listed) };
}
"""
