/* Uploads: drag and drop, several files, one request per file with a progress
   bar, and each file's own result (added, duplicate, refused). Without
   JavaScript the form posts all chosen files at once. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("progress");
  var button = document.getElementById("upload-button");
  var inputs = form.querySelectorAll("input[type=file]");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var busy = false;

  function item(name) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var result = document.createElement("span");
    result.className = "help";
    li.appendChild(label); li.appendChild(bar); li.appendChild(result);
    list.appendChild(li);
    return { li: li, bar: bar, result: result, added: false };
  }

  function send(file, row) {
    return new Promise(function (resolve) {
      if (maxBytes && file.size > maxBytes) {
        row.result.textContent = "Too big: the limit is " + Math.round(maxBytes / 1e6) + " MB.";
        resolve(); return;
      }
      var data = new FormData();
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) row.bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener("load", function () {
        row.bar.value = 100;
        try {
          var answer = JSON.parse(xhr.responseText);
          var f = (answer.files || [])[0];
          row.added = !!(f && f.added);
          row.result.textContent = f ? (f.added ? " ✓" : " " + f.error) : " " + (answer.error || "");
        } catch (err) { row.result.textContent = " The upload failed: please try again."; }
        resolve();
      });
      xhr.addEventListener("error", function () {
        row.result.textContent = " The connection failed: please try again."; resolve();
      });
      xhr.send(data);
    });
  }

  // Once the table below lists the new files, their progress rows go: one line
  // says how many were added; a file that was refused keeps its row and reason.
  function tidy(rows) {
    var added = rows.filter(function (row) { return row.added; });
    added.forEach(function (row) { if (row.li.parentNode) row.li.parentNode.removeChild(row.li); });
    Array.prototype.forEach.call(list.querySelectorAll("li.summary"), function (li) { li.remove(); });
    if (!added.length) return;
    var li = document.createElement("li");
    li.className = "summary";
    li.textContent = "✓ " + (added.length === 1
      ? list.getAttribute("data-added-one")
      : list.getAttribute("data-added-many").replace("{n}", added.length));
    list.insertBefore(li, list.firstChild);
  }

  function upload(files) {
    if (busy || !files.length) return;
    busy = true; button.disabled = true;
    while (list.firstChild) list.removeChild(list.firstChild);  // the last upload's lines
    var chain = Promise.resolve();
    var rows = [];
    Array.prototype.forEach.call(files, function (file) {
      var row = item(file.name);
      rows.push(row);
      chain = chain.then(function () { return send(file, row); });
    });
    chain.then(function () {
      busy = false; button.disabled = false;
      inputs.forEach(function (input) { input.value = ""; });
      var listEl = document.getElementById("document-list");
      if (window.htmx && listEl) {
        var swapped = window.htmx.ajax("GET", listEl.getAttribute("data-url"), { target: "#document-list", swap: "outerHTML" });
        if (swapped && swapped.then) swapped.then(function () { tidy(rows); });
      } else {
        location.reload();
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var files = [];
    inputs.forEach(function (input) { Array.prototype.push.apply(files, input.files); });
    upload(files);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files) upload(e.dataTransfer.files);
  });
})();
