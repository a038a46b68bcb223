// The live mirror: webcam frames to /ws/live, one in flight at a time (a slow frame is dropped,
// never queued), and each answer shown as bars and numbers. The preview is mirrored by CSS; the
// frames sent are not, so the numbers always name the person's own sides.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let stream = null, ws = null, busy = false, timer = null;
  const grab = document.createElement("canvas");

  function fmt(v) { return v === null || v === undefined ? "–" : v.toFixed(1) + " mm"; }

  function show(msg) {
    if (msg.error) { $("status").textContent = msg.error; return; }
    if (msg.ok) { $("status").textContent = msg.message; return; }
    for (const side of ["right", "left"]) {
      const v = msg.excursion_mm ? msg.excursion_mm[side] : null;
      $("bar-" + side).value = v === null ? 0 : Math.max(0, v);
      $("num-" + side).textContent = fmt(v);
    }
    $("steady").textContent = fmt(msg.steadiness_mm);
    const q = $("quality"); q.textContent = "";
    for (const w of msg.quality || []) { const li = document.createElement("li"); li.textContent = w; q.appendChild(li); }
    $("status").textContent = !msg.face ? "No face found." : !msg.baseline_ready ? "Relax your face: taking your baseline…"
      : msg.valid ? "Measuring." : "Not measured now: " + (msg.reason || "");
  }

  function send() {
    if (busy || !ws || ws.readyState !== WebSocket.OPEN) return;  // drop, don't queue
    const v = $("video");
    if (!v.videoWidth) return;
    grab.width = v.videoWidth; grab.height = v.videoHeight;
    grab.getContext("2d").drawImage(v, 0, 0);
    const t = performance.now() / 1000;
    busy = true;
    grab.toBlob(async (blob) => {
      if (!blob) { busy = false; return; }
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      const msg = new Uint8Array(8 + jpeg.length);
      new DataView(msg.buffer).setFloat64(0, t, true);
      msg.set(jpeg, 8);
      ws.send(msg);
    }, "image/jpeg", 0.85);
  }

  async function start() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (e) {
      $("error").hidden = false; $("error").textContent = "The camera could not start: " + e.message; return;
    }
    $("video").srcObject = stream;
    $("consent").hidden = true; $("mirror").hidden = false;
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live?clock=client");
    ws.onmessage = (ev) => { busy = false; show(JSON.parse(ev.data)); };
    ws.onclose = () => { $("status").textContent = "Disconnected."; };
    timer = setInterval(send, 33);
  }

  function stop() {
    clearInterval(timer);
    if (ws) ws.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    $("mirror").hidden = true; $("consent").hidden = false;
  }

  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", stop);
  $("baseline").addEventListener("click", () => ws && ws.send(JSON.stringify({ action: "baseline" })));
})();
