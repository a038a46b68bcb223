"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  async function post(url, body) {
    try {
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      return await r.json();
    } catch (e) {
      return { error: "the coach did not answer (is smilescope serve still running?)" };
    }
  }
  async function listMoments() {
    const rows = await (await fetch("/api/journal")).json();
    const ul = $("moments"); ul.textContent = "";
    for (const r of rows.slice(-15).reverse()) { const li = document.createElement("li"); li.textContent = `${r.day}: ${r.text}`; ul.appendChild(li); }
  }
  $("journal").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const texts = ["g1", "g2", "g3"].map((id) => $(id).value).filter((t) => t.trim());
    const res = await post("/api/journal", { texts });
    $("j-state").textContent = res.error ? "Not kept: " + res.error : `Kept ${res.added.length}.`;
    if (!res.error) { ["g1", "g2", "g3"].forEach((id) => ($(id).value = "")); listMoments(); }
  });
  $("diary").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const k of ["caffeine_cups", "sleep_hours", "stress_0_10", "water_glasses"]) if ($(k).value !== "") body[k] = Number($(k).value);
    if ($("note").value.trim()) body.note = $("note").value;
    const res = await post("/api/diary", body);
    $("d-state").textContent = res.error ? "Not saved: " + res.error : "Saved.";
  });
  listMoments();
})();
