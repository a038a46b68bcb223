"use strict";
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
  const f = (v, d) => (v === null || v === undefined ? "–" : v.toFixed(d));
  for (const w of p.weeks) {
    const tr = document.createElement("tr");
    const ch = w.change_since_first_week.hold_mm;
    for (const c of [w.week, w.exercise.replace("_", " "), w.reps, f(w.hold_mm.right, 1), f(w.hold_mm.left, 1), f(w.balance, 2), f(w.score, 0),
                     `${ch.right === null ? "–" : (ch.right >= 0 ? "+" : "") + ch.right.toFixed(1)} / ${ch.left === null ? "–" : (ch.left >= 0 ? "+" : "") + ch.left.toFixed(1)}`]) {
      const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  if (!p.weeks.length) { const tr = document.createElement("tr"); const td = document.createElement("td"); td.colSpan = 8; td.textContent = "No practice stored yet."; tr.appendChild(td); body.appendChild(tr); }
})();
