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
      article.setAttribute("data-last", msg.lastEventId);
      tick();
    });
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
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

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    tick();
    setInterval(tick, 1000);
    copyButtons();
    var article = document.getElementById("incident");
    if (article) live(article);
  });
})();

// Forms marked data-confirm ask before they are sent (without JavaScript they are simply sent).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
