"use strict";
document.getElementById("delete").addEventListener("click", async () => {
  if (!window.confirm("Delete everything smilescope keeps? This cannot be undone.")) return;
  let msg;
  try {
    const r = await fetch("/api/delete", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ confirm: true }) });
    msg = await r.json();
  } catch (e) {
    msg = { error: "the coach did not answer (is smilescope serve still running?); nothing was confirmed deleted" };
  }
  document.getElementById("deleted").textContent = msg.deleted ? "Everything was deleted." : "Not deleted: " + msg.error;
});
