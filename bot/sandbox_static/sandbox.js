// The WhatsApp simulator page: the customer's phone. It sends through /sandbox/send, shows what
// the bot sent (/sandbox/messages), and reports receipts (/sandbox/receipts) the way a phone
// does — delivered when a message arrives, read once it has been on a visible screen — which
// come back as the ticks under each of the bot's messages.
(() => {
  "use strict";
  const $ = id => document.getElementById(id);
  const chat = $("chat"), err = $("error"), phoneSel = $("phone"), other = $("other");
  const reactions = $("reactions"), stickers = $("stickers"), stickerToggle = $("sticker-toggle");
  const RANK = {sent: 1, delivered: 2, read: 3, played: 4, failed: 5};
  const FINAL = new Set(["read", "played", "failed"]);
  const TICKS = {
    pending: ["◷", "Enviando"], sent: ["✓", "Enviado"], delivered: ["✓✓", "Entregado"],
    read: ["✓✓", "Leído"], played: ["✓✓", "Escuchado"], failed: ["!", "No se pudo enviar"],
  };
  const READ_AFTER_MS = 1000;  // on a visible screen this long: read

  let since = {}, bots = new Map(), mine = new Map(), reactingTo = null, busy = false;

  const waId = () => phoneSel.value === "__other__" ? other.value.replace(/\D/g, "") : phoneSel.value;
  const esc = s => String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  // Links in what the bot wrote open like on a phone (the text is escaped first: only http(s)
  // addresses become anchors).
  const linkify = html => html.replace(/\bhttps?:\/\/[^\s<]+[^\s<.,;:!?)]/g,
    url => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`);
  const clock = t => new Date(t * 1000).toLocaleTimeString("es-AR", {hour: "2-digit", minute: "2-digit", hour12: false});
  const nearBottom = () => chat.scrollHeight - chat.scrollTop - chat.clientHeight < 80;

  function setTicks(el, state) {
    const [mark, label] = TICKS[state] || TICKS.pending;
    el.dataset.state = state;
    el.textContent = mark;
    el.title = label;
    el.setAttribute("aria-label", label);
  }

  // Follow the conversation down unless the person scrolled up to read something.
  const follow = stick => { if (stick) chat.scrollTop = chat.scrollHeight; };

  function bubble(who, html, at, {sticker = false} = {}) {
    const row = document.createElement("div");
    row.className = "row " + who;
    const div = document.createElement("div");
    div.className = "msg" + (sticker ? " sticker" : "");
    div.innerHTML = html + `<div class="meta"><time>${clock(at)}</time></div>`;
    row.appendChild(div);
    chat.appendChild(row);
    return div;
  }

  function addTicks(div, state) {
    const t = document.createElement("span");
    t.className = "ticks";
    setTicks(t, state);
    div.querySelector(".meta").appendChild(t);
    return t;
  }

  function renderBot(m) {
    const p = m.payload, part = p[p.type] || {};
    let html = "", choices = [];
    if (p.type === "text") html = linkify(esc(part.body));
    else if (p.type === "interactive") {
      html = (part.header ? `<b>${esc(part.header.text)}</b>\n` : "") + linkify(esc(part.body.text)) +
             (part.footer ? `\n<i>${esc(part.footer.text)}</i>` : "");
      if (part.type === "button") choices = part.action.buttons.map(b => ({kind: "button", id: b.reply.id, title: b.reply.title}));
      else (part.action.sections || []).forEach(s => s.rows.forEach(r =>
        choices.push({kind: "list", id: r.id, title: r.title, description: r.description || ""})));
    } else if (p.type === "document") {
      const href = part.link || `/sandbox/media/${encodeURIComponent(part.id)}`;
      html = `📄 <a href="${esc(href)}" target="_blank" rel="noopener">${esc(part.filename || "documento")}</a>` + (part.caption ? `\n${esc(part.caption)}` : "");
    } else if (p.type === "location") {
      html = `📍 <a href="https://www.openstreetmap.org/?mlat=${esc(part.latitude)}&mlon=${esc(part.longitude)}" target="_blank" rel="noopener">${esc(part.name || "Ubicación")}</a> ${esc(part.address || "")}`;
    } else html = esc(m.preview);
    const div = bubble("bot", html, m.at);
    div.dataset.wamid = m.wamid;
    if (choices.length) {
      const box = document.createElement("div");
      box.className = "choices";
      choices.forEach(c => {
        const b = document.createElement("button");
        b.type = "button"; b.textContent = c.title; b.title = c.description || "";
        b.addEventListener("click", () => {
          box.querySelectorAll("button").forEach(x => x.disabled = true);
          send({kind: c.kind, id: c.id, title: c.title, description: c.description}, {shown: "👆 " + c.title});
        });
        box.appendChild(b);
      });
      div.insertBefore(box, div.lastChild);
    }
    const react = document.createElement("button");
    react.type = "button"; react.className = "react"; react.textContent = "☺";
    react.title = "Reaccionar"; react.setAttribute("aria-label", "Reaccionar");
    react.addEventListener("click", () => openReactions(m.wamid));
    div.parentNode.appendChild(react);
    bots.set(m.wamid, {div, ticks: addTicks(div, "pending"), state: null, shownAt: null, reaction: ""});
  }

  // -- receipts: the phone tells WhatsApp what arrived and what was read ----------------------

  async function report(id) {
    const now = Date.now(), visible = document.visibilityState === "visible";
    const delivered = [], read = [];
    for (const [wamid, b] of bots) {
      if (FINAL.has(b.state)) continue;
      if (visible && b.shownAt === null) b.shownAt = now;
      if (visible && b.shownAt !== null && now - b.shownAt >= READ_AFTER_MS && (RANK[b.state] || 0) >= RANK.delivered) read.push(wamid);
      else if ((RANK[b.state] || 0) < RANK.delivered) delivered.push(wamid);
    }
    const unseen = [...mine].filter(([, m]) => !m.seen).map(([wamid]) => wamid);
    if (!delivered.length && !read.length && !unseen.length) return;
    const r = await fetch("/sandbox/receipts", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({wa_id: id, delivered: delivered.slice(-50), read: read.slice(-50), mine: unseen.slice(-50)})});
    if (!r.ok) return;
    const data = await r.json();
    Object.entries(data.statuses).forEach(([wamid, state]) => {
      const b = bots.get(wamid);
      if (b && (RANK[state] || 0) > (RANK[b.state] || 0)) { b.state = state; setTicks(b.ticks, state); }
    });
    // The bot marks the last message of a burst read; as in WhatsApp, that reads the earlier ones too.
    const seen = new Set(data.seen), order = [...mine.keys()];
    const last = Math.max(-1, ...order.map((wamid, i) => seen.has(wamid) ? i : -1));
    order.slice(0, last + 1).forEach(wamid => { const m = mine.get(wamid); if (!m.seen) { m.seen = true; setTicks(m.ticks, "read"); } });
  }

  async function poll() {
    const id = waId();
    if (!id || busy) return;
    busy = true;
    try {
      const q = new URLSearchParams({wa_id: id});
      if (since[id]) q.set("since", since[id]);
      const r = await fetch("/sandbox/messages?" + q);
      const data = await r.json();
      if (id !== waId()) return;  // the phone changed meanwhile
      const stick = !since[id] || nearBottom();  // the first load shows the latest
      data.messages.forEach(m => { renderBot(m); since[id] = Math.max(since[id] || 0, m.at); });
      if (data.messages.length) follow(stick);
      if (!since[id]) since[id] = data.now;
      await report(id);
    } catch (e) {
      /* the server restarting: try again on the next tick */
    } finally {
      busy = false;
    }
  }

  // -- sending ------------------------------------------------------------------------------

  async function send(fields, {shown = "", html = null, file = null, sticker = false, silent = false} = {}) {
    err.textContent = "";
    const id = waId();
    if (!id) { err.textContent = "Elegí o escribí un número."; return null; }
    const fd = new FormData();
    fd.set("wa_id", id);
    fd.set("name", $("name").value);
    Object.entries(fields).forEach(([k, v]) => v !== undefined && fd.set(k, v));
    if (file) fd.set("file", file);
    const div = silent ? null : bubble("me", html ?? esc(shown), Date.now() / 1000, {sticker});
    if (div) {
      follow(true);
      // A sticker's picture has no height until it loads.
      div.querySelector("img")?.addEventListener("load", () => follow(true), {once: true});
    }
    const ticks = div && addTicks(div, "pending");
    const r = await fetch("/sandbox/send", {method: "POST", body: fd}).catch(() => null);
    const data = r ? await r.json().catch(() => ({})) : {};
    if (!r || !r.ok) {
      err.textContent = data.error || "No se pudo mandar.";
      if (ticks) setTicks(ticks, "failed");
      return null;
    }
    if (div) {
      div.dataset.wamid = data.wamid;
      setTicks(ticks, "sent");
      mine.set(data.wamid, {ticks, seen: false});
    }
    return data;
  }

  $("composer").addEventListener("submit", e => {
    e.preventDefault();
    const input = $("text"), text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({kind: "text", text}, {shown: text});
  });
  $("file").addEventListener("change", e => {
    const f = e.target.files[0];
    if (f) send({}, {shown: (f.type.startsWith("audio/") ? "🎤 " : "📎 ") + f.name, file: f});
    e.target.value = "";
  });
  $("pin").addEventListener("click", () => {
    const where = prompt("Latitud, longitud (y opcionalmente una dirección)", "-34.5889, -58.4306, Gorriti 3400, Palermo");
    if (!where) return;
    const [lat, lng, ...rest] = where.split(",").map(s => s.trim());
    send({kind: "location", latitude: lat, longitude: lng, address: rest.join(", ")}, {shown: "📍 " + where});
  });

  // -- reactions and stickers ---------------------------------------------------------------

  function openReactions(wamid) {
    closeTrays();
    reactingTo = wamid;
    $("unreact").hidden = !bots.get(wamid)?.reaction;
    reactions.hidden = false;
    reactions.querySelector("button.emoji").focus();
  }

  function closeTrays() {
    reactions.hidden = stickers.hidden = true;
    stickerToggle.setAttribute("aria-expanded", "false");
    reactingTo = null;
  }

  async function react(emoji) {
    const wamid = reactingTo, b = bots.get(wamid);
    closeTrays();
    if (!b) return;
    if (emoji === b.reaction) emoji = "";  // the same one again takes it back, as in WhatsApp
    const data = await send({kind: "reaction", message_id: wamid, emoji}, {silent: true});
    if (!data) return;
    b.reaction = emoji;
    let badge = b.div.querySelector(".reaction");
    if (!emoji) { badge?.remove(); return; }
    if (!badge) { badge = document.createElement("span"); badge.className = "reaction"; b.div.appendChild(badge); }
    badge.textContent = emoji;
    badge.title = "Tu reacción";
  }

  reactions.querySelectorAll("button.emoji").forEach(b => b.addEventListener("click", () => react(b.dataset.emoji)));
  $("unreact").addEventListener("click", () => react(""));
  document.querySelectorAll(".picker .close").forEach(b => b.addEventListener("click", closeTrays));
  stickerToggle.addEventListener("click", () => {
    const open = stickers.hidden;
    closeTrays();
    stickers.hidden = !open;
    stickerToggle.setAttribute("aria-expanded", String(open));
  });
  stickers.querySelectorAll("button.sticker").forEach(b => b.addEventListener("click", () => {
    const img = b.querySelector("img");
    closeTrays();
    send({kind: "sticker", sticker: b.dataset.sticker},
         {html: `<img src="${esc(img.src)}" alt="${esc(img.alt)}">`, sticker: true});
  }));
  document.addEventListener("keydown", e => { if (e.key === "Escape") closeTrays(); });

  function reset() {
    chat.querySelectorAll(".row").forEach(r => r.remove());
    since = {}; bots = new Map(); mine = new Map();
    closeTrays();
  }
  phoneSel.addEventListener("change", () => { other.hidden = phoneSel.value !== "__other__"; reset(); });
  other.addEventListener("change", reset);
  poll();
  setInterval(poll, 700);
})();
