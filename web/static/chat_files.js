// Files in chat: sends the chosen file without reloading, and shows file
// messages that arrive live (chat.js announces each with a chat:message
// event) with their name, type, size and download link. Without it the
// form posts and the page shows the same.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  var form = document.getElementById("chat-file-form");
  if (!root) { return; }
  var getBase = form ? form.getAttribute("data-chat-file-get") : location.pathname.replace(/\/$/, "") + "/fil/";
  var lang = document.documentElement.lang || "sv";

  function size(n) {
    var mb = n >= 1000000;
    var v = (mb ? n / 1000000 : n / 1000).toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return v + (mb ? " MB" : " kB");
  }

  function kind(type) {
    return type === "application/pdf" ? "PDF" : type.replace("image/", "").toUpperCase();
  }

  root.addEventListener("chat:message", function (ev) {
    var m = ev.detail && ev.detail.message;
    var li = ev.detail && ev.detail.li;
    if (!m || !m.file || !li) { return; }
    var body = li.querySelector(".chat-message__body");
    if (!body) { return; }
    body.textContent = "";
    body.className = "chat-message__body chat-file";
    var a = document.createElement("a");
    a.href = getBase + encodeURIComponent(m.file.id);
    a.setAttribute("download", "");
    a.textContent = m.file.name;
    var meta = document.createElement("span");
    meta.className = "chat-file__meta";
    meta.textContent = "(" + kind(m.file.type) + ", " + size(m.file.size) + ")";
    body.appendChild(a);
    body.appendChild(document.createTextNode(" "));
    body.appendChild(meta);
  });

  if (!form || !window.fetch || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var status = document.getElementById("chat-file-status");
  form.addEventListener("submit", function (ev) {
    if (!input || !input.files || input.files.length === 0) { return; } // the server says what is missing
    ev.preventDefault();
    // Spare a phone the upload of a file the server would refuse for its size.
    if (input.files[0].size > parseInt(form.getAttribute("data-chat-file-max"), 10)) {
      status.textContent = form.getAttribute("data-chat-file-too-large");
      return;
    }
    var csrf = form.querySelector("input[name=_csrf]");
    status.textContent = form.getAttribute("data-chat-file-sending");
    fetch(form.getAttribute("data-chat-file-send"), {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf ? csrf.value : "" },
      body: new FormData(form)
    }).then(function (r) {
      if (r.ok) {
        input.value = "";
        status.textContent = form.getAttribute("data-chat-file-sent");
        return;
      }
      return r.json().then(function (j) {
        status.textContent = (j && j.error && j.error.message) || form.getAttribute("data-chat-file-failed");
      }, function () { status.textContent = form.getAttribute("data-chat-file-failed"); });
    }).catch(function () { form.submit(); });
  });
}());
