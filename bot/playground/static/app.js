/* The playground page: pick who you are, type slash commands, click, fill modals, open the Home tab. */
"use strict";
(() => {
  const { h, render, collect } = BlockKit;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const ui = {
    user: params.get("user") || localStorage.getItem("gtm.user") || "U0AE1",
    conv: params.get("conv") || "C0GENERAL1",  // a channel id, or "app" for the bot's Home/Messages
    tab: params.get("tab") || "messages",
    data: null,
    drawn: {},  // what was last drawn, as JSON, so polling redraws only what changed
  };

  async function api(path, body) {
    const init = body ? { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) } : {};
    const res = await fetch(`/playground/api/${path}`, init);
    if (!res.ok) throw new Error(`${res.status}: ${await res.text()}`);
    return res.json();
  }

  function toast(message) {
    const t = $("toast");
    t.textContent = message;
    t.hidden = !message;
    clearTimeout(toast.timer);
    if (message) toast.timer = setTimeout(() => (t.hidden = true), 6000);
  }

  function ctx(extra) {
    return { people: ui.data ? ui.data.people : [], channels: ui.data ? ui.data.channels : [], ...extra };
  }

  function personLabel(p) { return `${p.name} — ${p.role}${p.region ? ", " + p.region : ""}`; }

  function drawWho() {
    const key = JSON.stringify(ui.data.people);
    if (ui.drawn.who === key) return;
    ui.drawn.who = key;
    const who = $("who");
    who.replaceChildren(...ui.data.people.map((p) => h("option", { value: p.id }, personLabel(p))));
    who.value = ui.user;
  }

  // the newest DM each person has seen (by ts), for the unread badge
  const seen = JSON.parse(localStorage.getItem("gtm.seen") || "{}");

  function unread() {
    const dm = ui.data.conversations[ui.data.dm] || [];
    const newest = dm.length ? parseFloat(dm[dm.length - 1].ts) : 0;
    if (ui.conv === "app" && ui.tab === "messages" && (seen[ui.user] || 0) < newest) {
      seen[ui.user] = newest;
      localStorage.setItem("gtm.seen", JSON.stringify(seen));
    }
    return dm.filter((m) => parseFloat(m.ts) > (seen[ui.user] || 0)).length;
  }

  function drawSidebar() {
    const fresh = unread();
    const key = JSON.stringify([ui.data.channels, ui.conv, fresh]);
    if (ui.drawn.sidebar === key) return;
    ui.drawn.sidebar = key;
    $("channels").replaceChildren(...ui.data.channels.map((c) => h("li", {},
      h("button", { class: ui.conv === c.id ? "active" : "", "data-conv": c.id, onclick: () => go(c.id) }, `# ${c.name}`))));
    $("apps").replaceChildren(h("li", {}, h("button", { class: ui.conv === "app" ? "active" : "", "data-conv": "app", onclick: () => go("app", "home") },
      h("span", {}, "gtm-bot"), fresh ? h("span", { class: "badge", title: "unread messages from the bot" }, String(fresh)) : null)));
    const sf = $("salesforce");
    if (sf) {
      sf.hidden = !ui.data.salesforce;
      if (ui.data.salesforce) sf.replaceChildren(h("a", { href: "/playground/api/salesforce", target: "_blank" }, `Salesforce: ${ui.data.salesforce}`));
    }
  }

  function channelName(id) {
    if (id === "app") return "gtm-bot";
    const c = ui.data.channels.find((x) => x.id === id);
    return c ? `# ${c.name}` : id;
  }

  function currentChannel() { return ui.conv === "app" ? ui.data.dm : ui.conv; }

  function drawMessage(m, channel) {
    // ephemerals carry the id of the person who sees them; like every message here, they come from the bot
    const person = m.kind === "ephemeral" ? null : ui.data.people.find((p) => p.id === m.user);
    const isBot = !person;
    const time = new Date(parseFloat(m.ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    const surface = m.kind === "ephemeral" ? "ephemeral" : "message";
    const blocks = m.blocks && m.blocks.length ? m.blocks : [{ type: "section", text: { type: "mrkdwn", text: m.text || "" } }];
    const onAction = (block, element, value, node) => act({ surface, channel, ts: m.ts, block, element, value }, node);
    return h("div", { class: `msg ${m.kind}`, "data-ts": m.ts },
      h("div", { class: "avatar" }, isBot ? "G" : person.name[0]),
      h("div", { class: "body" },
        h("div", { class: "who" }, isBot ? "gtm-bot" : person.name, isBot ? h("span", { class: "app" }, "APP") : null, h("span", { class: "time" }, time)),
        m.kind === "ephemeral" ? h("div", { class: "only-you" }, `Only visible to you${m.command ? " · " + m.command : ""}`) : null,
        render(blocks, ctx({ onAction }))));
  }

  function drawMain() {
    $("conv-title").textContent = channelName(ui.conv);
    $("tabs").hidden = ui.conv !== "app";
    for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === ui.tab);
    const showHome = ui.conv === "app" && ui.tab === "home";
    $("timeline").hidden = showHome;
    $("home").hidden = !showHome;
    $("composer").hidden = showHome;
    if (showHome) {
      const key = JSON.stringify(["home", ui.user, ui.data.home, ui.data.people.length]);
      if (ui.drawn.main === key) return;
      ui.drawn.main = key;
      const home = ui.data.home;
      $("home").replaceChildren(home
        ? render(home.blocks, ctx({ onAction: (block, element, value, node) =>
            act({ surface: "home", view_id: home.id, block, element, value, state: collect($("home")) }, node) }))
        : h("div", { class: "empty" }, "gtm-bot has not published a Home tab yet. Type /gtm help in Messages to see what it can do."));
      return;
    }
    const channel = currentChannel();
    const items = ui.data.conversations[channel] || [];
    const key = JSON.stringify([channel, ui.user, items, ui.data.people.length]);
    if (ui.drawn.main === key) return;
    ui.drawn.main = key;
    const tl = $("timeline");
    const atBottom = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 40;
    tl.replaceChildren(...(items.length ? items.map((m) => drawMessage(m, channel))
      : [h("div", { class: "empty" }, ui.conv === "app" ? "No messages from gtm-bot yet." : "Nothing here yet. Try /gtm help.")]));
    if (atBottom || ui.drawn.scrollFor !== channel) { tl.scrollTop = tl.scrollHeight; ui.drawn.scrollFor = channel; }
  }

  function drawModal() {
    const modal = ui.data.modal;
    const key = JSON.stringify(modal);
    if (ui.drawn.modal === key) return;
    ui.drawn.modal = key;
    $("modal-backdrop").hidden = !modal;
    const form = $("modal");
    if (!modal) { form.replaceChildren(); return; }
    form.dataset.viewId = modal.id;
    const onAction = (block, element, value, node) =>
      act({ surface: "view", view_id: modal.id, block, element, value, state: collect(form) }, node);
    // keep what the person typed when the view is redrawn for errors
    const typed = ui.drawn.modalId === modal.id ? collect(form) : null;
    const content = render(modal.blocks, ctx({ errors: modal.errors, onAction }));
    form.replaceChildren(
      h("div", { class: "title" }, h("span", { id: "modal-title" }, (modal.title && modal.title.text) || ""),
        h("button", { type: "button", "aria-label": "Close", onclick: () => closeModal(modal.id) }, "×")),
      h("div", { class: "modal-body" }, content),
      h("div", { class: "footer" },
        h("button", { type: "button", class: "btn", onclick: () => closeModal(modal.id) }, (modal.close && modal.close.text) || "Cancel"),
        modal.submit ? h("button", { type: "submit", class: "btn primary" }, modal.submit.text) : null));
    form.setAttribute("aria-labelledby", "modal-title");
    if (typed) restore(form, typed);
    ui.drawn.modalId = modal.id;
  }

  function restore(root, state) {
    for (const node of root.querySelectorAll(".input-block [data-block][data-type]")) {
      const raw = state[node.dataset.block];
      if (raw === undefined || raw === null) continue;
      if (node.dataset.type === "checkboxes" || node.dataset.type === "radio_buttons") {
        const wanted = new Set([].concat(raw));
        for (const i of node.querySelectorAll("input")) i.checked = wanted.has(i.value);
      } else if (node.multiple) {
        const wanted = new Set(raw);
        for (const o of node.options) o.selected = wanted.has(o.value);
      } else node.value = raw;
    }
  }

  function draw() {
    if (!ui.data) return;
    drawWho(); drawSidebar(); drawMain(); drawModal();
  }

  async function refresh() {
    try {
      ui.data = await api(`state?user=${encodeURIComponent(ui.user)}`);
      draw();
    } catch (e) { toast(`The playground server did not answer: ${e.message}`); }
  }

  function answered(result) {
    if (result.status !== 200) toast(`The bot answered HTTP ${result.status}${result.answer && result.answer.text ? ": " + result.answer.text : ""}`);
  }

  async function act(body, node) {
    if (node && node.tagName === "BUTTON") node.disabled = true;
    try { answered(await api("action", { user: ui.user, ...body })); }
    catch (e) { toast(e.message); }
    finally { if (node) node.disabled = false; }
    await refresh();
    setTimeout(refresh, 300);
  }

  async function closeModal(viewId) {
    try { await api("close", { user: ui.user, view_id: viewId }); } catch (e) { toast(e.message); }
    await refresh();
  }

  $("modal").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = $("modal");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try { answered(await api("submit", { user: ui.user, view_id: form.dataset.viewId, state: collect(form) })); }
    catch (err) { toast(err.message); }
    finally { if (button) button.disabled = false; }
    await refresh();
    setTimeout(refresh, 300);
  });

  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("composer-input");
    const line = input.value.trim();
    if (!line) return;
    const match = line.match(/^(\/\S+)\s*([\s\S]*)$/);
    if (!match) { toast("Only slash commands reach the bot here: try /gtm help or /glossary SAO."); return; }
    input.value = "";
    try { answered(await api("command", { user: ui.user, channel: currentChannel(), command: match[1], text: match[2] })); }
    catch (err) { toast(err.message); }
    await refresh();
    setTimeout(refresh, 400);
  });

  function go(conv, tab) {
    ui.conv = conv;
    if (tab) ui.tab = tab;
    ui.drawn.main = null;
    const url = new URL(location.href);
    url.searchParams.set("user", ui.user);
    url.searchParams.set("conv", ui.conv);
    url.searchParams.set("tab", ui.tab);
    history.replaceState(null, "", url);
    if (conv === "app" && ui.tab === "home") openHome();
    else if (ui.data) draw();
  }

  async function openHome() {
    try { await api("home", { user: ui.user }); } catch (e) { toast(e.message); }
    await refresh();
    setTimeout(refresh, 400);
  }

  $("tabs").addEventListener("click", (e) => { const t = e.target.closest("button"); if (t) go("app", t.dataset.tab); });
  $("who").addEventListener("change", (e) => {
    ui.user = e.target.value;
    localStorage.setItem("gtm.user", ui.user);
    ui.drawn = {};
    go(ui.conv);
    refresh();
  });

  go(ui.conv);
  refresh();
  setInterval(refresh, 1000);
})();
