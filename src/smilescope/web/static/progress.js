"use strict";
// One small chart per exercise: each side's median hold (mm) by week, your right and your left,
// with the first week as the reference line. The table below holds the same numbers as text.
function drawCharts(weeks) {
  const NS = "http://www.w3.org/2000/svg", box = document.getElementById("charts");
  const byEx = {};
  for (const w of weeks) (byEx[w.exercise] = byEx[w.exercise] || []).push(w);
  for (const [ex, rows] of Object.entries(byEx)) {
    if (rows.length < 2) continue;  // a trend needs two weeks
    const W = 420, H = 180, L = 40, B = 28, T = 38, vals = rows.flatMap((r) => [r.hold_mm.right, r.hold_mm.left]).filter((v) => v !== null);
    const top = Math.max(1, ...vals) * 1.15;
    const x = (i) => L + (i * (W - L - 10)) / (rows.length - 1), y = (v) => H - B - (v / top) * (H - B - T);  // the title and legend sit above T
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`); svg.setAttribute("width", W); svg.setAttribute("role", "img");
    const first = rows[0], last = rows[rows.length - 1];
    const words = (s) => (first.hold_mm[s] === null || last.hold_mm[s] === null ? "not measured" : `${first.hold_mm[s].toFixed(1)} to ${last.hold_mm[s].toFixed(1)} mm`);
    svg.setAttribute("aria-label", `${ex.replace("_", " ")}: your right ${words("right")}, your left ${words("left")}, from ${first.week} to ${last.week}`);
    const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text) e.textContent = text; svg.appendChild(e); return e; };
    add("line", { x1: L, y1: H - B, x2: W - 10, y2: H - B, stroke: "#888" });
    add("line", { x1: L, y1: H - B, x2: L, y2: T - 4, stroke: "#888" });
    add("text", { x: L - 14, y: H - B + 4, "font-size": 10 }, "0");
    add("text", { x: 2, y: y(top / 1.15) + 4, "font-size": 10 }, (top / 1.15).toFixed(1));
    add("text", { x: L + 4, y: 14, "font-size": 11 }, `${ex.replace("_", " ")} (mm)`);
    for (const [side, colour] of [["right", "#1f5f99"], ["left", "#b35900"]]) {
      const pts = rows.map((r, i) => (r.hold_mm[side] === null ? null : `${x(i)},${y(r.hold_mm[side])}`)).filter(Boolean);
      add("polyline", { points: pts.join(" "), fill: "none", stroke: colour, "stroke-width": 2, "stroke-dasharray": side === "left" ? "5 3" : "" });
      add("text", { x: L + 130, y: side === "right" ? 14 : 28, "font-size": 11, fill: colour }, `your ${side}${side === "left" ? " (dashed)" : ""}`);
    }
    rows.forEach((r, i) => add("text", { x: x(i) - 18, y: H - 8, "font-size": 10 }, r.week.slice(5)));
    box.appendChild(svg);
  }
}

(async function () {
  const $ = (id) => document.getElementById(id);
  // a browser notification at the chosen time today (while this page is open; nothing leaves the computer)
  $("remind").addEventListener("click", async () => {
    const [h, m] = $("remind-at").value.split(":").map(Number);
    const when = new Date(); when.setHours(h, m, 0, 0);
    if (when <= new Date()) when.setDate(when.getDate() + 1);
    const ok = "Notification" in window && (await Notification.requestPermission()) === "granted";
    setTimeout(() => {
      if (ok) new Notification("Smile practice", { body: "A few gentle minutes: open the mirror." });
      else window.alert("Smile practice: a few gentle minutes now.");
    }, when - new Date());
    $("remind-state").textContent = `Reminder set for ${when.toLocaleString()}${ok ? "" : " (as a message on this page: notifications are off)"}.`;
  });
  const r = await fetch("/api/progress");
  const p = await r.json();
  if (p.error) { $("streak").textContent = p.error; return; }
  $("streak").textContent = p.streak_days ? `You have practised ${p.streak_days} ${p.streak_days === 1 ? "day" : "days"} in a row.` : "No practice yet today: a few gentle minutes are enough.";
  for (const item of p.plan) {
    const li = document.createElement("li");
    li.textContent = `${item.exercise.title}: ${item.reps} × ${item.exercise.hold_s} s`;
    $("plan").appendChild(li);
  }
  $("plan-time").textContent = `About ${p.plan_minutes} minutes in all, with a relaxed pause after each repetition.`;
  const body = $("weeks").querySelector("tbody");
  const f = (v, d) => (v === null || v === undefined ? "—" : v.toFixed(d));
  for (const w of p.weeks) {
    const tr = document.createElement("tr");
    const ch = w.change_since_first_week.hold_mm;
    for (const c of [w.week, w.exercise.replace("_", " "), w.reps, f(w.hold_mm.right, 1), f(w.hold_mm.left, 1), f(w.balance, 2), f(w.score, 0),
                     `${ch.right === null ? "—" : (ch.right >= 0 ? "+" : "") + ch.right.toFixed(1)} / ${ch.left === null ? "—" : (ch.left >= 0 ? "+" : "") + ch.left.toFixed(1)}`]) {
      const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  drawCharts(p.weeks);
  if (!p.weeks.length) { const tr = document.createElement("tr"); const td = document.createElement("td"); td.colSpan = 8; td.textContent = "No practice stored yet."; tr.appendChild(td); body.appendChild(tr); }
})();
