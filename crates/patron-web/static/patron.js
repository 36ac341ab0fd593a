// Patron — conveniences only; every page works without this file.
(function () {
  "use strict";
  // The language switcher applies on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
  // Product fields: suggestions from the whole catalogue as the user types (without this, the
  // browser filters the page's own list of the first products).
  var list = document.getElementById("product-list"), pickTimer = null, pickSeq = 0;
  document.querySelectorAll("input[data-product-suggest]").forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(pickTimer);
      var q = input.value;
      if (!list || q.indexOf(" \u00b7 ") >= 0) return; // a suggestion was just picked
      pickTimer = setTimeout(function () {
        var mine = ++pickSeq;
        fetch("/products/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            if (mine !== pickSeq) return;
            list.replaceChildren.apply(list, items.map(function (p) {
              var o = document.createElement("option");
              o.value = p.value; o.label = p.label;
              return o;
            }));
          });
      }, 200);
    });
  });
  // Search as you type: fetch the same page with the new query and swap the results in.
  var q = document.querySelector("input[data-live-search]");
  if (!q) return;
  var timer = null, seq = 0;
  q.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var form = q.form, params = new URLSearchParams(new FormData(form));
      params.delete("cursor");
      var url = form.action + "?" + params.toString(), mine = ++seq;
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        if (mine !== seq) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("results"), old = document.getElementById("results");
        if (fresh && old) { old.replaceWith(fresh); history.replaceState(null, "", url); }
      });
    }, 250);
  });
})();
