// Chat: long-polls for new messages and sends without reloading. The page
// works without it (forms post and the page has a refresh link).
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.fetch) { return; }
  var list = document.getElementById("chat-messages");
  var statusEl = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var last = parseInt(root.getAttribute("data-chat-last"), 10) || 0;
  var status = root.getAttribute("data-chat-status") || "";
  var mine = root.getAttribute("data-chat-mine");
  var csrf = null;
  var ws = null;
  // Typing, delivered and read (websocket only). The typing line and the
  // mark under one's own last message change only when their state does,
  // so a screen reader hears them calmly, never per keystroke.
  var typingEl = document.getElementById("chat-typing");
  var seenEl = document.createElement("span");
  seenEl.className = "chat-message__seen";
  var lastOther = 0, lastMine = 0, delivered = 0, read = 0, readSent = 0, typingSent = 0;
  Array.prototype.forEach.call(list.querySelectorAll("li[data-id]"), function (li) {
    var id = parseInt(li.getAttribute("data-id"), 10) || 0;
    if (li.className.indexOf("chat-message--mine") >= 0) { lastMine = Math.max(lastMine, id); } else { lastOther = Math.max(lastOther, id); }
  });

  function sendWS(o) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(o)); }
  }

  function showSeen() {
    var text = "";
    if (lastMine > 0 && read >= lastMine) { text = root.getAttribute("data-chat-read-text"); }
    else if (lastMine > 0 && delivered >= lastMine) { text = root.getAttribute("data-chat-delivered-text"); }
    var li = list.querySelector('li[data-id="' + lastMine + '"]');
    if (!text || !li) { if (seenEl.parentNode) { seenEl.parentNode.removeChild(seenEl); } return; }
    if (seenEl.parentNode !== li) { li.appendChild(seenEl); }
    if (seenEl.textContent !== " · " + text) { seenEl.textContent = " · " + text; }
  }

  function markRead() {
    if (document.visibilityState === "visible" && lastOther > readSent) {
      readSent = lastOther;
      sendWS({ read: lastOther });
    }
  }
  document.addEventListener("visibilitychange", markRead);

  function token() {
    if (csrf) { return Promise.resolve(csrf); }
    return fetch("/api/v1/csrf", { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (j) { csrf = j.token || j.Token; return csrf; });
  }

  function add(m) {
    if (m.id <= last) { return; }
    last = m.id;
    var li = document.createElement("li");
    li.className = "chat-message" + (m.sender === mine ? " chat-message--mine" : "");
    li.setAttribute("data-id", String(m.id));
    var body = document.createElement("span");
    body.className = "chat-message__body";
    body.textContent = m.body;
    li.appendChild(body);
    list.appendChild(li);
    if (m.sender === mine) { lastMine = m.id; } else { lastOther = m.id; }
    showSeen();
    root.dispatchEvent(new CustomEvent("chat:message", { detail: { li: li, message: m } }));
  }

  // A change of state reloads the page; once ended, the youth's token is
  // gone, so the youth goes to the page that says the conversation ended.
  function refresh() {
    if (status === "ended" && mine === "youth") {
      // data-chat-ended names the conversation, so a signed-in youth's page
      // can offer the feedback step (chat.FeedbackAsker).
      window.location.replace(root.getAttribute("data-chat-ended") || location.pathname + "?avslutat=1");
      return;
    }
    window.location.reload();
  }

  function poll() {
    var url = root.getAttribute("data-chat-poll") + "?after=" + last + "&wait=25&status=" + encodeURIComponent(status);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 404) { status = "ended"; refresh(); throw new Error("gone"); }
        return r.json();
      })
      .then(function (j) {
        (j.messages || []).forEach(add);
        if (j.status !== status) {
          status = j.status;
          if (status === "ended" || status === "active") { refresh(); return; }
        }
        setTimeout(poll, 200);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  if (form) {
    form.addEventListener("input", function () {
      var now = Date.now();
      if (now - typingSent > 3000) { typingSent = now; sendWS({ typing: true }); }
    });
    form.addEventListener("submit", function (ev) {
      var ta = form.querySelector("textarea");
      if (!ta || ta.value.trim() === "") { return; }
      ev.preventDefault();
      token().then(function (t) {
        return fetch(root.getAttribute("data-chat-send"), {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": t },
          body: JSON.stringify({ body: ta.value })
        });
      }).then(function (r) {
        if (r.ok) { ta.value = ""; return r.json().then(add); }
        form.submit();
      }).catch(function () { form.submit(); });
    });
  }
  // Prefer a websocket; fall back to long polling if it cannot open.
  function socket() {
    var wsPath = root.getAttribute("data-chat-ws");
    if (!wsPath || !window.WebSocket) { poll(); return; }
    var opened = false;
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath + "?after=" + last);
    ws.onopen = function () { opened = true; };
    ws.onmessage = function (ev) {
      var j;
      try { j = JSON.parse(ev.data); } catch (e) { return; }
      (j.messages || []).forEach(add);
      if (j.status && j.status !== status) {
        status = j.status;
        if (status === "ended" || status === "active") { refresh(); }
      }
      var typingText = j.typing ? typingEl && typingEl.getAttribute("data-text") : "";
      if (typingEl && typingEl.textContent !== typingText) { typingEl.textContent = typingText; }
      delivered = j.delivered || 0;
      read = j.read || 0;
      showSeen();
      if (lastOther > 0) { sendWS({ ack: lastOther }); }
      markRead();
    };
    ws.onclose = function () {
      if (status === "ended") { return; }
      if (opened) { setTimeout(socket, 1000); } else { poll(); }
    };
  }

  if (status !== "ended") { socket(); }
}());
