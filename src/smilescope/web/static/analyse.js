"use strict";
document.getElementById("upload").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const file = document.getElementById("clip").files[0], state = document.getElementById("state");
  if (!file) return;
  state.textContent = "Analysing… (about 1–3 s of work per second of video)";
  let r, res;
  try {
    // a header carries only Latin-1: the name goes URI-encoded (笑顔.mp4 too)
    r = await fetch("/api/analyse", { method: "POST", headers: { "Content-Type": "application/octet-stream", "X-Filename": encodeURIComponent(file.name) }, body: file });
  } catch (e) {
    state.textContent = "Not analysed: the coach did not answer (is smilescope serve still running?). " + e.message;
    return;
  }
  try {
    res = await r.json();
  } catch (e) {  // it answered, but not with its usual message: say what came back
    state.textContent = `Not analysed: the coach answered ${r.status} ${r.statusText} without a readable message; try again, or run smilescope analyze on the file.`;
    return;
  }
  state.textContent = "";
  if (res.error) { state.textContent = "Not analysed: " + res.error; return; }
  state.textContent = `Done: ${res.duration_s.toFixed(1)} s of video, ${res.smile_episodes} smile(s) found. `;
  const a = document.createElement("a"); a.href = res.report_url; a.textContent = "Open the report"; state.appendChild(a);
});
