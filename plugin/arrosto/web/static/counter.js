// Live character count under a reply editor: <textarea data-max data-counter data-links>.
// The server shows the same count when the page loads; this only keeps it current while typing.
// data-links: how much a link counts (X counts every link as 23 characters), 0 for as written.
// The counter's data-text and data-over-text are the words in the page's language, with {n}
// and {max} in place of the numbers.
(function () {
  "use strict";
  var LINK = /https?:\/\/\S+/g;
  document.querySelectorAll("textarea[data-max][data-counter]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    var max = parseInt(area.getAttribute("data-max"), 10);
    var link = parseInt(area.getAttribute("data-links") || "0", 10);
    if (!out || !max) { return; }
    var words = out.getAttribute("data-text") || "{n} of {max} characters";
    var over = out.getAttribute("data-over-text") || "{n} of {max} characters: too long";
    var count = function () {
      var text = area.value;
      if (link) { text = text.replace(LINK, new Array(link + 1).join("x")); }
      var n = Array.from(text).length;
      out.textContent = (n > max ? over : words).split("{n}").join(String(n))
        .split("{max}").join(String(max));
      out.classList.toggle("over", n > max);
    };
    area.addEventListener("input", count);
  });
})();
