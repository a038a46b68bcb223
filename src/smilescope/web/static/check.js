"use strict";
(async function () {
  const $ = (id) => document.getElementById(id);
  const qs = await (await fetch("/api/questions")).json();
  const LEVEL = { emergency: "Emergency: call emergency services now", urgent: "Urgent: see a doctor today",
                  see_doctor: "See a doctor", self_care: "Self-care", info: "For your information" };
  const answers = {};
  function visible(q) { return !q.ask_if.length || q.ask_if.some((k) => answers[k] === true); }
  function render() {
    const box = $("fields"); box.textContent = "";
    for (const q of qs) {
      if (!visible(q)) { delete answers[q.key]; continue; }
      const fs = document.createElement("fieldset");
      const lg = document.createElement("legend"); lg.textContent = q.text; fs.appendChild(lg);
      if (q.kind === "bool") {
        for (const [label, value] of [["Yes", true], ["No", false], ["Don't know", null]]) {
          const id = `${q.key}-${label}`;
          const input = document.createElement("input"); input.type = "radio"; input.name = q.key; input.id = id;
          input.checked = answers[q.key] === value && q.key in answers;
          input.addEventListener("change", () => { answers[q.key] = value; render(); document.getElementById(id).focus(); });
          const l = document.createElement("label"); l.htmlFor = id; l.textContent = label;
          fs.append(input, l);
        }
      } else {
        const input = document.createElement("input"); input.type = "number"; input.min = q.lo; input.max = q.hi; input.step = "any";
        input.id = q.key; input.value = q.key in answers && answers[q.key] !== null ? answers[q.key] : "";
        input.addEventListener("change", () => { answers[q.key] = input.value === "" ? null : Number(input.value); });
        const l = document.createElement("label"); l.htmlFor = q.key; l.textContent = ` ${q.unit} (${q.lo}–${q.hi})`;
        fs.append(input, l);
      }
      box.appendChild(fs);
    }
  }
  render();
  $("questions").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await fetch("/api/triage", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(answers) });
    const res = await r.json();
    $("result").hidden = false;
    if (res.error) { $("level").textContent = "Please check your answers"; $("advice").textContent = res.error; return; }
    $("level").textContent = LEVEL[res.level] || res.level;
    $("advice").textContent = "";
    for (const m of res.matches) {
      const li = document.createElement("li");
      li.textContent = `${m.message} ${m.action} (Source: ${m.source})`;
      $("advice").appendChild(li);
    }
    $("result-disclaimer").textContent = res.disclaimer;
    $("next").textContent = res.level === "emergency" ? "Practice is not for now. Call emergency services." : "";
    if (res.answered === false) {
      // nothing answered is not kept: the last answers given still hold (an emergency still stops practice)
      $("next").textContent = "Nothing was answered, so nothing was kept: your earlier answers, if any, still hold. Answer the questions above to go on to practice.";
    } else if (res.level !== "emergency") { const a = document.createElement("a"); a.href = "/live"; a.textContent = "Go to practice"; $("next").appendChild(a); }
    $("level").focus();
  });
})();
