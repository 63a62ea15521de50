// A little JavaScript on top of pages that work without it: live summaries in the editors,
// the members picker, the destination's number field, confirmations, and the monitor's
// self-refresh. Every text shown comes from the server (fragments rendered by Jinja).
"use strict";
document.documentElement.classList.add("js");

function onReady(fn) {
  if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
}

function formQuery(form) {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(form)) if (name !== "csrf_token") params.append(name, value);
  return params.toString();
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

async function fetchText(url) {
  const response = await fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}});
  if (!response.ok) throw new Error(response.status);
  return response.text();
}

onReady(() => {
  // print buttons and confirmations
  document.querySelectorAll("[data-print]").forEach(b => b.addEventListener("click", () => window.print()));
  document.querySelectorAll("form[data-confirm]").forEach(form => form.addEventListener("submit", event => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  }));

  // a destination's number field only when "forward to a number" is chosen
  document.querySelectorAll("select[data-destination]").forEach(select => {
    const number = document.querySelector(`[data-number-for="${CSS.escape(select.name)}"]`);
    const sync = () => { if (number) number.hidden = select.value !== "number"; };
    select.addEventListener("change", sync);
    sync();
  });

  // time range editor: live summary and timeline
  const rangeForm = document.querySelector("form[data-range-editor]");
  if (rangeForm) {
    const target = rangeForm.querySelector("[data-summary]");
    const update = debounce(async () => {
      try { target.innerHTML = await fetchText(rangeForm.dataset.live + "?" + formQuery(rangeForm)); }
      catch (e) { /* keep the last summary */ }
    }, 200);
    rangeForm.addEventListener("input", update);
    rangeForm.addEventListener("change", update);
  }

  // group editor: cycles only where they apply, live sentence, members picker
  const groupForm = document.querySelector("form[data-group-editor]");
  if (groupForm) setUpGroupEditor(groupForm);

  // activity monitor: refresh the state by itself
  const monitor = document.getElementById("monitor-state");
  if (monitor) {
    const seconds = parseInt(monitor.dataset.seconds, 10) || 10;
    setInterval(async () => {
      try { monitor.innerHTML = await fetchText(monitor.dataset.refresh); monitor.dataset.refreshed = Date.now(); }
      catch (e) { /* try again at the next tick */ }
    }, seconds * 1000);
  }
});

function setUpGroupEditor(form) {
  const distribution = form.querySelector("#distribution");
  const cycles = form.querySelector("#cycles");
  const cyclesField = form.querySelector("#field-cycles");
  const sentence = form.querySelector("#group-sentence");
  const members = form.querySelector("[data-members]");
  const cycling = (cycles.dataset.cycling || "").split(" ");

  const refresh = debounce(async () => {
    const params = new URLSearchParams({distribution: distribution.value, rings: form.querySelector("#rings").value,
                                        cycles: cycles.value, members: members.value});
    try { sentence.textContent = await fetchText(sentence.dataset.live + "?" + params); } catch (e) { /* keep */ }
  }, 150);
  const syncCycles = () => { cyclesField.hidden = !cycling.includes(distribution.value); };
  form.addEventListener("change", refresh);
  members.addEventListener("input", refresh);
  distribution.addEventListener("change", syncCycles);
  syncCycles();

  // the picker: users on the left, the ordered members on the right; the text field stays
  // the source of truth (it is what the form sends)
  const picker = form.querySelector("[data-picker]");
  const usersList = picker.querySelector("[data-picker-users]");
  const membersList = picker.querySelector("[data-picker-members]");
  const names = {};
  usersList.querySelectorAll("[data-add]").forEach(b => { names[b.dataset.add] = b.textContent.replace("→", "").trim(); });
  const current = () => members.value.split(/[\s,;]+/).filter(Boolean);
  const write = list => { members.value = list.join(", "); render(); refresh(); };

  function button(label, title, action) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "small"; b.textContent = label; b.title = title; b.setAttribute("aria-label", title);
    b.addEventListener("click", action);
    return b;
  }
  function render() {
    const list = current();
    membersList.replaceChildren(...list.map((ext, i) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.textContent = names[ext] || ext;
      li.dataset.member = ext;
      li.append(name, button("↑", "up", () => { if (i > 0) { [list[i - 1], list[i]] = [list[i], list[i - 1]]; write(list); } }),
                button("↓", "down", () => { if (i < list.length - 1) { [list[i + 1], list[i]] = [list[i], list[i + 1]]; write(list); } }),
                button("✕", "remove", () => { list.splice(i, 1); write(list); }));
      return li;
    }));
    usersList.querySelectorAll("[data-add]").forEach(b => { b.parentElement.hidden = list.includes(b.dataset.add) || b.parentElement.dataset.filtered === "1"; });
  }
  usersList.addEventListener("click", event => {
    const b = event.target.closest("[data-add]");
    if (b) { const list = current(); if (!list.includes(b.dataset.add)) list.push(b.dataset.add); write(list); }
  });
  picker.querySelector("[data-picker-filter]").addEventListener("input", event => {
    const q = event.target.value.toLowerCase();
    usersList.querySelectorAll("[data-add]").forEach(b => { b.parentElement.dataset.filtered = b.textContent.toLowerCase().includes(q) ? "0" : "1"; });
    render();
  });
  members.addEventListener("input", render);
  picker.hidden = false;
  render();
}
