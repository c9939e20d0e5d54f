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
    root.dispatchEvent(new CustomEvent("chat:message", { detail: { li: li, message: m } }));
  }

  // A change of state reloads the page; once ended, the youth's token is
  // gone, so the youth goes to the page that says the conversation ended.
  function refresh() {
    if (status === "ended" && mine === "youth") { window.location.replace(location.pathname + "?avslutat=1"); return; }
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
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + wsPath + "?after=" + last);
    ws.onopen = function () { opened = true; };
    ws.onmessage = function (ev) {
      var j;
      try { j = JSON.parse(ev.data); } catch (e) { return; }
      (j.messages || []).forEach(add);
      if (j.status && j.status !== status) {
        status = j.status;
        if (status === "ended" || status === "active") { refresh(); }
      }
      ws.send(JSON.stringify({ ack: last }));
    };
    ws.onclose = function () {
      if (status === "ended") { return; }
      if (opened) { setTimeout(socket, 1000); } else { poll(); }
    };
  }

  if (status !== "ended") { socket(); }
}());
