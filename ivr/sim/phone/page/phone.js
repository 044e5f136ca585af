// The browser phone: a keypad, a "say" box and a transcript over ivr phone's JSON API.
// Keys are collected as Twilio's <Gather> collects them: an entry is sent when it has the
// question's number of digits, on its finish key (#), or after a pause.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const PAUSE_SECONDS = 3; // at most; a question's own timeout if shorter
  const state = { call: null, question: null, keys: "", timer: null, busy: false };

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.error || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function addLine(text, kind, language, prompts) {
    const item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    if (language) item.lang = language;
    if (prompts && prompts.length) {
      const ids = document.createElement("span");
      ids.className = "prompts";
      ids.textContent = `(${prompts.join(", ")})`;
      item.append(ids);
    }
    $("transcript").append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function speak(heard) {
    if (!$("aloud").checked || !("speechSynthesis" in window)) return;
    for (const said of heard) {
      const utterance = new SpeechSynthesisUtterance(said.text);
      if (said.language) utterance.lang = said.language; // else the page's (en)
      window.speechSynthesis.speak(utterance);
    }
  }

  function hush() {
    if ("speechSynthesis" in window) window.speechSynthesis.cancel(); // the caller barged in
  }

  function show(turn) {
    let next = 0; // the heard <Say> the next "IVR: " line may be
    for (const line of turn.lines) {
      const said = turn.heard[next];
      if (said && line === `IVR: ${said.text}`) {
        addLine(line, "ivr", said.language, said.prompts);
        next += 1;
      } else {
        const kind = line.startsWith("IVR: ") ? "ivr" : line.startsWith("caller ") ? "caller" : "note";
        addLine(line, kind);
      }
    }
    speak(turn.heard);
    state.question = turn.question;
    if (turn.ended) {
      const by = turn.hangup_by ? ` by the ${turn.hangup_by}` : "";
      status(`Call ended: ${turn.outcome}${by}.${turn.error ? " " + turn.error.split("\n")[0] : ""}`);
      finish();
    } else {
      status(`Waiting for ${turn.question.describe}`);
    }
    controls();
  }

  function status(text) {
    $("status").textContent = text;
  }

  function finish() {
    state.call = null;
    state.question = null;
    state.keys = "";
    clearTimeout(state.timer);
    showEntry();
  }

  function controls() {
    const live = state.call !== null && !state.busy;
    const question = state.question || {};
    $("hang-up").disabled = state.call === null;
    $("silence").disabled = !live;
    $("say-button").disabled = !live || !(question.speech || question.recording);
    for (const button of document.querySelectorAll("#keypad button")) button.disabled = state.call === null;
  }

  function showEntry() {
    $("entry").textContent = state.keys ? `Keys: ${state.keys}` : "";
  }

  async function act(body) {
    if (!state.call) return;
    hush();
    clearTimeout(state.timer);
    state.busy = true;
    controls();
    try {
      const data = await post(`/api/calls/${encodeURIComponent(state.call)}`, body);
      show(data.turn);
    } catch (error) {
      addLine(`[${error.message}]`, "note");
      status(error.message);
      if (error.status !== 400) finish(); // only a refused action leaves the call going
    } finally {
      state.busy = false;
      controls();
      entryComplete(""); // keys pressed while waiting count towards the next question
    }
  }

  // Whether the keys so far make a whole entry of the current question.
  function complete(key) {
    const question = state.question;
    if (!question) return false;
    if (key && question.finish_on_key && question.finish_on_key.includes(key)) return true;
    if (key === "*" && question.field) return true; // * cancels a <Pay>
    if (key && question.recording) return true; // any key ends a recording
    return Boolean(question.num_digits) && state.keys.length >= question.num_digits;
  }

  function entryComplete(key) {
    if (!state.keys || state.busy || !state.question) return;
    if (complete(key)) {
      sendKeys();
      return;
    }
    const pause = Math.min(state.question.timeout || PAUSE_SECONDS, PAUSE_SECONDS);
    state.timer = setTimeout(sendKeys, pause * 1000);
  }

  function sendKeys() {
    const keys = state.keys;
    state.keys = "";
    showEntry();
    if (keys) act({ action: "press", keys });
  }

  function press(key) {
    if (!state.call) return;
    hush();
    clearTimeout(state.timer);
    state.keys += key;
    showEntry();
    entryComplete(key);
  }

  async function newCall(event) {
    event.preventDefault();
    if (state.call) await act({ action: "hangup" });
    $("transcript").replaceChildren();
    status("Calling...");
    try {
      const data = await post("/api/calls", { from: $("from").value });
      state.call = data.call;
      show(data.turn);
    } catch (error) {
      status(error.message);
      addLine(`[${error.message}]`, "note");
    }
    controls();
  }

  $("dial").addEventListener("submit", newCall);
  $("hang-up").addEventListener("click", () => act({ action: "hangup" }));
  $("silence").addEventListener("click", () => act({ action: "silence" }));
  $("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const words = $("say").value.trim();
    if (!words) return;
    $("say").value = "";
    act({ action: "say", words });
  });
  for (const button of document.querySelectorAll("#keypad button")) {
    button.addEventListener("click", () => press(button.dataset.key));
  }
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || !"0123456789*#".includes(event.key)) return;
    if (event.key.length === 1) press(event.key);
  });
  window.addEventListener("pagehide", () => {
    if (!state.call) return;
    const body = new Blob([JSON.stringify({ action: "hangup" })], { type: "application/json" });
    navigator.sendBeacon(`/api/calls/${encodeURIComponent(state.call)}`, body);
  });
  controls();
})();
