// The live mirror: webcam frames to /ws/live, one in flight at a time (a slow frame is dropped,
// never queued), and each answer shown as bars, numbers and the magnified outline. The preview
// and the outline are mirrored on screen; the frames sent are not, so the numbers always name
// the person's own sides.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const exercises = JSON.parse($("exercises-data").textContent);
  let stream = null, ws = null, busy = false, timer = null, current = null, countdown = null;
  let warned = "", spokenAt = 0, spoken = { right: null, left: null };
  const SPEAK_EVERY_MS = 4000, SPEAK_CHANGE_MM = 0.5;  // a summary a listener can follow
  const grab = document.createElement("canvas");

  function fmt(v) { return v === null || v === undefined ? "–" : v.toFixed(1) + " mm"; }
  function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); }

  function drawMesh(mesh) {
    const c = $("mesh"), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    if (!mesh) return;
    const pad = 0.08 * c.width, s = c.width - 2 * pad;
    g.lineWidth = 2; g.strokeStyle = "#1f5f99";
    for (const line of mesh.lines) {
      g.beginPath();
      line.forEach(([x, y], i) => { const px = pad + x * s, py = pad + y * s; if (i) g.lineTo(px, py); else g.moveTo(px, py); });
      g.stroke();
    }
  }

  function addRep(rep) {
    const body = $("reps").querySelector("tbody"), row = document.createElement("tr");
    const eyes = rep.exercise === "eye_closure";
    // an eye closure shows each eye's closure (%); a smile each corner's movement (mm)
    const side = (s) => eyes ? Math.round(100 * rep.eye_narrowing[s]) + " % closed" : rep.hold_mm[s].toFixed(1);
    cell(row, rep.number); cell(row, side("right")); cell(row, side("left"));
    cell(row, rep.hold_s.toFixed(1));
    for (const k of eyes ? ["balance", "mouth_still", "closure"] : ["balance", "steadiness", "eyes"]) cell(row, k in rep.scores ? rep.scores[k] : "–");
    cell(row, rep.score); cell(row, rep.advice.join(" "));
    body.appendChild(row); $("reps").hidden = false;
    // the repetition ends the prompt for it: say it was counted (and any advice, e.g. a strain
    // warning) where it is announced, and prompt the next one
    clearInterval(countdown);
    const of = current ? " of " + current.reps : "";
    $("countdown").textContent = "Repetition " + rep.number + of + " counted, score " + rep.score + "." +
      (rep.advice.length ? " " + rep.advice.join(" ") : "") + " Relax; again when you are ready.";
  }

  function speak(msg) {
    // the live numbers as one sentence, only when they changed and not more often than SPEAK_EVERY_MS
    const now = performance.now(), v = msg.excursion_mm || {};
    if (now - spokenAt < SPEAK_EVERY_MS) return;
    const moved = ["right", "left"].some((s) => (v[s] === null || v[s] === undefined) !== (spoken[s] === null)
      || (v[s] !== null && v[s] !== undefined && spoken[s] !== null && Math.abs(v[s] - spoken[s]) >= SPEAK_CHANGE_MM));
    if (!moved) return;
    spokenAt = now;
    for (const s of ["right", "left"]) spoken[s] = v[s] === null || v[s] === undefined ? null : v[s];
    $("spoken").textContent = "Your right corner " + fmt(spoken.right) + ", your left " + fmt(spoken.left) + ".";
  }

  function show(msg) {
    if (msg.error) { $("status").textContent = msg.error; return; }
    if (msg.ok) {
      if (msg.ok === "exercise") {
        current = msg.exercise; $("instructions").textContent = current.instructions;
        $("end").disabled = false; $("begin").disabled = true; $("end").focus(); startHold(current);
      } else if (msg.ok === "stopped") {
        current = null; $("end").disabled = true; $("begin").disabled = false; $("begin").focus(); clearInterval(countdown);
        $("countdown").textContent = "Done: " + msg.reps.length + " repetition(s).";
      } else { $("status").textContent = msg.message; }
      return;
    }
    for (const side of ["right", "left"]) {
      const v = msg.excursion_mm ? msg.excursion_mm[side] : null;
      $("bar-" + side).value = v === null ? 0 : Math.max(0, v);
      $("num-" + side).textContent = fmt(v);
    }
    $("steady").textContent = fmt(msg.steadiness_mm);
    speak(msg);
    const words = (msg.quality || []).join("\n");
    if (words !== warned) {  // a live region: changed only when the warnings change, so each is said once
      warned = words;
      const q = $("quality"); q.textContent = "";
      for (const w of msg.quality || []) { const li = document.createElement("li"); li.textContent = w; q.appendChild(li); }
    }
    // repetitions are measured from the baseline: during an exercise, say that none is counted until it is taken
    const status = !msg.face ? "No face found." : !msg.baseline_ready
      ? "Relax your face: taking your baseline…" + (msg.baseline_wait ? " " + msg.baseline_wait : "")
        + (current && current.key !== "baseline" ? " Repetitions are counted once it is taken." : "")
      : msg.valid ? "Measuring." : "Not measured now: " + (msg.reason || "");
    if ($("status").textContent !== status) $("status").textContent = status;  // a live region: set only on a change
    if ("mesh" in msg) drawMesh(msg.mesh);
    if (msg.rep) addRep(msg.rep);
  }

  // Begin: a 3 s countdown, and only then is the exercise started on the server, so a movement
  // made while "Get ready" shows is not counted as a repetition
  function beginExercise() {
    const key = $("exercise").value;
    let left = 3;
    $("begin").disabled = true;
    clearInterval(countdown);
    $("countdown").textContent = "Get ready: " + left;
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) { $("countdown").textContent = "Get ready: " + left; return; }
      clearInterval(countdown);
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ action: "exercise", key: key }));
      else { $("begin").disabled = false; $("countdown").textContent = ""; }
    }, 1000);
  }

  function startHold(ex) {
    let held = 0;
    clearInterval(countdown);
    $("countdown").textContent = "Now: " + ex.title.toLowerCase() + ", hold " + ex.hold_s + " s, then relax.";
    countdown = setInterval(() => {
      held += 1;
      if (held >= ex.hold_s) { $("countdown").textContent = "Relax. Again when you are ready (" + ex.reps + " in all)."; clearInterval(countdown); }
    }, 1000);
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

  function setAvatar(on) { $("video").classList.toggle("hidden-video", on); $("show-avatar").checked = on; }

  async function start() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
    } catch (e) {
      $("error").hidden = false; $("error").textContent = "The camera could not start: " + e.message; return;
    }
    $("video").srcObject = stream;
    $("consent").hidden = true; $("mirror").hidden = false;
    $("mirror-h").focus();  // the button pressed is gone: keep the keyboard's place
    setAvatar($("avatar").checked);
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/live?clock=client&mesh=1");
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.stop) { stop(); $("gate").hidden = false; $("gate").textContent = m.stop; $("start").disabled = true; return; }
      if (!m.ok) busy = false;
      show(m);
    };
    ws.onclose = () => { $("status").textContent = "Disconnected."; };
    timer = setInterval(send, 33);
  }

  function stop() {
    clearInterval(timer); clearInterval(countdown);
    if (ws) ws.close();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    $("mirror").hidden = true; $("consent").hidden = false;
    warned = ""; spoken = { right: null, left: null };
    $("start").focus();
  }

  // the questionnaire comes before the first session; an emergency answer stops practice
  fetch("/api/triage/last").then((r) => r.json()).then((last) => {
    const gate = $("gate");
    if (last === null) {
      gate.hidden = false; gate.textContent = "Before your first session, please answer a few questions. ";
      const a = document.createElement("a"); a.href = "/check"; a.textContent = "Answer the questions"; gate.appendChild(a);
      $("start").disabled = true;
    } else if (last.level === "emergency") {
      gate.hidden = false; gate.textContent = "Your last answers said this may be an emergency: call emergency services now. Practice is not for now. ";
      const a = document.createElement("a"); a.href = "/check"; a.textContent = "Answer again if things have changed"; gate.appendChild(a);
      $("start").disabled = true;
    }
  }).catch(() => {});
  $("start").addEventListener("click", start);
  $("stop").addEventListener("click", stop);
  $("show-avatar").addEventListener("change", (e) => setAvatar(e.target.checked));
  $("baseline").addEventListener("click", () => ws && ws.send(JSON.stringify({ action: "baseline" })));
  $("begin").addEventListener("click", () => { if (ws) beginExercise(); });
  $("end").addEventListener("click", () => ws && ws.send(JSON.stringify({ action: "stop" })));
  $("exercise").addEventListener("change", () => {
    const ex = exercises.find((e) => e.key === $("exercise").value); $("instructions").textContent = ex ? ex.instructions : "";
  });
  $("exercise").dispatchEvent(new Event("change"));
})();
