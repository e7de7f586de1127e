// firebell console: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  function human(seconds) {
    seconds = Math.floor(seconds);
    if (seconds < 60) return seconds + " s";
    var m = Math.floor(seconds / 60);
    if (m < 60) return m + " min";
    var h = Math.floor(m / 60); m = m % 60;
    if (h < 48) return m ? h + " h " + m + " min" : h + " h";
    var d = Math.floor(h / 24); h = h % 24;
    return h ? d + " d " + h + " h" : d + " d";
  }

  // SLA clocks count down every second.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - now) / 1000;
      var text = el.querySelector(".clock-text");
      if (left >= 0) { text.textContent = "due in " + human(left); el.classList.remove("breached"); }
      else { text.textContent = "breached " + human(-left) + " ago"; el.classList.add("breached"); }
    });
  }

  // Times in the viewer's zone; UTC stays in the title.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var t = new Date(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      if (!el.title) el.title = t.toISOString().slice(0, 16).replace("T", " ") + " UTC";
      var short = el.textContent.length <= 8;
      el.textContent = short ? t.toLocaleTimeString() : t.toLocaleString();
    });
  }

  function timelineToggles(events) {
    var noisy = document.getElementById("show-noisy");
    var oldest = document.getElementById("oldest-first");
    if (noisy) noisy.addEventListener("change", function () { events.classList.toggle("show-noisy", noisy.checked); });
    if (oldest) oldest.addEventListener("change", function () { events.classList.toggle("oldest", oldest.checked); });
  }

  function busy(region) {
    var active = document.activeElement;
    return region.contains(active) && active.matches("input, textarea, select") || region.querySelector("details[open]");
  }

  function live(article) {
    var events = document.getElementById("events");
    var state = document.getElementById("live-state");
    timelineToggles(events);
    if (!window.EventSource) return;
    var source = new EventSource(article.getAttribute("data-live") + "?after=" + article.getAttribute("data-last"));
    source.addEventListener("open", function () { state.textContent = "Live: new events appear here."; });
    source.addEventListener("error", function () { state.textContent = "Reconnecting…"; });
    source.addEventListener("gone", function () { state.textContent = "This incident is no longer visible to you."; source.close(); });
    source.addEventListener("change", function (msg) {
      var data = JSON.parse(msg.data);
      data.events.forEach(function (html) {
        var holder = document.createElement("ol");
        holder.innerHTML = html;
        var item = holder.firstElementChild;
        if (!item || document.getElementById(item.id)) return;
        item.classList.add("fresh");
        localTimes(item);
        events.insertBefore(item, events.firstChild);
      });
      document.getElementById("incident-header").innerHTML = data.header;
      document.getElementById("incident-side").innerHTML = data.side;
      var actions = document.getElementById("incident-actions");
      var holder = document.createElement("div");
      holder.innerHTML = data.actions;
      var fresh = holder.firstElementChild, current = actions.firstElementChild;
      if (fresh && current && fresh.getAttribute("data-key") !== current.getAttribute("data-key") && !busy(actions)) {
        actions.innerHTML = data.actions;
      }
      localTimes(document.getElementById("incident-header"));
      var runbook = document.getElementById("incident-runbook");
      if (runbook && data.runbook) replaceRunbook(runbook, data.runbook);
      article.setAttribute("data-last", msg.lastEventId);
      tick();
    });
  }

  function copyButtons(root) {
    (root || document).querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        if (!field) return;
        var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done);
        else { field.select(); document.execCommand("copy"); done(); }
      });
    });
  }

  // The runbook panel follows other responders' answers, unless this one is typing in it
  // or has the command confirmation open.
  function replaceRunbook(region, html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild, current = region.firstElementChild;
    if (!fresh || !current || fresh.getAttribute("data-key") === current.getAttribute("data-key")) return;
    var active = document.activeElement;
    if (region.contains(active) && active.matches("input:not([readonly]), textarea, select")) return;
    if (region.querySelector("details.run-command[open]")) return;
    region.innerHTML = html;
    copyButtons(region);
    localTimes(region);
  }

  // The incidents list: declared and changed incidents appear without reloading.
  function liveList(list) {
    var state = document.getElementById("list-live-state");
    if (!window.EventSource) return;
    var source = new EventSource(list.getAttribute("data-live"));
    source.addEventListener("open", function () { state.textContent = "Live: new and changed incidents appear here."; });
    source.addEventListener("error", function () { state.textContent = "Reconnecting…"; });
    source.addEventListener("list", function (msg) {
      list.innerHTML = JSON.parse(msg.data).html;
      localTimes(list);
      tick();
      state.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    tick();
    setInterval(tick, 1000);
    copyButtons();
    var article = document.getElementById("incident");
    if (article) live(article);
    var list = document.getElementById("incident-list");
    if (list) liveList(list);
  });
})();

// Console pages (the `console` paging method): each page addressed to me is shown here as
// a banner with a big Acknowledge button, a browser notification (once allowed with the
// button on My pages) and a short sound made in the browser; then the server is told it
// was shown, which is when it counts as delivered. Live by server-sent events, with a
// slower poll as the fallback.
(function () {
  "use strict";
  var seen = {};
  var audio = null;

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = audio || new Ctx();
      if (audio.state === "suspended") audio.resume();
      [0, 0.3, 0.6].forEach(function (at) {
        var t = audio.currentTime + at, osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = at === 0.3 ? 660 : 880;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.15, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(t); osc.stop(t + 0.25);
      });
    } catch (e) { /* the banner and the notification carry the page without sound */ }
  }

  function notify(page, focus) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var n = new Notification(page.subject, { body: page.body, tag: "firebell-page-" + page.id, requireInteraction: true });
      n.onclick = function () { window.focus(); focus(); n.close(); };
    } catch (e) { /* some browsers only notify from a service worker: the banner remains */ }
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function banner(region, page) {
    var id = "page-" + page.id;
    var box = el("section", { "class": "page-banner", id: id, role: "alert", "aria-labelledby": id + "-title" });
    var what = page.incident ? (page.severity ? page.severity + " " : "") + "#" + page.incident + " " + (page.title || "") : "Test page";
    box.appendChild(el("h2", { id: id + "-title" }, (page.purpose === "test" ? "Test page: " : "You are paged: ") + what));
    box.appendChild(el("p", {}, page.body));
    var actions = el("div", { "class": "page-actions" });
    if (page.incident) {
      var form = el("form", { method: "post", action: "/console/incidents/" + page.incident + "/acknowledge" });
      form.appendChild(el("input", { type: "hidden", name: "csrf", value: region.getAttribute("data-csrf") }));
      form.appendChild(el("button", { type: "submit", "class": "primary big" }, "Acknowledge"));
      actions.appendChild(form);
      actions.appendChild(el("a", { href: "/console/incidents/" + page.incident, "class": "button" }, "Open incident #" + page.incident));
    }
    var dismiss = el("button", { type: "button", "class": "small" }, "Dismiss");
    dismiss.addEventListener("click", function () { box.remove(); });
    actions.appendChild(dismiss);
    box.appendChild(actions);
    region.insertBefore(box, region.firstChild);
    return box;
  }

  function confirmShown(region, page) {
    var body = new FormData();
    body.append("csrf", region.getAttribute("data-csrf"));
    return fetch("/console/pages/" + page.id + "/shown", { method: "POST", body: body, credentials: "same-origin" });
  }

  function show(region, page) {
    if (seen[page.id]) return;
    seen[page.id] = true;
    var box = banner(region, page);
    notify(page, function () { var b = box.querySelector("button"); if (b) b.focus(); });
    beep();
    confirmShown(region, page).catch(function () { seen[page.id] = false; });
  }

  function poll(region) {
    fetch(region.getAttribute("data-waiting"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { pages: [] }; })
      .then(function (data) { data.pages.forEach(function (p) { show(region, p); }); })
      .catch(function () {});
  }

  function permissionButton() {
    var button = document.getElementById("enable-notifications");
    var state = document.getElementById("notification-state");
    if (!button) return;
    var say = function () {
      if (!state) return;
      if (!("Notification" in window)) state.textContent = "This browser cannot show notifications; pages appear as a banner on any console page.";
      else if (Notification.permission === "granted") state.textContent = "Browser notifications are on for this console.";
      else if (Notification.permission === "denied") state.textContent = "Browser notifications are blocked for this site; pages still appear as a banner.";
      else state.textContent = "";
    };
    button.hidden = !("Notification" in window) || Notification.permission !== "default";
    say();
    button.addEventListener("click", function () {
      beep(); // a click also allows sound from now on
      Notification.requestPermission().then(function () { button.hidden = Notification.permission !== "default"; say(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    permissionButton();
    var region = document.getElementById("console-pages");
    if (!region) return;
    if (window.EventSource) {
      var source = new EventSource(region.getAttribute("data-live"));
      source.addEventListener("page", function (msg) { show(region, JSON.parse(msg.data)); });
      setInterval(function () { poll(region); }, 30000);
    } else {
      setInterval(function () { poll(region); }, 5000);
    }
    poll(region);
  });
})();

// Forms marked data-confirm ask before they are sent (without JavaScript they are simply sent).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
