// The public report form, enhanced (issue 13, item 7). The form works without this file:
// without script the "列出…" buttons reload the page; with it, nothing reloads.
//  - Choosing a district or street fills the next list in place from /report/areas/, so
//    nothing typed or chosen (files included) is lost and the page does not jump.
//  - Files are checked against the limits the server enforces before anything is sent.
//  - On the "too large" page, the link back uses the browser's history, which keeps the typing.
(function () {
  "use strict";

  var back = document.querySelector(".js-history-back");
  if (back && window.history.length > 1) {
    back.addEventListener("click", function (event) {
      event.preventDefault();
      window.history.back();
    });
  }

  var form = document.getElementById("report-form");
  if (!form) return;

  // 1. Lists in place ---------------------------------------------------------------------
  var district = document.getElementById("id_district");
  var street = document.getElementById("id_street");
  var community = document.getElementById("id_community");
  var status = document.getElementById("area-status");
  var areasUrl = form.getAttribute("data-areas-url");
  var requests = { street: 0, community: 0 };

  function announce(text) {
    if (status) status.textContent = text;
  }

  function reset(select) {
    while (select.options.length > 1) select.remove(1);
    select.value = "";
  }

  function fill(select, choices) {
    reset(select);
    choices.forEach(function (choice) {
      select.add(new Option(choice.label, choice.value));
    });
  }

  function showButtons() {
    // The lists could not be fetched: fall back to the buttons, which say what a reload costs.
    form.classList.remove("js-enhanced");
  }

  function load(select, query, what) {
    var kind = select === street ? "street" : "community";
    var mine = ++requests[kind];
    select.setAttribute("aria-busy", "true");
    announce("正在列出" + what + "…");
    return fetch(areasUrl + "?" + query, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (mine !== requests[kind]) return; // a later choice has replaced this one
        fill(select, data.choices);
        announce("已列出 " + data.choices.length + " 个" + what + "，请选择。");
      })
      .catch(function () {
        if (mine !== requests[kind]) return;
        showButtons();
        announce("未能自动列出" + what + "，请点“列出" + what + "”按钮。");
      })
      .then(function () {
        if (mine === requests[kind]) select.removeAttribute("aria-busy");
      });
  }

  if (window.fetch && district && street && community && areasUrl) {
    form.classList.add("js-enhanced");
    district.addEventListener("change", function () {
      requests.community++;
      reset(street);
      reset(community);
      if (!district.value) return;
      load(street, "district=" + encodeURIComponent(district.value), "街道（乡镇）");
    });
    street.addEventListener("change", function () {
      reset(community);
      if (!street.value) {
        requests.community++;
        return;
      }
      var query =
        "district=" + encodeURIComponent(district.value) +
        "&street=" + encodeURIComponent(street.value);
      load(community, query, "社区（村）");
    });
  }

  // 2. Files within the limits, before sending ----------------------------------------------
  var maxFiles = Number(form.getAttribute("data-max-files"));
  var maxFileBytes = Number(form.getAttribute("data-max-file-bytes"));
  var maxTotalBytes = Number(form.getAttribute("data-max-total-bytes"));
  var inputs = Array.prototype.slice.call(form.querySelectorAll("input[type=file]"));

  function mb(bytes) {
    return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
  }

  function messageFor(input) {
    var id = input.id + "_problems";
    var message = document.getElementById(id);
    if (!message) {
      message = document.createElement("p");
      message.id = id;
      message.className = "error file-problems";
      message.setAttribute("role", "alert");
      message.hidden = true;
      input.insertAdjacentElement("afterend", message);
    }
    return message;
  }

  // Returns the first input with a problem, after showing each input's problems beside it.
  function checkFiles() {
    var total = 0;
    var count = 0;
    var problems = inputs.map(function (input) {
      var found = [];
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (file) {
        total += file.size;
        count += 1;
        if (file.size > maxFileBytes) {
          found.push("“" + file.name + "”有 " + mb(file.size) + " MB，单个文件不能超过 " +
            mb(maxFileBytes) + " MB，请压缩后重新选择。");
        }
      });
      if (input.multiple && files.length > maxFiles) {
        found.push("证明材料最多上传 " + maxFiles + " 个文件，现在选择了 " + files.length + " 个。");
      }
      return found;
    });
    if (total > maxTotalBytes) {
      var last = inputs.reduce(function (found, input, index) {
        return input.files && input.files.length ? index : found;
      }, 0);
      problems[last].push("附件合计不能超过 " + mb(maxTotalBytes) + " MB（这次选择了 " + count +
        " 个文件，共 " + mb(total) + " MB），请压缩图片或减少附件后重新选择。");
    }
    var first = null;
    inputs.forEach(function (input, index) {
      var message = messageFor(input);
      message.textContent = problems[index].join(" ");
      message.hidden = problems[index].length === 0;
      input.setAttribute("aria-invalid", problems[index].length ? "true" : "false");
      if (problems[index].length && !first) first = input;
    });
    return first;
  }

  if (maxFileBytes && maxTotalBytes && inputs.length) {
    inputs.forEach(function (input) {
      input.addEventListener("change", checkFiles);
    });
    form.addEventListener("submit", function (event) {
      var refining = event.submitter && event.submitter.classList.contains("js-refine");
      if (refining) return;
      var first = checkFiles();
      if (first) {
        event.preventDefault();
        var details = first.closest("details");
        if (details) details.open = true;
        first.focus();
      }
    });
  }
})();
