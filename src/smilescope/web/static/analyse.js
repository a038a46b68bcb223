"use strict";
document.getElementById("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = document.getElementById("clip").files[0], state = document.getElementById("state");
  if (!file) return;
  state.textContent = "Analysing… (about 1–3 s of work per second of video)";
  const r = await fetch("/api/analyse", { method: "POST", headers: { "Content-Type": "application/octet-stream", "X-Filename": file.name }, body: file });
  const res = await r.json();
  state.textContent = "";
  if (res.error) { state.textContent = "Not analysed: " + res.error; return; }
  state.textContent = `Done: ${res.duration_s.toFixed(1)} s of video, ${res.smile_episodes} smile(s) found. `;
  const a = document.createElement("a"); a.href = res.report_url; a.textContent = "Open the report"; state.appendChild(a);
});
