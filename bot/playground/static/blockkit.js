/* Block Kit -> DOM, as Slack's client shows it (the parts gtm-bot uses, and a little more). No framework. */
"use strict";
const BlockKit = (() => {
  const h = (tag, attrs = {}, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
    return el;
  };
  const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const unescapeSlack = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

  /* Slack's standard emoji for the shortcodes gtm-bot's templates use, and some common ones; others stay as typed. */
  const EMOJI = {
    white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", no_entry: "⛔", no_entry_sign: "🚫", lock: "🔒",
    unlock: "🔓", key: "🔑", office: "🏢", outbox_tray: "📤", inbox_tray: "📥", arrows_counterclockwise: "🔄",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", information_source: "ℹ️", tada: "🎉", warning: "⚠️",
    mag: "🔍", mag_right: "🔎", bulb: "💡", memo: "📝", pencil: "📝", pencil2: "✏️", calendar: "📆", date: "📅",
    spiral_calendar_pad: "🗓️", clipboard: "📋", pushpin: "📌", round_pushpin: "📍", link: "🔗", bell: "🔔",
    books: "📚", book: "📖", bookmark: "🔖", briefcase: "💼", moneybag: "💰", chart_with_upwards_trend: "📈",
    chart_with_downwards_trend: "📉", bar_chart: "📊", handshake: "🤝", busts_in_silhouette: "👥",
    bust_in_silhouette: "👤", eyes: "👀", wave: "👋", "+1": "👍", thumbsup: "👍", "-1": "👎", thumbsdown: "👎",
    raised_hands: "🙌", clap: "👏", point_right: "👉", arrow_right: "➡️", arrow_left: "⬅️", arrow_up: "⬆️",
    arrow_down: "⬇️", rocket: "🚀", star: "⭐", sparkles: "✨", fire: "🔥", zap: "⚡", question: "❓",
    grey_question: "❔", exclamation: "❗", heavy_exclamation_mark: "❗", speech_balloon: "💬", email: "📧",
    envelope: "✉️", gear: "⚙️", hammer_and_wrench: "🛠️", wrench: "🔧", construction: "🚧", stopwatch: "⏱️",
    alarm_clock: "⏰", trophy: "🏆", shield: "🛡️", globe_with_meridians: "🌐", earth_americas: "🌎",
    large_green_circle: "🟢", large_yellow_circle: "🟡", red_circle: "🔴", white_circle: "⚪",
    large_blue_circle: "🔵", heavy_plus_sign: "➕", heavy_minus_sign: "➖", repeat: "🔁", smile: "😄",
    slightly_smiling_face: "🙂", thinking_face: "🤔", robot_face: "🤖", card_index: "📇", label: "🏷️",
    dart: "🎯", money_with_wings: "💸", calling: "📲", telephone_receiver: "📞", crown: "👑",
  };
  const emojify = (s) => String(s || "").replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);

  /* A <...> token: <@U1>, <#C1|name>, <!here>, <!date^...|fallback>, <url|label>. */
  function special(part, ctx) {
    const bar = part.indexOf("|");
    const target = bar < 0 ? part : part.slice(0, bar);
    const label = bar < 0 ? "" : unescapeSlack(part.slice(bar + 1));
    if (target.startsWith("@")) {
      const person = (ctx.people || []).find((p) => p.id === target.slice(1));
      return `<span class="mention">@${escapeHtml(person ? person.name : label || target.slice(1))}</span>`;
    }
    if (target.startsWith("#")) {
      const channel = (ctx.channels || []).find((c) => c.id === target.slice(1));
      return `<span class="mention">#${escapeHtml(label || (channel ? channel.name : target.slice(1)))}</span>`;
    }
    if (target.startsWith("!date^")) return escapeHtml(label);
    if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHtml(label || "@group")}</span>`;
    if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(label || target.slice(1).split("^")[0])}</span>`;
    const url = unescapeSlack(target);
    const safe = /^(https?:|mailto:)/i.test(url) ? url : "#";
    return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener">${escapeHtml(label || url)}</a>`;
  }

  /* Slack mrkdwn -> HTML: tokens and code are set aside first, so formatting never reaches into a URL,
     a mention or code; then *bold*, _italic_, ~strike~ (only at word boundaries, as Slack does),
     :emoji:, > quotes and line breaks. */
  function mrkdwn(source, ctx) {
    const kept = [];
    const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
    let s = String(source || "");
    s = s.replace(/<([^<>]+)>/g, (_m, part) => keep(special(part, ctx)));
    s = s.replace(/```\n?([\s\S]*?)```/g, (_m, c) => keep(`<pre>${escapeHtml(unescapeSlack(c))}</pre>`));
    s = s.replace(/`([^`\n]+)`/g, (_m, c) => keep(`<code>${escapeHtml(unescapeSlack(c))}</code>`));
    s = escapeHtml(unescapeSlack(s));
    s = s.replace(/:([a-z0-9_+-]+):/g, (m, name) => (EMOJI[name] ? keep(`<span class="emoji" title=":${name}:">${EMOJI[name]}</span>`) : m));
    const mark = (ch, tag) => {
      const c = `\\${ch}`;
      const re = new RegExp(`(^|[^\\w${c}])${c}(?=\\S)([^${c}\\n]*?[^\\s${c}])?${c}(?![\\w${c}])`, "g");
      s = s.replace(re, (m, before, inner) => (inner === undefined ? m : `${before}<${tag}>${inner}</${tag}>`));
    };
    mark("*", "b");
    mark("_", "i");
    mark("~", "s");
    s = s.replace(/(^|\n)&gt; ?([^\n]*)(\n?)/g, "$1<blockquote>$2</blockquote>");
    s = s.replace(/\n/g, "<br>");
    while (/\u0000\d+\u0000/.test(s)) s = s.replace(/\u0000(\d+)\u0000/g, (_m, i) => kept[Number(i)]);
    return s;
  }

  function text(obj, ctx) {
    const span = h("span", { class: "text" });
    if (!obj) return span;
    if (obj.type === "mrkdwn") span.innerHTML = mrkdwn(obj.text, ctx);
    else span.textContent = obj.emoji === false ? obj.text || "" : emojify(obj.text);
    return span;
  }
  const plain = (obj) => (obj ? (obj.emoji === false ? obj.text || "" : emojify(obj.text)) : "");

  /* A confirm object ({title, text, confirm, deny, style}) as Slack's client shows it: a small dialog over
     everything; resolves true when the person confirms. */
  function confirmDialog(c, ctx) {
    return new Promise((resolve) => {
      const done = (yes) => { backdrop.remove(); document.removeEventListener("keydown", onKey, true); resolve(yes); };
      const onKey = (e) => { if (e.key === "Escape") { e.stopPropagation(); done(false); } };
      const yes = h("button", { type: "button", class: `btn ${c.style === "danger" ? "danger" : "primary"}` }, plain(c.confirm) || "Yes");
      const no = h("button", { type: "button", class: "btn" }, plain(c.deny) || "Cancel");
      yes.addEventListener("click", () => done(true));
      no.addEventListener("click", () => done(false));
      const backdrop = h("div", { class: "backdrop confirm-backdrop" },
        h("div", { class: "modal confirm", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "confirm-title" },
          h("div", { class: "title" }, h("span", { id: "confirm-title" }, plain(c.title) || "Are you sure?")),
          h("div", { class: "modal-body" }, text(c.text, ctx)),
          h("div", { class: "footer" }, no, yes)));
      document.addEventListener("keydown", onKey, true);
      document.body.append(backdrop);
      yes.focus();
    });
  }

  function options(el) {
    const all = [...(el.options || [])];
    for (const g of el.option_groups || []) all.push(...(g.options || []));
    return all;
  }

  /* One interactive element. `fire(value)` sends an action now; elements in input blocks only hold state. */
  function element(el, ctx, ref, fire) {
    const a = { "data-action-id": el.action_id || "", "data-block": ref.block, "data-element": ref.element, "data-type": el.type };
    const placeholder = plain(el.placeholder);
    switch (el.type) {
      case "button": {
        const b = h("button", { ...a, type: "button", class: `btn ${el.style || ""}`.trim() }, plain(el.text));
        b.addEventListener("click", async () => {
          if (el.confirm && !(await confirmDialog(el.confirm, ctx))) return;
          if (el.url) window.open(el.url, "_blank", "noopener");
          if (fire) fire(null, b);
        });
        return b;
      }
      case "static_select": case "external_select": case "overflow": {
        const s = h("select", { ...a, "aria-label": ref.label || placeholder || el.action_id || "choose" },
          h("option", { value: "" }, el.type === "overflow" ? "⋯" : (placeholder || "Select an item")));
        for (const o of options(el)) s.append(h("option", { value: o.value }, plain(o.text)));
        if (el.initial_option) s.value = el.initial_option.value;
        let last = s.value;
        s.addEventListener("change", async () => {
          if (el.confirm && !(await confirmDialog(el.confirm, ctx))) { s.value = last; return; }
          last = s.value;
          if (s.value && fire) fire(s.value, s);
        });
        return s;
      }
      case "multi_static_select": case "multi_users_select": {
        const choices = el.type === "multi_users_select" ? (ctx.people || []).map((p) => ({ value: p.id, text: { text: p.name } })) : options(el);
        const s = h("select", { ...a, multiple: true, "aria-label": ref.label || placeholder || el.action_id });
        for (const o of choices) s.append(h("option", { value: o.value }, plain(o.text)));
        const initial = new Set([...(el.initial_options || []).map((o) => o.value), ...(el.initial_users || [])]);
        for (const o of s.options) o.selected = initial.has(o.value);
        s.addEventListener("change", () => fire && fire([...s.selectedOptions].map((o) => o.value), s));
        return s;
      }
      case "users_select": case "conversations_select": case "channels_select": {
        // a users_select lists the sample org by name (role and region as a hint, which Slack shows as a profile)
        const list = el.type === "users_select"
          ? [...(ctx.people || [])].sort((x, y) => x.name.localeCompare(y.name))
              .map((p) => ({ id: p.id, name: `${p.name} (${p.role}${p.region ? ", " + p.region : ""})` }))
          : (ctx.channels || []).map((c) => ({ id: c.id, name: `#${c.name}` }));
        const s = h("select", { ...a, "aria-label": ref.label || placeholder || el.action_id },
          h("option", { value: "" }, placeholder || (el.type === "users_select" ? "Select a person" : "Select a channel")));
        for (const o of list) s.append(h("option", { value: o.id }, o.name));
        s.value = el.initial_user || el.initial_conversation || el.initial_channel || "";
        s.addEventListener("change", () => { if (s.value && fire) fire(s.value, s); });
        return s;
      }
      case "datepicker": case "timepicker": {
        const i = h("input", { ...a, type: el.type === "datepicker" ? "date" : "time", "aria-label": placeholder || el.action_id });
        i.value = el.initial_date || el.initial_time || "";
        i.addEventListener("change", () => fire && i.value && fire(i.value, i));
        return i;
      }
      case "checkboxes": case "radio_buttons": {
        const box = h("div", { ...a, role: el.type === "radio_buttons" ? "radiogroup" : "group" });
        const name = `r-${ref.block}-${ref.element}-${Math.random().toString(36).slice(2)}`;
        const initial = new Set([...(el.initial_options || []), ...(el.initial_option ? [el.initial_option] : [])].map((o) => o.value));
        for (const o of options(el)) {
          const input = h("input", { type: el.type === "checkboxes" ? "checkbox" : "radio", name, value: o.value, checked: initial.has(o.value) });
          input.addEventListener("change", () => fire && fire(valueOf(box), box));
          box.append(h("label", { class: "choice" }, input, " ", text(o.text, ctx),
            o.description ? h("div", { class: "hint" }, plain(o.description)) : null));
        }
        return box;
      }
      case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input": {
        const type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[el.type] || "text";
        const attrs = { ...a, placeholder, "aria-label": ref.label || placeholder || el.action_id, maxlength: el.max_length };
        const i = el.multiline ? h("textarea", attrs) : h("input", { ...attrs, type });
        i.value = el.initial_value || "";
        if (fire) i.addEventListener("keydown", (e) => { if (e.key === "Enter" && !el.multiline) { e.preventDefault(); fire(i.value, i); } });
        return i;
      }
      case "image":
        return h("span", { class: "image-alt" }, `🖼 ${el.alt_text || "image"}`);
      default:
        return h("span", { class: "hint" }, `[${el.type} is not drawn by the playground]`);
    }
  }

  /* The raw value of a drawn element, for view state: string, list of strings, or null. */
  function valueOf(node) {
    if (!node) return null;
    const t = node.dataset.type;
    if (t === "checkboxes") return [...node.querySelectorAll("input:checked")].map((i) => i.value);
    if (t === "radio_buttons") { const c = node.querySelector("input:checked"); return c ? c.value : null; }
    if (node.multiple) return [...node.selectedOptions].map((o) => o.value);
    return node.value === "" ? null : node.value;
  }

  /* State of a rendered view: {blockIndex: raw} for input blocks, {blockIndex: {elementIndex: raw}} for actions. */
  function collect(root) {
    const state = {};
    for (const node of root.querySelectorAll("[data-block][data-element][data-type]")) {
      if (node.dataset.type === "button") continue;
      const b = node.dataset.block, e = node.dataset.element;
      if (node.closest(".input-block")) state[b] = valueOf(node);
      else { state[b] = state[b] || {}; state[b][e] = valueOf(node); }
    }
    return state;
  }

  /* Blocks -> DOM. ctx: {people, channels, errors, inView, onAction(block, element, value, node, state?)} */
  function render(blocks, ctx) {
    const root = h("div", { class: "blocks" });
    (blocks || []).forEach((block, i) => {
      const id = block.block_id || `b${i}`;
      const fire = (j) => (value, node) => ctx.onAction && ctx.onAction(i, j, value, node);
      switch (block.type) {
        case "section": {
          const content = h("div", { class: "content" }, text(block.text, ctx));
          if (block.fields) content.append(h("div", { class: "fields" }, block.fields.map((f) => h("div", {}, text(f, ctx)))));
          const acc = block.accessory ? element(block.accessory, ctx, { block: i, element: 0 }, fire(0)) : null;
          root.append(h("div", { class: "block section", "data-block-id": id }, content, acc));
          break;
        }
        case "header":
          root.append(h("div", { class: "block header", role: "heading", "aria-level": "2", "data-block-id": id }, plain(block.text)));
          break;
        case "divider":
          root.append(h("hr", { class: "block divider" }));
          break;
        case "context":
          root.append(h("div", { class: "block context", "data-block-id": id },
            (block.elements || []).map((el) => el.type === "image" ? h("span", { class: "image-alt" }, el.alt_text || "") : text(el, ctx))));
          break;
        case "actions":
          root.append(h("div", { class: "block actions", "data-block-id": id },
            (block.elements || []).map((el, j) => element(el, ctx, { block: i, element: j }, fire(j)))));
          break;
        case "input": {
          const label = plain(block.label);
          const dispatch = block.dispatch_action ? fire(0) : null;
          const el = element(block.element, ctx, { block: i, element: 0, label }, dispatch);
          const err = (ctx.errors || {})[id];
          root.append(h("div", { class: `block input-block${err ? " has-error" : ""}`, "data-block-id": id },
            h("label", { class: "label" }, label, block.optional ? h("span", { class: "optional" }, " (optional)") : null),
            el,
            block.hint ? h("div", { class: "hint" }, plain(block.hint)) : null,
            err ? h("div", { class: "error", role: "alert" }, err) : null));
          break;
        }
        case "image":
          root.append(h("div", { class: "block" }, h("span", { class: "image-alt" }, `🖼 ${block.alt_text || ""}`)));
          break;
        case "rich_text": {
          const words = JSON.stringify(block.elements || []).match(/"text":"((?:[^"\\]|\\.)*)"/g) || [];
          root.append(h("div", { class: "block" }, words.map((w) => JSON.parse(w.slice(7))).join("")));
          break;
        }
        default:
          root.append(h("div", { class: "block hint" }, `[${block.type} block]`));
      }
    });
    return root;
  }

  return { render, collect, mrkdwn, emojify, confirmDialog, h };
})();
