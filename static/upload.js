/* Forms that carry files (form.file-upload, rows from templates/documents/_file_rows.html): progressive enhancement.
   Without this script the plain form works as it is. With it:
   - empty optional rows are hidden behind a button "Nog een bestand toevoegen" (rows are added up to the form's
     data-max-files);
   - files dropped on the form fill the empty rows (new rows when needed), each keeping its own type and date;
   - the form is sent with XMLHttpRequest to the same address, with a progress bar, the percentage and the time left
     (announced politely, not on every tick); the server answers as it always does: a redirect on success, the form
     with its errors otherwise, which replaces the page's main content.
   Loaded from 'self' under the hub's CSP: no inline script or style. */
(function () {
  "use strict";

  var ANNOUNCE_EVERY = 10; // percent: the live region speaks at most this often (and at least every few seconds)

  function fileInput(row) { return row.querySelector('input[type="file"]'); }

  function isEmpty(row) {
    var select = row.querySelector("select");
    var date = row.querySelector('input[name="document_date"]');
    var file = fileInput(row);
    return !(select && select.value) && !(date && date.value) && !(file && file.files && file.files.length) &&
      !row.querySelector(".error-message");
  }

  function renumber(row, number) {
    row.querySelectorAll("[id]").forEach(function (el) {
      el.id = el.id.replace(/-\d+(-(error|hint))?$/, "-" + number + "$1");
    });
    row.querySelectorAll("label[for]").forEach(function (el) {
      el.htmlFor = el.htmlFor.replace(/-\d+$/, "-" + number);
    });
    row.querySelectorAll("[aria-describedby]").forEach(function (el) {
      var ids = el.getAttribute("aria-describedby").split(/\s+/).filter(function (id) { return !/-error$/.test(id); });
      el.setAttribute("aria-describedby", ids.map(function (id) {
        return id.replace(/-\d+-hint$/, "-" + number + "-hint");
      }).join(" "));
    });
    var legend = row.querySelector("legend");
    if (legend) { legend.textContent = "Bestand " + number + " (niet verplicht)"; }
  }

  function blankCopy(row, number) {
    var copy = row.cloneNode(true);
    copy.querySelectorAll(".error-message").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    copy.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    copy.querySelectorAll("[required]").forEach(function (el) { el.removeAttribute("required"); });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll("input").forEach(function (el) { el.value = ""; });
    copy.hidden = false;
    renumber(copy, number);
    return copy;
  }

  function timeLeft(seconds) {
    if (!isFinite(seconds)) { return ""; }
    if (seconds < 60) {
      var s = Math.max(1, Math.round(seconds));
      return "nog ongeveer " + s + (s === 1 ? " seconde" : " seconden");
    }
    var m = Math.round(seconds / 60);
    return "nog ongeveer " + m + (m === 1 ? " minuut" : " minuten");
  }

  function enhance(form) {
    if (form.dataset.enhanced) { return; }
    form.dataset.enhanced = "1";
    var rows = function () { return Array.prototype.slice.call(form.querySelectorAll("[data-file-row]")); };
    var max = parseInt(form.dataset.maxFiles || "10", 10);
    var progress = form.querySelector("[data-upload-progress]");
    var bar = progress && progress.querySelector("progress");
    var status = progress && progress.querySelector("[data-upload-status]");
    var submit = form.querySelector('button[type="submit"]');
    if (!rows().length) { return; }

    // Spoken and shown when files are dropped or rows added.
    var note = document.createElement("p");
    note.className = "hint";
    note.setAttribute("aria-live", "polite");

    var zone = document.createElement("div");
    zone.className = "drop-zone";
    zone.setAttribute("data-drop-zone", "");
    zone.textContent = "Sleep bestanden hierheen om ze toe te voegen, of kies hieronder per rij een bestand.";
    rows()[0].parentNode.insertBefore(zone, rows()[0]);
    zone.parentNode.insertBefore(note, zone.nextSibling);

    var more = document.createElement("button");
    more.type = "button";
    more.className = "button secondary add-row";
    more.textContent = "Nog een bestand toevoegen";
    var last = rows()[rows().length - 1];
    last.parentNode.insertBefore(more, last.nextSibling);

    rows().forEach(function (row, i) { if (i > 0 && isEmpty(row)) { row.hidden = true; } });

    function update() {
      more.hidden = rows().length >= max && rows().every(function (r) { return !r.hidden; });
    }

    function appendRow() {
      var all = rows(), lastRow = all[all.length - 1];
      var copy = blankCopy(lastRow, all.length + 1);
      lastRow.parentNode.insertBefore(copy, lastRow.nextSibling);
      return copy;
    }

    // The first row without a file (shown if it was hidden), else a new one; null when the form is full.
    function nextRow() {
      var row = rows().filter(function (r) { return !fileInput(r).files.length; })[0];
      if (row) { row.hidden = false; return row; }
      return rows().length < max ? appendRow() : null;
    }

    more.addEventListener("click", function () {
      var row = rows().filter(function (r) { return r.hidden; })[0];
      if (!row && rows().length >= max) { return; }
      row = row || appendRow();
      row.hidden = false;
      update();
      row.querySelector("select").focus();
    });

    function addFiles(files) {
      var added = 0, first = null;
      for (var i = 0; i < files.length; i++) {
        var row = nextRow();
        if (!row) { break; }
        var one = new DataTransfer();
        one.items.add(files[i]);
        fileInput(row).files = one.files;
        added += 1;
        first = first || row;
      }
      update();
      var text = added === 1 ? "1 bestand toegevoegd." : added + " bestanden toegevoegd.";
      if (added < files.length) { text += " Er kunnen hoogstens " + max + " bestanden tegelijk mee."; }
      note.textContent = text + " Kies bij elk bestand de soort en de datum.";
      if (first) { first.querySelector("select").focus(); }
    }

    form.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        zone.classList.add("active");
      }
    });
    form.addEventListener("dragleave", function () { zone.classList.remove("active"); });
    form.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
      event.preventDefault();
      zone.classList.remove("active");
      addFiles(event.dataTransfer.files);
    });

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest || !progress) { return; }
      event.preventDefault();
      var data = new FormData(form); // the page's order: csrf_token first, each row's type and date before its file
      var xhr = new XMLHttpRequest();
      var started = Date.now(), spokenAt = -ANNOUNCE_EVERY, spokenTime = started;
      xhr.open("POST", form.action);
      progress.hidden = false;
      bar.value = 0;
      status.textContent = "Het uploaden is begonnen.";
      if (submit) { submit.disabled = true; }
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable || !e.total) { return; }
        var percent = Math.floor((e.loaded / e.total) * 100);
        var elapsed = (Date.now() - started) / 1000;
        var rate = elapsed > 0 ? e.loaded / elapsed : 0;
        bar.value = percent;
        bar.textContent = percent + "%";
        if (percent - spokenAt >= ANNOUNCE_EVERY || Date.now() - spokenTime > 5000 || percent === 100) {
          var left = percent < 100 && rate > 0 ? ", " + timeLeft((e.total - e.loaded) / rate) : "";
          status.textContent = percent + "% geüpload" + left + ".";
          spokenAt = percent;
          spokenTime = Date.now();
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        status.textContent = "100% geüpload. De bestanden worden gecontroleerd en opgeslagen.";
      });
      xhr.addEventListener("load", function () {
        var stayed = xhr.responseURL.split("#")[0] === form.action;
        if (xhr.status >= 200 && xhr.status < 300 && !stayed) {
          window.location.assign(xhr.responseURL); // the page the server sent us to, with its notice
          return;
        }
        show(xhr.responseText);
      });
      xhr.addEventListener("error", function () {
        status.textContent = "Het uploaden is mislukt. Controleer de verbinding en probeer het opnieuw.";
        if (submit) { submit.disabled = false; }
      });
      xhr.send(data);
    });
  }

  // The server's answer (the form with its errors, or an error page) in place of the page's main content.
  function show(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = document.querySelector("main");
    var fresh = doc.querySelector("main");
    if (!main || !fresh) { document.documentElement.innerHTML = doc.documentElement.innerHTML; return; }
    document.title = doc.title;
    main.innerHTML = fresh.innerHTML;
    init();
    var summary = main.querySelector(".error-summary") || main.querySelector("h1");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form.file-upload"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
