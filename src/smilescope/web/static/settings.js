"use strict";
document.getElementById("delete").addEventListener("click", async () => {
  if (!window.confirm("Delete everything smilescope keeps? This cannot be undone.")) return;
  const r = await fetch("/api/delete", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ confirm: true }) });
  const msg = await r.json();
  document.getElementById("deleted").textContent = msg.deleted ? "Everything was deleted." : "Not deleted: " + msg.error;
});
