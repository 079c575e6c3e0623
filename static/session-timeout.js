// Warns before the session ends for lack of activity and offers to stay logged in (issue 15). Progressive
// enhancement: without this script the session simply ends, and a form sent afterwards is kept and put back after
// logging in again (hub.web.kept_forms). Reads data-session-* on <body>; builds its dialog from fixed Dutch text.
(function () {
  "use strict";
  var body = document.body;
  var seconds = parseInt(body.getAttribute("data-session-seconds") || "0", 10);
  var warning = parseInt(body.getAttribute("data-session-warning") || "0", 10);
  var renewUrl = body.getAttribute("data-session-renew");
  var tokenField = document.querySelector('input[name="csrf_token"]');
  if (!seconds || !renewUrl || !tokenField || typeof HTMLDialogElement === "undefined") {
    return;
  }
  var endsAt = 0;
  var timers = [];
  var dialog, title, text, stay, close, countdown;

  function element(tag, attrs, content) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (content) { node.textContent = content; }
    return node;
  }

  function build() {
    dialog = element("dialog", {
      id: "sessie-waarschuwing", "class": "session-dialog",
      "aria-labelledby": "sessie-waarschuwing-titel", "aria-describedby": "sessie-waarschuwing-tekst"
    });
    title = element("h2", { id: "sessie-waarschuwing-titel" }, "Uw sessie verloopt bijna");
    text = element("p", { id: "sessie-waarschuwing-tekst" });
    stay = element("button", { type: "button", "class": "button" }, "Ingelogd blijven");
    close = element("button", { type: "button", "class": "button secondary" }, "Sluiten");
    close.hidden = true;
    stay.addEventListener("click", renew);
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(title);
    dialog.appendChild(text);
    dialog.appendChild(stay);
    dialog.appendChild(close);
    body.appendChild(dialog);
  }

  function remaining() {
    return Math.max(0, Math.round((endsAt - Date.now()) / 1000));
  }

  function spoken(secs) {
    if (secs >= 120) { return Math.round(secs / 60) + " minuten"; }
    if (secs >= 60) { return "1 minuut"; }
    return secs + (secs === 1 ? " seconde" : " seconden");
  }

  function warn() {
    if (!dialog) { build(); }
    title.textContent = "Uw sessie verloopt bijna";
    text.textContent = "U bent een tijd niet actief geweest. Over " + spoken(remaining()) +
      " wordt u automatisch uitgelogd. Wat u hebt ingevuld maar nog niet verstuurd, blijft op de pagina staan.";
    stay.hidden = false;
    close.hidden = true;
    if (!dialog.open) { dialog.showModal(); }
    stay.focus();
  }

  function expired() {
    if (!dialog) { build(); }
    title.textContent = "Uw sessie is verlopen";
    text.textContent = "U bent automatisch uitgelogd. Verstuurt u nu een formulier, dan vraagt de site u eerst " +
      "opnieuw in te loggen en zet daarna terug wat u had ingevuld (bijlagen niet).";
    stay.hidden = true;
    close.hidden = false;
    if (!dialog.open) { dialog.showModal(); }
    close.focus();
  }

  function schedule(secs) {
    timers.forEach(clearTimeout);
    clearInterval(countdown);
    endsAt = Date.now() + secs * 1000;
    timers = [
      setTimeout(warn, Math.max(0, secs - warning) * 1000),
      // A second late: the server's end is never later than this (its answer rounds down), so a page opened
      // after the dialog says "verlopen" really finds the session ended.
      setTimeout(expired, (secs + 1) * 1000)
    ];
  }

  function renew() {
    stay.disabled = true;
    fetch(renewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json" },
      body: "csrf_token=" + encodeURIComponent(tokenField.value)
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!response.ok || !json) { throw new Error("not renewed"); }
      return response.json();
    }).then(function (data) {
      stay.disabled = false;
      dialog.close();
      schedule(data.seconds);
    }).catch(function () {
      stay.disabled = false;
      expired();
    });
  }

  schedule(seconds);
}());
